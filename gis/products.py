"""Generated products (gazetteer, reports) kept on disk and rebuilt in the background when stale.

A product is identified by its name and parameters (``gazetteer`` with ``format=pdf``, a
report with ``year=2024, format=html``). Each build is a directory
``<root>/<name>/<params>/<build id>/`` holding the builder's files and ``.product.json``
(the data generation it was built from, its main file, when it was built). The data
generation is the latest entry of the audit log, where every write is recorded: a build
is *current* while the generation has not moved, *stale* afterwards.

Builds run in background threads, one at a time per process (the builders draw with
matplotlib, whose pyplot state is process-wide, and are CPU-bound), and one at a time per
product across processes (an ``flock`` on ``<params>/.lock``; across hosts sharing the products
folder, a Redis lock with expiry when ``redis`` is given, see :mod:`gis.shared_state`). A failed build leaves
``failed.json`` with the error; it is not retried automatically for the same generation.
The previous build stays in place, downloadable, until a new one has been completed.

A builder that takes a ``progress`` keyword is given a :data:`gis.progress.Progress` callback;
its steps are kept in ``<params>/.progress.json`` while the build runs, so that every process
answering the status (not only the one building) can tell how far it is.
"""

from __future__ import annotations

import fcntl
import inspect
import json
import logging
import os
import re
import shutil
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from gis.errors import InvalidInput
from gis.errors import NotFound
from gis.history import generation as data_generation

#: Builder: writes the product's files into the directory and returns the main file's name
#: (called as ``builder(session, directory)``, plus ``progress=`` when it takes that keyword).
Builder = Callable[..., str]

STATES = ("ready", "queued", "building", "failed", "missing")
META = ".product.json"
FAILED = "failed.json"
PROGRESS = ".progress.json"
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,40}")
_VALUE = re.compile(r"[A-Za-z0-9][A-Za-z0-9.-]{0,40}")
_BUILD = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,80}")
#: One build at a time in this process (pyplot is process-global; the builders are CPU-bound).
_SLOT = threading.BoundedSemaphore(1)
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Build:
    """One completed build of a product."""

    build_id: str
    directory: Path
    main: str
    generation: str
    built_at: datetime
    seconds: float

    @property
    def path(self) -> Path:
        """The main file."""
        return self.directory / self.main


@dataclass(frozen=True)
class Status:
    """Where a product stands for the current data generation.

    ``state`` is ``ready`` (the latest build is current), ``queued`` or ``building`` (a build
    is waiting or running), ``failed`` (the last build for this generation failed and none
    runs) or ``missing`` (nothing current, nothing running).
    """

    state: str
    generation: str
    latest: Build | None
    error: str | None = None
    failed_at: datetime | None = None
    since: datetime | None = None
    progress: dict | None = None

    @property
    def current(self) -> bool:
        """Whether the latest build was made from the current data."""
        return self.latest is not None and self.latest.generation == self.generation


