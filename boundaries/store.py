"""Database functions for boundary lines, markers, disputes and division events (rows <-> geometries)."""

from __future__ import annotations

from datetime import date

import geopandas as gpd
from geoalchemy2.shape import from_shape
from shapely.geometry import MultiLineString
from shapely.geometry import MultiPolygon
from shapely.geometry import Point
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.orm import Session

from boundaries.divisions import get_division
from boundaries.lines import LINE_FIELDS
from boundaries.markers import STATUSES
from boundaries.markers import check_line_offset
from boundaries.markers import check_values
from boundaries.markers import line_offset_m
from boundaries.markers import validate_number
from boundaries.models import BoundaryLine
from boundaries.models import BoundaryMarker
from boundaries.models import Dispute
from boundaries.models import DivisionEvent
from gis.crs import STORAGE_SRID
from gis.crs import in_extent
from gis.dialects import bbox_filter
from gis.errors import Conflict
from gis.errors import Forbidden
from gis.errors import InvalidInput
from gis.errors import NotFound
from gis.history import record
from gis.history import snapshot
from gis.rows import check_version
from gis.rows import flush_or_conflict
from gis.rows import geometry_of
from gis.rows import get_or_raise
from gis.rows import rows_to_gdf

#: Roles allowed to see and edit the disputes register (admin holds every role).
DISPUTE_ROLES = ("boundary_inspector", "admin")
EVENTS = ("created", "renamed", "merged", "split", "abolished", "recoded", "reshaped")


# -- geometry helpers ---------------------------------------------------------------------------


def to_db_geom(geom: BaseGeometry):
    """A shapely geometry as a column value in the storage SRID."""
    return from_shape(geom, srid=STORAGE_SRID)


def point_lonlat(lon: float, lat: float, *, what: str = "point") -> Point:
    """A CGCS2000 point, refusing non-numbers, swapped axes and places far from Wuhai."""
    try:
        lon, lat = float(lon), float(lat)
    except (TypeError, ValueError):
        raise InvalidInput(
            f"{what}: coordinates must be numbers, got {lon!r}, {lat!r}", field="lon"
        ) from None
    if not in_extent(lon, lat):
        if in_extent(lat, lon):
            raise InvalidInput(f"{what}: longitude and latitude look swapped ({lon}, {lat})", field="lon")
        raise InvalidInput(
            f"{what}: ({lon}, {lat}) is outside the Wuhai area (EPSG:4490 lon/lat expected)", field="lon"
        )
    return Point(lon, lat)


# -- division history ---------------------------------------------------------------------------


def division_events(session: Session, *, code: str | None = None) -> list[dict]:
    """Dated division events, oldest first (optionally of one division, as subject or related unit)."""
    q = select(DivisionEvent).order_by(DivisionEvent.event_date, DivisionEvent.id)
    events = list(session.scalars(q))
    if code:
        events = [e for e in events if e.division_code == code or code in (e.related_codes or [])]
    cols = [
        "id",
        "event_date",
        "event",
        "division_code",
        "old_name",
        "new_name",
        "related_codes",
        "document",
        "note",
        "source",
    ]
    return [{c: getattr(e, c) for c in cols} for e in events]


def add_division_event(
    session: Session,
    *,
    actor: str,
    event_date: date,
    event: str,
    division_code: str,
    old_name: str | None = None,
    new_name: str | None = None,
    related_codes: list[str] | None = None,
    document: str | None = None,
    note: str | None = None,
    source: str = "manual",
    apply: bool = True,
) -> DivisionEvent:
    """Record a dated change; with ``apply`` also close/open the divisions' validity.

    ``abolished``/``merged`` set the division's ``valid_to``; ``created`` sets ``valid_from``;
    ``renamed`` sets the new name.
    """
    if event not in EVENTS:
        raise InvalidInput(f"event must be one of {', '.join(EVENTS)}, got {event!r}", field="event")
    if not isinstance(event_date, date):
        raise InvalidInput(f"event_date must be a date, got {event_date!r}", field="event_date")
    div = get_division(session, division_code) if apply else None
    ev = DivisionEvent(
        event_date=event_date,
        event=event,
        division_code=division_code,
        old_name=old_name,
        new_name=new_name,
        related_codes=list(related_codes or []),
        document=document,
        note=note,
        author=actor,
        source=source,
    )
    session.add(ev)
    if apply and div is not None:
        before = snapshot(div)
        if event in ("abolished", "merged"):
            div.valid_to = event_date
        elif event == "created":
            div.valid_from = event_date
        elif event == "renamed" and new_name:
            div.name = new_name
        session.flush()
        record(
            session,
            actor=actor,
            action="update",
            obj=div,
            before=before,
            reason=f"{event} {event_date}",
            document=document,
        )
    session.flush()
    record(session, actor=actor, action="insert", obj=ev, document=document)
    return ev


