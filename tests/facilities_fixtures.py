"""Tiny inline city for the facilities analysis tests: 4 communities, 2 villages, 2 towns, 1 district."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
from shapely.geometry import LineString
from shapely.geometry import Point
from shapely.geometry import box

from gis.crs import METRIC_CRS

X0, Y0 = 400_000.0, 4_370_000.0  # metres in EPSG:4545 (about 106.84 E, 39.47 N)
CITY = "150300000000"
DISTRICT = "150302000000"
TOWN_A = "150302001000"
TOWN_B = "150302100000"


def units() -> gpd.GeoDataFrame:
    """Four 1 km² urban communities in a row (town A) and two 2 km-wide villages (town B)."""
    rows = []
    for i in range(4):
        rows.append(
            {
                "code": f"15030200100{i + 1}",
                "name": f"社区{i + 1}",
                "kind": "社区",
                "urban_rural": "urban",
                "town_code": TOWN_A,
                "district_code": DISTRICT,
                "households": 1000 * (i + 1),
                "residents": 2500 * (i + 1),
                "aged_60plus": 400 * (i + 1),
                "geometry": box(X0 + 1000 * i, Y0, X0 + 1000 * (i + 1), Y0 + 1000),
            }
        )
    for j in range(2):
        rows.append(
            {
                "code": f"15030210020{j + 1}",
                "name": f"村{j + 1}",
                "kind": "村",
                "urban_rural": "rural",
                "town_code": TOWN_B,
                "district_code": DISTRICT,
                "households": 200,
                "residents": 500,
                "aged_60plus": 100,
                "geometry": box(X0 + 2000 * j, Y0 + 1000, X0 + 2000 * (j + 1), Y0 + 3000),
            }
        )
    rows.append(
        {
            "code": "150302400001",
            "name": "工业园区",
            "kind": "其他",
            "urban_rural": None,
            "town_code": TOWN_A,
            "district_code": DISTRICT,
            "households": 0,
            "residents": 0,
            "aged_60plus": 0,
            "geometry": box(X0 + 4000, Y0, X0 + 5000, Y0 + 1000),
        }
    )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=METRIC_CRS)


def towns() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"code": TOWN_A, "name": "甲街道", "kind": "街道", "district_code": DISTRICT},
            {"code": TOWN_B, "name": "乙镇", "kind": "镇", "district_code": DISTRICT},
        ]
    )


def districts() -> pd.DataFrame:
    return pd.DataFrame([{"code": DISTRICT, "name": "海勃湾区"}])


def facility(kind: str, x: float, y: float, **extra) -> dict:
    row = {
        "id": extra.pop("id", None),
        "kind": kind,
        "name": extra.pop("name", kind),
        "status": "running",
        "year_opened": 2015,
        "year_closed": None,
        "planned_year": None,
        "beds": None,
        "nursing_beds": None,
        "floor_area_m2": None,
        "new_or_rebuilt": False,
        "has_volunteer_site": False,
        "division_code": None,
        "serves_code": None,
        "geometry": Point(X0 + x, Y0 + y),
    }
    row.update(extra)
    return row


def facilities() -> gpd.GeoDataFrame:
    rows = [
        facility("home_care_station", 500, 500, id=1, beds=10, nursing_beds=4),
        facility("street_elderly_center", 1500, 500, id=2, beds=20, nursing_beds=6),
        facility("rural_elderly_center", 1000, 2000, id=3, beds=10, nursing_beds=0),
        facility("elderly_institution", 2500, 500, id=4, beds=160, nursing_beds=70),
        facility(
            "elderly_institution",
            3500,
            500,
            id=5,
            beds=100,
            status="under_construction",
            planned_year=2023,
            year_opened=None,
        ),
        facility("community_service", 400, 400, id=6, floor_area_m2=400.0, has_volunteer_site=True),
        facility("community_service", 1400, 400, id=7, floor_area_m2=700.0),
        facility("community_service", 2400, 400, id=8, floor_area_m2=800.0),
        facility("community_service", 3400, 400, id=9, floor_area_m2=1500.0, new_or_rebuilt=True),
        facility("community_service", 900, 1900, id=10, floor_area_m2=320.0),
        facility("community_service", 2900, 1900, id=11, floor_area_m2=300.0),
        facility("volunteer_site", 2450, 450, id=12),
        facility("social_work_station", 600, 600, id=13),
        facility("minor_protection", 700, 700, id=14, serves_code=CITY),
        facility("welfare_lottery", 800, 800, id=15),
    ]
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=METRIC_CRS)


def roads() -> gpd.GeoDataFrame:
    """A street along y=500 across the communities and a lane up to the villages, noded at (1000, 500)."""
    lines = [
        LineString([(X0, Y0 + 500), (X0 + 1000, Y0 + 500)]),
        LineString([(X0 + 1000, Y0 + 500), (X0 + 2000, Y0 + 500)]),
        LineString([(X0 + 2000, Y0 + 500), (X0 + 4000, Y0 + 500)]),
        LineString([(X0 + 1000, Y0 + 500), (X0 + 1000, Y0 + 2000), (X0 + 3000, Y0 + 2000)]),
    ]
    return gpd.GeoDataFrame(
        {"name": ["甲路", "甲路", "甲路", "乙路"], "road_class": ["street"] * 3 + ["rural"]},
        geometry=lines,
        crs=METRIC_CRS,
    )


def entries() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "number": 2,
                "year": 2020,
                "division_code": None,
                "value": 80.0,
                "value_source": "plan",
                "value_date": None,
            },
            {
                "number": 7,
                "year": 2020,
                "division_code": None,
                "value": 1.2,
                "value_source": "plan",
                "value_date": None,
            },
        ]
    )


def seed_divisions(session) -> None:
    """Write the tiny city's divisions (city, district, towns, communities, villages) into ``session``."""
    from geoalchemy2.shape import from_shape
    from shapely.geometry import MultiPolygon

    from boundaries.models import Division
    from gis.crs import STORAGE_SRID

    u = units().to_crs(epsg=STORAGE_SRID)
    whole = MultiPolygon([u.union_all().envelope])
    session.add(Division(code=CITY, name="乌海市", level="city", geom=from_shape(whole, srid=STORAGE_SRID)))
    session.add(
        Division(
            code=DISTRICT,
            name="海勃湾区",
            level="district",
            parent_code=CITY,
            geom=from_shape(whole, srid=STORAGE_SRID),
        )
    )
    session.flush()
    for t in towns().itertuples():
        session.add(Division(code=t.code, name=t.name, level="town", kind=t.kind, parent_code=DISTRICT))
    session.flush()
    for r in u.itertuples():
        session.add(
            Division(
                code=r.code, name=r.name, level="village" if r.kind == "村" else "community", kind=r.kind,
                parent_code=r.town_code, urban_rural=r.urban_rural if isinstance(r.urban_rural, str) else None, households=r.households, population=r.residents,
                population_60plus=r.aged_60plus, geom=from_shape(MultiPolygon([r.geometry]), srid=STORAGE_SRID),
            )
        )  # fmt: skip
    session.flush()


