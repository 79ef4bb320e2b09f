"""The joint-inspection report: overview map (PNG, matplotlib), HTML and PDF (WeasyPrint, CJK fonts embedded)."""

from __future__ import annotations

import base64
import io
from html import escape
from pathlib import Path

import geopandas as gpd
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import font_manager  # noqa: E402

from gis.crs import METRIC_CRS  # noqa: E402
from gis.crs import require_crs  # noqa: E402
from gis.mapdraw import FONT_FAMILY  # noqa: E402
from gis.mapdraw import cjk_font  # noqa: E402
from gis.mapdraw import furnish  # noqa: E402

_CONDITION_ZH = {
    "found": "已找到",
    "intact": "完好",
    "damaged": "损坏",
    "moved": "移位",
    "missing": "缺失",
    "rebuilt": "重建",
    "flagged": "位移超限",
    None: "未检查",
}
_STATUS_ZH = {"planned": "计划中", "in_progress": "进行中", "completed": "已完成"}
_COLOURS = {
    "intact": "#2e7d32",
    "found": "#2e7d32",
    "damaged": "#f9a825",
    "moved": "#c62828",
    "missing": "#6a1b9a",
    "rebuilt": "#1565c0",
    None: "#9e9e9e",
}


def overview_png(
    lines: gpd.GeoDataFrame,
    markers: gpd.GeoDataFrame,
    conditions: dict[str, str | None],
    *,
    title: str,
    flagged: frozenset[str] | set[str] = frozenset(),
    context: gpd.GeoDataFrame | None = None,
) -> bytes:
    """An overview map: the line sections, markers coloured by finding, flagged ones ringed (EPSG:4545).

    Parameters
    ----------
    lines, markers
        Sections and markers (any CRS); markers need ``number``.
    conditions
        ``{number: condition}`` (``None`` for not inspected).
    title
        Map title (Chinese).
    flagged
        Numbers of markers displaced over the tolerance (ringed).
    context
        Optional division polygons drawn underneath.
    """
    require_crs(lines, name="lines")
    require_crs(markers, name="markers")
    prop = _font()
    fig, ax = plt.subplots(figsize=(7.5, 7.0), dpi=150)
    if context is not None and not context.empty:
        context.to_crs(METRIC_CRS).plot(ax=ax, facecolor="#f5f5f0", edgecolor="#bdbdbd", linewidth=0.6)
    lines.to_crs(METRIC_CRS).plot(ax=ax, color="#d32f2f", linewidth=1.6)
    mk = markers.to_crs(METRIC_CRS)
    for cond, colour in _COLOURS.items():
        sel = mk[[conditions.get(n) == cond for n in mk["number"]]]
        if len(sel):
            sel.plot(ax=ax, color=colour, markersize=14, zorder=3, label=_CONDITION_ZH[cond])
    ringed = mk[mk["number"].isin(list(flagged))]
    if len(ringed):
        ringed.plot(
            ax=ax,
            facecolor="none",
            edgecolor="#c62828",
            markersize=90,
            linewidth=1.2,
            zorder=4,
            label="位移超限",
        )
    for row in mk.iloc[:: max(1, len(mk) // 12)].itertuples():
        ax.annotate(
            row.number,
            (row.geometry.x, row.geometry.y),
            fontsize=5,
            xytext=(3, 3),
            textcoords="offset points",
            fontproperties=prop,
        )
    ax.set_title(title, fontproperties=prop, fontsize=12)
    ax.legend(prop=prop, fontsize=7, loc="best")
    ax.set_aspect("equal")
    ax.tick_params(labelsize=6)
    ax.ticklabel_format(style="plain", useOffset=False)
    ax.set_xlabel("CGCS2000 / 3° GK CM 108E (EPSG:4545) E (m)", fontsize=7)
    ax.set_ylabel("N (m)", fontsize=7)
    furnish(ax)
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def findings_png(
    divisions: gpd.GeoDataFrame,
    lines: gpd.GeoDataFrame,
    findings: gpd.GeoDataFrame,
    *,
    title: str = "拓扑检查结果",
) -> bytes:
    """A map of topology findings over the divisions and lines (EPSG:4545); each finding numbered."""
    for gdf, name in ((divisions, "divisions"), (lines, "lines"), (findings, "findings")):
        require_crs(gdf, name=name)
    prop = _font()
    fig, ax = plt.subplots(figsize=(7.5, 7.5), dpi=150)
    if len(divisions):
        divisions.to_crs(METRIC_CRS).plot(ax=ax, facecolor="#f5f5f0", edgecolor="#9e9e9e", linewidth=0.4)
    if len(lines):
        lines.to_crs(METRIC_CRS).plot(ax=ax, color="#1565c0", linewidth=1.0)
    if len(findings):
        fm = findings.to_crs(METRIC_CRS)
        fm.plot(
            ax=ax, color="#c62828", edgecolor="#c62828", markersize=30, linewidth=1.5, alpha=0.8, zorder=4
        )
        for i, geom in enumerate(fm.geometry, start=1):
            c = geom.representative_point()
            ax.annotate(
                str(i), (c.x, c.y), fontsize=7, color="#c62828", xytext=(4, 4), textcoords="offset points"
            )
    ax.set_title(f"{title}（{len(findings)} 项）", fontproperties=prop, fontsize=12)
    ax.set_aspect("equal")
    ax.tick_params(labelsize=6)
    ax.ticklabel_format(style="plain", useOffset=False)
    furnish(ax)
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def render_html(summary: dict, map_png: bytes) -> str:
    """The report as a self-contained HTML page (map embedded, CJK font by family name)."""
    rnd, line, stats = summary["round"], summary["line"], summary["stats"]
    e = _e
    rows = "".join(
        f"<tr class='{'flag' if m['flagged'] else ''}'><td>{e(m['number'])}</td><td>{e(m['type'])}</td><td>{e(m['material'])}</td>"
        f"<td>{m['lon']:.6f}</td><td>{m['lat']:.6f}</td><td>{_num(m['elevation_m'], 1)}</td>"
        f"<td>{e(_CONDITION_ZH.get(m['condition'], m['condition']))}</td><td>{_num(m['displacement_m'], 3)}</td>"
        f"<td>{'是' if m['flagged'] else ''}</td><td>{e(m['notes'])}{'（更正）' if m['corrected'] else ''}</td></tr>"
        for m in summary["markers"]
    )
    problems = (
        "".join(
            f"<tr><td>{e(p['number'])}</td><td>{e(_CONDITION_ZH.get(p['problem'], p['problem']))}</td>"
            f"<td>{_num(p['displacement_m'], 3)}</td><td>{e(p['notes'])}</td><td>{e(p['action'])}</td></tr>"
            for p in summary["problems"]
        )
        or "<tr><td colspan='5'>未发现问题。</td></tr>"
    )
    notes = (
        "".join(
            f"<li>{e(n['segment'])}（{e({'landform': '地形地貌', 'construction': '建设工程'}.get(n['kind'], '其他'))}）：{e(n['note'])}</li>"
            for n in rnd["segment_notes"]
        )
        or "<li>无</li>"
    )
    signs = (
        "".join(
            f"<tr><td>{e(s['party'])}</td><td>{e(s['signer'])}</td><td>{e(s['date'])}</td></tr>"
            for s in rnd["signoffs"]
        )
        or "<tr><td colspan='3'>尚未签认</td></tr>"
    )
    sections = "、".join(f"{e(s['name'])}（{_num(s['length_km'], 1)}千米）" for s in line["sections"])
    cond = "；".join(f"{e(_CONDITION_ZH.get(k, k))} {v} 个" for k, v in summary["by_condition"].items())
    disp = (
        f"实测 {stats['measured']} 个，平均 {stats['mean_m']} 米，中位数 {stats['median_m']} 米，"
        f"95% 分位 {stats['p95_m']} 米，最大 {stats['max_m']} 米；超过限差 {stats['tolerance_m']} 米的 {stats['flagged']} 个。"
        if stats["measured"]
        else "无实测坐标。"
    )
    img = base64.b64encode(map_png).decode("ascii")
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{e(rnd["title"])}报告</title>
<style>
@page {{ size: A4; margin: 16mm 14mm; @bottom-center {{ content: "第 " counter(page) " 页 / 共 " counter(pages) " 页"; font-size: 8pt; }} }}
body {{ font-family: "{FONT_FAMILY}", "Noto Sans CJK", sans-serif; font-size: 9.5pt; color: #222; }}
h1 {{ font-size: 16pt; text-align: center; margin: 0 0 4mm; }} h2 {{ font-size: 12pt; border-bottom: 1px solid #999; margin-top: 6mm; }}
table {{ border-collapse: collapse; width: 100%; font-size: 7.5pt; }} th, td {{ border: 1px solid #bbb; padding: 1.2mm; }}
th {{ background: #eee; }} tr.flag td {{ background: #fdecea; }} img {{ width: 100%; }} .meta td {{ font-size: 9pt; }}
</style></head><body>
<h1>{e(rnd["title"])}报告</h1>
<table class="meta"><tr><th>界线</th><td>{e(line["line_name"])}（界线编号 {e(line["line_code"])}）</td><th>轮次</th><td>第 {rnd["round_no"]} 轮</td></tr>
<tr><th>参加方</th><td>{e("、".join(rnd["parties"]))}</td><th>状态</th><td>{e(_STATUS_ZH.get(rnd["status"], rnd["status"]))}</td></tr>
<tr><th>时间</th><td>{e(rnd["start_date"])} 至 {e(rnd["end_date"] or "—")}</td><th>位移限差</th><td>{rnd["tolerance_m"]} 米</td></tr>
<tr><th>检查范围</th><td colspan="3">{sections}；界桩 {stats["in_scope"]} 个，已检查 {stats["inspected"]} 个</td></tr></table>
<h2>一、概况图</h2><img src="data:image/png;base64,{img}" alt="概况图">
<h2>二、界桩位移统计</h2><p>{disp}</p><p>检查结果：{cond}。</p>
<h2>三、存在问题及处理意见</h2><table><tr><th>界桩编号</th><th>问题</th><th>位移（米）</th><th>说明</th><th>处理意见</th></tr>{problems}</table>
<h2>四、界线两侧变化情况</h2><ul>{notes}</ul>
<h2>五、界桩检查表</h2><table><tr><th>编号</th><th>类型</th><th>材质</th><th>经度</th><th>纬度</th><th>高程</th><th>状况</th><th>位移（米）</th><th>超限</th><th>备注</th></tr>{rows}</table>
<h2>六、各方签认</h2><table><tr><th>参加方</th><th>签认人</th><th>日期</th></tr>{signs}</table>
<p style="font-size:7.5pt;color:#666">坐标系统：CGCS2000（EPSG:4490）；位移在 CGCS2000 / 3度带高斯-克吕格投影（中央经线 108°，EPSG:4545）中计算。数据来源：{e(rnd["source"])}。</p>
</body></html>"""


def write_pdf(html: str, path: str | Path) -> Path:
    """Render the HTML to PDF with WeasyPrint (fonts are subset and embedded)."""
    from weasyprint import HTML

    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    HTML(string=html).write_pdf(out)
    return out


def _font() -> font_manager.FontProperties:
    return cjk_font() or font_manager.FontProperties(family=FONT_FAMILY)


def _e(value) -> str:
    return "" if value is None else escape(str(value))


def _num(value, digits: int) -> str:
    return "" if value is None else f"{value:.{digits}f}"