class ProductCache:
    """Products on disk under ``root``, built by background threads with their own sessions.

    Parameters
    ----------
    root
        Folder of the products (created when missing).
    session_factory
        Opens the database session a build reads through (one per build, closed after it).
    redis
        A Redis client: builds are then coordinated by a Redis lock per product (hosts sharing
        ``root``), instead of a file lock (processes of one host).
    """

    def __init__(
        self, root: str | os.PathLike[str], session_factory: Callable[[], Session], *, redis=None
    ) -> None:
        self.root = Path(root)
        self._sessions = session_factory
        self._redis = redis
        self._lock = threading.Lock()
        self._running: dict[Path, dict] = {}

    def status(self, session: Session, product: str, params: Mapping[str, object]) -> Status:
        """The product's status for the data ``session`` sees now (starts nothing)."""
        folder = self.folder(product, params)
        generation = data_generation(session)
        with self._lock:
            return self._status(folder, generation)

    def request(
        self,
        session: Session,
        product: str,
        params: Mapping[str, object],
        builder: Builder,
        *,
        force: bool = False,
    ) -> Status:
        """The product's status, starting a build when nothing current exists (or ``force``).

        No build starts while one runs for the same product and parameters, nor after a
        failure for the same data generation unless ``force`` is given.
        """
        folder = self.folder(product, params)
        generation = data_generation(session)
        with self._lock:
            status = self._status(folder, generation)
            if status.state == "missing" or (force and status.state in ("ready", "failed")):
                self._start(folder, builder, generation)
                status = self._status(folder, generation)
        return status

    def wait(self, product: str, params: Mapping[str, object], timeout: float | None = None) -> bool:
        """Wait for this process's build of the product to end; whether none runs any more."""
        with self._lock:
            entry = self._running.get(self.folder(product, params))
        if entry is None:
            return True
        entry["thread"].join(timeout)
        return not entry["thread"].is_alive()

    def folder(self, product: str, params: Mapping[str, object]) -> Path:
        """The folder of the product's builds for ``params`` (names and values are checked)."""
        if not _NAME.fullmatch(product):
            raise InvalidInput(f"bad product name {product!r}", field="product")
        parts = []
        for key in sorted(params):
            value = str(params[key])
            if not _NAME.fullmatch(key) or not _VALUE.fullmatch(value):
                raise InvalidInput(f"bad product parameter {key!r}={value!r}", field=key)
            parts.append(f"{key}-{value}")
        return self.root / product / ("_".join(parts) or "default")

    def file(self, product: str, params: Mapping[str, object], build_id: str, name: str) -> Path:
        """A file of a completed build, refusing anything outside it (:class:`NotFound`)."""
        if not _BUILD.fullmatch(build_id):
            raise NotFound(f"no build {build_id[:40]}")
        try:
            directory = self.folder(product, params) / build_id
        except InvalidInput as exc:
            raise NotFound(f"no such build: {exc.message}") from None
        parts = Path(name).parts
        if not parts or any(p.startswith(".") or p in ("/", "\\") for p in parts) or Path(name).is_absolute():
            raise NotFound(f"no file {name}")
        path = directory.joinpath(*parts)
        if not (directory / META).is_file() or not path.is_file():
            raise NotFound(f"no file {name}")
        return path

    # -- internals -------------------------------------------------------------------------

    def _status(self, folder: Path, generation: str) -> Status:
        latest = _latest(folder)
        failure = _read_json(folder / FAILED)
        failed = failure if failure and failure.get("generation") == generation else None
        error = failed.get("error") if failed else None
        failed_at = _time(failed.get("at")) if failed else None
        entry = self._running.get(folder)
        if entry is not None:
            state, since = entry["state"], entry["since"]
        elif self._build_lock(folder).held():
            state, since = "building", None
        elif latest is not None and latest.generation == generation:
            state, since = "ready", None
        elif failed:
            state, since = "failed", None
        else:
            state, since = "missing", None
        progress = _read_json(folder / PROGRESS) if state == "building" else None
        return Status(
            state, generation, latest, error=error, failed_at=failed_at, since=since, progress=progress
        )

    def _start(self, folder: Path, builder: Builder, generation: str) -> None:
        slot = _SLOT.acquire(blocking=False)  # taken here, so that the state is known at once
        entry = {"state": "building" if slot else "queued", "since": _now(), "generation": generation}
        thread = threading.Thread(
            target=self._run, args=(folder, builder, entry, slot), name=f"product {folder.name}", daemon=True
        )
        entry["thread"] = thread
        self._running[folder] = entry
        try:
            thread.start()
        except BaseException:
            self._running.pop(folder, None)
            if slot:
                _SLOT.release()
            raise

    def _run(self, folder: Path, builder: Builder, entry: dict, slot: bool) -> None:
        try:
            if not slot:
                _SLOT.acquire()
                with self._lock:
                    entry["state"], entry["since"] = "building", _now()
            try:
                folder.mkdir(parents=True, exist_ok=True)
                lock = self._build_lock(folder)
                if not lock.acquire():
                    return  # another process (or host) builds this product now
                try:
                    self._build(folder, builder, entry["generation"])
                finally:
                    lock.release()
            finally:
                _SLOT.release()
        finally:
            with self._lock:
                self._running.pop(folder, None)

    def _build_lock(self, folder: Path):
        """The lock of one product's builds: in Redis when configured, else a file lock."""
        if self._redis is None:
            return _FileLock(folder / ".lock")
        from gis.shared_state import RedisLock

        return RedisLock(self._redis, f"wuhai:build:{folder.relative_to(self.root).as_posix()}")

    def _build(self, folder: Path, builder: Builder, requested: str) -> None:
        tmp = folder / f".tmp-{uuid.uuid4().hex}"
        generation = requested  # replaced by the generation the build reads from
        started = time.perf_counter()
        try:
            with self._sessions() as session:
                generation = data_generation(session)
                tmp.mkdir(parents=True)
                main = builder(session, tmp, **_progress_keyword(builder, folder / PROGRESS))
            if not isinstance(main, str) or not (tmp / main).is_file():
                raise RuntimeError(f"the builder did not write its main file {main!r}")
            built_at = _now()
            build_id = f"{built_at:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
            meta = {"generation": generation, "main": main, "built_at": built_at.isoformat(),
                    "seconds": round(time.perf_counter() - started, 3)}  # fmt: skip
            (tmp / META).write_text(json.dumps(meta), encoding="utf-8")
            tmp.rename(folder / build_id)
        except Exception as exc:  # recorded and shown on the product's page, never swallowed
            _log.exception("building %s failed", folder)
            shutil.rmtree(tmp, ignore_errors=True)
            (folder / PROGRESS).unlink(missing_ok=True)
            failure = {"generation": generation, "at": _now().isoformat(),
                       "error": f"{type(exc).__name__}: {exc}"[:2000], "traceback": traceback.format_exc()[-8000:]}  # fmt: skip
            _write_json(folder / FAILED, failure)
            return
        (folder / FAILED).unlink(missing_ok=True)
        (folder / PROGRESS).unlink(missing_ok=True)
        for old in folder.iterdir():  # earlier builds and leftovers of interrupted ones
            if old.is_dir() and old.name != build_id:
                shutil.rmtree(old, ignore_errors=True)


