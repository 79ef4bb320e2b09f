"""A marker far from its line is refused unless a justification is recorded (CLI and web alike)."""

from __future__ import annotations

import json

from test_parity_boundaries import ACTOR
from test_parity_boundaries import _line
from test_parity_boundaries import arrange

from boundaries.markers import MAX_LINE_OFFSET_M
from boundaries.markers import check_line_offset

FAR = "106.8915"  # about 1 km east of the line at 106.88


def test_check_line_offset_names_distance_and_tolerance():
    assert check_line_offset("1564001Q", 3.0, justification=None) is None
    assert (
        check_line_offset("1564001Q", 900.0, justification=" 河道改线，界桩设于东岸 ")
        == "河道改线，界桩设于东岸"
    )
    try:
        check_line_offset("1564001Q", 981.4, justification="  ")
    except ValueError as exc:
        assert exc.field == "geometry"
        assert "981 m" in str(exc) and f"{MAX_LINE_OFFSET_M:.0f} m" in str(exc)
    else:
        raise AssertionError("a marker 981 m off its line was accepted")


def test_marker_off_its_line_needs_a_justification(twins):
    arrange(twins, _line)
    args = ["boundaries", "add-marker", "1564001Q", "--line", "150303-640205", "--lon", FAR, "--lat", "39.56"]
    refused = twins.cli(*args, "--format", "json", actor=ACTOR, ok=False)
    error = json.loads(refused.output)["error"]
    assert refused.exit_code == 1 and error["field"] == "geometry" and "tolerance" in error["message"]
    web = twins.web(ACTOR)
    form = {"number": "1564001Q", "line_code": "150303-640205", "lon": FAR, "lat": "39.56"}
    resp = web.post("/boundaries/markers", data=form)
    assert resp.status_code == 422 and "tolerance" in resp.get_data(as_text=True)
    twins.cli(*args, "--justification", "河道改线，界桩设于东岸", actor=ACTOR)
    assert (
        web.post("/boundaries/markers", data={**form, "justification": "河道改线，界桩设于东岸"}).status_code
        == 302
    )
    rows = twins.assert_same(["boundary_marker"])
    assert rows["audit_log"][-1]["reason"].endswith("m from its line: 河道改线，界桩设于东岸")
