"""Searching standard names: Chinese, pinyin, initials, former names, aliases, typos; nearest names.

Design (both backends, one code path):

- exact and prefix matches on the name, the stored ``pinyin_key`` and ``initials`` columns and
  former names run in SQL as B-tree range queries (``col >= q AND col < q + U+FFFF``), which use
  the indexes on SQLite and on PostgreSQL whatever the ``LIKE`` support of the collation;
- substring, alias and typo matches use an in-memory n-gram index (:mod:`placenames.search_index`)
  built once per database and rebuilt when the registry changes (detected through the highest ids
  of ``audit_log``, ``place_name`` and ``former_name``, which are primary-key lookups);
- candidates are then filtered (category, division, status, bounding box) and described in one
  SQL query by id, ranked and returned as JSON-ready dicts.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from typing import Any

import shapely
from sqlalchemy import Float
from sqlalchemy import bindparam
from sqlalchemy import cast
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session

from gis.crs import METRIC_SRID
from gis.crs import in_extent
from gis.dialects import bbox_filter
from gis.dialects import nearest_order
from gis.dialects import point_expr
from placenames import categories
from placenames.models import FormerName
from placenames.models import PlaceName
from placenames.romanize import pinyin_key
from placenames.search_index import Entry  # noqa: F401 (re-exported)
from placenames.search_index import NameIndex

#: Base scores of the match kinds (a shorter matched text ranks higher within a kind).
SCORES = {
    "exact": 100.0,
    "former_exact": 92.0,
    "alias_exact": 90.0,
    "prefix": 85.0,
    "pinyin_exact": 84.0,
    "initials_exact": 82.0,
    "former_prefix": 78.0,
    "pinyin_prefix": 76.0,
    "initials_prefix": 72.0,
    "substring": 65.0,
    "typo": 50.0,
}
MAX_QUERY_CHARS = 60
_HAN = re.compile(r"[\u3400-\u9fff]")
_TOP = "\uffff"
_LOCK = threading.Lock()
#: Most changed places applied incrementally to the in-memory index (more: rebuild).
INCREMENTAL_LIMIT = 2000
_CHANGED = sql_text(
    "SELECT row_key, table_name FROM audit_log WHERE id > :a AND table_name IN ('place_name', 'former_name')"
)
_NEW_PLACES = sql_text("SELECT id FROM place_name WHERE id > :p")
_NEW_FORMERS = sql_text("SELECT place_name_id FROM former_name WHERE id > :f")
#: Typo matching runs when fewer exact/prefix/substring hits than this were found.
TYPO_BELOW = 5
_GENERATION = sql_text(
    "SELECT (SELECT max(id) FROM audit_log), (SELECT max(id) FROM place_name), (SELECT max(id) FROM former_name), "
    "(SELECT max(at) FROM audit_log)"
)
#: Name and former-name prefixes in one round trip (each part walks its own B-tree index).
_CHINESE_PREFIX = sql_text(
    "SELECT 'n' AS k, id, name FROM (SELECT id, name FROM place_name WHERE name >= :lo AND name < :hi "
    "ORDER BY name LIMIT :n) AS a UNION ALL "
    "SELECT 'f' AS k, place_name_id, name FROM (SELECT place_name_id, name FROM former_name "
    "WHERE name >= :lo AND name < :hi ORDER BY name LIMIT :n) AS b"
)
#: Pinyin-key and initials prefixes in one round trip.
_LATIN_PREFIX = sql_text(
    "SELECT 'p' AS k, id, pinyin_key FROM (SELECT id, pinyin_key FROM place_name WHERE pinyin_key >= :lo "
    "AND pinyin_key < :hi ORDER BY pinyin_key LIMIT :n) AS a UNION ALL "
    "SELECT 'i' AS k, id, initials FROM (SELECT id, initials FROM place_name WHERE initials >= :lo "
    "AND initials < :hi AND :short ORDER BY initials LIMIT :n) AS b"
)
_DESCRIBE_SQL = (
    "SELECT id, name, romanized, category_code, division_code, status, "
    "ST_AsBinary(ST_PointOnSurface(geom)) AS pos "
    "FROM place_name WHERE id IN :ids"
)
_INDEXES: dict[str, tuple[tuple, NameIndex]] = {}


def search(
    session: Session,
    q: str | None,
    *,
    limit: int = 20,
    category: str | None = None,
    division: str | None = None,
    status: str | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    near: tuple[float, float] | None = None,
) -> list[dict[str, Any]]:
    """Search standard names; JSON-ready results, best first.

    Parameters
    ----------
    session
        Database session.
    q
        Chinese text, pinyin (with or without spaces), initials (``hbw``), a former name or an
        alias. Empty with ``near`` lists the names nearest to the point.
    limit
        Most results (1-200).
    category
        Category code; a two-digit major class matches its middle classes.
    division
        12-digit division code; matches the division and everything inside it.
    status
        One status (e.g. ``'announced'``).
    bbox
        ``(min_lon, min_lat, max_lon, max_lat)`` in EPSG:4490.
    near
        ``(lon, lat)``: adds ``distance_m`` and favours nearer names.

    Returns
    -------
    list of dict
        ``id, name, romanized, category_code, category_label, division_code, status, lon, lat,
        match, matched_text, score`` (and ``distance_m`` with ``near``).
    """
    limit = max(1, min(int(limit), 200))
    text = normalise_query(q)
    _validate_filters(category=category, bbox=bbox, near=near)
    if not text:
        if near is None:
            return []
        return _nearest(session, near, limit=limit, filters=(category, division, status, bbox))
    hits: dict[int, tuple[float, str, str]] = {}
    if _HAN.search(text):
        _chinese(session, text, hits, limit)
    else:
        _latin(session, text, hits, limit)
    filters = (category, division, status, bbox)
    ranked = sorted(hits, key=lambda pid: -hits[pid][0])
    wanted = ranked[: limit * 2] if not any(filters) else ranked[:400]
    rows = _describe(session, wanted, filters=filters, near=near)
    if (
        not any(filters)
        and len(rows) < len(wanted)
        and _forget(session, set(wanted) - {r["id"] for r in rows})
    ):
        # The index held places that no longer exist (a rolled-back transaction): search again.
        return search(session, q, limit=limit, near=near)
    results = []
    for row in rows:
        score, match, matched = hits[row["id"]]
        if row["status"] == "retired":
            score -= 15
        if near is not None and row.get("distance_m") is not None:
            score -= min(row["distance_m"] / 2000.0, 10.0)
        results.append({**row, "match": match, "matched_text": matched, "score": round(score, 2)})
    results.sort(key=lambda r: (-r["score"], len(r["name"]), r["id"]))
    return results[:limit]


def normalise_query(q: str | None) -> str:
    """NFKC, trimmed, without control characters; raises ``ValueError`` when over-long."""
    if q is None:
        return ""
    if not isinstance(q, str):
        raise ValueError("the query must be text")
    text = "".join(
        ch for ch in unicodedata.normalize("NFKC", q) if not unicodedata.category(ch).startswith("C")
    )
    text = text.strip()
    if len(text) > MAX_QUERY_CHARS:
        raise ValueError(f"query longer than {MAX_QUERY_CHARS} characters")
    return text


def name_index(session: Session) -> NameIndex:
    """The n-gram index of the session's database, brought up to date when the registry changed.

    Changes recorded one by one in the audit log (the naming procedure) are applied
    incrementally: the affected places are re-read and their entries replaced. Bulk loads
    (audit row key ``*``), many changes or a first use build the index from scratch.
    """
    key = session.get_bind().engine.url.render_as_string(hide_password=True)
    conn = session.connection()
    generation = tuple(conn.execute(_GENERATION).one())
    cached = _INDEXES.get(key)
    if cached and cached[0] == generation:
        return cached[1]
    with _LOCK:
        index = _updated(session, cached, generation) if cached else None
        if index is None:
            index = NameIndex.build(_entries(session))
        _INDEXES[key] = (generation, index)
    return index


def _updated(session: Session, cached: tuple, generation: tuple) -> NameIndex | None:
    """Apply the changes since ``cached`` to its index, or ``None`` when a rebuild is due."""
    (audit0, place0, former0, _at), index = cached
    ids, old_ids = generation[:3], cached[0][:3]
    if (
        None in old_ids
        or ids == old_ids
        or any(n is None or n < o for n, o in zip(ids, old_ids, strict=True))
    ):
        return None  # empty before, rolled back, or rewritten: rebuild
    conn = session.connection()
    changed = conn.execute(_CHANGED, {"a": audit0}).all()
    if len(changed) > INCREMENTAL_LIMIT or any(row_key == "*" for row_key, _ in changed):
        return None
    place_ids = {int(k) for k, table in changed if table == "place_name" and k.isdigit()}
    former_ids = [int(k) for k, table in changed if table == "former_name" and k.isdigit()]
    place_ids.update(pid for (pid,) in conn.execute(_NEW_PLACES, {"p": place0}))
    if former_ids:
        stmt = select(FormerName.place_name_id).where(FormerName.id.in_(former_ids))
        place_ids.update(pid for (pid,) in session.execute(stmt))
    place_ids.update(pid for (pid,) in conn.execute(_NEW_FORMERS, {"f": former0}))
    if len(place_ids) > INCREMENTAL_LIMIT:
        return None
    if place_ids:
        index.replace(place_ids, _entries(session, place_ids=sorted(place_ids)))
    return index


def _forget(session: Session, place_ids: set[int]) -> bool:
    """Drop vanished places from the cached index; whether there was anything to drop."""
    cached = _INDEXES.get(session.get_bind().engine.url.render_as_string(hide_password=True))
    if cached is None:
        return False
    present = {pid for pid in place_ids if pid in cached[1].by_place}
    if present:
        with _LOCK:
            cached[1].replace(present, [])
    return bool(present)


def invalidate() -> None:
    """Forget every cached index (after bulk loads that bypass the audit log)."""
    _INDEXES.clear()


def _entries(session: Session, *, place_ids: list[int] | None = None):
    names = select(PlaceName.id, PlaceName.name, PlaceName.pinyin_key, PlaceName.aliases)
    formers = select(FormerName.place_name_id, FormerName.name)
    if place_ids is not None:
        names = names.where(PlaceName.id.in_(place_ids))
        formers = formers.where(FormerName.place_name_id.in_(place_ids))
    for pid, name, key, aliases in session.execute(names):
        yield Entry(pid, name, "name", key or pinyin_key(name))
        for alias in aliases or []:
            yield Entry(pid, alias, "alias", pinyin_key(alias))
    for pid, name in session.execute(formers):
        yield Entry(pid, name, "former", pinyin_key(name))


def _chinese(session: Session, text: str, hits: dict, limit: int) -> None:
    fetch = max(limit * 3, 30)
    conn = session.connection()
    params = {"lo": text, "hi": text + _TOP, "n": fetch}
    for kind, pid, name in conn.execute(_CHINESE_PREFIX, params):
        match = ("exact", "prefix") if kind == "n" else ("former_exact", "former_prefix")
        _add(hits, pid, match[0] if name == text else match[1], name, len(name) - len(text))
    if len(hits) >= limit and any(h[1] == "exact" for h in hits.values()):
        return
    index = name_index(session)
    for i in index.substring(text, limit=fetch):
        entry = index.entries[i]
        kind = "alias_exact" if entry.kind == "alias" and entry.text == text else "substring"
        _add(hits, entry.place_id, kind, entry.text, len(entry.text) - len(text))
    if _typo_wanted(hits, limit) and len(text) >= 2:
        for i, score in index.fuzzy(text, limit=fetch):
            entry = index.entries[i]
            _add(hits, entry.place_id, "typo", entry.text, 0, bonus=(score - 60) / 4)


def _latin(session: Session, text: str, hits: dict, limit: int) -> None:
    key = re.sub(r"[\s'’\-]", "", text.lower()).replace("ü", "v")
    if not key.isalnum():
        return
    fetch = max(limit * 3, 30)
    conn = session.connection()
    params = {"lo": key, "hi": key + "~", "n": fetch, "short": len(key) <= 12}
    for kind, pid, value in conn.execute(_LATIN_PREFIX, params):
        match = ("pinyin_exact", "pinyin_prefix") if kind == "p" else ("initials_exact", "initials_prefix")
        _add(hits, pid, match[0] if value == key else match[1], value, len(value) - len(key))
    if len(hits) >= limit or len(key) < 3:
        return
    index = name_index(session)
    for i in index.substring(key, pinyin=True, limit=fetch):
        entry = index.entries[i]
        _add(hits, entry.place_id, "substring", entry.pinyin, len(entry.pinyin) - len(key))
    if _typo_wanted(hits, limit) and len(key) >= 4:
        for i, score in index.fuzzy(key, pinyin=True, limit=fetch, cutoff=75):
            entry = index.entries[i]
            _add(hits, entry.place_id, "typo", entry.pinyin, 0, bonus=(score - 75) / 2.5)


def _typo_wanted(hits: dict, limit: int) -> bool:
    """Typo matching only when nothing matched exactly and few names matched at all."""
    if len(hits) >= min(limit, TYPO_BELOW):
        return False
    return not any(kind.endswith("exact") for _, kind, _ in hits.values())


def _add(hits: dict, pid: int, kind: str, matched: str, extra_chars: int, bonus: float = 0.0) -> None:
    score = SCORES[kind] + bonus - min(max(extra_chars, 0) * 0.5, 10.0)
    if pid not in hits or hits[pid][0] < score:
        hits[pid] = (score, kind, matched)


def _describe(
    session: Session, ids: list[int], *, filters: tuple, near: tuple[float, float] | None
) -> list[dict]:
    if not ids:
        return []
    if near is not None or filters[3]:
        point = func.ST_PointOnSurface(PlaceName.geom)
        columns = [
            PlaceName.id, PlaceName.name, PlaceName.romanized, PlaceName.category_code, PlaceName.division_code,
            PlaceName.status, cast(func.ST_X(point), Float).label("lon"), cast(func.ST_Y(point), Float).label("lat"),
        ]  # fmt: skip
        if near is not None:
            columns.append(_distance(near).label("distance_m"))
        stmt = _filtered(session, select(*columns).where(PlaceName.id.in_(ids)), filters)
        return [_row(r) for r in session.execute(stmt)]
    category, division, status, _ = filters
    where, params = [], {"ids": ids}
    if category:
        where.append("category_code >= :c_lo AND category_code < :c_hi")
        params.update(c_lo=str(category), c_hi=str(category) + "~")
    if division:
        stem = division_stem(division)
        where.append("division_code >= :d_lo AND division_code < :d_hi")
        params.update(d_lo=stem, d_hi=stem + "~")
    if status:
        where.append("status = :status")
        params["status"] = status
    sql = _DESCRIBE_SQL + "".join(f" AND {w}" for w in where)
    stmt = sql_text(sql).bindparams(bindparam("ids", expanding=True))
    return [_row(r) for r in session.connection().execute(stmt, params)]


def _nearest(session: Session, near: tuple[float, float], *, limit: int, filters: tuple) -> list[dict]:
    lon, lat = near
    columns = [
        PlaceName.id,
        PlaceName.name,
        PlaceName.romanized,
        PlaceName.category_code,
        PlaceName.division_code,
        PlaceName.status,
        cast(func.ST_X(func.ST_PointOnSurface(PlaceName.geom)), Float).label("lon"),
        cast(func.ST_Y(func.ST_PointOnSurface(PlaceName.geom)), Float).label("lat"),
        _distance(near).label("distance_m"),
    ]
    box = filters[3] or (lon - 0.05, lat - 0.04, lon + 0.05, lat + 0.04)
    stmt = _filtered(session, select(*columns).where(PlaceName.geom.isnot(None)), (*filters[:3], box))
    stmt = stmt.order_by(nearest_order(session, PlaceName.__table__, lon, lat)).limit(limit)
    rows = [_row(r) for r in session.execute(stmt)]
    if len(rows) < limit and filters[3] is None:  # widen once when the neighbourhood is sparse
        stmt = _filtered(session, select(*columns).where(PlaceName.geom.isnot(None)), filters)
        stmt = stmt.order_by(nearest_order(session, PlaceName.__table__, lon, lat)).limit(limit)
        rows = [_row(r) for r in session.execute(stmt)]
    out = []
    for row in sorted(rows, key=lambda r: r["distance_m"]):
        score = round(100.0 - min(row["distance_m"] / 100.0, 99.0), 2)
        out.append({**row, "match": "nearest", "matched_text": row["name"], "score": score})
    return out


def _filtered(session: Session, stmt, filters: tuple):
    category, division, status, bbox = filters
    if category:
        code = str(category)
        stmt = stmt.where(PlaceName.category_code >= code, PlaceName.category_code < code + "~")
    if division:
        stem = division_stem(division)
        stmt = stmt.where(PlaceName.division_code >= stem, PlaceName.division_code < stem + "~")
    if status:
        stmt = stmt.where(PlaceName.status == status)
    if bbox:
        stmt = stmt.where(bbox_filter(session, PlaceName.__table__, bbox))
    return stmt


def division_stem(code: str) -> str:
    """The code prefix shared by a division and everything inside it (``150302000000`` → ``150302``)."""
    code = str(code).strip()
    if not re.fullmatch(r"\d{12}", code):
        raise ValueError(f"division code {code!r} is not 12 digits")
    for size in (2, 4, 6, 9):
        if set(code[size:]) == {"0"}:
            return code[:size]
    return code


def _distance(near: tuple[float, float]):
    lon, lat = near
    return func.ST_Distance(
        func.ST_Transform(PlaceName.geom, METRIC_SRID), func.ST_Transform(point_expr(lon, lat), METRIC_SRID)
    )


def _row(r) -> dict:
    d = dict(r._mapping)
    if "pos" in d:  # the label point, computed once per row and sent as WKB
        pos = d.pop("pos")
        point = shapely.from_wkb(bytes(pos)) if pos is not None else None
        d["lon"], d["lat"] = (point.x, point.y) if point is not None and not point.is_empty else (None, None)
    d["category_label"] = (
        categories.label(d["category_code"]) if d["category_code"] in categories.CATEGORIES else None
    )
    for key in ("lon", "lat"):
        if d.get(key) is not None:
            d[key] = round(float(d[key]), 6)
    if d.get("distance_m") is not None:
        d["distance_m"] = round(float(d["distance_m"]), 1)
    return d


def _validate_filters(*, category, bbox, near) -> None:
    if category is not None and str(category) not in categories.CATEGORIES:
        raise ValueError(f"unknown category {category!r}")
    if bbox is not None and (len(bbox) != 4 or not (bbox[0] < bbox[2] and bbox[1] < bbox[3])):
        raise ValueError(f"bbox {bbox!r} must be (min_lon, min_lat, max_lon, max_lat)")
    if near is not None and not in_extent(*near):
        if in_extent(near[1], near[0]):
            raise ValueError(f"point {near!r} looks like lat/lon swapped: give (lon, lat)")
        raise ValueError(f"point {near!r} lies outside Wuhai (EPSG:4490 lon/lat)")
