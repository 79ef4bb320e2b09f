"""The standard place-name registry: naming procedure, renaming, retirement and history.

Life cycle: proposed → under_review → approved → announced → retired (with successor).
Every action is written to the append-only ``name_event`` table (who, when, what, why,
document, rule findings) and to the audit log (:func:`gis.history.record`). Writes check the
optimistic-lock ``version`` (pass ``expected_version``) and raise :class:`ConflictError` when
the row changed meanwhile.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
from geoalchemy2.shape import from_shape
from geoalchemy2.shape import to_shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from boundaries.models import Division
from gis import history
from gis.crs import STORAGE_SRID
from gis.crs import in_extent
from placenames import categories
from placenames import rules
from placenames.models import FormerName
from placenames.models import NameEvent
from placenames.models import PlaceName
from placenames.romanize import initials
from placenames.romanize import pinyin_key
from placenames.romanize import romanize
from placenames.romanize import split_name
from placenames.romanize import validate_override

#: Allowed transitions of the naming procedure.
TRANSITIONS = {
    "proposed": {"under_review", "retired"},
    "under_review": {"approved", "proposed", "retired"},
    "approved": {"announced", "retired"},
    "announced": {"retired"},
    "retired": set(),
}
#: Descriptive fields :func:`update` edits (the name itself changes only by :func:`rename`).
EDITABLE = (
    "meaning",
    "history",
    "location_desc",
    "aliases",
    "mongolian",
    "mongolian_source",
    "division_code",
)
_TEXT_LIMITS = {
    "meaning": 4000,
    "history": 8000,
    "location_desc": 1000,
    "mongolian": 200,
    "mongolian_source": 200,
}


class NamingError(ValueError):
    """A naming action that the procedure or the data does not allow."""


class RuleViolation(NamingError):
    """Approval or renaming stopped by rule findings (blocking, or warnings without justification)."""

    def __init__(self, message: str, findings: list[rules.Finding]):
        super().__init__(message)
        self.findings = findings


class ConflictError(RuntimeError):
    """The row was changed by someone else since it was read (optimistic lock)."""


def propose(
    session: Session,
    *,
    actor: str,
    name: str,
    category_code: str,
    division_code: str | None = None,
    geom: BaseGeometry | None = None,
    romanized: str | None = None,
    romanized_reason: str | None = None,
    meaning: str | None = None,
    history_text: str | None = None,
    location_desc: str | None = None,
    aliases: list[str] | None = None,
    mongolian: str | None = None,
    mongolian_source: str | None = None,
    reason: str | None = None,
    document: str | None = None,
    source: str = "manual",
) -> PlaceName:
    """Register a proposed name (申报) and record the rule findings.

    Raises
    ------
    NamingError
        On an invalid name, category, geometry or romanization override.
    """
    name = _clean_name(name)
    categories.get(category_code)
    parts = split_name(name, category=category_code)
    generic = parts.generic.replace(" ", "") if parts.generic else None
    pn = PlaceName(
        name=name,
        proper_part=name[: len(name) - len(generic)] if generic else name,
        generic_part=generic,
        category_code=category_code,
        division_code=division_code,
        status="proposed",
        aliases=_clean_aliases(aliases),
        author=actor,
        source=source,
    )
    _set_romanization(pn, romanized, romanized_reason)
    _set_text(pn, meaning=meaning, history=history_text, location_desc=location_desc)
    _set_text(pn, mongolian=mongolian, mongolian_source=mongolian_source)
    if geom is not None:
        pn.geom = _geom(geom)
    findings = check(session, name=name, category_code=category_code, division_code=division_code)
    session.add(pn)
    session.flush()
    _event(
        session, pn, actor, "propose", None, "proposed", {"name": [None, name]}, reason, document, findings
    )
    history.record(session, actor=actor, action="insert", obj=pn, reason=reason, document=document)
    return pn


def check(
    session: Session,
    *,
    name: str,
    category_code: str,
    division_code: str | None,
    self_id: int | None = None,
) -> list[rules.Finding]:
    """Run the rule checks for ``name`` against the names in its scope."""
    bad = rules.check_characters(name)
    if bad:
        return [bad]
    return rules.check_name(
        name,
        category_code=category_code,
        in_scope=names_in_scope(session, name=name, category_code=category_code, division_code=division_code),
        self_id=self_id,
    )


def names_in_scope(
    session: Session, *, name: str, category_code: str, division_code: str | None
) -> list[dict]:
    """Names of the same major class in the category's scope with the same name or pinyin."""
    scope = categories.scope_of(category_code)
    major = categories.get(category_code).major
    stmt = select(
        PlaceName.id, PlaceName.name, PlaceName.category_code, PlaceName.status, PlaceName.division_code
    ).where(
        PlaceName.category_code >= major,
        PlaceName.category_code < major[:1] + chr(ord(major[1]) + 1),
        or_(PlaceName.name == name, PlaceName.pinyin_key == pinyin_key(name)),
    )
    prefix = {"district": 6, "town": 9}.get(scope)
    if prefix and division_code:
        stem = division_code[:prefix]
        stmt = stmt.where(PlaceName.division_code >= stem, PlaceName.division_code < stem + "~")
    return [dict(r._mapping) for r in session.execute(stmt)]


