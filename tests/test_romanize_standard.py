"""Romanization by GB/T 16159-2012 and the 1984 place-name spelling rules: every printed example
that applies to place names, banners, ethnic names, long specifics, transcriptions, and the rate on
a list of divisions of Inner Mongolia and its neighbours."""

from __future__ import annotations

import pytest

from placenames import lexicon
from placenames.romanize import romanization
from placenames.romanize import romanize

#: The examples of the 1984 rules (中国地名汉语拼音字母拼写规则), articles 1-12.
RULES_1984 = [
    ("太行山", None, "Taihang Shan"),
    ("松花江", None, "Songhua Jiang"),
    ("汾河", None, "Fen He"),
    ("太湖", None, "Tai Hu"),
    ("舟山群岛", None, "Zhoushan Qundao"),
    ("台湾海峡", None, "Taiwan Haixia"),
    ("青藏高原", None, "Qingzang Gaoyuan"),
    ("密云水库", None, "Miyun Shuiku"),
    ("大运河", None, "Da Yunhe"),
    ("永丰渠", None, "Yongfeng Qu"),
    ("西藏自治区", None, "Xizang Zizhiqu"),
    ("江苏省", None, "Jiangsu Sheng"),
    ("襄樊市", None, "Xiangfan Shi"),
    ("通县", None, "Tong Xian"),
    ("西峰镇", None, "Xifeng Zhen"),
    ("虹口区", None, "Hongkou Qu"),
    ("友谊乡", None, "Youyi Xiang"),
    ("京津公路", None, "Jingjin Gonglu"),
    ("南京路", None, "Nanjing Lu"),
    ("滨江道", None, "Binjiang Dao"),
    ("横街", None, "Heng Jie"),
    ("长安街", None, "Chang'an Jie"),
    ("大马路", None, "Da Malu"),
    ("梧桐巷", None, "Wutong Xiang"),
    ("门框胡同", None, "Menkuang Hutong"),
    ("西辽河", None, "Xiliao He"),
    ("潮白新河", None, "Chaobai Xinhe"),
    ("新通扬运河", None, "Xintongyang Yunhe"),
    ("北雁荡山", None, "Beiyandang Shan"),
    ("老秃顶子山", None, "Laotudingzi Shan"),
    ("小金门岛", None, "Xiaojinmen Dao"),
    ("景山后街", None, "Jingshan Houjie"),
    ("造币左路", None, "Zaobi Zuolu"),
    ("清波门直街", None, "Qingbomen Zhijie"),
    ("后赵家楼胡同", None, "Houzhaojialou Hutong"),
    ("朝阳门内大街", None, "Chaoyangmennei Dajie"),
    ("南小街", None, "Nan Xiaojie"),
    ("小南街", None, "Xiao Nanjie"),
    ("南横东街", None, "Nanheng Dongjie"),
    ("修文西小巷", None, "Xiuwen Xixiaoxiang"),
    ("东直门外南后街", None, "Dongzhimenwai Nanhoujie"),
    ("广安门北滨河路", None, "Guang'anmen Beibinhe Lu"),
    ("广渠南水关胡同", None, "Guangqu Nanshuiguan Hutong"),
    ("王村", "242", "Wangcun"),
    ("江镇", "242", "Jiangzhen"),
    ("漷县", "242", "Huoxian"),
    ("周口店", "242", "Zhoukoudian"),
    ("文家市", "242", "Wenjiashi"),
    ("油坊桥", "242", "Youfangqiao"),
    ("铁匠营", "242", "Tiejiangying"),
    ("大虎山", "242", "Dahushan"),
    ("太平沟", "242", "Taipinggou"),
    ("三岔河", "242", "Sanchahe"),
    ("龙王集", "242", "Longwangji"),
    ("龚家棚", "242", "Gongjiapeng"),
    ("众埠街", "242", "Zhongbujie"),
    ("南王家荡", "242", "Nanwangjiadang"),
    ("渤海湾", None, "Bohai Wan"),
    ("黑龙江省", None, "Heilongjiang Sheng"),
    ("景德镇市", None, "Jingdezhen Shi"),
    ("解放路南小街", None, "Jiefanglu Nanxiaojie"),
    ("左权县", None, "Zuoquan Xian"),
    ("张之洞路", None, "Zhangzhidong Lu"),
    ("欧阳海水库", None, "Ouyanghai Shuiku"),
    ("五指山", None, "Wuzhi Shan"),
    ("九龙江", None, "Jiulong Jiang"),
    ("三门峡", None, "Sanmen Xia"),
    ("二道沟", None, "Erdao Gou"),
    ("第二松花江", None, "Di'er Songhua Jiang"),
    ("第六屯", None, "Diliutun"),
    ("三眼井胡同", None, "Sanyanjing Hutong"),
    ("八角场东街", None, "Bajiaochang Dongjie"),
    ("三八路", None, "Sanba Lu"),
    ("五一广场", None, "Wuyi Guangchang"),
    ("1203高地", None, "1203 Gaodi"),
    ("1718峰", None, "1718 Feng"),
    ("二马路", None, "2 Malu"),
    ("经五路", None, "Jing 5 Lu"),
    ("三环路", None, "3 Huanlu"),
    ("大川淀一巷", None, "Dachuandian 1 Xiang"),
    ("东四十二条", None, "Dongsi 12 Tiao"),
    ("十里堡", None, "Shilipu"),
    ("大黄堡", None, "Dahuangbao"),
    ("吴堡", None, "Wubu"),
    ("李庄", None, "Lizhuang"),
    ("珠江", None, "Zhu Jiang"),
    ("天宁寺西里一巷", None, "Tianningsi Xili 1 Xiang"),
    ("西安", None, "Xi'an"),
    ("建瓯", None, "Jian'ou"),
    ("天峨", None, "Tian'e"),
    ("盆儿胡同", None, "Penr Hutong"),
]
#: The place-name examples of GB/T 16159-2012.
GBT_16159 = [
    ("北京市", None, "Beijing Shi"),
    ("鸭绿江", None, "Yalu Jiang"),
    ("泰山", None, "Tai Shan"),
    ("台湾海峡", None, "Taiwan Haixia"),
    ("西辽河", None, "Xiliao He"),
    ("景山后街", None, "Jingshan Houjie"),
    ("朝阳门内南小街", None, "Chaoyangmennei Nanxiaojie"),
    ("黑龙江省", "211", "Heilongjiang Sheng"),
    ("黑龙江", "121", "Heilong Jiang"),
    ("酒仙桥", "254", "Jiuxian Qiao"),
    ("王村", "242", "Wangcun"),
    ("周口店", "242", "Zhoukoudian"),
    ("三潭印月", None, "Santanyinyue"),
]

