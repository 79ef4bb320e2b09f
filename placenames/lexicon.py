"""Lexicons of the romanization: place-name readings, registered transcriptions, ethnic names.

Every entry names its source. Sources:

- ``1984 rules``: 中国地名汉语拼音字母拼写规则（汉语地名部分）, 中国地名委员会 (84)中地字第17号,
  its printed examples;
- ``GB/T 16159-2012``: 汉语拼音正词法基本规则, the place-name examples of its rules;
- ``division list``: the spelling of county-level and higher divisions as published by the
  Ministry of Civil Affairs (中华人民共和国行政区划简册, the national place-name database);
- registered transcriptions (少数民族语地名汉语拼音字母音译转写法, 1976): each entry names the
  document it was checked against (the region's and cities' published English forms, ISO 3166-2:CN,
  the encyclopaedia pages that cite them) with its address;
- ``Wuhai registry``: the readings of Wuhai's standard names in its own register.
"""

from __future__ import annotations

from dataclasses import dataclass

DIVISION_LIST = "division list (中华人民共和国行政区划简册)"
RULES_1984 = "1984 rules (中国地名汉语拼音字母拼写规则)"
GBT_16159 = "GB/T 16159-2012"
WUHAI = "Wuhai registry"


#: Where each registered transcription below was checked (title, publisher, date, address).
CHINA_DAILY_IM = (
    "China Daily, Inner Mongolia: About (2013-12-16), the region's divisions in their official "
    "English forms, https://www.chinadaily.com.cn/m/innermongolia/2013-12/16/content_17177049.htm"
)
ORDOS_GOV = (
    "Ordos municipal government, Administrative division (2017-03-28), "
    "http://en.goordos.com/2017-03/28/c_72624.htm"
)
ISO_3166_2_CN = (
    "ISO 3166-2:CN subdivision names (GB/T 2260 codes; national romanization = ISO 7098), "
    "as listed at https://en.wikipedia.org/wiki/ISO_3166-2:CN"
)
WP_IM_DIVISIONS = (
    "Wikipedia, List of administrative divisions of Inner Mongolia, "
    "https://en.wikipedia.org/wiki/List_of_administrative_divisions_of_Inner_Mongolia"
)


def _wp(title: str) -> str:
    return f"Wikipedia, {title.replace('_', ' ')}, https://en.wikipedia.org/wiki/{title}"


@dataclass(frozen=True)
class Reading:
    """The place-name reading of a character string (toneless syllables) and its source."""

    syllables: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class Transcription:
    """The registered Latin form of a name part of minority-language origin."""

    text: str
    language: str
    source: str


def _r(text: str, source: str) -> Reading:
    return Reading(tuple(text.split()), source)


#: Place-name readings of polyphonic or unusual characters.
READINGS: dict[str, Reading] = {
    "六安": _r("lu an", DIVISION_LIST),
    "六合": _r("lu he", DIVISION_LIST),
    "乐亭": _r("lao ting", DIVISION_LIST),
    "厦门": _r("xia men", DIVISION_LIST),
    "蚌埠": _r("beng bu", DIVISION_LIST),
    "番禺": _r("pan yu", DIVISION_LIST),
    "丽水": _r("li shui", DIVISION_LIST),
    "铅山": _r("yan shan", DIVISION_LIST),
    "枞阳": _r("zong yang", DIVISION_LIST),
    "尉犁": _r("yu li", DIVISION_LIST),
    "大城": _r("da cheng", DIVISION_LIST),
    "长治": _r("chang zhi", DIVISION_LIST),
    "长城": _r("chang cheng", DIVISION_LIST),
    "重庆": _r("chong qing", DIVISION_LIST),
    "朝阳": _r("chao yang", DIVISION_LIST),
    "东阿": _r("dong e", DIVISION_LIST),
    "莘县": _r("shen xian", DIVISION_LIST),
    "曲阜": _r("qu fu", DIVISION_LIST),
    "单县": _r("shan xian", DIVISION_LIST),
    "洪洞": _r("hong tong", DIVISION_LIST),
    "台州": _r("tai zhou", DIVISION_LIST),
    "天台": _r("tian tai", DIVISION_LIST),
    "乐清": _r("yue qing", DIVISION_LIST),
    "涡阳": _r("guo yang", DIVISION_LIST),
    "解州": _r("xie zhou", DIVISION_LIST),
    "昆都仑": _r("kun du lun", DIVISION_LIST),
    "商都": _r("shang du", DIVISION_LIST),
    "扎兰屯": _r("za lan tun", DIVISION_LIST),
    "红寺堡": _r("hong si bu", DIVISION_LIST),
    "青藏": _r("qing zang", RULES_1984),
    "太行": _r("tai hang", RULES_1984),
    "十里堡": _r("shi li pu", RULES_1984),
    "大黄堡": _r("da huang bao", RULES_1984),
    "吴堡": _r("wu bu", RULES_1984),
    "鸭绿": _r("ya lu", GBT_16159),
    "大厦": _r("da sha", WUHAI),
    "卡布其": _r("ka bu qi", WUHAI),
    "乌兰淖尔": _r("wu lan nao er", WUHAI),
    "淖尔": _r("nao er", WUHAI),
    "拉僧仲": _r("la seng zhong", WUHAI),
    "拉僧庙": _r("la seng miao", WUHAI),
    "巴音陶亥": _r("ba yin tao hai", WUHAI),
    "甘德尔": _r("gan de er", WUHAI),
    "公乌素": _r("gong wu su", WUHAI),
    "乌素": _r("wu su", WUHAI),
    "赛汗": _r("sai han", WUHAI),
    "卓子山": _r("zhuo zi shan", WUHAI),
    "苏海图": _r("su hai tu", WUHAI),
    "骆驼山": _r("luo tuo shan", WUHAI),
    "圪旦": _r("ge dan", WUHAI),
    "行政": _r("xing zheng", WUHAI),
    "银行": _r("yin hang", WUHAI),
    # Characters read one way in every place name (the other reading is a word of its own).
    "勒": _r("le", ORDOS_GOV + " (Aolezhaoqi, Aletengxire)"),
    "什": _r("shi", ORDOS_GOV + " (Kangbashi)"),
}


