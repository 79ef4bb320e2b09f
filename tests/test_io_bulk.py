"""Bulk inserts (data.bulk) and the column checks behind imports, on both backends."""

from __future__ import annotations

import gc
from datetime import date
from datetime import datetime

import io_fixtures as fx
import numpy as np
import pandas as pd
import psycopg
import pytest
import shapely
from conftest import only_backends
from sqlalchemy import event
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from data import pgcopy
from data.bulk import insert_rows
from data.importer import ImportRefused
from data.importer import _ranges
from data.importer import import_file
from data.layers import get_layer
from data.validation import _SUSPECT
from data.validation import _none_suspect
from data.validation import check_fields
from placenames.models import Sign

AWKWARD = [
    "back\\slash",
    "tab\there",
    "line\nbreak",
    "carriage\rreturn",
    "\\N",
    "引号\"'；",
    "",
]


def _signs(n: int, *, prefix: str = "B", **columns):
    points = shapely.points([106.80 + i * 1e-4 for i in range(n)], [39.65] * n)
    data = {"code": [f"{prefix}{i:04d}" for i in range(n)], "kind": ["street"] * n, **columns}
    return data, points


def _indexes(session, backend) -> dict[str, tuple[str, int]]:
    """Index name -> (definition, object id) of the sign table."""
    if backend == "postgis":
        rows = session.execute(
            text(
                "SELECT c.relname, pg_get_indexdef(c.oid), c.oid FROM pg_index i "
                "JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = 'sign'::regclass"
            )
        ).all()
    else:
        rows = session.execute(
            text(
                "SELECT name, coalesce(sql, ''), rootpage FROM sqlite_master WHERE type = 'index' AND tbl_name = 'sign'"
            )
        ).all()
    return {name: (definition, oid) for name, definition, oid in rows}


@pytest.fixture(params=["binary", "text"])
def copy_format(request, monkeypatch):
    """PostgreSQL COPY format: binary when every column allows it (the usual case), else text."""
    if request.param == "text":
        monkeypatch.setattr("data.pgcopy._binary_exact", lambda *args: False)
    return request.param


def test_awkward_values_round_trip(session, copy_format):
    n = len(AWKWARD)
    data, points = _signs(
        n,
        text_zh=AWKWARD,
        text_romanized=[None, *AWKWARD[1:]],
        facing_deg=[0.1, 359.9, 12.0, None, 1e-7, 180.0, 0.0],
        install_date=[date(2019, 6, 30)] * (n - 1) + [None],
        photos=[[v] for v in AWKWARD],
        house_number=["12"] * n,
    )
    ids = insert_rows(session, Sign.__table__, data, points)
    rows = session.execute(
        select(
            Sign.text_zh,
            Sign.text_romanized,
            Sign.facing_deg,
            Sign.install_date,
            Sign.photos,
            Sign.house_number,
        )
        .where(Sign.id.in_(ids))
        .order_by(Sign.code)
    ).all()
    assert [r.text_zh for r in rows] == AWKWARD
    assert [r.text_romanized for r in rows] == [None, *AWKWARD[1:]]
    assert [r.facing_deg for r in rows] == [0.1, 359.9, 12.0, None, 1e-7, 180.0, 0.0]
    assert [r.install_date for r in rows] == [date(2019, 6, 30)] * (n - 1) + [None]
    assert [r.photos for r in rows] == [[v] for v in AWKWARD]
    assert {r.house_number for r in rows} == {"12"}
    # defaults of columns left out
    assert set(session.execute(select(Sign.condition).where(Sign.id.in_(ids))).scalars()) == {"good"}


@only_backends("postgis")
def test_nul_characters_are_refused(session, copy_format):
    data, points = _signs(2, text_zh=["fine", "nul\x00inside"])
    with pytest.raises(psycopg.DataError, match="0x00"), session.begin_nested():
        insert_rows(session, Sign.__table__, data, points)
    assert session.execute(select(Sign.id)).all() == []


