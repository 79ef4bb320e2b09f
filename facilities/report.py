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
from facilities.indicators import active_facilities
from facilities.indicators import compute_indicators
from facilities.indicators import counted_units
from facilities.indicators import floor_area_checks
from facilities.indicators import indicator_frame
from facilities.kinds import BY_CODE
from gis.crs import METRIC_CRS
from gis.errors import InvalidInput

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import font_manager  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
)
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
                    "指标属性": i["kind"],
                }
            )
    return pd.DataFrame(rows)


def build_report(
    session: Session, *, year: int, out_dir: Path, pdf: bool = True, rule: CircleRule | None = None
) -> list[Path]:
    """Compute everything for ``year`` and write report.html (+ report.pdf), maps and tables into ``out_dir``."""
    if out_dir.exists() and not out_dir.is_dir():
        raise InvalidInput(f"{out_dir}: a file, not a folder for the report", field="out")
    out_dir.mkdir(parents=True, exist_ok=True)
    inputs = store.indicator_inputs(session, year=year)
    city = compute_indicators(inputs, level="city")
    districts = compute_indicators(inputs, level="district")
    communities = compute_indicators(inputs, level="community")
    checks = floor_area_checks(inputs.units, inputs.facilities, year=year)
    analysis = planning.circle_analysis(session, year=year, rule=rule or CircleRule())
    units = counted_units(inputs.units)
    fac = active_facilities(inputs.facilities, year)
    maps = [
        _map_facilities(out_dir / "map_facilities.png", units, fac, communities),
        _map_floor_area(out_dir / "map_floor_area.png", indicator_frame(communities, units)),
        _map_circles(out_dir / "map_circles.png", units, analysis),
        _map_built_up(out_dir / "map_built_up.png", units, fac, analysis, inputs.districts),
    ]
    tables = {
        "indicators_city": indicator_table(city),
        "indicators_district": indicator_table(districts),
        "indicators_community": indicator_table(communities),
        "floor_area_checks": checks,
        "coverage_by_community": analysis.summary,
    }
    files = write_tables(out_dir, tables)
    page = _html(year=year, city=city[0], districts=districts, checks=checks, analysis=analysis, maps=maps)
    html_path = out_dir / "report.html"
    html_path.write_text(page, encoding="utf-8")
    files = [html_path, *maps, *files]
    if pdf:
        from weasyprint import HTML

        pdf_path = out_dir / "report.pdf"
        HTML(string=page, base_url=str(out_dir)).write_pdf(pdf_path)
        files.insert(1, pdf_path)
    return files


def cjk_font() -> font_manager.FontProperties | None:
    """Noto Sans CJK for map labels (``None`` if the font is not installed)."""
    for path in FONT_CANDIDATES:
        if Path(path).exists():
            return font_manager.FontProperties(fname=path)
    return None


