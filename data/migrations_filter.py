"""Which database objects Alembic compares: the project's own, never SpatiaLite's or PostGIS's."""

from __future__ import annotations

from geoalchemy2 import alembic_helpers


def include_object(obj, name, type_, reflected, compare_to):
    """Alembic ``include_object`` hook."""
    if type_ == "table" and reflected and compare_to is None:
        return False
    return alembic_helpers.include_object(obj, name, type_, reflected, compare_to)
