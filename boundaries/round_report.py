"""Assembling a joint-inspection round's report (summary, overview map, HTML, PDF) from the database."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from boundaries import divisions
from boundaries import inspections
from boundaries import store
from boundaries.report import overview_png
from boundaries.report import render_html
from boundaries.report import write_pdf


@dataclass(frozen=True)
class RoundReport:
    """A round's report: the summary it was built from, the overview map PNG and the HTML."""

    summary: dict
    png: bytes
    html: str


def build_round_report(session: Session, round_id: int) -> RoundReport:
    """Gather the round's lines, markers and findings and render the overview map and HTML.

    Raises
    ------
    NotFound
        When the round does not exist.
    """
    summary = inspections.summary(session, round_id)
    rnd = inspections.get_round(session, round_id)
    lines = store.lines_gdf(session)
    lines = lines[lines["id"].isin(rnd.line_ids)]
    markers = store.markers_gdf(session, line_ids=rnd.line_ids)
    context = divisions.divisions_gdf(session, levels=("district",), in_wuhai=None)
    conditions = {m["number"]: m["condition"] for m in summary["markers"]}
    flagged = {m["number"] for m in summary["markers"] if m["flagged"]}
    xmin, ymin, xmax, ymax = lines.total_bounds
    window = (xmin - 0.05, ymin - 0.05, xmax + 0.05, ymax + 0.05)
    context = context.cx[window[0] : window[2], window[1] : window[3]].clip(window)
    png = overview_png(
        lines,
        markers,
        conditions,
        title=f"{summary['round']['title']}概况图",
        flagged=flagged,
        context=context,
    )
    return RoundReport(summary=summary, png=png, html=render_html(summary, png))


def write_round_report(session: Session, round_id: int, out_dir: str | Path) -> dict[str, str]:
    """Write ``inspection_round_<id>.png/.html/.pdf`` into ``out_dir``; return their paths."""
    report = build_round_report(session, round_id)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = out / f"inspection_round_{round_id}"
    stem.with_suffix(".png").write_bytes(report.png)
    stem.with_suffix(".html").write_text(report.html, encoding="utf-8")
    pdf = write_pdf(report.html, stem.with_suffix(".pdf"))
    return {"png": str(stem.with_suffix(".png")), "html": str(stem.with_suffix(".html")), "pdf": str(pdf)}


def round_pdf(session: Session, round_id: int) -> bytes:
    """The round's report as PDF bytes (CJK fonts embedded)."""
    from weasyprint import HTML

    return HTML(string=build_round_report(session, round_id).html).write_pdf()
