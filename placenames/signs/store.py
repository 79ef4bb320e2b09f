"""Writing place-name signs: inventory with validation and history, inspections, plates from a numbering."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from geoalchemy2.shape import from_shape
from geoalchemy2.shape import to_shape
from shapely.geometry import Point
from sqlalchemy import select
from sqlalchemy.orm import Session

from boundaries.divisions import district_of
from gis import roads
from gis.crs import STORAGE_CRS
from gis.crs import STORAGE_SRID
from gis.crs import in_extent
from gis.crs import transformer
from gis.errors import InvalidInput
from gis.errors import NotFound
from gis.history import record
from gis.history import snapshot
from gis.rows import check_version
from gis.rows import flush_or_conflict
from gis.rows import get_or_raise
from placenames.models import PlaceName
from placenames.models import Sign
from placenames.romanize import romanize
from placenames.signs.queries import SIGN_COLUMNS
from placenames.signs.queries import divisions_frame
from placenames.signs.queries import signs_gdf
from placenames.signs.queries import statistics  # noqa: F401
from placenames.signs.queries import statistics_map_layer  # noqa: F401
from placenames.signs.queries import street_key
from placenames.signs.validation import MAX_STREET_DISTANCE_M
from placenames.signs.validation import STREET_KINDS
from placenames.signs.validation import SignValidationError
from placenames.signs.validation import validate_sign_record

_EDITABLE = set(SIGN_COLUMNS) - {"id", "source", "version"}


def sign_point(record_: Mapping[str, Any], *, row: int | str | None = None) -> Point:
    """The location of a sign record (``lon``/``lat`` in EPSG:4490, or a shapely ``geom``)."""
    geom = record_.get("geom")
    if geom is not None:
        if getattr(geom, "geom_type", None) != "Point" or geom.is_empty:
            raise SignValidationError(["a sign is located by a point"], row=row)
        lon, lat = geom.x, geom.y
    else:
        lon, lat = record_.get("lon"), record_.get("lat")
    try:
        lon, lat = float(lon), float(lat)
    except (TypeError, ValueError):
        raise SignValidationError([f"coordinates must be numbers, got {lon!r}, {lat!r}"], row=row) from None
    if not in_extent(lon, lat):
        if in_extent(lat, lon):
            raise SignValidationError([f"longitude and latitude look swapped ({lon}, {lat})"], row=row)
        raise SignValidationError([f"({lon}, {lat}) is outside the Wuhai area (EPSG:4490 lon/lat)"], row=row)
    return Point(lon, lat)


def distance_to_street_m(
    session: Session, *, point: Point, name: str, division_code: str | None, search_m: float = 2000.0
) -> float | None:
    """Distance in metres (EPSG:4545) from ``point`` to the nearest segment of the street ``name``.

    Only segments within ``search_m`` are looked at (through the spatial index); ``None`` when
    none of the street is that close.
    """
    pad = search_m / 85000.0
    bbox = (point.x - pad * 1.3, point.y - pad, point.x + pad * 1.3, point.y + pad)
    near = roads.roads_gdf(session, name=name, district_code=district_of(division_code), bbox=bbox)
    if near.empty:
        return None
    geoms = near.geometry.values
    tr = transformer(STORAGE_SRID, 4545)
    metric = shapely.transform(geoms, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))
    x, y = tr.transform(point.x, point.y)
    return float(shapely.distance(metric, Point(x, y)).min())


def create_sign(
    session: Session,
    *,
    actor: str,
    values: Mapping[str, Any],
    max_distance_m: float = MAX_STREET_DISTANCE_M,
    source: str = "manual",
    reason: str | None = None,
) -> Sign:
    """Validate and store one sign, recording the write.

    Street signs and house-number plates must stand within ``max_distance_m`` of the street
    they name (EPSG:4545 distance). Raises ``SignValidationError`` (nothing written) otherwise.
    """
    clean = validate_sign_record(values)
    point = sign_point(values)
    check_street_distance(session, clean, point, max_distance_m=max_distance_m)
    sign = Sign(
        **{k: v for k, v in clean.items() if k in _EDITABLE},
        source=source,
        author=actor,
        geom=from_shape(point, srid=STORAGE_SRID),
    )
    session.add(sign)
    session.flush()
    record(session, actor=actor, action="create", obj=sign, reason=reason)
    return sign


def update_sign(
    session: Session,
    sign_id: int,
    *,
    actor: str,
    changes: Mapping[str, Any],
    expected_version: int | None,
    reason: str | None = None,
    max_distance_m: float = MAX_STREET_DISTANCE_M,
) -> Sign:
    """Change a sign's fields (and location through ``lon``/``lat``), refusing stale versions."""
    sign = get_sign(session, sign_id)
    check_version(sign, expected_version)
    unknown = set(changes) - _EDITABLE - {"lon", "lat"}
    if unknown:
        raise InvalidInput(f"fields not editable: {', '.join(sorted(unknown))}", field=sorted(unknown)[0])
    before = snapshot(sign)
    current = {k: getattr(sign, k) for k in _EDITABLE}
    point = to_shape(sign.geom)
    merged = {**current, "lon": point.x, "lat": point.y, **changes}
    clean = validate_sign_record(merged, row=sign_id)
    point = sign_point(merged, row=sign_id)
    check_street_distance(session, clean, point, max_distance_m=max_distance_m)
    for key, value in clean.items():
        if key in _EDITABLE and getattr(sign, key) != value:
            setattr(sign, key, value)
    if {"lon", "lat"} & set(changes):
        sign.geom = from_shape(point, srid=STORAGE_SRID)
    sign.author = actor
    flush_or_conflict(session, sign)
    record(session, actor=actor, action="update", obj=sign, before=before, reason=reason)
    return sign


