"""Place-name categories (GB/T 18521, as used by the 2nd national place-name census) and their generics.

The census groups names in 11 major classes (two-digit codes; the sea class 11 is not surveyed
inland) with middle classes (three-digit codes). Each middle class lists the generic parts (通名)
allowed for it; a generic containing a space is romanized as separate words
(``经济 开发区`` → ``Jingji Kaifaqu``). The duplicate/homophone scope (``scope``) says where two
names of the class must differ: ``'city'``, ``'district'`` or ``'town'``.
"""

from __future__ import annotations

from dataclasses import dataclass

from gis.errors import InvalidInput

_DIRECTIONS = ("东", "西", "南", "北", "中")
_ROAD_BASES = ("路", "街", "大街", "大道", "巷")
#: Compound road generics written as one word: 东路 → Donglu, 北大街 → Beidajie, 后街 → Houjie.
ROAD_COMPOUNDS = (
    tuple(d + b for d in _DIRECTIONS for b in _ROAD_BASES)
    + (
        "前街",
        "后街",
        "横街",
        "正街",
        "环路",
        "胡同",
        "马路",
        "小街",
        "小巷",
        "直街",
        "左路",
        "右路",
    )
    + tuple(d + b for d in _DIRECTIONS for b in ("小街", "小巷", "后街", "里"))
)
#: Banner generics written as one word: 左旗 → Zuoqi, 联合旗 → Lianheqi.
BANNER_GENERICS = ("左旗", "右旗", "前旗", "后旗", "中旗", "联合旗")


@dataclass(frozen=True)
class Category:
    """A place-name category (major or middle class)."""

    code: str
    name: str
    generics: tuple[str, ...] = ()
    scope: str = "city"
    #: Names of the class are written as one word (natural villages: 王村 → Wangcun).
    one_word: bool = False

    @property
    def major(self) -> str:
        """The two-digit major class code."""
        return self.code[:2]


MAJOR_CLASSES: dict[str, str] = {
    "12": "陆地水系",
    "13": "陆地地形",
    "21": "行政区域",
    "22": "群众自治组织",
    "23": "非行政区域",
    "24": "居民点",
    "25": "交通运输设施",
    "26": "水利电力通信设施",
    "27": "纪念地旅游景点",
    "28": "建筑物",
    "29": "单位",
}

