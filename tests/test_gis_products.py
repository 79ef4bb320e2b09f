"""The on-disk product cache: one build per product at a time, keyed by the data generation."""

from __future__ import annotations

import fcntl
import threading

import pytest
from sqlalchemy import func
from sqlalchemy import select

from gis.db import make_engine
from gis.db import make_session_factory
from gis.history import generation as data_generation
from gis.models import AuditLog
from gis.products import ProductCache


@pytest.fixture
def factory(fresh_db_url):
    engine = make_engine(fresh_db_url)
    yield make_session_factory(engine)
    engine.dispose()


class FakeBuilder:
    """Writes ``out.txt`` with the number of audit entries it saw; can be held or made to fail."""

    def __init__(self, *, hold: bool = False, error: Exception | None = None) -> None:
        self.calls = 0
        self.release = threading.Event()
        self.started = threading.Event()
        if not hold:
            self.release.set()
        self.error = error

    def __call__(self, session, out):
        self.calls += 1
        self.started.set()
        assert self.release.wait(60)
        if self.error is not None:
            raise self.error
        (out / "out.txt").write_text(str(session.scalar(select(func.count(AuditLog.id)))), encoding="utf-8")
        return "out.txt"


def _write(factory, n: int = 1) -> None:
    with factory() as s:
        for i in range(n):
            s.add(AuditLog(actor="test", action="update", table_name="place_name", row_key=str(i)))
        s.commit()


def test_generation_moves_with_every_write(factory):
    with factory() as s:
        assert data_generation(s) == "0"
    _write(factory)
    with factory() as s:
        first = data_generation(s)
        assert first.startswith("1-") and data_generation(s) == first
    _write(factory)
    with factory() as s:
        assert data_generation(s).startswith("2-")


def test_one_build_per_product_at_a_time_then_served_until_stale(factory, tmp_path):
    cache = ProductCache(tmp_path, factory)
    builder = FakeBuilder(hold=True)
    with factory() as s:
        first = cache.request(s, "report", {"year": 2024}, builder)
        assert first.state in ("queued", "building") and first.latest is None
        assert builder.started.wait(60)
        again = cache.request(s, "report", {"year": 2024}, builder)
        forced = cache.request(s, "report", {"year": 2024}, builder, force=True)
        assert again.state == forced.state == "building"
        other = FakeBuilder()
        queued = cache.request(s, "report", {"year": 2023}, other)
        assert queued.state == "queued"  # builds run one at a time
        builder.release.set()
        assert cache.wait("report", {"year": 2024}, 60) and cache.wait("report", {"year": 2023}, 60)
        ready = cache.request(s, "report", {"year": 2024}, builder)
        assert ready.state == "ready" and ready.current and builder.calls == 1 and other.calls == 1
        assert ready.latest.path.read_text(encoding="utf-8") == "0"
        assert ready.latest.path.parent.parent == cache.folder("report", {"year": 2024})
    _write(factory, 3)
    with factory() as s:
        stale = cache.status(s, "report", {"year": 2024})
        assert stale.state == "missing" and not stale.current and stale.latest == ready.latest
        cache.request(s, "report", {"year": 2024}, builder)
        assert cache.wait("report", {"year": 2024}, 60)
        fresh = cache.status(s, "report", {"year": 2024})
    assert (
        fresh.state == "ready" and builder.calls == 2 and fresh.latest.path.read_text(encoding="utf-8") == "3"
    )
    assert not ready.latest.directory.exists()  # the stale build is dropped once the new one is done


def test_a_build_held_by_another_process_is_not_duplicated(factory, tmp_path):
    cache = ProductCache(tmp_path, factory)
    folder = cache.folder("gazetteer", {"format": "pdf"})
    folder.mkdir(parents=True)
    builder = FakeBuilder()
    with open(folder / ".lock", "a+b") as other_process:
        fcntl.flock(other_process, fcntl.LOCK_EX)
        with factory() as s:
            assert cache.request(s, "gazetteer", {"format": "pdf"}, builder).state == "building"
        fcntl.flock(other_process, fcntl.LOCK_UN)
    assert builder.calls == 0
    with factory() as s:
        cache.request(s, "gazetteer", {"format": "pdf"}, builder)
        assert cache.wait("gazetteer", {"format": "pdf"}, 60)
        assert cache.status(s, "gazetteer", {"format": "pdf"}).state == "ready" and builder.calls == 1


def test_failure_is_recorded_and_retried_only_when_forced_or_data_change(factory, tmp_path):
    cache = ProductCache(tmp_path, factory)
    broken = FakeBuilder(error=LookupError("no approved or announced names to publish"))
    with factory() as s:
        cache.request(s, "gazetteer", {"format": "html"}, broken)
        assert cache.wait("gazetteer", {"format": "html"}, 60)
        failed = cache.request(s, "gazetteer", {"format": "html"}, broken)
        assert failed.state == "failed" and broken.calls == 1
        assert failed.error == "LookupError: no approved or announced names to publish"
        assert failed.failed_at is not None and failed.latest is None
        cache.request(s, "gazetteer", {"format": "html"}, broken, force=True)
        assert cache.wait("gazetteer", {"format": "html"}, 60) and broken.calls == 2
    _write(factory)
    working = FakeBuilder()
    with factory() as s:
        assert cache.status(s, "gazetteer", {"format": "html"}).state == "missing"  # new data: try again
        cache.request(s, "gazetteer", {"format": "html"}, working)
        assert cache.wait("gazetteer", {"format": "html"}, 60)
        done = cache.status(s, "gazetteer", {"format": "html"})
    assert done.state == "ready" and done.error is None and working.calls == 1
    assert not any(p.name.startswith(".tmp") for p in done.latest.directory.parent.iterdir())


def test_a_builder_without_its_main_file_fails(factory, tmp_path):
    cache = ProductCache(tmp_path, factory)
    with factory() as s:
        cache.request(s, "gazetteer", {"format": "html"}, lambda session, out: "missing.html")
        assert cache.wait("gazetteer", {"format": "html"}, 60)
        status = cache.status(s, "gazetteer", {"format": "html"})
    assert status.state == "failed" and "missing.html" in status.error


@pytest.mark.parametrize(
    ("product", "params"),
    [("../x", {}), ("report", {"year": "../../etc"}), ("report", {"Year": "2024"}), ("report", {"year": ""})],
)
def test_names_and_parameters_are_checked(tmp_path, product, params):
    with pytest.raises(ValueError):
        ProductCache(tmp_path, None).folder(product, params)


@pytest.mark.parametrize("name", ["../secret", ".product.json", "/etc/passwd", "sub/../../x", ""])
def test_files_outside_a_build_are_refused(tmp_path, name):
    cache = ProductCache(tmp_path, None)
    build = cache.folder("gazetteer", {"format": "html"}) / "b1"
    build.mkdir(parents=True)
    (build / ".product.json").write_text("{}", encoding="utf-8")
    with pytest.raises(LookupError):
        cache.file("gazetteer", {"format": "html"}, "b1", name)
