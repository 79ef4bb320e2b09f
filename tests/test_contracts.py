# ruff: noqa: F811  (pytest fixtures imported from web_fixtures are redefined as arguments)
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
from web_fixtures import app  # noqa: F401
from web_fixtures import client  # noqa: F401
from web_fixtures import login
from web_fixtures import web_db  # noqa: F401

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
from gis.models import RoadSegment
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
    RoadSegment: (),
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


# --- form fields read their contracts: no limit is written twice ------------------------------

_WEBMAP = Path(__file__).resolve().parents[1] / "webmap"
_FORM_MODULES = sorted(_WEBMAP.glob("*_bp.py")) + [_WEBMAP / "admin.py"]


def _form_calls(path: Path):
    """``(field name, call, enclosing comprehension)`` of every ``forms.text``/``forms.number`` call."""
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    loops: dict[int, ast.AST] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.DictComp | ast.ListComp | ast.SetComp | ast.GeneratorExp):
            parts = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
            for part in parts:
                for inner in ast.walk(part):
                    loops[id(inner)] = node
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "forms"
            and node.func.attr in ("text", "number")
        ):
            yield node, loops.get(id(node))


def _field_contracts():
    """Each form field that passes a contract, with the contract evaluated in its module."""
    import ast
    import importlib

    out = []
    for path in _FORM_MODULES:
        module = importlib.import_module(f"webmap.{path.stem}")
        for call, loop in _form_calls(path):
            kw = next((k for k in call.keywords if k.arg == "contract"), None)
            if kw is None:
                continue
            expr = ast.unparse(kw.value)
            if loop is not None:
                gen = loop.generators[0]
                var, names = ast.unparse(gen.target), _names(gen.iter, path, module)
                for name in names:
                    out.append((path.name, name, eval(expr, vars(module), {var: name})))  # noqa: S307
            else:
                out.append((path.name, ast.literal_eval(call.args[0]), eval(expr, vars(module))))  # noqa: S307
    return out


def _names(node, path: Path, module) -> tuple[str, ...]:
    """The field names a comprehension runs over: a module constant or a tuple assigned in the view."""
    import ast

    try:
        return tuple(eval(ast.unparse(node), vars(module)))  # noqa: S307
    except NameError:
        for a in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(a, ast.Assign) and any(ast.unparse(t) == ast.unparse(node) for t in a.targets):
                return tuple(ast.literal_eval(a.value))
        raise


def test_no_form_field_states_its_own_limit():
    """Blueprint form fields and templates take lengths from the contracts, never from a literal."""
    literal = []
    for path in _FORM_MODULES:
        for call, _loop in _form_calls(path):
            if any(k.arg in ("limit", "lo", "hi") for k in call.keywords):
                literal.append(f"{path.name}:{call.lineno}")
    assert literal == []
    templates = _WEBMAP / "templates"
    stated = [
        f"{t.relative_to(templates)}: {m.group()}"
        for t in templates.rglob("*.html")
        for m in re.finditer(r'maxlength="\d+"', t.read_text(encoding="utf-8"))
    ]
    assert stated == []


def test_every_form_field_of_a_declared_column_reads_that_columns_contract():
    """A form field named after a declared column of a model its blueprint imports carries that contract."""
    import importlib

    found = _field_contracts()
    assert len(found) > 60
    for module_file, name, contract in found:
        assert isinstance(contract, Contract), (module_file, name)
        module = importlib.import_module(f"webmap.{module_file[:-3]}")
        models = {v for v in vars(module).values() if isinstance(v, type) and contracts_of(v)}
        owners = [contracts_of(m)[name] for m in models if name in contracts_of(m)]
        if len(owners) == 1:
            declared = owners[0]
            assert (contract.max_length, contract.pattern, contract.choices, contract.kind) == (
                declared.max_length,
                declared.pattern,
                declared.choices,
                declared.kind,
            ), (module_file, name)


