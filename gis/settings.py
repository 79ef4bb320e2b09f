"""Every setting of wuhai-gis, with its default and meaning (documented in docs/settings.md)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Setting:
    """A setting read from the environment (CLI) or the Flask config (web app)."""

    name: str
    default: str | None
    doc: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "DATABASE_URL",
        None,
        "SQLAlchemy URL. Default: SpatiaLite file `wuhai.sqlite` in the instance folder. Production: `postgresql+psycopg://user:pass@host/db` (PostGIS).",
    ),
    Setting(
        "WUHAI_INSTANCE",
        None,
        "Instance folder (database file, uploads, generated products). Default: `./instance`.",
    ),
    Setting("SPATIALITE_LIBRARY_PATH", None, "Path of `mod_spatialite`; found automatically on Debian."),
    Setting(
        "SECRET_KEY",
        None,
        "Flask secret key (sessions, CSRF). Generated and stored in the instance folder when unset.",
    ),
    Setting(
        "TIANDITU_KEY",
        None,
        "Tianditu (天地图) browser key; the Tianditu basemaps are offered only when set.",
    ),
    Setting(
        "MQTT_URL",
        None,
        "Broker for smart-marker telemetry, e.g. `mqtt://127.0.0.1:1883/wuhai/markers/#`; MQTT ingest is off when unset.",
    ),
    Setting("UPLOAD_MAX_BYTES", "10485760", "Largest accepted upload (photos, GNSS files), in bytes."),
    Setting(
        "IMPORT_MAX_BYTES",
        "268435456",
        "Largest file an import reads (`wuhai-gis import` and the import page, all files of one upload "
        "together), in bytes; the city's own exports are 10–20 MB.",
    ),
    Setting(
        "MARKER_TOLERANCE_M",
        "1.0",
        "Displacement over which an inspected or reporting marker is flagged, in metres.",
    ),
    Setting("BABEL_DEFAULT_LOCALE", "zh", "Interface language by default (`zh` or `en`)."),
    Setting(
        "OGCAPI_CACHE_MB",
        "64",
        "Memory for rendered OGC API items pages (GeoJSON), in MB; `0` turns the page cache off.",
    ),
    Setting(
        "OGCAPI_CACHE_SECONDS",
        "60",
        "Longest time a cached items page is served; pages are dropped at once when the data generation (latest audit entry) moves.",
    ),
    Setting(
        "REDIS_URL",
        None,
        "Redis shared by several web hosts, e.g. `redis://127.0.0.1:6379/0`: rate limits, the OGC API page cache and product-build locks live there; when unset each host keeps its own (a SQLite file, process memory, a file lock).",
    ),
    Setting(
        "DASK_SCHEDULER_ADDRESS",
        None,
        "A running Dask scheduler, e.g. `tcp://127.0.0.1:8786`: service circles and the indicators under a circle rule (`--served straight|network`) are computed there, partitioned by division; when unset they run in one process unless `--workers` starts a local cluster.",
    ),
)

BY_NAME = {s.name: s for s in SETTINGS}


def get(name: str) -> str | None:
    """The value of a documented setting from the environment, or its default."""
    setting = BY_NAME[name]
    return os.environ.get(name, setting.default)


def instance_path() -> Path:
    """The instance folder (created on demand)."""
    path = Path(get("WUHAI_INSTANCE") or Path.cwd() / "instance").resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def database_url() -> str:
    """``DATABASE_URL`` or the default SpatiaLite file in the instance folder."""
    from gis.db import default_database_url

    return get("DATABASE_URL") or default_database_url(instance_path())
