"""``import --update``: apply an edited export back to the database, row by row, through the domain.

Rows are matched by the layer's key (a sign's code, a facility's kind and name, a place name's
name, category and division, a division's, line's or marker's code or number); a layer without
a key (roads) is matched by the ``id`` column of the export. A matched row whose values (and geometry) equal the stored ones is
unchanged; a changed row is applied through the domain's use case at the version the file
carries, so a row changed in the database since the export is refused; a row whose key is not
stored is new and inserted as a plain import does. Any refused row refuses the whole file.

An emptied cell clears the field (one change, audited like any other); emptying a field every row
needs (a required column, or one the table keeps NOT NULL) refuses the row, naming the field.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
import shapely
from geoalchemy2.shape import to_shape
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.layers import Layer
from data.validation import Problem
from gis.errors import DomainError
from gis.errors import InvalidInput

#: Headers of the version column (as exported in English and Chinese).
VERSION_COLUMNS = ("version", "版本")
#: Headers of the id column (as exported in English and Chinese).
ID_COLUMNS = ("id", "记录id")
#: Degrees under which two coordinates count as the same (about a centimetre).
SAME_POSITION = 1e-7


@dataclass
class RowOutcome:
    """What ``--update`` does with one row of the file."""

    row: int
    key: str
    status: str  # new / changed / unchanged / refused
    fields: list[str] = field(default_factory=list)
    message: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "row": self.row,
            "key": self.key,
            "status": self.status,
            "fields": self.fields,
            "message": self.message,
        }


@dataclass
class Plan:
    """The rows to insert (positions in the file's frame) and the changes to apply."""

    new: np.ndarray
    changes: list[tuple[int, Any, dict[str, Any], Any, int]]  # row, object, field changes, geometry, version
    outcomes: list[RowOutcome]
    problems: list[Problem]


#: Fields whose emptied cell means "the automatic value", per layer: unchanged while it is automatic.
_AUTOMATIC: dict[str, dict[str, Callable[[Any], bool]]] = {
    "place_names": {"romanized": lambda obj: not obj.romanized_override_reason},
}


def updatable(lyr: Layer) -> bool:
    """Whether ``lyr`` takes ``--update``."""
    return lyr.name in _APPLY


def file_versions(frame: pd.DataFrame) -> pd.Series | None:
    """The file's ``version`` column (English or Chinese header), or ``None``."""
    for column in frame.columns:
        if str(column).strip().lower() in VERSION_COLUMNS:
            return frame[column]
    return None


def file_keys(lyr: Layer, frame: pd.DataFrame, keys: list[str]) -> list[str]:
    """The keys rows are matched by: ``keys`` (the layer's key), or the file's ids for a keyless layer."""
    if lyr.key:
        return keys
    for column in frame.columns:
        if str(column).strip().lower() in ID_COLUMNS:
            return ["" if (n := _version(frame[column], int(r))) is None else str(n) for r in frame.index]
    return [""] * len(frame)


def plan_update(
    session: Session,
    lyr: Layer,
    values: pd.DataFrame,
    geoms: np.ndarray,
    keys: list[str],
    versions: pd.Series | None,
) -> Plan:
    """Compare the file's rows with the stored ones; nothing is written."""
    if not updatable(lyr):
        raise InvalidInput(
            f"layer {lyr.name} does not take --update (layers: {', '.join(_APPLY)})", field="update"
        )
    model = lyr.model
    pk = lyr.table.primary_key.columns.values()[0]
    key_cols = [model.__table__.c[k] for k in lyr.key] or [pk]
    stored: dict[str, Any] = {}
    if lyr.key:
        wanted = {v for v in values[lyr.key[0]].tolist() if v is not None}
    else:
        wanted = {int(k) for k in keys if k}
    for start in range(0, len(wanted), 900):
        chunk = sorted(wanted)[start : start + 900]
        rows = session.execute(select(pk, *key_cols).where(key_cols[0].in_(chunk))).all()
        stored.update({"|".join("" if v is None else str(v) for v in r[1:]): r[0] for r in rows})
    objects = {
        getattr(o, pk.key): o
        for start in range(0, len(stored), 900)
        for o in session.scalars(select(model).where(pk.in_(sorted(stored.values())[start : start + 900])))
    }
    plan = Plan(new=np.zeros(len(values), dtype=bool), changes=[], outcomes=[], problems=[])
    seen: set[str] = set()
    for i, (row, key) in enumerate(zip(values.index, keys, strict=True)):
        row = int(row)
        if key and key in seen and not lyr.key:
            message = f"id {key} appears twice in the file"
            plan.outcomes.append(RowOutcome(row, key, "refused", [], message))
            plan.problems.append(Problem(row, "id", message))
            continue
        seen.add(key)
        if key not in stored:
            plan.new[i] = True
            plan.outcomes.append(RowOutcome(row, key, "new"))
            continue
        obj = objects[stored[key]]
        changed = {
            name: value
            for name, value in values.loc[row].items()
            if name not in lyr.key and not _same(value, getattr(obj, name))
        }
        for name, automatic in _AUTOMATIC.get(lyr.name, {}).items():
            if name in changed and _empty(changed[name]) and automatic(obj):
                del changed[name]  # blank where the stored value is the automatic one: no change
        geom = geoms[i] if not _same_geometry(geoms[i], to_shape(obj.geom)) else None
        if not changed and geom is None:
            plan.outcomes.append(RowOutcome(row, key, "unchanged"))
            continue
        names = sorted(changed) + (["geometry"] if geom is not None else [])
        emptied = [f for f in _not_nullable(lyr) if f.name in changed and _empty(changed[f.name])]
        if emptied:
            f = emptied[0]
            message = f"{f.column} ({f.label_zh}) cannot be emptied: every row needs one"
            plan.outcomes.append(RowOutcome(row, key, "refused", names, message))
            plan.problems.append(Problem(row, f.column, message))
            continue
        version = _version(versions, row)
        if version is None or version != obj.version:
            message = (
                "the file has no version for this row; export the layer again"
                if version is None
                else f"changed in the database since the export (version {version} in the file, {obj.version} now)"
            )
            plan.outcomes.append(RowOutcome(row, key, "refused", names, message))
            plan.problems.append(Problem(row, "version", message))
            continue
        plan.changes.append((row, obj, changed, geom, version))
        plan.outcomes.append(RowOutcome(row, key, "changed", names))
    return plan


def apply_changes(
    session: Session, lyr: Layer, plan: Plan, *, actor: str, reason: str, justification: str | None = None
) -> list[Problem]:
    """Apply the planned changes through the domain; stop at the first row refused (returned).

    ``reason`` goes into the audit entries; ``justification`` (the reason the user gave, if any)
    is what a domain rule asks for, e.g. a marker or line moved beyond the tolerance.
    """
    apply = _APPLY[lyr.name]
    outcomes = {o.row: o for o in plan.outcomes}
    for row, obj, changed, geom, version in plan.changes:
        try:
            apply(
                session,
                obj,
                changed,
                geom,
                version=version,
                actor=actor,
                reason=reason,
                justification=justification,
            )
        except DomainError as exc:
            outcome = outcomes[row]
            outcome.status, outcome.message = "refused", str(exc)
            return [Problem(row, getattr(exc, "field", None), str(exc))]
    return []


# --- per layer -------------------------------------------------------------------------------


def _apply_sign(session, obj, changed, geom, *, version, actor, reason, **_) -> None:
    from placenames.signs.usecases import edit_sign

    lon, lat = (geom.x, geom.y) if geom is not None else (None, None)
    edit_sign(
        session,
        obj.id,
        actor=actor,
        changes=changed,
        expected_version=version,
        lon=lon,
        lat=lat,
        reason=reason,
    )


_NAME_ACTS = {
    "status": "names review/approve/announce/retire",
    "proper_part": "names rename",
    "generic_part": "names rename",
    "approving_authority": "names approve",
    "approval_doc_no": "names approve",
    "approval_date": "names approve",
    "announcement_date": "names announce",
}


#: Place-name texts the edit clears when given as "".
_NAME_TEXTS = ("meaning", "history", "location_desc", "mongolian", "mongolian_source")


def _apply_place_name(session, obj, changed, geom, *, version, actor, reason, **_) -> None:
    from placenames import usecases
    from placenames.store import EDITABLE

    # An emptied cell clears the field: the edit leaves a text given as None alone, and clears
    # one given as "" (a blank romanized form goes back to the automatic one).
    values = {k: ("" if v is None and k in _NAME_TEXTS else v) for k, v in changed.items()}
    romanized = values.pop("romanized", None)
    if "romanized" in changed and romanized is None:
        romanized = ""
    romanized_reason = values.pop("romanized_override_reason", None)
    other = sorted(set(values) - set(EDITABLE))
    if other:
        act = _NAME_ACTS.get(other[0], "the place-name acts")
        raise InvalidInput(f"{other[0]} is changed through {act}, not by an import", field=other[0])
    usecases.edit(
        session,
        obj.id,
        actor=actor,
        reason=reason,
        expected_version=version,
        geom=geom,
        romanized=romanized,
        romanized_reason=romanized_reason,
        **values,
    )


def _apply_facility(session, obj, changed, geom, *, version, actor, reason, **_) -> None:
    from facilities import store

    lon, lat = (geom.x, geom.y) if geom is not None else (None, None)
    store.update_facility(
        session, obj.id, actor=actor, expected_version=version, lon=lon, lat=lat, reason=reason, **changed
    )


def _apply_division(session, obj, changed, geom, *, version, actor, reason, **_) -> None:
    from boundaries import usecases

    usecases.update_division(
        session,
        actor,
        code=obj.code,
        changes=changed,
        expected_version=version,
        geometry=geom,
        reason=reason,
    )


def _apply_road(session, obj, changed, geom, *, version, actor, reason, **_) -> None:
    from gis.roads import update_segment

    update_segment(
        session, obj.id, actor=actor, changes=changed, expected_version=version, geometry=geom, reason=reason
    )


def _apply_line(session, obj, changed, geom, *, version, actor, reason, justification) -> None:
    from boundaries import usecases

    usecases.update_line(
        session,
        actor,
        code=obj.code,
        changes=changed,
        expected_version=version,
        geometry=geom,
        reason=reason,
        justification=justification,
    )


def _apply_marker(session, obj, changed, geom, *, version, actor, reason, justification) -> None:
    from boundaries import usecases

    lon, lat = (geom.x, geom.y) if geom is not None else (None, None)
    usecases.edit_marker(
        session,
        actor,
        number=obj.number,
        changes=changed,
        expected_version=version,
        lon=lon,
        lat=lat,
        reason=reason,
        justification=justification,
    )


_APPLY: dict[str, Callable[..., None]] = {
    "divisions": _apply_division,
    "roads": _apply_road,
    "place_names": _apply_place_name,
    "signs": _apply_sign,
    "boundary_lines": _apply_line,
    "markers": _apply_marker,
    "facilities": _apply_facility,
}


# --- comparisons -----------------------------------------------------------------------------


def _not_nullable(lyr: Layer) -> list[Any]:
    """Fields whose column takes no NULL (an emptied cell cannot clear them); lists empty to ``[]``."""
    columns = lyr.table.c
    return [f for f in lyr.fields if f.kind != "list" and f.name in columns and not columns[f.name].nullable]


def _version(versions: pd.Series | None, row: int) -> int | None:
    if versions is None:
        return None
    value = versions.get(row)
    try:
        number = float(str(value).strip())
    except (TypeError, ValueError):
        return None
    return int(number) if math.isfinite(number) and number.is_integer() else None


def _same(a: Any, b: Any) -> bool:
    if _empty(a) or _empty(b):
        return _empty(a) and _empty(b)
    if isinstance(a, bool) or isinstance(b, bool):
        return bool(a) == bool(b)
    if isinstance(a, int | float | np.number) and isinstance(b, int | float | np.number):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(a, datetime | date) or isinstance(b, datetime | date):
        return _day(a) == _day(b)
    if isinstance(a, list) or isinstance(b, list):
        return [str(x) for x in (a or [])] == [str(x) for x in (b or [])]
    return str(a).strip() == str(b).strip()


def _empty(value: Any) -> bool:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return True
    return (isinstance(value, str) and not value.strip()) or (isinstance(value, list) and not value)


def _day(value: Any) -> Any:
    return value.date() if isinstance(value, datetime) else value


def _same_geometry(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    # A one-part multi is its part: a file's table of one type holds both (a lake in the areas).
    a, b = (_one_part(shapely.force_2d(g)) for g in (a, b))
    # Normalised first: a Shapefile turns outer rings clockwise, a GIS may start a ring elsewhere.
    na, nb = shapely.normalize(a), shapely.normalize(b)
    if shapely.equals_exact(na, nb, tolerance=SAME_POSITION):
        return True
    # Rounding in the file can move the vertex a ring is normalised to start at (ties on x):
    # then the same vertices, each within the tolerance of the other's, are the same geometry.
    if na.geom_type != nb.geom_type or shapely.get_num_coordinates(na) != shapely.get_num_coordinates(nb):
        return False
    return bool(shapely.hausdorff_distance(na, nb) <= SAME_POSITION)


def _one_part(geom: Any) -> Any:
    if geom.geom_type.startswith("Multi") and shapely.get_num_geometries(geom) == 1:
        return shapely.get_geometry(geom, 0)
    return geom
