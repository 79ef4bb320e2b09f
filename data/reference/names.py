"""Reference step 2: the standard place names of Wuhai (3611 in all).

Real: the city, its 3 districts, 22 township units and 87 community/village units (names and
codes from the NBS 2023 codes, geometries from step 1) and every named street of the step-1
network (one name per street and district, its line the union of its segments). Synthetic,
placed plausibly and marked ``source='synthetic'``: the natural features (黄河, 乌海湖,
甘德尔山, 桌子山, 千里山 …, real names at approximate positions), residential areas,
buildings, bridges, parks, squares, schools, units, natural villages. Approval data are
synthetic throughout. Most names are announced; some are still in the procedure, a few
retired; former names (卡布其街道 → 林荫街道, 海勃湾市 → 海勃湾区 …) and aliases are recorded.
"""

from __future__ import annotations

import random
from datetime import date
from datetime import timedelta

import shapely
import shapely.ops
from geoalchemy2.shape import to_shape
from shapely.geometry import LineString
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy.orm import Session

from boundaries.models import Division
from data.reference.base import record_bulk
from data.reference.base import wkt
from gis.errors import require_actor
from gis.models import SYNTHETIC
from gis.models import RoadSegment
from placenames.models import FormerName
from placenames.models import NameEvent
from placenames.models import PlaceName
from placenames.romanize import initials
from placenames.romanize import pinyin_key
from placenames.romanize import romanize
from placenames.romanize import split_name

#: Names written by this step.
TOTAL = 3611
#: ``source`` of real division names (their approval data are synthetic).
DIVISION_SOURCE = "nbs2023"
REFERENCE_SOURCES = frozenset({DIVISION_SOURCE, SYNTHETIC})

_CITY = "150300000000"
HBW, HN, WD = "150302000000", "150303000000", "150304000000"
_GOOD = "金银华锦富嘉瑞祥和泰康宁安盛鑫隆兴昌源丰德福顺达通宏博汇邦恒信诚裕润泽辉景怡悦馨雅颐欣美新明远天海阳光春秋"
_SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
#: (category, generics, count, where): counts of the synthetic kinds; buildings fill up to TOTAL.
_KINDS = (
    ("241", ("小区", "花园", "家园", "佳苑", "苑", "园", "新村", "公寓"), 900, "urban"),
    ("292", ("小学", "中学", "医院", "学校", "幼儿园"), 300, "urban"),
    ("293", ("公司", "煤矿", "厂"), 260, "any"),
    ("291", ("办事处", "委员会"), 40, "urban"),
    ("254", ("桥", "大桥"), 80, "road"),
    ("272", ("公园", "游园"), 60, "urban"),
    ("282", ("广场",), 40, "urban"),
    ("283", ("体育馆", "体育场"), 12, "urban"),
    ("256", ("客运站", "汽车站"), 12, "urban"),
    ("242", ("家营子", "家圪旦", "家湾", "家滩", "家庄"), 120, "rural"),
    ("134", ("沟",), 60, "mountain"),
    ("131", ("山", "梁", "岭"), 40, "mountain"),
    ("261", ("水库", "泵站", "干渠"), 20, "rural"),
)
#: Real natural features and landmarks: name, category, (lon, lat) or 'river'/'lake', aliases, meaning.
_LANDMARKS = (
    ("黄河", "121", "river", [], "中国第二长河，自南向北流经乌海市，为乌达区与海勃湾区、海南区的界河。"),
    ("乌海湖", "122", "lake", ["乌海湖水库"], "黄河海勃湾水利枢纽建成蓄水后形成的人工湖，以所在城市命名。"),
    ("甘德尔山", "131", (106.905, 39.745), ["岗德尔山"], "蒙古语地名，山体位于海勃湾区东部。"),
    ("桌子山", "131", (107.02, 39.47), [], "山顶平坦如桌，故名。"),
    ("千里山", "131", (106.93, 39.86), [], "山脉绵延，位于海勃湾区北部千里山镇境内。"),
    ("五虎山", "131", (106.66, 39.52), [], "五座山峰形似卧虎，故名。"),
    ("海勃湾水利枢纽", "261", (106.79, 39.58), [], "黄河干流上的水利枢纽工程，以所在地海勃湾命名。"),
    ("金沙湾", "273", (106.80, 39.72), [], "乌海湖畔的沙滩景区。"),
    ("龙游湾湿地", "125", (106.77, 39.62), [], "黄河湿地，以河湾形似游龙得名。"),
    ("召烧沟岩画", "274", (107.01, 39.52), [], "桌子山召烧沟内的古代岩画群。"),
    ("满巴拉僧庙", "274", (106.93, 39.40), [], "藏传佛教寺庙，拉僧庙镇因之得名。"),
    ("乌海湖大桥", "254", (106.815, 39.70), [], "跨乌海湖连接海勃湾区与乌达区的大桥。"),
    ("乌达黄河大桥", "254", (106.775, 39.52), [], "连接乌达区与海南区的黄河大桥。"),
    ("乌兰布和沙漠", "132", (106.64, 39.62), [], "蒙古语意为红色公牛，沙漠东缘在乌达区西部。"),
)
#: Former names of real units: current name → (former name, valid to, document).
_FORMER = {
    "林荫街道": ("卡布其街道", date(2010, 6, 1), "内政字〔2010〕118号"),
    "海勃湾区": ("海勃湾市", date(1976, 1, 21), "国务院〔1975〕155号"),
    "乌达区": ("乌达市", date(1976, 1, 21), "国务院〔1975〕155号"),
}
_MEANING = {
    "乌海市": "1976年乌达、海勃湾两市合并，各取首字得名。",
    "海勃湾区": "蒙古语地名，以原海勃湾市得名。",
    "乌达区": "以原乌达市得名。",
    "海南区": "位于海勃湾以南，故名。",
}