def _mn(text: str, source: str) -> Transcription:
    return Transcription(text, "mn", source)


#: Registered Latin forms of name parts of minority-language origin (Chinese characters → form),
#: each with the document it was checked against. Where two documents differ the form of the
#: transcription rules (少数民族语地名汉语拼音字母音译转写法) is kept and both are named. A name part
#: of minority-language origin that is not here is spelt from its characters and flagged for
#: review (``romanization(..., origin=...)``); entries are never added without a source.
TRANSCRIPTIONS: dict[str, Transcription] = {
    "内蒙古": _mn("Nei Mongol", ISO_3166_2_CN),
    "呼和浩特": _mn("Hohhot", CHINA_DAILY_IM),
    "鄂尔多斯": _mn("Ordos", ORDOS_GOV + "; China Daily (2013) writes Erdos"),
    "呼伦贝尔": _mn("Hulun Buir", _wp("Hulunbuir") + " (Hulunbuir or Hulun Buir)"),
    "巴彦淖尔": _mn("Bayannur", CHINA_DAILY_IM),
    "乌兰察布": _mn("Ulanqab", CHINA_DAILY_IM),
    "兴安": _mn("Hinggan", CHINA_DAILY_IM),
    "锡林郭勒": _mn("Xilin Gol", CHINA_DAILY_IM),
    "阿拉善": _mn("Alxa", CHINA_DAILY_IM + "; " + _wp("Alxa_League")),
    "鄂托克": _mn("Otog", ORDOS_GOV),
    "杭锦": _mn("Hanggin", ORDOS_GOV),
    "乌审": _mn("Uxin", ORDOS_GOV),
    "伊金霍洛": _mn("Ejin Horo", ORDOS_GOV),
    "准格尔": _mn("Jungar", ORDOS_GOV),
    "达拉特": _mn("Dalad", ORDOS_GOV),
    "乌拉特": _mn("Urad", _wp("Urad_Front_Banner")),
    "土默特": _mn("Tumd", CHINA_DAILY_IM + "; Wikipedia now titles it Tumed"),
    "达尔罕茂明安": _mn("Darhan Muminggan", WP_IM_DIVISIONS + "; China Daily (2013) misprints Muninggan"),
    "科尔沁": _mn("Horqin", CHINA_DAILY_IM),
    "阿鲁科尔沁": _mn("Ar Horqin", CHINA_DAILY_IM),
    "扎鲁特": _mn("Jarud", CHINA_DAILY_IM),
    "巴林": _mn("Bairin", CHINA_DAILY_IM),
    "克什克腾": _mn("Hexigten", CHINA_DAILY_IM),
    "翁牛特": _mn("Ongniud", CHINA_DAILY_IM),
    "喀喇沁": _mn("Harqin", CHINA_DAILY_IM),
    "锡林浩特": _mn("Xilinhot", CHINA_DAILY_IM),
    "二连浩特": _mn("Erenhot", CHINA_DAILY_IM),
    "阿巴嘎": _mn("Abag", CHINA_DAILY_IM),
    "苏尼特": _mn("Sonid", _wp("Sonid_Right_Banner")),
    "乌珠穆沁": _mn("Ujimqin", _wp("East_Ujimqin_Banner")),
    "乌兰浩特": _mn("Ulanhot", CHINA_DAILY_IM),
    "阿尔山": _mn(
        "Arxan",
        "Wikipedia (de), Arxan, https://de.wikipedia.org/wiki/Arxan; China Daily (2013) writes Arshaan",
    ),
    "扎赉特": _mn("Jalaid", CHINA_DAILY_IM),
    "海拉尔": _mn("Hailar", CHINA_DAILY_IM),
    "额尔古纳": _mn("Ergun", CHINA_DAILY_IM),
    "巴尔虎": _mn("Barag", CHINA_DAILY_IM),
    "霍林郭勒": _mn("Holingol", _wp("Holingol") + "; China Daily (2013) writes Huolin Gol"),
    "鄂温克族": _mn("Ewenki", CHINA_DAILY_IM + " (Ewenki Autonomous Banner)"),
    "鄂伦春": _mn("Oroqen", CHINA_DAILY_IM),
    "莫力达瓦": _mn("Morin Dawa", CHINA_DAILY_IM),
    "达斡尔": _mn("Daur", CHINA_DAILY_IM + " (Daur Autonomous Banner of Morin Dawa)"),
    "四子王": _mn("Dorbod", _wp("Dorbod_Banner")),
    "阿荣": _mn("Arun", CHINA_DAILY_IM),
    "库伦": _mn("Hure", CHINA_DAILY_IM + " (Hure Banner)"),
    "和林格尔": _mn("Horinger", CHINA_DAILY_IM + "; " + WP_IM_DIVISIONS),
    "托克托": _mn("Togtoh", CHINA_DAILY_IM + "; " + WP_IM_DIVISIONS),
    "陕西": Transcription("Shaanxi", "zh", ISO_3166_2_CN),
}

