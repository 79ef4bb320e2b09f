"""The twelve indicators of the plan's table (序号 1-12), computed from facilities and population."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from decimal import ROUND_HALF_UP
from decimal import Decimal

import geopandas as gpd
import numpy as np
import pandas as pd

from facilities.kinds import ELDERLY_BED_KINDS
from facilities.kinds import RURAL_ELDERLY_KINDS
from facilities.kinds import URBAN_ELDERLY_KINDS
from gis.crs import require_crs
from gis.errors import InvalidInput

LEVELS = ("city", "district", "town", "community")
#: Town-level kinds the plan counts ("全市20个镇（街道）"); development zones are not counted.
COUNTED_TOWN_KINDS = ("街道", "镇")
#: The plan's standard for community service floor area (m² per 100 households, m² in total).
FLOOR_STANDARD = {False: (30.0, 300.0), True: (50.0, 500.0)}


@dataclass(frozen=True)
class Indicator:
    """One row of the plan's indicator table."""

    id: str
    number: int
    key: str
    name_zh: str
    name_en: str
    unit: str
    baseline_2020: float | None
    target_2025: float
    kind: str
    spatial: bool
    decimals: int = 0


INDICATORS: tuple[Indicator, ...] = (
    Indicator(
        "1",
        1,
        "assistance_assistants",
        "村（社区）社会救助协理员",
        "Social-assistance assistants in villages (communities)",
        "%",
        None,
        100,
        "预期性",
        False,
    ),
    Indicator(
        "2",
        2,
        "purchased_assistance",
        "政府购买社会救助经办服务能力",
        "Purchased social-assistance service capacity",
        "%",
        80,
        100,
        "约束性",
        False,
    ),
    Indicator(
        "3",
        3,
        "urban_elderly_coverage",
        "城市社区养老设施服务覆盖率",
        "Urban community elderly-care service coverage",
        "%",
        66,
        100,
        "约束性",
        True,
    ),
    Indicator(
        "3b",
        3,
        "rural_elderly_coverage",
        "农区养老服务设施覆盖率",
        "Rural elderly-care service coverage (plan text, ch. 1 and 4)",
        "%",
        85,
        100,
        "约束性",
        True,
    ),
    Indicator(
        "4",
        4,
        "beds_per_1000_elderly",
        "每千名老人拥有养老机构床位数",
        "Elderly-care beds per 1000 elderly",
        "张",
        37,
        60,
        "预期性",
        True,
    ),
    Indicator(
        "5",
        5,
        "nursing_bed_share",
        "护理型床位在养老机构床位中占比",
        "Nursing beds among elderly-care beds",
        "%",
        37,
        55,
        "约束性",
        True,
    ),
    Indicator(
        "6",
        6,
        "volunteer_site_coverage",
        "志愿服务站点在社区综合服务设施中的覆盖率",
        "Volunteer sites in community service facilities",
        "%",
        None,
        100,
        "预期性",
        True,
    ),
    Indicator(
        "7",
        7,
        "social_work_professionals",
        "社会工作专业人才数量占全市人口比例",
        "Social-work professionals per population",
        "%",
        1.2,
        1.4,
        "预期性",
        False,
        1,
    ),
    Indicator(
        "8",
        8,
        "community_floor_area",
        "每百户居民拥有的城乡社区综合服务设施建筑面积",
        "Community service floor area per 100 households",
        "㎡",
        33,
        36,
        "约束性",
        True,
    ),
    Indicator(
        "9",
        9,
        "social_work_station_coverage",
        "镇（街道）社会工作服务站覆盖率",
        "Towns/streets with a social-work station",
        "%",
        None,
        100,
        "预期性",
        True,
    ),
    Indicator(
        "10",
        10,
        "incubator_coverage",
        "镇（街道）社会组织孵化场所覆盖率",
        "Towns/streets with a social-organisation incubation site",
        "%",
        None,
        100,
        "预期性",
        True,
    ),
    Indicator(
        "11",
        11,
        "minor_protection_coverage",
        "未成年人保护机构覆盖率",
        "Minor-protection institutions (city and three districts)",
        "%",
        25,
        100,
        "预期性",
        True,
    ),
    Indicator(
        "12",
        12,
        "child_director_allowance",
        "儿童主任津贴发放率",
        "Child-director allowance rate",
        "%",
        None,
        100,
        "预期性",
        False,
    ),
)
BY_ID = {i.id: i for i in INDICATORS}