def test_columns_of_mostly_distinct_values_round_trip(session, copy_format):
    # More rows than the binary plan's sample, so codes and numbers take the whole-piece encoders
    # (one NULL puts its piece on the value-by-value path); texts outside the BMP and in
    # Mongolian script, and a constant column that is NULL but for nothing.
    n = 700
    codes = [f"码{i:04d}-ᠤᠯᠠᠭᠠᠨ-😀" for i in range(n)]
    data, points = _signs(n, prefix="M")
    data["code"] = codes
    data["text_zh"] = [None if i == 650 else f"第{i}号\\街" for i in range(n)]
    data["version"] = [i + 1 for i in range(n)]
    data["text_mongolian"] = [None] * n
    ids = insert_rows(session, Sign.__table__, data, points)
    rows = session.execute(
        select(Sign.id, Sign.code, Sign.text_zh, Sign.version, Sign.text_mongolian).order_by(Sign.id)
    ).all()
    assert [r.id for r in rows] == sorted(ids)
    assert [r.code for r in rows] == codes
    assert [r.text_zh for r in rows] == data["text_zh"]
    assert [r.version for r in rows] == data["version"]
    assert {r.text_mongolian for r in rows} == {None}


@only_backends("postgis")
@pytest.mark.parametrize("null", [False, True])
def test_nul_characters_are_refused_in_columns_of_distinct_values(session, null):
    data, points = _signs(700, text_zh=[None if null and i == 660 else f"街{i}" for i in range(700)])
    data["text_zh"][10] = "nul\x00inside"
    with pytest.raises(psycopg.DataError, match="0x00"), session.begin_nested():
        insert_rows(session, Sign.__table__, data, points)
    assert session.execute(select(Sign.id)).all() == []


@only_backends("postgis")
def test_an_integer_too_large_for_its_column_is_refused(session, formats):
    # psycopg's compiled binary dumper would wrap it round; the text format lets the server refuse it.
    data, points = _signs(700, version=[i + 1 for i in range(700)])
    data["version"][500] = 2**31
    with pytest.raises(psycopg.errors.NumericValueOutOfRange), session.begin_nested():
        insert_rows(session, Sign.__table__, data, points)
    assert session.execute(select(Sign.id)).all() == []


@pytest.fixture
def formats(monkeypatch) -> list[str]:
    """The format of each COPY sent, in order."""
    sent: list[str] = []
    original = pgcopy._copy

    def spy(raw, sql, types, rows):
        sent.append("binary" if "FORMAT binary" in sql else "text")
        return original(raw, sql, types, rows)

    monkeypatch.setattr("data.pgcopy._copy", spy)
    return sent


@only_backends("postgis")
@pytest.mark.parametrize(
    ("columns", "expected", "sent"),
    [
        ({}, {"kind": ["street", "street"]}, ["binary"]),
        # a text for a number, a date and time for a date, a naive time
        ({"facing_deg": ["12.5", None]}, {"facing_deg": [12.5, None]}, ["text"]),
        (
            {"install_date": [datetime(2020, 1, 2), None]},
            {"install_date": [date(2020, 1, 2), None]},
            ["text"],
        ),
        ({"created_at": [datetime(2020, 1, 2, 3, 4, 5)] * 2}, {"version": [1, 1]}, ["text"]),
    ],
)
def test_values_without_an_exact_binary_form_go_as_text(session, formats, columns, expected, sent):
    before = session.execute(select(func.count()).select_from(Sign)).scalar_one()
    ids = insert_rows(session, Sign.__table__, *_signs(2, **columns))
    assert formats == sent
    assert session.execute(select(func.count()).select_from(Sign)).scalar_one() == before + 2  # once each
    for name, values in expected.items():
        column = Sign.__table__.c[name]
        assert (
            session.execute(select(column).where(Sign.id.in_(ids)).order_by(Sign.id)).scalars().all()
            == values
        )


@only_backends("postgis")
def test_a_value_found_late_sends_the_whole_batch_as_text(session, formats):
    n = 9000
    data, points = _signs(n, prefix="L", facing_deg=[float(i % 360) for i in range(n)])
    data["facing_deg"][8500] = "12.5"
    ids = insert_rows(session, Sign.__table__, data, points)
    assert formats == ["text"]
    stored = dict(session.execute(select(Sign.id, Sign.facing_deg).where(Sign.id.in_(ids))).all())
    assert len(stored) == n and stored[ids[8500]] == 12.5 and stored[ids[8499]] == float(8499 % 360)
    assert session.execute(select(func.count()).select_from(Sign)).scalar_one() == n


