"""Reading signs for the audit, statistics and maps: GeoDataFrames of signs, roads, names, divisions."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from boundaries.divisions import district_of
from boundaries.divisions import divisions_gdf
from boundaries.divisions import get_division
from gis import roads
from gis.crs import STORAGE_CRS
from gis.dialects import bbox_filter
from gis.errors import InvalidInput
from gis.rows import geometry_of
from gis.rows import wkb_rows_to_gdf
from placenames.models import FormerName
from placenames.models import PlaceName
from placenames.models import Sign
from placenames.romanize import romanize
from placenames.signs.audit import intersection_findings
from placenames.signs.audit import missing_signs
from placenames.signs.audit import plate_findings
from placenames.signs.audit import text_findings
from placenames.signs.numbering import NumberingRule
from placenames.signs.stats import sign_statistics
from placenames.signs.stats import statistics_layer
from placenames.signs.validation import MAX_STREET_DISTANCE_M
from placenames.signs.validation import STREET_KINDS

__all__ = [
    "AUDIT_SIGN_COLUMNS",
    "SIGN_COLUMNS",
    "divisions_frame",
    "roads_gdf",
    "run_audit",
    "signs_gdf",
    "statistics",
    "statistics_map_layer",
    "street_key",
]

SIGN_COLUMNS = [
    "id",
    "code",
    "kind",
    "place_name_id",
    "text_zh",
    "text_romanized",
    "text_mongolian",
    "house_number",
    "side",
    "facing_deg",
    "material",
    "size",
    "installer",
    "install_date",
    "condition",
    "last_inspected",
    "division_code",
    "source",
    "version",
]


#: The sign columns the audit reads (reading only these halves the time to read 34,000 signs).
AUDIT_SIGN_COLUMNS = [
    "id",
    "kind",
    "place_name_id",
    "text_zh",
    "text_romanized",
    "text_mongolian",
    "house_number",
    "condition",
    "division_code",
]


def street_key(division_code: str | None, name: str | None) -> str | None:
    """The key of a street: its district and name (names are unique within a district)."""
    return f"{district_of(division_code)}:{name}" if division_code and name else None


# -- frames for the audit and the map ------------------------------------------------------------


def signs_gdf(
    session: Session,
    *,
    division_code: str | None = None,
    kinds: tuple[str, ...] | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    columns: list[str] = SIGN_COLUMNS,
) -> gpd.GeoDataFrame:
    """Signs as a GeoDataFrame (EPSG:4490) with ``street_key`` and the linked ``place_name``.

    ``division_code`` restricts to a district, town or community (code prefix); ``bbox``
    (min lon, min lat, max lon, max lat) to a map window, through the spatial index; ``columns``
    (``SIGN_COLUMNS`` by default, ``kind``, ``text_zh`` and ``division_code`` among them) to the
    columns a caller uses.
    """
    cols = [getattr(Sign, c) for c in columns]
    q = select(*cols, PlaceName.name.label("place_name"), func.ST_AsBinary(Sign.geom).label("wkb")).outerjoin(
        PlaceName, PlaceName.id == Sign.place_name_id
    )
    if division_code:
        q = q.where(Sign.division_code.like(_code_prefix(division_code) + "%"))
    if kinds:
        q = q.where(Sign.kind.in_(kinds))
    if bbox is not None:
        q = q.where(bbox_filter(session, Sign.__table__, bbox))
    gdf = wkb_rows_to_gdf(session.execute(q.order_by(Sign.id)).all(), [*columns, "place_name"])
    street_name = gdf["place_name"].where(gdf["place_name"].notna(), gdf["text_zh"])
    is_street = gdf["kind"].isin(STREET_KINDS)
    gdf["street_key"] = [
        street_key(code, name) if street else None
        for code, name, street in zip(gdf["division_code"], street_name, is_street, strict=True)
    ]
    return gdf


def roads_gdf(session: Session, *, division_code: str | None = None) -> gpd.GeoDataFrame:
    """Named road segments (EPSG:4490) of the city or of a division's district, with ``street_key``."""
    gdf = roads.roads_gdf(session, named_only=True, district_code=district_of(division_code))
    gdf["street_key"] = [street_key(c, n) for c, n in zip(gdf["division_code"], gdf["name"], strict=True)]
    return gdf


