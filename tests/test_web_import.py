# ruff: noqa: F811  (pytest fixtures imported from web_fixtures are redefined as arguments)
"""The officers' import page: upload, dry-run report row by row, apply on confirmation; same as the CLI."""

from __future__ import annotations

import io
import re
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import func
from sqlalchemy import select
from web_fixtures import PASSWORD
from web_fixtures import app  # noqa: F401
from web_fixtures import client  # noqa: F401
from web_fixtures import login
from web_fixtures import web_db  # noqa: F401

from data.exporter import export_layer
from gis.db import make_engine
from gis.db import make_session_factory
from gis.models import AuditLog
from placenames.models import Sign
from webmap import create_app


def _export(url: str, layer: str, path: Path) -> Path:
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as s:
            export_layer(s, layer, path, labels="zh")
    finally:
        engine.dispose()
    return path


def _edit(path: Path, key: str, header: str, value) -> Path:
    wb = load_workbook(path)
    ws = wb.worksheets[0]
    column = [c.value for c in ws[1]].index(header) + 1
    row = next(r for r in ws.iter_rows(min_row=2) if key in [c.value for c in r])
    ws.cell(row[0].row, column, value)
    wb.save(path)
    return path


def _sign(url: str, code: str) -> tuple[str | None, int]:
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as s:
            sign = s.scalars(select(Sign).where(Sign.code == code)).one()
            return sign.material, sign.version
    finally:
        engine.dispose()


def _updates(url: str) -> int:
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as s:
            return s.scalar(
                select(func.count())
                .select_from(AuditLog)
                .where(AuditLog.table_name == "sign", AuditLog.action == "update")
            )
    finally:
        engine.dispose()


def _upload(client, path: Path, layer: str, **fields):
    data = {"layer": layer, "file": (io.BytesIO(path.read_bytes()), path.name), **fields}
    return client.post("/imports/", data=data, content_type="multipart/form-data")


def _token(html: str) -> str:
    return re.search(r'action="/imports/([A-Za-z0-9_-]+)"', html).group(1)


def test_edited_export_is_checked_then_applied(client, web_db, tmp_path):
    url, _ids = web_db
    path = _edit(_export(url, "signs", tmp_path / "标志.xlsx"), "HBW-0000", "材质", "不锈钢")
    before = _sign(url, "HBW-0000")
    login(client, "sign_maintainer")
    assert "/imports/" in client.get("/signs/").get_data(as_text=True)  # in the navigation
    review = _upload(client, path, "signs", update="1")
    html = review.get_data(as_text=True)
    assert review.status_code == 200, html
    assert "HBW-0000" in html and "material" in html and "HBW-0001" not in html  # unchanged rows counted only
    assert _sign(url, "HBW-0000") == before  # a dry run: nothing written yet

    done = client.post(f"/imports/{_token(html)}")
    assert done.status_code == 200, done.get_data(as_text=True)
    material, version = _sign(url, "HBW-0000")
    assert (material, version) == ("不锈钢", before[1] + 1)
    assert client.post(f"/imports/{_token(html)}").status_code == 404  # applied once only


def test_stale_row_is_refused_with_the_rows_report(client, web_db, tmp_path):
    url, _ids = web_db
    path = _export(url, "signs", tmp_path / "signs.xlsx")
    login(client, "sign_maintainer")
    first = _edit(path, "HBW-0000", "材质", "不锈钢")
    client.post(f"/imports/{_token(_upload(client, first, 'signs', update='1').get_data(as_text=True))}")
    audited = _updates(url)
    assert audited >= 1
    second = _edit(path, "HBW-0000", "材质", "铝板")  # the copy exported before the first change
    resp = _upload(client, second, "signs", update="1")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422, html
    assert "changed in the database since the export" in html and "HBW-0000" in html
    assert 'name="layer"' in html  # the form again
    assert _updates(url) == audited


def test_layers_follow_the_roles(client, web_db, tmp_path):
    url, _ids = web_db
    path = _export(url, "signs", tmp_path / "signs.xlsx")
    assert client.get("/imports/").status_code in (302, 401)
    login(client, "planner")
    page = client.get("/imports/").get_data(as_text=True)
    assert 'value="facilities"' in page and 'value="signs"' not in page
    assert _upload(client, path, "signs", update="1").status_code == 403
    client.post("/auth/logout")
    login(client, "public")
    assert client.get("/imports/").status_code == 403


