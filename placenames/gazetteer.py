"""The gazetteer 《乌海市地名志》: HTML (jinja2) and PDF (WeasyPrint, Noto CJK embedded) with overview maps."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from jinja2 import Environment
from jinja2 import select_autoescape
from markupsafe import Markup
from sqlalchemy.orm import Session

from gis.errors import InvalidInput
from gis.errors import NotFound
from gis.progress import Progress
from gis.progress import Steps
from placenames import categories
from placenames import queries
from placenames.mapping import map_divisions
from placenames.mapping import names_map
from placenames.mapping import overview_map
from placenames.mongolian import vertical_html

TITLE = "乌海市地名志"
DISTRICTS = {"150302000000": "海勃湾区", "150303000000": "海南区", "150304000000": "乌达区"}

_TEMPLATE = """<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>{{ title }}</title>
<style>
@page { size: A4; margin: 18mm 16mm 20mm 16mm;
        @bottom-center { content: "{{ title }} · " counter(page); font-size: 8pt; color: #666; } }
body { font-family: "Noto Serif CJK SC", "Noto Sans CJK SC", serif; font-size: 9.5pt; line-height: 1.5; color: #222; }
h1 { font-size: 26pt; text-align: center; margin-top: 20mm; letter-spacing: 4pt; }
.subtitle { text-align: center; color: #555; }
h2 { font-family: "Noto Sans CJK SC", sans-serif; font-size: 16pt; border-bottom: 2px solid #8a4b08;
     page-break-before: always; }
h3 { font-family: "Noto Sans CJK SC", sans-serif; font-size: 12pt; color: #8a4b08; margin-top: 14pt; }
.entry { margin: 0 0 7pt 0; page-break-inside: avoid; }
.entry::after { content: ''; display: block; clear: both; }
.mn { float: left; margin: 0 6pt 0 0; }
.name { font-family: "Noto Sans CJK SC", sans-serif; font-weight: bold; font-size: 10.5pt; }
.rom { font-style: italic; color: #444; margin-left: 6pt; }
.meta { color: #555; font-size: 8.5pt; }
figure { text-align: center; margin: 8pt 0; }
figure img { width: 120mm; }
figure img.district { width: auto; height: 185mm; max-width: 100%; }
.toc li { margin: 2pt 0; }
.toc a { color: #222; text-decoration: none; }
.toc a::after { content: leader('.') target-counter(attr(href), page); }
figure img.city { width: 150mm; }
.count { color: #666; }
</style>
</head>
<body>
<h1>{{ title }}</h1>
<p class="subtitle">乌海市民政局 编 · {{ today }}</p>
<p class="subtitle">收录标准地名 {{ total }} 条（已批准、已公告）</p>
<ul class="toc">
{% for d in districts %}<li><a href="#d{{ d.code }}">{{ d.name }} <span class="count">（{{ d.count }} 条）</span></a></li>{% endfor %}
</ul>
{% if city_map %}<figure><img class="city" src="{{ city_map }}" alt="乌海市标准地名图"><figcaption>乌海市标准地名图</figcaption></figure>{% endif %}
{% for d in districts %}
<h2 id="d{{ d.code }}">{{ d.name }}</h2>
{% if d.map %}<figure><img class="district" src="{{ d.map }}" alt="{{ d.name }}地名概览图"><figcaption>{{ d.name }}地名概览图</figcaption></figure>{% endif %}
{% for group in d.groups %}
<h3>{{ group.label }}</h3>
{% for e in group.entries %}
<div class="entry">
{% if e.mongolian %}<span class="mn">{{ e.mongolian }}</span>{% endif %}<span class="name">{{ e.name }}</span><span class="rom">{{ e.romanized or "" }}</span>
<div class="meta">{{ e.category }}{% if e.location %} · {{ e.location }}{% endif %}{% if e.coords %} · {{ e.coords }}{% endif %}</div>
{% if e.meaning %}<div>【含义】{{ e.meaning }}</div>{% endif %}
{% if e.history %}<div>【沿革】{{ e.history }}</div>{% endif %}
{% if e.former %}<div>【曾用名】{{ e.former }}</div>{% endif %}
{% if e.aliases %}<div>【别名】{{ e.aliases }}</div>{% endif %}
{% if e.approval %}<div class="meta">{{ e.approval }}</div>{% endif %}
</div>
{% endfor %}
{% endfor %}
{% endfor %}
</body>
</html>
"""


def write_gazetteer(
    session: Session, out_dir: str | Path, *, pdf: bool = True, progress: Progress | None = None
) -> dict[str, Any]:
    """Write ``乌海市地名志.html`` (+ ``.pdf``) and the district overview maps into ``out_dir``.

    ``progress`` is told each step as it starts (reading, each map, the HTML, the PDF).

    Returns
    -------
    dict
        Paths written and the number of entries.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InvalidInput(f"{out.name} is a file: the gazetteer is written into a folder", field="output")
    out.mkdir(parents=True, exist_ok=True)
    step = Steps(progress, len(DISTRICTS) + 3 + int(pdf))
    step("reading the names")
    names = queries.names_gdf(session)
    if names.empty:
        raise NotFound("no approved or announced names to publish")
    former = queries.former_names_frame(session)
    divisions = map_divisions(session, levels=("district", "town"))
    maps = {}
    for code in DISTRICTS:
        step("drawing the district maps")
        if (divisions["code"] == code).any():
            maps[code] = overview_map(divisions, names, out / f"overview_{code[:6]}.png", district=code).name
    step("drawing the city map")
    city = map_divisions(session)
    fig, _count = names_map(city, names)
    fig.savefig(out / "overview_city.png", dpi=110)
    step("writing the HTML edition")
    html = render_html(names, former, maps=maps, city_map="overview_city.png")
    html_path = out / f"{TITLE}.html"
    html_path.write_text(html, encoding="utf-8")
    result: dict[str, Any] = {"html": str(html_path), "entries": len(names), "maps": len(maps)}
    if pdf:
        from weasyprint import HTML  # heavy import, only when the PDF is wanted

        step("writing the PDF edition")
        pdf_path = out / f"{TITLE}.pdf"
        HTML(string=html, base_url=str(out)).write_pdf(pdf_path)
        result["pdf"] = str(pdf_path)
    step.finish()
    return result


def render_html(
    names: gpd.GeoDataFrame,
    former: pd.DataFrame,
    *,
    maps: dict[str, str] | None = None,
    city_map: str | None = None,
) -> str:
    """The gazetteer as one HTML document (pure: frames in, text out)."""
    maps = maps or {}
    former_by_id: dict[int, list[str]] = {}
    for row in former.itertuples(index=False):
        span = f"（至{row.valid_to}）" if row.valid_to is not None and not pd.isna(row.valid_to) else ""
        former_by_id.setdefault(int(row.place_name_id), []).append(f"{row.name}{span}")
    districts = []
    scope = names.assign(district=names["division_code"].fillna("").str[:6] + "000000")
    city_wide = scope[~scope["district"].isin(DISTRICTS)]
    for code, label in [*DISTRICTS.items(), ("150300000000", "全市及跨区地名")]:
        part = scope[scope["district"] == code] if code in DISTRICTS else city_wide
        if part.empty:
            continue
        groups = []
        for major, frame in sorted(part.groupby(part["category_code"].str[:2]), key=lambda kv: kv[0]):
            entries = [
                _entry(r, former_by_id) for r in frame.sort_values(["category_code", "name"]).itertuples()
            ]
            groups.append({"label": categories.MAJOR_CLASSES.get(major, major), "entries": entries})
        districts.append(
            {"code": code, "name": label, "count": len(part), "groups": groups, "map": maps.get(code)}
        )
    env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    return env.from_string(_TEMPLATE).render(
        title=TITLE, today=date.today().isoformat(), total=len(names), districts=districts, city_map=city_map
    )


def _entry(row, former_by_id: dict[int, list[str]]) -> dict[str, Any]:
    geom = row.geometry
    coords = None
    if geom is not None and not geom.is_empty:
        p = geom.representative_point()
        coords = f"东经{p.x:.4f}° 北纬{p.y:.4f}°"
    approval = None
    if _text(row.approving_authority):
        approval = f"{row.approving_authority} {_text(row.approval_doc_no) or ''} {_text(row.approval_date) or ''} 批准"
        if _text(row.announcement_date):
            approval += f"，{row.announcement_date} 公告"
    aliases = row.aliases if isinstance(row.aliases, list) else []
    mongolian = _text(getattr(row, "mongolian", None))
    return {
        "name": row.name,
        "mongolian": Markup(vertical_html(mongolian, size=13)) if mongolian else None,
        "romanized": _text(row.romanized),
        "category": categories.label(row.category_code) if row.category_code in categories.CATEGORIES else "",
        "location": _text(row.location_desc),
        "coords": coords,
        "meaning": _text(row.meaning),
        "history": _text(row.history),
        "former": "；".join(former_by_id.get(int(row.id), [])),
        "aliases": "、".join(aliases),
        "approval": approval,
    }


def _text(value) -> str | None:
    """``None`` for missing values (pandas NaN/NaT included), else the value as text."""
    if value is None or (not isinstance(value, list | str) and pd.isna(value)):
        return None
    return str(value)