def review(session: Session, place_id: int, *, actor: str, expected_version: int | None = None,
           reason: str | None = None) -> PlaceName:  # fmt: skip
    """Start the review (审核) of a proposed name; findings are re-run and recorded."""
    pn = _get_for_update(session, place_id, expected_version)
    findings = check(
        session, name=pn.name, category_code=pn.category_code, division_code=pn.division_code, self_id=pn.id
    )
    return _transition(session, pn, actor, "review", "under_review", reason=reason, findings=findings)


def approve(
    session: Session,
    place_id: int,
    *,
    actor: str,
    authority: str,
    document: str,
    approval_date: date,
    justification: str | None = None,
    expected_version: int | None = None,
) -> PlaceName:
    """Approve (批准) a name under review.

    Raises
    ------
    RuleViolation
        When a blocking finding remains, or warnings exist and no ``justification`` is given.
    """
    pn = _get_for_update(session, place_id, expected_version)
    if not authority or not document:
        raise NamingError("approval needs the approving authority and the document number")
    findings = check(
        session, name=pn.name, category_code=pn.category_code, division_code=pn.division_code, self_id=pn.id
    )
    _enforce(findings, justification, action="approve")
    pn.approving_authority = _limit(authority, 100, "authority")
    pn.approval_doc_no = _limit(document, 100, "document")
    pn.approval_date = approval_date
    return _transition(session, pn, actor, "approve", "approved", reason=justification, document=document,
                       findings=findings)  # fmt: skip


def announce(session: Session, place_id: int, *, actor: str, announcement_date: date,
             document: str | None = None, expected_version: int | None = None) -> PlaceName:  # fmt: skip
    """Announce (公告) an approved name."""
    pn = _get_for_update(session, place_id, expected_version)
    pn.announcement_date = announcement_date
    return _transition(session, pn, actor, "announce", "announced", document=document)


def rename(
    session: Session,
    place_id: int,
    *,
    actor: str,
    new_name: str,
    reason: str,
    document: str | None = None,
    effective: date | None = None,
    justification: str | None = None,
    romanized: str | None = None,
    romanized_reason: str | None = None,
    expected_version: int | None = None,
) -> PlaceName:
    """Rename (更名) a place: same identity, the old name becomes a searchable former name.

    Raises
    ------
    RuleViolation
        When the new name has blocking findings, or warnings without ``justification``.
    """
    pn = _get_for_update(session, place_id, expected_version)
    if pn.status == "retired":
        raise NamingError(f"#{pn.id} {pn.name} is retired and cannot be renamed")
    if not reason or not reason.strip():
        raise NamingError("a rename needs a reason")
    new_name = _clean_name(new_name)
    if new_name == pn.name:
        raise NamingError(f"#{pn.id} is already named {new_name}")
    findings = check(session, name=new_name, category_code=pn.category_code, division_code=pn.division_code,
                     self_id=pn.id)  # fmt: skip
    _enforce(findings, justification, action="rename")
    before = history.snapshot(pn)
    old_name, old_rom = pn.name, pn.romanized
    session.add(FormerName(place_name_id=pn.id, name=old_name, romanized=old_rom, valid_from=pn.approval_date,
                           valid_to=effective or date.today(), document=document, author=actor, source=pn.source))  # fmt: skip
    parts = split_name(new_name, category=pn.category_code)
    generic = parts.generic.replace(" ", "") if parts.generic else None
    pn.name = new_name
    pn.generic_part = generic
    pn.proper_part = new_name[: len(new_name) - len(generic)] if generic else new_name
    pn.romanized_override_reason = None
    _set_romanization(pn, romanized, romanized_reason)
    pn.author = actor
    _flush(session, pn)
    changes = {"name": [old_name, new_name], "romanized": [old_rom, pn.romanized]}
    _event(session, pn, actor, "rename", pn.status, pn.status, changes, reason, document, findings,
           justification=justification)  # fmt: skip
    history.record(
        session, actor=actor, action="update", obj=pn, before=before, reason=reason, document=document
    )
    return pn


