"""Reference step 5: civil-affairs facilities calibrated to the plan's 2020 figures, population by year, entries.

Figures from 《乌海市“十四五”民政事业发展规划》 chapter 1 and its indicator table (2020 column):
46 community home-care stations, 5 street elderly-care centres, 9 rural elderly-care centres,
2 mutual-aid homes (urban coverage 46/70 = 66 %, rural 11/13 = 85 %), 9 elderly-care institutions
running and 3 under construction, 3354 beds of which 1237 nursing beds. The plan counts the beds of
the institutions *and* of the community facilities ("养老机构、社区居家养老服务设施共有床位3354张"),
so the 3354 are split over both: 1100 in the community/rural facilities, 2254 in the institutions.
Community service facilities for the 70 communities and 13 villages: 28 at 300-500 m², 29 at
500-1000 m², 26 above 1000 m², total floor area calibrated to 33 m² per 100 households of the base
step's households. One minor-protection institution (the city's) of the 4 units -> 25 %.
Everything here is synthetic (``source='synthetic'``) except the two entered plan values.
"""

from __future__ import annotations

import math
import random
from datetime import date

import numpy as np
import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.reference.population_gen import allocate
from facilities import store
from facilities.models import Facility
from gis.crs import METRIC_SRID
from gis.crs import STORAGE_SRID
from gis.crs import transformer
from gis.errors import InvalidInput
from gis.models import SYNTHETIC

PLAN = "乌海市“十四五”民政事业发展规划（2021-12-31），主要发展指标表"
PLAN_DATE = date(2021, 12, 31)
BEDS_TOTAL, NURSING_TOTAL = 3354, 1237
COMMUNITY_BEDS, COMMUNITY_NURSING = 1100, 180
FLOOR_AREA_PER_100HH = 33.0
FLOOR_CLASSES = ((28, 300.0, 500.0), (29, 500.0, 1000.0), (26, 1000.0, 2600.0))
#: Synthetic projection for the later years: residents -0.3 %/year, people aged 60+ +4.5 %/year.
GROWTH = {"residents": -0.003, "aged_60plus": 0.045}
PROJECTED_YEARS = range(2021, 2026)
INSTITUTIONS_RUNNING = (
    "乌海市老年养护服务中心", "乌海市社会福利院", "海勃湾区颐养院", "海勃湾区夕阳红老年公寓", "海南区敬老院",
    "海南区康乐养老院", "乌达区敬老院", "乌达区福寿康养老院", "乌海市医疗养老院",
)  # fmt: skip
INSTITUTIONS_BUILDING = (
    ("海勃湾区滨河区康养小镇", 600, 2022),
    ("乌海市医疗养老院（职业病防治院）扩建", 300, 2022),
    ("海勃湾区天盛老年公寓", 400, 2023),
)


def load(session: Session, *, actor: str, rng_seed: int) -> dict[str, int]:
    """Write the reference facilities, population_stat rows and plan entries (idempotent)."""
    rng = random.Random(rng_seed + 5)
    units = store.units_gdf(session)
    if units.empty:
        raise InvalidInput("reference step 'facilities' needs the divisions of step 'base'", field="step")
    divisions = store.divisions_frame(session, levels=("city", "district", "town"))
    desired = plan_facilities(units, divisions, rng=rng, roads=store.roads_gdf(session))
    counts = {"facilities_added": 0, "facilities_updated": 0, "facilities_removed": 0}
    existing: dict[str, list[Facility]] = {}
    for fac in session.scalars(select(Facility).where(Facility.source == SYNTHETIC).order_by(Facility.id)):
        existing.setdefault(fac.name, []).append(fac)
    for row in desired:
        row = dict(row)
        lon, lat = row.pop("lon"), row.pop("lat")
        same = existing.get(row["name"], [])
        fac = same.pop(0) if same else None
        if fac is None:
            store.add_facility(session, actor=actor, lon=lon, lat=lat, source=SYNTHETIC, **row)
            counts["facilities_added"] += 1
            continue
        current = store.validate_facility(row, lon=lon, lat=lat)
        x, y = store.facility_lonlat(fac)
        changed = {k: v for k, v in current.items() if getattr(fac, k) != v}
        if changed or not math.isclose(x, lon, abs_tol=1e-9) or not math.isclose(y, lat, abs_tol=1e-9):
            store.update_facility(session, fac.id, actor=actor, lon=lon, lat=lat, **changed)
            counts["facilities_updated"] += 1
    for fac in (f for group in existing.values() for f in group):
        store.remove_facility(session, fac.id, actor=actor, reason="no longer in the reference dataset")
        counts["facilities_removed"] += 1
    counts["population_stat"] = _population(session, units, actor=actor)
    counts["indicator_entry"] = _entries(session, actor=actor)
    counts["facilities"] = len(desired)
    return counts


