"""Searching standard names: Chinese, pinyin, initials, former names, aliases, typos; nearest names.

Design (both backends, one code path; no index held in the web process):

- exact and prefix matches on the name, the stored ``pinyin_key`` and ``initials`` columns and
  former names run in SQL as B-tree range queries (``col >= q AND col < q + U+FFFF``), which use
  the indexes on SQLite and on PostgreSQL whatever the ``LIKE`` support of the collation;
- substring, alias and typo matches use the n-gram index in the database
  (:mod:`placenames.search.entries`: GIN on PostgreSQL, FTS5 on SQLite), which triggers keep
  current in the writing transaction;
- typo candidates are scored with RapidFuzz; the ranked candidates are then described (display
  fields, filters by category, division, status, bounding box, distance) in one SQL query.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from rapidfuzz import fuzz
from rapidfuzz import process
from sqlalchemy import Float
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
from gis.errors import InvalidInput
from placenames import categories
from placenames.models import PlaceName
from placenames.search import entries
from placenames.search.entries import entries_of  # noqa: F401 (re-exported)
from placenames.search.rebuild import rebuild  # noqa: F401 (re-exported)

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
#: Chinese queries shorter than this get no typo matches: one wrong character out of two would
#: match every name that shares the other (乌达 → 乌海市, 达景苑, …).
TYPO_MIN_HAN = 3
#: Typo matches kept: those scoring within this many points of the best typo match.
TYPO_SPREAD = 10.0
#: Typo matching runs when fewer exact/prefix/substring hits than this were found.
TYPO_BELOW = 5
#: Name and former-name prefixes (each part walks its own B-tree index).
_CHINESE_PREFIX = (
    "SELECT 'n' AS k, id AS pid, name AS txt FROM (SELECT id, name FROM place_name WHERE name >= :lo "
    "AND name < :hi ORDER BY name LIMIT :n) AS a UNION ALL "
    "SELECT 'f', place_name_id, name FROM (SELECT place_name_id, name FROM former_name "
    "WHERE name >= :lo AND name < :hi ORDER BY name LIMIT :n) AS b"
)
#: Pinyin-key and initials prefixes.
_LATIN_PREFIX = (
    "SELECT 'p' AS k, id AS pid, pinyin_key AS txt FROM (SELECT id, pinyin_key FROM place_name "
    "WHERE pinyin_key >= :lo AND pinyin_key < :hi ORDER BY pinyin_key LIMIT :n) AS a UNION ALL "
    "SELECT 'i', id, initials FROM (SELECT id, initials FROM place_name WHERE initials >= :lo "
    "AND initials < :hi AND :short ORDER BY initials LIMIT :n) AS b"
)
#: The n-gram lookup runs only when the prefixes found too little (checked once, in SQL).
_CHINESE_WANTED = (
    "NOT (SELECT count(DISTINCT pid) >= :limit AND max(CASE WHEN k = 'n' AND txt = :lo THEN 1 ELSE 0 END) = 1 "
    "FROM p)"
)
_LATIN_WANTED = "(SELECT count(DISTINCT pid) FROM p) < :limit"
#: What a result shows of a place, joined to every candidate row.
_PLACE_COLUMNS = (
    "pn.name, pn.romanized, pn.category_code, pn.division_code, pn.status, "
    "CAST(ST_X(ST_PointOnSurface(pn.geom)) AS FLOAT), CAST(ST_Y(ST_PointOnSurface(pn.geom)) AS FLOAT)"
)


def _candidates(session: Session, prefix: str, wanted: str | None, query: str, values: dict, *, pinyin: bool):
    """Prefix rows ``(k, place, text, entry kind)`` and, when ``wanted`` holds, n-gram rows (``k`` = ``s``),
    each with the display fields of its place: one statement."""
    found = entries.substring_sql(session, query, pinyin=pinyin) if wanted else None
    sql = f"WITH p AS ({prefix})"
    rows = "SELECT k, pid, txt, NULL AS kind FROM p"
    if found is not None:
        substring, extra = found
        sql += f", s AS ({substring.replace(' ORDER BY ', f' AND {wanted} ORDER BY ', 1)})"
        column = "pinyin" if pinyin else "text"
        rows += f" UNION ALL SELECT 's', place_id, {column}, kind FROM s"
        values = {**values, **extra, "sn": values["n"]}
    sql += f" SELECT r.k, r.pid, r.txt, r.kind, {_PLACE_COLUMNS} FROM ({rows}) AS r "
    sql += "LEFT JOIN place_name AS pn ON pn.id = r.pid"
    return session.connection().execute(sql_text(sql), values).all()


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
    if session.autoflush:
        session.flush()  # as an ORM query would: this session's pending writes are searched too
    hits: dict[int, tuple[float, str, str]] = {}
    places: dict[int, list] = {}
    find = _chinese if _HAN.search(text) else _latin
    find(session, text, hits, places, limit)
    if not hits:
        return []
    filters = (category, division, status, bbox)
    ranked = sorted(hits, key=lambda pid: -hits[pid][0])
    wanted = ranked[: limit * 2] if not any(filters) else ranked[:400]
    if near is not None or bbox or any(pid not in places for pid in wanted):
        rows = _describe(session, wanted, filters=filters, near=near)
    else:  # the display fields came with the candidates
        rows = _from_places(places, wanted, filters)
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
    """NFKC, trimmed, without control characters; raises :class:`gis.errors.InvalidInput` when over-long."""
    if q is None:
        return ""
    if not isinstance(q, str):
        raise InvalidInput("the query must be text", field="q")
    text = "".join(
        ch for ch in unicodedata.normalize("NFKC", q) if not unicodedata.category(ch).startswith("C")
    )
    text = text.strip()
    if len(text) > MAX_QUERY_CHARS:
        raise InvalidInput(f"query longer than {MAX_QUERY_CHARS} characters", field="q")
    return text


def _chinese(session: Session, text: str, hits: dict, places: dict, limit: int) -> None:
    fetch = max(limit * 3, 30)
    values = {"lo": text, "hi": text + _TOP, "n": fetch, "limit": limit}
    for k, pid, txt, kind, *place in _candidates(session, _CHINESE_PREFIX, _CHINESE_WANTED, text, values,
                                                 pinyin=False):  # fmt: skip
        _keep(places, pid, place)
        if k == "s":
            match = "alias_exact" if kind == "alias" and txt == text else "substring"
        else:
            pair = ("exact", "prefix") if k == "n" else ("former_exact", "former_prefix")
            match = pair[0] if txt == text else pair[1]
        _add(hits, pid, match, txt, len(txt) - len(text))
    if _typo_wanted(hits, limit) and len(text) >= TYPO_MIN_HAN:
        for entry, score in _closest(_fuzzy(session, text, limit=fetch)):
            _add(hits, entry.place_id, "typo", entry.text, 0, bonus=(score - 60) / 4)


def _latin(session: Session, text: str, hits: dict, places: dict, limit: int) -> None:
    key = re.sub(r"[\s'’\-]", "", text.lower()).replace("ü", "v")
    if not key.isalnum():
        return
    fetch = max(limit * 3, 30)
    values = {"lo": key, "hi": key + "~", "n": fetch, "short": len(key) <= 12, "limit": limit}
    wanted = _LATIN_WANTED if len(key) >= 3 else None
    for k, pid, txt, _kind, *place in _candidates(session, _LATIN_PREFIX, wanted, key, values, pinyin=True):
        _keep(places, pid, place)
        if k == "s":
            match = "substring"
        else:
            pair = ("pinyin_exact", "pinyin_prefix") if k == "p" else ("initials_exact", "initials_prefix")
            match = pair[0] if txt == key else pair[1]
        _add(hits, pid, match, txt, len(txt) - len(key))
    if _typo_wanted(hits, limit) and len(key) >= 4:
        for entry, score in _closest(_fuzzy(session, key, pinyin=True, limit=fetch, cutoff=75)):
            _add(hits, entry.place_id, "typo", entry.pinyin, 0, bonus=(score - 75) / 2.5)


def _keep(places: dict, pid: int, place: list) -> None:
    """Record the display fields of a candidate's place (none: the place is gone)."""
    if place[0] is not None:
        places[pid] = place


