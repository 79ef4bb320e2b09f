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
from facilities.kinds import INSTITUTION_BED_KINDS
from facilities.kinds import RURAL_ELDERLY_KINDS
from facilities.kinds import URBAN_ELDERLY_KINDS
from gis.crs import require_crs
from gis.errors import InvalidInput

LEVELS = ("city", "district", "town", "community")
#: Town-level kinds the plan counts ("全市20个镇（街道）"); development zones are not counted.
COUNTED_TOWN_KINDS = ("街道", "镇")
#: The plan's standard for community service floor area (m² per 100 households, m² in total).
FLOOR_STANDARD = {False: (30.0, 300.0), True: (50.0, 500.0)}
#: The indicators whose values are entered by hand with a source and a date (not computed).
ENTERED_IDS = ("1", "2", "7", "12")
#: What each floor-area figure measures (indicator 8 and the per-community check).
FLOOR_AREA_STANDARDS = {
    "indicator_8": {
        "zh": "指标8：全市社区综合服务设施总建筑面积 ÷ 全市户数 × 100（全市合计，一个数）。",
        "en": "Indicator 8: the city's total community-service floor area over all its households × 100 "
        "(one figure for the whole city).",
    },
    "per_unit": {
        "zh": "逐社区（村）标准：本社区（村）设施面积 ≥ 每百户30㎡ 且 ≥ 300㎡（新建或改造 ≥ 50㎡、500㎡）；"
        "没有设施的社区（村）不达标。",
        "en": "Per community standard: each community's (village's) own facility area ≥ 30 m² per 100 "
        "households and ≥ 300 m² (≥ 50 and 500 m² when new or rebuilt); a unit without a facility fails.",
    },
    "plan_100pct": {
        "zh": "规划的“100%达标”此处按设施计：每个社区（村）都有一处面积达标（≥ 300㎡，新建或改造 ≥ 500㎡）"
        "的综合服务设施；逐社区标准还按户数要求每百户 ≥ 30㎡，户数多的社区因此可能不达标。",
        "en": 'The plan\'s "100 % 达标" is read as counted by facility: every community (village) has a '
        "community service facility of the required size (≥ 300 m², ≥ 500 m² when new or rebuilt); the "
        "per-community check also asks ≥ 30 m² per 100 households, which large communities can miss.",
    },
}
#: Which beds indicators 4 and 5 count: the plan's 2020 figure adds both kinds of beds.
BEDS_RULE = {
    "zh": "第4、5项按规划2020年口径：养老机构床位 + 社区居家养老服务设施床位（合计）。",
    "en": "Indicators 4 and 5 follow the plan's 2020 arithmetic: institution beds plus community "
    "home-care beds (combined).",
}
#: How a facility without an opening year counts.
OPENING_YEAR_RULE = {
    "zh": "未填开办年份的设施，自登记入库的年份起计入（不计入更早年份，也不改变2020年基线）。",
    "en": "A facility without an opening year counts from the year it was registered (never in "
    "earlier years, so it cannot move the 2020 baseline).",
}


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
    higher_is_better: bool = True

    @property
    def entered(self) -> bool:
        """Entered by hand with a source and date, not computed from the registry."""
        return self.id in ENTERED_IDS


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
#: Indicator numbers whose values are entered by hand.
ENTERED_NUMBERS = tuple(BY_ID[i].number for i in ENTERED_IDS)


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
    """Facilities in service in ``year`` (running, opened by then and not closed).

    A facility without ``year_opened`` counts from its ``registered_year`` (the year it was
    entered); one with neither (e.g. a what-if proposal) counts.
    """
    require_crs(facilities, name="facilities")
    f = facilities
    opened = start_years(f).fillna(-1).astype(int) <= year
    not_closed = f["year_closed"].isna() | (f["year_closed"].fillna(9999).astype(int) > year)
    running = (f["status"] == "running") & opened & not_closed
    if include_planned:
        due = f["status"].isin(["under_construction", "planned"]) & (
            f["planned_year"].fillna(9999).astype(int) <= year
        )
        running = running | due
    return f[running].copy()


def start_years(facilities: pd.DataFrame) -> pd.Series:
    """The year each facility counts from: ``year_opened``, else ``registered_year`` when known."""
    start = facilities["year_opened"].astype("Float64")
    if "registered_year" in facilities:
        start = start.fillna(facilities["registered_year"].astype("Float64"))
    return start


def undated_facilities(facilities: pd.DataFrame, year: int) -> dict:
    """Running facilities without an opening year: how many count in ``year`` and how many wait."""
    if "registered_year" not in facilities:
        return {"counted": 0, "not_yet": 0}
    f = facilities[(facilities["status"] == "running") & facilities["year_opened"].isna()]
    registered = f["registered_year"].astype("Float64")
    return {"counted": int((registered <= year).sum()), "not_yet": int((registered > year).sum())}