@dataclass(frozen=True)
class IndicatorInputs:
    """Everything the indicators need, as frames (assembled by ``facilities.store.indicator_inputs``).

    ``units``: GeoDataFrame of community/village units (code, name, kind, urban_rural, town_code,
    district_code, households, residents, aged_60plus); units whose ``urban_rural`` is null (the
    quasi-units) are not counted. ``towns``: code, name, kind, district_code. ``districts``: code,
    name. ``facilities``: GeoDataFrame with kind, status, year_opened, year_closed, planned_year,
    beds, nursing_beds, floor_area_m2, new_or_rebuilt, has_volunteer_site, division_code,
    serves_code. ``entries``: number, year, division_code, value, value_source, value_date.
    """

    year: int
    city_code: str
    city_name: str
    units: gpd.GeoDataFrame
    towns: pd.DataFrame
    districts: pd.DataFrame
    facilities: gpd.GeoDataFrame
    entries: pd.DataFrame = field(default_factory=pd.DataFrame)

    def with_facilities(self, facilities: gpd.GeoDataFrame) -> IndicatorInputs:
        """A copy with another facility table (what-if)."""
        return replace(self, facilities=facilities)


def compute_indicators(
    inputs: IndicatorInputs,
    *,
    level: str = "city",
    served: pd.Series | None = None,
    include_planned: bool = False,
) -> list[dict]:
    """Compute every indicator for each unit of ``level``.

    Parameters
    ----------
    inputs
        The assembled inputs for one year.
    level
        ``'city'``, ``'district'``, ``'town'`` or ``'community'``.
    served
        Boolean Series indexed by unit code saying whether each community/village is served by an
        elderly-care facility (e.g. from :func:`facilities.circles.served_by_circles`). Default:
        served when a running facility of the right kind lies inside the unit.
    include_planned
        Also count facilities under construction or planned whose ``planned_year`` is reached.

    Returns
    -------
    list of dict
        One entry per unit: ``code``, ``name``, ``level`` and ``indicators`` (list of dicts with
        id, number, key, name_zh, name_en, unit, value, exact, baseline_2020, target_2025, kind,
        progress_pct, met, detail).
    """
    if level not in LEVELS:
        raise InvalidInput(f"level must be one of {LEVELS}, not {level!r}", field="level")
    units = counted_units(inputs.units)
    fac = locate_facilities(
        active_facilities(inputs.facilities, inputs.year, include_planned=include_planned), units
    )
    if served is None:
        served = served_inside(units, fac)
    table = _unit_table(units, fac, served)
    key = {"city": None, "district": "district_code", "town": "town_code", "community": None}[level]
    keys = (
        table.index.to_numpy()
        if level == "community"
        else (table[key] if key else pd.Series("all", index=table.index))
    )
    sums = (
        table.drop(columns=["urban_rural", "town_code", "district_code"]).groupby(keys).sum().to_dict("index")
    )
    towns = _town_table(inputs, fac)
    town_keys = {"town": towns.index.to_numpy(), "district": towns["district_code"].to_numpy()}.get(
        level, np.full(len(towns), "all")
    )
    town_sums = towns.groupby(town_keys)[["n", "station", "incubator"]].sum().to_dict("index")
    entries = _entry_lookup(inputs)
    established = _established_minor_protection(fac)
    empty = dict.fromkeys(next(iter(sums.values()), {}), 0.0)
    out = []
    for code, name in _groups(inputs, units, level):
        group = "all" if level == "city" else code
        values = _values(
            level, code, sums.get(group, empty), town_sums.get(group), inputs, entries, established
        )
        out.append(
            {"code": code, "name": name, "level": level, "indicators": _rows(inputs, level, code, values)}
        )
    return out


