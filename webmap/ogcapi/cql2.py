"""CQL2 filters of the items (OGC API - Features Part 3): ``filter``, ``filter-lang``, ``filter-crs``.

Both encodings are parsed by the ``cql2`` package (developmentseed's cql2-rs, which follows the
standard's grammar and JSON schema; pygeofilter 0.4's text parser was tried and bound ``OR``
tighter than ``AND``), the text one into its JSON form. That JSON tree is turned here into a
SQLAlchemy clause over the collection's table, only through the properties its queryables
advertise: a property not among them answers 400 naming it, a literal of the wrong kind 400
naming the property, and every literal is a bound parameter (no SQL is built from text).

Supported: ``=``, ``<>``, ``<``, ``<=``, ``>``, ``>=``, ``AND``, ``OR``, ``NOT``, ``LIKE``,
``IN``, ``BETWEEN``, ``IS NULL`` (Basic CQL2 and Advanced Comparison Operators) and
``S_INTERSECTS`` of the geometry with a ``BBOX`` or a WKT/GeoJSON geometry (Basic Spatial
Functions, with every geometry type), in CRS84 or, with ``filter-crs``, EPSG:4490.
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from typing import Any

import cql2
import shapely
from sqlalchemy import and_
from sqlalchemy import func
from sqlalchemy import not_
from sqlalchemy import or_
from sqlalchemy.orm import Session

from gis.crs import STORAGE_SRID
from gis.dialects import bbox_filter
from gis.dialects import dialect_name
from webmap.ogcapi.collections import Collection

#: Conformance classes of Part 3 and CQL2 this module implements.
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
]
LANGUAGES = ("cql2-text", "cql2-json")
#: Names a filter may give the collection's geometry.
GEOMETRY_NAMES = ("geometry", "geom")
_COMPARISONS = {
    "=": lambda c, v: c == v,
    "<>": lambda c, v: c != v,
    "<": lambda c, v: c < v,
    "<=": lambda c, v: c <= v,
    ">": lambda c, v: c > v,
    ">=": lambda c, v: c >= v,
}
_MIRRORED = {"=": "=", "<>": "<>", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


class FilterError(ValueError):
    """A filter the API cannot accept (the items answer 400 with this message)."""


def parse(text: str, lang: str | None) -> dict[str, Any]:
    """The filter as CQL2 JSON (a dict); :class:`FilterError` with the parser's message if it is not CQL2."""
    lang = (lang or "cql2-text").strip()
    if lang not in LANGUAGES:
        raise FilterError(f"filter-lang {lang!r} is not supported; use {' or '.join(LANGUAGES)}")
    if not text.strip():
        raise FilterError("filter is empty")
    try:
        expr = cql2.parse_text(text) if lang == "cql2-text" else cql2.parse_json(text)
        expr.validate()
        tree = expr.to_json()
    except (cql2.ParseError, cql2.ValidationError, ValueError) as exc:
        raise FilterError(f"filter is not valid {lang}: {_one_line(str(exc))}") from None
    if not isinstance(tree, dict):
        raise FilterError("filter must be a predicate (e.g. name = '人民路')")
    return tree


def queryables(coll: Collection) -> list[str]:
    """The properties a filter may name: those of the collection's queryables document."""
    return [p for p in coll.properties if p != coll.id_column]


def check(coll: Collection, tree: dict[str, Any], *, crs: str) -> None:
    """Raise :class:`FilterError` unless ``tree`` can be translated (no database needed)."""
    _Translator(coll, None, crs).clause(tree)


def to_clause(session: Session, coll: Collection, tree: dict[str, Any], *, crs: str) -> Any:
    """The SQLAlchemy clause of ``tree`` over ``coll``'s table (``crs``: the filter's geometries' CRS)."""
    return _Translator(coll, session, crs).clause(tree)


