"""How each writable layer is written through the OGC API: the role it needs and the use cases it calls.

A write may carry every property the collection shows (clients send whole features back): the
ones the act changes are passed on, the others must be left as they are (or empty for a new
feature), else the write is refused naming the property.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from geoalchemy2.shape import to_shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy.orm import Session

from facilities import usecases as facility_acts
from facilities.models import Facility
from gis.errors import InvalidInput
from gis.rows import get_or_raise
from placenames import usecases as name_acts
from placenames.models import PlaceName
from placenames.models import Sign
from placenames.signs import store as signs_store
from placenames.signs import usecases as sign_acts
from webmap.ogcapi.collections import READ_ONLY
from webmap.ogcapi.collections import Collection

#: Degrees under which a submitted position counts as the current one (about a centimetre).
_SAME = 1e-7


@dataclass(frozen=True)
class Writer:
    """The role a layer's writes need, the properties each act takes and the acts themselves."""

    roles: tuple[str, ...]
    model: type
    create_fields: tuple[str, ...]
    update_fields: tuple[str, ...]
    create: Callable[..., Any]
    update: Callable[..., Any]
    delete: Callable[..., Any] | None


def split(
    coll: Collection, writer: Writer, props: dict[str, Any], *, current: Any | None
) -> tuple[dict[str, Any], str | None]:
    """The properties the act takes and the reason; the others must be unchanged (or empty when new)."""
    props = dict(props)
    reason = props.pop("reason", None)
    allowed = writer.update_fields if current is not None else writer.create_fields
    taken: dict[str, Any] = {}
    for name, value in props.items():
        if name in allowed:
            taken[name] = value
        elif name == coll.id_column or name in READ_ONLY:
            continue
        elif current is None and value is not None:
            raise InvalidInput(f"{name} cannot be set on a new {coll.id} feature", field=name)
        elif current is not None and not _same(getattr(current, name), value):
            raise InvalidInput(f"{name} cannot be changed through the OGC API", field=name)
    return taken, reason


def load(session: Session, coll: Collection, writer: Writer, fid: str) -> Any:
    """The stored row of feature ``fid`` of the collection (``NotFound`` when not in it)."""
    obj = get_or_raise(session, writer.model, fid, what=f"feature of {coll.id}")
    if coll.dimension is not None and _dimension(obj) != coll.dimension:
        from gis.errors import NotFound

        raise NotFound(f"no feature {fid} in {coll.id}")
    return obj


def geometry_change(coll: Collection, obj: Any, geom: BaseGeometry | None) -> BaseGeometry | None:
    """The new geometry of ``obj``, or ``None`` when ``geom`` is absent or where it already is."""
    if geom is None:
        return None
    here = to_shape(obj.geom)
    if coll.shape == "point" and here.geom_type != "Point":
        served = here.representative_point()
        if geom.distance(here) <= _SAME or geom.distance(served) <= _SAME:
            return None
        raise InvalidInput(
            f"feature {obj.id} is a line or an area: move it in {coll.layer}_lines or {coll.layer}_areas",
            field="geometry",
        )
    return None if geom.equals_exact(here, _SAME) else geom


def _dimension(obj: Any) -> int:
    kind = to_shape(obj.geom).geom_type
    return 2 if "Polygon" in kind else 1 if "LineString" in kind else 0


def _same(stored: Any, sent: Any) -> bool:
    if stored is None or sent is None:
        return stored is None and sent is None
    if isinstance(stored, float | int) and isinstance(sent, float | int):
        return abs(float(stored) - float(sent)) < 1e-9
    return stored == sent


# -- standard names ------------------------------------------------------------------------------

_NAME_CREATE = ("name", "category_code", "division_code", "romanized", "romanized_override_reason",
                "meaning", "history", "location_desc")  # fmt: skip
_NAME_UPDATE = ("meaning", "history", "location_desc", "mongolian", "mongolian_source", "division_code",
                "romanized", "romanized_override_reason")  # fmt: skip


def _names_create(s: Session, actor: str, coll: Collection, props: dict, reason, geom):
    p = dict(props)
    if not p.get("name"):
        raise InvalidInput("name is required", field="name")
    if not p.get("category_code"):
        raise InvalidInput("category_code is required", field="category_code")
    return name_acts.propose(
        s, actor=actor, name=p.pop("name"), category_code=p.pop("category_code"), geom=geom, reason=reason,
        romanized_reason=p.pop("romanized_override_reason", None), history_text=p.pop("history", None), **p,
    ).place  # fmt: skip