def retire(session: Session, place_id: int, *, actor: str, reason: str, document: str | None = None,
           successor_id: int | None = None, expected_version: int | None = None) -> PlaceName:  # fmt: skip
    """Retire (注销) a name, optionally pointing to its successor."""
    if not reason or not reason.strip():
        raise NamingError("retirement needs a reason")
    pn = _get_for_update(session, place_id, expected_version)
    if successor_id is not None:
        successor = session.get(PlaceName, successor_id)
        if successor is None or successor.id == pn.id or successor.status == "retired":
            raise NamingError(f"successor #{successor_id} does not exist or is retired")
        pn.successor_id = successor_id
    return _transition(session, pn, actor, "retire", "retired", reason=reason, document=document)


def update(session: Session, place_id: int, *, actor: str, reason: str | None = None,
           expected_version: int | None = None, geom: BaseGeometry | None = None,
           romanized: str | None = None, romanized_reason: str | None = None, **fields: Any) -> PlaceName:  # fmt: skip
    """Edit descriptive attributes (meaning, history, location, aliases, Mongolian, division, geometry)."""
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise NamingError(f"cannot edit {sorted(unknown)} here (use rename for the name)")
    pn = _get_for_update(session, place_id, expected_version)
    before = history.snapshot(pn)
    if "aliases" in fields:
        fields["aliases"] = _clean_aliases(fields["aliases"])
    texts = {k: v for k, v in fields.items() if k in _TEXT_LIMITS}
    _set_text(pn, **texts)
    for key in ("aliases", "division_code"):
        if key in fields:
            setattr(pn, key, fields[key])
    if geom is not None:
        pn.geom = _geom(geom)
    if romanized is not None:
        _set_romanization(pn, romanized, romanized_reason)
    pn.author = actor
    _flush(session, pn)
    changes = history.diff(before, history.snapshot(pn))
    _event(session, pn, actor, "edit", pn.status, pn.status, changes, reason, None, [])
    history.record(session, actor=actor, action="update", obj=pn, before=before, reason=reason)
    return pn


def get(session: Session, place_id: int) -> PlaceName:
    """The place name with ``place_id`` (raises ``LookupError``)."""
    pn = session.get(PlaceName, place_id)
    if pn is None:
        raise LookupError(f"no place name #{place_id}")
    return pn


def find(session: Session, place_id: int) -> PlaceName | None:
    """The place name with ``place_id`` or ``None``."""
    return session.get(PlaceName, place_id)


def find_by_name(session: Session, name: str, *, division_code: str | None) -> PlaceName | None:
    """The current (not retired) name ``name`` in ``division_code``, or ``None``."""
    q = select(PlaceName).where(PlaceName.name == name, PlaceName.status != "retired")
    if division_code:
        q = q.where(PlaceName.division_code == division_code)
    return session.scalars(q.order_by(PlaceName.id).limit(1)).first()


def shape_of(pn: PlaceName) -> BaseGeometry | None:
    """The geometry of a place name as a shapely object (EPSG:4490), or ``None``."""
    return to_shape(pn.geom) if pn.geom is not None else None


def to_dict(session: Session, pn: PlaceName, *, with_history: bool = False) -> dict[str, Any]:
    """A JSON-ready view of a place name (geometry as GeoJSON-like WKT and a representative point)."""
    out = {k: v for k, v in history.snapshot(pn).items() if k != "geom"}
    out["category_label"] = categories.label(pn.category_code)
    if pn.geom is not None:
        shape = to_shape(pn.geom)
        point = shape.representative_point()
        out.update(geometry_type=shape.geom_type, wkt=shape.wkt, lon=round(point.x, 6), lat=round(point.y, 6))
    out["former_names"] = [
        {
            "name": f.name,
            "romanized": f.romanized,
            "valid_from": _iso(f.valid_from),
            "valid_to": _iso(f.valid_to),
            "document": f.document,
        }  # fmt: skip
        for f in session.scalars(
            select(FormerName).where(FormerName.place_name_id == pn.id).order_by(FormerName.id)
        )
    ]
    if with_history:
        out["history_events"] = events(session, pn.id)
    return out