# -- lines --------------------------------------------------------------------------------------


LINE_COLUMNS = [
    "id",
    *LINE_FIELDS,
    "last_inspection_year",
    "inspection_cycle_years",
    "source",
]


def lines_gdf(session: Session, *, bbox: tuple[float, float, float, float] | None = None) -> gpd.GeoDataFrame:
    """Boundary lines (all, or those meeting a lon/lat box via the spatial index) in EPSG:4490."""
    q = select(BoundaryLine).order_by(BoundaryLine.code)
    if bbox is not None:
        q = q.where(bbox_filter(session, BoundaryLine.__table__, bbox))
    rows = [
        {**{c: getattr(r, c) for c in LINE_COLUMNS}, "geometry": geometry_of(r)} for r in session.scalars(q)
    ]
    return rows_to_gdf(rows, LINE_COLUMNS)


def line_by_code(session: Session, code: str) -> BoundaryLine:
    """One section by its code, or all-in-one error naming the known codes."""
    line = session.scalar(select(BoundaryLine).where(BoundaryLine.code == code))
    if line is None:
        known = ", ".join(session.scalars(select(BoundaryLine.code)))
        raise NotFound(f"no boundary line {code!r}; known: {known}", field="line")
    return line


def lines_of(session: Session, line_code: str) -> list[BoundaryLine]:
    """The sections of a line (by GB/T line code, e.g. ``1564``) or one section by its own code."""
    rows = list(
        session.scalars(
            select(BoundaryLine).where(BoundaryLine.line_code == line_code).order_by(BoundaryLine.code)
        )
    )
    return rows or [line_by_code(session, line_code)]


def save_line(
    session: Session,
    *,
    actor: str,
    values: dict,
    geometry: BaseGeometry | None = None,
    reason: str | None = None,
) -> BoundaryLine:
    """Insert a line or update the one with the same party pair (codes, names, level, agreement, length)."""
    left, right = sorted([values["left_code"], values["right_code"]])
    line = session.scalar(
        select(BoundaryLine).where(
            or_(
                (BoundaryLine.left_code == left) & (BoundaryLine.right_code == right),
                (BoundaryLine.left_code == right) & (BoundaryLine.right_code == left),
            )
        )
    )
    fields = {k: values[k] for k in LINE_FIELDS if k in values}
    if geometry is not None and not isinstance(geometry, MultiLineString):
        geometry = MultiLineString([geometry])
    if line is None:
        if geometry is None:
            raise InvalidInput(f"line {values.get('code')}: a new line needs a geometry", field="geometry")
        line = BoundaryLine(
            **fields, geom=to_db_geom(geometry), author=actor, source=values.get("source", "manual")
        )
        session.add(line)
        flush_or_conflict(session, f"boundary line {fields.get('code')}")
        record(session, actor=actor, action="insert", obj=line, reason=reason)
        return line
    changed = {k: v for k, v in fields.items() if getattr(line, k) != v}
    if not changed and geometry is None:
        return line
    before = snapshot(line)
    for k, v in changed.items():
        setattr(line, k, v)
    if geometry is not None:
        line.geom = to_db_geom(geometry)
    line.author = actor
    flush_or_conflict(session, line)
    record(session, actor=actor, action="update", obj=line, before=before, reason=reason)
    return line


# -- markers ------------------------------------------------------------------------------------


