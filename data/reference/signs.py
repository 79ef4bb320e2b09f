"""Reference step 3: the city's ~34,000 place-name signs (street signs, plates, building/unit plates, village signs).

Synthetic (``source='synthetic'``) and deterministic from the seed. Street signs stand at every
intersection (one per street meeting there) and street end; house-number plates run along both
sides of every named urban street (odd left, even right, ascending from the street's start);
building and unit plates fill the urban communities up to the plan's 3.4万 signs; every village,
bridge and scenic spot with a standard name gets its sign. The text on a sign is its standard
name with the romanization in capitals (GB 17733) and the Mongolian form where the name has one,
except a small deterministic share with an old name, a typo or a wrong romanization.
"""

from __future__ import annotations

import random
from datetime import date
from datetime import timedelta

import geopandas as gpd
import numpy as np
import pandas as pd
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy.orm import Session

from boundaries.divisions import district_of
from boundaries.models import Division
from data.reference.base import record_bulk
from data.reference.signs_gen import building_sites
from data.reference.signs_gen import plate_sites
from data.reference.signs_gen import street_sign_sites
from gis.crs import METRIC_CRS
from gis.crs import STORAGE_CRS
from gis.crs import to_metric
from gis.errors import require_actor
from gis.models import SYNTHETIC
from placenames.models import FormerName
from placenames.models import PlaceName
from placenames.models import Sign
from placenames.romanize import romanize
from placenames.signs.audit import plated_streets
from placenames.signs.queries import divisions_frame
from placenames.signs.queries import roads_gdf

#: The plan's count of standard place-name signs (设置街路指示牌和门牌等标准地名标志3.4万个).
TARGET_SIGNS = 34_000
#: Share of house-number plates among all signs (the rest after street, village and other signs
#: are building and unit plates).
PLATE_SHARE = 0.52
#: Conditions and their shares.
CONDITIONS = (("good", 0.80), ("worn", 0.12), ("damaged", 0.05), ("missing", 0.03))
#: Share of signs whose text carries an error (old name, typo), and of wrong romanizations.
TEXT_ERROR_SHARE, ROMAN_ERROR_SHARE = 0.008, 0.006
#: Share of the signs of a renamed place still showing its former name.
OLD_NAME_SHARE = 0.4
MATERIALS = {
    "street": ("铝合金反光膜", "不锈钢烤漆", "搪瓷"),
    "house_number": ("铝板反光膜", "搪瓷", "不锈钢"),
    "building": ("铝板反光膜", "亚克力"),
    "unit": ("铝板反光膜", "亚克力"),
    "village": ("不锈钢烤漆", "石材"),
    "other": ("不锈钢烤漆", "铝合金反光膜"),
    "bridge": ("石材", "铜"),
    "scenic": ("石材", "防腐木"),
}
SIZES = {
    "street": "1200×400",
    "house_number": "300×200",
    "building": "500×400",
    "unit": "300×150",
    "village": "1800×600",
    "bridge": "800×400",
    "scenic": "1500×500",
    "other": "2000×600",
}
_TYPOS = {
    "勃": "渤",
    "湾": "弯",
    "华": "化",
    "民": "明",
    "海": "梅",
    "园": "圆",
    "泉": "全",
    "兴": "星",
    "光": "广",
    "山": "三",
    "河": "何",
    "新": "心",
    "东": "冬",
    "阳": "杨",
    "达": "大",
    "乌": "鸟",
    "林": "琳",
    "路": "道",
}


def load(session: Session, *, actor: str, rng_seed: int) -> dict[str, int]:
    """Write the reference signs (idempotent: nothing is written when they are already there).

    Returns
    -------
    dict
        ``signs``: synthetic signs present, ``written``: signs added this run.
    """
    require_actor(actor)
    present = _count(session)
    if present:
        return {"signs": present, "written": 0}
    roads = roads_gdf(session)
    if roads.empty:
        return {"signs": 0, "written": 0}
    rng = _Streams(rng_seed)
    places = _places(session)
    rows = _generate(session, roads, places, rng=rng)
    _apply_attributes(rows, places, streams=rng)
    records = _records(rows, actor=actor)
    for start in range(0, len(records), 5000):
        session.execute(insert(Sign), records[start : start + 5000])
    record_bulk(session, actor=actor, table="sign", rows=len(records), reason="load-reference: signs")
    session.flush()
    return {"signs": _count(session), "written": len(records)}


class _Streams:
    """One random stream per part of the layout, so that a change in one part (say, more villages
    from the names step) leaves the others as they were."""

    def __init__(self, seed: int) -> None:
        self.streets = random.Random(seed * 100 + 31)
        self.plates = random.Random(seed * 100 + 32)
        self.buildings = random.Random(seed * 100 + 33)
        self.named = random.Random(seed * 100 + 34)
        self.errors = random.Random(seed * 100 + 35)
        self.attributes = random.Random(seed * 100 + 36)


