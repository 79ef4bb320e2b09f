"""Audit of place-name signs against the standard names, the street network and the numbering rule (pure)."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Callable
from collections.abc import Iterable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gis.crs import METRIC_CRS
from gis.crs import require_crs
from gis.crs import to_metric
from gis.errors import InvalidInput
from placenames.mongolian import same_form
from placenames.signs.numbering import NumberingRule
from placenames.signs.numbering import locate_on_lines
from placenames.signs.numbering import street_lines
from placenames.signs.validation import MAX_STREET_DISTANCE_M

#: Columns of every findings table.
FINDING_COLUMNS = [
    "kind",
    "severity",
    "sign_id",
    "street_key",
    "expected",
    "actual",
    "difference",
    "detail",
    "geometry",
]
#: How urgent each kind of finding is: a sign that misleads (wrong or old text, a wrong or doubled
#: number, a plate on a street the network lacks, a missing sign) is an ``error`` to correct; the
#: rest are ``warning``s to plan for (incomplete bilingual lines, coverage, numbering gaps).
FINDING_SEVERITY = {
    "sign_missing": "error",
    "wrong_text": "error",
    "old_name": "error",
    "unknown_street": "error",
    "bad_number": "error",
    "duplicate_number": "error",
    "wrong_side": "error",
    "wrong_romanization": "warning",
    "missing_mongolian": "warning",
    "wrong_mongolian": "warning",
    "far_from_street": "warning",
    "number_gap": "warning",
    "out_of_order": "warning",
    "intersection_without_sign": "warning",
    "street_end_without_sign": "warning",
    "street_without_plates": "warning",
}
#: Every finding kind, and the severities from the most urgent.
FINDING_KINDS = tuple(FINDING_SEVERITY)
SEVERITIES = ("error", "warning")
#: The findings' fixed explanations (the others say a distance or the missing numbers).
DETAILS = (
    "the standard name has a Mongolian form; the sign lacks the Mongolian line",
    "no house-number plate on this street",
    "street not in the road network",
    "not a house-number pattern",
    "number used more than once",
    "odd/even number on the wrong side of the street",
    "lower than a number before it on this side",
    "sign recorded as missing",
)
#: Road classes that carry house numbers.
URBAN_CLASSES = ("primary", "secondary", "street", "lane")
#: Generic parts of the city streets that carry house numbers (not highways or bridges).
PLATED_GENERICS = ("路", "街", "大街", "大道", "巷", "里", "弄")


def plated_streets(roads: pd.DataFrame, *, urban_classes: tuple[str, ...] = URBAN_CLASSES) -> pd.Series:
    """Rows of ``roads`` (``name``, ``road_class``) that are urban streets carrying house numbers."""
    names = roads["name"].fillna("")
    return roads["road_class"].isin(urban_classes) & names.str.endswith(PLATED_GENERICS)


_NUMBER_RE = r"^(?P<base>[1-9]\d{0,4})(?:(?:-|附)(?P<sub>[1-9]\d{0,2}))?号?$"


def normalise_romanization(text: str | None) -> str | None:
    """Compare romanizations case-blind and spacing-blind at the edges (``Renmin Lu`` == ``RENMIN LU``)."""
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return None
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", str(text))).strip().upper()


def describe_difference(expected: str, actual: str) -> str:
    """A compact character-level difference: ``人民[路→街]``, ``[+新]华``, ``海[勃→渤]湾``."""
    out = []
    for op, a0, a1, b0, b1 in difflib.SequenceMatcher(None, expected, actual, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(expected[a0:a1])
        elif op == "replace":
            out.append(f"[{expected[a0:a1]}→{actual[b0:b1]}]")
        elif op == "delete":
            out.append(f"[-{expected[a0:a1]}]")
        else:
            out.append(f"[+{actual[b0:b1]}]")
    return "".join(out)


def text_findings(
    signs: gpd.GeoDataFrame,
    names: pd.DataFrame,
    former: pd.DataFrame | None = None,
    *,
    romanize: Callable[[str], str] | None = None,
) -> gpd.GeoDataFrame:
    """Signs whose text differs from their standard name, its romanization or Mongolian form.

    Parameters
    ----------
    signs
        Columns ``id``, ``place_name_id``, ``text_zh``, ``text_romanized``, ``text_mongolian``.
    names
        Current standard names: ``id``, ``name``, ``romanized``, ``mongolian``.
    former
        Former names: ``place_name_id``, ``name`` (a sign showing one is an ``old_name`` finding).
    romanize
        Romanizes a name whose standard romanization is not stored.

    Returns
    -------
    geopandas.GeoDataFrame
        Findings (``FINDING_COLUMNS``) of kinds ``old_name``, ``wrong_text``,
        ``wrong_romanization``, ``missing_mongolian`` (the name has a Mongolian form the sign
        lacks) and ``wrong_mongolian`` (the sign's Mongolian differs from the name's).
    """
    linked = signs[signs["place_name_id"].notna()].copy()
    linked["place_name_id"] = linked["place_name_id"].astype("int64")
    ref = names.rename(
        columns={
            "id": "place_name_id",
            "name": "std_name",
            "romanized": "std_romanized",
            "mongolian": "std_mongolian",
        }
    )
    ref = ref[["place_name_id", "std_name", "std_romanized", "std_mongolian"]].copy()
    if romanize is not None:
        missing = ref["std_romanized"].isna()
        ref.loc[missing, "std_romanized"] = [romanize(n) for n in ref.loc[missing, "std_name"]]
    df = linked.merge(ref, on="place_name_id", how="inner")
    findings = []
    zh_diff = df["text_zh"].notna() & (df["text_zh"] != df["std_name"])
    old = pd.Series(False, index=df.index)
    if former is not None and not former.empty:
        pairs = set(zip(former["place_name_id"].astype("int64"), former["name"], strict=True))
        old = pd.Series(
            [(p, t) in pairs for p, t in zip(df["place_name_id"], df["text_zh"], strict=True)], index=df.index
        )
    for kind, mask in (("old_name", zh_diff & old), ("wrong_text", zh_diff & ~old)):
        part = df[mask]
        findings.append(_findings(part, kind, part["std_name"], part["text_zh"]))
    roman_expected = df["std_romanized"].map(normalise_romanization)
    roman_actual = df["text_romanized"].map(normalise_romanization)
    mask = roman_expected.notna() & roman_actual.notna() & (roman_expected != roman_actual) & ~zh_diff
    part = df[mask]
    findings.append(_findings(part, "wrong_romanization", roman_expected[mask], roman_actual[mask]))
    std_mn = df["std_mongolian"].where(df["std_mongolian"].fillna("").str.strip() != "")
    sign_mn = df["text_mongolian"].where(df["text_mongolian"].fillna("").str.strip() != "")
    differs = pd.Series(
        [not same_form(a, b) for a, b in zip(std_mn.fillna(""), sign_mn.fillna(""), strict=True)],
        index=df.index,
        dtype=bool,
    )
    part = df[std_mn.notna() & sign_mn.isna() & ~zh_diff]
    findings.append(
        _findings(
            part,
            "missing_mongolian",
            part["std_mongolian"],
            pd.Series("", index=part.index),
            detail="the standard name has a Mongolian form; the sign lacks the Mongolian line",
        )
    )
    part = df[std_mn.notna() & sign_mn.notna() & differs & ~zh_diff]
    findings.append(_findings(part, "wrong_mongolian", part["std_mongolian"], part["text_mongolian"]))
    return _concat(findings, signs.crs)


def signs_showing(signs: gpd.GeoDataFrame, *, place_name_id: int, texts: Iterable[str]) -> gpd.GeoDataFrame:
    """Signs of a place (by link, or unlinked by text) still showing one of ``texts`` (e.g. the old name)."""
    texts = set(texts)
    linked = signs["place_name_id"] == place_name_id
    unlinked = signs["place_name_id"].isna()
    return signs[(linked | unlinked) & signs["text_zh"].isin(texts)]


def intersection_findings(
    roads: gpd.GeoDataFrame, signs: gpd.GeoDataFrame, *, radius_m: float = 30.0
) -> gpd.GeoDataFrame:
    """Street intersections and street ends lacking a street sign for one of their streets.

    ``roads`` carry ``street_key``; ``signs`` are street signs with ``street_key`` and ``id``.
    A node needs, within ``radius_m``, a street sign of every named street meeting there
    (intersections) or of its street (street ends). One finding per node, naming what is missing.
    """
    require_crs(roads, name="roads")
    roads_m = to_metric(roads[roads["street_key"].notna()])
    geoms = roads_m.geometry.values
    keys = roads_m["street_key"].to_numpy()
    ends = np.concatenate([shapely.get_point(geoms, 0), shapely.get_point(geoms, -1)])
    nodes = pd.DataFrame(
        {
            "street_key": np.concatenate([keys, keys]),
            "x": np.round(shapely.get_x(ends), 1),
            "y": np.round(shapely.get_y(ends), 1),
        }
    )
    nodes["node"] = nodes["x"].astype(str) + "," + nodes["y"].astype(str)
    degree = nodes.groupby("node").size()
    streets_at = nodes.groupby("node")["street_key"].nunique()
    kind_of = pd.Series(np.where(streets_at >= 2, "intersection_without_sign", ""), index=streets_at.index)
    kind_of[(degree == 1) & (streets_at == 1)] = "street_end_without_sign"
    need = (
        nodes[nodes["node"].map(kind_of) != ""].drop_duplicates(["node", "street_key"]).reset_index(drop=True)
    )
    need_gdf = gpd.GeoDataFrame(need, geometry=gpd.points_from_xy(need["x"], need["y"]), crs=METRIC_CRS)
    street_signs = to_metric(signs[signs["street_key"].notna()])[["id", "street_key", "geometry"]]
    joined = need_gdf.sjoin(
        street_signs.rename(columns={"street_key": "sign_street"}),
        predicate="dwithin",
        distance=radius_m,
        how="left",
    )
    covered = joined[joined["sign_street"] == joined["street_key"]].groupby(level=0).size()
    missing = need_gdf[~need_gdf.index.isin(covered.index)]
    if missing.empty:
        return _concat([], roads.crs)
    grouped = missing.groupby("node").agg(
        street_key=("street_key", lambda s: "|".join(sorted(s))), x=("x", "first"), y=("y", "first")
    )
    grouped["kind"] = grouped.index.map(kind_of)
    out = gpd.GeoDataFrame(
        grouped.reset_index(drop=True),
        geometry=gpd.points_from_xy(grouped["x"], grouped["y"]),
        crs=METRIC_CRS,
    ).to_crs(roads.crs)
    out["detail"] = f"no street sign within {radius_m:.0f} m for: " + out["street_key"].str.replace(
        r"[^|]*:", "", regex=True
    ).str.replace("|", "、")
    return _normalise(out)


def plate_findings(
    roads: gpd.GeoDataFrame,
    plates: gpd.GeoDataFrame,
    *,
    rule: NumberingRule | None = None,
    max_gap: int = 2,
    max_distance_m: float = MAX_STREET_DISTANCE_M,
    urban_classes: tuple[str, ...] = URBAN_CLASSES,
    lines: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """House-number plates checked along their streets.

    Finding kinds: ``street_without_plates`` (a named urban street with none), ``bad_number``,
    ``duplicate_number``, ``wrong_side`` (parity against the rule's side), ``out_of_order``
    (a number lower than one before it on its side, in the numbering direction), ``number_gap``
    (consecutive numbers on a side more than ``max_gap`` apart), ``far_from_street`` and
    ``unknown_street`` (a plate whose street has no centre line).
    """
    rule = rule or NumberingRule()
    require_crs(plates, name="plates")
    if lines is None:
        lines = street_lines(to_metric(roads), rule=rule)  # reprojected once, not street by street
    findings = []
    urban = roads.loc[plated_streets(roads, urban_classes=urban_classes), "street_key"].dropna().unique()
    bare = lines[lines["street_key"].isin(urban) & ~lines["street_key"].isin(plates["street_key"])]
    bare = bare.assign(
        kind="street_without_plates",
        detail="no house-number plate on this street",
        geometry=bare.geometry.interpolate(0.5, normalized=True),
    )
    findings.append(
        _normalise(gpd.GeoDataFrame(bare, geometry="geometry", crs=METRIC_CRS).to_crs(plates.crs))
    )
    df = to_metric(plates).merge(
        lines[["street_key", "geometry"]].rename(columns={"geometry": "line"}), on="street_key", how="left"
    )
    unknown = df[df["line"].isna()]
    findings.append(
        _findings(
            unknown, "unknown_street", None, unknown["street_key"], detail="street not in the road network"
        )
    )
    df = df[df["line"].notna()].copy()
    parsed = df["house_number"].astype("string").str.extract(_NUMBER_RE)
    bad = df[parsed["base"].isna()]
    findings.append(
        _findings(bad, "bad_number", None, bad["house_number"], detail="not a house-number pattern")
    )
    df = df[parsed["base"].notna()].copy()
    df["base"] = pd.to_numeric(parsed.loc[df.index, "base"]).astype("int64")
    df["sub"] = pd.to_numeric(parsed.loc[df.index, "sub"]).fillna(0).astype("int64")
    pos, side, offset = locate_on_lines(
        np.asarray(df["line"].values, dtype=object), np.asarray(df.geometry.values)
    )
    df["position_m"], df["geo_side"], df["offset_m"] = pos, side, offset
    far = df[df["offset_m"] > max_distance_m]
    findings.append(
        _findings(
            far,
            "far_from_street",
            None,
            far["house_number"],
            detail=far["offset_m"].map(lambda d: f"{d:.0f} m from the street it names"),
        )
    )
    df["number"] = df["base"].astype(str) + np.where(df["sub"] > 0, "-" + df["sub"].astype(str), "")
    dup = df[df.duplicated(["street_key", "number"], keep=False)]
    findings.append(
        _findings(dup, "duplicate_number", None, dup["house_number"], detail="number used more than once")
    )
    odd = df["base"] % 2 == 1
    even_side = "right" if rule.odd_side == "left" else "left"
    df["rule_side"] = np.where(odd, rule.odd_side, even_side)
    wrong = df[df["rule_side"] != df["geo_side"]]
    findings.append(
        _findings(
            wrong,
            "wrong_side",
            wrong["rule_side"],
            wrong["geo_side"],
            detail="odd/even number on the wrong side of the street",
        )
    )
    df = df.sort_values(["street_key", "rule_side", "position_m"], kind="stable")
    seq = df["base"] * 1000 + df["sub"]
    before = (
        seq.groupby([df["street_key"], df["rule_side"]])
        .cummax()
        .groupby([df["street_key"], df["rule_side"]])
        .shift()
    )
    disorder = df[before.notna() & (seq < before)]
    findings.append(
        _findings(
            disorder,
            "out_of_order",
            None,
            disorder["house_number"],
            detail="lower than a number before it on this side",
        )
    )
    findings.append(_gaps(df, max_gap))
    return _concat(findings, plates.crs)


def missing_signs(signs: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Signs recorded with condition 'missing' (lost, to be replaced)."""
    part = signs[signs["condition"] == "missing"]
    return _concat(
        [_findings(part, "sign_missing", None, part["kind"], detail="sign recorded as missing")], signs.crs
    )


def findings_by_kind(findings: gpd.GeoDataFrame) -> dict[str, list[dict]]:
    """Findings as ``{kind: [finding, ...]}`` with lon/lat instead of geometry (JSON-ready)."""
    if findings.empty:
        return {}
    pts = findings.geometry
    table = pd.DataFrame(findings.drop(columns="geometry"))
    table["lon"] = np.round(pts.x, 7)
    table["lat"] = np.round(pts.y, 7)
    table = table.astype(object).where(table.notna(), None)
    return {
        kind: group.drop(columns="kind").to_dict("records")
        for kind, group in table.groupby("kind", sort=True)
    }


def filter_findings(
    findings: gpd.GeoDataFrame, *, kind: str | None = None, severity: str | None = None
) -> gpd.GeoDataFrame:
    """Findings of one ``kind`` and/or one ``severity`` (``None`` or empty: all), index renumbered.

    An unknown kind or severity is refused (``InvalidInput`` naming the field), so a typing
    mistake never reads as "no findings".
    """
    if kind and kind not in FINDING_SEVERITY:
        raise InvalidInput(
            f"unknown finding kind {str(kind)[:40]!r}; one of {', '.join(FINDING_KINDS)}", field="kind"
        )
    if severity and severity not in SEVERITIES:
        raise InvalidInput(
            f"unknown severity {str(severity)[:20]!r}; one of {', '.join(SEVERITIES)}", field="severity"
        )
    keep = pd.Series(True, index=findings.index)
    if kind:
        keep &= findings["kind"] == kind
    if severity:
        keep &= findings["severity"] == severity
    return findings[keep].reset_index(drop=True)


def _gaps(df: pd.DataFrame, max_gap: int) -> gpd.GeoDataFrame:
    bases = df[["street_key", "rule_side", "base", "geometry"]].drop_duplicates(
        ["street_key", "rule_side", "base"]
    )
    bases = bases.sort_values(["street_key", "rule_side", "base"])
    prev = bases.groupby(["street_key", "rule_side"])["base"].shift()
    gap = bases[prev.notna() & (bases["base"] - prev > max_gap)].copy()
    low = prev[gap.index].astype("int64")
    gap["detail"] = [
        "missing "
        + ", ".join(str(n) for n in range(lo + 2, hi, 2)[:10])
        + (" …" if (hi - lo) // 2 > 11 else "")
        for lo, hi in zip(low, gap["base"], strict=True)
    ]
    gap["sign_id"] = None
    return _findings(gap, "number_gap", low.astype(str), gap["base"].astype(str), detail=gap["detail"])


def _findings(part: pd.DataFrame, kind: str, expected, actual, *, detail=None) -> gpd.GeoDataFrame:
    out = pd.DataFrame(index=part.index)
    out["kind"] = kind
    out["severity"] = FINDING_SEVERITY[kind]
    out["sign_id"] = part.get("id", None)
    out["street_key"] = part.get("street_key", None)
    out["expected"] = expected
    out["actual"] = actual
    if expected is not None and len(part):
        out["difference"] = [
            describe_difference(str(e), str(a)) for e, a in zip(out["expected"], out["actual"], strict=True)
        ]
    else:
        out["difference"] = None
    out["detail"] = detail
    return gpd.GeoDataFrame(
        out, geometry=part.geometry.values if len(part) else [], crs=getattr(part, "crs", None)
    )


def _normalise(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    gdf["severity"] = gdf["kind"].map(FINDING_SEVERITY)
    for column in FINDING_COLUMNS:
        if column not in gdf:
            gdf[column] = None
    return gdf[FINDING_COLUMNS]


def _concat(parts: list[gpd.GeoDataFrame], crs) -> gpd.GeoDataFrame:
    frames = []
    for part in parts:
        if part.empty:
            continue
        part = _normalise(part)
        frames.append(part.to_crs(crs) if part.crs is not None and crs is not None else part)
    if not frames:
        return gpd.GeoDataFrame({c: [] for c in FINDING_COLUMNS[:-1]}, geometry=[], crs=crs)
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=crs)
