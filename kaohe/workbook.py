"""The rubric as a workbook (细则.xlsx) that office staff edit in Excel or WPS: one row per indicator and per clause.

:func:`write` lays out a rubric's raw data (a dict as in the YAML; it need not validate: a draft may be
incomplete) and :func:`read` turns the workbook back into that data, with every cell it cannot read as a
located problem (sheet, row as Excel shows it, column header, value, id). :func:`load_model` validates it, the
model's errors located the same way; ``kaohe.rubric.load_rubric`` goes through it for an .xlsx, so params files
may name a workbook. import(export(r)) == r for every bundled rubric and example (tests/test_workbook.py).

Sheets: 细则 (the tree: a node row has its name in its level column, a rule row a 计分方式 and no name, and sits
under the node above it; a node's own rules come before its children), 细则信息 (项目 | 内容), 等次, 评优, 读法,
填写说明 (generated from the rule models), and a hidden _lists holding the 计分方式 drop-down. What has no column
of its own is written in 其他参数 as a YAML flow mapping, so nothing is lost.
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import replace as replaced
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import get_args
from xml.etree.ElementTree import ParseError

import yaml

from .errors import KaoheError, Problem, RubricError, control_characters
from .files import write_bytes_atomic, xlsx_bytes
from .numbers import fmt, to_decimal
from .rules import RuleBase, kinds
from .rules.periodic import PERIOD_NAMES
from .rules.veto import EFFECTS
from .yamlio import dotted, parse_yaml

SUFFIXES = (".xlsx", ".xlsm")
MAIN, INFO, GRADES, AWARDS, READINGS, GUIDE, LISTS = "细则", "细则信息", "等次", "评优", "读法", "填写说明", "_lists"
#: Size of a rubric workbook: the largest bundled rubric is about 40 KB as a workbook.
MAX_BYTES = 16 * 2**20
#: Rows and columns read from one sheet: a rubric has a few hundred rows and about 30 columns.
MAX_ROWS, MAX_COLUMNS = 5_000, 100
#: Empty rows below the last one that still carry the drop-downs (Excel applies them at no cost).
SPARE_ROWS = 500

# ---------------------------------------------------------------------------------------------------------
# 计分方式: the kinds by their Chinese names, and the two variants a clerk names separately.

#: Chinese name -> (kind, fields the name implies). 视情加分 and 按级别加分 are bonus variants of their kinds.
VARIANTS = {"视情加分": ("discretionary", {"bonus": True}), "按级别加分": ("per_level", {"bonus": True})}
#: The drop-down's order: the usual clauses first; kinds added later follow in registry order.
_USUAL = ("每次扣分", "一次性扣分", "视情扣分", "低于目标扣分", "比率低于目标扣分", "低于限值扣分", "按级别扣分", "一票否决",
          "加分", "视情加分", "按级别加分", "得分项", "超出目标加分")


def kind_names() -> dict[str, tuple[str, dict]]:
    """Every 计分方式 a clerk may choose: Chinese name -> (kind, implied fields), in drop-down order."""
    names = {k.model.label: (name, {}) for name, k in kinds().items()}
    names.update(VARIANTS)
    return {n: names[n] for n in (*[u for u in _USUAL if u in names], *[n for n in names if n not in _USUAL])}


def kind_label(rule: dict) -> tuple[str, set[str]]:
    """The 计分方式 a raw rule is shown as, and the keys that name covers (kind, and bonus for a variant)."""
    kind = rule.get("kind")
    for name, (k, implied) in VARIANTS.items():
        if kind == k and all(rule.get(f) == v for f, v in implied.items()):
            return name, {"kind", *implied}
    known = kinds().get(kind) if isinstance(kind, str) else None
    if known is not None:
        # bonus: false is the kind's default, said by the name 视情扣分 as well as by the field
        return known.model.label, {"kind"} | ({"bonus"} if rule.get("bonus") is False else set())
    return (kind, {"kind"}) if isinstance(kind, str) else ("", set())


# ---------------------------------------------------------------------------------------------------------
# How a cell holds a value: each form turns a raw value into a cell (None: it does not fit, 其他参数 holds it)
# and a cell back into the raw value (or a message saying what was expected).

_MISS = object()
_SPLIT = re.compile(r"\s*[、，,；;]\s*")
#: Words of the fields whose values are a fixed set; the English values are accepted too.
ENUMS: dict[str, dict[str, str]] = {
    "combine": {"deduct": "扣分", "weighted": "按权重", "sum": "相加"},
    "start": {"full": "满分起扣", "zero": "从零起计"},
    "effect": dict(EFFECTS),
    "rounding": {"proportional": "按比例", "whole_steps_down": "整步（不足一步不扣）",
                 "whole_steps_up": "整步（不足一步按一步）"},
    "every": {k: f"每{v}" for k, v in PERIOD_NAMES.items()},
    "aggregate": {"deduct": "扣分制", "weighted": "按权重合成", "sum": "各部分相加"},
    "status": {"published": "已发布", "draft": "草案"},
}
#: What a reading's 涉及 may name besides ids, in words.
TOUCH_WORDS = {"all": "全部", "capped": "封顶", "measurement": "测量值"}
_KIND_TOUCH = "计分方式:"


def _number(value):
    """A cell's number as Excel shows it: 15 significant digits, so 0.1 is Decimal('0.1'); whole numbers as int."""
    if isinstance(value, float):
        value = Decimal(format(value, ".15g"))  # Excel keeps 15 significant digits; the float's tail is noise
    value = to_decimal(value)
    return int(value) if value == value.to_integral_value() and abs(value) < 10**15 else value.normalize()


def _is_number(value) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool) and math.isfinite(value)