#: Banners, ethnic autonomous areas, transcriptions and long specifics.
CLASSES = [
    ("阿拉善左旗", "213", "Alxa Zuoqi"),
    ("鄂托克前旗", "213", "Otog Qianqi"),
    ("杭锦后旗", None, "Hanggin Houqi"),
    ("科尔沁右翼中旗", None, "Horqin Youyi Zhongqi"),
    ("达尔罕茂明安联合旗", None, "Darhan Muminggan Lianheqi"),
    ("宁夏回族自治区", None, "Ningxia Huizu Zizhiqu"),
    ("广西壮族自治区", "211", "Guangxi Zhuangzu Zizhiqu"),
    ("湘西土家族苗族自治州", None, "Xiangxi Tujiazu Miaozu Zizhizhou"),
    ("内蒙古自治区", None, "Nei Mongol Zizhiqu"),
    ("鄂尔多斯市", None, "Ordos Shi"),
    ("巴彦淖尔市", None, "Bayannur Shi"),
    ("呼和浩特市", None, "Hohhot Shi"),
    ("乌海高新技术产业开发区海勃湾产业园", "231", "Wuhai Gaoxin Jishu Chanye Kaifaqu Haibowan Chanyeyuan"),
    ("甘德尔山", "131", "Gande'er Shan"),
    ("东阿县", None, "Dong'e Xian"),
]


@pytest.mark.parametrize(("name", "category", "expected"), RULES_1984)
def test_examples_of_the_1984_rules(name, category, expected):
    assert romanize(name, category=category) == expected


@pytest.mark.parametrize(("name", "category", "expected"), GBT_16159)
def test_examples_of_gbt_16159(name, category, expected):
    assert romanize(name, category=category) == expected


@pytest.mark.parametrize(("name", "category", "expected"), CLASSES)
def test_banners_ethnic_names_transcriptions_long_specifics(name, category, expected):
    assert romanize(name, category=category) == expected
    assert romanize(name, category=category, caps=True) == expected.upper()