def load(session: Session, *, actor: str, rng_seed: int) -> dict[str, int]:
    """Write the reference place names once (idempotent: present names are left alone).

    Returns
    -------
    dict
        ``place_names`` (reference names present), ``former_names`` and ``written``.
    """
    require_actor(actor)
    present = _count(session)
    if present:
        return {"place_names": present, "former_names": _former_count(session), "written": 0}
    divisions = _divisions(session)
    if not divisions:
        return {"place_names": 0, "former_names": 0, "written": 0}
    rng = random.Random(rng_seed + 2)
    rows = _division_rows(divisions) + _road_rows(session)
    rows += _landmark_rows(session, divisions)
    rows += _synthetic_rows(session, divisions, rows, rng=rng, total=TOTAL)
    _approval(rows, rng=rng)
    ids = _insert(session, rows, actor=actor)
    formers = _formers(session, rows, ids, actor=actor)
    record_bulk(session, actor=actor, table="place_name", rows=len(rows), reason="load-reference: names")
    session.flush()
    return {"place_names": _count(session), "former_names": formers, "written": len(rows)}


def _count(session: Session) -> int:
    q = select(func.count()).select_from(PlaceName).where(PlaceName.source.in_(REFERENCE_SOURCES))
    return session.scalar(q) or 0


def _former_count(session: Session) -> int:
    q = select(func.count()).select_from(FormerName).where(FormerName.source.in_(REFERENCE_SOURCES))
    return session.scalar(q) or 0


def _divisions(session: Session) -> dict[str, dict]:
    q = select(
        Division.code, Division.name, Division.level, Division.kind, Division.urban_rural, Division.geom
    )
    out = {}
    for code, name, level, kind, ur, geom in session.execute(q.where(Division.in_wuhai.is_(True))):
        out[code] = {"code": code, "name": name, "level": level, "kind": kind, "urban_rural": ur,
                     "geom": to_shape(geom) if geom is not None else None}  # fmt: skip
    return out


def _division_rows(divisions: dict[str, dict]) -> list[dict]:
    rows = []
    for d in sorted(divisions.values(), key=lambda d: d["code"]):
        name, aliases = _standard_division_name(d["name"])
        category = _division_category(d)
        rows.append(_row(name, category, d["code"], d["geom"], source=DIVISION_SOURCE, aliases=aliases,
                         meaning=_MEANING.get(name)))  # fmt: skip
    return rows