def _text_of(value) -> str:
    """A cell read where text is expected: numbers and dates as they show."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if _is_number(value):
        return fmt(Decimal(_number(value))) if not isinstance(value, int) else str(value)
    return str(value)


def _date(value):
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    m = re.fullmatch(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?", text)
    try:
        return date(int(m[1]), int(m[2]), int(m[3])) if m else None
    except ValueError:
        return None


def _flow(value) -> str:
    """A value as YAML flow text, as 其他参数 holds it: ``{rounding: whole_steps_down, records_until: 2020-01-31}``."""
    text = yaml.dump(value, Dumper=_Dumper, default_flow_style=True, allow_unicode=True, sort_keys=False, width=10**9)
    return text.removesuffix("\n").removesuffix("\n...").strip()


@dataclass(frozen=True)
class Form:
    """How one kind of cell is written (``show``: raw value -> cell value or _MISS) and read (``take``: cell
    value -> raw value, or raises ValueError with what was expected)."""

    name: str
    show: Callable
    take: Callable


def _show_text(v):
    return v if isinstance(v, str) and v.strip() else _MISS


def _show_id(v):
    if isinstance(v, str) and v.strip() == v and v:
        return v
    return _text_of(v) if _is_number(v) else _MISS


def _take_number(v):
    try:
        return _number(v if _is_number(v) else str(v).strip())
    except ValueError:
        raise ValueError("应为数字") from None


def _take_integer(v):
    n = _take_number(v) if not isinstance(v, str) or v.strip() else None
    if not isinstance(n, int):
        raise ValueError("应为整数")
    return n


_BOOL = {"是": True, "否": False, "true": True, "false": False, "1": True, "0": False}


def _take_bool(v):
    if isinstance(v, bool):
        return v
    word = _text_of(v).strip().lower()
    if word not in _BOOL:
        raise ValueError("应为「是」或「否」")
    return _BOOL[word]


def _show_date(v):
    if isinstance(v, date) and not isinstance(v, datetime):
        return v.isoformat()
    return v if isinstance(v, str) and _date(v) is not None and _date(v).isoformat() == v else _MISS


def _take_date(v):
    d = _date(v)
    if d is None:
        raise ValueError("应为日期，如 2020-12-31")
    return d


def _plain_item(x) -> bool:
    return isinstance(x, str) and x and x.strip() == x and not _SPLIT.search(x)


def _show_list(v):
    return "、".join(v) if isinstance(v, list) and v and all(_plain_item(x) for x in v) else _MISS


def _take_list(v):
    items = [x for x in _SPLIT.split(_text_of(v).strip()) if x]
    if not items:
        raise ValueError("应为以顿号分隔的列表，如「国家、省、市」")
    return items


def _show_integers(v):
    ok = isinstance(v, list) and v and all(isinstance(x, int) and not isinstance(x, bool) for x in v)
    return "、".join(map(str, v)) if ok else _MISS


def _take_integers(v):
    if _is_number(v):
        return [_take_integer(v)]
    try:
        return [_take_integer(x) for x in _take_list(v)]
    except ValueError:
        raise ValueError("应为以顿号分隔的整数，如「1」或「1、2」") from None


_AMOUNT = re.compile(r"(?P<level>.*?)[\s:：]*(?P<amount>[+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*分?")


def _show_amounts(v):
    if not (isinstance(v, dict) and v and all(_plain_item(k) and not _AMOUNT.fullmatch(k) and _is_number(a)
                                              and not re.search(r"[\d.:：\s]$", k) for k, a in v.items())):
        return _MISS
    return "、".join(f"{k} {fmt(to_decimal(a))}" for k, a in v.items())


def _take_amounts(v):
    out = {}
    for item in _take_list(v):
        m = _AMOUNT.fullmatch(item.translate(str.maketrans("０１２３４５６７８９．", "0123456789.")))
        if not m or not m["level"] or m["level"] in out:
            raise ValueError("应写作「国家 2、省 1、市 0.5」：每个级别一次，级别名称后跟分值")
        out[m["level"]] = _number(m["amount"])
    return out


def _show_touches(v):
    if not (isinstance(v, list) and v and all(_plain_item(x) for x in v)):
        return _MISS
    labels = {f"kind:{k}": f"{_KIND_TOUCH}{kind.model.label}" for k, kind in kinds().items()}
    shown = [labels.get(x) or TOUCH_WORDS.get(x) or x for x in v]
    return "、".join(shown) if _take_touches("、".join(shown)) == v else _MISS


def _take_touches(v):
    words = {w: k for k, w in TOUCH_WORDS.items()}
    by_label = {kind.model.label: k for k, kind in kinds().items()}
    out = []
    for item in _take_list(v):
        said = item.replace("：", ":")
        if said.startswith(_KIND_TOUCH) and said[len(_KIND_TOUCH):].strip() in by_label:
            out.append(f"kind:{by_label[said[len(_KIND_TOUCH):].strip()]}")
        else:
            out.append(words.get(item, item))
    return out


def _take_yaml(v):
    text = _text_of(v).strip()
    if not text.startswith("{"):
        text = "{" + text + "}"  # written without braces: rounding: whole_steps_down, decimals: 2
    try:
        data, _ = parse_yaml(text, "其他参数")
    except RubricError as exc:
        raise ValueError("不是有效的 YAML 映射（写作 {键: 值, 键: 值}）：" + exc.problems[0].message) from None
    if not isinstance(data, dict) or not all(isinstance(k, str) for k in data):
        raise ValueError("应为「键: 值」的映射，如 {rounding: whole_steps_down}")
    return data


def _take_any_yaml(v):
    """A 细则信息 row of a field without a row of its own: its value as YAML (a mapping, a list or a scalar)."""
    text = _text_of(v).strip()
    if not isinstance(v, str):
        return _number(v) if _is_number(v) else v
    try:
        data, _ = parse_yaml(text, "内容")
    except RubricError as exc:
        raise ValueError("不是有效的 YAML：" + exc.problems[0].message) from None
    return data


def _enum(field: str) -> Form:
    words = ENUMS[field]

    def take(v):
        said = _text_of(v).strip()
        for raw, word in words.items():
            if said in (raw, word):
                return raw
        raise ValueError(f"应为 {'、'.join(words.values())} 之一")

    return Form(field, lambda v: words.get(v, _MISS) if isinstance(v, str) else _MISS, take)


FORMS = {
    "id": Form("id", _show_id, lambda v: _text_of(v).strip()),
    "text": Form("text", _show_text, lambda v: _text_of(v)),
    "number": Form("number", lambda v: v if _is_number(v) else _MISS, _take_number),
    "integer": Form("integer", lambda v: v if isinstance(v, int) and not isinstance(v, bool) else _MISS, _take_integer),
    "bool": Form("bool", lambda v: ("是" if v else "否") if isinstance(v, bool) else _MISS, _take_bool),
    "date": Form("date", _show_date, _take_date),
    "list": Form("list", _show_list, _take_list),
    "integers": Form("integers", _show_integers, _take_integers),
    "amounts": Form("amounts", _show_amounts, _take_amounts),
    "touches": Form("touches", _show_touches, _take_touches),
    "yaml": Form("yaml", _flow, _take_any_yaml),
    **{f: _enum(f) for f in ENUMS},
}
#: Forms whose cells are written as text (and formatted as text, so that Excel keeps 1.10 as 1.10).
_TEXT_FORMS = {"id", "text", "list", "integers", "amounts", "touches", "yaml", "date", *ENUMS}


@dataclass(frozen=True)
class Column:
    """A column of a sheet: its header, the raw field it holds (None for the structural ones), its form."""

    header: str
    field: str | None
    form: str
    meaning: str
    width: int = 10


# ---------------------------------------------------------------------------------------------------------
# Sheet 细则.

_ID = Column("编号", "id", "id", "节点或规则的编号，在一份细则内唯一，如 1.2.3（按文字填写：1.10 不会变成 1.1）。", 10)
_KIND = Column("计分方式", None, "kind", "规则行必填，从下拉列表中选择（见「填写说明」）；指标行留空。", 16)
_OTHER = Column("其他参数", None, "yaml", "没有单独一列的参数，写作 YAML 映射，如 {rounding: whole_steps_down, "
                "records_until: 2020-01-31}；各计分方式的参数见「填写说明」。", 30)
_PENDING = Column("待确认", None, "text", "待确认的原因（由草稿或他人标出）。确认或改正后清空此格：仍有待确认的行不能导入。", 24)
#: Named columns after 计分方式, for the parameters most clauses have and the structure of nodes.
PARAMS = [
    Column("每次分值", "per", "number", "每次（每处、每项、每少一项、每下降一个步长）扣或加的分值。"),
    Column("扣分/加分", "amount", "number", "一次扣或加的分值（一次性扣分、低于限值扣分、一次加分）。"),
    Column("上限", "cap", "number", "本条全年最多扣（加）的分值：累计不超过、最高不超过。"),
    Column("目标值", "target", "number", "低于（超过）它才扣（加）分；百分率写 98 表示 98%。"),
    Column("步长", "step", "number", "每下降多少个百分点扣一次「每次分值」（默认 1）。"),
    Column("计步方式", "rounding", "rounding", "不足一个步长的部分怎样计：按比例、整步（不足一步不扣）或整步（不足一步按一步）。", 14),
    Column("限值", "below", "number", "数值低于它时扣「扣分/加分」的分值（等于限值不扣）。"),
    Column("最低", "min", "number", "视情扣（加）分区间的下限；按期考核每期的最低数量。"),
    Column("最高", "max", "number", "视情扣（加）分区间的上限；给定得分、评分人打分的满分（默认 100）。"),
    Column("各级分值", "amounts", "amounts", "按级别扣（加）分的各级分值，写作「国家 2、省 1、市 0.5」。", 18),
    Column("级别", "levels", "list", "一票否决条款写到的通报级别，如「国家、省、市」；不写则任何记录都否决。", 12),
    Column("周期", "every", "every", "按期考核的周期：每月或每季度。"),
    Column("否决效果", "effect", "effect", "一票否决（定为否决等次）、单项否决（不再评分，按固定分计）或取消评优资格（默认一票否决）。", 12),
    Column("否决得分", "score", "number", "单项否决后的固定得分，如 59。"),
    Column("否决等次", "grade", "text", "被否决单位的等次；不写则用「细则信息」中的一票否决等次。"),
    Column("合成方式", "combine", "combine", "指标行：下级怎样合成本项得分——扣分（默认）、按权重或相加。"),
    Column("起算", "start", "start", "指标行：满分起扣或从零起计（得分制，只加不扣）；不写则同上级（顶层为满分起扣）。"),
    Column("可不适用", "optional", "bool", "指标行：单位名单的「不适用」列可以列出本项（是/否）。"),
    Column("评优最低分", "eligibility_min", "number", "指标行：本项得分低于此分取消评优资格。"),
]
#: Columns of 细则 before the level columns and after them, up to 计分方式.
_HEAD = [_ID]
_BODY = [Column("分值", "points", "number", "指标行：本项分值（扣分上限或满分）；得分项规则：达到时得的分值。", 8),
         Column("权重", "weight", "number", "指标行：按权重合成时本项所占百分比，如 40。", 8),
         Column("条款原文", "text", "text", "从文件中原样复制的条款（最短的完整片段）；指标行可写定义本项分值的原文。", 50),
         _KIND]
_TAIL = [_OTHER, Column("读法", "reading", "text", "有歧义的条款按哪种理解计分（写明读法）。", 30),
         Column("说明", "note", "text", "规则行：给填台账的人的提示，如「数值」填什么。", 24), _PENDING]
_LEVEL = re.compile(r"^([一二三四五六七八九十]+)级指标$")
_NUMERALS = "一二三四五六七八九十"
#: Keys a node or rule row holds in its structure (level column, 计分方式, its rows), never in 其他参数.
_STRUCTURE = {"id", "name", "kind", "children", "rules"}


def level_header(level: int) -> str:
    said = _NUMERALS[level - 1] if level <= 10 else "十" + _NUMERALS[level - 11] if level < 20 else str(level)
    return f"{said}级指标"


def _level_of(header: str) -> int | None:
    m = _LEVEL.match(header)
    if not m:
        return None
    n = m[1]
    return _NUMERALS.index(n) + 1 if len(n) == 1 else (10 + _NUMERALS.index(n[1]) + 1 if n.startswith("十") else None)


def main_columns(levels: int) -> list[Column]:
    """The columns of 细则 for a rubric with ``levels`` levels of indicators."""
    named = [Column(level_header(i), "name", "text", f"指标行：{level_header(i)}的名称（写在与其级别相符的一列）。", 16)
             for i in range(1, levels + 1)]
    return [*_HEAD, *named, *_BODY, *PARAMS, *_TAIL]


# ---------------------------------------------------------------------------------------------------------
# Sheet 细则信息: the rubric's own facts, one per row.

INFO_ROWS: list[tuple[str, tuple[str, ...], str, str]] = [
    ("编号", ("id",), "id", "细则的编号：小写字母、数字和连字符，如 example-county-2026。"),
    ("版本", ("version",), "integer", "版本号，从 1 起。"),
    ("状态", ("status",), "status", "已发布（默认）或草案（只在指定版本时选用）。"),
    ("版本说明", ("description",), "text", "这一版是什么、与上一版有何不同。"),
    ("替换的旧编号", ("replaces",), "yaml", "本版替换的上一版规则编号：{旧编号: 新编号}。"),
    ("标题", ("title",), "text", "细则标题，报告中显示。"),
    ("依据文件", ("source", "title"), "text", "印发细则的文件标题。"),
    ("发文机关", ("source", "issuer"), "text", "印发文件的机关。"),
    ("文号", ("source", "doc_no"), "text", "文件文号。"),
    ("源文件", ("source", "file"), "text", "文件的电子版文件名。"),
    ("所在部分", ("source", "part"), "text", "细则在文件中的位置，如「附件1」。"),
    ("考核期开始", ("period", "start"), "date", "考核期第一天，如 2020-01-01。"),
    ("考核期结束", ("period", "end"), "date", "考核期最后一天，如 2020-12-31。"),
    ("适用类别", ("applies_to",), "list", "单位名单中本细则考核的类别，以顿号分隔，如「乡镇、街道」。"),
    ("满分", ("points",), "number", "总分的满分。"),
    ("总分原文", ("points_text",), "text", "文件中关于总分的原话，如「扣分制，总分100分，扣完为止」。"),
    ("总分读法", ("points_reading",), "text", "各项分值合计与满分不符时，怎样读总分。"),
    ("合成方式", ("aggregate",), "aggregate", "扣分制（默认）、按权重合成或各部分相加。"),
    ("折合分制", ("scale",), "number", "各部分相加后按比例折合到的分制，如 100。"),
    ("各项共用总分", ("pooled",), "bool", "扣分制，各项没有单独分值，共用总分扣完为止（是/否）。"),
    ("封顶层级", ("cap_levels",), "integers", "只在这些层级的指标以分值为扣分上限，如「1」；不写则各级都封顶。"),
    ("不适用时", ("not_applicable",), "yaml", "部分指标不适用时怎样折算，如 {rescale: proportional}。"),
    ("等次原文", ("grades", "text"), "text", "文件中划分等次的原话；各等次的下限见「等次」工作表。"),
    ("等次读法", ("grades", "reading"), "text", "等次区间的读法（如 89.9 分属于哪一等）。"),
    ("一票否决等次", ("veto", "grade"), "text", "被一票否决的单位定为的等次，如「不合格」。"),
    ("一票否决读法", ("veto", "reading"), "text", "一票否决对当年结果的作用怎样读。"),
]
_INFO_COLUMNS = [Column("项目", None, "text", "细则的一项信息（不要改动项目名称）。", 16),
                 Column("内容", None, "text", "该项的内容：数字填数字，日期如 2020-12-31，多项以顿号分隔。", 80), _PENDING]

# ---------------------------------------------------------------------------------------------------------
# Sheets 等次, 评优 and 读法: one row per item.


@dataclass(frozen=True)
class Table:
    sheet: str
    path: tuple[str, ...]  # where the items sit in the raw data
    columns: list[Column]
    many: bool = True  # a list of items (等次, 读法) or one item (评优: awards.excellent)


TABLES = [
    Table(GRADES, ("grades", "bands"), [
        Column("等次", "grade", "text", "等次名称，从高到低各占一行。", 12),
        Column("下限（含）", "min", "number", "达到此分（含）即为该等次；最后一个等次不写下限。", 12),
        _OTHER, _PENDING]),
    Table(AWARDS, ("awards", "excellent"), [
        Column("名称", "name", "text", "奖项名称（默认 年度优秀单位）。", 16),
        Column("原文", "text", "text", "文件中关于评优的原话。", 50),
        Column("最低分", "min_score", "number", "得分达到此分（含）才能入选。", 10),
        Column("名额", "quota", "integer", "名额；不写则由运行配置的 quotas 给出。", 8),
        Column("读法", "reading", "text", "评优条款的读法（同分、名额边界）。", 40),
        _OTHER, _PENDING], many=False),
    Table(READINGS, ("readings",), [
        Column("编号", "id", "id", "读法的编号，如 R1。", 8),
        Column("关于", "about", "text", "哪一条款、哪句话有歧义。", 30),
        Column("读法", "reading", "text", "采取的读法。", 60),
        Column("涉及", "touches", "touches", "读法涉及的规则或指标编号，以顿号分隔；也可写「计分方式:视情扣分」、封顶、测量值、全部。", 20),
        _OTHER, _PENDING]),
]


# ---------------------------------------------------------------------------------------------------------
# Writing.

_Row = tuple[tuple, dict[str, object], str | None]  # (raw location, header -> cell value, id for 待确认)


def _fill(columns: list[Column], item: dict, skip: set[str], row: dict[str, object]) -> None:
    """Put ``item``'s fields in their columns where they fit; the rest (but ``skip``) in 其他参数."""
    used = set(skip)
    for col in columns:
        if col.field is None or col.field in used or col.field not in item or col.header in row:
            continue
        shown = FORMS[col.form].show(item[col.field])
        if shown is not _MISS:
            row[col.header] = shown
            used.add(col.field)
    rest = {k: v for k, v in item.items() if k not in used and v is not None}  # null is a field not given
    if rest:
        row[_OTHER.header] = _flow(rest)