def _progress_keyword(builder: Builder, path: Path) -> dict:
    """``{"progress": callback}`` for a builder that takes it (the callback keeps the steps in
    ``path``), else nothing."""
    try:
        takes = "progress" in inspect.signature(builder).parameters
    except (TypeError, ValueError):
        takes = False
    if not takes:
        return {}
    path.unlink(missing_ok=True)

    def progress(done: int, total: int, text: str) -> None:
        _write_json(
            path, {"done": int(done), "total": int(total), "text": str(text)[:200], "at": _now().isoformat()}
        )

    return {"progress": progress}


def _latest(folder: Path) -> Build | None:
    best = None
    if not folder.is_dir():
        return None
    for d in folder.iterdir():
        if d.name.startswith(".") or not d.is_dir():
            continue
        meta = _read_json(d / META)
        if not meta:
            continue
        build = Build(d.name, d, meta["main"], meta["generation"], _time(meta["built_at"]), meta["seconds"])
        if best is None or build.built_at > best.built_at:
            best = build
    return best


class _FileLock:
    """An ``flock`` on a file: one holder among the processes of one host."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh = None

    def acquire(self) -> bool:
        fh = open(self.path, "a+b")  # noqa: SIM115 - kept open while held
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.close()
            return False
        self._fh = fh
        return True

    def release(self) -> None:
        if self._fh is not None:
            fcntl.flock(self._fh, fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None

    def held(self) -> bool:
        """Whether another process holds the lock."""
        if not self.path.exists():
            return False
        with open(self.path, "a+b") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(fh, fcntl.LOCK_UN)
        return False


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, NotADirectoryError, json.JSONDecodeError):
        return None


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:6]}")
    tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)


def _now() -> datetime:
    return datetime.now(UTC)


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None