def _standard_division_name(name: str) -> tuple[str, list[str]]:
    for suffix, generic in (("社区居委会", "社区"), ("村民委员会", "村"), ("村委会", "村")):
        if name.endswith(suffix):
            return name[: -len(suffix)] + generic, [name]
    return name, []


def _division_category(d: dict) -> str:
    level, kind = d["level"], d["kind"] or ""
    if level == "city":
        return "212"
    if level == "district":
        return "213"
    if level == "town":
        return "231" if kind == "开发区" else "214"
    return "222" if level == "village" else "221"


def _road_rows(session: Session) -> list[dict]:
    q = select(RoadSegment.name, RoadSegment.division_code, RoadSegment.road_class, RoadSegment.geom).where(
        RoadSegment.name.is_not(None)
    )
    groups: dict[tuple[str, str], list] = {}
    classes: dict[tuple[str, str], str] = {}
    for name, code, road_class, geom in session.execute(q.order_by(RoadSegment.id)):
        groups.setdefault((name, code), []).append(to_shape(geom))
        classes.setdefault((name, code), road_class)
    rows = []
    for (name, code), lines in sorted(groups.items()):
        merged = shapely.line_merge(shapely.union_all(lines))
        category = "252" if name.endswith(("国道", "省道", "公路", "高速")) else "253"
        rows.append(_row(name, category, code, merged, source=SYNTHETIC,
                         aliases=["G110"] if name == "110国道" else [],
                         location=f"{classes[(name, code)]} 道路，位于{_district_name(code)}"))  # fmt: skip
    return rows


def _landmark_rows(session: Session, divisions: dict[str, dict]) -> list[dict]:
    river = _river(session, divisions)
    rows = []
    for name, category, where, aliases, meaning in _LANDMARKS:
        if where == "river":
            geom = river
        elif where == "lake":
            geom = _lake(river)
        else:
            geom = _inside(divisions, Point(*where))
        code = _containing(divisions, geom.representative_point()) or _CITY
        rows.append(_row(name, category, code, geom, source=SYNTHETIC, aliases=aliases, meaning=meaning))
    return rows


def _river(session: Session, divisions: dict[str, dict]) -> BaseGeometry:
    """The Yellow River: the western edge of Haibowan and Hainan (against Wuda, Alxa Left Banner, Huinong)."""
    west_codes = ("152921000000", "640205000000")
    west = [divisions[WD]["geom"]]
    for (geom,) in session.execute(select(Division.geom).where(Division.code.in_(west_codes))):
        if geom is not None:
            west.append(to_shape(geom))
    east = shapely.union_all([divisions[HBW]["geom"], divisions[HN]["geom"]])
    shared = shapely.line_merge(shapely.intersection(east.boundary, shapely.union_all(west).buffer(0.0005)))
    lines = [
        g for g in getattr(shared, "geoms", [shared]) if g.geom_type == "LineString" and g.length > 0.002
    ]
    if not lines:
        return LineString([(106.77, 39.43), (106.78, 39.55), (106.80, 39.75), (106.84, 39.90)])
    return shapely.MultiLineString(lines).simplify(0.0005) if len(lines) > 1 else lines[0].simplify(0.0005)


def _lake(river: BaseGeometry) -> BaseGeometry:
    band = shapely.box(106.6, 39.56, 107.0, 39.75)
    reach = shapely.intersection(river, band)
    if reach.is_empty:
        reach = river
    return shapely.make_valid(reach.buffer(0.008, quad_segs=4)).simplify(0.0005)