def _from_places(places: dict, ids: list[int], filters: tuple) -> list[dict]:
    """Rows of ``ids`` passing the category, division and status filters, from the display fields
    read with the candidates (the same rules as :func:`_filtered`)."""
    category, division, status, _ = filters
    code = str(category) if category else None
    stem = division_stem(division) if division else None
    rows = []
    for pid in ids:
        place = places.get(pid)
        if place is None:
            continue
        name, romanized, category_code, division_code, place_status, lon, lat = place
        if code and not (category_code is not None and code <= category_code < code + "~"):
            continue
        if stem and not (division_code is not None and stem <= division_code < stem + "~"):
            continue
        if status and place_status != status:
            continue
        rows.append(_row_of({"id": pid, "name": name, "romanized": romanized, "category_code": category_code,
                             "division_code": division_code, "status": place_status, "lon": lon,
                             "lat": lat}))  # fmt: skip
    return rows


def _fuzzy(
    session: Session, query: str, *, pinyin: bool = False, limit: int = 50, cutoff: float = 60
) -> list[tuple[entries.Hit, float]]:
    """Entries similar to ``query`` (typos): ``(entry, score 0-100)``, best first."""
    found = entries.similar(session, query, pinyin=pinyin)
    pool = {hit.id: (hit.pinyin if pinyin else hit.text) for hit, _shared in found}
    by_id = {hit.id: hit for hit, _shared in found}
    scored = process.extract(
        query, pool, scorer=fuzz.WRatio, processor=None, score_cutoff=cutoff, limit=limit
    )
    return [(by_id[key], score) for _text, score, key in scored]