def _tree_ok(nodes) -> bool:
    """Whether the indicators are a tree of dicts the sheet can lay out row by row."""
    if not isinstance(nodes, list) or not all(isinstance(n, dict) for n in nodes):
        return False
    for n in nodes:
        rules = n.get("rules")
        if rules is not None and not (isinstance(rules, list) and all(isinstance(r, dict) for r in rules)):
            return False
        if n.get("children") is not None and not _tree_ok(n["children"]):
            return False
    return True


def _depth(nodes) -> int:
    return max((1 + _depth(n.get("children") or []) for n in nodes), default=0)


def _main_rows(nodes: list[dict], columns: list[Column]) -> list[_Row]:
    out: list[_Row] = []

    def walk(items, depth, loc):
        for i, node in enumerate(items):
            here = (*loc, i)
            row: dict[str, object] = {}
            ident = FORMS["id"].show(node.get("id"))
            if ident is not _MISS:
                row[_ID.header] = ident
            name = node.get("name")
            if isinstance(name, (str, int, float, Decimal)) and not isinstance(name, bool):
                row[level_header(depth)] = _text_of(name)
            skip = {"children", "rules"} | ({"id"} if ident is not _MISS else set()) | ({"name"} if level_header(depth) in row else set())
            _fill(columns, node, skip, row)
            out.append((here, row, ident if ident is not _MISS else None))
            for j, rule in enumerate(node.get("rules") or []):
                rrow: dict[str, object] = {}
                rid = FORMS["id"].show(rule.get("id"))
                if rid is not _MISS:
                    rrow[_ID.header] = rid
                label, covered = kind_label(rule)
                if label:
                    rrow[_KIND.header] = label
                _fill(columns, rule, covered | ({"id"} if rid is not _MISS else set()), rrow)
                out.append(((*here, "rules", j), rrow, rid if rid is not _MISS else None))
            walk(node.get("children") or [], depth + 1, (*here, "children"))

    walk(nodes, 1, ("indicators",))
    return out