def events(session: Session, place_id: int) -> list[dict[str, Any]]:
    """The append-only history of a place name, oldest first."""
    rows = session.scalars(
        select(NameEvent).where(NameEvent.place_name_id == place_id).order_by(NameEvent.id)
    )
    return [
        {
            "id": e.id,
            "at": _iso(e.at),
            "actor": e.actor,
            "action": e.action,
            "from_status": e.from_status,
            "to_status": e.to_status,
            "changes": e.changes,
            "reason": e.reason,
            "document": e.document,
            "findings": e.findings,
        }  # fmt: skip
        for e in rows
    ]


def _transition(session: Session, pn: PlaceName, actor: str, action: str, to_status: str, *,
                reason: str | None = None, document: str | None = None,
                findings: list[rules.Finding] | None = None) -> PlaceName:  # fmt: skip
    from_status = pn.status
    if to_status not in TRANSITIONS[from_status]:
        raise NamingError(f"#{pn.id} {pn.name}: cannot {action} a name that is {from_status}")
    before = history.snapshot(pn)
    pn.status = to_status
    pn.author = actor
    _flush(session, pn)
    _event(session, pn, actor, action, from_status, to_status, {"status": [from_status, to_status]}, reason,
           document, findings or [])  # fmt: skip
    history.record(
        session, actor=actor, action="update", obj=pn, before=before, reason=reason, document=document
    )
    return pn


def _event(session, pn, actor, action, from_status, to_status, changes, reason, document, findings,
           justification=None) -> NameEvent:  # fmt: skip
    if not actor:
        raise PermissionError("every write needs an authenticated actor")
    ev = NameEvent(place_name_id=pn.id, actor=actor, action=action, from_status=from_status, to_status=to_status,
                   changes=changes, reason=_limit(justification or reason, 4000, "reason"),
                   document=_limit(document, 200, "document"),
                   findings=[f.to_dict() for f in findings])  # fmt: skip
    session.add(ev)
    session.flush()
    return ev


def _enforce(findings: list[rules.Finding], justification: str | None, *, action: str) -> None:
    block = rules.blocking(findings)
    if block:
        raise RuleViolation(f"cannot {action}: " + "; ".join(f.message for f in block), block)
    warn = rules.warnings(findings)
    if warn and not (justification and justification.strip()):
        raise RuleViolation(
            f"cannot {action} without a recorded justification for: " + "; ".join(f.message for f in warn),
            warn,
        )


def _get_for_update(session: Session, place_id: int, expected_version: int | None) -> PlaceName:
    pn = get(session, place_id)
    if expected_version is not None and pn.version != expected_version:
        raise ConflictError(
            f"place name #{place_id} was changed meanwhile (version {pn.version}, you edited {expected_version}); "
            "reload and retry"
        )
    return pn


def _flush(session: Session, pn: PlaceName) -> None:
    try:
        session.flush()
    except StaleDataError as exc:
        raise ConflictError(f"place name #{pn.id} was changed meanwhile; reload and retry") from exc


def _set_romanization(pn: PlaceName, override: str | None, reason: str | None) -> None:
    auto = romanize(pn.name, category=pn.category_code)
    if override is not None and override.strip() and override.strip() != auto:
        problems = validate_override(pn.name, override, reason=reason)
        if problems:
            raise NamingError(f"romanization override for {pn.name}: " + "; ".join(problems))
        pn.romanized = override.strip()
        pn.romanized_override_reason = reason.strip() if reason else None
    elif override is None and pn.romanized_override_reason and pn.romanized:
        pass  # keep an existing, validated override
    else:
        pn.romanized = auto
        pn.romanized_override_reason = None
    pn.pinyin_key = pinyin_key(pn.name)
    pn.initials = initials(pn.name)


def _clean_name(name: str) -> str:
    if not isinstance(name, str):
        raise NamingError("the name must be text")
    name = name.strip()
    bad = rules.check_characters(name)
    if bad:
        raise NamingError(bad.message)
    if len(name) > 100:
        raise NamingError(f"name of {len(name)} characters is longer than 100")
    return name


def _clean_aliases(aliases: list[str] | None) -> list[str]:
    out: list[str] = []
    for alias in aliases or []:
        alias = _clean_name(alias)
        if alias not in out:
            out.append(alias)
    return out


