"""Reference step 1 on both backends: divisions, tiling, population calibration, boundary lines, streets."""

from __future__ import annotations

from collections import Counter

import networkx as nx
import pytest
import shapely
from geoalchemy2 import WKTElement
from geoalchemy2.shape import to_shape
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from boundaries.models import BoundaryLine
from boundaries.models import Division
from data.reference import DEFAULT_SEED
from data.reference import base
from data.reference import load_reference
from data.reference.geometry_gen import to_metric_geom
from data.reference.population_gen import allocate
from gis.errors import Forbidden
from gis.errors import InvalidInput
from gis.models import AuditLog
from gis.models import RoadSegment


@pytest.fixture(scope="module")
def loaded(engine):
    """One base load per backend, shared by this module's read-only tests, rolled back at the end."""
    conn = engine.connect()
    trans = conn.begin()
    sess = Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
    counts = base.load(sess, actor="tester", rng_seed=DEFAULT_SEED)
    yield sess, counts
    sess.close()
    trans.rollback()
    conn.close()


def _divisions(sess) -> dict[str, Division]:
    return {d.code: d for d in sess.scalars(select(Division))}


def test_division_counts(loaded):
    sess, counts = loaded
    divs = [d for d in _divisions(sess).values() if d.in_wuhai]
    by = Counter((d.level, d.kind) for d in divs)
    assert by[("city", "地级市")] == 1
    assert by[("district", "市辖区")] == 3
    assert by[("town", "街道")] == 15 and by[("town", "镇")] == 5 and by[("town", "开发区")] == 2
    assert by[("community", "社区")] == 70 and by[("village", "村")] == 13 and by[("community", "其他")] == 4
    assert Counter(d.urban_rural for d in divs if d.level in ("community", "village")) == {
        "urban": 70,
        "rural": 13,
        None: 4,
    }
    neighbours = {d.name for d in _divisions(sess).values() if not d.in_wuhai}
    assert {"鄂托克旗", "阿拉善左旗", "惠农区", "平罗县"} <= neighbours
    assert counts["divisions"] == len(divs) + len(neighbours) == 121
    assert _divisions(sess)["150302101203"].name == "新地村委会"


def test_geometries_valid_multipolygons_in_storage_crs(loaded):
    sess, _ = loaded
    rows = sess.execute(
        select(func.count(), func.min(func.ST_SRID(Division.geom)), func.max(func.ST_SRID(Division.geom)))
        .where(func.ST_IsValid(Division.geom).is_(True))
        .where(func.ST_GeometryType(Division.geom).in_(["ST_MultiPolygon", "MULTIPOLYGON"]))
    ).one()
    assert rows == (121, 4490, 4490)


def test_children_tile_parents(loaded):
    sess, _ = loaded
    divs = _divisions(sess)
    shapes = {c: to_metric_geom(to_shape(d.geom)) for c, d in divs.items() if d.in_wuhai}
    children: dict[str, list[str]] = {}
    for d in divs.values():
        if d.in_wuhai and d.parent_code:
            children.setdefault(d.parent_code, []).append(d.code)
    assert len(children) == 1 + 3 + 22
    for parent, kids in children.items():
        union = shapely.union_all([shapes[k] for k in kids])
        area = shapes[parent].area
        assert abs(union.area - area) / area < 1e-3, divs[parent].name
        assert abs(sum(shapes[k].area for k in kids) - area) / area < 1e-3, f"overlap in {divs[parent].name}"
        assert shapes[parent].symmetric_difference(union).area / area < 1e-3


def test_communities_inside_their_town_and_urban_ones_small(loaded):
    sess, _ = loaded
    divs = _divisions(sess)
    for d in divs.values():
        if d.level in ("community", "village") and d.in_wuhai:
            town = to_shape(divs[d.parent_code].geom)
            assert town.buffer(1e-7).contains(to_shape(d.geom)), d.name
    siblings = Counter(d.parent_code for d in divs.values() if d.kind == "社区")
    urban = [
        to_metric_geom(to_shape(d.geom)).area
        for d in divs.values()
        if d.kind == "社区" and divs[d.parent_code].kind == "街道" and siblings[d.parent_code] > 1
    ]
    rural = [to_metric_geom(to_shape(d.geom)).area for d in divs.values() if d.kind == "村"]
    assert len(urban) == 60  # 70 less the 9 of the 镇 and the single one of 西卓子山街道
    assert max(urban) < 3e6 < 10e6 < min(rural)


def test_population_calibrated(loaded):
    sess, _ = loaded
    divs = [d for d in _divisions(sess).values() if d.in_wuhai]
    leaves = [d for d in divs if d.level in ("community", "village")]
    residents = sum(d.population for d in leaves)
    assert residents == 556_621
    assert sum(d.population for d in leaves if d.kind == "村") == 23_000
    assert sum(d.population_60plus for d in leaves) == 90_600
    households = sum(d.households for d in leaves)
    assert 2.45 < residents / households < 2.6
    city = next(d for d in divs if d.level == "city")
    assert (city.population, city.households, city.population_60plus) == (residents, households, 90_600)
    districts = {d.name: d.population for d in divs if d.level == "district"}
    assert districts == {"海勃湾区": 340_096, "海南区": 94_449, "乌达区": 122_076}
    assert all(d.population_60plus <= d.population for d in leaves)
    assert all(d.population > 0 for d in leaves if d.kind in ("社区", "村"))
    assert {d.source for d in leaves} == {"nbs2023+synthetic"}