def _count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Sign).where(Sign.source == SYNTHETIC)) or 0


def _places(session: Session) -> pd.DataFrame:
    q = select(
        PlaceName.id,
        PlaceName.name,
        PlaceName.romanized,
        PlaceName.mongolian,
        PlaceName.category_code,
        PlaceName.division_code,
        func.ST_X(func.ST_Centroid(PlaceName.geom)),
        func.ST_Y(func.ST_Centroid(PlaceName.geom)),
    ).where(PlaceName.status != "retired")
    frame = pd.DataFrame(
        session.execute(q.order_by(PlaceName.id)).all(),
        columns=["id", "name", "romanized", "mongolian", "category", "division_code", "lon", "lat"],
    )
    former = dict(
        session.execute(select(FormerName.place_name_id, FormerName.name).order_by(FormerName.id)).all()
    )
    frame["former"] = frame["id"].map(former)
    return frame


def _generate(
    session: Session, roads: gpd.GeoDataFrame, places: pd.DataFrame, *, rng: _Streams
) -> pd.DataFrame:
    roads_m = to_metric(roads)
    streets = street_sign_sites(roads_m, rng=rng.streets).assign(kind="street")
    urban = roads_m[plated_streets(roads_m)]
    units = divisions_frame(session, levels=("community", "village", "town"))
    meta = _unit_meta(session)
    villages = _named_sites(units, places, meta, rng=rng.named)
    fixed = len(streets) + len(villages)
    plate_target = int(TARGET_SIGNS * PLATE_SHARE)
    urban_length = float(urban.geometry.length.sum())
    plates = plate_sites(urban, spacing_m=2 * urban_length / plate_target, rng=rng.plates).assign(
        kind="house_number"
    )
    communities = units[units["code"].map(meta["urban_rural"]) == "urban"]
    communities_m = to_metric(communities[communities.geometry.notna()]).reset_index(drop=True)
    weights = [float(meta["households"].get(c) or 1) for c in communities_m["code"]]
    buildings = building_sites(
        communities_m,
        count=max(0, TARGET_SIGNS - fixed - len(plates)),
        rng=rng.buildings,
        weights=weights,
        estates=_estates(places),
    )
    rows = pd.concat([streets, plates, buildings, villages], ignore_index=True)
    gdf = gpd.GeoDataFrame(rows, geometry=gpd.points_from_xy(rows["x"], rows["y"]), crs=METRIC_CRS).to_crs(
        STORAGE_CRS
    )
    rows["lon"], rows["lat"] = gdf.geometry.x.round(7), gdf.geometry.y.round(7)
    rows["division_code"] = _locate(gdf, units, rows)
    road_name = roads.drop_duplicates("street_key").set_index("street_key")["name"]
    names = rows["street_key"].map(road_name)
    names = names.where(rows["street_key"].notna(), rows.get("name", None))
    unit_names = rows["code"].map(meta["name"]).map(unit_place_name) if "code" in rows else None
    if "estate" in rows:
        unit_names = rows["estate"].where(rows["estate"].notna(), unit_names)
    rows["name"] = names.where(~rows["kind"].isin(("building", "unit")), unit_names)
    return rows


def unit_place_name(name: object) -> object:
    """The place name of a community or village from its committee's name (新地村委会 → 新地村)."""
    if not isinstance(name, str):
        return name
    for suffix, keep in (("村民委员会", "村"), ("村委会", "村"), ("居民委员会", ""), ("居委会", "")):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)] + (keep if not name[: -len(suffix)].endswith(keep) else "")
    return name


def _estates(places: pd.DataFrame) -> dict[str, list[tuple[str, float, float]]]:
    """Named residential estates (category 241) per community, located in EPSG:4545."""
    estates = places[places["category"].astype(str).str.startswith("241") & places["lon"].notna()]
    if estates.empty:
        return {}
    pts = gpd.GeoSeries(gpd.points_from_xy(estates["lon"], estates["lat"]), crs=STORAGE_CRS).to_crs(
        METRIC_CRS
    )
    out: dict[str, list[tuple[str, float, float]]] = {}
    for code, name, p in zip(estates["division_code"], estates["name"], pts, strict=True):
        if isinstance(code, str):
            out.setdefault(code, []).append((name, p.x, p.y))
    return out


def _unit_meta(session: Session) -> pd.DataFrame:
    q = select(Division.code, Division.urban_rural, Division.households, Division.name, Division.level).where(
        Division.in_wuhai.is_(True)
    )
    return pd.DataFrame(
        session.execute(q).all(), columns=["code", "urban_rural", "households", "name", "level"]
    ).set_index("code")