MARKER_COLUMNS = [
    "id",
    "number",
    "line_id",
    "seq",
    "marker_type",
    "group_key",
    "side_code",
    "material",
    "elevation_m",
    "reference_objects",
    "photos",
    "status",
    "smart",
    "public",
    "source",
    "version",
]


def markers_gdf(
    session: Session,
    *,
    line_ids: list[int] | None = None,
    public_only: bool = False,
    bbox: tuple[float, float, float, float] | None = None,
) -> gpd.GeoDataFrame:
    """Markers (optionally of some line sections, or in a lon/lat box via the spatial index), by number."""
    q = select(BoundaryMarker).order_by(BoundaryMarker.number)
    if bbox is not None:
        q = q.where(bbox_filter(session, BoundaryMarker.__table__, bbox))
    if line_ids is not None:
        q = q.where(BoundaryMarker.line_id.in_(line_ids))
    if public_only:
        q = q.where(BoundaryMarker.public.is_(True))
    rows = [
        {**{c: getattr(m, c) for c in MARKER_COLUMNS}, "geometry": geometry_of(m)} for m in session.scalars(q)
    ]
    return rows_to_gdf(rows, MARKER_COLUMNS)


def marker_by_number(session: Session, number: str) -> BoundaryMarker:
    """A marker by its number, or :class:`NotFound`."""
    m = session.scalar(select(BoundaryMarker).where(BoundaryMarker.number == number.strip().upper()))
    if m is None:
        raise NotFound(f"no boundary marker {str(number)[:30]!r}", field="marker")
    return m


def add_marker(
    session: Session,
    *,
    actor: str,
    number: str,
    line_id: int,
    lon: float,
    lat: float,
    side_code: str | None = None,
    material: str | None = None,
    elevation_m: float | None = None,
    reference_objects: list[dict] | None = None,
    photos: list[str] | None = None,
    status: str = "intact",
    smart: bool = False,
    public: bool = True,
    source: str = "manual",
    justification: str | None = None,
) -> BoundaryMarker:
    """Add a marker; its number is validated against GB/T 17796 and the line's code.

    A marker farther than :data:`~boundaries.markers.MAX_LINE_OFFSET_M` from its line is refused
    unless ``justification`` says why; the justification is kept in the marker's history.
    """
    line = get_or_raise(session, BoundaryLine, line_id, what="boundary line")
    parsed = validate_number(number, line_code=line.line_code or line.code)
    if status not in STATUSES:
        raise InvalidInput(f"marker {number}: status must be one of {', '.join(STATUSES)}", field="status")
    if parsed.marker_type in ("A", "B") and not side_code:
        raise InvalidInput(
            f"marker {number}: a twin marker needs side_code (the division it stands in)", field="side_code"
        )
    checked = check_values({"side_code": side_code, "material": material, "elevation_m": elevation_m})
    side_code, material, elevation_m = checked["side_code"], checked["material"], checked["elevation_m"]
    refs = [_reference_object(number, r) for r in (reference_objects or [])]
    point = point_lonlat(lon, lat, what=f"marker {number}")
    line_geom = geometry_of(line)
    offset = line_offset_m(point, line_geom) if line_geom is not None else 0.0
    justification = check_line_offset(str(parsed), offset, justification=justification)
    marker = BoundaryMarker(
        number=str(parsed),
        line_id=line_id,
        seq=parsed.seq,
        marker_type=parsed.marker_type,
        group_key=None if parsed.marker_type == "Q" else parsed.group_key,
        side_code=side_code,
        material=material,
        elevation_m=elevation_m,
        reference_objects=refs,
        photos=list(photos or []),
        status=status,
        smart=smart,
        public=public,
        geom=to_db_geom(point),
        author=actor,
        source=source,
    )
    session.add(marker)
    flush_or_conflict(session, f"boundary marker {parsed}")
    reason = f"{offset:.0f} m from its line: {justification}" if justification else None
    record(session, actor=actor, action="insert", obj=marker, reason=reason)
    return marker