def _get(data: dict, path: tuple[str, ...]):
    node = data
    for p in path:
        if not isinstance(node, dict) or p not in node:
            return _MISS
        node = node[p]
    return node


def _info_rows(data: dict, placed: set[str]) -> list[_Row]:
    """细则信息: each known fact in its row; whatever else the data holds (but what the other sheets hold,
    ``placed``) as a row named by its path, its value as YAML."""
    rows: list[_Row] = []
    done: set[tuple[str, ...]] = set()
    for label, path, form, _ in INFO_ROWS:
        value = _get(data, path)
        if value is _MISS or value is None:
            continue
        shown = FORMS[form].show(value)
        if shown is not _MISS:
            rows.append((path, {"项目": label, "内容": shown}, None))
            done.add(path)
    for key, value in data.items():
        if key in placed or (key,) in done:
            continue
        if isinstance(value, dict) and any(p[0] == key for p in done):  # source, period, grades, veto: the rest
            for sub, v in value.items():
                if (key, sub) not in done and v is not None:
                    rows.append(((key, sub), {"项目": f"{key}.{sub}", "内容": _flow(v)}, None))
        elif value is not None:
            rows.append(((key,), {"项目": key, "内容": _flow(value)}, None))
    return rows


def _table_rows(data: dict, table: Table) -> list[_Row] | None:
    """The table's rows, or None when the data there is not a list of mappings (then 细则信息 holds it)."""
    items = _get(data, table.path)
    if items is _MISS or items is None:
        return []
    if table.many and not (isinstance(items, list) and all(isinstance(x, dict) for x in items)):
        return None
    if not table.many and not isinstance(items, dict):
        return None
    out: list[_Row] = []
    for i, item in enumerate(items if table.many else [items]):
        row: dict[str, object] = {}
        _fill(table.columns, item, set(), row)
        ident = item.get("id") if table.sheet == READINGS and isinstance(item.get("id"), str) else None
        out.append(((*table.path, i) if table.many else table.path, row, ident))
    return out


def _mark_pending(pending: dict[str, str], sheets: dict[str, list[_Row]]) -> dict[str, list[_Row]]:
    """待确认: a node, rule or reading by its id; a fact by its field (``period``, ``source.doc_no``) or its 项目.
    A reason that names nothing in the workbook gets a row of its own in 细则信息, so it is not lost."""
    labels = {label: path for label, path, _, _ in INFO_ROWS}
    for key, reason in pending.items():
        hits = 0
        for sheet, rows in sheets.items():
            for loc, row, ident in rows:
                path = labels.get(key) or tuple(key.split("."))
                if (ident is not None and ident == key and sheet in (MAIN, READINGS)) or \
                        (sheet not in (MAIN, READINGS) and loc[:len(path)] == path):
                    row[_PENDING.header] = "；".join(filter(None, [row.get(_PENDING.header), reason]))
                    hits += 1
        if not hits:
            sheets[INFO].append(((key,), {"项目": key, _PENDING.header: reason}, None))
    return sheets


def workbook(data: dict, pending: dict[str, str] | None = None):
    """The rubric workbook of raw rubric ``data`` as an openpyxl Workbook (see the module docstring)."""
    from openpyxl import Workbook

    data = data if isinstance(data, dict) else {"indicators": data}
    nodes = data.get("indicators")
    tree = _tree_ok(nodes) if nodes is not None else True
    levels = max(_depth(nodes) if tree and nodes else 1, 1)
    columns = main_columns(levels)
    placed = {"indicators"} if tree else set()
    tables = {}
    for t in TABLES:
        rows = _table_rows(data, t)
        if rows is not None:
            tables[t.sheet] = rows
    sheets: dict[str, list[_Row]] = {MAIN: _main_rows(nodes or [], columns) if tree else []}
    # what the tables hold is not repeated in 细则信息; the rest of grades and awards is
    info_data = {k: v for k, v in data.items() if k not in placed}
    for t in TABLES:
        if t.sheet in tables and _get(data, t.path) is not _MISS:
            head, last = t.path[:-1], t.path[-1]
            parent = _get(info_data, head) if head else info_data
            if isinstance(parent, dict):
                rest = {k: v for k, v in parent.items() if k != last}
                if head:
                    info_data = {**info_data, head[0]: rest} if rest else {k: v for k, v in info_data.items() if k != head[0]}
                else:
                    info_data = rest
    sheets[INFO] = _info_rows(info_data, set())
    sheets.update(tables)
    sheets = _mark_pending(dict(pending or {}), sheets)

    wb = Workbook()
    wb.remove(wb.active)
    _sheet(wb, MAIN, columns, sheets[MAIN], levels)
    _sheet(wb, INFO, _INFO_COLUMNS, sheets[INFO])
    for t in TABLES:
        _sheet(wb, t.sheet, t.columns, sheets.get(t.sheet, []))
    _guide(wb.create_sheet(GUIDE), levels)
    lists = wb.create_sheet(LISTS)
    lists.sheet_state = "hidden"
    for i, name in enumerate(kind_names(), start=1):
        lists.cell(i, 1, name).data_type = "s"
    return wb