def plan_facilities(units, divisions, *, rng: random.Random, roads=None) -> list[dict]:
    """The reference facilities as dicts of column values plus ``lon``/``lat`` (EPSG:4490)."""
    units = units[units["urban_rural"].isin(["urban", "rural"])].sort_values("code").reset_index(drop=True)
    metric = units.to_crs(epsg=METRIC_SRID)
    polys = _Placer(dict(zip(units["code"], metric.geometry, strict=True)), roads)
    names = _unique_names(units, divisions)
    urban = units[units["urban_rural"] == "urban"]
    rural = units[units["urban_rural"] == "rural"]
    city = divisions[divisions["level"] == "city"].iloc[0]
    districts = divisions[
        (divisions["level"] == "district") & (divisions["parent_code"] == city["code"])
    ].sort_values("code")
    towns = divisions[divisions["level"] == "town"].sort_values("code")
    out: list[dict] = []

    def put(code: str, **values) -> None:
        lon, lat = polys.place(code, rng)
        out.append({"division_code": code, "lon": lon, "lat": lat, **values})

    # elderly care: 46 stations in 46 urban communities (oldest first); 5 street centres beside 5 of them
    station_codes = _oldest_per_district(urban, 46)
    center_codes = _one_per_town(units, station_codes, 5)
    rural_codes = sorted(rural["code"])
    rng.shuffle(rural_codes)
    n_center = min(9, len(rural_codes))
    rural_center, mutual = sorted(rural_codes[:n_center]), sorted(rural_codes[n_center : n_center + 2])
    community = [(c, "home_care_station", "居家养老服务站") for c in station_codes]
    community += [(c, "street_elderly_center", "街道养老综合服务中心") for c in center_codes]
    community += [(c, "rural_elderly_center", "农区养老服务中心") for c in rural_center]
    community += [(c, "mutual_aid_home", "互助养老幸福院") for c in mutual]
    weight = {
        "home_care_station": 1.0,
        "street_elderly_center": 2.2,
        "rural_elderly_center": 0.7,
        "mutual_aid_home": 0.5,
    }
    beds = allocate(COMMUNITY_BEDS, [weight[k] * rng.uniform(0.7, 1.3) for _, k, _ in community])
    nursing = allocate(
        COMMUNITY_NURSING,
        [b * (1.0 if k != "mutual_aid_home" else 0.0) for b, (_, k, _) in zip(beds, community, strict=True)],
    )
    for (code, kind, label), b, nb in zip(community, beds, nursing, strict=True):
        put(
            code,
            kind=kind,
            name=f"{names[code]}{label}",
            beds=b,
            nursing_beds=min(nb, b),
            year_opened=rng.randint(2013, 2020),
            operator_type=rng.choice(["public", "public_private"]),
        )
    inst_codes = _institution_seats(urban, len(INSTITUTIONS_RUNNING) + len(INSTITUTIONS_BUILDING), rng)
    inst_beds = allocate(BEDS_TOTAL - COMMUNITY_BEDS, [rng.uniform(0.5, 1.5) for _ in INSTITUTIONS_RUNNING])
    inst_nursing = allocate(NURSING_TOTAL - COMMUNITY_NURSING, [b * rng.uniform(0.8, 1.2) for b in inst_beds])
    for name, code, b, nb in zip(INSTITUTIONS_RUNNING, inst_codes, inst_beds, inst_nursing, strict=False):
        put(
            code,
            kind="elderly_institution",
            name=name,
            beds=b,
            nursing_beds=min(nb, b),
            year_opened=rng.randint(2005, 2019),
            operator_type=rng.choice(["public", "private", "public_private", "private_subsidised"]),
        )
    for (name, b, year), code in zip(
        INSTITUTIONS_BUILDING, inst_codes[len(INSTITUTIONS_RUNNING) :], strict=False
    ):
        put(
            code,
            kind="elderly_institution",
            name=name,
            beds=b,
            nursing_beds=int(b * 0.6),
            status="under_construction",
            planned_year=year,
            operator_type="public_private",
        )
    out += _community_service(units, polys, names, rng)
    # welfare lottery outlets (129) spread by residents; one marriage registry per district
    lottery = allocate(129, [max(r, 1) for r in urban["residents"].fillna(0)])
    k = 0
    for code, n in zip(urban["code"], lottery, strict=True):
        for _ in range(n):
            k += 1
            put(
                code,
                kind="welfare_lottery",
                name=f"福利彩票销售站点第{k:03d}号（{names[code]}）",
                year_opened=rng.randint(2005, 2020),
            )
    for d in districts.itertuples():
        seat = _seat(urban, d.code, rng)
        put(
            seat,
            kind="marriage_registry",
            name=f"{d.name}婚姻登记处",
            serves_code=d.code,
            operator_type="public",
            year_opened=2010,
        )
        put(
            _seat(urban, d.code, rng),
            kind="charity_supermarket",
            name=f"{d.name}慈善超市",
            serves_code=d.code,
            year_opened=2016,
        )
    seat = _seat(urban, districts.iloc[0]["code"], rng) if len(districts) else sorted(urban["code"])[0]
    specials = [
        (
            "minor_protection",
            "乌海市未成年人救助保护中心",
            {"serves_code": city["code"], "year_opened": 2017},
        ),
        ("child_welfare", "乌海市儿童福利院", {"beds": 80, "year_opened": 2012}),
        ("rescue_station", "乌海市救助管理站", {"beds": 60, "year_opened": 2008}),
        (
            "mental_health_welfare",
            "乌海市精神卫生福利中心",
            {"beds": 200, "status": "under_construction", "planned_year": 2023},
        ),
        ("funeral_home", "乌海市殡仪馆", {"year_opened": 2000}),
        ("ash_repository", "乌海市公益性骨灰堂", {"year_opened": 2012}),
    ]
    for kind, name, extra in specials:
        put(
            _seat(urban, None, rng) if kind != "minor_protection" else seat,
            kind=kind,
            name=name,
            operator_type="public",
            **extra,
        )
    counted = towns[towns["kind"].isin(["街道", "镇"])]
    for kind, label, n in (
        ("social_work_station", "社会工作服务站", 6),
        ("org_incubator", "社会组织孵化基地", 3),
    ):
        for t in (
            counted.sample(n=min(n, len(counted)), random_state=rng.randrange(2**31))
            .sort_values("code")
            .itertuples()
        ):
            inside = units[units["town_code"] == t.code]
            if len(inside):
                put(
                    sorted(inside["code"])[0],
                    kind=kind,
                    name=f"{t.name}{label}",
                    serves_code=t.code,
                    year_opened=rng.randint(2018, 2020),
                )
    for code in sorted(rng.sample(sorted(urban["code"]), min(12, len(urban)))):
        put(
            code,
            kind="volunteer_site",
            name=f"{names[code]}志愿服务站点",
            year_opened=rng.randint(2016, 2020),
        )
    return out