_MIDDLE: tuple[Category, ...] = (
    Category("121", "河流", ("河", "江", "川", "溪", "沟", "水", "渠", "运河", "新河")),
    Category("122", "湖泊", ("湖", "淖尔", "淖", "泊", "池", "潭", "海子")),
    Category("123", "泉", ("泉", "井", "温泉")),
    Category("124", "瀑布", ("瀑布",)),
    Category("125", "湿地", ("湿地", "滩")),
    Category("129", "其他水系", ("湾", "洲", "岛", "湖区", "群岛", "海峡")),
    Category("131", "山", ("山", "山脉", "岭", "峰", "梁", "峁", "坡", "台", "山口", "高地")),
    Category("132", "沙漠", ("沙漠", "沙地", "沙丘")),
    Category("133", "平原盆地", ("平原", "盆地", "高原", "滩", "塬", "川")),
    Category("134", "谷地", ("沟", "谷", "峡", "峡谷", "口")),
    Category("139", "其他地形", ("石", "岩", "洞")),
    Category("211", "省级行政区", ("省", "自治区")),
    Category("212", "地级行政区", ("市", "盟", "自治州", "地区")),
    Category("213", "县级行政区", ("区", "县", "旗", "市", "自治县", "自治旗", *BANNER_GENERICS)),
    Category("214", "乡级行政区", ("街道", "镇", "乡", "苏木", "民族乡")),
    Category("221", "社区", ("社区",), scope="district"),
    Category("222", "行政村", ("村", "嘎查"), scope="district"),
    Category(
        "231",
        "开发区工业园区",
        ("开发区", "经济 开发区", "工业园区", "工业园", "产业园", "园区"),
        scope="city",
    ),
    Category("232", "农林牧渔区", ("农场", "林场", "牧场", "渔场", "场")),
    Category("239", "其他非行政区域", ("片区", "矿区", "区")),
    Category(
        "241",
        "城镇居民点",
        (
            "小区",
            "佳苑",
            "苑",
            "花园",
            "家园",
            "园",
            "公寓",
            "新村",
            "新城",
            "里",
            "庭",
            "府",
            "城",
            "居",
            "湾",
        ),
        scope="town",
    ),
    Category(
        "242", "农村居民点", ("村", "庄", "屯", "营", "堡", "队", "圪旦", "滩"), scope="town", one_word=True
    ),
    Category("251", "铁路", ("铁路", "线", "支线")),
    Category("252", "公路", ("公路", "高速公路", "高速", "国道", "省道", "线")),
    Category(
        "253",
        "城市道路",
        ("路", "街", "大街", "大道", "巷", "道", "里", "弄", "条", *ROAD_COMPOUNDS),
        scope="district",
    ),
    Category("254", "桥梁", ("桥", "大桥", "立交桥", "立交")),
    Category("255", "隧道", ("隧道",)),
    Category("256", "车站", ("站", "火车站", "汽车站", "客运站", "车站")),
    Category("257", "机场", ("机场",)),
    Category("258", "港口码头", ("港", "码头", "渡口")),
    Category("261", "水利设施", ("水库", "水利 枢纽", "枢纽", "闸", "坝", "干渠", "渠", "泵站")),
    Category("262", "电力设施", ("电厂", "发电厂", "热电厂", "变电站", "电站")),
    Category("263", "通信设施", ("基站", "电视塔", "通信塔")),
    Category("271", "纪念地", ("纪念馆", "纪念碑", "烈士陵园", "陵园", "故居")),
    Category("272", "公园", ("公园", "植物园", "动物园", "游园")),
    Category("273", "风景区", ("景区", "风景区", "旅游区", "度假区")),
    Category("274", "文物古迹", ("寺", "庙", "遗址", "岩画", "召")),
    Category("281", "房屋建筑", ("大厦", "大楼", "楼", "中心", "公寓"), scope="town"),
    Category("282", "广场", ("广场",), scope="district"),
    Category("283", "体育场馆", ("体育场", "体育馆", "体育中心")),
    Category("289", "其他构筑物", ("塔", "碑")),
    Category("291", "党政机关", ("政府", "委员会", "局", "办事处")),
    Category("292", "事业单位", ("学校", "中学", "小学", "幼儿园", "大学", "学院", "医院", "馆")),
    Category("293", "企业", ("公司", "厂", "矿", "煤矿")),
)

CATEGORIES: dict[str, Category] = {c.code: c for c in _MIDDLE}
for _code, _name in MAJOR_CLASSES.items():
    _members = tuple(g for c in _MIDDLE if c.major == _code for g in c.generics)
    CATEGORIES[_code] = Category(_code, _name, tuple(dict.fromkeys(_members)))

#: Every generic of every class, longest first (used when no category is given).
ALL_GENERICS: tuple[str, ...] = tuple(
    sorted({g for c in _MIDDLE for g in c.generics}, key=lambda g: (-len(g.replace(" ", "")), g))
)


def get(code: str) -> Category:
    """The category with ``code`` (two- or three-digit).

    Raises
    ------
    gis.errors.InvalidInput
        For an unknown code.
    """
    try:
        return CATEGORIES[str(code).strip()]
    except KeyError:
        raise InvalidInput(f"unknown place-name category code {code!r}", field="category_code") from None


def label(code: str) -> str:
    """``'253 城市道路'``-style label (major class name for two-digit codes)."""
    cat = get(code)
    major = MAJOR_CLASSES[cat.major]
    return f"{cat.code} {major}" if cat.code == cat.major else f"{cat.code} {major}/{cat.name}"


def generics_for(code: str | None) -> tuple[str, ...]:
    """Allowed generics of a category, longest first (all generics when ``code`` is None)."""
    if code is None:
        return ALL_GENERICS
    gens = get(code).generics
    return tuple(sorted(gens, key=lambda g: (-len(g.replace(" ", "")), g)))


def match_generic(name: str, code: str | None = None) -> str | None:
    """The longest allowed generic ``name`` ends with, leaving a non-empty proper part."""
    for generic in generics_for(code):
        plain = generic.replace(" ", "")
        if name.endswith(plain) and len(name) > len(plain):
            return generic
    return None


def scope_of(code: str) -> str:
    """Where names of this category must be unique: ``'city'``, ``'district'`` or ``'town'``."""
    return get(code).scope
