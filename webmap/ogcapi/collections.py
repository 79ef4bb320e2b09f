"""The OGC API collections: the layer registry (``data.layers``), one geometry type per collection.

Standard names are stored with points, lines or areas in one table. Clients type a layer by its
geometry (QGIS draws only one type per layer, GeoPackage wants one), so the names are served as
three single-typed collections: ``place_names`` shows every public name as a point (areas and
lines by a point on them), ``place_names_lines`` and ``place_names_areas`` the names whose
geometry is a line or an area, as MultiLineString and MultiPolygon.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import JSON
from sqlalchemy import Boolean
from sqlalchemy import Date
from sqlalchemy import DateTime
from sqlalchemy import Float
from sqlalchemy import Integer
from sqlalchemy import func
from sqlalchemy import inspect

from boundaries.models import BoundaryMarker
from placenames.models import PlaceName

#: Rows of a layer the public may see (the registry has every row).
PUBLIC_FILTERS = {
    "place_names": lambda: [PlaceName.status.in_(("approved", "announced"))],
    "markers": lambda: [BoundaryMarker.public.is_(True)],
}
#: The temporal property of a layer that ``datetime`` filters on (else ``updated_at``).
DATETIME_PROPERTY = {
    "place_names": "approval_date",
    "divisions": "valid_from",
}
#: GeoJSON geometry type of each stored geometry type.
GEOMETRY_TYPES = {
    "POINT": "Point",
    "LINESTRING": "LineString",
    "MULTILINESTRING": "MultiLineString",
    "POLYGON": "Polygon",
    "MULTIPOLYGON": "MultiPolygon",
}
#: Properties every client may read but nobody writes.
READ_ONLY = ("version", "updated_at", "source")


@dataclass(frozen=True)
class Collection:
    """One OGC API collection: a layer's rows of one geometry dimension, in one geometry type.

    ``dimension`` keeps only the rows whose geometry has that dimension (1 lines, 2 areas);
    ``shape`` turns the stored geometry into the collection's type: ``"point"`` a point on it,
    ``"multi"`` the multi-part form, ``None`` as stored.
    """

    id: str
    layer: str
    title: str
    description: str
    model: type
    id_column: str
    properties: tuple[str, ...]
    datetime_property: str | None
    geometry_type: str
    geometry_column: str = "geom"
    dimension: int | None = None
    shape: str | None = None

    @property
    def table(self):
        return self.model.__table__

    @property
    def geometry(self):
        """The SQL expression of the geometry served (``ST_PointOnSurface``/``ST_Multi`` where needed)."""
        g = self.table.c[self.geometry_column]
        if self.shape == "point":
            return func.ST_PointOnSurface(g)
        if self.shape == "multi":
            return func.ST_Multi(g)
        return g

    def public_filters(self) -> list[Any]:
        """Rows the public may see, of this collection's geometry dimension."""
        make = PUBLIC_FILTERS.get(self.layer)
        clauses = make() if make else []
        if self.dimension is not None:
            clauses.append(func.ST_Dimension(self.table.c[self.geometry_column]) == self.dimension)
        return clauses

    def column_type(self, name: str) -> str:
        """The JSON type of a property: integer, number, boolean, date, date-time, array or string."""
        ctype = self.table.c[name].type
        if isinstance(ctype, Boolean):
            return "boolean"
        if isinstance(ctype, Integer):
            return "integer"
        if isinstance(ctype, Float):
            return "number"
        if isinstance(ctype, DateTime):
            return "date-time"
        if isinstance(ctype, Date):
            return "date"
        if isinstance(ctype, JSON):
            return "array"
        return "string"


@lru_cache(maxsize=1)
def collections() -> dict[str, Collection]:
    """Every collection, keyed by id, in the registry's order (names followed by their lines and areas)."""
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
        base = {
            "layer": layer.name,
            "model": model,
            "id_column": pk,
            "properties": tuple(w for w in wanted if not isinstance(model.__table__.c[w].type, JSON)),
            "datetime_property": DATETIME_PROPERTY.get(
                layer.name, "updated_at" if "updated_at" in cols else None
            ),
            "geometry_column": layer.geometry_column,
        }
        if layer.store_type != "GEOMETRY":
            out[layer.name] = Collection(
                id=layer.name,
                title=f"{layer.label_zh} / {layer.label_en}",
                description=layer.label_en,
                geometry_type=GEOMETRY_TYPES[layer.store_type],
                **base,
            )
            continue
        out[layer.name] = Collection(
            id=layer.name,
            title=f"{layer.label_zh}（点） / {layer.label_en}: points",
            description=f"{layer.label_en}, every one as a point (a point on the line or area)",
            geometry_type="Point",
            shape="point",
            **base,
        )
        out[f"{layer.name}_lines"] = Collection(
            id=f"{layer.name}_lines",
            title=f"{layer.label_zh}（线状） / {layer.label_en}: lines",
            description=f"{layer.label_en} located by a line (streets, rivers)",
            geometry_type="MultiLineString",
            dimension=1,
            shape="multi",
            **base,
        )
        out[f"{layer.name}_areas"] = Collection(
            id=f"{layer.name}_areas",
            title=f"{layer.label_zh}（面状） / {layer.label_en}: areas",
            description=f"{layer.label_en} located by an area (residential areas, parks, divisions)",
            geometry_type="MultiPolygon",
            dimension=2,
            shape="multi",
            **base,
        )
    return out


def get_collection(cid: str) -> Collection:
    """The collection called ``cid`` (:class:`gis.errors.NotFound` otherwise)."""
    from gis.errors import NotFound

    coll = collections().get(cid)
    if coll is None:
        raise NotFound(f"no collection {cid!r}")
    return coll