def _plain(df: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(df.drop(columns="geometry", errors="ignore")).copy()
    for col in out.columns:
        if out[col].map(lambda v: isinstance(v, dict | list)).any():
            out[col] = out[col].map(lambda v: str(v) if isinstance(v, dict | list) else v)
    return out


def _axes(title: str):
    fig, ax = plt.subplots(figsize=(7.2, 8.0), dpi=130)
    ax.set_axis_off()
    ax.set_title(title, fontproperties=cjk_font(), fontsize=12)
    return fig, ax


def _save(fig, path: Path) -> Path:
    fig.savefig(path, bbox_inches="tight")
    plt.close(fig)
    return path


def _map_facilities(
    path: Path, units: gpd.GeoDataFrame, fac: gpd.GeoDataFrame, communities: list[dict]
) -> Path:
    served = {
        u["code"]: any(i["id"] in ("3", "3b") and (i["exact"] or 0) > 0 for i in u["indicators"])
        for u in communities
    }
    u = units.to_crs(METRIC_CRS).assign(
        served=lambda d: d["code"].isin([c for c, ok in served.items() if ok])
    )
    fig, ax = _axes("养老服务设施与社区覆盖 Elderly-care facilities and served communities")
    u.plot(
        ax=ax, color=u["served"].map({True: "#c7e9c0", False: "#fdd0a2"}), edgecolor="#888888", linewidth=0.3
    )
    f = fac.to_crs(METRIC_CRS)
    font = cjk_font()
    for kind, colour in MAP_KINDS.items():
        part = f[f["kind"] == kind]
        if len(part):
            part.plot(ax=ax, color=colour, markersize=12, label=BY_CODE[kind].name_zh)
    handles, labels = ax.get_legend_handles_labels()
    handles += [
        Patch(facecolor="#c7e9c0", edgecolor="#888888"),
        Patch(facecolor="#fdd0a2", edgecolor="#888888"),
    ]
    labels += ["已覆盖社区（村）", "未覆盖社区（村）"]
    ax.legend(
        handles,
        labels,
        loc="upper left",
        bbox_to_anchor=(0.0, 0.0),
        prop=font,
        fontsize=7,
        frameon=False,
        ncol=2,
    )
    return _save(fig, path)


def _map_floor_area(path: Path, frame: gpd.GeoDataFrame) -> Path:
    fig, ax = _axes("每百户社区综合服务设施建筑面积 (㎡) Community floor area per 100 households")
    f = frame.to_crs(METRIC_CRS)
    f.plot(
        ax=ax,
        column="community_floor_area",
        cmap="YlGnBu",
        legend=True,
        edgecolor="#666666",
        linewidth=0.3,
        missing_kwds={"color": "#eeeeee"},
    )
    below = f[f["community_floor_area"].fillna(0) < 30]
    below.boundary.plot(ax=ax, color="#d62728", linewidth=0.9)
    return _save(fig, path)


def _map_circles(path: Path, units: gpd.GeoDataFrame, analysis: planning.CircleAnalysis) -> Path:
    fig, ax = _axes("15分钟生活圈与未覆盖区域 15-minute circles and uncovered areas")
    units.to_crs(METRIC_CRS).plot(ax=ax, color="#f7f7f7", edgecolor="#999999", linewidth=0.3)
    urban = analysis.areas[analysis.areas["circle"] == "urban"]
    if len(urban):
        urban.plot(ax=ax, color="#9ecae1", alpha=0.6, edgecolor="none")
    gaps = analysis.uncovered[analysis.uncovered["urban_rural"] == "urban"]
    if len(gaps):
        gaps.plot(ax=ax, color="#fc9272", alpha=0.7, edgecolor="none")
    return _save(fig, path)


def _map_built_up(path: Path, units: gpd.GeoDataFrame, fac: gpd.GeoDataFrame, analysis, districts) -> Path:
    """One panel per district, zoomed on its built-up area (the extent of its home-care stations)."""
    font = cjk_font()
    u = units.to_crs(METRIC_CRS)
    f = fac.to_crs(METRIC_CRS).merge(
        u[["code", "district_code"]], left_on="division_code", right_on="code", how="left"
    )
    urban_areas = analysis.areas[analysis.areas["circle"] == "urban"]
    fig, axes = plt.subplots(1, max(1, len(districts)), figsize=(10.5, 5.2), dpi=130)
    axes = list(np.atleast_1d(axes))
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
        ax.set_xlim(minx - pad, maxx + pad)
        ax.set_ylim(miny - pad, maxy + pad)
    fig.suptitle(
        "建成区：养老设施与15分钟步行圈 Built-up areas: facilities and 15-minute walks",
        fontproperties=font,
        fontsize=12,
    )
    return _save(fig, path)


def _e(v) -> str:
    return "--" if v is None else html.escape(str(v))


def _html(*, year, city, districts, checks, analysis, maps) -> str:
    rows = "".join(
        f"<tr><td>{_e(i['number'])}</td><td>{_e(i['name_zh'])}</td><td>{_e(i['unit'])}</td><td>{_e(i['baseline_2020'])}</td>"
        f"<td>{_e(i['target_2025'])}</td><td><b>{_e(i['value'])}</b></td><td>{_e(i['progress_pct'])}</td><td>{_e(i['kind'])}</td></tr>"
        for i in city["indicators"]
    )
    spatial = [i for i in city["indicators"] if i["id"] in ("3", "3b", "4", "5", "6", "8", "9", "10", "11")]
    head = "".join(f"<th>{_e(i['number'])} {_e(i['name_zh'])}</th>" for i in spatial)
    drows = "".join(
        "<tr><td>"
        + _e(d["name"])
        + "</td>"
        + "".join(
            f"<td>{_e(next(x['value'] for x in d['indicators'] if x['id'] == i['id']))}</td>" for i in spatial
        )
        + "</tr>"
        for d in districts
    )
    below = checks[~checks["meets"]]
    brows = "".join(
        f"<tr><td>{_e(r.code)}</td><td>{_e(r.name)}</td><td>{_e(r.households)}</td><td>{_e(r.floor_area_m2)}</td><td>{_e(r.m2_per_100hh)}</td><td>{_e(r.problem)}</td></tr>"
        for r in below.itertuples()
    )
    t = analysis.totals()
    cov = "".join(
        f"<tr><td>{area}</td><td>{t[area]['households_covered']:,} / {t[area]['households']:,}</td><td>{t[area]['elderly_covered']:,} / {t[area]['aged_60plus']:,}</td><td>{t[area]['units_served']} / {t[area]['units']}</td></tr>"
        for area in ("urban", "rural")
    )
    imgs = "".join(f'<figure><img src="{html.escape(p.name)}"></figure>' for p in maps)
    font = next((p for p in FONT_CANDIDATES if Path(p).exists()), None)
    face = f"@font-face {{ font-family: 'Noto Sans CJK SC'; src: url('file://{font}'); }}" if font else ""
    return f"""<!doctype html>
<html lang="zh"><head><meta charset="utf-8"><title>乌海市民政事业发展规划 {year} 年进展</title>
<style>{face}
@page {{ size: A4; margin: 16mm 14mm; @bottom-center {{ content: counter(page); font-size: 9pt; }} }}
body {{ font-family: 'Noto Sans CJK SC', sans-serif; font-size: 10pt; color: #222; }}
h1 {{ font-size: 17pt; }} h2 {{ font-size: 13pt; border-bottom: 1px solid #999; margin-top: 18pt; }}
table {{ border-collapse: collapse; width: 100%; margin: 6pt 0; }} th, td {{ border: 1px solid #bbb; padding: 2pt 4pt; font-size: 8.5pt; }}
th {{ background: #eef2f7; }} td:first-child {{ white-space: nowrap; }} figure {{ page-break-inside: avoid; margin: 8pt 0; text-align: center; }} img {{ max-width: 100%; max-height: 235mm; }}
.note {{ color: #555; font-size: 8.5pt; }}
</style></head><body>
<h1>乌海市“十四五”民政事业发展规划：{year} 年指标进展<br><small>Progress to the 2025 targets, {year}</small></h1>
<p class="note">Computed from the registry on {date.today().isoformat()}. Served rule: a facility inside the community. Beds: institutions plus community and rural home-care facilities, as the plan counts them.</p>
<h2>主要发展指标 Indicator table</h2>
<table><tr><th>序号</th><th>主要指标</th><th>单位</th><th>2020年实际值</th><th>2025年目标值</th><th>{year}年</th><th>进度%</th><th>指标属性</th></tr>{rows}</table>
<h2>分区 By district</h2>
<table><tr><th>区</th>{head}</tr>{drows}</table>
<h2>服务圈覆盖 Service-circle coverage ({_e(analysis.rule.method)}, {analysis.rule.limit_m(analysis.rule.urban_minutes):.0f} m urban)</h2>
<table><tr><th></th><th>households covered</th><th>elderly covered</th><th>units served</th></tr>{cov}</table>
<p class="note">Uncovered area: {t["uncovered_area_km2"]} km².</p>
<h2>社区综合服务设施未达标 Below the floor-area standard ({len(below)})</h2>
<table><tr><th>code</th><th>community</th><th>households</th><th>m²</th><th>m²/100 hh</th><th>problem</th></tr>{brows}</table>
<h2>地图 Maps</h2>{imgs}
</body></html>"""