def test_upload_limits_and_bad_files(app, client, web_db, tmp_path):
    url, _ids = web_db
    path = _export(url, "signs", tmp_path / "signs.xlsx")
    login(client, "sign_maintainer")
    bad = tmp_path / "evil.exe"
    bad.write_bytes(b"MZ")
    resp = _upload(client, bad, "signs")
    assert resp.status_code == 422 and "not a file an import reads" in resp.get_data(as_text=True)
    app.config["IMPORT_MAX_BYTES"] = 100
    resp = _upload(client, path, "signs", update="1")
    assert resp.status_code == 422 and "larger than" in resp.get_data(as_text=True)
    assert client.post("/imports/not-a-token").status_code == 404


def test_the_import_page_takes_files_past_the_upload_limit(app, client, web_db, tmp_path):
    url, _ids = web_db
    path = _export(url, "signs", tmp_path / "signs.xlsx")
    login(client, "sign_maintainer")
    # photos and other uploads stay small; an import reads the city's own exports (10-20 MB)
    app.config.update(UPLOAD_MAX_BYTES=100, MAX_CONTENT_LENGTH=1000)
    assert path.stat().st_size > 1000
    resp = _upload(client, path, "signs", update="1")
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]


def test_upload_needs_the_csrf_token(web_db, tmp_path):
    url, _ids = web_db
    path = _export(url, "signs", tmp_path / "signs.xlsx")
    application = create_app({"TESTING": True, "DATABASE_URL": url, "INSTANCE_PATH": str(tmp_path / "i2")})
    c = application.test_client()
    page = c.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    c.post("/auth/login", data={"username": "sign_maintainer", "password": PASSWORD, "csrf_token": token})
    assert _upload(c, path, "signs", update="1").status_code == 400
    form = c.get("/imports/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    assert _upload(c, path, "signs", update="1", csrf_token=token).status_code == 200
    application.extensions["wuhai_engine"].dispose()


def test_command_line_and_web_import_alike(twins, tmp_path):
    """One edited row and one new row, by the command line and by the web: same rows, same history."""
    path = _edit(_export(twins.cli_url, "signs", tmp_path / "标志.xlsx"), "HBW-0000", "状况", "破损")
    wb = load_workbook(path)
    ws = wb.worksheets[0]
    headers = [c.value for c in ws[1]]
    row = next(r for r in ws.iter_rows(min_row=2) if "HBW-0002" in [c.value for c in r])
    for cell in row:
        if headers[cell.column - 1] == "标志编码":
            cell.value = "NEW-0001"
        elif headers[cell.column - 1] in ("记录ID", "版本"):
            cell.value = None
    wb.save(path)

    out = twins.cli(
        "import", str(path), "--layer", "signs", "--update", "--reason", "普查", actor="sign_maintainer"
    )
    assert "1 new, 1 changed, 1 unchanged" in out.output
    web = twins.web("sign_maintainer")
    review = _upload(web, path, "signs", update="1", reason="普查")
    html = review.get_data(as_text=True)
    assert review.status_code == 200, html
    assert web.post(f"/imports/{_token(html)}").status_code == 200
    twins.assert_same(["sign"])


def test_shapefile_uploaded_with_its_side_files(client, web_db, tmp_path):
    import io_fixtures as fx

    url, _ids = web_db
    gdf = fx.signs_gdf(3, prefix="WEB")
    gdf["kind"] = "门牌"
    gdf["门牌"] = ["1", "2", "3"]  # house_number, in 10 characters
    fx.write_shapefile(gdf, tmp_path / "门牌.shp", encoding="gbk", cpg=None)
    files = [(io.BytesIO(p.read_bytes()), p.name) for p in sorted(tmp_path.glob("门牌.*"))]
    assert len(files) >= 4
    login(client, "sign_maintainer")
    review = client.post(
        "/imports/", data={"layer": "signs", "file": files}, content_type="multipart/form-data"
    )
    html = review.get_data(as_text=True)
    assert review.status_code == 200, html
    assert client.post(f"/imports/{_token(html)}").status_code == 200
    assert _sign(url, "WEB00002")[1] == 1
