"""GB/T 16159 romanization: the rule examples of the place-name spelling rules must come out exactly."""

from __future__ import annotations

import pytest

from placenames import categories
from placenames.romanize import initials
from placenames.romanize import pinyin_key
from placenames.romanize import romanize
from placenames.romanize import split_name
from placenames.romanize import validate_override

CASES = [
    # proper and generic apart
    ("人民路", None, "Renmin Lu"),
    # A lake's generic closing a town's specific stays in it; an area's generic is a word of its own.
    ("大白杨树海子镇", None, "Dabaiyangshuhaizi Zhen"),
    ("卓山至骆驼山矿区社区", "221", "Zhuoshanzhiluotuoshan Kuangqu Shequ"),
    # 席 and 锡 read xi but are no direction word; 勒 reads le and 什 shi in place names.
    ("阿勒腾席热镇", None, "Aletengxire Zhen"),
    ("康巴什区", None, "Kangbashi Qu"),
    ("海勃湾区", None, "Haibowan Qu"),
    ("乌达区", None, "Wuda Qu"),
    ("海勃湾区", "213", "Haibowan Qu"),
    # one-syllable modifiers joined, compound generics one word
    ("西辽河", None, "Xiliao He"),
    ("景山后街", None, "Jingshan Houjie"),
    ("朝阳门内大街", None, "Chaoyangmennei Dajie"),
    ("朝阳门内大街", "253", "Chaoyangmennei Dajie"),
    # natural villages one word
    ("王村", None, "Wangcun"),
    ("王村", "242", "Wangcun"),
    # generic become proper
    ("渤海湾", None, "Bohai Wan"),
    # personal names joined
    ("张之洞路", None, "Zhangzhidong Lu"),
    ("张之洞路", "253", "Zhangzhidong Lu"),
    # apostrophes
    ("西安", None, "Xi'an"),
    ("建瓯", None, "Jian'ou"),
    ("甘德尔山", "131", "Gande'er Shan"),
    # ordinals to digits
    ("大川淀一巷", None, "Dachuandian 1 Xiang"),
    ("大川淀一巷", "253", "Dachuandian 1 Xiang"),
    ("江汉二路", "253", "Jianghan 2 Lu"),
    ("人民路十二巷", "253", "Renminlu 12 Xiang"),
    # polyphones through the lexicon
    ("六安", None, "Lu'an"),
    ("乐亭", None, "Laoting"),
    ("厦门", None, "Xiamen"),
    ("厦门市", "212", "Xiamen Shi"),
    ("重庆市", "212", "Chongqing Shi"),
    ("蚌埠市", "212", "Bengbu Shi"),
    # Wuhai names
    ("乌海市", "212", "Wuhai Shi"),
    ("凤凰岭街道", "214", "Fenghuangling Jiedao"),
    ("乌兰淖尔镇", "214", "Wulannao'er Zhen"),
    ("拉僧庙镇", "214", "Lasengmiao Zhen"),
    ("和平社区", "221", "Heping Shequ"),
    ("新地村", "222", "Xindi Cun"),
    ("滨河东路", "253", "Binhe Donglu"),
    ("黄河", "121", "Huang He"),
    ("乌海湖", "122", "Wuhai Hu"),
    ("乌达经济开发区", "231", "Wuda Jingji Kaifaqu"),
]


@pytest.mark.parametrize(("name", "category", "expected"), CASES)
def test_romanize_examples(name, category, expected):
    assert romanize(name, category=category) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [("人民路", "RENMIN LU"), ("西安", "XI'AN"), ("大川淀一巷", "DACHUANDIAN 1 XIANG")],
)
def test_caps_for_signs(name, expected):
    assert romanize(name, caps=True) == expected


def test_split_name_parts():
    parts = split_name("大川淀一巷")
    assert (parts.proper, parts.ordinal, parts.generic) == ("大川淀", 1, "巷")
    assert split_name("三道坎街道", category="214").proper == "三道坎"
    assert split_name("千里山", category="131").generic == "山"


def test_keys():
    assert pinyin_key("海勃湾区") == "haibowanqu"
    assert initials("海勃湾区") == "hbwq"
    assert pinyin_key("绿园") == "lvyuan"


@pytest.mark.parametrize(
    ("name", "override", "reason", "ok"),
    [
        ("六安", "Liu'an", "local reading", True),
        ("六安", "LU'AN", "sign", True),
        ("大川淀一巷", "Dachuandian Yi Xiang", "spoken", True),
        ("绿园", "Lüyuan", "x", True),
        ("绿园", "Lvyuan", "x", True),
        ("六安", "Lu'an", "", False),
        ("六安", "Beijing", "x", False),
        ("六安", "lu an", "x", False),
        ("六安", "<script>", "x", False),
        ("人民路", "Renmin Road", "English", False),
    ],
)
def test_validate_override(name, override, reason, ok):
    assert (validate_override(name, override, reason=reason) == []) is ok


@pytest.mark.parametrize("bad", ["", "   ", "人民\x00路"])
def test_bad_names_rejected(bad):
    with pytest.raises(ValueError):
        romanize(bad)


def test_categories():
    assert categories.get("253").scope == "district"
    assert categories.match_generic("人民路", "253") == "路"
    assert categories.match_generic("滨河东路", "253") == "东路"
    assert categories.label("253") == "253 交通运输设施/城市道路"
    with pytest.raises(ValueError):
        categories.get("999")