def update_marker(
    session: Session,
    *,
    actor: str,
    number: str,
    expected_version: int | None = None,
    reason: str | None = None,
    **changes,
) -> BoundaryMarker:
    """Change a marker's status, material, elevation, photos, reference objects or position (lon/lat)."""
    marker = marker_by_number(session, number)
    check_version(marker, expected_version)
    before = snapshot(marker)
    allowed = {
        "status",
        "material",
        "elevation_m",
        "photos",
        "reference_objects",
        "public",
        "smart",
        "lon",
        "lat",
    }
    unknown = set(changes) - allowed
    if unknown:
        raise InvalidInput(f"marker {number}: cannot change {', '.join(sorted(unknown))}")
    if "status" in changes and changes["status"] not in STATUSES:
        raise InvalidInput(f"marker {number}: status must be one of {', '.join(STATUSES)}", field="status")
    if ("lon" in changes) != ("lat" in changes):
        raise InvalidInput(f"marker {number}: give both lon and lat", field="lon")
    if "lon" in changes:
        point = point_lonlat(changes.pop("lon"), changes.pop("lat"), what=f"marker {number}")
        line_geom = geometry_of(get_or_raise(session, BoundaryLine, marker.line_id, what="boundary line"))
        if line_geom is not None:
            check_line_offset(number, line_offset_m(point, line_geom), justification=reason)
        marker.geom = to_db_geom(point)
    if "reference_objects" in changes:
        changes["reference_objects"] = [_reference_object(number, r) for r in changes["reference_objects"]]
    changes = check_values(changes)
    for k, v in changes.items():
        setattr(marker, k, v)
    marker.author = actor
    flush_or_conflict(session, marker)
    record(session, actor=actor, action="update", obj=marker, before=before, reason=reason)
    return marker


def _reference_object(number: str, ref: dict) -> dict:
    """Validate a 方位物: name, bearing (0–360°) and distance (m)."""
    try:
        name = str(ref["name"]).strip()
        bearing = float(ref["bearing_deg"])
        distance = float(ref["distance_m"])
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidInput(
            f"marker {number}: a reference object needs name, bearing_deg and distance_m ({exc})",
            field="reference_objects",
        ) from None
    if not name or len(name) > 100 or any(ord(ch) < 32 for ch in name):
        raise InvalidInput(
            f"marker {number}: reference object name must be 1–100 printable characters",
            field="reference_objects",
        )
    if not 0 <= bearing < 360 or not 0 < distance <= 5000:
        raise InvalidInput(
            f"marker {number}: reference object bearing 0–360° and distance 0–5000 m expected",
            field="reference_objects",
        )
    return {"name": name, "bearing_deg": round(bearing, 2), "distance_m": round(distance, 2)}


# -- disputes -----------------------------------------------------------------------------------


DISPUTE_COLUMNS = [
    "id",
    "title",
    "line_id",
    "parties",
    "status",
    "documents",
    "actions",
    "description",
    "source",
    "version",
]
DISPUTE_STATUSES = ("open", "negotiating", "resolved", "closed")


def _authorise(viewer_roles: tuple[str, ...] | list[str] | set[str] | frozenset[str]) -> None:
    if not set(viewer_roles) & set(DISPUTE_ROLES):
        raise Forbidden("the disputes register is visible only to boundary inspectors and administrators")


def list_disputes(session: Session, *, viewer_roles) -> gpd.GeoDataFrame:
    """Disputes for a viewer holding one of :data:`DISPUTE_ROLES` (else :class:`Forbidden`)."""
    _authorise(viewer_roles)
    rows = [
        {**{c: getattr(d, c) for c in DISPUTE_COLUMNS}, "geometry": geometry_of(d)}
        for d in session.scalars(select(Dispute).order_by(Dispute.id))
    ]
    return rows_to_gdf(rows, DISPUTE_COLUMNS)