def test_rate_on_divisions_of_inner_mongolia_and_neighbours():
    pairs = places()
    wrong = [(n, e, romanize(n)) for n, e in pairs if romanize(n) != e]
    assert len(pairs) > 170
    assert 1 - len(wrong) / len(pairs) >= 0.98, wrong


def test_rate_on_divisions_and_the_held_out_towns_of_ordos():
    """The divisions above and the towns of Ordos as printed (held out) together: at least 98 %.

    The towns alone come out 33 of 36: 泊尔江海子镇 (printed Bojianghaizi, which drops a syllable;
    泊 reads po here), 苏布尔嘎镇 (printed without the apostrophe the rules put before "er") and
    乌审召镇 (printed in pinyin, Wushenzhao, while the banner is Uxin).
    """
    pairs = places() + [(n, f"{e} Zhen") for n, e in ordos_towns()]
    wrong = [(n, e, romanize(n)) for n, e in pairs if romanize(n) != e]
    assert len(pairs) > 200
    assert 1 - len(wrong) / len(pairs) >= 0.98, wrong


def test_transcriptions_are_recorded_with_language_and_source():
    result = romanization("阿拉善左旗", origin="mn")
    assert result.text == "Alxa Zuoqi"
    assert not result.needs_review
    assert any(lexicon.CHINA_DAILY_IM in source for source in result.sources)
    assert all("http" in t.source and t.language for t in lexicon.TRANSCRIPTIONS.values())
    assert all(r.source for r in lexicon.READINGS.values())


def test_a_mongolian_name_without_registered_form_is_spelt_from_characters_for_review():
    result = romanization("乌兰淖尔镇", category="214", origin="mn")
    assert result.text == "Wulannao'er Zhen"
    assert result.needs_review
    assert not romanization("乌兰淖尔镇", category="214").needs_review


def test_apostrophe_at_every_syllable_boundary_before_a_o_e():
    assert romanize("天峨县") == "Tian'e Xian"
    assert romanize("兴安盟") == "Hinggan Meng"
    assert romanize("长安街") == "Chang'an Jie"


