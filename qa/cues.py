"""How questions name tables, columns, rows and counts: the cue words the item resolver (qa/lookup.py)
reads a question with. Each list says what people write and what the documents print.

    from qa.cues import TABLE_CUES, asked_item
"""

from __future__ import annotations

import re

TABLE_PRIORITY = ["支出预算总表", "收支预算总表", "一般公共预算支出", "财政拨款支出", "收入预算总表",
                  "财政拨款收支预算总表", "政府性基金预算支出", "国有资本经营预算支出", "一般公共预算基本支出",
                  "财政拨款基本支出", "三公经费", "机关运行经费", "政府采购", "绩效目标", "其他"]
TABLE_CUES = [  # words in a question that name a table
    (r"财政拨款收支", "财政拨款收支预算总表"), (r"收支总表|财务收支", "收支预算总表"),
    (r"收入预算|收入总表|收入来源", "收入预算总表"), (r"支出总表|支出预算总表", "支出预算总表"),
    (r"一般公共预算.{0,4}基本支出|经济分类", "一般公共预算基本支出"), (r"财政拨款.{0,4}基本支出", "财政拨款基本支出"),
    (r"一般公共预算(?!(财政)?拨款(?!支出)|收入)", "一般公共预算支出"), (r"政府性基金", "政府性基金预算支出"),
    (r"国有资本经营", "国有资本经营预算支出"), (r"政府购买服务", "政府购买服务"), (r"项目支出(预算)?(明细)?表|项目(预算)?表", "项目支出"), (r"财政拨款支出", "财政拨款支出"), (r"政府采购|采购", "政府采购"),
]
COLUMN_CUES = [  # words in a question that name a column, most specific first
    (r"基本支出", "基本支出"), (r"项目支出", "项目支出"), (r"人员经费|人头经费|人员支出", "人员经费"),
    (r"公用经费|办公经费", "公用经费"), (r"日常公用", "日常公用"), (r"指标值|目标值", "指标值"), (r"事业单位经营收入|经营收入", "经营收入"), (r"事业收入", "事业收入"),
    (r"其他收入", "其他收入"), (r"财政拨款收入|财政拨款", "财政拨款"), (r"决算数", "决算"), (r"预算数", "预算"),
    (r"单位预留机动经费|机动经费", "机动经费"), (r"结转", "结转"), (r"单位资金|单位自筹|单位自有资金", "单位资金"),
]
DEFAULT_COLUMNS = ["合计", "金额", "预算数", "小计", "总计", "本年预算", "预算", "决算数"]
ROW_SYNONYMS = [  # how people ask -> how the documents print it
    (r"养老保险", "机关事业单位基本养老保险缴费"), (r"职业年金", "职业年金缴费"), (r"公积金", "住房公积金"),
    (r"医保|医疗保险", "行政单位医疗"), (r"退休费", "退休费"), (r"离退休", "离退休"),
]

# "全部资金（含其他收入）", "（不算上年结转）": what a figure includes or leaves out names no column asked for
INCLUDED = re.compile(r"(不含|不包括|不算|除去|不只是?|不仅是?|不单是?|不限于|含|包括|包含|算上|连同)[^，,。？?）)]{0,14}")
EXCLUDED = re.compile(r"(不含|不包括|不算|除去|扣除)[^，,。？?）)]{0,14}")  # (what a figure leaves out: no row of it)
UNIT_NAMED = re.compile(r"(?:下属的?|所属的?|^|[＃，,的和与及、]+)((?:(?![和与及])[\u4e00-\u9fa5]){2,14}?(?:中心|讲师团|服务站|学院|研究所|研究院|"
                         r"办事处|管理处|管理所|监测站|大队|支队|分局|分院))")  # a unit named inside a department's question
SAME_COUNT = {"辆": ("台",), "名": ("人",)}  # vehicles are counted in 台 as often as in 辆 ("车辆37台"); 名 = 人
SANGONG_TABLE = re.compile(r"(“?三公”?经费)?[、，,]?会议费[、，,和及]?培训费(支出)?(三项|两项|等)?(的)?(预算)?(表|合计)(口径)?")
COUNT_UNITS = {"个", "辆", "家", "项", "人", "人次", "批次", "批", "名", "层", "台", "套", "台套", "台（套）", "个工作日",
                "次", "场次", "件", "场", "户", "篇", "期", "天", "分"}  # (分: a self-evaluation's score)


def counted_unit(unit: str | None) -> bool:
    """A count's unit, also in ten thousands or thousands ("100万人次")."""
    return unit in COUNT_UNITS or (unit is not None and unit[:1] in ("万", "千") and unit[1:] in COUNT_UNITS)