def _sheet(wb, title: str, columns: list[Column], rows: list[_Row], levels: int = 0) -> None:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    ws = wb.create_sheet(title)
    bold, wrap = Font(bold=True), Alignment(wrap_text=True, vertical="top")
    head_fill = PatternFill("solid", fgColor="DDEBF7")
    for j, col in enumerate(columns, start=1):
        cell = ws.cell(1, j, col.header)
        cell.font, cell.fill, cell.alignment = bold, head_fill, Alignment(horizontal="center", vertical="center")
    ws.freeze_panes = "B2" if title == MAIN else "A2"
    node_font = Font(bold=True)
    for i, (loc, row, _) in enumerate(rows, start=2):
        is_node = title == MAIN and "rules" not in loc[-2:-1]
        for j, col in enumerate(columns, start=1):
            if col.header not in row:
                continue
            value = row[col.header]
            if isinstance(value, str) and ILLEGAL_CHARACTERS_RE.search(value):
                raise KaoheError(f"无法写出细则工作簿：「{title}」第 {i} 行「{col.header}」{control_characters(value)}")
            cell = ws.cell(i, j, value)
            if isinstance(value, str):
                cell.data_type = "s"  # text, never a formula, whatever it starts with
                cell.number_format = "@"
            if col.width >= 24 or col.header in ("项目",):
                cell.alignment = wrap
            if is_node:
                cell.font = node_font
    last = len(rows) + 1 + SPARE_ROWS
    for j, col in enumerate(columns, start=1):
        letter = get_column_letter(j)
        ws.column_dimensions[letter].width = col.width
        if col.form in _TEXT_FORMS or col.form == "kind":
            ws.column_dimensions[letter].number_format = "@"  # typed 1.10 stays 1.10
        if col.form == "kind":
            dv = DataValidation(type="list", formula1=f"={LISTS}!$A$1:$A${len(kind_names())}", allow_blank=True,
                                error="请从下拉列表中选择计分方式（各计分方式见「填写说明」）")
        elif col.form in ENUMS or col.form == "bool":
            words = list(ENUMS[col.form].values()) if col.form in ENUMS else ["是", "否"]
            dv = DataValidation(type="list", formula1='"' + ",".join(words) + '"', allow_blank=True,
                                error=f"请选择 {'、'.join(words)}")
        else:
            dv = DataValidation(allow_blank=True)  # the input message only
        dv.promptTitle, dv.prompt = col.header[:32], col.meaning[:255]
        dv.showInputMessage, dv.showErrorMessage = True, dv.type is not None
        dv.errorTitle = "输入不符合要求"
        dv.add(f"{letter}2:{letter}{last}")
        ws.add_data_validation(dv)


def _guide(ws, levels: int) -> None:
    """填写说明, generated from the columns and the rule models so that it cannot drift from them."""
    from openpyxl.styles import Alignment, Font

    lines: list[tuple[str, ...] | str] = [
        "细则工作簿填写说明",
        "",
        "用途：在 Excel 或 WPS 中编写、审阅考核细则，每个条款一行。kaohe 可以直接读取本工作簿计分，也可以转换为 YAML：",
        "  kaohe rubric export 细则编号或文件 --out 细则.xlsx      （把已有细则导出为本工作簿）",
        "  kaohe rubric import 细则.xlsx --out 细则.yaml           （检查本工作簿并转换为 YAML）",
        "  运行配置（params/*.yaml）的 rubrics 中可以直接写 细则.xlsx 或 细则.yaml 的路径。",
        "",
        "「细则」工作表：",
        "1. 每个指标一行（指标行）：名称写在与其级别相符的一列（一级指标、二级指标……），计分方式留空。",
        "2. 每个条款一行（规则行）：级别列留空，选择计分方式；规则属于它上方最近的指标行。"
        "一个指标自己的规则写在它的下级指标之前。",
        "3. 编号在一份细则内唯一，按文字填写（1.10 不会变成 1.1）；分值、上限等填数字（0.5，不写「0.5分」）。",
        "4. 需要更多级别时，在「条款原文」之前插入一列「四级指标」（五级指标……）。",
        "5. 「待确认」列有内容的行不能导入：确认或改正后清空该格。",
        "",
        ("列", "含义"),
        *[(c.header, c.meaning) for c in main_columns(max(levels, 1))],
        "",
        "计分方式及其参数（「其他参数」列中写作 {键: 值}；标 * 的必填）。每种计分方式都可以写：",
        *[("", _param(RuleBase, f)) for f in ("cap", "note", "reading", "records_until", "excludes")],
        ("计分方式", "参数", "例"),
        *_kind_lines(),
        "",
        "「细则信息」工作表：每行一项。",
        ("项目", "含义"),
        *[(label, meaning) for label, _, _, meaning in INFO_ROWS],
        "",
        *[f"「{t.sheet}」工作表：" + "；".join(f"{c.header}——{c.meaning}" for c in t.columns if c.field) for t in TABLES],
    ]
    for line in lines:
        ws.append([line] if isinstance(line, str) else list(line))
        if isinstance(line, tuple):
            for cell in ws[ws.max_row]:
                cell.data_type = "s"
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws["A1"].font = Font(bold=True, size=14)
    for letter, width in zip("ABC", (18, 80, 60)):
        ws.column_dimensions[letter].width = width


_COMMON = set(RuleBase.model_fields) | {"kind"}
#: The bonus variants' example clauses (each kind's own is its model's ``example``).
EXAMPLES = {"视情加分": {"text": "视情加1-3分", "min": 1, "max": 3},
            "按级别加分": {"text": "被国家、省、市通报表彰的，分别加3分、2分、1分", "amounts": {"国家": 3, "省": 2, "市": 1}}}


def _by_field() -> dict[str, Column]:
    return {c.field: c for c in [*_BODY, *PARAMS, *_TAIL] if c.field}


def _param(model: type[RuleBase], field: str) -> str:
    """How 填写说明 names a parameter: its column (or its 其他参数 key), what it means (the model's description),
    and for a column with a drop-down, its words."""
    col = _by_field().get(field)
    info = model.model_fields[field]
    words = f"（工作簿中选：{'、'.join(ENUMS[field].values())}）" if col and field in ENUMS else ""
    where = f"「{col.header}」" if col else f"其他参数 {field}"
    return f"{'*' if info.is_required() else ''}{where}：{info.description or field}{words}"


def _shown_example(example: dict) -> str:
    """A kind's example clause and how the workbook holds it: 原文 → 每次分值 0.5，上限 1."""
    by_field, said, other = _by_field(), [], {}
    for field, value in example.items():
        if field in ("id", "text"):
            continue
        col = by_field.get(field)
        shown = FORMS[col.form].show(value) if col else _MISS
        if shown is _MISS:
            other[field] = value
        else:
            said.append(f"{col.header} {fmt(to_decimal(shown)) if _is_number(shown) else shown}")
    said += [f"其他参数 {_flow(other)}"] if other else []
    return f"例：{example.get('text', '')}" + (f" → {'，'.join(said)}" if said else "")


def _kind_lines() -> list[tuple[str, str, str]]:
    out = []
    for name, (kind, implied) in kind_names().items():
        model = kinds()[kind].model
        params = [_param(model, f) for f in model.model_fields if f not in _COMMON and f not in implied]
        example = EXAMPLES.get(name) or getattr(model, "example", None)
        out.append((name, "；".join(params) or "无参数", _shown_example(example) if example else ""))
    return out


def write(data: dict, path: str | Path, pending: dict[str, str] | None = None) -> Path:
    """Write raw rubric ``data`` as the rubric workbook at ``path`` (atomically; the same data gives the same
    bytes). ``pending``: node, rule or reading id (or a fact's field) -> why it is 待确认."""
    path = Path(path)
    write_bytes_atomic(path, xlsx_bytes(workbook(data, pending)))
    return path


# ---------------------------------------------------------------------------------------------------------
# Reading.


@dataclass(frozen=True)
class Cell:
    """Where a raw location was read from: sheet, row as Excel shows it, column header."""

    sheet: str
    row: int | None
    column: str | None


Cells = dict[tuple, Cell]


def read(path: str | Path) -> tuple[dict, list[Problem]]:
    """The rubric workbook at ``path`` as raw rubric data, and every cell it cannot read (located problems).
    The data is not validated: :func:`load_model` (``kaohe.rubric.load_rubric``) does that."""
    data, problems, _, _ = _located(path)
    return data, problems


def located(path: str | Path) -> tuple[dict, list[Problem], Cells]:
    """:func:`read`, and where each location of the data was read from."""
    data, problems, cells, _ = _located(path)
    return data, problems, cells


def _located(path: str | Path) -> tuple[dict, list[Problem], Cells, set[tuple]]:
    name = str(path)
    grids, problems = _grids(Path(path), name)
    if not grids:
        return {}, problems, {}, set()
    reader = _Reader(name, problems)
    data = reader.all(grids)
    return data, problems, reader.cells, reader.unread


