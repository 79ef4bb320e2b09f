"""Search (Chinese, pinyin, initials, former names, aliases, typos, filters, nearest) and geocoding."""

from __future__ import annotations

from datetime import date

import pytest
from names_fixtures import HBW
from names_fixtures import HN
from names_fixtures import TOWN
from names_fixtures import seed_divisions
from shapely.geometry import LineString
from shapely.geometry import Point
from shapely.geometry import Polygon
from sqlalchemy import text

from placenames import search
from placenames import store
from placenames.models import Sign
from placenames.signs import geocode


@pytest.fixture
def names(session):
    seed_divisions(session)
    made = {}
    specs = [
        ("海勃湾区", "213", HBW, Polygon([(106.75, 39.6), (106.9, 39.6), (106.9, 39.8), (106.75, 39.8)]), []),
        ("海南区", "213", HN, Point(106.88, 39.44), []),
        ("人民路", "253", TOWN, LineString([(106.80, 39.67), (106.82, 39.67)]), []),
        ("人民北路", "253", TOWN, LineString([(106.80, 39.68), (106.82, 39.68)]), []),
        ("海北大街", "253", TOWN, LineString([(106.80, 39.69), (106.82, 39.69)]), ["海北街"]),
        ("甘德尔山", "131", HBW, Point(106.87, 39.75), ["甘德尔"]),
        ("林荫街道", "214", TOWN, Point(106.81, 39.66), []),
        ("人民路", "253", HN, LineString([(106.87, 39.44), (106.89, 39.44)]), []),
    ]
    for name, cat, div, geom, aliases in specs:
        pn = store.propose(session, actor="t", name=name, category_code=cat, division_code=div, geom=geom,
                           aliases=aliases)  # fmt: skip
        store.review(session, pn.id, actor="t")
        store.approve(session, pn.id, actor="t", authority="政府", document="d", approval_date=date(2020, 1, 1),
                      justification="test")  # fmt: skip
        store.announce(session, pn.id, actor="t", announcement_date=date(2020, 2, 1))
        made.setdefault(name, pn)
    store.rename(
        session, made["林荫街道"].id, actor="t", new_name="卡布其街道", reason="x", justification="x"
    )
    store.rename(
        session, made["林荫街道"].id, actor="t", new_name="林荫街道", reason="restored", justification="x"
    )
    return session, made


def _names(results):
    return [r["name"] for r in results]


@pytest.mark.parametrize(
    ("q", "first", "match"),
    [
        ("人民路", "人民路", "exact"),
        ("人民", "人民路", "prefix"),
        ("勃湾", "海勃湾区", "substring"),
        ("海勃弯区", "海勃湾区", "typo"),
        ("haibowan", "海勃湾区", "pinyin_prefix"),
        ("hai bo wan qu", "海勃湾区", "pinyin_exact"),
        ("Haibowan Qu", "海勃湾区", "pinyin_exact"),
        ("hbw", "海勃湾区", "initials_prefix"),
        ("卡布其街道", "林荫街道", "former_exact"),
        ("海北街", "海北大街", "alias_exact"),
        ("gandeer", "甘德尔山", "pinyin_prefix"),
        ("haibiedajie", "海北大街", "typo"),
    ],
)
def test_search_kinds(names, q, first, match):
    session, _ = names
    results = search.search(session, q, limit=5)
    assert results, q
    assert results[0]["name"] == first
    assert results[0]["match"] == match


def test_filters(names):
    session, made = names
    assert _names(search.search(session, "人民路", division=HN)) == ["人民路"]
    assert search.search(session, "人民路", division=HN)[0]["division_code"] == HN
    roads = search.search(session, "人民路", category="25")
    assert [r["match"] for r in roads[:2]] == ["exact", "exact"]
    assert {r["category_code"] for r in roads} == {"253"}
    assert search.search(session, "甘德尔", category="253") == []
    assert search.search(session, "甘德尔", status="proposed") == []
    inside = search.search(session, "人民", bbox=(106.79, 39.675, 106.83, 39.685))
    assert _names(inside) == ["人民北路"]