def test_a_large_batch_rebuilds_the_indexes_as_they_were(session, backend):
    before = _indexes(session, backend)
    data, points = _signs(50)
    insert_rows(session, Sign.__table__, data, points)
    after = _indexes(session, backend)
    assert {k: v[0] for k, v in after.items()} == {k: v[0] for k, v in before.items()}
    if backend == "postgis":  # rebuilt: the GiST, three B-trees and the unique code; the primary key stays
        renewed = {name for name in before if before[name][1] != after[name][1]}
        assert renewed == {
            "idx_sign_geom",
            "ix_sign_condition",
            "ix_sign_division_code",
            "ix_sign_place_name_id",
            "uq_sign_code",
        }
        kinds = session.execute(
            text("SELECT conname, contype FROM pg_constraint WHERE conrelid = 'sign'::regclass ORDER BY 1")
        ).all()
        assert ("uq_sign_code", "u") in kinds and ("pk_sign", "p") in kinds
    # the rebuilt indexes hold the new rows
    found = (
        session.execute(select(Sign.code).where(Sign.kind == "street", Sign.code == "B0007")).scalars().all()
    )
    assert found == ["B0007"]


@only_backends("postgis")
def test_a_small_table_rebuilds_its_indexes_without_parallel_workers(session):
    session.execute(text("SET max_parallel_maintenance_workers = 3"))
    seen: list[tuple[str, str]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if "set_config('max_parallel_maintenance_workers'" in statement:
            seen.append(("workers", parameters["v"]))
        elif statement.startswith("CREATE INDEX") or " ADD CONSTRAINT " in statement:
            seen.append(("build", statement))

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", record)
    try:
        insert_rows(session, Sign.__table__, *_signs(60))
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert seen[0] == ("workers", "0") and seen[-1] == ("workers", "3")
    assert {kind for kind, _ in seen[1:-1]} == {"build"} and len(seen) == 7  # five builds between
    assert session.execute(text("SELECT current_setting('max_parallel_maintenance_workers')")).scalar() == "3"


@only_backends("postgis")
def test_a_larger_table_keeps_the_parallel_workers(session, monkeypatch):
    monkeypatch.setattr("data.bulk.SERIAL_BUILD_ROWS", 50)
    statements: list[str] = []
    engine = session.get_bind()
    record = lambda conn, cursor, statement, *args: statements.append(statement)  # noqa: E731
    event.listen(engine, "before_cursor_execute", record)
    try:
        insert_rows(session, Sign.__table__, *_signs(60))
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert any(s.startswith("CREATE INDEX") for s in statements)  # rebuilt, as the table is empty
    assert not any("max_parallel_maintenance_workers" in s for s in statements)


@only_backends("postgis")
def test_a_small_batch_goes_into_the_indexes_in_place(session):
    insert_rows(session, Sign.__table__, *_signs(20, prefix="A"))
    before = _indexes(session, "postgis")
    insert_rows(session, Sign.__table__, *_signs(5, prefix="C"))
    assert _indexes(session, "postgis") == before


@only_backends("postgis")
def test_a_locked_table_keeps_its_indexes(session, engine):
    before = _indexes(session, "postgis")
    with engine.connect() as reader:  # another transaction reading the table holds a lock on it
        reader.execute(text("SELECT count(*) FROM sign")).scalar()
        ids = insert_rows(session, Sign.__table__, *_signs(30))
        assert len(ids) == 30
        reader.rollback()
    assert _indexes(session, "postgis") == before


def test_unique_keys_are_still_enforced_and_a_failure_leaves_the_table_as_it_was(session, backend):
    before = _indexes(session, backend)
    data, points = _signs(10)
    data["code"][7] = data["code"][2]
    workers = text("SELECT current_setting('max_parallel_maintenance_workers')")
    workers_before = session.execute(workers).scalar() if backend == "postgis" else None
    with pytest.raises((IntegrityError, psycopg.IntegrityError)), session.begin_nested():
        insert_rows(session, Sign.__table__, data, points)
    assert session.execute(select(Sign.id)).all() == []
    if backend == "postgis":  # the serial index builds' setting went back with the rollback
        assert session.execute(workers).scalar() == workers_before
    assert {k: v[0] for k, v in _indexes(session, backend).items()} == {k: v[0] for k, v in before.items()}


def test_references_are_still_checked_and_the_foreign_key_comes_back(session, backend):
    def foreign_keys():
        if backend == "postgis":
            query = "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'sign'::regclass AND contype = 'f'"
        else:
            query = 'SELECT "table", "from", "to" FROM pragma_foreign_key_list(\'sign\')'
        return sorted(tuple(r) for r in session.execute(text(query)).all())

    before = foreign_keys()
    assert before  # sign.place_name_id references place_name
    data, points = _signs(40)
    data["place_name_id"] = [None] * 40
    data["place_name_id"][13] = 987654  # no such place
    with pytest.raises((IntegrityError, psycopg.IntegrityError)), session.begin_nested():
        insert_rows(session, Sign.__table__, data, points)
        session.flush()
    assert session.execute(select(Sign.id)).all() == []
    assert foreign_keys() == before
    data["place_name_id"][13] = None
    insert_rows(session, Sign.__table__, data, points)  # a large batch on an empty table: rebuilt path
    assert foreign_keys() == before


@pytest.mark.parametrize(
    ("ids", "expected"),
    [
        ([1, 2, 3, 5, 6, 9], [[1, 3], [5, 6], [9, 9]]),
        ([7], [[7, 7]]),
        ([3, 2, 1], [[3, 3], [2, 2], [1, 1]]),
        (["a", "b"], [["a", "a"], ["b", "b"]]),
        ([1, 2, "x", 3], [[1, 2], ["x", "x"], [3, 3]]),
        ([], []),
    ],
)
def test_id_ranges(ids, expected):
    assert _ranges(ids) == expected


HOSTILE_ASCII = [
    "<script>alert(1)</script>",
    "x' OR '1'='1",
    "a; DROP TABLE sign",
    "JavaScript:void(0)",
    "onload = evil()",
    "1 UNION SELECT 1",
    "comment --",
    "/* c */",
    "tab\there",
    "a&b",
    "bell\x07",
    'say "hi"',
    "onclick=x()",
]


@pytest.mark.parametrize("value", HOSTILE_ASCII)
def test_the_one_pass_text_screen_never_misses_a_suspect_value(value):
    assert _SUSPECT.search(value)
    assert not _none_suspect([value])
    assert not _none_suspect(["WH150302J000001", value, "plain text 12"])


def test_the_one_pass_text_screen_passes_plain_ascii_and_leaves_other_text_to_each_value():
    assert _none_suspect(["WH150302J000001", "MINGZHU JIE", "12-3", "a/b", "on"])
    assert not _none_suspect(["明珠街"])


def test_repeated_and_mixed_cells_are_checked_per_row():
    lyr = get_layer("signs")
    frame = pd.DataFrame(
        {
            "code": np.array([1, 1.0, True, "1", None], dtype=object),
            "kind": ["路牌", "nonsense", "street", "nonsense", "street"],
            "facing_deg": [10.0, 400.0, 10.0, 400.0, None],
        },
        index=pd.RangeIndex(1, 6, name="row"),
    )
    values, problems = check_fields(frame, lyr)
    assert values["code"].tolist() == ["1", "1", "True", "1", None]
    assert values["kind"].tolist() == ["street", "nonsense", "street", "nonsense", "street"]
    assert values["facing_deg"].tolist() == [10.0, 400.0, 10.0, 400.0, None]
    found = sorted((p.row, p.field) for p in problems)
    # "True" is no sign code (capital letters, digits and hyphens only).
    assert found == [(2, "facing_deg"), (2, "kind"), (3, "code"), (4, "facing_deg"), (4, "kind"), (5, "code")]


def test_the_garbage_collector_is_back_on_after_an_import(session, tmp_path):
    path = tmp_path / "signs.gpkg"
    fx.signs_gdf().to_file(path)
    assert gc.isenabled()
    import_file(session, path, layer="signs", actor="tester")
    assert gc.isenabled()
    with pytest.raises(ImportRefused):
        import_file(session, path, layer="signs", actor="tester")  # the same keys again
    assert gc.isenabled()
    other = tmp_path / "other.gpkg"
    fx.signs_gdf(prefix="D").to_file(other)
    gc.disable()
    try:
        import_file(session, other, layer="signs", actor="tester", dry_run=True)
        assert not gc.isenabled()
    finally:
        gc.enable()


@only_backends("postgis")
def test_geometries_and_json_round_trip_exactly(session, copy_format, formats):
    rng = np.random.default_rng(7)
    n = 300
    data, _ = _signs(
        n, prefix="G", photos=[{"名": f"照片{i}.jpg", "i": i} if i % 3 else None for i in range(n)]
    )
    points = shapely.points(rng.uniform(106.6, 107.0, n), rng.uniform(39.3, 39.8, n))
    ids = insert_rows(session, Sign.__table__, data, points)
    assert formats == [copy_format]
    rows = session.execute(
        select(func.ST_AsBinary(Sign.geom), func.ST_SRID(Sign.geom), Sign.photos)
        .where(Sign.id.in_(ids))
        .order_by(Sign.id)
    ).all()
    assert [shapely.from_wkb(bytes(r[0])) for r in rows] == list(points)
    assert {r[1] for r in rows} == {4490}
    assert [r[2] for r in rows] == [v if v is not None else [] for v in data["photos"]]
