"""The OGC API collections: the layer registry (``data.layers``) plus what the public may see."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import inspect

from boundaries.models import BoundaryMarker
from placenames.models import PlaceName

#: Rows of a layer the public may see (the registry has every row).
PUBLIC_FILTERS = {
    "place_names": lambda: [PlaceName.status.in_(("approved", "announced"))],
    "markers": lambda: [BoundaryMarker.public.is_(True)],
}
#: The temporal property of a collection that ``datetime`` filters on.
DATETIME_PROPERTY = {
    "place_names": "approval_date",
    "divisions": "valid_from",
}


@dataclass(frozen=True)
class Collection:
    """One OGC API collection."""

    id: str
    title: str
    description: str
    model: type
    id_column: str
    properties: tuple[str, ...]
    datetime_property: str | None
    geometry_column: str = "geom"

    @property
    def table(self):
        return self.model.__table__

    def public_filters(self) -> list[Any]:
        make = PUBLIC_FILTERS.get(self.id)
        return make() if make else []

    def column_type(self, name: str) -> str:
        py = self.table.c[name].type.python_type if hasattr(self.table.c[name].type, "python_type") else str
        return {int: "integer", float: "number", bool: "boolean"}.get(py, "string")


@lru_cache(maxsize=1)
def collections() -> dict[str, Collection]:
    """Every collection, keyed by id, in the registry's order."""
    from data.layers import LAYERS

    out: dict[str, Collection] = {}
    for layer in LAYERS.values():
        model = layer.model
        pk = inspect(model).primary_key[0].key
        cols = [c.key for c in model.__table__.columns]
        wanted = [pk] + [f.name for f in layer.fields if f.name in cols and f.name != pk]
        for extra in ("updated_at", "version", "source"):
            if extra in cols and extra not in wanted:
                wanted.append(extra)
        out[layer.name] = Collection(
            id=layer.name,
            title=f"{layer.label_zh} / {layer.label_en}",
            description=layer.label_en,
            model=model,
            id_column=pk,
            properties=tuple(w for w in wanted if _simple(model, w)),
            datetime_property=DATETIME_PROPERTY.get(
                layer.name, "updated_at" if "updated_at" in cols else None
            ),
            geometry_column=layer.geometry_column,
        )
    return out


def _simple(model: type, name: str) -> bool:
    from sqlalchemy import JSON

    return not isinstance(model.__table__.c[name].type, JSON)
