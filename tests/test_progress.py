"""Long jobs report their steps: to a terminal bar on the command line, to the product waiting page."""
# ruff: noqa: F811  (pytest fixtures imported from web_fixtures are redefined as arguments)

from __future__ import annotations

import json
import threading

import pytest
from click.testing import CliRunner
from web_fixtures import app  # noqa: F401
from web_fixtures import client  # noqa: F401
from web_fixtures import web_db  # noqa: F401

from gis.db import make_engine
from gis.db import make_session_factory
from gis.products import ProductCache


@pytest.fixture
def factory(fresh_db_url):
    engine = make_engine(fresh_db_url)
    yield make_session_factory(engine)
    engine.dispose()


class SteppingBuilder:
    """Reports two of three steps, then waits to be released (the test reads the status meanwhile)."""

    def __init__(self) -> None:
        self.reported = threading.Event()
        self.release = threading.Event()

    def __call__(self, session, out, progress=None):
        progress(0, 3, "reading the names")
        progress(1, 3, "drawing the district maps")
        self.reported.set()
        assert self.release.wait(60)
        progress(3, 3, "done")
        (out / "out.txt").write_text("ok", encoding="utf-8")
        return "out.txt"


def test_a_building_product_tells_its_step_to_every_status_reader(factory, tmp_path):
    builder = SteppingBuilder()
    cache = ProductCache(tmp_path / "cache", factory)
    other = ProductCache(tmp_path / "cache", factory)  # another process answering the status
    with factory() as s:
        assert cache.request(s, "gazetteer", {"format": "pdf"}, builder).state == "building"
    assert builder.reported.wait(60)
    with factory() as s:
        mine = cache.status(s, "gazetteer", {"format": "pdf"})
        theirs = other.status(s, "gazetteer", {"format": "pdf"})
    for status in (mine, theirs):
        assert status.state == "building"
        assert (status.progress["done"], status.progress["total"]) == (1, 3)
        assert status.progress["text"] == "drawing the district maps"
    builder.release.set()
    assert cache.wait("gazetteer", {"format": "pdf"}, timeout=60)
    with factory() as s:
        done = cache.status(s, "gazetteer", {"format": "pdf"})
    assert done.state == "ready" and done.progress is None
    assert not (cache.folder("gazetteer", {"format": "pdf"}) / ".progress.json").exists()


def test_builders_without_progress_still_build(factory, tmp_path):
    def plain(session, out):
        (out / "a.txt").write_text("a", encoding="utf-8")
        return "a.txt"

    cache = ProductCache(tmp_path / "cache", factory)
    with factory() as s:
        cache.request(s, "plain", {}, plain)
    assert cache.wait("plain", {}, timeout=60)
    with factory() as s:
        assert cache.status(s, "plain", {}).state == "ready"


def test_the_waiting_page_shows_the_step_in_the_page_language(app, client):
    from web_fixtures import login

    from gis.products import Status
    from webmap.products import progress_of

    status = Status("building", "1", None, progress={"done": 2, "total": 7, "text": "drawing the maps"})
    with app.test_request_context("/?lang=zh"):
        from flask_babel import refresh

        refresh()
        shown = progress_of(status)
    assert shown["percent"] == 29 and shown["text"] == "第 3 步，共 7 步：绘制地图"
    assert progress_of(Status("ready", "1", None, progress=status.progress)) is None
    login(client, "planner")
    page = client.get("/planning/report?year=2024&format=html&lang=zh").get_data(as_text=True)
    assert 'id="product-progress"' in page and 'id="product-step"' in page
    params = {"year": "2024", "format": "html", "lang": "zh"}
    assert app.extensions["wuhai_products"].wait("plan-report", params, timeout=300)


def test_the_gazetteer_command_keeps_json_clean(tmp_path, fresh_db_url):
    """The bar goes to standard error, and only to a terminal: ``--format json`` stays parseable."""
    from cli.main import main

    runner = CliRunner()
    result = runner.invoke(main, ["names", "gazetteer", "-o", str(tmp_path / "g"), "--no-pdf", "--format", "json"],
                           env={"DATABASE_URL": fresh_db_url})  # fmt: skip
    assert "load-reference" not in result.output
    answer = json.loads(result.stdout)
    assert "error" in answer or "html" in answer  # an empty database answers an error, as JSON


def test_the_progress_bar_reports_steps_in_order(monkeypatch):
    import io

    from cli.progress import progress_bar

    class Tty(io.StringIO):
        def isatty(self):
            return True

    err = Tty()
    monkeypatch.setattr("sys.stderr", err)
    with progress_bar("gazetteer") as progress:
        for done, text in enumerate(
            ["reading the names", "drawing the city map", "writing the HTML edition"]
        ):
            progress(done, 3, text)
        progress(3, 3, "done")
    out = err.getvalue()
    assert "gazetteer" in out and "3/3" in out
    assert (
        out.index("reading the names")
        < out.index("drawing the city map")
        < out.index("writing the HTML edition")
    )