def _named_sites(
    units: gpd.GeoDataFrame, places: pd.DataFrame, meta: pd.DataFrame, *, rng: random.Random
) -> pd.DataFrame:
    """Village signs at every village and natural village; bridge and scenic signs at named spots."""
    rows = []
    villages = units[(units["code"].map(meta["level"]) == "village") & units.geometry.notna()]
    villages_m = to_metric(villages)
    for code, name, geom in zip(villages_m["code"], villages_m["name"], villages_m.geometry, strict=True):
        p = geom.representative_point()
        rows.append(
            {
                "kind": "village",
                "x": p.x,
                "y": p.y,
                "name": unit_place_name(name),
                "code": code,
                "facing_deg": 0.0,
            }
        )
    towns_m = to_metric(units[(units["code"].map(meta["level"]) == "town") & units.geometry.notna()])
    for code, name, geom in zip(towns_m["code"], towns_m["name"], towns_m.geometry, strict=True):
        p = geom.representative_point()  # the town's name sign (乡镇街道标志) at its office
        rows.append({"kind": "other", "x": p.x, "y": p.y, "name": name, "code": code, "facing_deg": 180.0})
    spots = places[
        places["category"].astype(str).str[:3].isin(("242", "254", "272", "273", "274"))
        & places["lon"].notna()
    ]
    if not spots.empty:
        pts = gpd.GeoSeries(gpd.points_from_xy(spots["lon"], spots["lat"]), crs=STORAGE_CRS).to_crs(
            METRIC_CRS
        )
        kinds = (
            spots["category"].astype(str).str[:3].map({"242": "village", "254": "bridge"}).fillna("scenic")
        )
        for kind, name, p in zip(kinds, spots["name"], pts, strict=True):
            rows.append(
                {
                    "kind": kind,
                    "x": p.x + rng.uniform(-15, 15),
                    "y": p.y + rng.uniform(-15, 15),
                    "name": name,
                    "facing_deg": round(rng.uniform(0, 360), 1),
                }
            )
    return pd.DataFrame(rows)


def _locate(points: gpd.GeoDataFrame, units: gpd.GeoDataFrame, rows: pd.DataFrame) -> pd.Series:
    """The finest division containing each sign; street signs and plates stay in their street's district."""
    finest = units.assign(rank=units["code"].str[9:].ne("000").astype(int)).sort_values(
        "rank", ascending=False
    )
    joined = points[["geometry"]].sjoin(finest[["code", "rank", "geometry"]], predicate="within", how="left")
    joined = joined.sort_values("rank", ascending=False)
    code = joined[~joined.index.duplicated(keep="first")]["code"].reindex(points.index)
    if "code" in rows:
        code = rows["code"].where(rows["code"].notna(), code)
    district = rows["street_key"].str[:12]
    wrong = district.notna() & (code.map(district_of) != district)
    return code.where(~wrong, district)


def _apply_attributes(rows: pd.DataFrame, places: pd.DataFrame, *, streams: _Streams) -> None:
    """Link each sign to its standard name and write its face text, condition, dates and material."""
    by_key = {}
    for pid, name, code, cat in zip(
        places["id"], places["name"], places["division_code"], places["category"], strict=True
    ):
        by_key.setdefault((name, district_of(code) if code else None), pid)
        by_key.setdefault((name, None), pid)
        if str(cat).startswith(("221", "222")) and code:
            by_key.setdefault((name, code), pid)
    info = places.set_index("id")
    std_name = dict(zip(places["id"], places["name"], strict=True))
    std_roman = dict(zip(places["id"], places["romanized"], strict=True))
    std_mongolian = dict(zip(places["id"], places["mongolian"], strict=True))
    linked: list[int | None] = []
    for name, code in zip(rows["name"], rows["division_code"], strict=True):
        pid = None
        if isinstance(name, str):
            pid = (
                by_key.get((name, code)) or by_key.get((name, district_of(code))) or by_key.get((name, None))
            )
        linked.append(pid)
    rows["place_name_id"] = pd.array(linked, dtype="Int64")
    caps = _Caps()
    text, roman, mongolian = [], [], []
    for pid, name in zip(linked, rows["name"], strict=True):
        shown = std_name[pid] if pid is not None else (name if isinstance(name, str) else None)
        text.append(shown)
        stored = std_roman.get(pid) if pid is not None else None
        roman.append(stored.upper() if isinstance(stored, str) else caps(shown))
        value = std_mongolian.get(pid) if pid is not None else None
        mongolian.append(value if isinstance(value, str) else None)
    rows["text_zh"], rows["text_romanized"], rows["text_mongolian"] = text, roman, mongolian
    _inject_errors(rows, info, rng=streams.errors)
    rng = streams.attributes
    n = len(rows)
    states, shares = zip(*CONDITIONS, strict=True)
    rows["condition"] = rng.choices(states, weights=shares, k=n)
    first = date(2015, 4, 1)
    rows["install_date"] = [first + timedelta(days=int(rng.triangular(0, 3400, 900))) for _ in range(n)]
    rows["last_inspected"] = [date(2025, 3, 1) + timedelta(days=rng.randrange(0, 240)) for _ in range(n)]
    rows["material"] = [rng.choice(MATERIALS[k]) for k in rows["kind"]]
    rows["size"] = rows["kind"].map(SIZES)
    rows["installer"] = rows["division_code"].map(lambda c: _INSTALLERS.get(str(c)[:6], "乌海市民政局"))
    rows["side"] = rows["side"].where(rows["kind"] == "house_number") if "side" in rows else None