class _Reader:
    def __init__(self, file: str, problems: list[Problem]):
        self.file, self.problems, self.cells = file, problems, {}
        self.unread: set[tuple] = set()  # locations whose cell could not be read: the model's word on them is moot

    def problem(self, sheet, row, column, value, code, message, ident=None):
        shown = None if value is None else _text_of(value)
        self.problems.append(Problem(self.file, row, column, shown, code, message, ident, sheet=sheet))

    def all(self, grids: dict[str, list]) -> dict:
        data: dict = {}
        if INFO not in grids:
            self.problem(INFO, None, None, None, "missing_sheet", f"缺少「{INFO}」工作表（细则的编号、标题、考核期等）")
        else:
            self.info(grids[INFO], data)
        for t in TABLES:
            if t.sheet in grids:
                self.table(t, grids[t.sheet], data)
        if MAIN not in grids:
            self.problem(MAIN, None, None, None, "missing_sheet", f"缺少「{MAIN}」工作表（指标与条款）")
        else:
            nodes = self.main(grids[MAIN])
            if nodes:
                if "indicators" in data:
                    self.problem(INFO, None, "项目", "indicators", "duplicate_field",
                                 "「细则信息」中的 indicators 与「细则」工作表重复：指标只写在「细则」中")
                data["indicators"] = nodes
        return _canonical(data)

    # -- one cell

    def value(self, sheet, row, col: Column, raw, ident=None):
        """The raw value of a cell, or _MISS (a problem is recorded) when it cannot be read."""
        if isinstance(raw, str):
            why = control_characters(raw)
            if why:
                self.problem(sheet, row, col.header, raw, "control_character", why, ident)
                return _MISS
        try:
            return FORMS[col.form].take(raw)
        except ValueError as exc:
            code = {"number": "not_a_number", "integer": "not_a_number", "yaml": "bad_yaml"}.get(col.form, "bad_value")
            self.problem(sheet, row, col.header, raw, code, f"「{col.header}」{exc}", ident)
            return _MISS

    def header(self, sheet: str, grid, known: dict[str, Column]) -> tuple[int | None, dict[int, Column], list]:
        """The header row, its columns by index; unknown and repeated headers are problems."""
        found = next(((r, cells) for r, cells in grid if any(_filled(c) for c in cells)), None)
        if found is None:
            return None, {}, []
        r, cells = found
        out: dict[int, Column] = {}
        seen: dict[str, int] = {}
        for j, c in enumerate(cells):
            h = _header(c)
            if not h:
                continue
            if h in seen:
                self.problem(sheet, r, h, h, "duplicate_column", f"表头「{h}」重复")
                continue
            seen[h] = j
            if h in known:
                out[j] = known[h]
            else:
                self.problem(sheet, r, h, h, "unknown_column",
                             f"未知的列「{h}」；本表的列为：{'、'.join(known)}。自己的备注请另建工作表")
        return r, out, cells

    def rows(self, grid, head: int, columns: dict[int, Column], sheet: str):
        """(row, header -> cell) of every row below the header with something in it; data in a column with no
        header is a problem."""
        for r, cells in grid:
            if r <= head or not any(_filled(c) for c in cells):
                continue
            stray = [j for j, c in enumerate(cells) if _filled(c) and j not in columns]
            for j in stray:
                self.problem(sheet, r, None, cells[j], "unnamed_column", "没有表头（或表头无效）的列中有数据")
            yield r, {columns[j].header: c for j, c in enumerate(cells) if j in columns and _filled(c)}

    def pending(self, sheet, r, got: dict, ident=None) -> None:
        said = got.get(_PENDING.header)
        if said is not None:
            self.problem(sheet, r, _PENDING.header, said, "pending", f"第 {r} 行仍标为待确认：{_text_of(said)}", ident)

    def fields(self, sheet, r, got: dict, columns, loc: tuple, item: dict, ident=None, structure=frozenset()) -> None:
        """Read the row's named columns and its 其他参数 into ``item``."""
        for col in columns:
            if col.field is None or col.header not in got:
                continue
            v = self.value(sheet, r, col, got[col.header], ident)
            self.cells[(*loc, col.field)] = Cell(sheet, r, col.header)
            if v is _MISS:
                self.unread.add((*loc, col.field))
            else:
                item[col.field] = v
        if _OTHER.header in got:
            said = got[_OTHER.header]
            try:
                more = _take_yaml(said)
            except ValueError as exc:
                self.problem(sheet, r, _OTHER.header, said, "bad_yaml", f"「其他参数」{exc}", ident)
                self.unread.add(loc)  # what it held is not known: any field of the row may be missing
                return
            for k, v in more.items():
                if k in item or k in structure:
                    said = next((c.header for c in columns if c.field == k and c.header in got), None)
                    why = f"与「{said}」列重复" if said else "应写在它自己的列或行中"
                    self.problem(sheet, r, _OTHER.header, _flow({k: v}), "duplicate_field", f"「其他参数」中的 {k} {why}", ident)
                    continue
                item[k] = v
                self.cells[(*loc, k)] = Cell(sheet, r, _OTHER.header)

    # -- sheets

    def info(self, grid, data: dict) -> None:
        known = {c.header: c for c in _INFO_COLUMNS}
        head, columns, _ = self.header(INFO, grid, known)
        if head is None:
            return
        self.cells[()] = Cell(INFO, None, None)
        labels = {label: (path, form) for label, path, form, _ in INFO_ROWS}
        seen: dict[str, int] = {}
        for r, got in self.rows(grid, head, columns, INFO):
            self.pending(INFO, r, got)
            label = _text_of(got.get("项目", "")).strip()
            if not label:
                if "内容" in got:
                    self.problem(INFO, r, "项目", None, "missing_label", "有内容而没有项目名称")
                continue
            if label in seen:
                self.problem(INFO, r, "项目", label, "duplicate_field", f"项目「{label}」已在第 {seen[label]} 行")
                continue
            seen[label] = r
            if "内容" not in got:
                continue  # an empty row of the form: not given
            path, form = labels.get(label) or (_raw_path(label), "yaml")
            v = self.value(INFO, r, Column("内容", None, form, ""), got["内容"])
            if v is _MISS:
                continue
            node = data
            for p in path[:-1]:
                node = node.setdefault(p, {})
                if not isinstance(node, dict):
                    self.problem(INFO, r, "项目", label, "duplicate_field", f"「{label}」与另一行的 {p} 重复")
                    break
            else:
                if path[-1] in node:
                    self.problem(INFO, r, "项目", label, "duplicate_field", f"「{label}」与另一行重复")
                    continue
                node[path[-1]] = v
                self.cells[path] = Cell(INFO, r, "内容")
                for i in range(1, len(path)):
                    self.cells.setdefault(path[:i], Cell(INFO, r, "内容"))

    def table(self, t: Table, grid, data: dict) -> None:
        head, columns, _ = self.header(t.sheet, grid, {c.header: c for c in t.columns})
        if head is None:
            return
        items = []
        for r, got in self.rows(grid, head, columns, t.sheet):
            loc = (*t.path, len(items)) if t.many else t.path
            item: dict = {}
            ident = _text_of(got["编号"]).strip() if "编号" in got else None
            self.pending(t.sheet, r, got, ident)
            self.fields(t.sheet, r, got, t.columns, loc, item, ident)
            self.cells[loc] = Cell(t.sheet, r, None)
            items.append(item)
        if not items:
            return
        if not t.many and len(items) > 1:
            self.problem(t.sheet, head + 1, None, None, "too_many_rows", f"「{t.sheet}」只能有一行（{len(items)} 行）")
            return
        *head_path, last = t.path
        node = data
        for p in head_path:
            node = node.setdefault(p, {})
        if not isinstance(node, dict) or last in node:
            self.problem(t.sheet, None, None, None, "duplicate_field",
                         f"「{t.sheet}」与「细则信息」中的 {'.'.join(t.path)} 重复")
            return
        node[last] = items if t.many else items[0]
        self.cells.setdefault(tuple(head_path), Cell(t.sheet, None, None))
        self.cells[t.path] = Cell(t.sheet, head, None)

    def main(self, grid) -> list[dict]:
        levels_at: dict[int, int] = {}
        head = None
        for r, cells in grid:
            if any(_filled(c) for c in cells):
                head = r
                break
        if head is None:
            self.problem(MAIN, None, None, None, "empty_sheet", "「细则」工作表是空的：第 1 行应为表头")
            return []
        header_cells = dict(grid)[head]
        for j, c in enumerate(header_cells):
            level = _level_of(_header(c))
            if level is not None:
                levels_at[j] = level
        levels = sorted(levels_at.values())
        if not levels:
            self.problem(MAIN, head, level_header(1), None, "missing_column", f"缺少「{level_header(1)}」列（指标名称）")
            return []
        if levels != list(range(1, len(levels) + 1)):
            gap = next(i for i in range(1, len(levels) + 2) if i not in levels)
            self.problem(MAIN, head, level_header(gap), None, "missing_column",
                         f"缺少「{level_header(gap)}」列：级别列应从一级起连续（现有 {'、'.join(level_header(x) for x in levels)}）")
            return []
        columns = main_columns(len(levels))
        by_header = {c.header: c for c in columns}
        head, index, _ = self.header(MAIN, grid, by_header)
        missing = [c.header for c in (_ID, _KIND) if c.header not in {c.header for c in index.values()}]
        for header in missing:
            self.problem(MAIN, head, header, None, "missing_column", f"缺少「{header}」列")
        if missing:  # every row would be wrong for the same reason
            return []
        kind_of = kind_names()
        english = {k: (k, {}) for k in kinds()}
        top: list[dict] = []
        stack: list[tuple[dict, tuple]] = []
        for r, got in self.rows(grid, head, index, MAIN):
            ident = _text_of(got[_ID.header]).strip() if _ID.header in got else None
            self.pending(MAIN, r, got, ident)
            names = [(lv, got[level_header(lv)]) for lv in range(1, len(levels) + 1) if level_header(lv) in got]
            kind_said = _text_of(got[_KIND.header]).strip() if _KIND.header in got else None
            if len(names) > 1:
                self.problem(MAIN, r, level_header(names[1][0]), names[1][1], "two_levels",
                             f"一行只能在一个级别列中写指标名称（本行写了{'、'.join(level_header(lv) for lv, _ in names)}）", ident)
                continue
            if names:
                level, name = names[0]
                if kind_said:
                    self.problem(MAIN, r, _KIND.header, kind_said, "node_with_kind",
                                 f"指标行（{level_header(level)}「{_text_of(name)}」）不写计分方式：条款请另起一行，级别列留空", ident)
                if level > len(stack) + 1:
                    above = f"「{level_header(len(stack) + 1)}」" if stack or level > 1 else ""
                    self.problem(MAIN, r, level_header(level), name, "level_skipped",
                                 f"跳过了级别：{level_header(level)}「{_text_of(name)}」的上方没有{above or '上级'}指标行", ident)
                    continue
                del stack[level - 1:]
                siblings = stack[-1][0].setdefault("children", []) if stack else top
                loc = (*stack[-1][1], "children", len(siblings)) if stack else ("indicators", len(siblings))
                node: dict = {}
                if ident is not None:
                    node["id"] = ident
                    self.cells[(*loc, "id")] = Cell(MAIN, r, _ID.header)
                node["name"] = self.value(MAIN, r, by_header[level_header(level)], name, ident)
                if node["name"] is _MISS:
                    del node["name"]
                self.cells[(*loc, "name")] = Cell(MAIN, r, level_header(level))
                self.cells[loc] = Cell(MAIN, r, None)
                self.fields(MAIN, r, got, [c for c in columns if c.field not in ("id", "name")], loc, node, ident, _STRUCTURE)
                siblings.append(node)
                stack.append((node, loc))
                continue
            if not stack:
                self.problem(MAIN, r, _KIND.header if kind_said else level_header(1), kind_said, "rule_before_node",
                             "规则行的上方没有指标行：每条规则属于它上方最近的指标行，请先写指标行（名称写在级别列中）", ident)
                continue
            if not kind_said:
                self.problem(MAIN, r, _KIND.header, None, "missing_kind",
                             "缺少计分方式：规则行须选择计分方式；若这是指标行，请把名称写在级别列中", ident)
                continue
            said = kind_of.get(kind_said) or english.get(kind_said)
            if said is None:
                self.problem(MAIN, r, _KIND.header, kind_said, "unknown_kind",
                             f"未知的计分方式「{kind_said}」；可选：{'、'.join(kind_of)}", ident)
                continue
            parent, ploc = stack[-1]
            rules = parent.setdefault("rules", [])
            loc = (*ploc, "rules", len(rules))
            rule: dict = {}
            if ident is not None:
                rule["id"] = ident
                self.cells[(*loc, "id")] = Cell(MAIN, r, _ID.header)
            rule["kind"], implied = said
            rule.update(implied)
            self.cells[(*loc, "kind")] = Cell(MAIN, r, _KIND.header)
            for f in implied:
                self.cells[(*loc, f)] = Cell(MAIN, r, _KIND.header)
            self.cells[loc] = Cell(MAIN, r, None)
            self.fields(MAIN, r, got, [c for c in columns if c.field not in ("id", "name")], loc, rule, ident, _STRUCTURE)
            rules.append(rule)
        return top