def _closest(scored: list[tuple[entries.Hit, float]]) -> list[tuple[entries.Hit, float]]:
    """The typo candidates scoring within :data:`TYPO_SPREAD` of the best one."""
    if not scored:
        return []
    best = max(score for _, score in scored)
    return [(hit, score) for hit, score in scored if score >= best - TYPO_SPREAD]


def _typo_wanted(hits: dict, limit: int) -> bool:
    """Typo matching only when nothing matched exactly and few names matched at all."""
    if len(hits) >= min(limit, TYPO_BELOW):
        return False
    return not any(kind.endswith("exact") for _, kind, _ in hits.values())


def _add(hits: dict, pid: int, kind: str, matched: str, extra_chars: int, bonus: float = 0.0) -> None:
    score = SCORES[kind] + bonus - min(max(extra_chars, 0) * 0.5, 10.0)
    if pid not in hits or hits[pid][0] < score:
        hits[pid] = (score, kind, matched)


def _category_label(code: str | None) -> str | None:
    return categories.label(code) if code in categories.CATEGORIES else None


def _describe(
    session: Session, ids: list[int], *, filters: tuple, near: tuple[float, float] | None
) -> list[dict]:
    """Rows of ``ids`` passing ``filters`` (with a bounding box or ``near``: spatial SQL)."""
    if not ids:
        return []
    point = func.ST_PointOnSurface(PlaceName.geom)
    columns = [
        PlaceName.id, PlaceName.name, PlaceName.romanized, PlaceName.category_code, PlaceName.division_code,
        PlaceName.status, cast(func.ST_X(point), Float).label("lon"), cast(func.ST_Y(point), Float).label("lat"),
    ]  # fmt: skip
    if near is not None:
        columns.append(_distance(near).label("distance_m"))
    stmt = _filtered(session, select(*columns).where(PlaceName.id.in_(ids)), filters)
    return [_row(r) for r in session.execute(stmt)]


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
        raise InvalidInput(f"division code {code!r} is not 12 digits", field="division")
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
    return _row_of(dict(r._mapping))


def _row_of(d: dict) -> dict:
    d["category_label"] = _category_label(d["category_code"])
    for key in ("lon", "lat"):
        if d.get(key) is not None:
            d[key] = round(float(d[key]), 6)
    if d.get("distance_m") is not None:
        d["distance_m"] = round(float(d["distance_m"]), 1)
    return d


def _validate_filters(*, category, bbox, near) -> None:
    if category is not None and str(category) not in categories.CATEGORIES:
        raise InvalidInput(f"unknown category {category!r}", field="category")
    if bbox is not None and (len(bbox) != 4 or not (bbox[0] < bbox[2] and bbox[1] < bbox[3])):
        raise InvalidInput(f"bbox {bbox!r} must be (min_lon, min_lat, max_lon, max_lat)", field="bbox")
    if near is not None and not in_extent(*near):
        if in_extent(near[1], near[0]):
            raise InvalidInput(f"point {near!r} looks like lat/lon swapped: give (lon, lat)", field="near")
        raise InvalidInput(f"point {near!r} lies outside Wuhai (EPSG:4490 lon/lat)", field="near")