def test_nearest(names):
    session, _ = names
    results = search.search(session, "", near=(106.81, 39.681), limit=3)
    assert (results[0]["name"], results[0]["distance_m"]) == ("海勃湾区", 0)  # the point lies inside
    assert results[1]["name"] == "人民北路"
    assert 50 < results[1]["distance_m"] < 200
    assert search.search(session, "", near=(106.81, 39.681), limit=1, category="25")[0]["name"] == "人民北路"
    assert [r["distance_m"] for r in results] == sorted(r["distance_m"] for r in results)


@pytest.mark.parametrize("bad", [{"category": "999"}, {"near": (39.6, 106.8)}, {"bbox": (1, 2, 0, 1)}])
def test_bad_filters(names, bad):
    with pytest.raises(ValueError):
        search.search(names[0], "人民", **bad)


def test_hostile_query_is_harmless(names):
    session, _ = names
    assert search.search(session, "'; DROP TABLE place_name;--") == []
    assert search.search(session, "<script>") == []
    with pytest.raises(ValueError):
        search.search(session, "路" * 100)


def test_index_refreshes_after_write(names):
    session, made = names
    assert search.search(session, "德尔山")[0]["name"] == "甘德尔山"
    store.rename(session, made["甘德尔山"].id, actor="t", new_name="甘德山", reason="x", justification="x")
    assert search.search(session, "德山")[0]["name"] == "甘德山"
    assert search.search(session, "德尔山")[0]["match"] == "substring"  # the former name


def test_geocode_and_reverse(names):
    session, made = names
    road = made["人民路"]
    for n, x in ((10, 106.801), (12, 106.802), (14, 106.803)):
        session.add(
            Sign(
                kind="house_number",
                place_name_id=road.id,
                house_number=str(n),
                geom=f"SRID=4490;POINT({x!r} 39.6702)",
            )
        )
    session.flush()
    hit = geocode.geocode(session, "海勃湾区人民路12号")
    assert (hit["road_id"], hit["house_number"], hit["exact"]) == (road.id, "12", True)
    assert hit["lon"] == pytest.approx(106.802)
    near = geocode.geocode(session, "海勃湾区人民路13号")
    assert near["exact"] is False
    with pytest.raises(LookupError):
        geocode.geocode(session, "海南区人民路12号")  # no plates on that road
    with pytest.raises(LookupError):
        geocode.geocode(session, "海勃湾区不存在路1号")
    with pytest.raises(ValueError):
        geocode.geocode(session, "人民路")
    back = geocode.reverse_geocode(session, 106.8029, 39.6703)
    assert back["address"] == "海勃湾区人民路14号"
    assert back["distance_m"] < 20
    with pytest.raises(LookupError):
        geocode.reverse_geocode(session, 106.5, 39.3)


def test_index_updates_incrementally_and_forgets_vanished(names):
    session, made = names
    pn = store.propose(session, actor="t", name="甘泉路", category_code="253", division_code=TOWN)
    assert search.search(session, "泉路")[0]["name"] == "甘泉路"
    assert [(e.kind, e.text) for e in search.entries_of(session, pn.id)] == [("name", "甘泉路")]
    session.execute(  # an entry of a place that does not exist
        text(
            "INSERT INTO name_entry (place_id, kind, text, pinyin) VALUES (999999, 'name', '甘泉新路', 'ganquanxinlu')"
        )
    )
    results = search.search(session, "泉新")
    assert all(r["id"] != 999_999 for r in results)
    assert search.search(session, "泉路")[0]["id"] == pn.id


def test_two_character_query_gets_no_typo_noise(names):
    """One wrong character of two would match every name sharing the other one."""
    session, _ = names
    for q in ("海勃", "甘德", "海西"):
        assert all(r["match"] != "typo" for r in search.search(session, q, limit=50)), q
    assert search.search(session, "海西", limit=50) == []  # nothing starts with or contains 海西
    assert search.search(session, "海勃弯区", limit=50)[0]["match"] == "typo"  # three or more: typos
