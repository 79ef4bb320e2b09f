"""Reference step 1: divisions (real and synthetic polygons, population), boundary lines and streets."""

from __future__ import annotations

import random
from collections.abc import Iterable
from typing import Any

import shapely
from geoalchemy2 import WKTElement
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy.orm import Session

from boundaries.models import BoundaryLine
from boundaries.models import Division
from data.reference import sources
from data.reference.divisions_gen import Unit
from data.reference.divisions_gen import build_units
from data.reference.geometry_gen import as_multipolygon
from data.reference.geometry_gen import to_metric_geom
from data.reference.geometry_gen import to_storage_geom
from data.reference.network_gen import street_network
from data.reference.population_gen import calibrate
from data.reference.roads_gen import SPEEDS
from data.reference.roads_gen import Segment
from gis.crs import STORAGE_SRID
from gis.errors import require_actor
from gis.models import SYNTHETIC
from gis.models import AuditLog
from gis.models import RoadSegment

#: ``source`` values of the rows this step writes; rows with any other source belong to users.
REFERENCE_SOURCES = frozenset({sources.ADMIN_SOURCE, sources.TOWN_SOURCE, SYNTHETIC})
_LEVEL_ORDER = {"province": 0, "city": 1, "district": 2, "town": 3, "community": 4, "village": 4}
_LINE_LEVEL = {"district": "district", "city": "city", "province": "provincial"}
_BATCH = 2000
#: Longest polygon edge in metres before reprojection, so that parent and child edges, straight in
#: EPSG:4545, stay within a millimetre of each other in EPSG:4490.
_DENSIFY_M = 100.0


def load(session: Session, *, actor: str, rng_seed: int) -> dict[str, int]:
    """Write the divisions, the boundary lines touching Wuhai and the street network (idempotent).

    Rows already present are left as they are, so edits made by users survive: divisions and
    boundary lines are matched by code, and the street network is written only while no synthetic
    segment exists. Missing rows are added.

    Parameters
    ----------
    session
        Open session; the caller commits.
    actor
        Author recorded on the rows and in the audit log.
    rng_seed
        Seed of every synthetic choice.

    Returns
    -------
    dict
        Rows present from this step per table, and ``written``: rows added this run.
    """
    require_actor(actor)
    written = _write_lines(session, actor=actor)
    present = set(session.scalars(select(Division.code)))
    has_roads = session.scalar(
        select(func.count()).select_from(RoadSegment).where(RoadSegment.source == SYNTHETIC)
    )
    if not (_expected_codes() <= present and has_roads):  # generation is needed only for missing rows
        units = build_units(rng_seed=rng_seed)
        _add_population(units, rng=random.Random(rng_seed + 1))
        written += _write_divisions(session, units.values(), actor=actor)
        written += _write_roads(session, units, actor=actor, rng_seed=rng_seed)
    session.flush()
    return {
        "divisions": session.scalar(
            select(func.count()).select_from(Division).where(Division.source.in_(REFERENCE_SOURCES))
        ),
        "boundary_lines": session.scalar(
            select(func.count()).select_from(BoundaryLine).where(BoundaryLine.source == sources.ADMIN_SOURCE)
        ),
        "road_segments": session.scalar(
            select(func.count()).select_from(RoadSegment).where(RoadSegment.source == SYNTHETIC)
        ),
        "written": written,
    }


def record_bulk(
    session: Session,
    *,
    actor: str,
    table: str,
    rows: int,
    action: str = "bulk_insert",
    reason: str = "load-reference",
) -> None:
    """Record one audit entry for a bulk write of ``rows`` rows of ``table`` (reference loads)."""
    require_actor(actor)
    session.execute(
        insert(AuditLog),
        [
            {
                "actor": actor,
                "action": action,
                "table_name": table,
                "row_key": "*",
                "after": {"rows": rows},
                "reason": reason,
            }
        ],
    )


def wkt(geom: Any) -> WKTElement:
    """A storage-CRS geometry element for bulk inserts."""
    return WKTElement(geom.wkt, srid=STORAGE_SRID)


def _expected_codes() -> set[str]:
    """Codes of every division this step writes."""
    return (
        {u.code for u in sources.admin_units()}
        | {t.code for t in sources.towns()}
        | {v.code for v in sources.villages()}
    )


