"""Yearly exchange with the national place-name database (中国·国家地名信息库): XLSX/CSV and GPKG.

Export writes the standard names in the database's field layout (Chinese headers, CGCS2000
coordinates of a representative point, plus the full geometry in the GeoPackage). Import reads
such a file, validates every row (all or nothing), compares it with the registry and reports
what is new, changed and retired (marked 历史地名); it applies the changes only with
``confirm=True``, through the naming procedure (renames keep the old name as a former name).
"""

from __future__ import annotations

import math
import re
from datetime import date
from io import StringIO
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
from shapely.geometry import Point
from sqlalchemy.orm import Session

from gis.crs import STORAGE_CRS
from gis.crs import in_extent
from gis.errors import InvalidInput
from placenames import categories
from placenames import queries
from placenames import rules
from placenames import store
from placenames import usecases

#: Field layout: (header, registry attribute).
FIELDS: tuple[tuple[str, str], ...] = (
    ("地名代码", "code"),
    ("标准名称", "name"),
    ("罗马字母拼写", "romanized"),
    ("类别代码", "category_code"),
    ("类别名称", "category_name"),
    ("行政区划代码", "division_code"),
    ("地理实体描述", "location_desc"),
    ("东经", "lon"),
    ("北纬", "lat"),
    ("坐标系", "crs"),
    ("地名含义", "meaning"),
    ("历史沿革", "history"),
    ("别名", "aliases"),
    ("曾用名", "former"),
    ("民族文字", "mongolian"),
    ("批准机关", "approving_authority"),
    ("批准文号", "approval_doc_no"),
    ("批准时间", "approval_date"),
    ("公告时间", "announcement_date"),
    ("使用时间", "in_use"),
)
HEADERS = [h for h, _ in FIELDS]
#: Attributes compared on import (and how they are applied).
COMPARED = ("name", "romanized", "division_code", "location_desc", "meaning", "history")
CURRENT, HISTORIC = "现今地名", "历史地名"
EXCHANGE_REASON = "国家地名信息库数据交换"
_CODE = re.compile(r"^\d{6}\d{3}(\d{8})$")
_MAX_TEXT = 4000


def export_names(session: Session, path: str | Path) -> dict[str, Any]:
    """Write approved, announced and retired names to ``.xlsx``, ``.csv`` or ``.gpkg``."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".csv", ".gpkg"):
        raise InvalidInput(f"{path.name}: export as .xlsx, .csv or .gpkg", field="path")
    gdf = queries.names_gdf(session, statuses=("approved", "announced", "retired"))
    table = to_exchange_frame(gdf, queries.former_names_frame(session))
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        table.to_csv(path, index=False, encoding="utf-8-sig")
    elif suffix == ".xlsx":
        table.to_excel(path, index=False, sheet_name="标准地名")
    else:
        out = gpd.GeoDataFrame(table, geometry=list(gdf.geometry), crs=STORAGE_CRS)
        path.unlink(missing_ok=True)
        pyogrio.write_dataframe(out, path, layer="standard_names", driver="GPKG")
    return {"path": str(path), "rows": len(table), "format": suffix[1:]}


def to_exchange_frame(gdf: gpd.GeoDataFrame, former: pd.DataFrame) -> pd.DataFrame:
    """Registry rows → the exchange table (pure)."""
    formers: dict[int, list[str]] = {}
    for pid, name in zip(former["place_name_id"], former["name"], strict=True):
        formers.setdefault(int(pid), []).append(name)
    rows = []
    for r in gdf.itertuples():
        p = r.geometry.representative_point() if r.geometry is not None and not r.geometry.is_empty else None
        cat = categories.CATEGORIES.get(r.category_code)
        rows.append({
            "地名代码": exchange_code(r.id, r.division_code, r.category_code), "标准名称": r.name,
            "罗马字母拼写": r.romanized, "类别代码": r.category_code, "类别名称": cat.name if cat else None,
            "行政区划代码": r.division_code, "地理实体描述": r.location_desc,
            "东经": round(p.x, 7) if p else None, "北纬": round(p.y, 7) if p else None, "坐标系": "CGCS2000",
            "地名含义": r.meaning, "历史沿革": r.history, "别名": "、".join(r.aliases or []),
            "曾用名": "、".join(formers.get(int(r.id), [])), "民族文字": r.mongolian,
            "批准机关": r.approving_authority, "批准文号": r.approval_doc_no,
            "批准时间": _iso(r.approval_date), "公告时间": _iso(r.announcement_date),
            "使用时间": HISTORIC if r.status == "retired" else CURRENT,
        })  # fmt: skip
    return pd.DataFrame(rows, columns=HEADERS)


def exchange_code(place_id: int, division_code: str | None, category_code: str) -> str:
    """The exchange code of a name: county code (6) + category (3) + registry id (8)."""
    return f"{(division_code or '150300')[:6]}{str(category_code)[:3].ljust(3, '0')}{int(place_id):08d}"


def read_exchange(path: str | Path) -> pd.DataFrame:
    """Read an exchange file (CSV in UTF-8 or GBK, XLSX, GPKG) into the exchange table.

    Raises
    ------
    gis.errors.InvalidInput
        For an unknown format, missing headers or an unreadable file.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            raw = path.read_bytes()
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                text = raw.decode("gb18030")
            frame = pd.read_csv(StringIO(text), dtype=str, keep_default_na=False)
        elif suffix == ".xlsx":
            frame = pd.read_excel(path, dtype=str, keep_default_na=False)
        elif suffix == ".gpkg":
            frame = pd.DataFrame(gpd.read_file(path, layer="standard_names").drop(columns="geometry")).astype(
                str
            )
        else:
            raise InvalidInput(f"{path.name}: import .xlsx, .csv or .gpkg", field="path")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise InvalidInput(f"{path.name}: cannot read the file ({exc})", field="path") from exc
    missing = [h for h in ("标准名称", "类别代码", "行政区划代码", "东经", "北纬") if h not in frame.columns]
    if missing:
        raise InvalidInput(
            f"{path.name}: missing columns {missing} (expected the national database layout)", field="columns"
        )
    return frame.reindex(columns=HEADERS).fillna("").replace({"None": "", "nan": "", "NaT": ""})