def test_templates_take_maxlength_from_the_contract(client):
    """The propose form's inputs state the lengths the contracts allow."""
    from placenames.models import PLACE_NAME_CONTRACTS

    login(client, "placename_officer")
    html = client.get("/names/new").get_data(as_text=True)

    assert f'name="name" required maxlength="{PLACE_NAME_CONTRACTS["name"].max_length}"' in html
    assert f'name="division_code" maxlength="{PLACE_NAME_CONTRACTS["division_code"].max_length}"' in html


# --- telemetry messages: refused by their contracts ------------------------------------------


def _telemetry_message(**changes):
    from datetime import UTC
    from datetime import datetime

    from boundaries.telemetry import TELEMETRY_CONTRACTS

    c = TELEMETRY_CONTRACTS
    msg = {
        "device_id": "WH-dev_01",
        "seq": 1,
        "ts": datetime(2026, 6, 1, 12, tzinfo=UTC).isoformat(),
        "lon": (c["lon"].minimum + c["lon"].maximum) / 2,
        "lat": (c["lat"].minimum + c["lat"].maximum) / 2,
        "tilt_deg": 1.0,
        "battery_pct": 80.0,
        "vibration": 0.5,
    }
    return msg | changes


def _telemetry_verdict(msg) -> str:
    from datetime import UTC
    from datetime import datetime

    from boundaries import telemetry

    _row, reason, _why = telemetry._validate(msg, now=datetime(2026, 6, 1, 12, 1, tzinfo=UTC))
    return reason or "accepted"


def _telemetry_numbers():
    from boundaries.telemetry import TELEMETRY_CONTRACTS

    return [(k, c) for k, c in TELEMETRY_CONTRACTS.items() if c.kind in ("int", "float")]


@pytest.mark.parametrize("name,contract", _telemetry_numbers(), ids=[k for k, _ in _telemetry_numbers()])
def test_telemetry_numbers_are_refused_exactly_outside_their_contract(name, contract):
    """At either bound a value is taken; one step beyond, the message is refused under its reason."""
    reason = "malformed" if name == "seq" else "out_of_range"
    step = 1 if contract.kind == "int" else 1e-6
    for edge in (contract.minimum, contract.maximum):
        assert _telemetry_verdict(_telemetry_message(**{name: edge})) == "accepted", (name, edge)
    assert _telemetry_verdict(_telemetry_message(**{name: contract.minimum - step})) == reason
    assert _telemetry_verdict(_telemetry_message(**{name: contract.maximum + step})) == reason


def test_telemetry_device_id_follows_its_contract():
    from boundaries.telemetry import TELEMETRY_CONTRACTS

    longest = TELEMETRY_CONTRACTS["device_id"].max_length
    assert _telemetry_verdict(_telemetry_message(device_id="d" * longest)) == "accepted"
    for bad in ("d" * (longest + 1), "", "dev 1", "dev;1", "dev1\n", 7):
        assert _telemetry_verdict(_telemetry_message(device_id=bad)) == "malformed", bad


def test_road_corrections_are_checked_by_the_road_contracts(session):
    """A road segment's speed, class and name are refused by their contracts, naming the field."""
    from shapely.geometry import LineString

    from gis.errors import InvalidInput
    from gis.models import ROAD_CONTRACTS
    from gis.roads import update_segment

    road = RoadSegment(
        name="人民路",
        road_class="street",
        geom=f"SRID=4490;{LineString([(LON, LAT), (LON + 0.01, LAT)]).wkt}",
    )
    session.add(road)
    session.flush()
    top = ROAD_CONTRACTS["speed_kmh"].maximum
    for field, bad in (("speed_kmh", top + 1), ("road_class", "motorway"), ("name", "<b>x</b>")):
        with pytest.raises(InvalidInput) as err:
            update_segment(session, road.id, actor="t", changes={field: bad}, expected_version=None)
        assert err.value.field == field
    done = update_segment(session, road.id, actor="t", changes={"speed_kmh": top}, expected_version=None)
    assert done.speed_kmh == top