def counted_units(units: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The communities and villages the plan counts (``urban_rural`` set), in the input's CRS."""
    require_crs(units, name="units")
    missing = {"code", "urban_rural", "town_code", "district_code", "households", "aged_60plus"} - set(
        units.columns
    )
    if missing:
        raise InvalidInput(f"units lack columns {sorted(missing)}")
    return units[units["urban_rural"].isin(["urban", "rural"])].copy()


def active_facilities(
    facilities: gpd.GeoDataFrame, year: int, *, include_planned: bool = False
) -> gpd.GeoDataFrame:
    """Facilities in service in ``year`` (running, opened by then and not closed)."""
    require_crs(facilities, name="facilities")
    f = facilities
    opened = f["year_opened"].fillna(-1).astype(int) <= year
    not_closed = f["year_closed"].isna() | (f["year_closed"].fillna(9999).astype(int) > year)
    running = (f["status"] == "running") & opened & not_closed
    if include_planned:
        due = f["status"].isin(["under_construction", "planned"]) & (
            f["planned_year"].fillna(9999).astype(int) <= year
        )
        running = running | due
    return f[running].copy()


def locate_facilities(facilities: gpd.GeoDataFrame, units: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Add ``unit_code``, ``town_code`` and ``district_code`` by point-in-polygon (``division_code`` as fallback)."""
    require_crs(facilities, name="facilities")
    pts = facilities.to_crs(units.crs) if facilities.crs != units.crs else facilities
    idx = units.sindex.query(pts.geometry.values, predicate="within")
    unit_code = pd.Series(pts["division_code"].to_numpy(), index=pts.index, dtype=object)
    unit_code.iloc[idx[0]] = units["code"].to_numpy()[idx[1]]
    out = facilities.copy()
    out["unit_code"] = unit_code.to_numpy()
    lookup = units.set_index("code")
    out["town_code"] = out["unit_code"].map(lookup["town_code"])
    out["district_code"] = out["unit_code"].map(lookup["district_code"])
    return out


def served_inside(units: gpd.GeoDataFrame, located: gpd.GeoDataFrame) -> pd.Series:
    """The default rule: a unit is served when a facility of the right kind lies inside it."""
    urban = set(located.loc[located["kind"].isin(URBAN_ELDERLY_KINDS), "unit_code"])
    rural = set(located.loc[located["kind"].isin(RURAL_ELDERLY_KINDS), "unit_code"])
    is_urban = units["urban_rural"].to_numpy() == "urban"
    codes = units["code"].to_numpy()
    flags = np.where(is_urban, np.isin(codes, list(urban)), np.isin(codes, list(rural)))
    return pd.Series(flags, index=codes, dtype=bool)


def floor_area_checks(units: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame, *, year: int) -> pd.DataFrame:
    """The standard's checks per community/village: ≥ 30 m²/100 households and ≥ 300 m² (≥ 50 / 500 if new or rebuilt).

    Returns
    -------
    pandas.DataFrame
        code, name, urban_rural, households, floor_area_m2, m2_per_100hh, required_per_100hh,
        required_total_m2, new_or_rebuilt, meets, problem.
    """
    counted = counted_units(units)
    located = locate_facilities(active_facilities(facilities, year), counted)
    cs = located[located["kind"] == "community_service"]
    area = cs.groupby("unit_code")["floor_area_m2"].sum()
    rebuilt = cs.groupby("unit_code")["new_or_rebuilt"].any()
    df = pd.DataFrame(
        {
            "code": counted["code"].to_numpy(),
            "name": counted["name"].to_numpy() if "name" in counted else counted["code"].to_numpy(),
            "urban_rural": counted["urban_rural"].to_numpy(),
            "households": counted["households"].fillna(0).astype(int).to_numpy(),
        }
    )
    df["floor_area_m2"] = df["code"].map(area).fillna(0.0)
    df["new_or_rebuilt"] = df["code"].isin(rebuilt[rebuilt.astype(bool)].index)
    hh = df["households"].replace(0, np.nan)
    df["m2_per_100hh"] = (df["floor_area_m2"] / hh * 100).round(1)
    df["required_per_100hh"] = df["new_or_rebuilt"].map(lambda r: FLOOR_STANDARD[bool(r)][0])
    df["required_total_m2"] = df["new_or_rebuilt"].map(lambda r: FLOOR_STANDARD[bool(r)][1])
    per_ok = df["m2_per_100hh"].fillna(np.inf) >= df["required_per_100hh"]
    total_ok = df["floor_area_m2"] >= df["required_total_m2"]
    df["meets"] = per_ok & total_ok
    problems = []
    for p_ok, t_ok, row in zip(per_ok, total_ok, df.itertuples(), strict=True):
        msg = []
        if row.floor_area_m2 == 0:
            msg.append("no community service facility")
        elif not t_ok:
            msg.append(f"{row.floor_area_m2:.0f} m² < {row.required_total_m2:.0f} m²")
        if not p_ok and row.floor_area_m2 > 0:
            msg.append(f"{row.m2_per_100hh} m²/100 households < {row.required_per_100hh:.0f}")
        problems.append("; ".join(msg) or None)
    df["problem"] = problems
    return df


def indicator_frame(results: list[dict], units: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Indicator values per unit as columns (one per indicator key), joined to ``units``' geometry (for maps)."""
    rows = []
    for r in results:
        row = {"code": r["code"], "name": r["name"], "level": r["level"]}
        row.update({i["key"]: i["value"] for i in r["indicators"]})
        rows.append(row)
    df = pd.DataFrame(rows)
    geo = units[["code", "geometry"]].merge(df, on="code", how="inner")
    return gpd.GeoDataFrame(geo, geometry="geometry", crs=units.crs)


def _groups(inputs: IndicatorInputs, units: pd.DataFrame, level: str):
    if level == "city":
        yield inputs.city_code, inputs.city_name
    elif level == "district":
        yield from zip(inputs.districts["code"], inputs.districts["name"], strict=True)
    elif level == "town":
        yield from zip(inputs.towns["code"], inputs.towns["name"], strict=True)
    else:
        names = units["name"] if "name" in units else units["code"]
        yield from zip(units["code"], names, strict=True)


def _unit_table(units: pd.DataFrame, fac: pd.DataFrame, served: pd.Series) -> pd.DataFrame:
    """Per counted unit, once: population, served flag, beds, community service area and volunteer sites."""
    t = pd.DataFrame(
        {
            "urban_rural": units["urban_rural"].to_numpy(),
            "town_code": units["town_code"].to_numpy(),
            "district_code": units["district_code"].to_numpy(),
            "households": units["households"].fillna(0).to_numpy(dtype=float),
            "aged": units["aged_60plus"].fillna(0).to_numpy(dtype=float),
        },
        index=pd.Index(units["code"].to_numpy(), name="code"),
    )
    flag = served.reindex(t.index).fillna(False).astype(bool).to_numpy()
    t["urban"] = (t["urban_rural"] == "urban").astype(int)
    t["rural"] = (t["urban_rural"] == "rural").astype(int)
    t["urban_served"] = (flag & (t["urban"] == 1)).astype(int)
    t["rural_served"] = (flag & (t["rural"] == 1)).astype(int)
    beds = fac[fac["kind"].isin(ELDERLY_BED_KINDS)]
    t["beds"] = beds.groupby("unit_code")["beds"].sum().reindex(t.index).fillna(0).astype(float)
    t["nursing"] = beds.groupby("unit_code")["nursing_beds"].sum().reindex(t.index).fillna(0).astype(float)
    cs = fac[fac["kind"] == "community_service"]
    volunteer_units = set(fac.loc[fac["kind"] == "volunteer_site", "unit_code"])
    with_volunteer = cs["has_volunteer_site"].fillna(False).astype(bool) | cs["unit_code"].isin(
        volunteer_units
    )
    t["cs"] = cs.groupby("unit_code").size().reindex(t.index).fillna(0)
    t["cs_volunteer"] = with_volunteer.groupby(cs["unit_code"]).sum().reindex(t.index).fillna(0)
    t["cs_area"] = cs.groupby("unit_code")["floor_area_m2"].sum().reindex(t.index).fillna(0.0)
    return t


def _town_table(inputs: IndicatorInputs, fac: pd.DataFrame) -> pd.DataFrame:
    """The counted towns/streets with flags for a social-work station and an incubation site."""
    towns = inputs.towns[inputs.towns["kind"].isin(COUNTED_TOWN_KINDS)]
    flags = pd.DataFrame(
        {"district_code": towns["district_code"].to_numpy(), "n": 1}, index=towns["code"].to_numpy()
    )
    for col, kind in (("station", "social_work_station"), ("incubator", "org_incubator")):
        sites = fac[fac["kind"] == kind]
        have = set(sites["town_code"].dropna()) | set(sites["serves_code"].dropna())
        flags[col] = flags.index.isin(list(have)).astype(int)
    return flags


def _established_minor_protection(fac: pd.DataFrame) -> set:
    mp = fac[fac["kind"] == "minor_protection"]
    return set(mp["serves_code"].fillna(mp["district_code"]).dropna())


def _entry_lookup(inputs: IndicatorInputs) -> dict:
    """Latest entry up to the year per (number, division_code)."""
    e = inputs.entries
    if e is None or e.empty:
        return {}
    e = e[e["year"] <= inputs.year].sort_values("year")
    return {(int(r.number), None if pd.isna(r.division_code) else r.division_code): r for r in e.itertuples()}


def _pct(num: float, den: float) -> float | None:
    return None if den == 0 else 100.0 * num / den


def _values(
    level, code, g: dict, towns: dict | None, inputs, entries, established
) -> dict[str, tuple[float | None, dict]]:
    n_urban, n_rural = int(g["urban"]), int(g["rural"])
    n_urban_served, n_rural_served = int(g["urban_served"]), int(g["rural_served"])
    n_beds, n_nursing, elderly, households = g["beds"], g["nursing"], g["aged"], g["households"]
    n_cs, n_vol, area = int(g["cs"]), int(g["cs_volunteer"]), float(g["cs_area"])
    values: dict[str, tuple[float | None, dict]] = {
        "3": (_pct(n_urban_served, n_urban), {"served": n_urban_served, "communities": n_urban}),
        "3b": (_pct(n_rural_served, n_rural), {"served": n_rural_served, "villages": n_rural}),
        "4": (
            None if elderly == 0 else 1000.0 * n_beds / elderly,
            {"beds": int(n_beds), "aged_60plus": int(elderly)},
        ),
        "5": (_pct(n_nursing, n_beds), {"nursing_beds": int(n_nursing), "beds": int(n_beds)}),
        "6": (_pct(n_vol, n_cs), {"with_volunteer_site": n_vol, "facilities": n_cs}),
        "8": (
            None if households == 0 else 100.0 * area / households,
            {"floor_area_m2": round(area, 1), "households": int(households)},
        ),
    }
    for vid, col in (("9", "station"), ("10", "incubator")):
        if level == "community" or towns is None:
            values[vid] = (None, {}) if level == "community" else (None, {"towns_covered": 0, "towns": 0})
            continue
        n, total = int(towns[col]), int(towns["n"])
        values[vid] = (_pct(n, total), {"towns_covered": n, "towns": total})
    values["11"] = _minor_protection(inputs, level, code, established)
    for vid in ("1", "2", "7", "12"):
        row = entries.get((BY_ID[vid].number, code if level != "city" else None))
        values[vid] = (
            (None, {"note": "no entry"})
            if row is None
            else (
                float(row.value),
                {"source": row.value_source, "value_year": int(row.year), "value_date": row.value_date},
            )
        )
    return values


def _minor_protection(inputs, level, code, established: set) -> tuple[float | None, dict]:
    if level == "city":
        units = [inputs.city_code, *inputs.districts["code"]]
    elif level == "district":
        units = [code]
    else:
        return None, {}
    n = sum(u in established for u in units)
    return _pct(n, len(units)), {"units_covered": n, "units": len(units)}


def round_half_up(x: float, decimals: int = 0) -> float | int:
    """Round as the plan's tables do (0.5 up), not to even: 92.5 -> 93."""
    q = Decimal(1).scaleb(-decimals)
    r = Decimal(repr(x)).quantize(q, rounding=ROUND_HALF_UP)
    return int(r) if decimals == 0 else float(r)


def _rows(inputs, level, code, values) -> list[dict]:
    rows = []
    for ind in INDICATORS:
        exact, detail = values.get(ind.id, (None, {}))
        value = None if exact is None else round_half_up(float(exact), ind.decimals)
        progress = None
        if exact is not None:
            base = ind.baseline_2020 if ind.baseline_2020 is not None else 0.0
            span = ind.target_2025 - base
            progress = round(100.0 * (exact - base) / span, 1) if span else None
        rows.append(
            {
                "id": ind.id,
                "number": ind.number,
                "key": ind.key,
                "name_zh": ind.name_zh,
                "name_en": ind.name_en,
                "unit": ind.unit,
                "value": value,
                "exact": None if exact is None else round(float(exact), 4),
                "baseline_2020": ind.baseline_2020,
                "target_2025": ind.target_2025,
                "kind": ind.kind,
                "progress_pct": progress,
                "met": None if exact is None else bool(exact >= ind.target_2025),
                "detail": detail,
            }
        )
    return rows