def import_names(session: Session, path: str | Path, *, actor: str, confirm: bool = False) -> dict[str, Any]:
    """Compare an exchange file with the registry and apply it when ``confirm`` is true.

    Returns
    -------
    dict
        ``new``, ``changed``, ``retired`` (lists), ``unchanged`` (count), ``applied`` (bool).

    Raises
    ------
    gis.errors.InvalidInput
        When any row is invalid (nothing is applied), naming the rows and their problems.
    """
    rows = validate_rows(read_exchange(path))
    report: dict[str, Any] = {"new": [], "changed": [], "retired": [], "unchanged": 0, "applied": False}
    plans = []
    for row in rows:
        current = _current(session, row)
        if current is None:
            if row["in_use"] != HISTORIC:
                report["new"].append({"code": row["code"], "name": row["name"], "row": row["row"]})
                plans.append(("new", row, None))
            continue
        if row["in_use"] == HISTORIC and current.status != "retired":
            report["retired"].append({"code": row["code"], "name": current.name, "id": current.id})
            plans.append(("retire", row, current))
            continue
        changes = _differences(current, row)
        if changes:
            report["changed"].append({"code": row["code"], "name": current.name, "id": current.id,
                                      "fields": sorted(changes)})  # fmt: skip
            plans.append(("change", row, (current, changes)))
        else:
            report["unchanged"] += 1
    if confirm:
        for kind, row, target in plans:
            _apply(session, kind, row, target, actor=actor)
        report["applied"] = True
    return report