def test_boundary_lines(loaded):
    sess, counts = loaded
    lines = sess.scalars(select(BoundaryLine)).all()
    assert counts["boundary_lines"] == len(lines) == 10
    assert Counter(line.level for line in lines) == {"district": 3, "city": 5, "provincial": 2}
    assert all(len(line.left_code) == 12 and line.length_km > 1 for line in lines)


def test_street_network_noded_and_named(loaded):
    sess, counts = loaded
    rows = sess.execute(
        select(RoadSegment.name, RoadSegment.division_code, RoadSegment.road_class, RoadSegment.geom)
    ).all()
    assert counts["road_segments"] == len(rows) > 1500
    graph = nx.Graph()
    for name, code, _cls, geom in rows:
        line = to_shape(geom)
        assert name and code in {"150302000000", "150303000000", "150304000000"}
        graph.add_edge(tuple(line.coords[0]), tuple(line.coords[-1]))
    assert nx.number_connected_components(graph) == 1
    assert {cls for *_, cls, _ in rows} >= {"primary", "secondary", "street", "rural", "trunk"}
    # one name = one street: per district, a name never serves two classes
    classes: dict[tuple[str, str], set[str]] = {}
    for name, code, cls, _ in rows:
        classes.setdefault((code, name), set()).add(cls)
    assert all(len(v) == 1 for v in classes.values())
    # every village is reached by a rural road named after it
    villages = sess.scalars(select(Division.name).where(Division.kind == "村")).all()
    rural = {name for name, _, cls, _ in rows if cls == "rural"}
    assert all(v.removesuffix("村民委员会").removesuffix("村委会") + "路" in rural for v in villages)


def test_reload_is_idempotent_and_keeps_user_rows(loaded):
    sess, counts = loaded
    user_road = RoadSegment(
        name="测试路",
        road_class="street",
        source="manual",
        geom=WKTElement("LINESTRING(106.81 39.66,106.82 39.66)", srid=4490),
    )
    sess.add(user_road)
    community = sess.get(Division, "150302001002")
    original = community.population
    community.population += 10  # a user's correction of a reference row
    sess.flush()
    before = sess.scalar(select(func.count()).select_from(AuditLog))
    again = base.load(sess, actor="tester", rng_seed=DEFAULT_SEED)
    assert again == {**counts, "written": 0}
    assert sess.scalar(select(func.count()).select_from(AuditLog)) == before
    assert sess.get(RoadSegment, user_road.id).name == "测试路"
    sess.refresh(community)
    assert (community.population, community.version) == (original + 10, 2)
    community.population -= 10
    sess.delete(user_road)
    sess.flush()


def test_load_records_the_writes(loaded):
    sess, _ = loaded
    entries = sess.execute(
        select(AuditLog.table_name, AuditLog.actor, AuditLog.after).where(AuditLog.action == "bulk_insert")
    ).all()
    assert {(t, a) for t, a, _ in entries} >= {
        ("division", "tester"),
        ("boundary_line", "tester"),
        ("road_segment", "tester"),
    }


def test_load_needs_an_actor(session):
    with pytest.raises(Forbidden):
        base.load(session, actor="", rng_seed=DEFAULT_SEED)


def test_unknown_steps_are_invalid_input(session):
    with pytest.raises(InvalidInput, match="nonsense") as info:
        load_reference(session, actor="tester", steps=["base", "nonsense"])
    assert info.value.field == "step"


@pytest.mark.parametrize(
    ("total", "weights", "expected"),
    [(10, [1, 1, 1], [4, 3, 3]), (7, [0.5, 0.25, 0.25], [3, 2, 2]), (0, [2, 3], [0, 0]), (5, [1, 0], [5, 0])],
)
def test_allocate_sums_exactly(total, weights, expected):
    assert allocate(total, weights) == expected
    assert sum(allocate(total, weights)) == total


def test_node_splits_crossings_and_t_junctions_at_shared_points():
    from shapely.geometry import LineString

    from data.reference.roads_gen import Road
    from data.reference.roads_gen import node

    roads = [
        Road("东西路", "street", LineString([(0, 0), (100, 0)])),
        Road("南北街", "street", LineString([(50, -50), (50, 50)])),
        Road("支路", "street", LineString([(80, 40), (80, 20), (80, 0)])),  # ends on 东西路
    ]
    segments = node(roads)
    ends = Counter(p for s in segments for p in (s.geom.coords[0], s.geom.coords[-1]))
    assert Counter(s.name for s in segments) == {"东西路": 3, "南北街": 2, "支路": 1}
    assert ends[(50.0, 0.0)] == 4 and ends[(80.0, 0.0)] == 3
    assert sum(s.geom.length for s in segments) == pytest.approx(100 + 100 + 40)


def test_tile_covers_region_without_overlap():
    import random

    from shapely.geometry import Polygon

    from data.reference.geometry_gen import tile

    region = Polygon([(0, 0), (4000, 0), (4000, 1000), (1000, 1000), (1000, 3000), (0, 3000)])  # an L
    cells, seeds = tile(region, 7, rng=random.Random(3))
    assert len(cells) == len(seeds) == 7
    assert all(c.is_valid and c.geom_type == "MultiPolygon" for c in cells)
    assert sum(c.area for c in cells) == pytest.approx(region.area, rel=1e-9)
    assert shapely.union_all(cells).symmetric_difference(region).area < 1e-6
    assert all(c.contains(s) or c.touches(s) for c, s in zip(cells, seeds, strict=True))