def _names_update(s: Session, actor: str, obj: PlaceName, props: dict, reason, geom, version):
    p = dict(props)
    rom = p.pop("romanized", None)
    return name_acts.edit(
        s, obj.id, actor=actor, expected_version=version, geom=geom, romanized=rom,
        romanized_reason=p.pop("romanized_override_reason", None), reason=reason or "OGC API update", **p,
    ).place  # fmt: skip


def _names_delete(s: Session, actor: str, obj: PlaceName, reason, version):
    reason = reason or "retired through the OGC API"
    return name_acts.retire(s, obj.id, actor=actor, reason=reason, expected_version=version)


# -- signs ---------------------------------------------------------------------------------------

_SIGN_FIELDS = ("code", "kind", "text_zh", "text_romanized", "text_mongolian", "house_number", "side",
                "facing_deg", "material", "size", "installer", "install_date", "condition",
                "last_inspected", "division_code")  # fmt: skip


def _signs_create(s: Session, actor: str, coll: Collection, props: dict, reason, geom):
    if not props.get("code"):
        raise InvalidInput("code is required", field="code")
    if geom is None:
        raise InvalidInput("a sign needs a point", field="geometry")
    values = {**props, "lon": geom.x, "lat": geom.y}
    return signs_store.create_sign(s, actor=actor, values=values, reason=reason)


def _signs_update(s: Session, actor: str, obj: Sign, props: dict, reason, geom, version):
    lon, lat = (geom.x, geom.y) if geom is not None else (None, None)
    return sign_acts.edit_sign(
        s, obj.id, actor=actor, changes=props, expected_version=version, lon=lon, lat=lat, reason=reason
    )


# -- facilities ----------------------------------------------------------------------------------

_FACILITY_FIELDS = ("kind", "name", "operator_type", "status", "year_opened", "year_closed", "planned_year",
                    "beds", "nursing_beds", "floor_area_m2", "new_or_rebuilt", "has_volunteer_site",
                    "service_radius_m", "service_minutes", "opening_hours", "contact", "address",
                    "division_code", "serves_code")  # fmt: skip


def _fac_create(s: Session, actor: str, coll: Collection, props: dict, reason, geom):
    p = dict(props)
    for key in ("kind", "name"):
        if not p.get(key):
            raise InvalidInput(f"{key} is required", field=key)
    if geom is None:
        raise InvalidInput("a facility needs a point", field="geometry")
    return facility_acts.add_facility(
        s, actor=actor, kind=p.pop("kind"), name=p.pop("name"), lon=geom.x, lat=geom.y, reason=reason, **p
    )


def _fac_update(s: Session, actor: str, obj: Facility, props: dict, reason, geom, version):
    fac = obj
    changes = {k: v for k, v in props.items() if not _same(getattr(obj, k), v)}
    if changes:
        fac = facility_acts.edit_facility(
            s, obj.id, actor=actor, changes=changes, expected_version=version, reason=reason
        )
        version = fac.version
    if geom is not None:
        fac = facility_acts.move_facility(
            s, obj.id, actor=actor, lon=geom.x, lat=geom.y, expected_version=version, reason=reason
        )
    elif not changes and version is not None:
        from gis.rows import check_version

        check_version(obj, version)
    return fac


def _fac_delete(s: Session, actor: str, obj: Facility, reason, version):
    reason = reason or "removed through the OGC API"
    return facility_acts.remove_facility(s, obj.id, actor=actor, reason=reason, expected_version=version)


WRITERS: dict[str, Writer] = {
    "place_names": Writer(
        ("placename_officer",),
        PlaceName,
        _NAME_CREATE,
        _NAME_UPDATE,
        _names_create,
        _names_update,
        _names_delete,
    ),
    "signs": Writer(
        ("placename_officer", "sign_maintainer"),
        Sign,
        _SIGN_FIELDS,
        _SIGN_FIELDS,
        _signs_create,
        _signs_update,
        None,
    ),
    "facilities": Writer(
        ("planner",), Facility, _FACILITY_FIELDS, _FACILITY_FIELDS, _fac_create, _fac_update, _fac_delete
    ),
}
