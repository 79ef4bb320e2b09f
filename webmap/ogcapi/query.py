"""Items queries of OGC API - Features: parameters, CRS (Part 2), bbox, datetime, property and CQL2 filters (Part 3)."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import date
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Date
from sqlalchemy import DateTime
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from gis.dialects import bbox_count
from gis.dialects import bbox_filter
from gis.rows import MAX_INT32
from gis.rows import MAX_INT64
from gis.rows import to_jsonable
from webmap.ogcapi import cql2
from webmap.ogcapi.collections import Collection
from webmap.spatial import bounds

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG4490 = "http://www.opengis.net/def/crs/EPSG/0/4490"
SUPPORTED_CRS = (CRS84, EPSG4490)
RESERVED = {
    "bbox",
    "bbox-crs",
    "crs",
    "limit",
    "offset",
    "datetime",
    "f",
    "filter",
    "filter-lang",
    "filter-crs",
}


class BadRequest(ValueError):
    """A query parameter the API cannot accept (HTTP 400, OGC code ``InvalidParameterValue``)."""


@dataclass
class ItemsQuery:
    """Parsed items parameters."""

    limit: int
    offset: int = 0
    bbox: tuple[float, float, float, float] | None = None
    crs: str = CRS84
    datetime: tuple[Any, Any] | None = None
    filters: dict[str, Any] = field(default_factory=dict)
    cql: dict[str, Any] | None = None  # a CQL2 filter as CQL2 JSON (webmap.ogcapi.cql2)
    filter_crs: str = CRS84

    @property
    def filtered(self) -> bool:
        """Whether anything narrows the collection (then no typed-first order, counts in SQL)."""
        return (
            self.bbox is not None or self.datetime is not None or bool(self.filters) or self.cql is not None
        )


def parse_crs(value: str | None, *, name: str = "crs") -> str:
    if not value:
        return CRS84
    v = value.strip().strip("[]")
    aliases = {"EPSG:4490": EPSG4490, "CRS84": CRS84, "OGC:CRS84": CRS84}
    v = aliases.get(v, v)
    if v not in SUPPORTED_CRS:
        raise BadRequest(f"{name} {value!r} is not supported; use {CRS84} or {EPSG4490}")
    return v


def parse_items(coll: Collection, args: dict[str, str], *, default_limit: int, max_limit: int) -> ItemsQuery:
    """Validate the query string of ``/collections/{id}/items``."""
    unknown = [k for k in args if k not in RESERVED and k not in coll.properties]
    if unknown:
        raise BadRequest(f"unknown query parameter(s): {', '.join(sorted(unknown))}")
    limit = _integer(args.get("limit", default_limit), "limit", minimum=1)
    offset = _integer(args.get("offset", 0), "offset", minimum=0)
    q = ItemsQuery(limit=min(limit, max_limit), offset=offset, crs=parse_crs(args.get("crs")))
    if "bbox" in args:
        q.bbox = _bbox(args["bbox"], parse_crs(args.get("bbox-crs"), name="bbox-crs"))
    if "datetime" in args:
        q.datetime = _interval(args["datetime"])
        if coll.datetime_property is None:
            raise BadRequest(f"collection {coll.id} has no temporal property")
    for key in coll.properties:
        if key in args:
            q.filters[key] = _typed(coll, key, args[key])
    if "filter" in args:
        q.filter_crs = parse_crs(args.get("filter-crs"), name="filter-crs")
        try:
            q.cql = cql2.parse(args["filter"], args.get("filter-lang"))
            cql2.check(coll, q.cql, crs=q.filter_crs)
        except cql2.FilterError as exc:
            raise BadRequest(str(exc)) from None
    elif "filter-lang" in args or "filter-crs" in args:
        raise BadRequest("filter-lang and filter-crs go with a filter")
    return q


def where_clauses(session: Session, coll: Collection, q: ItemsQuery) -> list[Any]:
    t = coll.table
    clauses = [*coll.public_filters(), t.c[coll.geometry_column].is_not(None)]
    if q.bbox is not None:
        clauses.append(bbox_filter(session, t, q.bbox, column=coll.geometry_column))
        if coll.shape == "point":  # the point served must lie in the box, not only the stored line or area
            x0, y0, x1, y1 = bounds(session, coll.geometry)
            minx, miny, maxx, maxy = q.bbox
            clauses += [x1 >= minx, x0 <= maxx, y1 >= miny, y0 <= maxy]
    if q.datetime is not None:
        col = t.c[coll.datetime_property]
        start, end = (_for_column(col, v) for v in q.datetime)
        if start is not None:
            clauses.append(col >= start)
        if end is not None:
            clauses.append(col <= end)
    for key, value in q.filters.items():
        clauses.append(t.c[key] == value)
    if q.cql is not None:
        clauses.append(cql2.to_clause(session, coll, q.cql, crs=q.filter_crs))
    return clauses


def fetch_items(session: Session, coll: Collection, q: ItemsQuery) -> tuple[list[dict], int, int]:
    """The page of features (dicts ready for :func:`dumps`), ``numberMatched`` and ``numberReturned``.

    The page's keys are chosen first (through the key index, without building geometries) and
    only that page's geometries are written as GeoJSON. Unfiltered, the features that show each
    field's type come first (:mod:`webmap.ogcapi.order`).
    """
    from webmap.ogcapi.order import page_keys

    t = coll.table
    where = where_clauses(session, coll, q)
    key = t.c[coll.id_column]
    keys = page_keys(session, coll, where, limit=q.limit, offset=q.offset, typed_first=not q.filtered)
    position = {k: i for i, k in enumerate(keys)}
    rows = sorted(
        session.execute(select(*_columns(coll)).where(key.in_(keys))).all(), key=lambda r: position[r[0]]
    )
    if q.offset or len(rows) == q.limit:
        matched = number_matched(session, coll, q, where)
    else:
        matched = q.offset + len(rows)
    return [_feature(coll, row, q.crs) for row in rows], matched, len(rows)


def fetch_item(session: Session, coll: Collection, fid: str, *, crs: str) -> tuple[dict, int | None] | None:
    """One feature (a dict ready for :func:`dumps`) and its version, or ``None``."""
    t = coll.table
    try:
        key = _typed(coll, coll.id_column, fid)
    except BadRequest:
        return None
    if isinstance(key, int) and not -MAX_INT32 - 1 <= key <= MAX_INT32:
        return None
    row = session.execute(
        select(*_columns(coll)).where(t.c[coll.id_column] == key, *coll.public_filters())
    ).first()
    if row is None:
        return None
    version = row[coll.properties.index("version")] if "version" in coll.properties else None
    return _feature(coll, row, crs), version


def dumps(obj: Any) -> bytes:
    """JSON (UTF-8) of API documents and features; geometries pass through as the database wrote them."""
    return orjson.dumps(obj, default=to_jsonable, option=orjson.OPT_NON_STR_KEYS)


def loads(data: bytes | str) -> Any:
    return orjson.loads(data)


def number_matched(session: Session, coll: Collection, q: ItemsQuery, where: list[Any]) -> int:
    """How many features match ``q`` (counted in the spatial index alone when only a bbox filters)."""
    only_bbox = q.bbox is not None and q.datetime is None and not q.filters and q.cql is None
    if only_bbox and not coll.public_filters():
        return bbox_count(session, coll.table, q.bbox, column=coll.geometry_column)
    return int(session.scalar(select(func.count()).select_from(coll.table).where(*where)) or 0)


_EXTENTS: dict[str, tuple[float, tuple[float, float, float, float] | None]] = {}


def extent(
    session: Session, coll: Collection, *, ttl: float = 300.0
) -> tuple[float, float, float, float] | None:
    """The collection's lon/lat extent (cached for ``ttl`` seconds)."""
    key = f"{session.get_bind().url}:{coll.id}"
    hit = _EXTENTS.get(key)
    if hit and time.monotonic() - hit[0] < ttl:
        return hit[1]
    g = coll.table.c[coll.geometry_column]
    x0, y0, x1, y1 = bounds(session, g)
    row = session.execute(
        select(func.min(x0), func.min(y0), func.max(x1), func.max(y1)).where(
            *coll.public_filters(), g.is_not(None)
        )
    ).first()
    box = None if row is None or row[0] is None else tuple(round(float(v), 6) for v in row)
    _EXTENTS[key] = (time.monotonic(), box)
    return box


