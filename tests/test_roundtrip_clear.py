"""``import --update`` of an emptied cell: a nullable field is cleared, a required one refused.

Every layer: export (Chinese labels) → set a field in the sheet → ``import --update`` (one change)
→ export again → empty that cell → ``import --update`` clears the stored value (one change, one
audit entry). An emptied required field refuses the file, naming the row and the field.
"""

from __future__ import annotations

import csv

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from test_roundtrip_layers import ARRANGE
from test_roundtrip_layers import updates
from test_roundtrip_libreoffice import _facilities
from test_roundtrip_libreoffice import _place_names
from test_roundtrip_libreoffice import edit_cell

from data.exporter import export_layer
from data.importer import ImportRefused
from data.importer import import_file
from data.layers import get_layer
from placenames.models import PlaceName
from placenames.romanize import romanize

#: Layer -> (arrange, key cell, header of a nullable field, a value for it, field, audited table).
CASES = {
    **{layer: (arrange, None) for layer, arrange in ARRANGE.items()},
    "place_names": (_place_names, ("甘德尔街", "含义", "以人名命名", "meaning", "place_name")),
    "facilities": (_facilities, ("LO测试服务站", "床位数", 25, "beds", "facility")),
}

#: Layer -> (key cell, header of a required field, its field name) for the refusal.
REQUIRED = {
    "signs": ("LK00000", "标志类型", "kind"),
    "place_names": ("甘德尔街", "类别代码", "category_code"),
    "facilities": ("LO测试服务站", "设施类型", "kind"),
    "divisions": ("海南区", "级别", "level"),
    "boundary_lines": ("150303-640205", "界线名称", "name"),
    "markers": ("1564001Q", "界桩类型", "marker_type"),
}


def _arrange(session, tmp_path, layer):
    arrange, spec = CASES[layer]
    out = arrange(session, tmp_path)
    if spec is None:  # test_roundtrip_layers' arrangements: key, header, value, field, table
        return out
    return spec


def _stored(session, layer: str, key: str, field: str):
    lyr = get_layer(layer)
    model = lyr.model
    column = "name" if layer in ("place_names", "facilities", "roads", "divisions") else lyr.key[0]
    return session.execute(select(getattr(model, field)).where(getattr(model, column) == key)).scalar_one()


def _export(session, layer, path, key):
    where = {"name": [key]} if layer in ("place_names", "facilities") else None
    export_layer(session, layer, path, where=where, labels="zh")
    return path


def _blank(path, key, header):
    """Empty the cell, as deleting its content in a spreadsheet program does."""
    if path.suffix == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as f:
            rows = list(csv.reader(f))
        column = rows[0].index(header)
        for row in rows[1:]:
            if key in row:
                row[column] = ""
        with path.open("w", encoding="utf-8-sig", newline="") as f:
            csv.writer(f).writerows(rows)
        return
    wb = load_workbook(path)
    ws = wb.worksheets[0]
    column = [c.value for c in ws[1]].index(header) + 1
    row = next(r for r in ws.iter_rows(min_row=2) if key in [c.value for c in r])
    ws.cell(row[0].row, column).value = None
    wb.save(path)


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
@pytest.mark.parametrize("layer", list(CASES))
def test_an_emptied_cell_clears_the_field(session, tmp_path, layer, fmt):
    key, header, value, field, table = _arrange(session, tmp_path, layer)
    first = _export(session, layer, tmp_path / "first.xlsx", key)
    edit_cell(first, key, header, value)
    assert import_file(session, first, layer=layer, actor="officer", update=True).counts()["changed"] == 1
    assert _stored(session, layer, key, field) not in (None, "")

    second = _export(session, layer, tmp_path / f"second.{fmt}", key)
    _blank(second, key, header)
    audited = updates(session, table)
    report = import_file(session, second, layer=layer, actor="officer", update=True, dry_run=True)
    assert [(o.status, o.fields) for o in report.outcomes if o.status != "unchanged"] == [
        ("changed", [field])
    ]
    report = import_file(session, second, layer=layer, actor="officer", update=True)
    assert report.counts()["changed"] == 1
    assert _stored(session, layer, key, field) is None
    assert updates(session, table) == audited + 1
    again = import_file(session, second, layer=layer, actor="officer", update=True)
    assert again.counts()["changed"] == 0


@pytest.mark.parametrize("layer", list(REQUIRED))
def test_an_emptied_required_field_is_refused_naming_row_and_field(session, tmp_path, layer):
    _arrange(session, tmp_path, layer)
    key, header, field = REQUIRED[layer]
    path = _export(session, layer, tmp_path / "export.xlsx", key)
    _blank(path, key, header)
    with pytest.raises(ImportRefused) as refused:
        import_file(session, path, layer=layer, actor="officer", update=True)
    problems = refused.value.report.problems
    assert problems, "no problem reported"
    assert any(p.field == get_layer(layer).field(field).column and p.row >= 1 for p in problems), problems
    assert header in str(refused.value) or field in str(refused.value)


#: Layer -> (key cell, header, field) of a field not required in a file but kept in every stored row.
KEPT = {
    "signs": ("LK00000", "状况", "condition"),
    "markers": ("1564001Q", "状态", "status"),
    "facilities": ("LO测试服务站", "状态", "status"),
    "boundary_lines": ("150303-640205", "联检周期(年)", "inspection_cycle_years"),
}


@pytest.mark.parametrize("layer", list(KEPT))
def test_emptying_a_field_every_row_keeps_is_refused(session, tmp_path, layer):
    _arrange(session, tmp_path, layer)
    key, header, field = KEPT[layer]
    path = _export(session, layer, tmp_path / "export.xlsx", key)
    _blank(path, key, header)
    before = _stored(session, layer, key, field)
    with pytest.raises(ImportRefused, match="cannot be emptied") as refused:
        import_file(session, path, layer=layer, actor="officer", update=True)
    assert [(p.field, p.row >= 1) for p in refused.value.report.problems] == [
        (get_layer(layer).field(field).column, True)
    ]
    assert _stored(session, layer, key, field) == before


def test_a_blank_romanized_form_means_the_automatic_one(session, tmp_path):
    _place_names(session, tmp_path)
    place = session.execute(select(PlaceName).where(PlaceName.name == "滨河大道")).scalar_one()
    place.romanized = romanize("滨河大道")  # as the naming acts set it: automatic, no override reason
    session.flush()
    path = _export(session, "place_names", tmp_path / "names.xlsx", "滨河大道")
    automatic = _stored(session, "place_names", "滨河大道", "romanized")
    assert automatic
    _blank(path, "滨河大道", "罗马字母拼写")
    report = import_file(session, path, layer="place_names", actor="officer", update=True)
    assert report.counts()["changed"] == 0
    assert _stored(session, "place_names", "滨河大道", "romanized") == automatic
