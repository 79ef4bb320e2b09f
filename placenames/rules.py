"""Naming rule checks (地名管理条例 2022 and local rules) on a proposed or renamed name.

Pure functions: the caller (``placenames.store``) fetches the names already in the scope and
passes them in. Each finding names the rule, its severity and the conflicting names; a
``'blocking'`` finding stops approval, a ``'warning'`` needs a recorded justification.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import field

from gis.contracts import check
from gis.errors import InvalidInput
from placenames import categories
from placenames.models import PLACE_NAME_CONTRACTS
from placenames.romanize import pinyin_key

BLOCKING = "blocking"
WARNING = "warning"

#: Longest acceptable standard name / proper part, in characters.
MAX_NAME_CHARS = 16
MAX_PROPER_CHARS = 8

#: Foreign place names that must not be borrowed (洋地名).
FOREIGN_NAMES = (
    "纽约", "巴黎", "伦敦", "威尼斯", "曼哈顿", "维也纳", "罗马", "加州", "夏威夷", "欧洲", "香榭",
    "莱茵", "塞纳", "普罗旺斯", "地中海", "比华利", "温莎", "剑桥", "牛津", "凡尔赛", "华盛顿",
    "东京", "迪拜", "悉尼", "托斯卡纳", "马德里", "米兰", "波尔多", "阿尔卑斯", "拉斯维加斯", "好莱坞",
)  # fmt: skip
#: Exaggerating or grandiose words (大、洋、怪、重).
GRANDIOSE_WORDS = (
    "帝王",
    "皇家",
    "皇城",
    "宫廷",
    "世界",
    "国际",
    "环球",
    "中央",
    "天下",
    "至尊",
    "首府",
    "御",
)
#: Persons whose names are commonly proposed for streets (names of persons are generally not used).
PERSON_NAMES = (
    "张之洞", "孙中山", "中山", "毛泽东", "周恩来", "鲁迅", "雷锋", "焦裕禄", "成吉思汗", "王昭君", "昭君",
    "林则徐", "左宗棠", "岳飞", "文天祥", "郑成功", "李白", "杜甫",
)  # fmt: skip


@dataclass(frozen=True)
class Finding:
    """One rule finding."""

    rule: str
    severity: str
    message: str
    conflicts: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return asdict(self)

    def as_dict(self) -> dict:
        """JSON-ready form (as errors carrying findings in their details expect it)."""
        return asdict(self)


def check_name(
    name: str,
    *,
    category_code: str,
    proper_part: str | None = None,
    generic_part: str | None = None,
    in_scope: Iterable[dict] = (),
    self_id: int | None = None,
) -> list[Finding]:
    """Run every naming rule on ``name``.

    Parameters
    ----------
    name
        The proposed standard name.
    category_code
        Its category (see :mod:`placenames.categories`).
    proper_part, generic_part
        The split; derived from the category when not given.
    in_scope
        Existing names in the rule scope: dicts with ``id``, ``name``, ``category_code`` and
        ``status`` (retired names are ignored).
    self_id
        The id of the name being renamed (not a conflict with itself).

    Returns
    -------
    list of Finding
        Blocking findings first.
    """
    findings: list[Finding] = []
    invalid = check_characters(name)
    if invalid:
        return [invalid]
    cat = categories.get(category_code)
    if generic_part is None:
        generic_part = categories.match_generic(name, category_code)
        generic_part = generic_part.replace(" ", "") if generic_part else None
    if proper_part is None:
        proper_part = name[: len(name) - len(generic_part)] if generic_part else name
    findings.extend(_generic_consistency(name, cat, generic_part))
    findings.extend(_duplicates(name, cat, in_scope, self_id))
    findings.extend(_content(name, proper_part))
    return sorted(findings, key=lambda f: f.severity != BLOCKING)


def check_characters(name: str) -> Finding | None:
    """A blocking finding when ``name`` breaks the name's contract (not a plausible Chinese place name)."""
    if not isinstance(name, str) or not name.strip():
        return Finding("invalid_characters", BLOCKING, "the name is empty")
    try:
        check(PLACE_NAME_CONTRACTS["name"], name, field="name")
    except InvalidInput as exc:
        rule = "over_long" if "too long" in exc.message else "invalid_characters"
        return Finding(rule, BLOCKING, exc.message)
    return None


def blocking(findings: Iterable[Finding]) -> list[Finding]:
    """The blocking findings."""
    return [f for f in findings if f.severity == BLOCKING]


def warnings(findings: Iterable[Finding]) -> list[Finding]:
    """The warnings."""
    return [f for f in findings if f.severity == WARNING]


def _generic_consistency(name: str, cat: categories.Category, generic: str | None) -> list[Finding]:
    if not cat.generics or cat.one_word:
        return []
    allowed = {g.replace(" ", "") for g in cat.generics}
    if generic and generic in allowed:
        return []
    shown = "、".join(sorted(allowed, key=len)[:12])
    return [
        Finding(
            "generic_category",
            BLOCKING,
            f"{name} does not end in a generic of category {categories.label(cat.code)} ({shown}…)",
        )
    ]


def _duplicates(
    name: str, cat: categories.Category, in_scope: Iterable[dict], self_id: int | None
) -> list[Finding]:
    key = pinyin_key(name)
    dups: list[dict] = []
    homophones: list[dict] = []
    for other in in_scope:
        if other.get("id") == self_id or other.get("status") == "retired":
            continue
        if str(other.get("category_code", ""))[:2] != cat.major:
            continue
        ref = {"id": other.get("id"), "name": other["name"], "division_code": other.get("division_code")}
        if other["name"] == name:
            dups.append(ref)
        elif pinyin_key(other["name"]) == key:
            homophones.append(ref)
    out: list[Finding] = []
    if dups:
        out.append(
            Finding(
                "duplicate",
                BLOCKING,
                f"{name} already exists in the {cat.scope} scope: " + ", ".join(_ref(d) for d in dups),
                dups,
            )
        )
    if homophones:
        out.append(
            Finding(
                "homophone",
                WARNING,
                f"{name} sounds the same ({key}) as " + ", ".join(_ref(d) for d in homophones),
                homophones,
            )
        )
    return out


def _content(name: str, proper: str) -> list[Finding]:
    out: list[Finding] = []
    persons = [p for p in PERSON_NAMES if p in proper]
    if persons:
        out.append(Finding("person_name", WARNING, f"{name} uses the name of a person: {'、'.join(persons)}"))
    foreign = [p for p in FOREIGN_NAMES if p in name]
    if foreign:
        out.append(
            Finding("foreign_name", WARNING, f"{name} borrows a foreign place name: {'、'.join(foreign)}")
        )
    grand = [w for w in GRANDIOSE_WORDS if w in name]
    if grand:
        out.append(Finding("grandiose", WARNING, f"{name} uses exaggerating words: {'、'.join(grand)}"))
    if len(name) > MAX_NAME_CHARS or len(proper) > MAX_PROPER_CHARS:
        out.append(
            Finding(
                "over_long",
                WARNING,
                f"{name} is long ({len(name)} characters, proper part {len(proper)}; "
                f"limits {MAX_NAME_CHARS}/{MAX_PROPER_CHARS})",
            )
        )
    return out


def _ref(d: dict) -> str:
    return f"{d['name']} (#{d['id']})" if d.get("id") is not None else d["name"]
