"""Reference step 4 on top of step 1: coded lines, markers, devices, rounds, history, dispute (both backends)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from boundaries import divisions
from boundaries import inspections
from boundaries import store
from boundaries import topology
from boundaries.markers import check_groups
from boundaries.models import InspectionRound
from boundaries.models import MarkerDevice
from data.reference import load_reference
from data.reference import markers as markers_step


@pytest.fixture
def loaded(session):
    load_reference(session, actor="loader", steps=["base"])
    counts = markers_step.load(session, actor="loader", rng_seed=20211231)
    return counts


def test_reference_markers(session, loaded):
    assert loaded["coded_lines"] == 10 and loaded["markers"] > 100 and loaded["devices"] == 8
    again = markers_step.load(session, actor="loader", rng_seed=20211231)
    assert again == loaded  # idempotent
    lines = store.lines_gdf(session)
    assert sorted(set(lines["line_name"])) == sorted(
        {
            "乌鄂线",
            "乌阿线",
            "蒙宁线乌海段",
            "海勃湾区—海南区界线",
            "海勃湾区—乌达区界线",
            "海南区—乌达区界线",
        }
    )
    assert set(lines.loc[lines["line_code"] == "1564", "right_name"]) == {"惠农区", "平罗县"}
    assert set(lines.loc[lines["line_code"] == "1564", "level"]) == {"provincial"}
    mk = store.markers_gdf(session)
    assert set(mk["source"]) == {"synthetic"}
    assert set(mk["marker_type"]) >= {"Q", "C", "D", "E"}
    for line_code in set(lines["line_code"]):
        ids = lines.loc[lines["line_code"] == line_code, "id"].tolist()
        mine = mk[mk["line_id"].isin(ids)]
        assert len(mine) >= 3, line_code
        assert all(n.startswith(line_code) for n in mine["number"])
        assert check_groups(mine[["number", "side_code"]].to_dict("records")) == []
    # spacing: no two consecutive groups farther than 5 km apart along any line
    assert topology.check_markers(mk, lines).empty
    assert topology.check_lines(
        lines, divisions.divisions_gdf(session, levels=("district",), in_wuhai=None)
    ).empty
    # (one test: loading the base step is the expensive part)
    rounds = {(r.title, r.status) for r in session.scalars(select(InspectionRound))}
    assert ("蒙宁线乌海段第四轮联合检查", "completed") in rounds and (
        "蒙宁线乌海段第五轮联合检查",
        "in_progress",
    ) in rounds
    due = {d["line_code"]: d for d in inspections.due_lines(session, year=2026)}
    assert due["1564"]["last_completed_year"] == 2017 and due["1564"]["open_round"]["status"] == "in_progress"
    assert not due["15031506"]["due"] and due["150302150303"]["due"]
    devices = list(session.scalars(select(MarkerDevice)))
    assert all(d.token_hash.startswith("sha256:") and len(d.token_hash) == 71 for d in devices)
    towns_2020 = set(divisions.divisions_gdf(session, levels=("town",), as_of=date(2020, 6, 30))["name"])
    towns_now = set(divisions.divisions_gdf(session, levels=("town",))["name"])
    assert "卡布其街道" in towns_2020 and "林荫街道" not in towns_2020
    assert "林荫街道" in towns_now and "卡布其街道" not in towns_now and len(towns_now) == 22
    events = store.division_events(session, code="150302008000")
    assert {"created", "abolished"} <= {e["event"] for e in events}
    disputes = store.list_disputes(session, viewer_roles=("boundary_inspector",))
    assert len(disputes) == 1 and disputes.geometry.iloc[0].geom_type == "Polygon"
