"""A small boundary world for storage tests: two districts, a neighbour, their line and markers."""

from __future__ import annotations

from datetime import date

from shapely.geometry import MultiPolygon
from shapely.geometry import box

from boundaries import divisions
from boundaries import store
from boundaries.lines import LINE_FIELDS
from boundaries.lines import derive_lines
from boundaries.models import Division

UNITS = [
    ("150300000000", "乌海市", "city", None, True, box(106.7, 39.5, 106.9, 39.6)),
    ("150302000000", "海勃湾区", "district", "150300000000", True, box(106.7, 39.5, 106.8, 39.6)),
    ("150303000000", "海南区", "district", "150300000000", True, box(106.8, 39.5, 106.9, 39.6)),
    ("640205000000", "惠农区", "district", None, False, box(106.9, 39.5, 107.0, 39.6)),
]


def build(session, *, markers: bool = True) -> dict:
    """Write the divisions, the two lines (derived) and Q markers every 0.02° along 蒙宁线."""
    for code, name, level, parent, home, geom in UNITS:
        session.add(
            Division(
                code=code,
                name=name,
                level=level,
                parent_code=parent,
                in_wuhai=home,
                geom=store.to_db_geom(MultiPolygon([geom])),
                author="tester",
                valid_from=date(2000, 1, 1),
            )
        )
    session.flush()
    lines = derive_lines(divisions.divisions_gdf(session, levels=("district",), in_wuhai=None))
    ids = {}
    for row in lines.itertuples():
        values = {k: getattr(row, k) for k in LINE_FIELDS}
        ids[row.line_code] = store.save_line(session, actor="tester", values=values, geometry=row.geometry).id
    numbers = []
    if markers:
        for i, lat in enumerate((39.52, 39.54, 39.56, 39.58), start=1):
            m = store.add_marker(
                session,
                actor="tester",
                number=f"1564{i:03d}Q",
                line_id=ids["1564"],
                lon=106.9,
                lat=lat,
                material="花岗岩",
                elevation_m=1100.0 + i,
            )
            numbers.append(m.number)
    return {"line_ids": ids, "markers": numbers}