_INSTALLERS = {"150302": "海勃湾区民政局", "150303": "海南区民政局", "150304": "乌达区民政局"}


class _Caps(dict):
    """Romanization in capitals (as on signs), memoised per name."""

    def __call__(self, text: str | None) -> str | None:
        if not isinstance(text, str):
            return None
        if text not in self:
            self[text] = romanize(text, caps=True)
        return self[text]


def _inject_errors(rows: pd.DataFrame, info: pd.DataFrame, *, rng: random.Random) -> None:
    """Old names on some signs of renamed places, typos and wrong romanizations on a few others."""
    former = info["former"].dropna().to_dict()
    linked = rows["place_name_id"].to_numpy(dtype=object)
    for i, pid in enumerate(linked):
        if pid is not pd.NA and pid in former and rng.random() < OLD_NAME_SHARE:
            rows.at[i, "text_zh"] = former[pid]
            rows.at[i, "text_romanized"] = romanize(former[pid], caps=True)
    named = np.flatnonzero(
        rows["place_name_id"].notna().to_numpy() & (rows["text_zh"] == rows["name"]).to_numpy()
    )
    if len(named) < 10:
        return
    picks = rng.sample(list(named), k=int(len(rows) * (TEXT_ERROR_SHARE + ROMAN_ERROR_SHARE)))
    cut = int(len(rows) * TEXT_ERROR_SHARE)
    for i in picks[:cut]:
        text = rows.at[i, "text_zh"]
        swaps = [j for j, ch in enumerate(text) if ch in _TYPOS]
        if swaps:
            j = rng.choice(swaps)
            rows.at[i, "text_zh"] = text[:j] + _TYPOS[text[j]] + text[j + 1 :]
    for i in picks[cut:]:
        roman = rows.at[i, "text_romanized"]
        if isinstance(roman, str) and " " in roman:
            rows.at[i, "text_romanized"] = (
                roman.replace(" ", "", 1) if rng.random() < 0.5 else _misspell(roman, rng)
            )


def _misspell(roman: str, rng: random.Random) -> str:
    for a, b in (("ZH", "J"), ("X", "HS"), ("Q", "CH"), ("U", "OO"), ("E", "A")):
        if a in roman:
            return roman.replace(a, b, 1)
    return roman + "G"


def _records(rows: pd.DataFrame, *, actor: str) -> list[dict]:
    records = []
    counters: dict[tuple[str, str], int] = {}
    letters = {
        "street": "J",
        "house_number": "M",
        "building": "L",
        "unit": "D",
        "village": "C",
        "bridge": "Q",
        "scenic": "F",
        "other": "X",
    }
    for r in rows.astype(object).itertuples(index=False):
        district = str(r.division_code)[:6] if isinstance(r.division_code, str) else "150300"
        seq = counters[(district, r.kind)] = counters.get((district, r.kind), 0) + 1
        records.append(
            {
                "code": f"WH{district}{letters[r.kind]}{seq:06d}",
                "kind": r.kind,
                "place_name_id": None if pd.isna(r.place_name_id) else int(r.place_name_id),
                "text_zh": r.text_zh,
                "text_romanized": r.text_romanized,
                "text_mongolian": _none(r.text_mongolian),
                "house_number": _none(r.house_number),
                "side": _none(r.side),
                "facing_deg": float(r.facing_deg),
                "material": r.material,
                "size": r.size,
                "installer": r.installer,
                "install_date": r.install_date,
                "condition": r.condition,
                "last_inspected": r.last_inspected,
                "photos": [],
                "division_code": _none(r.division_code),
                "source": SYNTHETIC,
                "author": actor,
                "geom": f"SRID=4490;POINT({r.lon!r} {r.lat!r})",
            }
        )
    return records


def _none(value):
    return (
        None if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA else value
    )