def validate_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Check every row; raise one :class:`~gis.errors.InvalidInput` listing all the bad rows (row numbers as in the file)."""
    errors: list[str] = []
    bad_rows: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    attr = dict(FIELDS)
    for i, rec in enumerate(frame.to_dict("records"), start=2):
        row = {attr[h]: str(rec.get(h, "") or "").strip() for h in HEADERS}
        row["row"] = i
        problems = _row_problems(row)
        if row["code"] and row["code"] in seen:
            problems.append(f"duplicate 地名代码 {row['code']}")
        seen.add(row["code"])
        if problems:
            errors.append(f"row {i} ({row['name'][:20] or '?'}): " + "; ".join(problems))
            bad_rows.append({"row": i, "name": row["name"][:100], "problems": problems})
        else:
            row["lon"], row["lat"] = float(row["lon"]), float(row["lat"])
            rows.append(row)
    if errors:
        shown = errors[:30] + ([f"… and {len(errors) - 30} more"] if len(errors) > 30 else [])
        raise InvalidInput(
            "the exchange file has invalid rows, nothing was applied:\n" + "\n".join(shown),
            row=bad_rows[0]["row"],
            details=bad_rows,
        )
    return rows


def _row_problems(row: dict[str, Any]) -> list[str]:
    out = []
    bad = rules.check_characters(row["name"])
    if bad:
        out.append(f"标准名称: {bad.message}")
    if row["category_code"] not in categories.CATEGORIES:
        out.append(f"unknown 类别代码 {row['category_code']!r}")
    if not re.fullmatch(r"\d{12}", row["division_code"]):
        out.append(f"行政区划代码 {row['division_code']!r} is not 12 digits")
    try:
        lon, lat = float(row["lon"]), float(row["lat"])
        if not (math.isfinite(lon) and math.isfinite(lat)):
            raise ValueError
        if not in_extent(lon, lat):
            hint = " (东经/北纬 swapped?)" if in_extent(lat, lon) else ""
            out.append(f"coordinates ({lon}, {lat}) lie outside Wuhai{hint}")
    except ValueError:
        out.append(f"东经/北纬 {row['lon']!r}/{row['lat']!r} are not numbers")
    if row["in_use"] not in ("", CURRENT, HISTORIC):
        out.append(f"使用时间 must be {CURRENT} or {HISTORIC}")
    if row["code"] and not _CODE.match(row["code"]):
        out.append(f"地名代码 {row['code']!r} is not a 17-digit exchange code")
    for key in ("location_desc", "meaning", "history", "romanized", "approving_authority", "approval_doc_no"):
        value = row[key]
        if len(value) > _MAX_TEXT or any(ord(ch) < 32 and ch not in "\n\t" for ch in value):
            out.append(f"{key} is over-long or contains control characters")
        elif re.search(r"<\s*/?\s*script|<[a-z][^>]*>", value, re.I):
            out.append(f"{key} contains markup")
    for key in ("approval_date", "announcement_date"):
        if row[key]:
            try:
                date.fromisoformat(row[key][:10])
            except ValueError:
                out.append(f"{key} {row[key]!r} is not a date (YYYY-MM-DD)")
    return out


def _current(session: Session, row: dict[str, Any]):
    m = _CODE.match(row["code"] or "")
    if m:
        return store.find(session, int(m.group(1)))
    return queries.find_by_name(session, row["name"], division_code=row["division_code"])


def _differences(pn, row: dict[str, Any]) -> dict[str, list[Any]]:
    changes = {}
    for key in COMPARED:
        new = row[key] or None
        old = getattr(pn, key)
        if key == "romanized" and new is None:
            continue
        if (old or None) != new:
            changes[key] = [old, new]
    shape = queries.shape_of(pn)
    is_point = shape is not None and shape.geom_type == "Point"  # lines and areas keep their geometry
    if is_point and (abs(shape.x - row["lon"]) > 1e-6 or abs(shape.y - row["lat"]) > 1e-6):
        changes["point"] = [[round(shape.x, 7), round(shape.y, 7)], [row["lon"], row["lat"]]]
    return changes


def _apply(session: Session, kind: str, row: dict[str, Any], target, *, actor: str) -> None:
    if kind == "new":
        pn = store.propose(session, actor=actor, name=row["name"], category_code=row["category_code"],
                           division_code=row["division_code"], geom=Point(row["lon"], row["lat"]),
                           romanized=row["romanized"] or None, romanized_reason=EXCHANGE_REASON,
                           meaning=row["meaning"] or None, history_text=row["history"] or None,
                           location_desc=row["location_desc"] or None, reason=EXCHANGE_REASON)  # fmt: skip
        if row["approving_authority"] and row["approval_doc_no"]:
            store.review(session, pn.id, actor=actor, reason=EXCHANGE_REASON)
            store.approve(session, pn.id, actor=actor, authority=row["approving_authority"],
                          document=row["approval_doc_no"], justification=EXCHANGE_REASON,
                          approval_date=_date(row["approval_date"]) or date.today())  # fmt: skip
            if row["announcement_date"]:
                store.announce(session, pn.id, actor=actor, announcement_date=_date(row["announcement_date"]))
        return
    if kind == "retire":
        store.retire(session, target.id, actor=actor, reason=EXCHANGE_REASON)
        return
    pn, changes = target
    if "name" in changes:
        usecases.rename(
            session,
            pn.id,
            actor=actor,
            new_name=row["name"],
            reason=EXCHANGE_REASON,
            justification=EXCHANGE_REASON,
        )
    fields = {
        k: row[k] or None for k in ("location_desc", "meaning", "history", "division_code") if k in changes
    }
    geom = Point(row["lon"], row["lat"]) if "point" in changes else None
    romanized = row["romanized"] if "romanized" in changes and "name" not in changes else None
    if fields or geom is not None or romanized:
        store.update(session, pn.id, actor=actor, reason=EXCHANGE_REASON, geom=geom, romanized=romanized,
                     romanized_reason=EXCHANGE_REASON if romanized else None, **fields)  # fmt: skip


def _date(text: str) -> date | None:
    return date.fromisoformat(text[:10]) if text else None


def _iso(value) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