#: County-level and higher divisions of Inner Mongolia and its neighbours with the spellings of the
#: division list of the Ministry of Civil Affairs and the national place-name database.
PLACES = """
内蒙古自治区 Nei Mongol Zizhiqu
呼和浩特市 Hohhot Shi
新城区 Xincheng Qu
回民区 Huimin Qu
玉泉区 Yuquan Qu
赛罕区 Saihan Qu
土默特左旗 Tumd Zuoqi
托克托县 Togtoh Xian
和林格尔县 Horinger Xian
清水河县 Qingshuihe Xian
武川县 Wuchuan Xian
包头市 Baotou Shi
东河区 Donghe Qu
昆都仑区 Kundulun Qu
青山区 Qingshan Qu
石拐区 Shiguai Qu
九原区 Jiuyuan Qu
土默特右旗 Tumd Youqi
固阳县 Guyang Xian
达尔罕茂明安联合旗 Darhan Muminggan Lianheqi
乌海市 Wuhai Shi
海勃湾区 Haibowan Qu
海南区 Hainan Qu
乌达区 Wuda Qu
赤峰市 Chifeng Shi
红山区 Hongshan Qu
元宝山区 Yuanbaoshan Qu
松山区 Songshan Qu
阿鲁科尔沁旗 Ar Horqin Qi
巴林左旗 Bairin Zuoqi
巴林右旗 Bairin Youqi
林西县 Linxi Xian
克什克腾旗 Hexigten Qi
翁牛特旗 Ongniud Qi
喀喇沁旗 Harqin Qi
宁城县 Ningcheng Xian
敖汉旗 Aohan Qi
通辽市 Tongliao Shi
科尔沁区 Horqin Qu
科尔沁左翼中旗 Horqin Zuoyi Zhongqi
科尔沁左翼后旗 Horqin Zuoyi Houqi
开鲁县 Kailu Xian
奈曼旗 Naiman Qi
扎鲁特旗 Jarud Qi
霍林郭勒市 Holingol Shi
鄂尔多斯市 Ordos Shi
东胜区 Dongsheng Qu
达拉特旗 Dalad Qi
准格尔旗 Jungar Qi
鄂托克前旗 Otog Qianqi
鄂托克旗 Otog Qi
杭锦旗 Hanggin Qi
乌审旗 Uxin Qi
康巴什区 Kangbashi Qu
伊金霍洛旗 Ejin Horo Qi
呼伦贝尔市 Hulun Buir Shi
海拉尔区 Hailar Qu
阿荣旗 Arun Qi
莫力达瓦达斡尔族自治旗 Morin Dawa Daurzu Zizhiqi
鄂伦春自治旗 Oroqen Zizhiqi
鄂温克族自治旗 Ewenki Zizhiqi
陈巴尔虎旗 Chen Barag Qi
新巴尔虎左旗 Xin Barag Zuoqi
新巴尔虎右旗 Xin Barag Youqi
满洲里市 Manzhouli Shi
牙克石市 Yakeshi Shi
扎兰屯市 Zalantun Shi
额尔古纳市 Ergun Shi
根河市 Genhe Shi
巴彦淖尔市 Bayannur Shi
临河区 Linhe Qu
五原县 Wuyuan Xian
磴口县 Dengkou Xian
乌拉特前旗 Urad Qianqi
乌拉特中旗 Urad Zhongqi
乌拉特后旗 Urad Houqi
杭锦后旗 Hanggin Houqi
乌兰察布市 Ulanqab Shi
集宁区 Jining Qu
卓资县 Zhuozi Xian
化德县 Huade Xian
商都县 Shangdu Xian
兴和县 Xinghe Xian
凉城县 Liangcheng Xian
四子王旗 Dorbod Qi
丰镇市 Fengzhen Shi
兴安盟 Hinggan Meng
乌兰浩特市 Ulanhot Shi
阿尔山市 Arxan Shi
科尔沁右翼前旗 Horqin Youyi Qianqi
科尔沁右翼中旗 Horqin Youyi Zhongqi
扎赉特旗 Jalaid Qi
突泉县 Tuquan Xian
锡林郭勒盟 Xilin Gol Meng
二连浩特市 Erenhot Shi
锡林浩特市 Xilinhot Shi
阿巴嘎旗 Abag Qi
苏尼特左旗 Sonid Zuoqi
苏尼特右旗 Sonid Youqi
东乌珠穆沁旗 Dong Ujimqin Qi
西乌珠穆沁旗 Xi Ujimqin Qi
镶黄旗 Xianghuang Qi
正镶白旗 Zhengxiangbai Qi
正蓝旗 Zhenglan Qi
多伦县 Duolun Xian
阿拉善盟 Alxa Meng
阿拉善左旗 Alxa Zuoqi
阿拉善右旗 Alxa Youqi
宁夏回族自治区 Ningxia Huizu Zizhiqu
银川市 Yinchuan Shi
兴庆区 Xingqing Qu
西夏区 Xixia Qu
金凤区 Jinfeng Qu
永宁县 Yongning Xian
贺兰县 Helan Xian
灵武市 Lingwu Shi
石嘴山市 Shizuishan Shi
大武口区 Dawukou Qu
惠农区 Huinong Qu
平罗县 Pingluo Xian
吴忠市 Wuzhong Shi
利通区 Litong Qu
红寺堡区 Hongsibu Qu
盐池县 Yanchi Xian
同心县 Tongxin Xian
青铜峡市 Qingtongxia Shi
中卫市 Zhongwei Shi
沙坡头区 Shapotou Qu
中宁县 Zhongning Xian
海原县 Haiyuan Xian
固原市 Guyuan Shi
原州区 Yuanzhou Qu
西吉县 Xiji Xian
隆德县 Longde Xian
泾源县 Jingyuan Xian
彭阳县 Pengyang Xian
甘肃省 Gansu Sheng
兰州市 Lanzhou Shi
武威市 Wuwei Shi
民勤县 Minqin Xian
金昌市 Jinchang Shi
张掖市 Zhangye Shi
酒泉市 Jiuquan Shi
嘉峪关市 Jiayuguan Shi
白银市 Baiyin Shi
景泰县 Jingtai Xian
天祝藏族自治县 Tianzhu Zangzu Zizhixian
陕西省 Shaanxi Sheng
榆林市 Yulin Shi
府谷县 Fugu Xian
神木市 Shenmu Shi
定边县 Dingbian Xian
靖边县 Jingbian Xian
横山区 Hengshan Qu
吴堡县 Wubu Xian
山西省 Shanxi Sheng
大同市 Datong Shi
朔州市 Shuozhou Shi
偏关县 Pianguan Xian
河曲县 Hequ Xian
忻州市 Xinzhou Shi
河北省 Hebei Sheng
张家口市 Zhangjiakou Shi
承德市 Chengde Shi
康保县 Kangbao Xian
辽宁省 Liaoning Sheng
朝阳市 Chaoyang Shi
吉林省 Jilin Sheng
白城市 Baicheng Shi
黑龙江省 Heilongjiang Sheng
广西壮族自治区 Guangxi Zhuangzu Zizhiqu
西藏自治区 Xizang Zizhiqu
"""