def _community_service(units, polys, names, rng) -> list[dict]:
    """One community service facility per community/village, areas by class, calibrated to 33 m²/100 households."""
    ranked = units.sort_values(["households", "code"]).reset_index(drop=True)
    total_hh = float(ranked["households"].fillna(0).sum())
    sizes, start = [], 0
    for n, lo, hi in FLOOR_CLASSES:
        n = min(n, len(ranked) - start) if (n, lo, hi) != FLOOR_CLASSES[-1] else len(ranked) - start
        sizes.append((start, n, lo, hi))
        start += n
    areas = np.zeros(len(ranked))
    for s, n, lo, hi in sizes[:-1]:
        areas[s : s + n] = np.round([rng.uniform(lo + 10, hi - 10) for _ in range(n)])
    s, n, lo, hi = sizes[-1]
    target = FLOOR_AREA_PER_100HH * total_hh / 100.0
    if n:
        big_hh = ranked["households"].iloc[s:].to_numpy(dtype=float)
        share = big_hh / big_hh.sum()
        areas[s:] = np.maximum(lo + 20, np.round(share * max(target - areas[:s].sum(), n * (lo + 20))))
    areas[-1] += round(target - areas.sum()) if len(areas) else 0
    rebuilt = set(rng.sample(range(len(ranked)), min(10, len(ranked))))
    volunteer = set(rng.sample(range(len(ranked)), int(0.4 * len(ranked))))
    out = []
    for i, row in ranked.iterrows():
        lon, lat = polys.place(row["code"], rng)
        out.append(
            {
                "division_code": row["code"], "lon": lon, "lat": lat, "kind": "community_service",
                "name": f"{names[row['code']]}综合服务中心", "floor_area_m2": float(max(300.0, areas[i])),
                "new_or_rebuilt": i in rebuilt, "has_volunteer_site": i in volunteer, "year_opened": rng.randint(2010, 2020),
                "operator_type": "public", "opening_hours": "08:30-17:30",
            }
        )  # fmt: skip
    return out