def indicator_notes(inputs: IndicatorInputs) -> dict:
    """What a reader of the indicators must know: the opening-year rule (with the facilities it
    touched this year), which beds indicators 4 and 5 count, and which values are entered."""
    undated = undated_facilities(inputs.facilities, inputs.year)
    return {
        "opening_year": {"rule": OPENING_YEAR_RULE["en"], "rule_zh": OPENING_YEAR_RULE["zh"], **undated},
        "beds": {"rule": BEDS_RULE["en"], "rule_zh": BEDS_RULE["zh"], "counted": "combined"},
        "entered": {
            "ids": list(ENTERED_IDS),
            "rule": "Indicators 1, 2, 7 and 12 are entered by hand with their source and date.",
            "rule_zh": "第1、2、7、12项为人工录入值（注明来源和日期），不由系统计算。",
        },
        "progress": {
            "rule": "Progress runs from the 2020 baseline (0 %) to the 2025 target (100 %), clamped; "
            "below_baseline marks a value under the baseline.",
            "rule_zh": "进度 = (当前值 − 2020年基线) ÷ (2025年目标 − 基线)，限定在0–100%；低于基线记为0%。",
        },
    }


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
    inst = beds[beds["kind"].isin(INSTITUTION_BED_KINDS)]
    t["inst_beds"] = inst.groupby("unit_code")["beds"].sum().reindex(t.index).fillna(0).astype(float)
    t["inst_nursing"] = (
        inst.groupby("unit_code")["nursing_beds"].sum().reindex(t.index).fillna(0).astype(float)
    )
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
        "4": (None if elderly == 0 else 1000.0 * n_beds / elderly, _beds_detail(g, per_1000=True)),
        "5": (_pct(n_nursing, n_beds), _beds_detail(g, per_1000=False)),
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


def _beds_detail(g: dict, *, per_1000: bool) -> dict:
    """Indicators 4 and 5 both ways: institutions, community facilities, combined (the plan's figure)."""
    beds, nursing, elderly = float(g["beds"]), float(g["nursing"]), float(g["aged"])
    inst, inst_nursing = float(g["inst_beds"]), float(g["inst_nursing"])
    parts = {
        "institutions": (inst, inst_nursing),
        "community": (beds - inst, nursing - inst_nursing),
        "combined": (beds, nursing),
    }
    out: dict = {"beds": int(beds), "nursing_beds": int(nursing), "aged_60plus": int(elderly)}
    for name, (b, n) in parts.items():
        value = (None if elderly == 0 else 1000.0 * b / elderly) if per_1000 else _pct(n, b)
        out[name] = {
            "beds": int(b),
            "nursing_beds": int(n),
            "value": None if value is None else round(value, 1),
        }
    out["counted"] = "combined"
    out["rule"] = BEDS_RULE["en"]
    out["rule_zh"] = BEDS_RULE["zh"]
    return out


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
        progress, progress_note = progress_towards(ind, value)
        entered = ind.entered
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
                "progress_note": progress_note,
                "met": None if value is None else _meets(ind, value),
                "origin": "entered" if entered else "computed",
                "entered": _entered(detail) if entered and value is not None else None,
                "detail": detail,
            }
        )
    return rows


def progress_towards(ind: Indicator, value: float | None) -> tuple[float | None, str | None]:
    """Progress from the 2020 baseline (0 %) to the 2025 target (100 %), clamped, with a note.

    Measured on the value at the plan's precision, so a year equal to the baseline shows 0 %.
    Without a baseline the way starts at 0. A value worse than the baseline shows 0 % with
    ``below_baseline``; a target passed shows 100 % with ``target_reached``; a baseline that
    already met the target shows 100 % (or 0 % if the value fell back) with ``baseline_met``.
    """
    if value is None:
        return None, None
    base = ind.baseline_2020 if ind.baseline_2020 is not None else 0.0
    sign = 1.0 if ind.higher_is_better else -1.0
    gap = sign * (ind.target_2025 - base)
    if gap <= 0:
        return (100.0, "baseline_met") if _meets(ind, value) else (0.0, "baseline_met")
    raw = 100.0 * sign * (value - base) / gap
    if raw < 0:
        return 0.0, "below_baseline"
    if raw >= 100:
        return 100.0, "target_reached"
    return round(raw, 1), None


def _meets(ind: Indicator, value: float) -> bool:
    return bool(value >= ind.target_2025) if ind.higher_is_better else bool(value <= ind.target_2025)


def _entered(detail: dict) -> dict:
    day = detail.get("value_date")
    return {
        "source": detail.get("source"),
        "year": detail.get("value_year"),
        "date": None if day is None or (isinstance(day, float) and np.isnan(day)) else str(day)[:10],
    }