def _add_population(units: dict[str, Unit], *, rng: random.Random) -> None:
    leaves = [
        (u.code, _district_of(u, units), u.kind or "", u.name)
        for u in units.values()
        if u.level in ("community", "village") and u.in_wuhai
    ]
    for code, (hh, pop, aged) in calibrate(leaves, rng=rng).items():
        units[code].households, units[code].population, units[code].population_60plus = hh, pop, aged
    for level in ("town", "district", "city"):
        for u in units.values():
            if u.level == level and u.in_wuhai and u.children:
                kids = [units[c] for c in u.children]
                u.households = sum(k.households or 0 for k in kids)
                u.population = sum(k.population or 0 for k in kids)
                u.population_60plus = sum(k.population_60plus or 0 for k in kids)


def _district_of(u: Unit, units: dict[str, Unit]) -> str:
    while u.level != "district":
        u = units[u.parent_code]
    return u.code


def division_rows(units: Iterable[Unit], *, present: set[str], actor: str) -> list[dict[str, Any]]:
    """Insert rows for the units not in ``present``, parents first, geometry in EPSG:4490."""
    todo = sorted((u for u in units if u.code not in present), key=lambda u: (_LEVEL_ORDER[u.level], u.code))
    known = present | {u.code for u in todo}
    # real units keep their source polygons exactly (shared edges stay identical); synthetic ones
    # are densified so that parents and children agree after reprojection
    synthetic = [u for u in todo if u.source_geom is None]
    reprojected = iter(to_storage_geom([shapely.segmentize(u.geom, _DENSIFY_M) for u in synthetic]))
    storage = [
        as_multipolygon(u.source_geom if u.source_geom is not None else next(reprojected)) for u in todo
    ]
    return [
        {
            "code": u.code,
            "name": u.name,
            "level": u.level,
            "kind": u.kind,
            "parent_code": u.parent_code if u.parent_code in known else None,
            "in_wuhai": u.in_wuhai,
            "urban_rural": u.urban_rural,
            "households": u.households,
            "population": u.population,
            "population_60plus": u.population_60plus,
            "geom": wkt(g),
            "author": actor,
            "source": u.source,
        }
        for u, g in zip(todo, storage, strict=True)
    ]


def road_rows(segments: list[Segment], *, actor: str) -> list[dict[str, Any]]:
    """Insert rows for the street segments, geometry in EPSG:4490."""
    storage = to_storage_geom([s.geom for s in segments])
    return [
        {
            "name": s.name,
            "road_class": s.road_class,
            "oneway": False,
            "speed_kmh": SPEEDS[s.road_class],
            "length_m": round(s.geom.length, 1),
            "division_code": s.division_code,
            "geom": wkt(g),
            "author": actor,
            "source": SYNTHETIC,
        }
        for s, g in zip(segments, storage, strict=True)
    ]


def _write_divisions(session: Session, units: Iterable[Unit], *, actor: str) -> int:
    rows = division_rows(units, present=set(session.scalars(select(Division.code))), actor=actor)
    for level in sorted({_LEVEL_ORDER[r["level"]] for r in rows}):
        session.execute(insert(Division), [r for r in rows if _LEVEL_ORDER[r["level"]] == level])
    if rows:
        record_bulk(session, actor=actor, table="division", rows=len(rows))
    return len(rows)


def _write_lines(session: Session, *, actor: str) -> int:
    present = set(session.scalars(select(BoundaryLine.code)))
    rows = []
    for line in sources.shared_lines():
        if not line.touches_wuhai:
            continue
        code = f"{line.left_code[:6]}-{line.right_code[:6]}"
        if code in present:
            continue
        rows.append(
            {
                "code": code,
                "name": f"{line.left_name}—{line.right_name}界线",
                "level": _LINE_LEVEL[line.kind],
                "left_code": line.left_code,
                "left_name": line.left_name,
                "right_code": line.right_code,
                "right_name": line.right_name,
                "length_km": round(to_metric_geom(line.geom).length / 1000.0, 3),
                "geom": WKTElement(shapely.multilinestrings([line.geom]).wkt, srid=STORAGE_SRID),
                "author": actor,
                "source": sources.ADMIN_SOURCE,
            }
        )
    if rows:
        session.execute(insert(BoundaryLine), rows)
        record_bulk(session, actor=actor, table="boundary_line", rows=len(rows))
    return len(rows)


def _write_roads(session: Session, units: dict[str, Unit], *, actor: str, rng_seed: int) -> int:
    """The street network, written once: when synthetic segments exist they are left as users keep them."""
    if session.scalar(select(func.count()).select_from(RoadSegment).where(RoadSegment.source == SYNTHETIC)):
        return 0
    rows = road_rows(street_network(units, rng=random.Random(rng_seed + 2)), actor=actor)
    for i in range(0, len(rows), _BATCH):
        session.execute(insert(RoadSegment), rows[i : i + _BATCH])
    record_bulk(session, actor=actor, table="road_segment", rows=len(rows))
    return len(rows)