class _Translator:
    def __init__(self, coll: Collection, session: Session | None, crs: str) -> None:
        self.coll = coll
        self.session = session
        self.lat_first = crs.endswith("/4490")
        self.names = queryables(coll)

    def clause(self, node: Any) -> Any:
        if isinstance(node, bool):
            return and_(True) if node else not_(and_(True))
        if not isinstance(node, dict) or "op" not in node:
            raise FilterError(f"filter: {_show(node)} is not a predicate")
        op, args = str(node["op"]).lower(), list(node.get("args") or [])
        if op in ("and", "or"):
            parts = [self.clause(a) for a in args]
            return and_(*parts) if op == "and" else or_(*parts)
        if op == "not":
            self._arity(op, args, 1)
            return not_(self.clause(args[0]))
        if op in _COMPARISONS:
            self._arity(op, args, 2)
            left, right = args
            if not _is_property(left) and _is_property(right):
                left, right, op = right, left, _MIRRORED[op]
            name, column = self.property(left)
            return _COMPARISONS[op](column, self.literal(name, right))
        if op == "like":
            self._arity(op, args, 2)
            name, column = self.property(args[0])
            if self.coll.column_type(name) != "string":
                raise FilterError(
                    f"filter: LIKE needs a text property; {name} is {self.coll.column_type(name)}"
                )
            pattern = args[1]
            if not isinstance(pattern, str):
                raise FilterError(f"filter: the pattern of {name} LIKE must be text")
            return self.like(column, pattern)
        if op == "in":
            self._arity(op, args, 2)
            name, column = self.property(args[0])
            if not isinstance(args[1], list) or not args[1]:
                raise FilterError(f"filter: {name} IN needs a list of values")
            return column.in_([self.literal(name, v) for v in args[1]])
        if op == "between":
            self._arity(op, args, 3)
            name, column = self.property(args[0])
            return column.between(self.literal(name, args[1]), self.literal(name, args[2]))
        if op == "isnull":
            self._arity(op, args, 1)
            return self.property(args[0])[1].is_(None)
        if op == "s_intersects":
            self._arity(op, args, 2)
            left, right = args
            if not _is_property(left):
                left, right = right, left
            return self.intersects(left, right)
        raise FilterError(
            f"filter: {node['op']} is not supported (comparisons, AND, OR, NOT, LIKE, IN, BETWEEN, "
            "IS NULL and S_INTERSECTS are)"
        )

    def property(self, node: Any) -> tuple[str, Any]:
        if not _is_property(node):
            raise FilterError(f"filter: expected a property where {_show(node)} stands")
        name = str(node["property"])
        if name not in self.names:
            raise FilterError(
                f"filter: {name!r} is not a queryable of collection {self.coll.id} "
                f"(see /collections/{self.coll.id}/queryables)"
            )
        return name, self.coll.table.c[name]

    def literal(self, name: str, value: Any) -> Any:
        """``value`` as the kind of property ``name`` (a bound parameter when used)."""
        kind = self.coll.column_type(name)
        if _is_property(value) or isinstance(value, dict | list) and not _is_instant(value):
            raise FilterError(f"filter: {name} must be compared with a value, not {_show(value)}")
        if value is None:
            raise FilterError(f"filter: compare {name} with NULL by {name} IS NULL")
        wrong = FilterError(f"filter: {name} is {kind}; {_show(value)} is not")
        if kind in ("integer", "number"):
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise wrong
            return int(value) if kind == "integer" and float(value).is_integer() else value
        if kind == "boolean":
            if not isinstance(value, bool):
                raise wrong
            return value
        if kind in ("date", "date-time"):
            text = value.get("date") or value.get("timestamp") if isinstance(value, dict) else value
            if not isinstance(text, str):
                raise wrong
            try:
                instant = datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                raise wrong from None
            return instant.date() if kind == "date" else instant
        if not isinstance(value, str):
            raise FilterError(f"filter: {name} is text; quote the value ('{_show(value)}')")
        return value

    def like(self, column: Any, pattern: str) -> Any:
        """``LIKE``, case-sensitive as CQL2 wants: SQLite's LIKE ignores ASCII case, so there as GLOB."""
        if self.session is None or dialect_name(self.session) != "sqlite":
            return column.like(pattern, escape="\\")
        return column.bool_op("GLOB")(_glob(pattern))

    def intersects(self, prop: Any, value: Any) -> Any:
        if not _is_property(prop) or str(prop["property"]) not in GEOMETRY_NAMES:
            raise FilterError(
                f"filter: S_INTERSECTS takes the geometry ({' or '.join(GEOMETRY_NAMES)}) first"
            )
        geom = self.geometry(value)
        if self.session is None:
            return None
        t, column = self.coll.table, self.coll.geometry_column
        shape = func.ST_GeomFromText(geom.wkt, STORAGE_SRID)
        return and_(
            bbox_filter(self.session, t, geom.bounds, column=column),  # the spatial index first
            func.ST_Intersects(self.coll.geometry, shape),
        )

    def geometry(self, value: Any) -> Any:
        if isinstance(value, dict) and "bbox" in value:
            box = [float(v) for v in value["bbox"]]
            if len(box) == 6:
                box = [box[0], box[1], box[3], box[4]]
            if len(box) != 4:
                raise FilterError("filter: BBOX takes 4 (or 6) numbers")
            if self.lat_first:
                box = [box[1], box[0], box[3], box[2]]
            if box[0] > box[2] or box[1] > box[3]:
                raise FilterError("filter: BBOX's lower corner must be below and left of its upper corner")
            geom = shapely.box(*box)
        elif isinstance(value, dict) and "type" in value:
            try:
                geom = shapely.from_geojson(json.dumps(value))
            except shapely.errors.GEOSException as exc:
                raise FilterError(f"filter: unreadable geometry ({_one_line(str(exc))})") from None
            if self.lat_first:
                geom = shapely.transform(geom, lambda xy: xy[:, ::-1])
        else:
            raise FilterError(f"filter: S_INTERSECTS needs a BBOX or a geometry, not {_show(value)}")
        coords = shapely.get_coordinates(geom)
        if geom.is_empty or not math.isfinite(float(coords.sum())) or not geom.is_valid:
            raise FilterError("filter: the geometry of S_INTERSECTS is empty or invalid")
        return geom

    def _arity(self, op: str, args: list, n: int) -> None:
        if len(args) != n:
            raise FilterError(f"filter: {op} takes {n} arguments, not {len(args)}")


def _glob(pattern: str) -> str:
    """A CQL2 ``LIKE`` pattern (``%``, ``_``, ``\\`` escapes) as a SQLite ``GLOB`` pattern."""
    out, chars = [], iter(pattern)
    for ch in chars:
        if ch == "\\":
            ch = next(chars, "\\")
            out.append(f"[{ch}]" if ch in "*?[" else ch)
        elif ch == "%":
            out.append("*")
        elif ch == "_":
            out.append("?")
        else:
            out.append(f"[{ch}]" if ch in "*?[" else ch)
    return "".join(out)


def _is_property(node: Any) -> bool:
    return isinstance(node, dict) and "property" in node


def _is_instant(node: Any) -> bool:
    return isinstance(node, dict) and ("date" in node or "timestamp" in node)


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 80 else text[:77] + "..."


def _one_line(message: str) -> str:
    """A parser's message in one line (cql2's text errors draw a caret under the input)."""
    lines = [line.strip(" |") for line in message.splitlines()]
    return " ".join(line for line in lines if line and set(line) - set("^-"))[:300]
