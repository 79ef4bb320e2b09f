"""Sign audit and statistics on tiny inline GeoDataFrames (pure)."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import LineString
from shapely.geometry import Point
from shapely.geometry import box

from gis.errors import InvalidInput
from placenames.signs.audit import FINDING_COLUMNS
from placenames.signs.audit import FINDING_KINDS
from placenames.signs.audit import FINDING_SEVERITY
from placenames.signs.audit import SEVERITIES
from placenames.signs.audit import describe_difference
from placenames.signs.audit import filter_findings
from placenames.signs.audit import findings_by_kind
from placenames.signs.audit import intersection_findings
from placenames.signs.audit import missing_signs
from placenames.signs.audit import plate_findings
from placenames.signs.audit import signs_showing
from placenames.signs.audit import text_findings
from placenames.signs.numbering import NumberingRule
from placenames.signs.stats import sign_statistics
from placenames.signs.stats import statistics_layer

X0, Y0 = 500000.0, 4400000.0
D = "150302000000"


def _m(x, y):
    return Point(X0 + x, Y0 + y)


ROADS = gpd.GeoDataFrame(
    {
        "name": ["人民路", "人民路", "海北大街", "黄河大桥"],
        "road_class": ["street", "street", "street", "primary"],
        "street_key": [f"{D}:人民路", f"{D}:人民路", f"{D}:海北大街", f"{D}:黄河大桥"],
    },
    geometry=[
        LineString([(X0, Y0), (X0 + 200, Y0)]),
        LineString([(X0 + 200, Y0), (X0 + 400, Y0)]),
        LineString([(X0 + 200, Y0), (X0 + 200, Y0 + 300)]),
        LineString([(X0 + 400, Y0), (X0 + 600, Y0)]),
    ],
    crs=4545,
).to_crs(4490)


def _plates(rows):
    numbers, xy = zip(*rows, strict=True)
    return gpd.GeoDataFrame(
        {"id": range(1, len(rows) + 1), "street_key": f"{D}:人民路", "house_number": numbers},
        geometry=[_m(x, y) for x, y in xy],
        crs=4545,
    ).to_crs(4490)


def test_describe_difference():
    assert describe_difference("人民路", "人民街") == "人民[路→街]"
    assert describe_difference("新华街", "华街") == "[-新]华街"
    assert describe_difference("RENMIN LU", "RENMINLU") == "RENMIN[- ]LU"


def test_text_findings_kinds_and_difference():
    signs = gpd.GeoDataFrame(
        {
            "id": [1, 2, 3, 4, 5, 6],
            "place_name_id": [1, 1, 1, 1, None, 1],
            "text_zh": ["人民路", "人民街", "胜利路", "人民路", "胜利路", "人民路"],
            "text_romanized": ["RENMIN LU", "RENMIN JIE", "SHENGLI LU", "RENMINLU", None, "Renmin  Lu"],
            "text_mongolian": [None] * 6,
        },
        geometry=[Point(106.8, 39.6)] * 6,
        crs=4490,
    )
    names = pd.DataFrame({"id": [1], "name": ["人民路"], "romanized": ["Renmin Lu"], "mongolian": [None]})
    former = pd.DataFrame({"place_name_id": [1], "name": ["胜利路"]})
    found = text_findings(signs, names, former)
    assert sorted(zip(found["kind"], found["sign_id"], strict=True)) == [
        ("old_name", 3),
        ("wrong_romanization", 4),
        ("wrong_text", 2),
    ]
    assert found.set_index("sign_id").loc[2, "difference"] == "人民[路→街]"
    assert signs_showing(signs, place_name_id=1, texts={"胜利路"})["id"].tolist() == [3, 5]


def test_text_findings_romanize_fills_missing_standard_form():
    signs = gpd.GeoDataFrame(
        {
            "id": [1],
            "place_name_id": [1],
            "text_zh": ["人民路"],
            "text_romanized": ["RENMING LU"],
            "text_mongolian": [None],
        },
        geometry=[Point(106.8, 39.6)],
        crs=4490,
    )
    names = pd.DataFrame({"id": [1], "name": ["人民路"], "romanized": [None], "mongolian": [None]})
    found = text_findings(signs, names, romanize=lambda name: "Renmin Lu")
    assert found["kind"].tolist() == ["wrong_romanization"]
    assert found["expected"].tolist() == ["RENMIN LU"]  # compared and shown in capitals, as on signs


def test_intersection_and_street_end_coverage():
    signs = gpd.GeoDataFrame(
        {
            "id": [10, 11, 12, 13],
            "street_key": [f"{D}:人民路", f"{D}:人民路", f"{D}:海北大街", f"{D}:黄河大桥"],
        },
        geometry=[_m(205, 5), _m(3, 5), _m(195, 300), _m(600, 5)],
        crs=4545,
    ).to_crs(4490)
    found = intersection_findings(ROADS, signs)
    got = sorted(zip(found["kind"], found["detail"], strict=True))
    assert got == [
        ("intersection_without_sign", "no street sign within 30 m for: 人民路、黄河大桥"),
        ("intersection_without_sign", "no street sign within 30 m for: 海北大街"),
    ]
    assert found.crs == ROADS.crs


def test_plate_findings_every_kind():
    plates = _plates(
        [
            ("1", (10, 12)),
            ("3", (30, 12)),
            ("9", (50, 12)),
            ("5", (60, 12)),  # 5 after 9: out of order; 7 missing
            ("2", (10, -12)),
            ("2", (20, -12)),
            ("4", (40, 12)),  # duplicate 2, 4 on the odd side
            ("12a", (70, -12)),
            ("6", (90, -400)),  # bad number, far from the street
        ]
    )
    found = plate_findings(ROADS, plates)
    kinds = found.groupby("kind")["sign_id"].apply(lambda s: sorted(x for x in s if x is not None)).to_dict()
    assert kinds["duplicate_number"] == [5, 6]
    assert kinds["wrong_side"] == [7]
    assert kinds["out_of_order"] == [4]  # 5 after 9; "4" is judged among the even numbers
    assert kinds["bad_number"] == [8]
    assert kinds["far_from_street"] == [9]
    gaps = found[found["kind"] == "number_gap"]
    assert gaps["detail"].tolist() == ["missing 7"]
    bare = found[found["kind"] == "street_without_plates"]
    assert bare["street_key"].tolist() == [f"{D}:海北大街"]  # the bridge carries no house numbers


def test_plate_findings_follow_the_rule():
    plates = _plates([("1", (10, -12)), ("3", (30, -12))])
    assert "wrong_side" in set(plate_findings(ROADS, plates)["kind"])
    assert "wrong_side" not in set(
        plate_findings(ROADS, plates, rule=NumberingRule(odd_side="right"))["kind"]
    )


def test_findings_by_kind_is_json_ready():
    signs = gpd.GeoDataFrame(
        {"id": [1, 2], "kind": ["street", "unit"], "condition": ["missing", "good"]},
        geometry=[Point(106.8, 39.6), Point(106.81, 39.6)],
        crs=4490,
    )
    grouped = findings_by_kind(missing_signs(signs))
    assert list(grouped) == ["sign_missing"]
    assert grouped["sign_missing"][0]["sign_id"] == 1
    assert grouped["sign_missing"][0]["lon"] == pytest.approx(106.8)


def test_statistics_by_district_and_town_and_layer():
    signs = pd.DataFrame(
        {
            "division_code": ["150302001001", "150302001002", "150302002000", "150303001001", None],
            "kind": ["street", "house_number", "house_number", "unit", "street"],
            "condition": ["good", "missing", "good", "damaged", "good"],
        }
    )
    divisions = gpd.GeoDataFrame(
        {
            "code": [
                "150302000000",
                "150303000000",
                "150302001000",
                "150302002000",
                "150303001000",
                "150304001000",
            ],
            "name": ["海勃湾区", "海南区", "甲街道", "乙街道", "丙镇", "丁镇"],
            "level": ["district", "district", "town", "town", "town", "town"],
        },
        geometry=[box(0, 0, 1, 1)] * 6,
        crs=4490,
    )
    stats = sign_statistics(signs, divisions).set_index("code")
    assert stats.loc["150302000000", "total"] == 3
    assert stats.loc["150302001000", "kind_house_number"] == 1
    assert stats.loc["150302001000", "condition_missing"] == 1
    assert stats.loc["150304001000", "total"] == 0
    layer = statistics_layer(stats.reset_index(), divisions)
    assert len(layer) == 4
    assert layer.set_index("code").loc["150302001000", "share_bad"] == 0.5


def test_every_finding_carries_the_severity_of_its_kind():
    signs = gpd.GeoDataFrame(
        {
            "id": [1, 2, 3],
            "kind": ["street", "street", "street"],
            "condition": ["missing", "good", "good"],
            "place_name_id": [1, 1, 1],
            "text_zh": ["人民路", "人民街", "人民路"],
            "text_romanized": ["RENMIN LU", "RENMIN JIE", "RENMINLU"],
            "text_mongolian": [None] * 3,
        },
        geometry=[Point(106.8, 39.6)] * 3,
        crs=4490,
    )
    names = pd.DataFrame({"id": [1], "name": ["人民路"], "romanized": ["Renmin Lu"], "mongolian": [None]})
    plates = _plates([("1", (10, 12)), ("1", (20, 12)), ("5", (30, 12))])
    found = pd.concat(
        [text_findings(signs, names), missing_signs(signs), plate_findings(ROADS, plates)], ignore_index=True
    )
    assert list(found.columns) == FINDING_COLUMNS
    graded = dict(zip(found["kind"], found["severity"], strict=True))
    assert graded == {k: FINDING_SEVERITY[k] for k in graded}
    assert {"wrong_text", "sign_missing", "duplicate_number"} <= {
        k for k, s in graded.items() if s == "error"
    }
    assert {"wrong_romanization", "number_gap", "street_without_plates"} <= {
        k for k, s in graded.items() if s == "warning"
    }
    grouped = findings_by_kind(found)
    assert grouped["sign_missing"][0]["severity"] == "error"
    empty = plate_findings(ROADS.iloc[:0], plates.iloc[:0])
    assert list(empty.columns) == FINDING_COLUMNS


def test_every_kind_has_a_severity():
    assert set(FINDING_SEVERITY.values()) == set(SEVERITIES)
    assert tuple(FINDING_SEVERITY) == FINDING_KINDS


def test_filter_findings_by_kind_and_severity():
    signs = gpd.GeoDataFrame(
        {
            "id": [1, 2],
            "place_name_id": [1, 1],
            "text_zh": ["人民街", "人民路"],
            "text_romanized": ["RENMIN JIE", "RENMINLU"],
            "text_mongolian": [None, None],
            "kind": ["street", "street"],
            "condition": ["missing", "good"],
        },
        geometry=[Point(106.8, 39.6), Point(106.81, 39.6)],
        crs=4490,
    )
    names = pd.DataFrame({"id": [1], "name": ["人民路"], "romanized": ["Renmin Lu"], "mongolian": [None]})
    found = pd.concat([text_findings(signs, names), missing_signs(signs)], ignore_index=True)
    found = gpd.GeoDataFrame(found, geometry="geometry", crs=4490)
    assert sorted(filter_findings(found)["kind"]) == ["sign_missing", "wrong_romanization", "wrong_text"]
    assert sorted(filter_findings(found, severity="error")["kind"]) == ["sign_missing", "wrong_text"]
    assert filter_findings(found, severity="warning")["kind"].tolist() == ["wrong_romanization"]
    assert filter_findings(found, kind="wrong_text", severity="error")["sign_id"].tolist() == [1]
    assert filter_findings(found, kind="wrong_text", severity="warning").empty
    assert filter_findings(found, kind="", severity="")["kind"].size == 3
    assert len(found) == 3  # the input is left as it was


@pytest.mark.parametrize(
    ("args", "field"), [({"kind": "nonsense"}, "kind"), ({"severity": "fatal"}, "severity")]
)
def test_filter_findings_refuses_unknown_values_naming_the_field(args, field):
    empty = missing_signs(gpd.GeoDataFrame({"id": [], "kind": [], "condition": []}, geometry=[], crs=4490))
    with pytest.raises(InvalidInput) as err:
        filter_findings(empty, **args)
    assert err.value.field == field
