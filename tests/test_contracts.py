"""Input contracts: one per writable field, read by every path (imports, forms, OGC API, use cases).

Every writable column of the editable models has a contract; the import layer's field, the OGC
API schema's property and the form's number field agree with it; text a contract accepts
survives export and import (CSV and XLSX) unchanged, and text it refuses is refused by the
import, the use case's validator and the OGC API body check, each naming the same field.
"""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pytest
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from shapely.geometry import Point

from boundaries.models import BoundaryLine
from boundaries.models import BoundaryMarker
from boundaries.models import Division
from data.layers import LAYERS
from data.spreadsheet import spreadsheet_table
from data.spreadsheet import write_csv
from data.spreadsheet import write_xlsx
from data.validation import check_fields
from data.validation import map_columns
from facilities.models import Facility
from facilities.validation import validate_facility
from gis.contracts import Contract
from gis.contracts import check
from gis.contracts import contracts_of
from gis.contracts import json_schema
from gis.contracts import writable_columns
from gis.errors import InvalidInput
from gis.io import read_vector
from placenames import fields
from placenames.models import PlaceName
from placenames.models import Sign
from placenames.signs.validation import validate_sign_record
from webmap.ogcapi.bodies import typed_properties
from webmap.ogcapi.collections import collections
from webmap.ogcapi.schema import property_schema

ROOT = Path(__file__).resolve().parents[1]
#: The editable models and the columns the system fills itself (derived keys, uploaded photos).
EDITABLE = {
    PlaceName: ("pinyin_key", "initials"),
    Sign: ("photos",),
    Facility: (),
    BoundaryMarker: ("photos",),
    BoundaryLine: (),
    Division: (),
}
LON, LAT = 106.82, 39.67


@pytest.mark.parametrize("model", list(EDITABLE), ids=lambda m: m.__name__)
def test_every_writable_column_of_an_editable_model_has_a_contract(model):
    declared = contracts_of(model)
    assert set(declared) == set(writable_columns(model, managed=EDITABLE[model]))
    for name, contract in declared.items():
        column = model.__table__.c[name]
        if contract.kind == "text" and getattr(column.type, "length", None):
            assert contract.max_length is not None and contract.max_length <= column.type.length, name
        if contract.kind in ("int", "float"):
            assert contract.minimum is not None and contract.maximum is not None, name
        if contract.pattern:
            re.compile(contract.pattern)


def _layer_fields():
    for lyr in LAYERS.values():
        declared = contracts_of(lyr.model)
        for f in lyr.fields:
            if f.name in declared and f.lookup is None:
                yield pytest.param(lyr, f, declared[f.name], id=f"{lyr.name}.{f.name}")


@pytest.mark.parametrize(("lyr", "f", "contract"), list(_layer_fields()))
def test_the_import_field_takes_its_rules_from_the_contract(lyr, f, contract):
    assert f.contract is contract
    assert (f.max_length, f.pattern, f.choices) == (contract.max_length, contract.pattern, contract.choices)
    assert (f.minimum, f.maximum) == (contract.minimum, contract.maximum)


def _properties():
    for coll in collections().values():
        declared = contracts_of(coll.model)
        for name in coll.properties:
            if name in declared:
                yield pytest.param(coll, name, declared[name], id=f"{coll.id}.{name}")


@pytest.mark.parametrize(("coll", "name", "contract"), list(_properties()))
def test_the_ogcapi_schema_property_states_the_contract(coll, name, contract):
    schema = property_schema(coll, name)
    expected = json_schema(contract)
    for key in ("maxLength", "pattern", "minimum", "maximum", "enum"):
        assert schema.get(key) == expected.get(key), key


def _numbers():
    for model in EDITABLE:
        for name, contract in contracts_of(model).items():
            if contract.kind in ("int", "float"):
                yield pytest.param(contract, name, id=f"{model.__name__}.{name}")


@pytest.mark.parametrize(("contract", "name"), list(_numbers()))
def test_the_form_number_field_keeps_the_contracts_range(contract, name):
    from flask import Flask

    from webmap import forms

    app = Flask(__name__)

    def read(value: str):
        with app.test_request_context("/", method="POST", data={name: value}):
            return forms.number(name, contract=contract)

    assert read(_text(contract.minimum)) == contract.minimum
    assert read(_text(contract.maximum)) == contract.maximum
    step = 1 if contract.kind == "int" else max(1.0, abs(contract.maximum) * 1e-6)
    for outside in (contract.minimum - step, contract.maximum + step):
        with pytest.raises(InvalidInput) as refused:
            read(_text(outside))
        assert refused.value.field == name
    for junk in ("nan", "inf", "1e400", "x"):
        with pytest.raises(InvalidInput):
            read(junk)


def _text(x: float) -> str:
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else repr(float(x))