def _synthetic_rows(session: Session, divisions: dict[str, dict], existing: list[dict], *,
                    rng: random.Random, total: int) -> list[dict]:  # fmt: skip
    taken = {(r["name"], r["division_code"][:6]) for r in existing}
    used_names = {r["name"] for r in existing}
    urban = [d for d in divisions.values() if d["level"] == "community" and d["geom"] is not None]
    rural = [d for d in divisions.values() if d["level"] == "village" and d["geom"] is not None]
    towns = [d for d in divisions.values() if d["level"] == "town" and d["geom"] is not None]
    roads = [r for r in existing if r["category_code"] == "253"]
    rows: list[dict] = []
    plan = list(_KINDS) + [("281", ("大厦", "大楼", "商厦", "中心"), None, "urban")]
    for category, generics, count, where in plan:
        if count is None:
            count = total - len(existing) - len(rows)
        made = 0
        while made < count:
            unit = rng.choice({"urban": urban, "rural": rural or towns, "any": urban + rural,
                               "mountain": towns, "road": urban}[where])  # fmt: skip
            generic = rng.choice(generics).replace(" ", "")
            if category == "242":
                name = rng.choice(_SURNAMES) + generic
            elif category == "254" and roads and rng.random() < 0.5:
                road = rng.choice(roads)
                name = split_name(road["name"], category="253").proper + generic
            else:
                a, b = rng.sample(_GOOD, 2)
                name = a + b + generic
            key = (name, unit["code"][:6])
            if key in taken or name in used_names:
                continue
            taken.add(key)
            used_names.add(name)
            geom = _random_point(unit["geom"], rng)
            rows.append(_row(name, category, unit["code"], geom, source=SYNTHETIC,
                             meaning=_synthetic_meaning(name, generic, unit["name"]),
                             location=f"位于{_district_name(unit['code'])}{unit['name']}境内"))  # fmt: skip
            made += 1
    return rows


def _synthetic_meaning(name: str, generic: str, unit: str) -> str:
    proper = name[: len(name) - len(generic)] if name.endswith(generic) else name
    return f"取“{proper}”美好寓意命名，位于{unit}。"


def _random_point(poly: BaseGeometry, rng: random.Random) -> Point:
    minx, miny, maxx, maxy = poly.bounds
    for _ in range(200):
        p = Point(round(rng.uniform(minx, maxx), 6), round(rng.uniform(miny, maxy), 6))
        if poly.contains(p):
            return p
    return poly.representative_point()


def _inside(divisions: dict[str, dict], point: Point) -> Point:
    """``point``, or the nearest spot just inside Wuhai when it falls outside the district polygons."""
    districts = [divisions[c]["geom"] for c in (HBW, HN, WD) if divisions.get(c, {}).get("geom") is not None]
    if not districts or any(g.contains(point) for g in districts):
        return point
    poly = min(districts, key=point.distance)
    edge = shapely.ops.nearest_points(poly, point)[0]
    inner = poly.representative_point()
    for share in (0.02, 0.05, 0.1, 0.2, 0.4):
        p = Point(
            round(edge.x + (inner.x - edge.x) * share, 6), round(edge.y + (inner.y - edge.y) * share, 6)
        )
        if poly.contains(p):
            return p
    return inner


def _containing(divisions: dict[str, dict], point: Point) -> str | None:
    best = None
    levels = ("district", "town", "community", "village")
    for d in divisions.values():
        inside = d["geom"] is not None and d["level"] in levels and d["geom"].contains(point)
        if inside and (best is None or len(d["code"].rstrip("0")) > len(best.rstrip("0"))):
            best = d["code"]
    return best


def _district_name(code: str) -> str:
    return {HBW: "海勃湾区", HN: "海南区", WD: "乌达区"}.get(code[:6] + "000000", "乌海市")


def _row(name, category, code, geom, *, source, aliases=(), meaning=None, location=None) -> dict:
    return {"name": name, "category_code": category, "division_code": code, "geom": geom, "source": source,
            "aliases": list(aliases), "meaning": meaning, "location_desc": location}  # fmt: skip


def _approval(rows: list[dict], *, rng: random.Random) -> None:
    statuses = ["announced"] * 92 + ["approved"] * 3 + ["under_review"] * 2 + ["proposed"] * 2 + ["retired"]
    for r in rows:
        real = r["source"] == DIVISION_SOURCE or r["category_code"] == "121"
        status = "announced" if real or r["category_code"] in ("253", "252") else rng.choice(statuses)
        r["status"] = status
        if status in ("proposed", "under_review"):
            continue
        year = rng.randint(1990, 2023) if real else rng.randint(2005, 2024)
        approved = date(year, 1, 1) + timedelta(days=rng.randint(0, 330))
        r["approving_authority"] = _authority(r["category_code"], r["division_code"])
        r["approval_doc_no"] = f"乌政字〔{year}〕{rng.randint(1, 220)}号"
        r["approval_date"] = approved
        if status in ("announced", "retired"):
            r["announcement_date"] = approved + timedelta(days=rng.randint(7, 60))