def _set_text(pn: PlaceName, **values: str | None) -> None:
    for key, value in values.items():
        if value is None:
            continue
        if not isinstance(value, str):
            raise NamingError(f"{key} must be text")
        if any(ord(ch) < 32 and ch not in "\n\t" for ch in value):
            raise NamingError(f"{key} contains control characters")
        setattr(pn, key, _limit(value.strip(), _TEXT_LIMITS[key], key) or None)


def _limit(value: str | None, size: int, what: str) -> str | None:
    if value is not None and len(value) > size:
        raise NamingError(f"{what} is longer than {size} characters")
    return value


def _geom(geom: BaseGeometry):
    if not isinstance(geom, BaseGeometry):
        raise NamingError("geometry must be a shapely geometry in EPSG:4490")
    if geom.is_empty or not geom.is_valid:
        raise NamingError(f"invalid geometry ({geom.geom_type})")
    minx, miny, maxx, maxy = geom.bounds
    if not (in_extent(minx, miny) and in_extent(maxx, maxy)):
        if in_extent(miny, minx) and in_extent(maxy, maxx):
            raise NamingError("geometry looks like lat/lon swapped: give lon/lat (x=lon, y=lat) in EPSG:4490")
        raise NamingError(f"geometry {geom.bounds} lies outside Wuhai and its neighbours (EPSG:4490 lon/lat)")
    return from_shape(geom, srid=STORAGE_SRID)


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def names_gdf(
    session: Session,
    *,
    statuses: tuple[str, ...] = ("approved", "announced"),
    category_prefix: str | None = None,
) -> gpd.GeoDataFrame:
    """Standard names with geometry (EPSG:4490) for maps, the gazetteer and exports, ordered by id."""
    q = select(
        PlaceName.id, PlaceName.name, PlaceName.romanized, PlaceName.category_code, PlaceName.division_code,
        PlaceName.status, PlaceName.meaning, PlaceName.history, PlaceName.location_desc, PlaceName.aliases,
        PlaceName.mongolian, PlaceName.approving_authority, PlaceName.approval_doc_no, PlaceName.approval_date,
        PlaceName.announcement_date, PlaceName.source, func.ST_AsBinary(PlaceName.geom).label("wkb"),
    ).where(PlaceName.status.in_(statuses))  # fmt: skip
    if category_prefix:
        q = q.where(
            PlaceName.category_code >= category_prefix, PlaceName.category_code < category_prefix + "~"
        )
    frame = pd.DataFrame([dict(r._mapping) for r in session.execute(q.order_by(PlaceName.id))])
    if frame.empty:
        return gpd.GeoDataFrame(columns=["id", "name", "geometry"], geometry="geometry", crs=STORAGE_SRID)
    geoms = shapely.from_wkb([bytes(w) if w is not None else None for w in frame.pop("wkb")])
    return gpd.GeoDataFrame(frame, geometry=geoms, crs=STORAGE_SRID)


def former_names_frame(session: Session) -> pd.DataFrame:
    """Former names (place_name_id, name, valid_from, valid_to, document), oldest first."""
    q = select(FormerName.place_name_id, FormerName.name, FormerName.valid_from, FormerName.valid_to,
               FormerName.document).order_by(FormerName.id)  # fmt: skip
    return pd.DataFrame(
        session.execute(q).all(), columns=["place_name_id", "name", "valid_from", "valid_to", "document"]
    )


def divisions_gdf(
    session: Session, *, levels: tuple[str, ...] = ("city", "district", "town")
) -> gpd.GeoDataFrame:
    """Divisions of ``levels`` (code, name, level, in_wuhai, geometry in EPSG:4490) for the maps."""
    q = select(Division.code, Division.name, Division.level, Division.in_wuhai,
               func.ST_AsBinary(Division.geom).label("wkb")).where(Division.level.in_(levels))  # fmt: skip
    frame = pd.DataFrame([dict(r._mapping) for r in session.execute(q.order_by(Division.code))])
    if frame.empty:
        return gpd.GeoDataFrame(
            columns=["code", "name", "level", "geometry"], geometry="geometry", crs=STORAGE_SRID
        )
    geoms = shapely.from_wkb([bytes(w) if w is not None else None for w in frame.pop("wkb")])
    return gpd.GeoDataFrame(frame, geometry=geoms, crs=STORAGE_SRID)