def inspect_sign(
    session: Session,
    sign_id: int,
    *,
    actor: str,
    condition: str,
    on: date | None = None,
    note: str | None = None,
    expected_version: int | None = None,
) -> Sign:
    """Record an inspection: the condition found and the inspection date (history kept)."""
    return update_sign(
        session,
        sign_id,
        actor=actor,
        expected_version=expected_version,
        changes={"condition": condition, "last_inspected": on or date.today()},
        reason=f"inspection{': ' + note if note else ''}",
    )


def get_sign(session: Session, sign_id: int) -> Sign:
    """The sign with ``sign_id``, or :class:`~gis.errors.NotFound`."""
    return get_or_raise(session, Sign, sign_id)


def check_street_distance(
    session: Session, clean: Mapping[str, Any], point: Point, *, max_distance_m: float
) -> None:
    """Refuse a street sign or plate farther than ``max_distance_m`` from the street it names."""
    if clean.get("kind") not in STREET_KINDS:
        return
    name = clean.get("text_zh")
    if clean.get("place_name_id"):
        place = session.get(PlaceName, clean["place_name_id"])
        if place is None:
            raise SignValidationError(
                [f"place name {clean['place_name_id']} does not exist"], field="place_name_id"
            )
        name = place.name
    if not name:
        return
    if not roads.count_roads(session, name=name):
        return
    distance = distance_to_street_m(
        session,
        point=point,
        name=name,
        division_code=clean.get("division_code"),
        search_m=max(2000.0, max_distance_m * 4),
    )
    if distance is None or distance > max_distance_m:
        shown = "more than 2 km" if distance is None else f"{distance:.0f} m"
        raise SignValidationError(
            [f"the sign stands {shown} from {name}, the street it names (at most {max_distance_m:.0f} m)"],
            field="geom",
        )


