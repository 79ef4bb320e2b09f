"""Sign statistics per district and town: counts by kind and condition, and a map layer (pure)."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from placenames.models import SIGN_CONDITIONS
from placenames.models import SIGN_KINDS


def sign_statistics(signs: pd.DataFrame, divisions: pd.DataFrame) -> pd.DataFrame:
    """Signs counted per district and per town, by kind and by condition.

    Parameters
    ----------
    signs
        Columns ``division_code`` (12 digits, any level below the city), ``kind``, ``condition``.
    divisions
        Columns ``code``, ``name``, ``level`` ('district' / 'town') naming the rows.

    Returns
    -------
    pandas.DataFrame
        One row per district and town that has signs or is listed: ``level``, ``code``, ``name``,
        ``total``, ``kind_<kind>`` and ``condition_<condition>`` columns (zeros included).
    """
    codes = signs["division_code"].fillna("").astype(str)
    frames = []
    for level, width in (("district", 6), ("town", 9)):
        unit = codes.str[:width].str.ljust(12, "0")
        if level == "town":
            unit = unit.where(codes.str[6:9] != "000")
        frame = pd.DataFrame(
            {"code": unit, "kind": signs["kind"].to_numpy(), "condition": signs["condition"].to_numpy()}
        )
        frame = frame[frame["code"].notna() & (frame["code"].str.len() == 12)]
        kinds = pd.crosstab(frame["code"], frame["kind"]).reindex(columns=list(SIGN_KINDS), fill_value=0)
        conditions = pd.crosstab(frame["code"], frame["condition"]).reindex(
            columns=list(SIGN_CONDITIONS), fill_value=0
        )
        table = pd.concat([kinds.add_prefix("kind_"), conditions.add_prefix("condition_")], axis=1)
        listed = divisions.loc[divisions["level"] == level, "code"]
        table = table.reindex(table.index.union(pd.Index(listed)), fill_value=0)
        table.insert(0, "total", kinds.sum(axis=1).reindex(table.index, fill_value=0))
        table.insert(0, "level", level)
        frames.append(table)
    out = pd.concat(frames).rename_axis("code").reset_index()
    names = divisions.set_index("code")["name"]
    out.insert(2, "name", out["code"].map(names))
    return out.sort_values(["level", "code"], ignore_index=True)


def statistics_layer(
    stats: pd.DataFrame, divisions: gpd.GeoDataFrame, *, level: str = "town"
) -> gpd.GeoDataFrame:
    """Division polygons of ``level`` joined with their sign counts (a choropleth layer)."""
    polygons = divisions.loc[divisions["level"] == level, ["code", "geometry"]]
    rows = stats[stats["level"] == level]
    merged = polygons.merge(rows, on="code", how="left")
    counts = [c for c in merged.columns if c == "total" or c.startswith(("kind_", "condition_"))]
    merged[counts] = merged[counts].fillna(0).astype("int64")
    merged["share_bad"] = (
        (merged["condition_damaged"] + merged["condition_missing"])
        / merged["total"].where(merged["total"] > 0)
    ).round(4)
    return gpd.GeoDataFrame(merged, geometry="geometry", crs=divisions.crs)