#: The 56 nationalities; "<name>族" inside a name is a word of its own (Ningxia Huizu Zizhiqu).
ETHNIC_NAMES: tuple[str, ...] = [
    "汉",
    "蒙古",
    "回",
    "藏",
    "维吾尔",
    "苗",
    "彝",
    "壮",
    "布依",
    "朝鲜",
    "满",
    "侗",
    "瑶",
    "白",
    "土家",
    "哈尼",
    "哈萨克",
    "傣",
    "黎",
    "傈僳",
    "佤",
    "畲",
    "高山",
    "拉祜",
    "水",
    "东乡",
    "纳西",
    "景颇",
    "柯尔克孜",
    "土",
    "达斡尔",
    "仫佬",
    "羌",
    "布朗",
    "撒拉",
    "毛南",
    "仡佬",
    "锡伯",
    "阿昌",
    "普米",
    "塔吉克",
    "怒",
    "乌孜别克",
    "俄罗斯",
    "鄂温克",
    "德昂",
    "保安",
    "裕固",
    "京",
    "塔塔尔",
    "独龙",
    "鄂伦春",
    "赫哲",
    "门巴",
    "珞巴",
    "基诺",
]

#: Words a long proper part is divided into (besides generics, transcriptions and ethnic names).
WORDS: tuple[str, ...] = [
    "左翼",
    "右翼",
    "高新",
    "技术",
    "产业",
    "经济",
    "科技",
    "工业",
    "物流",
    "生态",
    "循环",
    "农业",
    "示范",
    "综合",
    "保税",
    "文化",
    "旅游",
    "创业",
    "新区",
    "园区",
    "开发区",
    "产业园",
    "工业园",
    "中心",
    "集团",
    "有限",
    "公司",
    "现代",
    "国际",
    "商贸",
    "能源",
    "化工",
    "北京",
    "天津",
    "上海",
    "重庆",
    "河北",
    "山西",
    "辽宁",
    "吉林",
    "黑龙江",
    "江苏",
    "浙江",
    "安徽",
    "福建",
    "江西",
    "山东",
    "河南",
    "湖北",
    "湖南",
    "广东",
    "广西",
    "海南",
    "四川",
    "贵州",
    "云南",
    "陕西",
    "甘肃",
    "青海",
    "宁夏",
    "新疆",
    "西藏",
    "乌海",
    "海勃湾",
    "乌达",
    "包头",
]