def _raw_path(label: str) -> tuple[str, ...]:
    """A 细则信息 项目 that is not one of the named facts: a field path (``source.note``), else the word itself
    (the model then says it is an unknown field)."""
    parts = label.split(".")
    return tuple(parts) if all(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", p) for p in parts) else (label,)


def _filled(cell) -> bool:
    return cell is not None and not (isinstance(cell, str) and not cell.strip())


def _header(cell) -> str:
    return re.sub(r"[\s\u3000\ufeff]+", "", _text_of(cell)) if _filled(cell) else ""


def _grids(path: Path, name: str) -> tuple[dict[str, list[tuple[int, list]]], list[Problem]]:
    """Every visible sheet's cells by row (as Excel numbers them), read within kaohe's limits for xlsx files."""
    from openpyxl import load_workbook

    from .tables import _inspect_xlsx, _xlsx_cell, read_input

    if path.suffix.lower() not in SUFFIXES:
        return {}, [Problem(name, None, None, path.suffix, "unsupported_format", "细则工作簿应为 .xlsx 文件")]
    data, problem = read_input(path, name, "细则工作簿", MAX_BYTES)
    if problem:
        return {}, [problem]
    fh = io.BytesIO(data)
    _, problem = _inspect_xlsx(fh, name)
    if problem:
        return {}, [problem]

    def load(data_only: bool):
        fh.seek(0)
        wb = load_workbook(fh, read_only=True, data_only=data_only, keep_links=False)
        try:
            out, formulas = {}, []
            for ws in wb.worksheets:
                if ws.title == LISTS or ws.title == GUIDE:
                    continue
                grid = []
                for i, row in enumerate(ws.iter_rows(max_col=MAX_COLUMNS, max_row=MAX_ROWS + 1), start=1):
                    if i > MAX_ROWS:
                        raise _TooLarge(ws.title)
                    grid.append((i, [_xlsx_cell(c) for c in row]))
                    formulas += [(ws.title, i, j) for j, c in enumerate(row) if getattr(c, "data_type", None) == "f"]
                out[ws.title] = grid
            return out, formulas
        finally:
            wb.close()

    try:
        grids, formulas = load(False)
        if formulas:  # a formula counts by the value Excel or WPS saved with it
            cached, _ = load(True)
            problems = []
            for sheet, i, j in formulas:
                cells = dict(cached[sheet])[i]
                if (cells[j] if j < len(cells) else None) is None:
                    problems.append(Problem(name, i, None, _text_of(dict(grids[sheet])[i][j]), "formula_without_value",
                                            "公式没有保存计算结果，无法读取：请在 Excel 或 WPS 中打开后保存，或改为数值",
                                            sheet=sheet))
            return ({} if problems else cached), problems
        return grids, []
    except _TooLarge as exc:
        return {}, [Problem(name, None, None, None, "too_large", f"工作表超过 {MAX_ROWS} 行", sheet=exc.sheet)]
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError, ParseError) as exc:
        return {}, [Problem(name, None, None, None, "bad_xlsx", f"无法打开 Excel 文件：{exc}")]