TITLE_NOISE = re.compile(r"[\s（）()：:、“”]|\d{4}\s*年度?|^(公开|预算)?\d+表|^表[\d一二三四五六七八九十]+|"
                          r"^[一二三四五六七八九十]+|部门综合预算|^(市级)?(部门|单位|预算单位)|-?不含上年结转")
# (numbering, years, brackets and the publisher's words around a printed table title)
COUNT_WORDS = [(r"(几|多少)[辆台](公务用?|公)?车辆?|车辆数|多少车", "车辆"), (r"(几|多少)个项目", "项目"),
                (r"多少(名|个)?(员工|人员|工作人员)", "人员"), (r"(几|多少)(名|个)?人(?![次员])", "人数")]
ASKS_AMOUNT = re.compile(r"多少钱|多少万|多少元|金额|总额|(安排|花|用|拨)了?多少|经费(是|为|有)?多少|预算(是|为|有)?多少")


GENERIC_WORDS = re.compile(
    r"部门|预算|收入|支出|总计|总额|合计|一共|总共|多少|是|钱|的|(?<!国)有|年度|全年|本年|万元|元|安排|了|呢|吗|政府采购|"
    r"采购|金额|总数|数|为|按|口径|表|里|中|今年|去年|上年|比|多|少|增加|减少|这个|该|请问|查询|大概|规模|盘子|方面|"
    r"基本支出|项目支出|财政拨款|一般公共预算|总|计|共|增长|下降|百分之|百分比|几|到|至|变化|率|幅|占|比例|比重|"
    r"各|分别|相比|相差|差额|差距|收支|相当于|倍数|倍|与|和|及|谁|哪个|最|大|高|低|这?[一两二三四五六七八九十]+[个项]|[＃？?，,。、（）()“”\s\d]")


def asked_item(item_text: str) -> str:
    """The item a question names once budget boilerplate is removed ("机关运行经费预算是多少" -> "机关运行经费")."""
    return GENERIC_WORDS.sub("", item_text)


def unexplained(text: str, trigger: str) -> bool:
    """Whether the question names more than a generic total: 4+ characters left once the concept's
    own words, budget boilerplate, names and years are removed."""
    rest = re.sub(trigger, "", text)
    rest = GENERIC_WORDS.sub("", rest)
    return len(rest) >= 4


def counted_words(text: str) -> list[str]:
    """The printed words for what a count question counts ("多少辆公务用车" -> 车辆)."""
    return [word for pattern, word in COUNT_WORDS if re.search(pattern, text)]


def rewrite_counts(text: str) -> str:
    for pattern, word in COUNT_WORDS:
        text = re.sub(pattern, word, text)
    return text


def unit_mentions(text: str) -> list[str]:
    """Budget units a question names inside its department ("下属的气象服务中心", "长岛分局")."""
    plain = re.sub(r"[\s“”「」『』（）()]", "", text)
    return [re.sub(r"^(下属|所属)的?", "", m.group(1)) for m in UNIT_NAMED.finditer(plain)
            if not re.match(r"新建|工程|项目|建设|改造|经费|专项|运行", plain[m.end():])]  # (a project's name)


# the column words one row is read in ("委托业务费基本支出和项目支出": one row, two columns)
COLUMN_WORDS = r"基本支出|项目支出|人员经费|公用经费|一般公共预算|政府性基金|财政拨款|上年结转|其他收入|事业收入"


def complete_parts(parts: list[str]) -> list[str]:
    """Parts of a sum or difference that name only a column take the item of the first part:
    ["30227委托业务费基本支出", "项目支出"] -> [..., "30227委托业务费项目支出"]."""
    first = parts[0] if parts else ""
    named = re.search(rf"({COLUMN_WORDS})(?!.*({COLUMN_WORDS}))", first)
    if not named:
        return parts
    out = [first]
    for part in parts[1:]:
        bare = re.sub(r"[＃的，,、\s]|(加起来|一共|合计|总共|多少|万元|元|钱|是|有|呢|吗|？|\?)+$", "", part)
        column = re.fullmatch(rf"({COLUMN_WORDS})(部分|预算)?", bare)
        out.append(first[:named.start()] + column.group(1) + first[named.end():] if column else part)
    return out


# "几个项目中哪个最多": a ranking over several items, not a count of them
RANKS_AMONG = re.compile(r"几个[^，,。？?（(]{0,8}([（(][^）)]*[）)])?(中|里|当中)[^。？?]{0,12}最(多|少|高|低|大|小)")

# a question asking a rate (增长了百分之几, 增幅, 几成), not an amount
ASKS_RATE = re.compile(r"百分|[%％]|率|幅|几成")