def _population(session: Session, units, *, actor: str) -> int:
    n = 0
    for row in units.itertuples():
        if row.residents is None or (isinstance(row.residents, float) and math.isnan(row.residents)):
            continue
        base = {
            "households": int(row.households or 0),
            "residents": int(row.residents),
            "aged_60plus": int(row.aged_60plus or 0),
        }
        store.upsert_population(
            session, actor=actor, division_code=row.code, year=2020, source="nbs2023+synthetic", **base
        )
        n += 1
        for year in PROJECTED_YEARS:
            t = year - 2020
            residents = round(base["residents"] * (1 + GROWTH["residents"]) ** t)
            aged = min(residents, round(base["aged_60plus"] * (1 + GROWTH["aged_60plus"]) ** t))
            households = (
                round(base["households"] * residents / base["residents"])
                if base["residents"]
                else base["households"]
            )
            store.upsert_population(
                session,
                actor=actor,
                division_code=row.code,
                year=year,
                source=SYNTHETIC,
                households=households,
                residents=residents,
                aged_60plus=aged,
            )
            n += 1
    return n


def _entries(session: Session, *, actor: str) -> int:
    for number, value in ((2, 80.0), (7, 1.2)):
        store.upsert_entry(
            session,
            actor=actor,
            number=number,
            year=2020,
            value=value,
            value_source=PLAN,
            value_date=PLAN_DATE,
            source="plan2021",
        )
    return 2


