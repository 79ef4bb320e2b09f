"""The Chinese catalogue: complete, current, and faithful to each message's placeholders."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

WEBMAP = Path(__file__).resolve().parents[1] / "webmap"
CATALOGUE = WEBMAP / "translations" / "zh" / "LC_MESSAGES"
#: Placeholders of Python's %-formatting: named (``%(name)s``) and positional (``%s``, ``%d``).
PLACEHOLDER = re.compile(r"%(?:\([A-Za-z_][A-Za-z0-9_]*\))?[-#0 +]*\d*(?:\.\d+)?[sdifgrx]")
#: Values shown through ``_(variable)`` whose vocabulary is not a domain constant.
SHOWN_VALUES = {
    "acknowledged",  # alarm states
    "acknowledge",
    "close",  # alarm acts
    "planned",
    "in_progress",
    "completed",  # inspection rounds
    "provincial",
    "city",
    "district",  # boundary line levels
    "landform",
    "construction",
    "other",  # segment notes
    "withdrawn",  # renaming status
    "propose",
    "review",
    "approve",
    "announce",
    "rename",
    "retire",
    "edit",
    "register",  # name events
}
#: Kinds of the sign audit's findings.
FINDING_KINDS = {
    "sign_missing",
    "wrong_text",
    "old_name",
    "wrong_romanization",
    "missing_mongolian",
    "wrong_mongolian",
    "unknown_street",
    "bad_number",
    "far_from_street",
    "duplicate_number",
    "number_gap",
    "out_of_order",
    "wrong_side",
    "intersection_without_sign",
    "street_end_without_sign",
    "street_without_plates",
}


def dynamic_values() -> set[str]:
    """Statuses, kinds, fields and roles the pages translate at run time with ``_(value)``."""
    from boundaries import alarms
    from boundaries import inspections
    from boundaries import markers
    from boundaries import store as boundary_store
    from facilities import indicators
    from facilities import kinds
    from gis import accounts
    from placenames import models
    from placenames.signs import audit
    from placenames.signs import usecases as sign_usecases
    from placenames.signs import workorders
    from webmap import planning_bp

    return {
        *SHOWN_VALUES,
        *FINDING_KINDS,
        *audit.DETAILS,
        *models.NAME_STATUSES,
        *models.SIGN_KINDS,
        *models.SIGN_CONDITIONS,
        *workorders.REASONS,
        *workorders.STATUSES,
        *sign_usecases.EDIT_FIELDS,
        *alarms.RULES,
        *inspections.CONDITIONS,
        *inspections.PROBLEMS,
        *markers.STATUSES,
        *boundary_store.DISPUTE_STATUSES,
        *indicators.LEVELS,
        *kinds.FACILITY_STATUSES,
        *planning_bp.EDIT_FIELDS,
        *planning_bp.FLAGS,
        *accounts.ROLES,
    }


@pytest.fixture(scope="module")
def catalogue():
    with open(CATALOGUE / "messages.po", "rb") as f:
        return read_po(f)


def extracted_ids() -> set[str]:
    """Every msgid the templates and the web app's Python code use, extracted as babel.cfg says."""
    with open(WEBMAP / "babel.cfg", encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f)
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(WEBMAP), method_map, options_map
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def _strings(message) -> list[str]:
    return list(message.string) if isinstance(message.string, tuple | list) else [message.string]


def _ids(message) -> list[str]:
    return list(message.id) if isinstance(message.id, tuple | list) else [message.id]


def test_every_entry_is_translated_and_none_is_fuzzy(catalogue):
    bad = [m.id for m in catalogue if m.id and (m.fuzzy or not all(s.strip() for s in _strings(m)))]
    assert bad == []


def test_every_extracted_message_is_in_the_catalogue(catalogue):
    known = {_ids(m)[0] for m in catalogue if m.id}
    assert sorted(extracted_ids() - known) == []


def test_values_shown_at_run_time_are_in_the_catalogue(catalogue):
    known = {_ids(m)[0] for m in catalogue if m.id}
    assert sorted(dynamic_values() - known) == []


def test_placeholders_match(catalogue):
    wrong = []
    for m in catalogue:
        if not m.id:
            continue
        wanted = set(PLACEHOLDER.findall(_ids(m)[-1]))
        for s in _strings(m):
            if set(PLACEHOLDER.findall(s)) != wanted:
                wrong.append((m.id, s))
    assert wrong == []


def test_compiled_catalogue_is_current(catalogue):
    with open(CATALOGUE / "messages.mo", "rb") as f:
        compiled = read_mo(f)
    source = {m.id: m.string for m in catalogue if m.id}
    assert {m.id: m.string for m in compiled if m.id} == source


def test_audit_findings_are_explained_in_the_pages_language(tmp_path):
    from webmap import create_app
    from webmap.signs_bp import finding_detail

    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'w.sqlite'}",
                      "INSTANCE_PATH": str(tmp_path / "i")})  # fmt: skip
    with app.test_request_context("/?lang=zh", headers={"Accept-Language": "zh"}):
        assert finding_detail("sign recorded as missing") == "标志记录为缺失"
        assert finding_detail("37 m from the street it names") == "距所标道路 37 米"
        assert finding_detail("missing 12, 14") == "缺少 12, 14"
        assert finding_detail(None) is None


def test_import_notes_and_layers_are_in_the_pages_language(tmp_path):
    from webmap import create_app
    from webmap.imports_bp import layer_label
    from webmap.imports_bp import note_text

    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'w.sqlite'}",
                      "INSTANCE_PATH": str(tmp_path / "i")})  # fmt: skip
    with app.test_request_context("/?lang=zh", headers={"Accept-Language": "zh"}):
        assert note_text("CRS EPSG:4490 from the file's crs column") == "坐标系 EPSG:4490 取自文件的 crs 列"
        assert note_text("ignored columns: x, y") == "未读取的列：x, y"
        assert note_text("tables read one after the other: n_point (rows 1-3), n_line (no rows)") == (
            "依次读取的表：n_point （第 1–3 行）, n_line （无行）"
        )
        assert note_text("something else") == "something else"
        assert layer_label("signs") == "地名标志" and layer_label("nope") == "nope"