def names_frames(session: Session) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Current standard names (``id, name, romanized, mongolian, category_code, status``) and former names."""
    names = pd.DataFrame(
        session.execute(
            select(
                PlaceName.id,
                PlaceName.name,
                PlaceName.romanized,
                PlaceName.mongolian,
                PlaceName.category_code,
                PlaceName.status,
            )
        ).all(),
        columns=["id", "name", "romanized", "mongolian", "category_code", "status"],
    )
    former = pd.DataFrame(
        session.execute(select(FormerName.place_name_id, FormerName.name)).all(),
        columns=["place_name_id", "name"],
    )
    missing = names["romanized"].isna()
    names.loc[missing, "romanized"] = [
        romanize(n, category=c)
        for n, c in zip(names.loc[missing, "name"], names.loc[missing, "category_code"], strict=True)
    ]
    return names, former


def divisions_frame(session: Session, *, levels: tuple[str, ...] = ("district", "town")) -> gpd.GeoDataFrame:
    """Wuhai divisions of ``levels`` that count today (code, name, level, geometry)."""
    return divisions_gdf(session, levels=levels)[["code", "name", "level", "geometry"]]


def _code_prefix(code: str) -> str:
    if not (isinstance(code, str) and code.isdigit() and len(code) == 12):
        raise InvalidInput(f"division code {str(code)[:20]!r} is not a 12-digit code", field="division_code")
    for cut in (4, 6, 9):
        if code[cut:] == "0" * (12 - cut):
            return code[:cut]
    return code


# -- audit and statistics over the database ------------------------------------------------------


def run_audit(
    session: Session,
    *,
    division_code: str | None = None,
    rule: NumberingRule | None = None,
    radius_m: float = 30.0,
    max_gap: int = 2,
    max_distance_m: float = MAX_STREET_DISTANCE_M,
) -> gpd.GeoDataFrame:
    """All audit findings (text, coverage, numbering, missing signs) for the city or one division.

    Streets cross town and community lines, so a town or community is audited with its whole
    district and the findings are then kept when their sign belongs to the division or, for
    findings without a sign (a node or a street), when they lie inside its polygon.
    """
    district = district_of(division_code) if division_code else None
    signs = signs_gdf(session, division_code=district, columns=AUDIT_SIGN_COLUMNS)
    roads = roads_gdf(session, division_code=district)
    names, former = names_frames(session)
    parts = [text_findings(signs, names, former), missing_signs(signs)]
    if not roads.empty:
        street_signs = signs[signs["kind"] == "street"]
        parts.append(intersection_findings(roads, street_signs, radius_m=radius_m))
        plates = signs[(signs["kind"] == "house_number") & signs["street_key"].notna()]
        parts.append(plate_findings(roads, plates, rule=rule, max_gap=max_gap, max_distance_m=max_distance_m))
    frames = [p for p in parts if not p.empty]
    if not frames:
        return parts[0]
    found = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=STORAGE_CRS)
    if division_code and division_code != district:
        found = _within_division(session, found, signs, division_code)
    return found


def _within_division(
    session: Session, found: gpd.GeoDataFrame, signs: gpd.GeoDataFrame, code: str
) -> gpd.GeoDataFrame:
    prefix = _code_prefix(code)
    own = set(signs.loc[signs["division_code"].fillna("").str.startswith(prefix), "id"])
    area = geometry_of(get_division(session, code))
    inside = found.geometry.within(area) if area is not None else pd.Series(False, index=found.index)
    keep = found["sign_id"].isin(own) | (found["sign_id"].isna() & inside)
    return found[keep].reset_index(drop=True)


def statistics(session: Session, *, division_code: str | None = None) -> pd.DataFrame:
    """Signs by kind and condition per district and town (see ``signs_stats.sign_statistics``)."""
    q = select(Sign.division_code, Sign.kind, Sign.condition)
    if division_code:
        q = q.where(Sign.division_code.like(_code_prefix(division_code) + "%"))
    signs = pd.DataFrame(session.execute(q).all(), columns=["division_code", "kind", "condition"])
    divisions = divisions_frame(session)
    if division_code:
        divisions = divisions[divisions["code"].str.startswith(_code_prefix(division_code))]
    return sign_statistics(signs, divisions)


def statistics_map_layer(session: Session, *, level: str = "town") -> gpd.GeoDataFrame:
    """Division polygons with sign counts by kind and condition, for a map layer."""
    return statistics_layer(statistics(session), divisions_frame(session), level=level)