class _Placer:
    """Facility positions: beside a street inside the community when it has one, away from its edges."""

    def __init__(self, polys: dict, roads) -> None:
        self.polys = polys
        self.streets = (
            None if roads is None or len(roads) == 0 else roads.to_crs(epsg=METRIC_SRID).geometry.values
        )
        self.tree = None if self.streets is None else shapely.STRtree(self.streets)

    def place(self, code: str, rng: random.Random) -> tuple[float, float]:
        poly = self.polys[code]
        edge = min(80.0, 0.15 * math.sqrt(max(poly.area, 1.0)))
        core = poly.buffer(-edge)
        region = core if not core.is_empty else poly
        if self.tree is not None:
            near = shapely.intersection(self.streets[self.tree.query(region, predicate="intersects")], region)
            parts = [g for g in shapely.get_parts(near) if g.geom_type == "LineString" and g.length > 1.0]
            if parts:
                line = parts[rng.randrange(len(parts))]
                p = line.interpolate(rng.uniform(0.1, 0.9), normalized=True)
                x, y = p.x + rng.uniform(-25, 25), p.y + rng.uniform(-25, 25)
                if not shapely.contains_xy(region, x, y):
                    x, y = p.x, p.y
                return _lonlat(x, y)
        return _inside(region, rng)


def _lonlat(x: float, y: float) -> tuple[float, float]:
    lon, lat = transformer(METRIC_SRID, STORAGE_SRID).transform(x, y)
    return round(lon, 7), round(lat, 7)


def _inside(region, rng: random.Random) -> tuple[float, float]:
    """A random point inside ``region`` (metric), returned as lon/lat in EPSG:4490."""
    minx, miny, maxx, maxy = region.bounds
    for _ in range(200):
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if shapely.contains_xy(region, x, y):
            break
    else:
        p = region.point_on_surface()
        x, y = p.x, p.y
    return _lonlat(x, y)


def _short(name: str) -> str:
    for suffix in ("社区居委会", "居委会", "村委会", "委员会"):
        if name.endswith(suffix):
            return name[: -len(suffix)] + ("社区" if "社区" in suffix else "")
    return name


def _unique_names(units, divisions) -> dict[str, str]:
    """Short community names, prefixed with the town's name where two communities share a name."""
    short = {c: _short(n) for c, n in zip(units["code"], units["name"], strict=True)}
    town_names = dict(zip(divisions["code"], divisions["name"], strict=True))
    seen: dict[str, int] = {}
    for name in short.values():
        seen[name] = seen.get(name, 0) + 1
    out = {}
    for code, town in zip(units["code"], units["town_code"], strict=True):
        name = short[code]
        out[code] = f"{town_names.get(town, '')}{name}" if seen[name] > 1 else name
    return out


def _oldest_per_district(urban, n: int) -> list[str]:
    """``n`` communities split over the districts by their number of communities, the oldest first."""
    groups = sorted(urban.groupby("district_code"), key=lambda g: g[0])
    quota = allocate(min(n, len(urban)), [len(g) for _, g in groups])
    chosen: list[str] = []
    for (_, g), k in zip(groups, quota, strict=True):
        chosen += list(g.sort_values(["aged_60plus", "code"], ascending=[False, True])["code"].iloc[:k])
    return sorted(chosen)


def _institution_seats(urban, n: int, rng: random.Random) -> list[str]:
    """Seats for the institutions: the districts' shares by their elderly, a random community in each."""
    totals = urban.groupby("district_code")["aged_60plus"].sum().sort_values(ascending=False)
    quota = allocate(n, list(totals.to_numpy(dtype=float)))
    seats: list[str] = []
    for district, k in zip(totals.index, quota, strict=True):
        pool = sorted(urban.loc[urban["district_code"] == district, "code"])
        seats += rng.sample(pool, min(k, len(pool)))
    order = list(range(len(seats)))
    rng.shuffle(order)
    return [seats[i] for i in order]


def _one_per_town(units, codes: list[str], n: int) -> list[str]:
    lookup = units.set_index("code")["town_code"]
    chosen, seen = [], set()
    for code in codes:
        if lookup[code] not in seen:
            chosen.append(code)
            seen.add(lookup[code])
        if len(chosen) == n:
            break
    return chosen


def _seat(urban, district_code: str | None, rng: random.Random) -> str:
    pool = urban if district_code is None else urban[urban["district_code"] == district_code]
    pool = pool if len(pool) else urban
    return sorted(pool["code"])[rng.randrange(len(pool))]