class _TooLarge(Exception):
    def __init__(self, sheet: str):
        self.sheet = sheet


# ---------------------------------------------------------------------------------------------------------
# Key order (the YAML's, and the data's) and validation located in the workbook.


def _ordered(item: dict, first: list[str], last: list[str] = ()) -> dict:
    keys = [k for k in first if k in item] + [k for k in item if k not in first and k not in last] + \
        [k for k in last if k in item]
    return {k: item[k] for k in keys}


def _canonical(data: dict) -> dict:
    from .rubric import Node, Rubric

    node_first = ["id", "name", *[f for f in Node.model_fields if f not in ("id", "name", "children", "rules", "reading")]]

    def rule(r: dict) -> dict:
        kind = kinds().get(r.get("kind")) if isinstance(r.get("kind"), str) else None
        own = [f for f in (kind.model.model_fields if kind else ()) if f not in _COMMON]
        return _ordered(r, ["id", "kind", "text", *own], ["cap", "records_until", "excludes", "note", "reading"])

    def node(n: dict) -> dict:
        out = _ordered(n, node_first, ["reading", "rules", "children"])
        if isinstance(out.get("rules"), list):
            out["rules"] = [rule(r) if isinstance(r, dict) else r for r in out["rules"]]
        if isinstance(out.get("children"), list):
            out["children"] = [node(c) if isinstance(c, dict) else c for c in out["children"]]
        return out

    out = _ordered(data, list(Rubric.model_fields))
    if isinstance(out.get("indicators"), list):
        out["indicators"] = [node(n) if isinstance(n, dict) else n for n in out["indicators"]]
    return out


def load_model(model, path: str | Path):
    """Validate the workbook at ``path`` into ``model`` (the Rubric); every problem is located in the workbook."""
    from pydantic import ValidationError

    from .rubric import _problem

    data, problems, cells, unread = _located(path)
    if problems and not data:
        raise RubricError(problems)
    try:
        rubric = model.model_validate(data)
    except ValidationError as exc:
        # with the cells that could not be read, all at once; but not the model's word on those same cells
        moot = {dotted(loc) for loc in unread}
        found = [_problem(str(path), data, {}, err, model) for err in exc.errors()]
        found = [relocate(p, cells) for p in found if not any(_under(p.column or "", m) for m in moot)]
        raise RubricError(problems + found) from None
    if problems:
        raise RubricError(problems)
    return rubric


def _under(path: str, loc: str) -> bool:
    return path == loc or path.startswith((loc + ".", loc + "["))


_FIELD_HEADER = {c.field: c.header for c in [*_BODY, *PARAMS, *_TAIL, _ID] if c.field}
_INFO_LABEL = {path: label for label, path, _, _ in INFO_ROWS}


def relocate(problem: Problem, cells: Cells) -> Problem:
    """A problem the model found, located at the sheet, row and column its value was read from."""
    by_dotted = {dotted(loc): (loc, cell) for loc, cell in cells.items()}
    path = problem.column or ""
    probe = "" if path == "(根)" else path
    while probe not in by_dotted and probe:
        shorter = re.sub(r"(\[\d+\]|\.[^.\[]*)$", "", probe)
        probe = "" if shorter == probe else shorter  # a top-level field: the rubric's own facts
    if probe not in by_dotted:
        return problem
    loc, cell = by_dotted[probe]
    rest = path[len(probe):] if probe else path
    field = re.match(r"\.?([^.\[]+)", rest)
    column = cell.column
    message = problem.message
    if field and probe != path:
        wanted = (*loc, field[1])
        if cell.sheet == MAIN and column is None and field[1] in _FIELD_HEADER:
            column = _FIELD_HEADER[field[1]]
        elif wanted in _INFO_LABEL or (not loc and (field[1],) in _INFO_LABEL):
            label = _INFO_LABEL.get(wanted) or _INFO_LABEL[(field[1],)]
            return replaced(problem, row=None, column="项目", value=None, sheet=INFO,
                            message=f"缺少「{label}」：请在「{INFO}」中填写这一项（{problem.message}）")
    return replaced(problem, row=cell.row, column=column, sheet=cell.sheet, message=message)


# ---------------------------------------------------------------------------------------------------------
# YAML, for `kaohe rubric import`.


class _Dumper(yaml.SafeDumper):
    """Decimals as plain numbers, dates as dates, no anchors; short mappings and lists of scalars on one line."""

    def ignore_aliases(self, data):
        return True


def _represent_decimal(dumper, value: Decimal):
    text = fmt(value)
    return dumper.represent_scalar("tag:yaml.org,2002:" + ("float" if "." in text else "int"), text)


def _scalar(v) -> bool:
    return not isinstance(v, (dict, list))


def _represent_dict(dumper, value: dict):
    # nodes, rules and readings (what has an id) one field a line; small mappings (period, a band) on one
    short = "id" not in value and all(_scalar(v) for v in value.values()) and \
        sum(len(str(k)) + len(str(v)) + 4 for k, v in value.items()) <= 90
    return dumper.represent_mapping("tag:yaml.org,2002:map", value, flow_style=True if short else None)


def _represent_list(dumper, value: list):
    short = all(_scalar(v) for v in value) and sum(len(str(v)) + 2 for v in value) <= 90
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=True if short else None)


def _represent_str(dumper, value: str):
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value.strip("\n") else None)


_Dumper.add_representer(Decimal, _represent_decimal)
_Dumper.add_representer(dict, _represent_dict)
_Dumper.add_representer(list, _represent_list)
_Dumper.add_representer(str, _represent_str)


def _dump(value) -> str:
    return yaml.dump(value, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=10**9, default_flow_style=False)


def yaml_text(data: dict, source: str, points: dict | None = None) -> str:
    """The rubric YAML of raw ``data`` read from the workbook named ``source``: a header comment saying so, and a
    comment before each top-level indicator (``points``: node id -> its points where the parts give them)."""
    head = {k: v for k, v in data.items() if k != "indicators"}
    out = [f"# 本文件由细则工作簿 {source} 生成（kaohe rubric import）。",
           "# 修改细则请在工作簿中修改后重新导入；也可直接编辑本文件，再用 kaohe rubric lint 检查。",
           _dump(head).rstrip("\n"), "", "indicators:"]
    for node in data.get("indicators") or []:
        out.append(f"  # {_summary(node, points or {})}")
        out.append("\n".join("  " + line if line else line for line in _dump([node]).rstrip("\n").split("\n")))
    return "\n".join(out) + "\n"


def _summary(node: dict, points: dict) -> str:
    """``1 “放管服” 改革：50 分，12 条规则`` for the comment above a top-level indicator."""
    def rules(n):
        return len(n.get("rules") or []) + sum(rules(c) for c in n.get("children") or [] if isinstance(c, dict))

    said = []
    shown = node.get("points") if node.get("points") is not None else points.get(node.get("id"))
    if shown is not None:
        said.append(f"{fmt(to_decimal(shown))} 分" + ("（下级合计）" if node.get("points") is None else ""))
    if node.get("weight") is not None:
        said.append(f"权重 {fmt(to_decimal(node['weight']))}%")
    said.append(f"{rules(node)} 条规则")
    name = " ".join(f"{node.get('id', '')} {node.get('name', '')}".split())
    return f"{name}：{'，'.join(said)}"


# A kind whose model says a field's values are a fixed set has them all in ENUMS (tests/test_workbook.py).
ENUM_SOURCES = {"rounding": ("rate_shortfall", "rounding"), "effect": ("veto", "effect"), "every": ("periodic", "every")}


def enum_values(field: str) -> tuple:
    kind, name = ENUM_SOURCES[field]
    return get_args(kinds()[kind].model.model_fields[name].annotation)