# --- text: accepted survives export and import, refused is refused on every path -------------

#: Characters that hostile and careless input is made of: scripts, formula and markup
#: characters, quotes, controls, invisible format characters, Latin-1 runs.
_HOSTILE = "=+-@'\"<>&;/*#\t\n\r\x07\x1b\x7f\x85\u200b\u202e\ufeff\ufffdÃ©¤¶"
_ALPHABET = st.one_of(
    st.sampled_from(list(_HOSTILE)),
    st.characters(min_codepoint=0x4E00, max_codepoint=0x4F00),
    st.characters(min_codepoint=0x20, max_codepoint=0x7E),
    st.characters(codec="utf-8", exclude_categories=("Cs",)),
)
TEXTS = st.text(_ALPHABET, max_size=24) | st.sampled_from(
    [
        "=1+2",
        "'=SUM(A1)",
        "@cmd",
        "-5",
        "+86 0473",
        "<b>x</b>",
        "x' OR '1'='1",
        "路 -- ",
        "  明珠街  ",
        "ä¸­æ–‡",
    ]
)
#: (layer, field, a valid record of the layer) for the round trip.
CASES = [
    ("signs", "material", {"code": "WH1", "kind": "other"}),
    ("facilities", "address", {"kind": "home_care_station", "name": "站"}),
    ("place_names", "meaning", {"name": "明珠街", "category_code": "2121"}),
]
_SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _import(path: Path, layer: str, field: str) -> tuple[object, list]:
    lyr = LAYERS[layer]
    frame, _ignored, _missing = map_columns(read_vector(path, crs=4490).gdf, lyr)
    values, problems = check_fields(frame, lyr)
    return values[field].iloc[0], [p for p in problems if p.field == lyr.field(field).column]


def _export(tmp: Path, layer: str, record: dict, kind: str) -> Path:
    lyr = LAYERS[layer]
    gdf = gpd.GeoDataFrame([record], geometry=[Point(LON, LAT)], crs=4490)
    path = tmp / f"out.{kind}"
    table, kinds, _ = spreadsheet_table(lyr, gdf, path)
    if kind == "csv":
        write_csv(table, kinds, path)
    else:
        write_xlsx(table, kinds, path, sheet=layer)
    return path


@pytest.mark.parametrize(("layer", "field", "record"), CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("kind", ["csv", "xlsx"])
@_SETTINGS
@given(value=TEXTS)
def test_text_a_contract_accepts_survives_export_and_import(
    tmp_path_factory, layer, field, record, kind, value
):
    contract = contracts_of(LAYERS[layer].model)[field]
    try:
        stored = check(contract, value, field=field)
    except InvalidInput:
        return
    if stored is None:
        return
    path = _export(tmp_path_factory.mktemp("rt"), layer, {**record, field: stored}, kind)
    back, problems = _import(path, layer, field)
    assert problems == []
    assert back == stored


@pytest.mark.parametrize(("layer", "field", "record"), CASES, ids=[c[0] for c in CASES])
@_SETTINGS
@given(value=TEXTS.filter(lambda v: "\x00" not in v and "\r" not in v))
def test_text_a_contract_refuses_is_refused_on_every_path_naming_the_field(
    tmp_path_factory, layer, field, record, value
):
    contract = contracts_of(LAYERS[layer].model)[field]
    try:
        check(contract, value, field=field)
    except InvalidInput as exc:
        assert exc.field == field
    else:
        return
    path = tmp_path_factory.mktemp("bad") / "in.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["lon", "lat", *record, field])
        writer.writerow([LON, LAT, *record.values(), value])
    _back, problems = _import(path, layer, field)
    assert problems, f"the import took {value!r}"
    with pytest.raises(InvalidInput) as refused:
        _use_case_check(layer, field, record, value)
    assert refused.value.field == field
    coll = collections()[layer]
    with pytest.raises(InvalidInput) as refused:
        typed_properties(coll, {field: value})
    assert refused.value.field == field


def _use_case_check(layer: str, field: str, record: dict, value: str) -> None:
    if layer == "signs":
        validate_sign_record({**record, field: value})
    elif layer == "facilities":
        validate_facility({**record, field: value}, lon=LON, lat=LAT)
    else:
        fields.set_text(PlaceName(name=record["name"]), **{field: value})


def test_every_contract_kind_is_described_and_typed():
    for model in EDITABLE:
        for contract in contracts_of(model).values():
            assert json_schema(contract)["type"] in ("string", "integer", "number", "boolean", "array")
    assert check(Contract("int", minimum=0, maximum=10), "7", field="n") == 7
    with pytest.raises(InvalidInput, match="out of range"):
        check(Contract("int", minimum=0, maximum=10), 10**30, field="n")


def test_the_security_document_lists_every_contract():
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "contracts_table.py"), "--check"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
