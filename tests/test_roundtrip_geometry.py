"""When a file's geometry is the stored one: rounding, ring start and one-part multis are no change."""

from __future__ import annotations

import shapely
from shapely.geometry import MultiPolygon
from shapely.geometry import Polygon

from data.roundtrip import _same_geometry


def test_rounding_that_moves_the_ring_start_is_no_change():
    # two vertices tie on the smallest x once rounded to 8 decimals: normalising then starts elsewhere
    stored = Polygon([(106.79499999999, 39.70), (106.795, 39.69), (106.82, 39.69), (106.82, 39.72)])
    in_file = shapely.from_wkt(shapely.to_wkt(stored, rounding_precision=8))
    assert not shapely.equals_exact(shapely.normalize(stored), shapely.normalize(in_file), tolerance=1e-7)
    assert _same_geometry(in_file, stored)


def test_a_one_part_multipolygon_is_its_polygon():
    lake = Polygon([(106.80, 39.60), (106.82, 39.60), (106.82, 39.62), (106.80, 39.62)])
    assert _same_geometry(MultiPolygon([lake]), lake)


def test_a_moved_vertex_is_a_change():
    stored = Polygon([(106.80, 39.60), (106.82, 39.60), (106.82, 39.62), (106.80, 39.62)])
    moved = Polygon([(106.80, 39.60), (106.82, 39.60), (106.82, 39.621), (106.80, 39.62)])
    assert not _same_geometry(moved, stored)
    assert not _same_geometry(MultiPolygon([stored, moved.buffer(-0.001)]), stored)
