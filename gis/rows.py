"""Row helpers every store shares: get-or-raise, the version check, flush-or-conflict, rows to frames."""

from __future__ import annotations

import re
from collections.abc import Iterable
from collections.abc import Sequence
from datetime import date
from datetime import datetime
from decimal import Decimal
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
from geoalchemy2.shape import to_shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import BigInteger
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from gis.crs import STORAGE_CRS
from gis.errors import Conflict
from gis.errors import DomainError
from gis.errors import InvalidInput
from gis.errors import NotFound
from gis.errors import StaleVersion

#: Largest value of a 32-bit and of a 64-bit signed integer column: larger keys are refused, not sent.
MAX_INT32 = 2**31 - 1
MAX_INT64 = 2**63 - 1


def label_of(model_or_obj: Any) -> str:
    """How a table is named in messages: ``place_name`` → ``place name``."""
    table = getattr(model_or_obj, "__tablename__", None) or type(model_or_obj).__name__
    return str(table).replace("_", " ")


def describe(obj: Any) -> str:
    """``sign 12``: the table and key of a mapped object, read without touching the database."""
    identity = inspect(obj).identity
    key = "/".join(str(v) for v in identity) if identity else "(new)"
    return f"{label_of(obj)} {key}"


def get_or_raise(session: Session, model: type, key: Any, *, what: str | None = None) -> Any:
    """The row of ``model`` with primary key ``key``, or :class:`NotFound` naming it.

    A key that cannot be a key of the table (an integer past 64 bits, text for a number)
    is not found either, without asking the database.
    """
    label = what or label_of(model)
    pk = inspect(model).primary_key
    pk_type = pk[0].type.python_type if len(pk) == 1 else None
    if pk_type is int:
        top = MAX_INT64 if isinstance(pk[0].type, BigInteger) else MAX_INT32
        try:
            number = int(key)
        except (TypeError, ValueError):
            raise NotFound(f"no {label} {str(key)[:40]!r}") from None
        if isinstance(key, float) and key != number:
            raise NotFound(f"no {label} {key!r}")
        if not -top - 1 <= number <= top:
            raise NotFound(f"no {label} {str(key)[:40]}")
        key = number
    obj = session.get(model, key)
    if obj is None:
        raise NotFound(f"no {label} {key}")
    return obj


def check_version(obj: Any, expected_version: int | None, *, what: str | None = None) -> None:
    """Refuse a write based on a stale version of ``obj`` (``None``: the caller did not say)."""
    if expected_version is None:
        return
    try:
        expected = int(expected_version)
    except (TypeError, ValueError):
        raise InvalidInput(
            f"version {str(expected_version)[:20]!r} is not a number", field="version"
        ) from None
    if obj.version != expected:
        raise StaleVersion(
            f"{what or describe(obj)} is at version {obj.version}, not {expected}: "
            "someone else changed it meanwhile; reload and retry",
            current_version=obj.version,
        )


def get_for_update(
    session: Session, model: type, key: Any, expected_version: int | None, *, what: str | None = None
) -> Any:
    """:func:`get_or_raise` then :func:`check_version`."""
    obj = get_or_raise(session, model, key, what=what)
    check_version(obj, expected_version, what=what and f"{what} {key}")
    return obj


def flush_or_conflict(session: Session, what: str | Any) -> None:
    """Flush, turning what the database refuses into domain errors.

    A concurrent change of the same row is :class:`StaleVersion`, a duplicate key :class:`Conflict`,
    a missing referenced row or a value the column does not take :class:`InvalidInput`. ``what``
    (text, or the object, described before the flush) names the record in the message, since a
    failed flush leaves nothing that can be read from the session.
    """
    label = what if isinstance(what, str) else describe(what)
    try:
        session.flush()
    except StaleDataError:
        raise StaleVersion(
            f"{label} was changed or removed by someone else meanwhile: reload and retry"
        ) from None
    except IntegrityError as exc:
        raise integrity_error(exc, label) from None


def domain_error_of(exc: BaseException) -> DomainError | None:
    """The domain error an exception stands for: itself, or SQLAlchemy's stale-row and integrity errors."""
    if isinstance(exc, DomainError):
        return exc
    if isinstance(exc, StaleDataError):
        return StaleVersion("the record was changed or removed by someone else meanwhile: reload and retry")
    if isinstance(exc, IntegrityError):
        return integrity_error(exc, "the record")
    return None


def to_jsonable(obj: Any) -> Any:
    """``json.dumps`` default: dates as ISO 8601 text, decimals and NumPy scalars as numbers."""
    if isinstance(obj, datetime | date):
        return obj.isoformat()
    if isinstance(obj, Decimal):
        return float(obj)
    if hasattr(obj, "item"):
        return obj.item()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def integrity_error(exc: IntegrityError, label: str) -> Conflict | InvalidInput:
    """The domain error for a database's refusal of a row (unique, foreign key, check, not null)."""
    orig = exc.orig
    text = str(orig)
    state = getattr(orig, "sqlstate", None)
    diag = getattr(orig, "diag", None)
    column = getattr(diag, "column_name", None) if diag is not None else None
    if state == "23505" or "UNIQUE constraint failed" in text:
        detail = getattr(diag, "message_detail", None) if diag is not None else None
        m = re.search(r"UNIQUE constraint failed: ([\w., ]+)", text)
        where = detail or (f"the same {m.group(1)}" if m else "the same key")
        return Conflict(f"{label}: another record already has {where}")
    if state == "23503" or "FOREIGN KEY constraint failed" in text:
        detail = getattr(diag, "message_detail", None) if diag is not None else None
        m = re.search(r"Key \((\w+)\)", detail or "")
        field = m.group(1) if m else None
        return InvalidInput(
            f"{label}: {detail or 'a referenced record does not exist'}", field=field or column
        )
    m = re.search(r"NOT NULL constraint failed: \w+\.(\w+)", text)
    if state == "23502" or m:
        field = column or (m.group(1) if m else None)
        return InvalidInput(f"{label}: {field or 'a required field'} is required", field=field)
    m = re.search(r"CHECK constraint failed: (\w+)", text) or re.search(r'check constraint "(\w+)"', text)
    return InvalidInput(f"{label}: a value is not allowed ({m.group(1) if m else text.splitlines()[0]})")


def geometry_of(row: Any, attr: str = "geom") -> BaseGeometry | None:
    """The shapely geometry of a mapped row's geometry column (or ``None``)."""
    value = getattr(row, attr)
    return None if value is None else to_shape(value)


def rows_to_gdf(
    rows: Iterable[dict[str, Any]],
    columns: Sequence[str],
    *,
    geometry: str = "geometry",
    crs: Any = STORAGE_CRS,
) -> gpd.GeoDataFrame:
    """Dicts with shapely geometries under ``geometry`` as a GeoDataFrame (columns kept even when empty)."""
    frame = pd.DataFrame(list(rows), columns=[*columns, geometry])
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=crs)


def wkb_rows_to_gdf(
    rows: Iterable[Sequence[Any]], columns: Sequence[str], *, crs: Any = STORAGE_CRS
) -> gpd.GeoDataFrame:
    """Result rows whose last value is WKB (``ST_AsBinary``) as a GeoDataFrame with ``columns``."""
    frame = pd.DataFrame(list(rows), columns=[*columns, "wkb"])
    wkb = frame.pop("wkb")
    geoms = shapely.from_wkb([None if w is None else bytes(w) for w in wkb]) if len(frame) else []
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, index=frame.index, crs=crs), crs=crs)
