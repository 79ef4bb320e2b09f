"""The layer registry: every importable/exportable layer with its table, geometry, key and fields.

A :class:`Layer` names its model, geometry column and accepted geometry types, the key columns
that identify a row (duplicate check), and its :class:`Field` list with Chinese/English labels,
the column names accepted in files (aliases) and the per-field rules. Field types and maximum
lengths come from the model's columns, so the registry cannot drift from the schema.
The web API and the import/export commands both read :data:`LAYERS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

import pandas as pd
from sqlalchemy import JSON
from sqlalchemy import Boolean
from sqlalchemy import Date
from sqlalchemy import DateTime
from sqlalchemy import Float
from sqlalchemy import Integer
from sqlalchemy import String

from boundaries.models import BoundaryLine
from boundaries.models import BoundaryMarker
from boundaries.models import Division
from facilities.kinds import KINDS
from facilities.kinds import OPERATOR_TYPES_ZH
from facilities.models import Facility
from gis.contracts import Contract
from gis.contracts import column_bounds
from gis.contracts import contracts_of
from gis.errors import InvalidInput
from gis.models import RoadSegment
from placenames.models import PlaceName
from placenames.models import Sign

CODE12 = r"^\d{12}$"


@dataclass(frozen=True)
class Field:
    """One attribute of a layer as it appears in files.

    ``name`` is the model attribute. ``aliases`` are other accepted column names (matched
    case-insensitively; Shapefile's 10-character truncation of ``name`` is accepted too).
    ``value_aliases`` map spellings in files (often Chinese) to stored values. ``lookup``
    ``(model, column)`` means the file carries ``model.column`` under ``file_name`` and the row
    stores that row's primary key; ``references`` ``(model, column)`` means the value must exist
    there. ``kind`` and ``max_length`` are filled from the model column by :func:`layer`; the rules
    (``pattern``, ``minimum``, ``maximum``, ``choices``, ``max_length``) from the field's input
    contract (:mod:`gis.contracts`) where the model declares one.
    """

    name: str
    label_zh: str
    label_en: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    choices: tuple[str, ...] | None = None
    value_aliases: dict[str, str] = dc_field(default_factory=dict)
    pattern: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    lookup: tuple[type, str] | None = None
    file_name: str | None = None
    references: tuple[type, str] | None = None
    kind: str = "text"
    max_length: int | None = None
    contract: Contract | None = None

    @property
    def column(self) -> str:
        """The column name in files (``file_name`` for lookups, else ``name``)."""
        return self.file_name or self.name


@dataclass(frozen=True)
class RowCheck:
    """A rule across fields: ``bad(frame)`` is a boolean Series of rows breaking it."""

    message: str
    bad: Callable[[pd.DataFrame], pd.Series]


@dataclass(frozen=True)
class Layer:
    """An importable/exportable layer."""

    name: str
    label_zh: str
    label_en: str
    model: type
    geometry_types: tuple[str, ...]
    store_type: str
    key: tuple[str, ...]
    fields: tuple[Field, ...]
    geometry_column: str = "geom"
    checks: tuple[RowCheck, ...] = ()
    aliases: tuple[str, ...] = ()
    #: Boolean field whose False rows may lie outside Wuhai's extent (neighbouring units).
    extent_exempt: str | None = None

    @property
    def table(self):
        """The SQLAlchemy table."""
        return self.model.__table__

    def field(self, name: str) -> Field:
        """The field called ``name``."""
        for f in self.fields:
            if f.name == name or f.column == name:
                return f
        raise KeyError(f"layer {self.name} has no field {name!r}")

    def match_columns(self, columns: list[str]) -> tuple[dict[str, str], list[str]]:
        """Map file columns to field names; return ``(mapping, unknown columns)``."""
        names: dict[str, str] = {}
        for f in self.fields:
            for alias in (f.column, f.name, f.label_zh, f.label_en, *f.aliases):
                names.setdefault(alias.strip().lower(), f.name)
                names.setdefault(alias.strip().lower()[:10], f.name)
        mapping: dict[str, str] = {}
        unknown: list[str] = []
        for column in columns:
            target = names.get(str(column).strip().lower())
            if target is not None and target not in mapping.values():
                mapping[column] = target
            else:
                unknown.append(str(column))
        return mapping, unknown


def layer(name: str, **kwargs: Any) -> Layer:
    """Build a :class:`Layer`, filling each field's kind and maximum length from the model."""
    model = kwargs["model"]
    fields = tuple(_typed(model, f) for f in kwargs.pop("fields"))
    return Layer(name=name, fields=fields, **kwargs)


def find_layer(name: str) -> Layer | None:
    """The layer called ``name`` (or one of its aliases, its Chinese label), or ``None``."""
    key = name.strip().lower()
    for lyr in LAYERS.values():
        if key == lyr.name or key in lyr.aliases or key == lyr.label_zh:
            return lyr
    return None


def get_layer(name: str) -> Layer:
    """The layer called ``name`` (or one of its aliases); :class:`~gis.errors.InvalidInput` listing the layers otherwise."""
    found = find_layer(name)
    if found is None:
        raise InvalidInput(f"unknown layer {name!r}; layers: {', '.join(LAYERS)}", field="layer")
    return found


def _typed(model: type, f: Field) -> Field:
    column = model.__table__.c[f.name]
    ctype = column.type
    if isinstance(ctype, Boolean):
        kind = "bool"
    elif isinstance(ctype, Integer):
        kind = "int"
    elif isinstance(ctype, Float):
        kind = "float"
    elif isinstance(ctype, DateTime):
        kind = "datetime"
    elif isinstance(ctype, Date):
        kind = "date"
    elif isinstance(ctype, JSON):
        kind = "list"
    else:
        kind = "text"
    if f.lookup is not None:
        kind = "text"
    max_length = ctype.length if isinstance(ctype, String) and f.lookup is None else None
    if f.lookup is not None:
        max_length = f.lookup[0].__table__.c[f.lookup[1]].type.length
    rules: dict[str, Any] = {"kind": kind, "max_length": f.max_length or max_length}
    contract = contracts_of(model).get(f.name) if f.lookup is None else None
    if contract is None:  # a layer without declared contracts: its own rules as a contract
        bounds = column_bounds(ctype) if kind in ("int", "float") else None
        contract = Contract(
            kind="list" if kind == "list" else kind if kind in ("int", "float") else "text",
            minimum=f.minimum if f.minimum is not None or bounds is None else bounds[0],
            maximum=f.maximum if f.maximum is not None or bounds is None else bounds[1],
            max_length=rules["max_length"],
            pattern=f.pattern,
            choices=f.choices,
            multiline=rules["max_length"] is None,
        )
        rules["contract"] = contract
    else:
        rules.update(
            contract=contract,
            pattern=contract.pattern,
            minimum=contract.minimum,
            maximum=contract.maximum,
            choices=contract.choices,
            max_length=contract.max_length,
        )
    return Field(**{**f.__dict__, **rules})


def _f(name: str, zh: str, en: str, *aliases: str, **kw: Any) -> Field:
    return Field(name, zh, en, aliases=aliases, **kw)


_LEVELS_ZH = {
    "省": "province",
    "市": "city",
    "地级市": "city",
    "区": "district",
    "县": "district",
    "旗": "district",
    "市辖区": "district",
    "街道": "town",
    "镇": "town",
    "乡": "town",
    "苏木": "town",
    "社区": "community",
    "居委会": "community",
    "村": "village",
    "嘎查": "village",
    "村委会": "village",
}
_SIGN_KINDS_ZH = {
    "街路巷牌": "street",
    "路牌": "street",
    "街牌": "street",
    "巷牌": "street",
    "门牌": "house_number",
    "楼牌": "building",
    "楼栋牌": "building",
    "单元牌": "unit",
    "村牌": "village",
    "桥牌": "bridge",
    "景点牌": "scenic",
    "其他": "other",
}
_CONDITIONS_ZH = {
    "完好": "good",
    "良好": "good",
    "陈旧": "worn",
    "老化": "worn",
    "破损": "damaged",
    "损坏": "damaged",
    "缺失": "missing",
    "丢失": "missing",
}
_NAME_STATUSES_ZH = {
    "拟定": "proposed",
    "审核中": "under_review",
    "已批准": "approved",
    "已公告": "announced",
    "已废止": "retired",
}
_MARKER_STATUSES = ("intact", "damaged", "moved", "missing", "rebuilt", "planned")
_MARKER_STATUSES_ZH = {
    "完好": "intact",
    "损坏": "damaged",
    "移位": "moved",
    "缺失": "missing",
    "重建": "rebuilt",
    "规划": "planned",
}
_FACILITY_STATUSES_ZH = {
    "运营": "running",
    "运营中": "running",
    "在建": "under_construction",
    "规划": "planned",
    "关闭": "closed",
    "停用": "closed",
}


def _gt(a: str, b: str) -> Callable[[pd.DataFrame], pd.Series]:
    def bad(frame: pd.DataFrame) -> pd.Series:
        if a not in frame or b not in frame:
            return pd.Series(False, index=frame.index)
        x = pd.to_numeric(frame[a], errors="coerce")
        y = pd.to_numeric(frame[b], errors="coerce")
        return (x > y).fillna(False).astype(bool)

    return bad


def _same(a: str, b: str) -> Callable[[pd.DataFrame], pd.Series]:
    def bad(frame: pd.DataFrame) -> pd.Series:
        if a not in frame or b not in frame:
            return pd.Series(False, index=frame.index)
        return (frame[a].notna() & (frame[a] == frame[b])).astype(bool)

    return bad


_DIVISION_FIELDS = (
    _f(
        "code",
        "区划代码",
        "Code",
        "编码",
        "代码",
        "统计用区划代码",
        "adcode",
        "admin_code",
        "qhdm",
        required=True,
    ),
    _f("name", "名称", "Name", "区划名称", "单位名称", "mc", required=True),
    _f("level", "级别", "Level", "层级", required=True, value_aliases=_LEVELS_ZH),
    _f("kind", "类型", "Kind", "城乡分类"),
    _f(
        "parent_code",
        "上级代码",
        "Parent code",
        "parent",
        "上级区划代码",
        references=(Division, "code"),
    ),
    _f("in_wuhai", "属乌海市", "In Wuhai"),
    _f(
        "urban_rural",
        "城乡属性",
        "Urban/rural",
        value_aliases={"城镇": "urban", "城市": "urban", "乡村": "rural", "农村": "rural"},
    ),
    _f("households", "户数", "Households"),
    _f("population", "常住人口", "Residents", "人口"),
    _f("population_60plus", "60岁以上人口", "Aged 60+", "老年人口", "pop60plus"),
    _f("pinyin", "拼音", "Pinyin"),
    _f("valid_from", "生效日期", "Valid from"),
    _f("valid_to", "失效日期", "Valid to"),
)

LAYERS: dict[str, Layer] = {
    lyr.name: lyr
    for lyr in (
        layer(
            "divisions",
            label_zh="行政区划",
            label_en="Administrative divisions",
            model=Division,
            geometry_types=("Polygon", "MultiPolygon"),
            store_type="MULTIPOLYGON",
            key=("code",),
            fields=_DIVISION_FIELDS,
            extent_exempt="in_wuhai",
            aliases=("division", "区划"),
            checks=(
                RowCheck(
                    "population_60plus is larger than population", _gt("population_60plus", "population")
                ),
            ),
        ),
        layer(
            "roads",
            label_zh="道路",
            label_en="Roads",
            model=RoadSegment,
            geometry_types=("LineString",),
            store_type="LINESTRING",
            key=(),
            aliases=("road", "road_segment"),
            fields=(
                _f("name", "道路名称", "Name", "名称", "路名"),
                _f(
                    "road_class",
                    "道路等级",
                    "Class",
                    "等级",
                    "class",
                    choices=("trunk", "primary", "secondary", "street", "lane", "path", "rural"),
                    value_aliases={
                        "快速路": "trunk",
                        "国道": "trunk",
                        "主干路": "primary",
                        "次干路": "secondary",
                        "支路": "street",
                        "街巷": "lane",
                        "巷": "lane",
                        "小路": "path",
                        "乡村道路": "rural",
                    },
                ),
                _f("oneway", "单行", "One way"),
                _f("speed_kmh", "限速", "Speed (km/h)", minimum=0, maximum=150),
                _f("length_m", "长度", "Length (m)", minimum=0),
                _f("division_code", "所在政区代码", "Division code", "区划代码", pattern=CODE12),
            ),
        ),
        layer(
            "place_names",
            label_zh="标准地名",
            label_en="Standard place names",
            model=PlaceName,
            geometry_types=(
                "Point",
                "MultiPoint",
                "LineString",
                "MultiLineString",
                "Polygon",
                "MultiPolygon",
            ),
            store_type="GEOMETRY",
            key=("name", "category_code", "division_code"),
            aliases=("place_name", "names", "地名"),
            fields=(
                _f("name", "标准名称", "Name", "地名", "名称", required=True),
                _f("category_code", "类别代码", "Category code", "类别", "category", required=True),
                _f("proper_part", "专名", "Proper part"),
                _f("generic_part", "通名", "Generic part"),
                _f("romanized", "罗马字母拼写", "Romanized", "拼音", "pinyin"),
                _f("romanized_override_reason", "拼写例外理由", "Romanization override reason"),
                _f("mongolian", "蒙古文", "Mongolian"),
                _f("mongolian_source", "蒙古文来源", "Mongolian source"),
                _f("aliases", "别名", "Aliases", "又名"),
                _f("meaning", "含义", "Meaning", "地名含义"),
                _f("history", "历史沿革", "History"),
                _f(
                    "division_code",
                    "所在政区代码",
                    "Division code",
                    "区划代码",
                    references=(Division, "code"),
                ),
                _f("location_desc", "位置描述", "Location", "地理位置"),
                _f("status", "状态", "Status", value_aliases=_NAME_STATUSES_ZH),
                _f("approving_authority", "批准机关", "Approving authority"),
                _f("approval_doc_no", "批准文号", "Approval document"),
                _f("approval_date", "批准日期", "Approval date"),
                _f("announcement_date", "公告日期", "Announcement date"),
            ),
        ),
        layer(
            "signs",
            label_zh="地名标志",
            label_en="Place-name signs",
            model=Sign,
            geometry_types=("Point",),
            store_type="POINT",
            key=("code",),
            aliases=("sign", "标志"),
            fields=(
                _f("code", "标志编码", "Code", "编码", "编号", "bzbm", required=True),
                _f(
                    "kind",
                    "标志类型",
                    "Kind",
                    "类型",
                    required=True,
                    value_aliases=_SIGN_KINDS_ZH,
                ),
                _f(
                    "place_name_id",
                    "标准地名ID",
                    "Standard name id",
                    "place_name",
                    references=(PlaceName, "id"),
                ),
                _f("text_zh", "标志文字", "Text", "地名", "名称", "text", "name"),
                _f("text_romanized", "罗马字母拼写", "Romanized text", "拼音"),
                _f("text_mongolian", "蒙古文", "Mongolian text"),
                _f("house_number", "门牌号", "House number", "门牌"),
                _f(
                    "side",
                    "朝向侧",
                    "Side",
                    value_aliases={"左": "left", "右": "right"},
                ),
                _f("facing_deg", "朝向角", "Facing (deg)", "朝向"),
                _f("material", "材质", "Material"),
                _f("size", "规格", "Size", "尺寸"),
                _f("installer", "设置单位", "Installer"),
                _f("install_date", "设置日期", "Install date", "安装日期"),
                _f(
                    "condition",
                    "状况",
                    "Condition",
                    "现状",
                    value_aliases=_CONDITIONS_ZH,
                ),
                _f("last_inspected", "最近巡查", "Last inspected"),
                _f("division_code", "所在政区代码", "Division code", "区划代码"),
            ),
        ),
        layer(
            "boundary_lines",
            label_zh="行政区域界线",
            label_en="Boundary lines",
            model=BoundaryLine,
            geometry_types=("LineString", "MultiLineString"),
            store_type="MULTILINESTRING",
            key=("code",),
            aliases=("boundary_line", "lines", "界线"),
            checks=(RowCheck("left_code equals right_code", _same("left_code", "right_code")),),
            fields=(
                _f("code", "界线编码", "Code", "编码", required=True),
                _f("name", "界线名称", "Name", "名称", required=True),
                _f(
                    "level",
                    "界线级别",
                    "Level",
                    "级别",
                    required=True,
                    value_aliases={"省级": "provincial", "市级": "city", "县级": "district"},
                ),
                _f("left_code", "左侧代码", "Left code", required=True),
                _f("left_name", "左侧名称", "Left name", required=True),
                _f("right_code", "右侧代码", "Right code", required=True),
                _f("right_name", "右侧名称", "Right name", required=True),
                _f("line_code", "界线编号", "Line code", "line"),
                _f("line_name", "界线全称", "Line name"),
                _f("agreement", "界线协议书", "Agreement", "协议书"),
                _f("length_km", "长度(km)", "Length (km)"),
                _f("last_inspection_year", "最近联检年份", "Last inspection year"),
                _f(
                    "inspection_cycle_years",
                    "联检周期(年)",
                    "Inspection cycle (years)",
                ),
            ),
        ),
        layer(
            "markers",
            label_zh="界桩",
            label_en="Boundary markers",
            model=BoundaryMarker,
            geometry_types=("Point",),
            store_type="POINT",
            key=("number",),
            aliases=("marker", "boundary_markers"),
            fields=(
                _f("number", "界桩编号", "Number", "编号", required=True),
                _f(
                    "line_id",
                    "界线编码",
                    "Line code",
                    "line",
                    required=True,
                    lookup=(BoundaryLine, "code"),
                    file_name="line_code",
                ),
                _f("seq", "序号", "Sequence", required=True),
                _f(
                    "marker_type",
                    "界桩类型",
                    "Marker type",
                    "类型",
                    required=True,
                ),
                _f("group_key", "同号桩组", "Group"),
                _f("side_code", "所在侧代码", "Side code"),
                _f("material", "材质", "Material"),
                _f("elevation_m", "高程", "Elevation (m)", "高程(m)"),
                _f(
                    "status",
                    "状态",
                    "Status",
                    "现状",
                    value_aliases=_MARKER_STATUSES_ZH,
                ),
                _f("smart", "智能界桩", "Smart"),
                _f("public", "公开", "Public"),
            ),
        ),
        layer(
            "facilities",
            label_zh="民政设施",
            label_en="Civil-affairs facilities",
            model=Facility,
            geometry_types=("Point",),
            store_type="POINT",
            key=("kind", "name"),
            aliases=("facility", "设施"),
            checks=(RowCheck("nursing_beds is larger than beds", _gt("nursing_beds", "beds")),),
            fields=(
                _f(
                    "kind",
                    "设施类型",
                    "Kind",
                    "类型",
                    required=True,
                    value_aliases={
                        **{k.name_zh: k.code for k in KINDS},
                        **{k.name_en.lower(): k.code for k in KINDS},
                    },
                ),
                _f("name", "设施名称", "Name", "名称", required=True),
                _f(
                    "operator_type",
                    "运营性质",
                    "Operator",
                    "性质",
                    value_aliases={v: k for k, v in OPERATOR_TYPES_ZH.items()},
                ),
                _f("status", "状态", "Status", value_aliases=_FACILITY_STATUSES_ZH),
                _f("year_opened", "开业年份", "Year opened"),
                _f("year_closed", "关闭年份", "Year closed"),
                _f("planned_year", "计划年份", "Planned year"),
                _f("beds", "床位数", "Beds", "床位"),
                _f("nursing_beds", "护理型床位数", "Nursing beds", "护理床位"),
                _f("floor_area_m2", "建筑面积", "Floor area (m²)", "面积"),
                _f("new_or_rebuilt", "新建改扩建", "New or rebuilt"),
                _f("has_volunteer_site", "设志愿服务站点", "Volunteer site"),
                _f("service_radius_m", "服务半径", "Service radius (m)"),
                _f("service_minutes", "服务时间圈", "Service minutes"),
                _f("opening_hours", "开放时间", "Opening hours"),
                _f("contact", "联系电话", "Contact", "电话"),
                _f("address", "地址", "Address"),
                _f(
                    "division_code",
                    "所在政区代码",
                    "Division code",
                    "区划代码",
                    references=(Division, "code"),
                ),
            ),
        ),
    )
}