def add_dispute(
    session: Session,
    *,
    actor: str,
    viewer_roles,
    title: str,
    parties: list[str],
    geometry: BaseGeometry,
    line_id: int | None = None,
    description: str | None = None,
    documents: list[str] | None = None,
    status: str = "open",
    source: str = "manual",
) -> Dispute:
    """Register a disputed area (polygon) or line section (line)."""
    _authorise(viewer_roles)
    title = _dispute_title(title)
    _check_dispute_geometry(title, geometry)
    parties = _dispute_parties(parties)
    if status not in DISPUTE_STATUSES:
        raise InvalidInput(
            f"dispute {title[:30]!r}: status must be one of {DISPUTE_STATUSES}", field="status"
        )
    d = Dispute(
        title=title,
        line_id=line_id,
        parties=list(parties),
        status=status,
        documents=list(documents or []),
        actions=[],
        description=description,
        geom=to_db_geom(geometry),
        author=actor,
        source=source,
    )
    session.add(d)
    flush_or_conflict(session, f"dispute {title[:30]!r}")
    record(session, actor=actor, action="insert", obj=d)
    return d


def dispute_action(
    session: Session,
    *,
    actor: str,
    viewer_roles,
    dispute_id: int,
    action: str,
    on: date,
    status: str | None = None,
    document: str | None = None,
    expected_version: int | None = None,
) -> Dispute:
    """Append an action (meeting, survey, agreement...) to a dispute, optionally changing its status."""
    _authorise(viewer_roles)
    d = get_or_raise(session, Dispute, dispute_id)
    check_version(d, expected_version)
    if d.status == "closed" and status != "open":
        raise Conflict(f"dispute {dispute_id} is closed: reopen it (status open) to record more")
    if status is not None and status not in DISPUTE_STATUSES:
        raise InvalidInput(f"dispute {dispute_id}: status must be one of {DISPUTE_STATUSES}", field="status")
    before = snapshot(d)
    d.actions = [*d.actions, {"date": on.isoformat(), "action": action, "by": actor}]
    if document:
        d.documents = [*d.documents, document]
    if status:
        d.status = status
    flush_or_conflict(session, d)
    record(session, actor=actor, action="update", obj=d, before=before, reason=action, document=document)
    return d


def update_dispute(
    session: Session,
    *,
    actor: str,
    viewer_roles,
    dispute_id: int,
    expected_version: int | None,
    reason: str,
    title: str | None = None,
    parties: list[str] | None = None,
    description: str | None = None,
    geometry: BaseGeometry | None = None,
) -> Dispute:
    """Change a dispute's title, parties, description or geometry (stale version refused, history kept)."""
    _authorise(viewer_roles)
    d = get_or_raise(session, Dispute, dispute_id)
    check_version(d, expected_version)
    before = snapshot(d)
    if title is not None:
        d.title = _dispute_title(title)
    if parties is not None:
        d.parties = _dispute_parties(parties)
    if description is not None:
        d.description = description.strip() or None
    if geometry is not None:
        _check_dispute_geometry(d.title, geometry)
        d.geom = to_db_geom(geometry)
    flush_or_conflict(session, d)
    record(session, actor=actor, action="update", obj=d, before=before, reason=reason)
    return d


def _dispute_title(title: str) -> str:
    title = (title or "").strip()
    if not title or len(title) > 200:
        raise InvalidInput("a dispute needs a title of 1–200 characters", field="title")
    return title


def _dispute_parties(parties: list[str]) -> list[str]:
    out = [p.strip() for p in parties if p and p.strip()]
    if len(set(out)) < 2:
        raise InvalidInput("a dispute needs at least two different parties", field="parties")
    return list(dict.fromkeys(out))


def _check_dispute_geometry(title: str, geometry: BaseGeometry) -> None:
    if (
        not isinstance(geometry, Polygon | MultiPolygon | MultiLineString)
        and geometry.geom_type != "LineString"
    ):
        raise InvalidInput(
            f"dispute {title[:30]!r}: geometry must be a polygon or a line section", field="geometry"
        )
    if not geometry.is_valid or geometry.is_empty:
        raise InvalidInput(f"dispute {title[:30]!r}: invalid geometry", field="geometry")
    minx, miny, maxx, maxy = geometry.bounds
    if not (in_extent(minx, miny) and in_extent(maxx, maxy)):
        raise InvalidInput(
            f"dispute {title[:30]!r}: geometry lies outside Wuhai and its neighbours (lon/lat, EPSG:4490)",
            field="geometry",
        )
