"""The planner's dashboard: the latest year with data, the chart against the targets, entered values
labelled, classed legends and a filled coverage panel."""
# ruff: noqa: F811  (pytest fixtures imported from web_fixtures are redefined as arguments)

from __future__ import annotations

import re

import pandas as pd
import pytest
from sqlalchemy.orm import Session
from web_fixtures import app  # noqa: F401
from web_fixtures import client  # noqa: F401
from web_fixtures import login
from web_fixtures import web_db  # noqa: F401

from facilities import store
from gis.db import make_engine
from webmap.maps import class_breaks


@pytest.fixture
def years(web_db):
    """Yearly population figures up to 2023 for one community of the seed."""
    url, _ids = web_db
    engine = make_engine(url)
    with Session(engine) as session:
        code = store.units_gdf(session)["code"].iloc[0]
        for year in (2021, 2023):
            store.upsert_population(
                session, actor="t", division_code=code, year=year, source="synthetic",
                households=100, residents=250, aged_60plus=60,
            )  # fmt: skip
        session.commit()
    engine.dispose()


def test_the_dashboard_opens_on_the_latest_year_with_data(client, years):
    login(client, "planner")
    page = client.get("/planning/").get_data(as_text=True)
    assert 'name="year" value="2023"' in page and 'max="2023"' in page
    assert "/planning/coverage?year=2023" in page  # the coverage panel is drawn by default
    assert "/planning/choropleth?year=2023&amp;level=district&amp;key=urban_elderly_coverage" in page
    assert client.get("/planning/?year=1990").status_code == 422


def test_the_chart_shows_every_indicator_with_its_target(client):
    login(client, "planner")
    page = client.get("/planning/?year=2024").get_data(as_text=True)
    rows = re.findall(r'class="tc-row" data-indicator="([0-9b]+)" data-target="([0-9.]+)"', page)
    assert [r[0] for r in rows] == ["1", "2", "3", "3b", "4", "5", "6", "7", "8", "9", "10", "11", "12"]
    assert dict(rows)["4"] == "60" and dict(rows)["7"] == "1.4"
    assert "tc-mark tc-target" in page and "tc-mark tc-base" in page
    assert "−" not in re.sub(r"<[^>]+>", "", page.split('id="target-chart"')[1].split("</div>")[0])


def test_entered_values_are_labelled_on_the_page_and_in_the_csv(client):
    login(client, "planner")
    page = client.get("/planning/?year=2024").get_data(as_text=True)
    assert page.count('class="badge"') >= 2  # indicators entered by hand carry a badge
    csv = client.get("/planning/indicators.csv?year=2024&level=city").get_data(as_text=True)
    header = csv.lstrip("\ufeff").splitlines()[0].split(",")
    assert {"origin", "value_source", "value_date", "progress_note"} <= set(header)


def test_maps_have_classed_legends_and_the_coverage_map_a_legend(client):
    login(client, "planner")
    choro = client.get("/planning/choropleth?year=2024&level=community&key=community_floor_area&lang=en")
    body = choro.get_data(as_text=True)
    assert choro.status_code == 200 and "map-legend" in body and "0.0 – 100.0" not in body
    assert "2025 target: 36 ㎡" in body
    cover = client.get("/planning/coverage?year=2024&lang=en").get_data(as_text=True)
    assert "map-legend" in cover and "Service circle, 1000 m" in cover and "Not covered" in cover


@pytest.mark.parametrize(
    ("values", "decimals", "expected"),
    [
        ([0, 100, 100, 0], 0, [(0, 0), (100, 100)]),  # served or not: two classes, not "0–100"
        ([64.2, 65.4, 68.1], 0, [(64, 64), (65, 65), (68, 68)]),
        ([], 0, []),
        (list(range(100)), 0, [(0, 20), (20, 40), (40, 59), (59, 79), (79, 99)]),
    ],
)
def test_class_breaks(values, decimals, expected):
    assert class_breaks(pd.Series(values, dtype=float), decimals=decimals) == expected


def test_the_generic_choropleth_uses_the_same_classes(app):
    import geopandas as gpd
    from shapely.geometry import box

    from webmap import maps

    gdf = gpd.GeoDataFrame(
        {"name": ["a", "b", "c", "d"], "share": [0.0, 100.0, 100.0, None]},
        geometry=[box(106.8 + i / 100, 39.6, 106.81 + i / 100, 39.61) for i in range(4)],
        crs="EPSG:4490",
    )
    with app.test_request_context():
        page = maps.render(maps.choropleth_map(gdf, "share", title="served", unit="%"))
    assert "0.0 – 100.0" not in page and "0 %" in page and "100 %" in page
    assert 'class="map-legend"' in page and maps.NO_DATA in page  # the unit without a value