_INTERVALS: dict[str, tuple[float, tuple[Any, Any] | None]] = {}


def interval(session: Session, coll: Collection, *, ttl: float = 300.0) -> tuple[Any, Any] | None:
    """The first and last value of the collection's temporal property (cached for ``ttl`` seconds)."""
    if coll.datetime_property is None:
        return None
    key = f"{session.get_bind().url}:{coll.id}"
    hit = _INTERVALS.get(key)
    if hit and time.monotonic() - hit[0] < ttl:
        return hit[1]
    col = coll.table.c[coll.datetime_property]
    first, last = session.execute(
        select(func.min(col), func.max(col)).where(
            *coll.public_filters(), coll.table.c[coll.geometry_column].is_not(None)
        )
    ).one()
    found = None if first is None else (_instant(first), _instant(last))
    _INTERVALS[key] = (time.monotonic(), found)
    return found


def _instant(value: Any) -> str:
    """RFC 3339 text of a date or a time (dates as the start of their day, UTC)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        value = value if value.tzinfo else value.replace(tzinfo=UTC)
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{value.isoformat()}T00:00:00Z"


def _columns(coll: Collection) -> list[Any]:
    t = coll.table
    return [*(t.c[p] for p in coll.properties), func.ST_AsGeoJSON(coll.geometry, 7)]


def _integer(text: Any, name: str, *, minimum: int) -> int:
    try:
        value = int(str(text).strip())
    except ValueError as exc:
        raise BadRequest(f"{name} must be an integer") from exc
    if value < minimum:
        raise BadRequest(f"{name} must be >= {minimum}")
    if value > MAX_INT64:
        raise BadRequest(f"{name} is too large")
    return value


def _feature(coll: Collection, row: Any, crs: str) -> dict[str, Any]:
    n = len(coll.properties)
    props = dict(zip(coll.properties, row[:n], strict=True))
    fid = props.pop(coll.id_column)
    geometry = row[n]
    if geometry is not None:
        if crs == EPSG4490:
            geometry = orjson.dumps(_swap(orjson.loads(geometry)))
        geometry = orjson.Fragment(geometry)
    return {"type": "Feature", "id": fid, "geometry": geometry, "properties": props}


def _swap(geom: dict[str, Any]) -> dict[str, Any]:
    """lon/lat -> lat/lon (EPSG:4490's axis order)."""

    def sw(c):
        if isinstance(c[0], list | tuple):
            return [sw(x) for x in c]
        return [c[1], c[0], *c[2:]]

    if geom["type"] == "GeometryCollection":
        return {"type": geom["type"], "geometries": [_swap(g) for g in geom["geometries"]]}
    return {"type": geom["type"], "coordinates": sw(geom["coordinates"])}


def _bbox(text: str, crs: str) -> tuple[float, float, float, float]:
    try:
        nums = [float(v) for v in text.split(",")]
    except ValueError as exc:
        raise BadRequest("bbox must be 4 (or 6) comma-separated numbers") from exc
    if len(nums) == 6:
        nums = [nums[0], nums[1], nums[3], nums[4]]
    if len(nums) != 4:
        raise BadRequest("bbox must be 4 (or 6) comma-separated numbers")
    if not all(math.isfinite(v) for v in nums):
        raise BadRequest("bbox must be finite numbers")
    if crs == EPSG4490:  # lat/lon axis order
        nums = [nums[1], nums[0], nums[3], nums[2]]
    minx, miny, maxx, maxy = nums
    if minx > maxx or miny > maxy:
        raise BadRequest("bbox lower corner must be below and left of the upper corner")
    return (minx, miny, maxx, maxy)


def _parse_instant(text: str) -> datetime | None:
    if text in ("..", ""):
        return None
    try:
        if len(text) == 10:
            d = date.fromisoformat(text)
            return datetime(d.year, d.month, d.day, tzinfo=UTC)
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise BadRequest(f"datetime {text!r} is not RFC 3339") from exc
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _interval(text: str) -> tuple[datetime | None, datetime | None]:
    if "/" in text:
        a, b = text.split("/", 1)
        start, end = _parse_instant(a), _parse_instant(b)
        if start and end and start > end:
            raise BadRequest("datetime interval ends before it starts")
        return start, end
    if len(text) == 10:  # a whole day
        start = _parse_instant(text)
        return start, start.replace(hour=23, minute=59, second=59)
    inst = _parse_instant(text)
    return inst, inst


def _for_column(col, value: datetime | None):
    if value is None:
        return None
    if isinstance(col.type, Date) and not isinstance(col.type, DateTime):
        return value.date()
    return value


def _typed(coll: Collection, key: str, value: str) -> Any:
    kind = coll.column_type(key)
    try:
        if kind == "integer":
            number = int(value)
            if not -MAX_INT64 - 1 <= number <= MAX_INT64:
                raise BadRequest(f"{key} is out of range")
            return number
        if kind == "number":
            number = float(value)
            if not math.isfinite(number):
                raise BadRequest(f"{key} must be a finite number")
            return number
    except ValueError as exc:
        raise BadRequest(f"{key} must be a {kind}") from exc
    if kind in ("date", "date-time"):
        try:
            return date.fromisoformat(value) if kind == "date" else datetime.fromisoformat(value)
        except ValueError as exc:
            raise BadRequest(f"{key} must be an ISO 8601 {kind}") from exc
    if kind == "boolean":
        if value.lower() not in ("true", "false", "1", "0"):
            raise BadRequest(f"{key} must be true or false")
        return value.lower() in ("true", "1")
    return value