#: Towns of Ordos's banners as the municipal government prints them ("Administrative division",
#: 2017-03-28, http://en.goordos.com/2017-03/28/c_72624.htm): held out, none is in the lexicon.
ORDOS_TOWNS = """
罕台镇 Hantai
铜川镇 Tongchuan
泊尔江海子镇 Bojianghaizi
中和西镇 Zhonghexi
恩格贝镇 Engebei
昭君镇 Zhaojun
树林召镇 Shulinzhao
王爱召镇 Wang'aizhao
白泥井镇 Bainijing
吉格斯太镇 Jigesitai
薛家湾镇 Xuejiawan
龙口镇 Longkou
纳日松镇 Narisong
沙圪堵镇 Shagedu
大路镇 Dalu
阿勒腾席热镇 Aletengxire
红庆河镇 Hongqinghe
纳林陶亥镇 Nalintaohai
札萨克镇 Zhasake
苏布尔嘎镇 Subuerga
乌兰木伦镇 Wulanmulun
嘎鲁图镇 Galutu
图克镇 Tuke
乌审召镇 Wushenzhao
无定河镇 Wudinghe
独贵塔拉镇 Duguitala
呼和木独镇 Huhemudu
吉日嘎朗图镇 Jirigalangtu
锡尼镇 Xini
乌兰镇 Wulan
棋盘井镇 Qipanjing
蒙西镇 Mengxi
敖勒召其镇 Aolezhaoqi
上海庙镇 Shanghaimiao
城川镇 Chengchuan
昂素镇 Angsu
"""


def ordos_towns() -> list[tuple[str, str]]:
    """(town, specific as printed) pairs of :data:`ORDOS_TOWNS`."""
    return [tuple(line.split(" ", 1)) for line in ORDOS_TOWNS.strip().splitlines()]


def places() -> list[tuple[str, str]]:
    """(name, official spelling) pairs."""
    out = []
    for line in PLACES.strip().splitlines():
        name, spelling = line.split(" ", 1)
        out.append((name, spelling))
    return out