def standard_face(place: PlaceName | None, *, name: str | None = None) -> dict[str, str | None]:
    """The text lines a sign of ``place`` shows: its standard name, romanization (capitals) and Mongolian."""
    if place is None:
        return {"text_zh": name, "text_romanized": romanize(name, caps=True), "text_mongolian": None}
    roman = (
        place.romanized.upper()
        if place.romanized
        else romanize(place.name, category=place.category_code, caps=True)
    )
    return {"text_zh": place.name, "text_romanized": roman, "text_mongolian": place.mongolian}


# -- house-number plates for a street ------------------------------------------------------------


def resolve_street(session: Session, street: str, *, district: str | None = None) -> dict[str, Any]:
    """Find a street by place-name id or name: ``{name, district, place_name_id, segments}``.

    Raises :class:`~gis.errors.NotFound` when there is no such street and
    :class:`~gis.errors.InvalidInput` when the name is used in several districts and
    ``district`` does not choose one.
    """
    place = None
    name = street.strip()
    if name.isdigit():
        place = get_or_raise(session, PlaceName, name)
        name = place.name
        district = district or district_of(place.division_code)
    segments = roads.roads_gdf(session, name=name, district_code=district_of(district))
    if segments.empty:
        raise NotFound(
            f"no road segments named {name}" + (f" in {district}" if district else ""), field="street"
        )
    districts = sorted(segments["division_code"].map(district_of).dropna().unique())
    if len(districts) > 1:
        raise InvalidInput(
            f"{name} exists in districts {', '.join(districts)}: choose one with --district", field="district"
        )
    code = districts[0] if districts else None
    if place is None:
        q = (
            select(PlaceName)
            .where(PlaceName.name == name, PlaceName.status != "retired")
            .order_by(PlaceName.id)
        )
        candidates = list(session.scalars(q))
        same = [p for p in candidates if district_of(p.division_code) == code]
        place = (same or candidates or [None])[0]
    return {
        "name": name,
        "district": code,
        "place_name_id": place.id if place else None,
        "place": place,
        "segments": segments.reset_index(drop=True),
    }


def street_plates(session: Session, *, name: str, district: str | None) -> gpd.GeoDataFrame:
    """The house-number plates of a street (by its district and name)."""
    plates = signs_gdf(session, division_code=district, kinds=("house_number",))
    return plates[plates["street_key"] == street_key(district, name)].reset_index(drop=True)


def commit_plates(
    session: Session,
    *,
    actor: str,
    proposal: gpd.GeoDataFrame,
    street: Mapping[str, Any],
    max_distance_m: float = MAX_STREET_DISTANCE_M,
) -> list[Sign]:
    """Write a plate (sign of kind ``house_number``) for every ``new`` row of a numbering proposal.

    All plates are validated first; any refusal raises before the first write.
    """
    place = street.get("place")
    face = standard_face(place) if place is not None else standard_face(None, name=street["name"])
    name = face["text_zh"]
    new = proposal[proposal["status"] == "new"].to_crs(STORAGE_CRS)
    units = divisions_frame(session, levels=("community", "village"))
    units = units[units["code"].map(district_of) == street["district"]]
    hits = new[["geometry"]].sjoin(units[["code", "geometry"]], predicate="within", how="left")
    codes = hits[~hits.index.duplicated()]["code"].reindex(new.index)
    values = []
    for (idx, row), code in zip(new.iterrows(), codes, strict=True):
        record_ = {
            "kind": "house_number",
            "place_name_id": street.get("place_name_id"),
            **face,
            "house_number": row["house_number"],
            "side": row["side"],
            "division_code": code if isinstance(code, str) else street["district"],
            "lon": row.geometry.x,
            "lat": row.geometry.y,
            "install_date": None,
            "condition": "good",
        }
        validate_sign_record(record_, row=idx)
        check_street_distance(session, record_, sign_point(record_, row=idx), max_distance_m=max_distance_m)
        values.append(record_)
    return [
        create_sign(
            session, actor=actor, values=v, max_distance_m=max_distance_m, reason=f"house numbering of {name}"
        )
        for v in values
    ]
