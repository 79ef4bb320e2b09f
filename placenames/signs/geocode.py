"""Geocoding standard addresses (海勃湾区人民路12号) through house-number plates, and the reverse."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from geoalchemy2.shape import to_shape
from sqlalchemy import select
from sqlalchemy.orm import Session

from gis.crs import METRIC_SRID
from gis.crs import STORAGE_SRID
from gis.crs import in_extent
from gis.crs import transformer
from gis.dialects import bbox_filter
from gis.dialects import nearest_order
from gis.errors import InvalidInput
from gis.errors import NotFound
from placenames.models import FormerName
from placenames.models import PlaceName
from placenames.models import Sign
from placenames.signs.validation import parse_house_number

_ROAD_MAJOR = "25"
_DISTRICT_CATEGORY = "213"
_NUMBER = re.compile(r"(?P<num>\d+(?:[-附之]\d+)?)\s*号?$")


def geocode(session: Session, address: str) -> dict[str, Any]:
    """The point of a standard address ``[district]road number号``.

    Returns
    -------
    dict
        ``address, lon, lat, road_id, road, district, house_number, sign_id, exact, ambiguous``;
        when the exact plate is missing the nearest number on the same road is used (``exact``
        False); ``ambiguous`` tells that the road name exists in several districts (give one).

    Raises
    ------
    gis.errors.NotFound
        When the road or any plate on it is unknown.
    gis.errors.InvalidInput
        When the text is not an address.
    """
    text = unicodedata.normalize("NFKC", str(address or "")).strip().replace(" ", "")
    if not text or len(text) > 80:
        raise InvalidInput("an address is e.g. 海勃湾区人民路12号", field="address")
    match = _NUMBER.search(text)
    if match is None:
        raise InvalidInput(
            f"{address!r} has no house number (expected e.g. 海勃湾区人民路12号)", field="address"
        )
    wanted = parse_house_number(match.group("num").replace("之", "-"))
    head = text[: match.start()]
    district = _district_prefix(session, head)
    road_text = head[len(district["name"]) :] if district else head
    roads = _roads(session, road_text, district["division_code"] if district else None)
    note = None
    if not roads:
        roads, note = _renamed_roads(session, road_text, district["division_code"] if district else None)
    if not roads:
        raise NotFound(
            f"no standard road name {road_text!r}" + (f" in {district['name']}" if district else "")
        )
    best: tuple | None = None
    for road in roads:
        for sign_id, number, geom in session.execute(
            select(Sign.id, Sign.house_number, Sign.geom).where(
                Sign.place_name_id == road.id, Sign.kind == "house_number"
            )
        ):
            try:
                parsed = parse_house_number(number)
            except (ValueError, TypeError):
                continue
            gap = abs(parsed.base - wanted.base) * 10 + abs((parsed.sub or 0) - (wanted.sub or 0))
            if best is None or gap < best[0]:
                best = (gap, road, sign_id, parsed, geom)
    if best is None:
        raise NotFound(f"no house-number plates on {road_text}")
    gap, road, sign_id, parsed, geom = best
    point = to_shape(geom)
    return {
        "address": text,
        "lon": round(point.x, 7),
        "lat": round(point.y, 7),
        "road_id": road.id,
        "road": road.name,
        "district": district["name"] if district else None,
        "house_number": parsed.format(),
        "sign_id": sign_id,
        "exact": gap == 0,
        "ambiguous": len(roads) > 1,
        "note": note,
    }


def reverse_geocode(
    session: Session, lon: float, lat: float, *, max_distance_m: float = 500.0
) -> dict[str, Any]:
    """The standard address of the house-number plate nearest to ``(lon, lat)``.

    Raises
    ------
    gis.errors.InvalidInput
        For a point outside Wuhai or with swapped coordinates.
    gis.errors.NotFound
        When no plate lies within ``max_distance_m``.
    """
    if not in_extent(lon, lat):
        hint = " (lat/lon swapped?)" if in_extent(lat, lon) else ""
        raise InvalidInput(f"point ({lon}, {lat}) lies outside Wuhai{hint}", field="lon")
    table = Sign.__table__
    deg = max_distance_m / 80000.0 + 0.001
    stmt = (
        select(Sign.id, Sign.house_number, Sign.place_name_id, Sign.geom)
        .where(Sign.kind == "house_number", Sign.place_name_id.isnot(None))
        .where(bbox_filter(session, table, (lon - deg, lat - deg, lon + deg, lat + deg)))
        .order_by(nearest_order(session, table, lon, lat))
        .limit(1)
    )
    row = session.execute(stmt).first()
    if row is None:
        raise NotFound(f"no house-number plate within {max_distance_m:.0f} m of ({lon}, {lat})")
    point = to_shape(row.geom)
    t = transformer(STORAGE_SRID, METRIC_SRID)
    x1, y1 = t.transform(lon, lat)
    x2, y2 = t.transform(point.x, point.y)
    distance = ((x1 - x2) ** 2 + (y1 - y2) ** 2) ** 0.5
    if distance > max_distance_m:
        raise NotFound(f"no house-number plate within {max_distance_m:.0f} m of ({lon}, {lat})")
    road = session.get(PlaceName, row.place_name_id)
    district = _district_of(session, road.division_code)
    number = parse_house_number(row.house_number).format()
    return {
        "address": f"{district or ''}{road.name}{number}号",
        "lon": round(point.x, 7),
        "lat": round(point.y, 7),
        "road_id": road.id,
        "road": road.name,
        "district": district,
        "house_number": number,
        "sign_id": row.id,
        "distance_m": round(distance, 1),
    }


def _district_prefix(session: Session, head: str) -> dict | None:
    for pid, name, code in session.execute(
        select(PlaceName.id, PlaceName.name, PlaceName.division_code).where(
            PlaceName.category_code == _DISTRICT_CATEGORY, PlaceName.status != "retired"
        )
    ):
        if head.startswith(name) and len(head) > len(name):
            return {"id": pid, "name": name, "division_code": code}
    return None


def _roads(session: Session, road_text: str, district_code: str | None) -> list[PlaceName]:
    stmt = select(PlaceName).where(
        PlaceName.name == road_text,
        PlaceName.category_code >= _ROAD_MAJOR,
        PlaceName.category_code < _ROAD_MAJOR + "~",
        PlaceName.status != "retired",
    )
    if district_code:
        stem = district_code[:6]
        stmt = stmt.where(PlaceName.division_code >= stem, PlaceName.division_code < stem + "~")
    return list(session.scalars(stmt))


def _renamed_roads(
    session: Session, road_text: str, district_code: str | None
) -> tuple[list[PlaceName], str | None]:
    """Roads that were called ``road_text``, with the note "renamed to … on …"."""
    formers = session.execute(
        select(FormerName.place_name_id, FormerName.valid_to).where(FormerName.name == road_text)
    ).all()
    found: list[PlaceName] = []
    notes: list[str] = []
    for place_id, valid_to in formers:
        for road in _roads_by_id(session, place_id, district_code):
            found.append(road)
            when = valid_to.isoformat() if valid_to else "an earlier date"
            notes.append(f"{road_text} was renamed to {road.name} on {when}")
    return found, "; ".join(dict.fromkeys(notes)) or None


def _roads_by_id(session: Session, place_id: int, district_code: str | None) -> list[PlaceName]:
    stmt = select(PlaceName).where(
        PlaceName.id == place_id,
        PlaceName.category_code >= _ROAD_MAJOR,
        PlaceName.category_code < _ROAD_MAJOR + "~",
        PlaceName.status != "retired",
    )
    if district_code:
        stem = district_code[:6]
        stmt = stmt.where(PlaceName.division_code >= stem, PlaceName.division_code < stem + "~")
    return list(session.scalars(stmt))


def _district_of(session: Session, division_code: str | None) -> str | None:
    if not division_code:
        return None
    code = division_code[:6] + "000000"
    return session.scalar(
        select(PlaceName.name).where(
            PlaceName.category_code == _DISTRICT_CATEGORY, PlaceName.division_code == code
        )
    )