#: Every registered transcription of the lexicon, in a name as the checked document prints it,
#: with the address of that document (the lexicon must name the same one).
CHINA_DAILY = "chinadaily.com.cn/m/innermongolia/2013-12/16/content_17177049.htm"
ORDOS = "en.goordos.com/2017-03/28/c_72624.htm"
ISO = "wikipedia.org/wiki/ISO_3166-2:CN"
WP = "en.wikipedia.org/wiki/"
TRANSCRIBED = [
    ("内蒙古", "内蒙古自治区", "Nei Mongol Zizhiqu", ISO),
    ("呼和浩特", "呼和浩特市", "Hohhot Shi", CHINA_DAILY),
    ("鄂尔多斯", "鄂尔多斯市", "Ordos Shi", ORDOS),
    ("呼伦贝尔", "呼伦贝尔市", "Hulun Buir Shi", WP + "Hulunbuir"),
    ("巴彦淖尔", "巴彦淖尔市", "Bayannur Shi", CHINA_DAILY),
    ("乌兰察布", "乌兰察布市", "Ulanqab Shi", CHINA_DAILY),
    ("兴安", "兴安盟", "Hinggan Meng", CHINA_DAILY),
    ("锡林郭勒", "锡林郭勒盟", "Xilin Gol Meng", CHINA_DAILY),
    ("阿拉善", "阿拉善右旗", "Alxa Youqi", CHINA_DAILY),
    ("鄂托克", "鄂托克旗", "Otog Qi", ORDOS),
    ("杭锦", "杭锦旗", "Hanggin Qi", ORDOS),
    ("乌审", "乌审旗", "Uxin Qi", ORDOS),
    ("伊金霍洛", "伊金霍洛旗", "Ejin Horo Qi", ORDOS),
    ("准格尔", "准格尔旗", "Jungar Qi", ORDOS),
    ("达拉特", "达拉特旗", "Dalad Qi", ORDOS),
    ("乌拉特", "乌拉特前旗", "Urad Qianqi", WP + "Urad_Front_Banner"),
    ("土默特", "土默特右旗", "Tumd Youqi", CHINA_DAILY),
    (
        "达尔罕茂明安",
        "达尔罕茂明安联合旗",
        "Darhan Muminggan Lianheqi",
        WP + "List_of_administrative_divisions_of_Inner_Mongolia",
    ),
    ("科尔沁", "科尔沁右翼前旗", "Horqin Youyi Qianqi", CHINA_DAILY),
    ("阿鲁科尔沁", "阿鲁科尔沁旗", "Ar Horqin Qi", CHINA_DAILY),
    ("扎鲁特", "扎鲁特旗", "Jarud Qi", CHINA_DAILY),
    ("巴林", "巴林左旗", "Bairin Zuoqi", CHINA_DAILY),
    ("克什克腾", "克什克腾旗", "Hexigten Qi", CHINA_DAILY),
    ("翁牛特", "翁牛特旗", "Ongniud Qi", CHINA_DAILY),
    ("喀喇沁", "喀喇沁旗", "Harqin Qi", CHINA_DAILY),
    ("锡林浩特", "锡林浩特市", "Xilinhot Shi", CHINA_DAILY),
    ("二连浩特", "二连浩特市", "Erenhot Shi", CHINA_DAILY),
    ("阿巴嘎", "阿巴嘎旗", "Abag Qi", CHINA_DAILY),
    ("苏尼特", "苏尼特右旗", "Sonid Youqi", WP + "Sonid_Right_Banner"),
    ("乌珠穆沁", "东乌珠穆沁旗", "Dong Ujimqin Qi", WP + "East_Ujimqin_Banner"),
    ("乌兰浩特", "乌兰浩特市", "Ulanhot Shi", CHINA_DAILY),
    ("阿尔山", "阿尔山市", "Arxan Shi", "de.wikipedia.org/wiki/Arxan"),
    ("扎赉特", "扎赉特旗", "Jalaid Qi", CHINA_DAILY),
    ("海拉尔", "海拉尔区", "Hailar Qu", CHINA_DAILY),
    ("额尔古纳", "额尔古纳市", "Ergun Shi", CHINA_DAILY),
    ("巴尔虎", "陈巴尔虎旗", "Chen Barag Qi", CHINA_DAILY),
    ("霍林郭勒", "霍林郭勒市", "Holingol Shi", WP + "Holingol"),
    ("鄂温克族", "鄂温克族自治旗", "Ewenki Zizhiqi", CHINA_DAILY),
    ("鄂伦春", "鄂伦春自治旗", "Oroqen Zizhiqi", CHINA_DAILY),
    ("莫力达瓦", "莫力达瓦达斡尔族自治旗", "Morin Dawa Daurzu Zizhiqi", CHINA_DAILY),
    ("达斡尔", "达斡尔族", "Daurzu", CHINA_DAILY),
    ("四子王", "四子王旗", "Dorbod Qi", WP + "Dorbod_Banner"),
    ("阿荣", "阿荣旗", "Arun Qi", CHINA_DAILY),
    ("库伦", "库伦旗", "Hure Qi", CHINA_DAILY),
    ("和林格尔", "和林格尔县", "Horinger Xian", CHINA_DAILY),
    ("托克托", "托克托县", "Togtoh Xian", CHINA_DAILY),
    ("陕西", "陕西省", "Shaanxi Sheng", ISO),
]


@pytest.mark.parametrize(("entry", "name", "expected", "address"), TRANSCRIBED)
def test_each_registered_transcription_against_its_source(entry, name, expected, address):
    recorded = lexicon.TRANSCRIPTIONS[entry]
    assert address in recorded.source
    assert romanize(name) == expected
    assert not romanization(name, origin=recorded.language).needs_review


def test_every_registered_transcription_has_a_checked_case():
    assert sorted(lexicon.TRANSCRIPTIONS) == sorted(entry for entry, *_ in TRANSCRIBED)


#: Names of Mongolian origin whose transcription could not be checked against a document: no
#: registered form, so the pinyin form is used and flagged for review.
UNCHECKED_MONGOLIAN = [
    "额济纳旗",
    "太仆寺旗",
    "察哈尔右翼前旗",
    "白云鄂博矿区",
    "扎赉诺尔区",
    "杜尔伯特蒙古族自治县",
]


@pytest.mark.parametrize("name", UNCHECKED_MONGOLIAN)
def test_a_name_without_a_checked_transcription_is_flagged_for_review(name):
    result = romanization(name, origin="mn")
    assert result.needs_review
    assert result.text.isascii()
