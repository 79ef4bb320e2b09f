"""The planning report "progress to the 2025 targets" (HTML and PDF, maps as PNG) and tables (CSV, XLSX)."""

from __future__ import annotations

import html
from datetime import date
from pathlib import Path

import geopandas as gpd
import matplotlib
import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from facilities import planning
from facilities import store
from facilities.circles import CircleRule
from facilities.indicators import FLOOR_AREA_STANDARDS
from facilities.indicators import active_facilities
from facilities.indicators import compute_indicators
from facilities.indicators import counted_units
from facilities.indicators import floor_area_checks
from facilities.indicators import indicator_frame
from facilities.indicators import indicator_notes
from facilities.kinds import BY_CODE
from gis.crs import METRIC_CRS
from gis.errors import InvalidInput
from gis.mapdraw import cjk_font
from gis.mapdraw import font_file
from gis.mapdraw import furnish
from gis.mapdraw import legend
from gis.progress import Progress
from gis.progress import Steps

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

MAP_KINDS = {
    "home_care_station": "#d62728",
    "street_elderly_center": "#9467bd",
    "rural_elderly_center": "#2ca02c",
    "mutual_aid_home": "#17becf",
    "elderly_institution": "#ff7f0e",
}


def write_tables(out_dir: Path, frames: dict[str, pd.DataFrame]) -> list[Path]:
    """Write each frame as ``<name>.csv`` (UTF-8 with BOM, opens in Excel) and all of them into ``tables.xlsx``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    files = []
    for name, df in frames.items():
        path = out_dir / f"{name}.csv"
        _plain(df).to_csv(path, index=False, encoding="utf-8-sig")
        files.append(path)
    xlsx = out_dir / "tables.xlsx"
    with pd.ExcelWriter(xlsx, engine="openpyxl") as writer:
        for name, df in frames.items():
            _plain(df).to_excel(writer, sheet_name=name[:31], index=False)
    files.append(xlsx)
    return files


def indicator_table(results: list[dict]) -> pd.DataFrame:
    """The indicators of one or more units as a flat table (one row per unit and indicator)."""
    rows = []
    for unit in results:
        for i in unit["indicators"]:
            rows.append(
                {
                    "code": unit["code"],
                    "unit_name": unit["name"],
                    "序号": i["number"],
                    "id": i["id"],
                    "指标": i["name_zh"],
                    "indicator": i["name_en"],
                    "单位": i["unit"],
                    "2020年实际值": i["baseline_2020"],
                    "2025年目标值": i["target_2025"],
                    "当前值": i["value"],
                    "精确值": i["exact"],
                    "进度%": i["progress_pct"],
                    "progress_note": i["progress_note"],
                    "指标属性": i["kind"],
                    "来源 origin": i["origin"],
                    "value_year": (i["entered"] or {}).get("year"),
                    "value_source": (i["entered"] or {}).get("source"),
                    "value_date": (i["entered"] or {}).get("date"),
                }
            )
    return pd.DataFrame(rows)


#: The report's languages: every heading, note, map title and legend comes from one of these.
LANGUAGES = ("zh", "en")
TEXT = {
    "zh": {
        "title": "乌海市“十四五”民政事业发展规划：{year} 年指标进展",
        "computed_on": "根据设施登记库于 {day} 计算。服务判定：社区（村）内有相应设施。",
        "table": "主要发展指标",
        "cols": ("序号", "主要指标", "单位", "2020年实际值", "2025年目标值", "{year}年", "进度%", "指标属性", "来源"),
        "entered": "录入",
        "computed": "计算",
        "no_entry": "未录入",
        "value_of": "{year}年值",
        "below_baseline": "低于基线",
        "chart": "各项指标与2025年目标",
        "chart_value": "{year}年",
        "chart_base": "2020年基线",
        "chart_target": "2025年目标",
        "district": "分区",
        "district_col": "区",
        "coverage": "服务圈覆盖（{method}，城市 {limit:.0f} 米）",
        "methods": {"straight": "直线距离", "network": "路网距离"},
        "cov_cols": ("", "覆盖户数", "覆盖老年人", "已服务社区（村）"),
        "areas": {"urban": "城市社区", "rural": "农区村"},
        "uncovered": "未覆盖面积：{km2} 平方千米。",
        "beds": "床位口径（第4、5项）",
        "beds_cols": ("", "床位", "护理型床位", "每千名老人床位", "护理型占比%"),
        "beds_rows": {"institutions": "养老机构", "community": "社区居家养老服务设施", "combined": "合计（规划2020年口径）"},
        "floor": "社区综合服务设施面积标准",
        "floor_count": "{below} 个社区（村）未达逐社区标准（共 {n} 个）；{sized} 个有面积达标的设施。",
        "below_cols": ("代码", "社区（村）", "户数", "面积㎡", "每百户㎡", "问题"),
        "no_facility": "没有社区综合服务设施",
        "per_100hh": "每百户 {value} ㎡ < {required:.0f} ㎡",
        "notes": "说明",
        "maps": "地图",
        "map_facilities": "养老服务设施与社区覆盖",
        "served": "已覆盖社区（村）",
        "not_served": "未覆盖社区（村）",
        "map_floor": "每百户社区综合服务设施建筑面积（㎡）",
        "below_std": "未达逐社区标准",
        "no_data": "无数据",
        "map_circles": "15分钟生活圈与未覆盖区域",
        "circle": "服务圈",
        "gap": "未覆盖区域",
        "unit_area": "社区（村）",
        "map_built": "建成区：养老设施与15分钟步行圈",
        "page": "第 {page} 页",
    },
    "en": {
        "title": "Wuhai civil-affairs plan 2021–2025: progress of the indicators, {year}",
        "computed_on": "Computed from the facility registry on {day}. Served rule: a facility inside the community.",
        "table": "Indicator table",
        "cols": ("No.", "Indicator", "Unit", "2020 baseline", "2025 target", "{year}", "Progress %", "Kind", "Source"),
        "entered": "entered",
        "computed": "computed",
        "no_entry": "not entered",
        "value_of": "value of {year}",
        "below_baseline": "below baseline",
        "chart": "Indicators against their 2025 targets",
        "chart_value": "{year}",
        "chart_base": "2020 baseline",
        "chart_target": "2025 target",
        "district": "By district",
        "district_col": "District",
        "coverage": "Service-circle coverage ({method}, {limit:.0f} m urban)",
        "methods": {"straight": "straight line", "network": "along the roads"},
        "cov_cols": ("", "households covered", "elderly covered", "units served"),
        "areas": {"urban": "urban communities", "rural": "rural villages"},
        "uncovered": "Uncovered area: {km2} km².",
        "beds": "Beds counted (indicators 4 and 5)",
        "beds_cols": ("", "beds", "nursing beds", "beds per 1000 aged 60+", "nursing share %"),
        "beds_rows": {"institutions": "Elderly-care institutions", "community": "Community home-care facilities",
                      "combined": "Combined (the plan's 2020 figure)"},
        "floor": "Community service floor-area standards",
        "floor_count": "{below} of {n} communities (villages) below the per-community standard; {sized} have a facility of the required size.",
        "below_cols": ("code", "community", "households", "m²", "m²/100 hh", "problem"),
        "no_facility": "no community service facility",
        "kinds": {"约束性": "binding", "预期性": "anticipatory"},
        "per_100hh": "{value} m² per 100 households < {required:.0f}",
        "notes": "Notes",
        "maps": "Maps",
        "map_facilities": "Elderly-care facilities and served communities",
        "served": "Community (village) served",
        "not_served": "Community (village) not served",
        "map_floor": "Community service floor area per 100 households (m²)",
        "below_std": "Below the per-community standard",
        "no_data": "no data",
        "map_circles": "15-minute circles and uncovered areas",
        "circle": "Service circle",
        "gap": "Uncovered area",
        "unit_area": "Community (village)",
        "map_built": "Built-up areas: facilities and 15-minute walks",
        "page": "page {page}",
    },
}  # fmt: skip


def build_report(
    session: Session,
    *,
    year: int,
    out_dir: Path,
    pdf: bool = True,
    rule: CircleRule | None = None,
    lang: str = "zh",
    progress: Progress | None = None,
) -> list[Path]:
    """Compute everything for ``year`` and write report.html (+ report.pdf), maps and tables into ``out_dir``.

    The report is in one language, ``lang`` (``'zh'`` or ``'en'``), headings, notes and maps alike.
    ``progress`` is told each step as it starts.
    """
    if lang not in LANGUAGES:
        raise InvalidInput(f"lang must be one of {', '.join(LANGUAGES)}, not {lang!r}", field="lang")
    if out_dir.exists() and not out_dir.is_dir():
        raise InvalidInput(f"{out_dir}: a file, not a folder for the report", field="out")
    step = Steps(progress, 6 + int(pdf))
    step("computing the indicators")
    inputs = store.indicator_inputs(session, year=year)
    out_dir.mkdir(parents=True, exist_ok=True)
    t = TEXT[lang]
    city = compute_indicators(inputs, level="city")
    districts = compute_indicators(inputs, level="district")
    communities = compute_indicators(inputs, level="community")
    checks = floor_area_checks(inputs.units, inputs.facilities, year=year)
    step("computing the service circles")
    analysis = planning.circle_analysis(session, year=year, rule=rule or CircleRule())
    units = counted_units(inputs.units)
    fac = active_facilities(inputs.facilities, year)
    step("drawing the chart")
    figures = [_chart(out_dir / "chart_targets.png", city[0]["indicators"], year=year, t=t, lang=lang)]
    step("drawing the maps")
    maps = [
        _map_facilities(out_dir / "map_facilities.png", units, fac, communities, t=t, lang=lang),
        _map_floor_area(
            out_dir / "map_floor_area.png", indicator_frame(communities, units), checks, t=t, lang=lang
        ),
        _map_circles(out_dir / "map_circles.png", units, analysis, t=t, lang=lang),
        _map_built_up(out_dir / "map_built_up.png", units, fac, analysis, inputs.districts, t=t, lang=lang),
    ]
    tables = {
        "indicators_city": indicator_table(city),
        "indicators_district": indicator_table(districts),
        "indicators_community": indicator_table(communities),
        "floor_area_checks": checks,
        "coverage_by_community": analysis.summary,
    }
    step("writing the tables")
    files = write_tables(out_dir, tables)
    step("writing the HTML report")
    page = _html(
        year=year, city=city[0], districts=districts, checks=checks, analysis=analysis,
        figures=figures, maps=maps, notes=indicator_notes(inputs), lang=lang,
    )  # fmt: skip
    html_path = out_dir / "report.html"
    html_path.write_text(page, encoding="utf-8")
    files = [html_path, *figures, *maps, *files]
    if pdf:
        from weasyprint import HTML

        step("writing the PDF report")
        pdf_path = out_dir / "report.pdf"
        HTML(string=page, base_url=str(out_dir)).write_pdf(pdf_path)
        files.insert(1, pdf_path)
    step.finish()
    return files


def _plain(df: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(df.drop(columns="geometry", errors="ignore")).copy()
    for col in out.columns:
        if out[col].map(lambda v: isinstance(v, dict | list)).any():
            out[col] = out[col].map(lambda v: str(v) if isinstance(v, dict | list) else v)
    return out


def _axes(title: str, *, size: tuple[float, float] = (7.2, 8.0)):
    fig, ax = plt.subplots(figsize=size, dpi=130)
    ax.set_axis_off()
    ax.set_title(title, fontproperties=cjk_font(), fontsize=12)
    return fig, ax


def _save(fig, path: Path) -> Path:
    fig.savefig(path, bbox_inches="tight")
    plt.close(fig)
    return path


def _furnish(ax, lang: str) -> None:
    furnish(ax, lang=lang)


def _chart(path: Path, rows: list[dict], *, year: int, t: dict, lang: str) -> Path:
    """Each indicator's current value against its 2020 baseline and 2025 target (share of the target)."""
    font = cjk_font()
    fig, ax = plt.subplots(figsize=(7.6, 0.36 * len(rows) + 1.0), dpi=130)
    labels = [f"{i['number']}. {i['name_zh'] if lang == 'zh' else i['name_en']}" for i in rows]
    ys = np.arange(len(rows))[::-1]
    for y, i in zip(ys, rows, strict=True):
        target = float(i["target_2025"])
        if i["value"] is not None:
            ax.barh(y, 100 * i["value"] / target, height=0.55, color="#2171b5")
        if i["baseline_2020"] is not None:
            ax.plot([100 * i["baseline_2020"] / target] * 2, [y - 0.38, y + 0.38], color="#555555", lw=2)
        value = "--" if i["value"] is None else f"{i['value']:g}"
        ax.text(103, y, f"{value} / {target:g} {i['unit']}", va="center", fontsize=7, fontproperties=font)
    ax.axvline(100, color="#d7301f", lw=1.5)
    ax.set_yticks(ys, labels, fontproperties=font, fontsize=7)
    ax.set_xlim(0, 135)
    ax.set_xticks([0, 25, 50, 75, 100])
    ax.set_xlabel("% " + t["chart_target"], fontproperties=font, fontsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    handles = [
        Patch(color="#2171b5"),
        Line2D([], [], color="#555555", lw=2),
        Line2D([], [], color="#d7301f", lw=1.5),
    ]
    legend(ax, handles, [t["chart_value"].format(year=year), t["chart_base"], t["chart_target"]], ncol=3,
            loc="lower left", anchor=(0.0, 1.0))  # fmt: skip
    return _save(fig, path)


def _map_facilities(
    path: Path, units: gpd.GeoDataFrame, fac: gpd.GeoDataFrame, communities: list[dict], *, t: dict, lang: str
) -> Path:
    served = {
        u["code"]: any(i["id"] in ("3", "3b") and (i["exact"] or 0) > 0 for i in u["indicators"])
        for u in communities
    }
    u = units.to_crs(METRIC_CRS).assign(
        served=lambda d: d["code"].isin([c for c, ok in served.items() if ok])
    )
    fig, ax = _axes(t["map_facilities"])
    u.plot(
        ax=ax, color=u["served"].map({True: "#c7e9c0", False: "#fdd0a2"}), edgecolor="#888888", linewidth=0.3
    )
    f = fac.to_crs(METRIC_CRS)
    handles, labels = [], []
    for kind, colour in MAP_KINDS.items():
        part = f[f["kind"] == kind]
        if len(part):
            part.plot(ax=ax, color=colour, markersize=12)
            handles.append(Line2D([], [], marker="o", color=colour, lw=0, markersize=5))
            labels.append(BY_CODE[kind].name_zh if lang == "zh" else BY_CODE[kind].name_en)
    handles += [
        Patch(facecolor="#c7e9c0", edgecolor="#888888"),
        Patch(facecolor="#fdd0a2", edgecolor="#888888"),
    ]
    labels += [t["served"], t["not_served"]]
    _furnish(ax, lang)
    legend(ax, handles, labels)
    return _save(fig, path)


def _map_floor_area(path: Path, frame: gpd.GeoDataFrame, checks: pd.DataFrame, *, t: dict, lang: str) -> Path:
    fig, ax = _axes(t["map_floor"])
    f = frame.to_crs(METRIC_CRS)
    values = f["community_floor_area"].astype(float)
    edges = [0, 20, 30, 40, 60, np.inf]
    colours = ["#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494"]
    idx = np.digitize(values.fillna(-1), edges[1:-1])
    fill = [("#eeeeee" if np.isnan(v) else colours[k]) for v, k in zip(values, idx, strict=True)]
    f.plot(ax=ax, color=fill, edgecolor="#666666", linewidth=0.3)
    below = f[f["code"].isin(checks.loc[~checks["meets"], "code"])]
    below.boundary.plot(ax=ax, color="#d62728", linewidth=0.9)
    labels = [f"< {edges[1]}"] + [f"{a}–{b}" for a, b in zip(edges[1:-2], edges[2:-1], strict=True)]
    labels += [f"≥ {edges[-2]}"]
    handles = [Patch(facecolor=c, edgecolor="#666666") for c in colours]
    handles += [Patch(facecolor="none", edgecolor="#d62728", linewidth=1.2), Patch(facecolor="#eeeeee")]
    labels += [t["below_std"], t["no_data"]]
    _furnish(ax, lang)
    legend(ax, handles, [f"{x} ㎡" if i < len(colours) else x for i, x in enumerate(labels)], ncol=3)
    return _save(fig, path)


def _map_circles(
    path: Path, units: gpd.GeoDataFrame, analysis: planning.CircleAnalysis, *, t: dict, lang: str
) -> Path:
    fig, ax = _axes(t["map_circles"])
    units.to_crs(METRIC_CRS).plot(ax=ax, color="#f7f7f7", edgecolor="#999999", linewidth=0.3)
    urban = analysis.areas[analysis.areas["circle"] == "urban"]
    if len(urban):
        urban.plot(ax=ax, color="#9ecae1", alpha=0.6, edgecolor="none")
    gaps = analysis.uncovered[analysis.uncovered["urban_rural"] == "urban"]
    if len(gaps):
        gaps.plot(ax=ax, color="#fc9272", alpha=0.7, edgecolor="none")
    _furnish(ax, lang)
    handles = [
        Patch(facecolor="#9ecae1"),
        Patch(facecolor="#fc9272"),
        Patch(facecolor="#f7f7f7", edgecolor="#999999"),
    ]
    legend(ax, handles, [t["circle"], t["gap"], t["unit_area"]], ncol=3)
    return _save(fig, path)


def _map_built_up(
    path: Path, units: gpd.GeoDataFrame, fac: gpd.GeoDataFrame, analysis, districts, *, t: dict, lang: str
) -> Path:
    """One panel per district, zoomed on its built-up area (the extent of its home-care stations)."""
    font = cjk_font()
    u = units.to_crs(METRIC_CRS)
    f = fac.to_crs(METRIC_CRS).merge(
        u[["code", "district_code"]], left_on="division_code", right_on="code", how="left"
    )
    urban_areas = analysis.areas[analysis.areas["circle"] == "urban"]
    fig, axes = plt.subplots(1, max(1, len(districts)), figsize=(10.5, 5.6), dpi=130)
    axes = list(np.atleast_1d(axes))
    shown = set()
    for ax, d in zip(axes, districts.itertuples(), strict=False):
        ax.set_axis_off()
        ax.set_title(d.name, fontproperties=font, fontsize=11)
        stations = f[(f["district_code"] == d.code) & (f["kind"].isin(list(MAP_KINDS)))]
        if stations.empty:
            continue
        minx, miny, maxx, maxy = stations.total_bounds
        pad = 1200.0
        u.plot(ax=ax, color="#f7f7f7", edgecolor="#888888", linewidth=0.4)
        if len(urban_areas):
            urban_areas.plot(ax=ax, color="#9ecae1", alpha=0.45, edgecolor="none")
        for kind, colour in MAP_KINDS.items():
            part = stations[stations["kind"] == kind]
            if len(part):
                part.plot(ax=ax, color=colour, markersize=14)
                shown.add(kind)
        ax.set_xlim(minx - pad, maxx + pad)
        ax.set_ylim(miny - 2.5 * pad, maxy + pad)  # room under the facilities for the scale bar
        ax.set_aspect("equal", adjustable="box")
        _furnish(ax, lang)
    fig.suptitle(t["map_built"], fontproperties=font, fontsize=12)
    handles = [
        Line2D([], [], marker="o", color=MAP_KINDS[k], lw=0, markersize=5) for k in MAP_KINDS if k in shown
    ]
    labels = [BY_CODE[k].name_zh if lang == "zh" else BY_CODE[k].name_en for k in MAP_KINDS if k in shown]
    handles.append(Patch(facecolor="#9ecae1", alpha=0.6))
    labels.append(t["circle"])
    fig.legend(handles, labels, loc="lower center", ncol=3, prop=cjk_font(7.5), frameon=False)
    fig.subplots_adjust(bottom=0.16)
    return _save(fig, path)


def _e(v) -> str:
    return "--" if v is None else html.escape(str(v))


def _table(head: tuple | list, rows: list[list]) -> str:
    th = "".join(f"<th>{_e(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{th}</tr>{body}</table>"


def _origin(i: dict, *, year: int, t: dict) -> str:
    if i["origin"] != "entered":
        return _e(t["computed"])
    e = i["entered"]
    if not e:
        return _e(t["no_entry"])
    when = "" if e["year"] == year else t["value_of"].format(year=e["year"]) + "; "
    return (
        f"<b>{_e(t['entered'])}</b>: {_e(when)}{_e(e['source'])}{', ' + _e(e['date']) if e['date'] else ''}"
    )


def _progress(i: dict, t: dict) -> str:
    text = _e(i["progress_pct"])
    if i.get("progress_note") == "below_baseline":
        text += f" ({_e(t['below_baseline'])})"
    elif i.get("progress_note") in ("target_reached", "baseline_met"):
        text += " ✓"
    return text


def _problem(r, t: dict) -> str:
    """Why a community misses the per-community standard, in the report's language."""
    if not r.floor_area_m2:
        return t["no_facility"]
    parts = []
    if r.floor_area_m2 < r.required_total_m2:
        parts.append(f"{r.floor_area_m2:.0f} ㎡ < {r.required_total_m2:.0f} ㎡")
    if r.m2_per_100hh == r.m2_per_100hh and r.m2_per_100hh < r.required_per_100hh:
        parts.append(t["per_100hh"].format(value=r.m2_per_100hh, required=r.required_per_100hh))
    return "; ".join(parts)


def _html(*, year, city, districts, checks, analysis, figures, maps, notes, lang) -> str:
    t = TEXT[lang]
    zh = lang == "zh"
    name = "name_zh" if zh else "name_en"
    rows = [
        [_e(i["number"]), _e(i[name]), _e(i["unit"]), _e(i["baseline_2020"]), _e(i["target_2025"]),
         f"<b>{_e(i['value'])}</b>", _progress(i, t), _e(t.get("kinds", {}).get(i["kind"], i["kind"])),
         _origin(i, year=year, t=t)]
        for i in city["indicators"]
    ]  # fmt: skip
    cols = [c.format(year=year) for c in t["cols"]]
    spatial = [i for i in city["indicators"] if i["id"] in ("3", "3b", "4", "5", "6", "8", "9", "10", "11")]
    dhead = [t["district_col"], *(f"{i['number']} {i[name]}" for i in spatial)]
    drows = [
        [
            _e(d["name"]),
            *(_e(next(x["value"] for x in d["indicators"] if x["id"] == i["id"])) for i in spatial),
        ]
        for d in districts
    ]
    beds4 = next(i for i in city["indicators"] if i["id"] == "4")["detail"]
    beds5 = next(i for i in city["indicators"] if i["id"] == "5")["detail"]
    brows = [
        [_e(label), _e(beds4[key]["beds"]), _e(beds4[key]["nursing_beds"]), _e(beds4[key]["value"]),
         _e(beds5[key]["value"])]
        for key, label in t["beds_rows"].items()
    ] if "combined" in beds4 else []  # fmt: skip
    below = checks[~checks["meets"]]
    sized = int((checks["floor_area_m2"] >= checks["required_total_m2"]).sum())
    frows = [
        [
            _e(r.code),
            _e(r.name),
            _e(r.households),
            _e(r.floor_area_m2),
            _e(r.m2_per_100hh),
            _e(_problem(r, t)),
        ]
        for r in below.itertuples()
    ]
    tot = analysis.totals()
    crows = [
        [_e(t["areas"][a]), f"{tot[a]['households_covered']:,} / {tot[a]['households']:,}",
         f"{tot[a]['elderly_covered']:,} / {tot[a]['aged_60plus']:,}", f"{tot[a]['units_served']} / {tot[a]['units']}"]
        for a in ("urban", "rural")
    ]  # fmt: skip
    key = "rule_zh" if zh else "rule"
    o = notes["opening_year"]
    note_items = [notes["entered"][key], notes["progress"][key], notes["beds"][key], o[key]]
    standards = [
        FLOOR_AREA_STANDARDS[k]["zh" if zh else "en"] for k in ("indicator_8", "per_unit", "plan_100pct")
    ]
    imgs = "".join(f'<figure><img src="{html.escape(p.name)}"></figure>' for p in maps)
    chart = "".join(f'<figure><img src="{html.escape(p.name)}"></figure>' for p in figures)
    font = font_file()
    face = f"@font-face {{ font-family: 'Noto Sans CJK SC'; src: url('file://{font}'); }}" if font else ""
    title = t["title"].format(year=year)
    page_label = t["page"].replace("{page}", '" counter(page) "')
    limit = analysis.rule.limit_m(analysis.rule.urban_minutes)
    lis = "".join(f"<li>{_e(n)}</li>" for n in note_items)
    return f"""<!doctype html>
<html lang="{"zh" if zh else "en"}"><head><meta charset="utf-8"><title>{_e(title)}</title>
<style>{face}
@page {{ size: A4; margin: 16mm 14mm; @bottom-center {{ content: "{page_label}"; font-size: 9pt; }} }}
body {{ font-family: 'Noto Sans CJK SC', sans-serif; font-size: 10pt; color: #222; }}
h1 {{ font-size: 17pt; }} h2 {{ font-size: 13pt; border-bottom: 1px solid #999; margin-top: 18pt; }}
table {{ border-collapse: collapse; width: 100%; margin: 6pt 0; }} th, td {{ border: 1px solid #bbb; padding: 2pt 4pt; font-size: 8.5pt; }}
th {{ background: #eef2f7; }} td:first-child {{ white-space: nowrap; }} figure {{ page-break-inside: avoid; margin: 8pt 0; text-align: center; }} img {{ max-width: 100%; max-height: 235mm; }}
.note {{ color: #555; font-size: 8.5pt; }}
</style></head><body>
<h1>{_e(title)}</h1>
<p class="note">{_e(t["computed_on"].format(day=date.today().isoformat()))}</p>
<h2>{_e(t["table"])}</h2>
{_table(cols, rows)}
<h2>{_e(t["chart"])}</h2>{chart}
<h2>{_e(t["district"])}</h2>
{_table(dhead, drows)}
<h2>{_e(t["beds"])}</h2>
{_table(t["beds_cols"], brows)}
<h2>{_e(t["coverage"].format(method=t["methods"].get(analysis.rule.method, analysis.rule.method), limit=limit))}</h2>
{_table(t["cov_cols"], crows)}
<p class="note">{_e(t["uncovered"].format(km2=tot["uncovered_area_km2"]))}</p>
<h2>{_e(t["floor"])}</h2>
<p>{_e(t["floor_count"].format(below=len(below), n=len(checks), sized=sized))}</p>
<ul>{"".join(f"<li>{_e(x)}</li>" for x in standards)}</ul>
{_table(t["below_cols"], frows)}
<h2>{_e(t["notes"])}</h2><ul>{lis}</ul>
<h2>{_e(t["maps"])}</h2>{imgs}
</body></html>"""