def seed_roads(session) -> None:
    """Write the tiny city's roads into ``road_segment``."""
    from geoalchemy2.shape import from_shape

    from gis.crs import STORAGE_SRID
    from gis.models import RoadSegment

    for r in roads().to_crs(epsg=STORAGE_SRID).itertuples():
        session.add(
            RoadSegment(
                name=r.name,
                road_class=r.road_class,
                geom=from_shape(r.geometry, srid=STORAGE_SRID),
                source="synthetic",
            )
        )
    session.flush()


_FACILITY_EXTRA = (
    "beds",
    "nursing_beds",
    "floor_area_m2",
    "status",
    "planned_year",
    "year_opened",
    "new_or_rebuilt",
    "has_volunteer_site",
    "serves_code",
)


def seed_facilities_and_entries(session, *, actor: str) -> None:
    """Write the tiny city's facilities and indicator entries through ``facilities.store``."""
    from facilities import store
    from gis.crs import transformer

    to_ll = transformer(4545, 4490)
    for row in facilities().itertuples():
        lon, lat = to_ll.transform(row.geometry.x, row.geometry.y)
        extra = {k: getattr(row, k) for k in _FACILITY_EXTRA}
        store.add_facility(
            session,
            actor=actor,
            kind=row.kind,
            name=f"{row.kind}-{row.id}",
            lon=lon,
            lat=lat,
            **{k: v for k, v in extra.items() if v is not None and v == v},
        )
    for e in entries().itertuples():
        store.upsert_entry(
            session, actor=actor, number=e.number, year=e.year, value=e.value, value_source=e.value_source
        )