def _authority(category: str, code: str) -> str:
    if category in ("212", "213"):
        return "国务院"
    if category in ("214", "231"):
        return "内蒙古自治区人民政府"
    if category in ("221", "222", "241", "281"):
        return f"{_district_name(code)}人民政府"
    return "乌海市人民政府"


def _insert(session: Session, rows: list[dict], *, actor: str) -> list[int]:
    records = []
    for r in rows:
        parts = split_name(r["name"], category=r["category_code"])
        generic = parts.generic.replace(" ", "") if parts.generic else None
        records.append({
            "name": r["name"], "proper_part": r["name"][: len(r["name"]) - len(generic)] if generic else r["name"],
            "generic_part": generic, "category_code": r["category_code"],
            "romanized": romanize(r["name"], category=r["category_code"]), "pinyin_key": pinyin_key(r["name"]),
            "initials": initials(r["name"]), "aliases": r["aliases"], "meaning": r["meaning"],
            "location_desc": r["location_desc"], "division_code": r["division_code"], "status": r["status"],
            "approving_authority": r.get("approving_authority"), "approval_doc_no": r.get("approval_doc_no"),
            "approval_date": r.get("approval_date"), "announcement_date": r.get("announcement_date"),
            "geom": wkt(r["geom"]) if r["geom"] is not None else None, "source": r["source"], "author": actor,
        })  # fmt: skip
    first = (session.scalar(select(func.max(PlaceName.id))) or 0) + 1
    for start in range(0, len(records), 1000):
        session.execute(insert(PlaceName), records[start : start + 1000])
    session.flush()
    by_name = dict(
        session.execute(
            select(PlaceName.name + "|" + PlaceName.division_code, PlaceName.id).where(
                PlaceName.id >= first, PlaceName.source.in_(REFERENCE_SOURCES)
            )
        ).all()
    )
    ids = [by_name[f"{r['name']}|{r['division_code']}"] for r in rows]
    events = [
        {
            "place_name_id": pid,
            "actor": actor,
            "action": "register",
            "from_status": None,
            "to_status": r["status"],
            "changes": {"name": [None, r["name"]]},
            "reason": "reference dataset",
            "document": r.get("approval_doc_no"),
            "findings": [],
        }  # fmt: skip
        for pid, r in zip(ids, rows, strict=True)
    ]
    for start in range(0, len(events), 1000):
        session.execute(insert(NameEvent), events[start : start + 1000])
    return ids


def _formers(session: Session, rows: list[dict], ids: list[int], *, actor: str) -> int:
    records = []
    for pid, r in zip(ids, rows, strict=True):
        if r["name"] in _FORMER and r["source"] == DIVISION_SOURCE:
            former, valid_to, document = _FORMER[r["name"]]
            records.append({"place_name_id": pid, "name": former, "romanized": romanize(former, category=r["category_code"]),
                            "valid_to": valid_to, "document": document, "source": DIVISION_SOURCE, "author": actor})  # fmt: skip
    # A few residential areas renamed by the district governments (synthetic).
    renamed = [(pid, r) for pid, r in zip(ids, rows, strict=True) if r["category_code"] == "241"][::45]
    for pid, r in renamed:
        parts = split_name(r["name"], category="241")
        old = parts.proper + ("新村" if parts.generic == "小区" else "小区")
        records.append({"place_name_id": pid, "name": old, "romanized": romanize(old, category="241"),
                        "valid_to": date(2015, 7, 1), "document": "更名公告（合成）", "source": SYNTHETIC,
                        "author": actor})  # fmt: skip
    if records:
        session.execute(insert(FormerName), records)
        session.execute(insert(NameEvent), [
            {"place_name_id": rec["place_name_id"], "actor": actor, "action": "rename", "changes":
             {"name": [rec["name"], None]}, "reason": "former name recorded", "document": rec["document"], "findings": []}
            for rec in records
        ])  # fmt: skip
    return len(records)
