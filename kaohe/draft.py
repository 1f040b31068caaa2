"""``kaohe rubric draft``: a first draft of a rubric from the document itself (issue 17).

:func:`draft` reads the scoring table(s) of a .docx (tables, merged cells), an .xlsx or a plain text file (the
layouts of the source documents in tests/data/seeds: cells that start with a tab, cells between ``|`` lines,
one cell per paragraph) and returns raw rubric data, in the shape of the YAML, with a ``pending`` map: rule or
node id (or a rubric field) → why a person must look at it (待确认). Nothing is invented: every rule's
``text`` is a verbatim span of the document (line breaks inside a clause, an artefact of extraction, removed).
Kinds and amounts come from the usual phrasings in :data:`PHRASES`; a clause it cannot read becomes a row
marked 待确认 rather than a guess passed off as a reading.

Phrases are matched on a *mirror* of the text of the same length — full-width ASCII made half-width, traditional
characters simplified, character by character — so that positions found in the mirror cut the original text.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

from .errors import InputError, Problem
from .names import simplified
from .tables import MAX_XLSX_BYTES, _inspect_xlsx, cell_text, decode, read_input

NUM = r"(\d+(?:\.\d+)?)"

@dataclass(frozen=True)
class Phrase:
    """One usual phrasing. ``role``: ``event`` ends a clause (the clause runs from the end of the one before it, or
    the start of its sentence, to the end of the event); ``inside`` is read in a clause to choose the kind and its
    amounts; ``after`` may follow an event and still belong to its clause (a cap). ``kind``: the rule kind it
    points to ("" where the verb decides: 扣 deducts, 加 adds, 得 earns). ``example``: a clause it reads, from the
    source documents or the fictitious examples (a test matches each pattern against its example)."""

    role: str
    kind: str
    pattern: str
    example: str


#: Every phrasing the draft reads, matched on the mirror (simplified characters, half-width punctuation). Events
#: are tried in this order where two start at one place.
PHRASES: dict[str, Phrase] = {
    # -- events: what ends a clause
    "levels": Phrase("event", "per_level", rf"分别(?P<verb>扣|加)\s*(?P<nums>{NUM}\s*分(?:\s*[、,]\s*{NUM}\s*分)+)",
                     "被国家、省、市网站(政务新媒体)巡查通报的,每次分别扣2分、1分、0.5分"),
    "range": Phrase("event", "discretionary",
                    rf"(?P<verb>扣|加)\s*(?:分\s*)?(?P<a>{NUM})\s*(?:分\s*)?[-~—–至到]\s*(?P<b>{NUM})\s*分",
                    "乡镇对村（社区）便民服务中心的业务指导与培训，视完成情况扣 1-3 分"),
    "exceed": Phrase("event", "exceed", rf"超(?:过|出)[^。;]{{0,30}}?{NUM}\s*%[^。;]{{0,6}}?加\s*{NUM}\s*分"
                     rf"(?:[^。;]{{0,40}}?每多?超(?:过|出)\s*{NUM}\s*%\s*加\s*{NUM}\s*分)?",
                     "政务新媒体全年发布原创信息超出规定数量（200条）10%的加1分，超出30%以上的，每多超出20%加1分"),
    "amount": Phrase("event", "", rf"(?P<verb>扣|加|得)(?:除)?\s*(?P<a>{NUM})\s*分", "未实行好差评扣5分"),
    "amount_after": Phrase("event", "", rf"(?P<verb>扣|加)分\s*(?P<a>{NUM})(?:\s*分)?",
                           "视平台政务服务事项办理,数据归集情况每次扣分0.5"),
    "judged": Phrase("event", "discretionary", r"(?:视[^,;。]{0,8}?情(?:况|节)?|酌情)(?:给予)?(?P<verb>扣|加)分",
                     "工作质量有欠缺的,视情扣分"),
    "nil": Phrase("event", "flat", r"(?:该项|本项|此项|该指标|本指标)?(?:不得分|得0分|计0分|计零分|分值全部扣除)",
                  "答复超期的，该项不得分"),
    "veto": Phrase("event", "veto", r"(?:一票|单项)否决(?!指标|情形|项目|条款|事项)",
                   "被国、省、市通报批评，该年绩效考核一票否决"),
    "disqualify": Phrase("event", "disqualify", r"取消[^,;。]{0,16}?(?:评价|评选|参评|评优|评先|考核)[^,;。]{0,4}?资格",
                         "对虚报、瞒报、伪造篡改相关数据的区县(市),将取消年度评价资格"),
    "external": Phrase("event", "external", r"按(?:照)?[^,;。]{0,20}?《[^》]{1,60}》[^,;。]{0,12}?(?:扣分|计分|评分)",
                       "按照《益阳市12345市长热线工作考评实施细则(试行)》要求进行扣分"),
    "task": Phrase("event", "task", r"逾期完成[^。;]{0,60}?比例计分(?:[^。;]{0,20}?计零分)?",
                   "逾期完成任務的,按完成任務量(或完成時間)與要求任務量(或要求時間)比例計分,未啟動的計零分"),
    "given": Phrase("event", "given", r"提供[^,;。]{0,8}?(?:成绩|得分|分数)", "独立开展过程测评和年度测评,并提供最终考核成绩"),
    "rater": Phrase("event", "rater", r"组织[^。;]{0,40}?进行(?:评分|打分|测评|互评)(?:[^。;]{0,60}?(?:评分|打分|评价))?",
                    "组织县直单位工作人员对各乡镇政府政务公开情况进行评分,各乡镇政府工作人员对县直单位年度政务公开工作完成情况进行综合评价"),
    # -- inside a clause: which kind, which amounts
    "rate": Phrase("inside", "rate_shortfall",
                   rf"低于\s*(?P<target>{NUM})\s*%[^。;]*?每(?:下降|降低|减少|低)\s*(?P<step>{NUM})\s*(?:个?百分点|%)",
                   "接通率低于 98%，每下降 1 个百分点，扣 0.5 分"),
    "rate_step": Phrase("inside", "rate_shortfall", rf"每(?:下降|降低|减少|低)\s*(?P<step>{NUM})\s*(?:个?百分点|%)",
                        "网站首页可用率低于95%的，扣5分；每降低1%扣1分"),
    "periodic": Phrase("inside", "periodic", rf"每(?P<every>月|季度?)[^。;]*?(?:不低于|不少于|不得少于|达到)\s*(?P<min>{NUM})\s*"
                       r"(?P<unit>条|篇|次|件|个)", "乡镇政府信息公开专栏每月发布信息应不少于40条，当月不足40条的，每出现一个月扣5分"),
    "blank_month": Phrase("inside", "periodic", r"空白月", "政务微信公众号当月未发布任何信息的，视为“空白月”，每出现一个空白月扣10分"),
    "shortfall": Phrase("inside", "shortfall", rf"低于\s*(?P<target>{NUM})\s*(?P<unit>项|个|件|条|家)",
                        "乡镇（街道）可办事项低于61项，每少一项扣0.1分"),
    "fewer": Phrase("inside", "shortfall", r"每\s*(?:少|缺)\s*[一1]\s*(?:项|个|件|条|家)", "每少一项扣0.1分"),
    "threshold": Phrase("inside", "threshold", rf"低于\s*(?P<below>{NUM})\s*(?P<pct>%)?", "评价率低于 80%扣 1分"),
    "per": Phrase("inside", "per_count",
                  r"每\s*(?:[一1]\s*)?(?:次|处|例|项|个|条|件|人|家|篇|起|宗|栏目|事项|发现|出现|少|缺|超|有)"
                  r"|每[^,;。]{0,4}?[一1]\s*(?:次|处|例|项|个|条|件|篇|起|家|人)|(?:少|缺)\s*[一1]\s*(?:个|项|件|条|处)"
                  r"|[一1]\s*(?:次|处|例|件|起|条|项|个|篇|人)\s*,?\s*$",
                  "服务指南少一个扣 1 分"),
    "level_list": Phrase("inside", "per_level", r"(?:国家|国|省|市|县)级?(?:\s*[、,和及与]\s*(?:国家|国|省|市|县)级?)+",
                         "政务公开工作被国家、省、市通报表彰的,分别加3分、2分、1分"),
    "level_up": Phrase("inside", "per_level", r"(省|市|县)级?(?:及)?以上", "年度内被市级以上政府或政务公开主管部门通报批评的"),
    "level_each": Phrase("inside", "per_level", rf"(国家|省|市|县)级[^,;。]{{0,4}}?(扣|加)\s*{NUM}\s*分$", "省级每次扣3分"),
    "judgement": Phrase("inside", "discretionary", r"视|酌情", "视完成情况扣 1-3 分"),
    "no_award": Phrase("inside", "veto", r"评优|评先", "取消绩效目标管理考核年度评优资格"),
    # -- after an event, still the same clause
    "cap": Phrase("after", "", rf"[,;]?\s*(?:累计|合计)(?:扣分|加分|得分)?(?:最高)?(?:不超过|不得超过|最多|以)\s*(?P<cap>{NUM})\s*分"
                  r"(?:为限)?", ",累计扣分不超过2分"),
    "cap_most": Phrase("after", "", rf"[,;]?\s*(?:本项)?(?:最高|最多)(?:不超过|扣|加|得)?\s*(?P<cap>{NUM})\s*分", "，本项最多得6分"),
    "cap_until": Phrase("after", "", rf"[,;]?\s*扣完\s*(?P<cap>{NUM})\s*分为止", ",扣完10分为止"),
    "until": Phrase("after", "", r"[,;]?\s*扣完为止", "，扣完为止"),
    "per_unit": Phrase("after", "per_count", r"\s*/\s*(?:次|处|项|件|个|条|篇|人次|件次|人|例|天|日)", "栏目空白的，扣2分/处"),
    "partly": Phrase("after", "earned", r"[,;]?[^,;。]{0,12}?酌情得分", "，部分达到的酌情得分"),
    "none": Phrase("after", "earned", r"[,;]?[^,;。]{0,12}?不得分", "，未达到的不得分"),
}

_EVENTS = [(name, p.kind, re.compile(p.pattern)) for name, p in PHRASES.items() if p.role == "event"]
_PHRASE = {name: re.compile(p.pattern) for name, p in PHRASES.items() if p.role == "inside"}
_SUFFIX = {name: re.compile(p.pattern) for name, p in PHRASES.items() if p.role == "after"}

#: Numbering at the start of a clause or heading: ①, the private-use ①②③ of the extracted seeds, (1), 1. 1、 一、
_NUMBERING = re.compile(r"(?:[①-⑳\uf080-\uf0ff]|[-*•·]\s+|\d{1,2}(?:\.\d{1,2}){1,3}\s+|\(\s*[0-9一二三四五六七八九十]{1,3}\s*\)|[0-9]{1,2}\s*[.、](?=\d{4}年|[^\d])"
                        r"|[一二三四五六七八九十]{1,3}\s*、)\s*")
#: A short label before a colon (测评方式:), not part of the clause.
_LABEL = re.compile(r"[\u4e00-\u9fff]{2,6}:\s*")
#: A cell holding only points (15, 15分) or a weight ((25%), 25%).
_POINTS = re.compile(rf"^\s*{NUM}\s*分?\s*$")
_WEIGHT = re.compile(rf"\(\s*(?:权重:?\s*)?{NUM}\s*%\s*\)\s*[。.]?\s*$")
#: Words of a table header row.
_HEADER_WORDS = re.compile(r"序号|编号|指标|内容|分值|权重|计分|评分|扣分|得分|考核|考评|项目|标准|方式|要点|备注")
#: A title ends with one of these words (a wrapped title line does not).
_TITLE_END = re.compile(r"(细则|内容|表|体系|标准|办法|方案|对象|名单|指标)\s*$")
_SCORING_TITLE = re.compile(r"指标体系|细则|评分表|计分表|考核表|评分标准|计分标准|考评内容|考核内容|评估内容")
_LEVEL_NAMES = {"国": "国家", "国家": "国家", "省": "省", "市": "市", "县": "县"}

_WIDE = {chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)} | {"\u3000": " "}


def mirror(text: str) -> str:
    """``text`` with full-width ASCII made half-width and traditional characters simplified, of the same length.

    >>> mirror("扣０．５分，一票否決")
    '扣0.5分,一票否决'
    """
    narrow = "".join(_WIDE.get(c, c) for c in text)
    out = simplified(narrow)
    if len(out) != len(narrow):  # a phrase converted to another length: convert character by character
        out = "".join(s if len(s := simplified(c)) == 1 else c for c in narrow)
    return out


# --- clauses ---------------------------------------------------------------------------------------------------

@dataclass
class Event:
    name: str
    kind: str
    start: int
    end: int
    match: re.Match


@dataclass
class Clause:
    """One scoring clause: its verbatim text, the mirror of it, the event that ends it and any cap after it."""

    text: str
    mirror: str
    event: Event | None  # None: a sentence that states no amount
    cap: Decimal | None = None
    until: bool = False  # 扣完为止, 扣完10分为止: the item's points are the cap
    note: str | None = None
    start: int = 0  # where the clause is in its line
    end: int = 0
    amounts: dict | None = None  # 国家级每次扣5分，省级每次扣3分，…: the amounts by level
    per: bool = False  # 扣2分/处: the amount is per occurrence


def _events(m: str) -> list[Event]:
    """Every event in ``m``, leftmost first; of events starting at one place the first in :data:`PHRASES` wins, and
    an event inside a chosen one is dropped."""
    found = [Event(name, kind, x.start(), x.end(), x) for name, kind, rx in _EVENTS for x in rx.finditer(m)]
    order = {name: i for i, (name, _, _) in enumerate(_EVENTS)}
    found.sort(key=lambda e: (e.start, order[e.name]))
    out: list[Event] = []
    for e in found:
        if not out or e.start >= out[-1].end:
            out.append(e)
    return out


def _skip(m: str, i: int, end: int) -> int:
    """Past separators, numbering and a label at ``i``."""
    while i < end:
        if m[i] in " \t\n,;。、:":
            i += 1
            continue
        x = _NUMBERING.match(m, i) or _LABEL.match(m, i)
        if x and x.end() <= end and x.end() > i:
            i = x.end()
            continue
        break
    return i


def _sentences(line: str, m: str, start: int, end: int) -> list[tuple[int, int]]:
    """The non-empty sentences of ``line[start:end]`` (split at 。 ; ! ?), as spans past their numbering."""
    out, i = [], start
    for j in [k for k in range(start, end) if m[k] in "。;!?"] + [end]:
        a = _skip(m, i, j)
        b = j
        while b > a and m[b - 1] in " \t,、":
            b -= 1
        if b > a:
            out.append((a, b))
        i = j + 1
    return out


def clauses(line: str) -> list[Clause]:
    """The clauses of one line of a clause cell, in order; a sentence with no event is a clause without one.

    >>> [c.text for c in clauses("未实行好差评扣5分，评价率低于 80%扣 1分，差评每件扣 0.5 分。")]
    ['未实行好差评扣5分', '评价率低于 80%扣 1分', '差评每件扣 0.5 分']
    >>> c = clauses("出现扣分的相关发布单位,每件次扣0.5分,累计扣分不超过2分。")[0]
    >>> (c.text, c.cap)
    ('出现扣分的相关发布单位,每件次扣0.5分,累计扣分不超过2分', Decimal('2'))
    """
    m = mirror(line)
    out: list[Clause] = []
    pos = 0
    for ev in _events(m):
        if ev.start < pos:
            continue  # inside a suffix already taken
        stop = max([pos] + [k + 1 for k in range(pos, ev.start) if m[k] in "。;!?"])
        for a, b in _sentences(line, m, pos, stop):
            out.append(_bare(line, m, a, b, out))
        start = _skip(m, stop, ev.start)
        end, cap, until, per = _suffix(m, ev.end, ev)
        while end > start and line[end - 1].isspace():
            end -= 1
        out.append(Clause(line[start:end], m[start:end], Event(ev.name, ev.kind, ev.start - start, ev.end - start,
                                                               ev.match), cap, until, start=start, end=end, per=per))
        pos = end
    for a, b in _sentences(line, m, pos, len(line)):
        out.append(_bare(line, m, a, b, out))
    return _by_level(line, m, [c for c in out if c.text])


def _by_level(line: str, m: str, found: list[Clause]) -> list[Clause]:
    """国家级每次扣5分，省级每次扣3分，市级每次扣2分: consecutive clauses that each name a level are one rule."""
    out: list[Clause] = []
    for c in found:
        prev = out[-1] if out else None
        said = c.mirror[:c.event.end] if c.event is not None else ""
        x = _PHRASE["level_each"].search(said)
        if (x and prev is not None and prev.amounts is not None and _PHRASE["level_each"].fullmatch(said)
                and x.group(2) == prev.event.match.group("verb") and not re.search(r"[。;]", m[prev.end:c.start])):
            prev.amounts[_LEVEL_NAMES[x.group(1)]] = Decimal(x.group(3))
            prev.text, prev.mirror, prev.end = line[prev.start:c.end], m[prev.start:c.end], c.end
            prev.cap, prev.until = c.cap if c.cap is not None else prev.cap, prev.until or c.until
            continue
        if x and c.event.name == "amount" and (x.start() == 0 or said[x.start() - 1] in ",、"):
            c.amounts = {_LEVEL_NAMES[x.group(1)]: Decimal(x.group(3))}
        out.append(c)
    for c in out:  # one level alone is an ordinary amount
        if c.amounts is not None and len(c.amounts) < 2:
            c.amounts = None
    return out


def _bare(line: str, m: str, a: int, b: int, before: list[Clause]) -> Clause:
    """A sentence without an amount; a parenthesised one is a note on the clause before it."""
    text = line[a:b].strip()
    if re.fullmatch(r"\(.*\)", m[a:b].strip()) and before:
        before[-1].note = f"原文注明“{text}”"
        return Clause("", "", None)
    if len(re.findall(r"[\u4e00-\u9fff]", m[a:b])) < 4:
        return Clause("", "", None)
    return Clause(text, m[a:b].strip(), None)


def _suffix(m: str, end: int, ev: Event) -> tuple[int, Decimal | None, bool, bool]:
    """Where the clause ends after its event, the cap said there, whether it is the item's (扣完为止), whether the
    amount is per occurrence (扣2分/处)."""
    cap, until, per = None, False, False
    while True:
        for name, rx in _SUFFIX.items():
            if name in ("partly", "none") and ev.match.groupdict().get("verb") != "得":
                continue
            x = rx.match(m, end)
            if x:
                end = x.end()
                if "cap" in x.groupdict():
                    cap = Decimal(x["cap"])
                until = until or name in ("until", "cap_until")
                per = per or name == "per_unit"
                break
        else:
            return end, cap, until, per


# --- rules from clauses ----------------------------------------------------------------------------------------

@dataclass
class Drafted:
    """A rule drafted from a clause: its fields (without id) and why it is pending, if it is."""

    fields: dict
    why: list[str] = field(default_factory=list)
    node_cap: bool = False  # the cap is said as 扣完N分为止: the item's own cap, not the rule's
    whole: bool = False  # 该项不得分: the amount is the item's points, known only where the item is


_RANKS = ["国家", "省", "市", "县"]


def _levels(m: str) -> list[str] | None:
    x = _PHRASE["level_list"].search(m)
    if not x:
        if up := _PHRASE["level_up"].search(m):  # 市级以上: 国家, 省, 市
            return _RANKS[:_RANKS.index(up.group(1)) + 1]
        return None
    return [_LEVEL_NAMES[w] for w in re.findall(r"国家|国|省|市|县", x.group())]



def rules_of(c: Clause, previous_levels: list[str] | None = None, before: str = "") -> list[Drafted]:
    """The rule(s) one clause states: kind and amounts from :data:`PHRASES`, and what is not sure.
    ``previous_levels``: the levels the sentence before named; ``before``: the mirror of its line before it.

    >>> [(d.fields["kind"], d.fields.get("per")) for d in rules_of(clauses("差评每件扣 0.5 分")[0])]
    [('per_count', Decimal('0.5'))]
    """
    base = {"text": c.text}
    if c.event is None:
        return [Drafted({**base, "kind": "unscored"}, ["原文此句未写扣分额度：是说明文字，还是漏写了分值？"])]
    ev, m = c.event, c.mirror
    if c.amounts is not None:
        out = [Drafted({**base, "kind": "per_level", "amounts": dict(c.amounts),
                        **({"bonus": True} if ev.match.group("verb") == "加" else {})})]
        if c.cap is not None:
            out[0].fields["cap"], out[0].node_cap = c.cap, c.until
        return out
    pre = m[:ev.start]
    g = ev.match.groupdict()
    verb = g.get("verb")
    out: list[Drafted] = []
    if ev.name == "levels":
        nums = [Decimal(n) for n in re.findall(NUM, g["nums"])]
        levels, why = _levels(m), []
        if levels is None and previous_levels:
            levels = previous_levels
            why.append(f"本句未写级别，沿用上一句的「{'、'.join(levels)}」")
        if not levels or len(levels) != len(nums):
            levels = [f"级别{i + 1}" for i in range(len(nums))]
            why.append("未找到与各分值一一对应的级别（国家、省、市…）：请把「级别1」等改为级别名称")
        out.append(Drafted({**base, "kind": "per_level", "amounts": dict(zip(levels, nums)),
                            **({"bonus": True} if verb == "加" else {})}, why))
    elif ev.name == "range":
        fields = {**base, "kind": "discretionary", "min": Decimal(g["a"]), "max": Decimal(g["b"])}
        why = []
        if _PHRASE["per"].search(pre) and not _PHRASE["judgement"].search(pre):
            fields["per_occurrence"] = True
        elif not _PHRASE["judgement"].search(pre):
            why.append("区间扣分但未写“视情况”或“每次”：请确认是一次判定还是每次判定")
        if verb == "加":
            fields["bonus"] = True
        out.append(Drafted(fields, why))
    elif ev.name == "judged":
        out.append(Drafted({**base, "kind": "discretionary", **({"bonus": True} if verb == "加" else {})},
                           ["原文未写幅度（视情扣分）：只受所在指标分值限制；如有上限请填 max"]))
    elif ev.name in ("amount", "amount_after"):
        out += _amount_rules(c, base, verb, Decimal(g["a"]), pre, m, before)
    elif ev.name == "nil":
        out.append(Drafted({**base, "kind": "flat"}, [], whole=True))
    elif ev.name == "veto":
        levels = _levels(m)
        out.append(Drafted({**base, "kind": "veto", **({"levels": levels} if levels else {}),
                            **({"effect": "stop"} if "单项" in ev.match.group() else {})},
                           ["单项否决：否决后其余部分不再评分，请填写得分（score）与等次（grade）"]
                           if "单项" in ev.match.group() else []))
    elif ev.name == "exceed":
        out.append(_exceed(base, m))
    elif ev.name == "disqualify":
        if _PHRASE["no_award"].search(ev.match.group()):
            levels = _levels(m)
            out.append(Drafted({**base, "kind": "veto", **({"levels": levels} if levels else {}), "effect": "no_award"},
                               ["取消评优资格：照常计分排名、不得评优（一票否决 effect: no_award）；"
                                "若条件是某部分得分低于某分，也可在该部分写 eligibility_min"]))
        else:
            out.append(Drafted({**base, "kind": "disqualify"}))
    elif ev.name == "external":
        doc = re.search(r"《[^》]+》", c.text)
        out.append(Drafted({**base, "kind": "external", "document": doc.group() if doc else c.text},
                           ["按其他文件计分：该文件未编入，分值由台账给出；也可改为视情扣分并写明区间"]))
    else:  # task, given, rater: the kind is the whole reading
        out.append(Drafted({**base, "kind": ev.kind}, [{
            "task": "按任务完成情况计分：每项任务的分值由台账给出，请确认",
            "given": "得分由他方给出（给定得分，满分按 100 分起草）：请确认满分",
            "rater": "评分人打分取平均（满分按 100 分起草）：请确认",
        }[ev.kind]]))
    for d in out:
        if c.cap is not None:
            d.fields["cap"] = c.cap
            d.node_cap = c.until
        if c.note:
            d.fields["note"] = c.note
    return out


#: How a rate rule counts part of a step, in the words of the workbook's 计步方式 drop-down (kaohe/workbook.py
#: ENUMS), the YAML values after them: the clerk who reads this reason picks from that drop-down.
_ROUNDING_WHY = ("“每下降1个百分点”不足 1 个百分点的部分如何计（计步方式）原文未写：请在「计步方式」中选"
                 "“整步（不足一步不扣）”、“整步（不足一步按一步）”或“按比例”"
                 "（YAML 中 rounding 写 whole_steps_down、whole_steps_up 或 proportional）")


def _exceed(base: dict, m: str) -> Drafted:
    """超出规定数量（200条）10%的加1分，超出30%以上的，每多超出20%加1分."""
    tiers = [{"over": Decimal(a), "amount": Decimal(b)} for a, b in re.findall(
        rf"(?<![每多])超(?:过|出)[^,;。%]{{0,20}}?{NUM}\s*%(?:以上)?的?,?\s*加\s*{NUM}\s*分", m)]
    fields = {**base, "kind": "exceed"}
    if t := re.search(rf"(?:规定|目标|要求)[^,;。\d]{{0,6}}?\(?\s*{NUM}", m):
        fields["target"] = Decimal(t.group(1))
    if tiers:
        fields["tiers"] = tiers
    if x := re.search(rf"超(?:过|出)\s*{NUM}\s*%以上的?,?\s*每多?超(?:过|出)\s*{NUM}\s*%\s*加\s*{NUM}\s*分", m):
        fields["then"] = {"over": Decimal(x.group(1)), "every": Decimal(x.group(2)), "amount": Decimal(x.group(3))}
    fields["inclusive"] = "以上" in m
    return Drafted(fields, ["超额加分：“超过”是否含本数（inclusive）、各档与“每超过”如何合计，原文未写明，请确认"])


def _amount_rules(c: Clause, base: dict, verb: str, x: Decimal, pre: str, m: str, before: str) -> list[Drafted]:
    per = bool(_PHRASE["per"].search(pre)) or c.per
    if verb == "加":
        return [Drafted({**base, "kind": "bonus", **({"per": x} if per else {"amount": x})})]
    if verb == "得":
        return [Drafted({**base, "kind": "earned", **({"per": x} if per else {"points": x})},
                        ["得分项：所在指标须从 0 分起计（start: zero），请确认"])]
    if r := _PHRASE["rate"].search(m):
        fields = {"kind": "rate_shortfall", "target": Decimal(r["target"]), "step": Decimal(r["step"]), "per": x}
        why = [_ROUNDING_WHY]
        subject = c.text[:r.start()]
        items = [s.strip() for s in subject.split("、") if s.strip()] if "分别" in m else []
        if len(items) > 1:  # 全年按时办结率、满意度低于 95%，…分别扣 0.2 分: one rule per measure, the same text
            return [Drafted({**base, **fields, "note": f"本条计「{s}」"}, list(why)) for s in items]
        return [Drafted({**base, **fields}, why)]
    if (r := _PHRASE["rate_step"].search(m)) and (t := re.findall(rf"低于\s*{NUM}\s*%", before)):
        return [Drafted({**base, "kind": "rate_shortfall", "target": Decimal(t[-1]), "step": Decimal(r["step"]), "per": x},
                        [f"目标值 {t[-1]}% 取自前一句；不足一步的部分如何计（计步方式：整步（不足一步不扣）、整步（不足一步按一步）或按比例）原文未写，请确认"])]
    if p := _PHRASE["periodic"].search(m):
        return [Drafted({**base, "kind": "periodic", "every": "month" if p["every"] == "月" else "quarter",
                         "min": Decimal(p["min"]), "per": x, "unit": p["unit"]})]
    if _PHRASE["blank_month"].search(m):
        return [Drafted({**base, "kind": "periodic", "every": "month", "min": Decimal(1), "per": x},
                        ["“空白月”读作当月发布 0 条（不低于 1 条）：请确认"])]
    targets = list(_PHRASE["shortfall"].finditer(pre))
    if targets and _PHRASE["fewer"].search(m):
        if len(targets) == 1:
            t = targets[0]
            return [Drafted({**base, "kind": "shortfall", "target": Decimal(t["target"]), "per": x,
                             **({"unit": t["unit"]} if t["unit"] != "项" else {})})]
        out = []
        for i, t in enumerate(targets):  # 乡镇…低于61项，随机抽取一个村…低于44项，每少一项扣0.1分
            begin = 0 if i == 0 else max(m.rfind(",", 0, t.start()), m.rfind(";", 0, t.start())) + 1
            out.append(Drafted({"text": c.text[begin:].strip(), "kind": "shortfall", "target": Decimal(t["target"]),
                                "per": x, **({"unit": t["unit"]} if t["unit"] != "项" else {})},
                               [] if i == 0 else ["与上一条共用“每少一项”的分值，原文从本句起"]))
        return out
    if per:
        why = ["一句中“分别”计几项：是否应拆成几条规则？"] if "分别" in m and "、" in pre else []
        return [Drafted({**base, "kind": "per_count", "per": x}, why)]
    if t := _PHRASE["threshold"].search(pre):
        return [Drafted({**base, "kind": "threshold", "below": Decimal(t["below"]), "amount": x,
                         **({"percent": True} if t["pct"] else {})})]
    return [Drafted({**base, "kind": "flat", "amount": x})]


# --- documents -------------------------------------------------------------------------------------------------

@dataclass
class Cell:
    """One table cell. ``key`` is the same object for every grid position a merged cell spans (docx, xlsx)."""

    text: str
    key: object = None


@dataclass
class Table:
    """A scoring table: its title (附件1 乡镇（街道）考核细则), its rows, and whether its rows had to be found from the
    cells' content (``stream``: a text export that lost the row boundaries)."""

    title: str
    rows: list[list[Cell]]
    stream: bool = False
    #: The header's words, where a total may be said (扣分制,总分100分,扣完为止).
    header: str = ""
    #: How many cells after the 序号 name the indicator (one cell per paragraph: the header says).
    levels: int | None = None


@dataclass
class Document:
    name: str
    head: list[str]  # the first lines: title, issuer, 文号
    prose: list[str]  # the lines outside tables, in order
    tables: list[Table]


def _oneline(text: str) -> str:
    """A cell or heading on one line: extraction line breaks removed."""
    return "".join(part.strip() for part in text.splitlines()).strip()


_ANNEX = re.compile(r"\s*附件\s*\d*\s*[:：]?\s*")
_ANNEX_NO = re.compile(r"^附件\s*\d*\s*")


def _title_lines(lines: list[str]) -> tuple[str, int]:
    """A title from the start of ``lines`` (after its 附件 line): lines are taken until one ends the title."""
    parts: list[str] = []
    for k, line in enumerate(lines):
        if line.strip():
            parts.append(line.strip())
            if _TITLE_END.search(mirror("".join(parts))) or len(parts) == 3:
                return "".join(parts), k + 1
    return "".join(parts), len(lines)


def _title(lines: list[str]) -> tuple[str, int]:
    """The title at the end of ``lines`` (附件1 and its title lines, or a last line that reads as a title) and how
    many lines it takes from the end; ("", 0) if none."""
    for back in range(1, min(8, len(lines)) + 1):
        i = len(lines) - back
        if _ANNEX.fullmatch(lines[i]):
            title, _ = _title_lines(lines[i + 1:])
            return f"{lines[i].strip()} {title}".strip(), back
    filled = [i for i, x in enumerate(lines) if x.strip()]
    if filled and len(lines[filled[-1]].strip()) <= 40 and _TITLE_END.search(mirror(lines[filled[-1]])):
        return lines[filled[-1]].strip(), len(lines) - filled[-1]
    return "", 0


_MARKDOWN_ROW = re.compile(r"\s*\|.*\|\s*")
_MARKDOWN_RULE = re.compile(r"\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*")


def _read_text(text: str, name: str) -> Document:
    lines = text.splitlines()
    head = [x for x in lines[:40] if x.strip()][:15]
    if sum(line.strip("\t").count("\t") >= 2 for line in lines) >= 3:
        return Document(name, head, *_delimited_tables(text))
    if sum(bool(_MARKDOWN_ROW.fullmatch(line)) for line in lines) >= 3:
        return Document(name, head, *_markdown_tables(lines))
    if any(line.startswith("\t") for line in lines):
        return Document(name, head, *_tab_tables(lines))
    if sum(line.strip() == "|" for line in lines) >= 3:
        return Document(name, head, *_pipe_tables(lines))
    at = _paragraph_table_start(lines)
    if at is not None:
        return Document(name, head, *_paragraph_table(lines, at))
    return Document(name, head, lines, [])


def _delimited_tables(text: str) -> tuple[list[str], list[Table]]:
    """A table saved as text with its cells separated by tabs, one row a line (a cell's own line breaks quoted, as
    Excel and WPS write them); a merged cell is empty below its first row."""
    import csv

    prose: list[str] = []
    tables: list[Table] = []
    rows: list[list[Cell]] = []
    for cells in csv.reader(io.StringIO(text, newline=""), delimiter="\t"):
        if sum(bool(c.strip()) for c in cells) >= 2 or (rows and len(cells) >= 3):
            if not rows:
                title, back = _title(prose)
                del prose[len(prose) - back:]
                tables.append(Table(title, rows))
            rows.append([Cell(c) for c in cells])
        else:
            if rows:
                rows = []
                tables[-1].rows = [r for r in tables[-1].rows if any(c.text.strip() for c in r)]
            prose += "\t".join(cells).splitlines() or [""]
    for t in tables:
        t.rows = [r for r in t.rows if any(c.text.strip() for c in r)]
    return prose, tables


def _markdown_tables(lines: list[str]) -> tuple[list[str], list[Table]]:
    """A table written in Markdown (| 序号 | 指标 | … |), its rule line (|---|) skipped, <br> a line break."""
    prose: list[str] = []
    tables: list[Table] = []
    rows: list[list[Cell]] = []
    for line in lines:
        if _MARKDOWN_ROW.fullmatch(line):
            if not rows:
                title, back = _title(prose)
                del prose[len(prose) - back:]
                tables.append(Table(title, rows))
            if not _MARKDOWN_RULE.fullmatch(line):
                rows.append([Cell(re.sub(r"<br\s*/?>", "\n", c)) for c in line.strip().strip("|").split("|")])
        else:
            rows = []
            prose.append(line)
    return prose, tables


def _tab_tables(lines: list[str]) -> tuple[list[str], list[Table]]:
    """Cells start with a tab, a cell's further lines do not; rows end at a blank line (seed 000)."""
    prose: list[str] = []
    tables: list[Table] = []
    i = 0
    while i < len(lines):
        if not lines[i].startswith("\t"):
            prose.append(lines[i])
            i += 1
            continue
        title, back = _title(prose)
        del prose[len(prose) - back:]
        rows: list[list[Cell]] = []
        row: list[Cell] = []
        while i < len(lines):
            line = lines[i]
            if line.startswith("\t"):
                row.append(Cell(line[1:]))
            elif line.strip() == "":
                k = i + 1
                while k < len(lines) and lines[k].strip() and not lines[k].startswith("\t"):
                    k += 1
                if (row and k > i + 1 and k < len(lines) and lines[k].startswith("\t") and lines[i - 1].strip()
                        and not any(_ANNEX.fullmatch(x) for x in lines[i + 1:k])):
                    row[-1].text += "\n" + "\n".join(lines[i:k])  # a blank line inside a cell
                    i = k
                    continue
                if row:
                    rows.append(row)
                    row = []
                if k > i + 1:
                    break  # a line of prose after a blank line: the table is over
            elif row:
                row[-1].text += "\n" + line
            else:
                break
            i += 1
        if row:
            rows.append(row)
        tables.append(Table(title, rows))
    return prose, tables


def _pipe_tables(lines: list[str]) -> tuple[list[str], list[Table]]:
    """Cells between lines holding only ``|``; a 附件 line starts the next table (seed 002). Rows are chunks of the
    header's width where there is a header, else found from the content (:func:`_stream_rows`)."""
    bars = [i for i, x in enumerate(lines) if x.strip() == "|"]
    first, last = bars[0], bars[-1]
    start = first  # the first cell runs back to a blank line or to the 附件 line, kept to give the title
    while start > 0 and lines[start - 1].strip() and not _ANNEX.fullmatch(lines[start]):
        start -= 1
    prose = lines[:start]
    cells: list[list[str]] = [[]]
    for line in lines[start:last]:
        if line.strip() == "|":
            cells.append([])
        else:
            cells[-1].append(line)
    title, back = _title(prose)
    del prose[len(prose) - back:]
    tables: list[Table] = []
    chunk: list[list[str]] = []
    for cell in cells:
        at = next((k for k, x in enumerate(cell) if _ANNEX.fullmatch(x)), None)
        if at is None:
            chunk.append(cell)
            continue
        chunk.append(cell[:at])
        tables.append(_pipe_table(title, chunk))
        name, used = _title_lines(cell[at + 1:])
        title = f"{cell[at].strip()} {name}".strip()
        chunk = [cell[at + 1 + used:]]
    tables.append(_pipe_table(title, chunk))
    return prose + lines[last + 1:], [t for t in tables if t.rows]


def _pipe_table(title: str, cells: list[list[str]]) -> Table:
    texts = ["\n".join(c).strip("\n") for c in cells]
    while texts and not texts[-1].strip():
        texts.pop()
    if not texts:
        return Table(title, [])
    width = 0
    for k, t in enumerate(texts[:12]):
        if not _is_header(t):
            width = k
            break
    if width >= 2:
        rows = [[Cell(t) for t in texts[i:i + width]] for i in range(0, len(texts), width)]
        return Table(title, rows)
    return Table(title, _stream_rows(texts), stream=True)


def _is_header(text: str) -> bool:
    t = mirror(_oneline(text))
    return bool(t) and len(t) <= 16 and bool(_HEADER_WORDS.search(t)) and not _events(t)


def _is_heading(text: str) -> bool:
    """A short cell that names an indicator (政府网站, 加强政策解读和回应关切(25%)) rather than states content."""
    t = mirror(_oneline(text))
    return bool(t) and len(t) <= 40 and "。" not in t and not _events(t) and not _POINTS.match(t)


def _stream_rows(texts: list[str]) -> list[list[Cell]]:
    """Rows from a run of cells without row boundaries: a row is its headings and the content cell that ends it."""
    rows: list[list[Cell]] = []
    row: list[Cell] = []
    for t in texts:
        row.append(Cell(t))
        if not _is_heading(t):
            rows.append(row)
            row = []
    if row:
        rows.append(row)
    return rows


def _paragraph_table_start(lines: list[str]) -> int | None:
    """The line 序号 of a table exported one cell per paragraph (seed 001), if the text has one."""
    for i, x in enumerate(lines):
        if x.strip() == "序号":
            after = [y.strip() for y in lines[i + 1:i + 30] if y.strip()][:6]
            if sum(bool(_HEADER_WORDS.search(mirror(y))) and len(y) <= 16 for y in after) >= 2:
                return i
    return None


def _paragraph_table(lines: list[str], at: int) -> tuple[list[str], list[Table]]:
    """Rows start at the paragraphs 1, 2, 3… in turn; the header's columns before the content say how many
    paragraphs after the number name the indicator."""
    prose = lines[:at]
    title, back = _title(prose)
    del prose[len(prose) - back:]
    paras = [(i, x) for i, x in enumerate(lines[at:], start=at) if x.strip()]
    header: list[str] = []
    k = 1
    while k < len(paras) and paras[k][1].strip() != "1":
        header.append(paras[k][1].strip())
        k += 1
    levels = max(1, sum(bool(re.search(r"指标|要点|项目|类别", mirror(h))) and not re.search(r"内容|方式|标准", mirror(h))
                        for h in header))
    rows: list[list[Cell]] = []
    expected, end = 1, len(lines)
    while k < len(paras):
        i, x = paras[k]
        text = x.strip()
        if re.match(r"备注|注[:：]", mirror(text)):
            end = i
            break
        if text == str(expected):
            rows.append([Cell(text)])
            expected += 1
        elif rows:
            rows[-1].append(Cell(text))
        k += 1
    shaped = []
    for row in rows:  # number, the naming cells, then one cell per further paragraph (content, method, clauses)
        shaped.append([row[0], *row[1:1 + levels], *row[1 + levels:]])
    return prose + lines[end:], [Table(title, shaped, header=_oneline("".join(header)), levels=levels)]


def _read_docx(data: bytes, name: str) -> Document:
    import docx
    from docx.table import Table as DocxTable

    d = docx.Document(io.BytesIO(data))
    prose: list[str] = []
    tables: list[Table] = []
    head: list[str] = []
    for block in d.iter_inner_content():
        if isinstance(block, DocxTable):
            title, back = _title(prose)
            del prose[len(prose) - back:]
            rows = []
            for r in block.rows:
                rows.append([Cell(c.text, c._tc) for c in r.cells])
            tables.append(Table(title, rows))
        else:
            for line in block.text.splitlines() or [""]:
                prose.append(line)
                if line.strip() and len(head) < 15:
                    head.append(line)
    return Document(name, head, prose, tables)


def _read_xlsx(data: bytes, name: str) -> Document:
    from openpyxl import load_workbook

    # Each visible sheet is a table; a merged cell's value is repeated over the cells it spans.
    wb = load_workbook(io.BytesIO(data), data_only=True)
    tables: list[Table] = []
    head: list[str] = []
    for ws in wb.worksheets:
        if ws.sheet_state != "visible":
            continue
        spans = {}
        for rng in ws.merged_cells.ranges:
            top = ws.cell(rng.min_row, rng.min_col).value
            for r in range(rng.min_row, rng.max_row + 1):
                for c in range(rng.min_col, rng.max_col + 1):
                    spans[(r, c)] = (rng, top)  # the range itself: one object for every cell it spans
        grid = []
        for row in ws.iter_rows():
            cells = []
            for c in row:
                key, value = spans.get((c.row, c.column), (object(), c.value))
                cells.append(Cell(cell_text(value), key))
            while cells and not cells[-1].text:
                cells.pop()
            grid.append(cells)
        lead = []  # lines above the table (a title row spanning the sheet) are its title
        while grid and len({id(c.key) for c in grid[0] if c.text}) <= 1:  # one cell, or one merged across
            lead.append(_row_text(grid.pop(0)))
        head += [x for x in lead if x]
        title = " ".join(x for x in lead if x) or ws.title
        rows = [r for r in grid if any(c.text for c in r)]
        if rows:
            tables.append(Table(title, rows))
    return Document(name, head, [], tables)


def _row_text(row: list[Cell]) -> str:
    return next((c.text for c in row if c.text), "")


def read(path: str | Path) -> Document:
    """The document's tables and prose. Raises :class:`InputError` naming the file when it cannot be read."""
    name = str(path)
    suffix = Path(path).suffix.lower()
    if suffix not in (".docx", ".xlsx", ".xlsm", ".txt", ".md", ""):
        raise InputError([Problem(name, None, None, suffix, "unsupported_format",
                                  "起草细则只支持 .docx、.xlsx 和纯文本（.txt）文件：.doc、.wps、.pdf 请先另存为 .docx")])
    data, problem = read_input(path, name, "考核", MAX_XLSX_BYTES)
    if problem:
        raise InputError([problem])
    if suffix in (".docx", ".xlsx", ".xlsm"):
        word = suffix == ".docx"
        with io.BytesIO(data) as fh:
            _, problem = _inspect_xlsx(fh, name)  # sizes and ratios of every part before it is parsed
        if problem:
            raise InputError([Problem(problem.file, problem.row, problem.column, problem.value, problem.code,
                                      problem.message.replace("Excel", "Word") if word else problem.message)])
        try:
            return _read_docx(data, name) if word else _read_xlsx(data, name)
        except Exception as exc:  # python-docx and openpyxl raise many kinds on a damaged file
            what = "Word" if word else "Excel"
            raise InputError([Problem(name, None, None, None, "unreadable",
                                      f"无法读取 {what} 文件（{type(exc).__name__}: {exc}）：请在 {what} 或 WPS 中打开后另存")]) from None
    text, problem = decode(data, name)
    if problem:
        raise InputError([problem])
    return _read_text(text, name)


# --- the indicator tree ----------------------------------------------------------------------------------------

@dataclass(eq=False)  # nodes are compared by identity: a node's parent holds it among its children
class _Node:
    name: str | None
    text: str | None = None  # the heading as written, where it states a weight
    weight: Decimal | None = None
    points: Decimal | None = None
    number: str | None = None
    parent: _Node | None = None
    children: list[_Node] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)  # the clause lines, each verbatim
    content: bool = False  # a description without a scoring clause
    why: list[str] = field(default_factory=list)
    points_key: object = None
    #: (first clause line, points, cell, the row's label) of each row that brought points of its own.
    segments: list[tuple[int, Decimal, object, str | None]] = field(default_factory=list)
    id: str = ""
    prose: bool = False  # clauses from running text: sentences without an amount are not clauses
    combine: str | None = None

    def chain(self) -> list[_Node]:
        out, n = [], self
        while n is not None:
            out.append(n)
            n = n.parent
        return out


@dataclass
class _Row:
    """A table row as read: the tree cells by level as (text, same as above, a new number), the clause cells, the
    points and whether it holds a description without a clause."""

    tree: list[tuple[str, bool, bool]]
    clauses: list[str]
    points: Decimal | None = None
    points_key: object = None
    content: bool = False
    number: str | None = None
    #: The first tree cell is the one above it (a 序号 that changes there numbers rows, not first-level items).
    first_same: bool = False
    #: A short description beside the clauses (考核内容: 栏目维护), the name of the row where it is an item.
    label: str | None = None


def _header_row(row: list[Cell]) -> bool:
    texts = [c.text for c in row if c.text.strip()]
    return (sum(_is_header(t) for t in texts) >= 2 and not any(_events(mirror(t)) for t in texts)
            and not any(_POINTS.match(mirror(t)) for t in texts))


def _role(h: str) -> str | None:
    h = re.sub(r"\s", "", mirror(h))
    if re.search(r"序号|编号", h):
        return "number"
    if re.search(r"^(考核|实际|自评)?得分$|^扣分$|备注|说明|佐证|扣分情况|考核方式|考核方法|评价方式|评价方法|责任单位|牵头单位", h):
        return "skip"
    if re.fullmatch(r"(分值|分数|权重|满分|标准分|基本分|基础分|分)(\(.*\))?", h):
        return "points"
    if re.search(r"计分|评分|扣分|标准|细则|评估内容|考评内容", h):
        return "clause"
    if re.search(r"指标|要点|项目|类别|维度|板块", h):
        return "tree"
    return None  # 考核内容, 工作要求…: a description, or clauses where it states amounts


def _same(row: list[Cell], above: list[Cell] | None, j: int) -> bool:
    """The cell is the one above it (a vertical merge) or empty (a merge as text exports show it)."""
    c = row[j]
    if not c.text.strip():
        return True
    return c.key is not None and above is not None and j < len(above) and above[j].key is c.key


def _left(row: list[Cell], j: int) -> bool:
    """The cell is the one to its left (a horizontal merge)."""
    return j > 0 and row[j].key is not None and row[j - 1].key is row[j].key


def _has_events(text: str) -> bool:
    return bool(_events(mirror(text)))


def _points_of(text: str) -> Decimal | None:
    x = _POINTS.match(mirror(_oneline(text)))
    return Decimal(x.group(1)) if x else None


def _rows(table: Table) -> list[_Row]:
    rows = list(table.rows)
    header: list[list[Cell]] = []
    while rows and _header_row(rows[0]):
        header.append(rows.pop(0))
    width = {len(r) for r in rows}
    roles = None
    if header and max(width, default=0) == len(header[-1]):
        rows = [r + [Cell("")] * (len(header[-1]) - len(r)) for r in rows]
        names = ["".join(dict.fromkeys(h[j].text for h in header if j < len(h))) for j in range(len(header[-1]))]
        roles = [_role(n) for n in names]
        for j, role in enumerate(roles):  # a column of long texts is a description, not a level of the tree
            long = [c.text for r in rows if j < len(r) and (c := r[j]).text.strip()
                    and (len(_oneline(c.text)) > 40 or "。" in c.text) and not _has_events(c.text)]
            if role == "tree" and len(long) * 2 > len(rows):
                roles[j] = "skip"
        if "clause" not in roles and None not in roles:
            roles = None
    if table.stream:
        return [_stream_row(r) for r in rows]
    levels = table.levels
    numbered = sum(bool(re.fullmatch(r"\d{1,3}", r[0].text.strip())) for r in rows if r) >= 2 and all(
        re.fullmatch(r"\d{1,3}", r[0].text.strip()) or not r[0].text.strip() or _same(r, None, 0) for r in rows if r)
    out: list[_Row] = []
    above = None
    for row in rows:
        out.append(_row_by_roles(row, above, roles) if roles else _row_by_content(row, above, numbered, levels))
        above = row
    if roles and any(r.number is not None and r.first_same for r in out):  # 序号 numbers rows inside an item
        for r in out:
            if r.number is not None and r.tree:
                r.tree[0] = (r.tree[0][0], r.first_same, False)
            r.number = None
    return out


def _spans_content(row: list[Cell], roles: list[str | None], j: int) -> bool:
    """The cell is merged to its right across a points or content column (一票否决 | the clauses, across 二级指标,
    分值 and 考核内容): it holds the row's clauses, not a level of the tree."""
    k = j + 1
    while k < len(row) and row[j].key is not None and row[k].key is row[j].key:
        if roles[k] in ("clause", "points", None):
            return True
        k += 1
    return False


def _heading_words(text: str) -> bool:
    """A short cell without a sentence in it (一票否决, 否决事项): a heading even where it holds a scoring word."""
    one = mirror(_oneline(text))
    return len(one) <= 12 and not re.search(r"[,;。:的]", one)


def _row_by_roles(row: list[Cell], above: list[Cell] | None, roles: list[str | None]) -> _Row:
    tree: list[tuple[str, bool, bool]] = []
    clauses_: list[str] = []
    points, key, content, number, ended, label = None, None, False, None, False, None
    across = [role == "tree" and _spans_content(row, roles, j) for j, role in enumerate(roles[:len(row)])]
    headed = any(a and _has_events(row[j].text) for j, a in enumerate(across))  # its clauses are in that cell
    for j, (cell, role) in enumerate(zip(row, roles)):
        if _left(row, j):
            if role == "tree":
                ended = True  # a level merged into the one before it: no node at this level
            continue
        if role == "number":
            number = None if _same(row, above, j) else cell.text.strip()
        elif across[j]:
            if _has_events(cell.text):
                clauses_.append(cell.text)
            elif cell.text.strip():
                content = True
            ended = True
        elif role == "tree" and not ended:
            if _has_events(cell.text) and not (headed and _heading_words(cell.text)):
                clauses_.append(cell.text)
                ended = True
            else:
                tree.append((cell.text, _same(row, above, j), False))
        elif role in ("clause", None) and cell.text.strip():
            if role == "clause" or _has_events(cell.text):
                clauses_.append(cell.text)
            else:
                content = True
                label = label or (_oneline(cell.text) if len(_oneline(cell.text)) <= 20 else None)
        elif role == "points" and points is None and (p := _points_of(cell.text)) is not None:
            points, key = p, cell.key
        elif role == "skip" and cell.text.strip():
            content = True
    first_same = bool(tree) and tree[0][1]
    if number is not None:
        tree = [(tree[0][0] if tree else "", False, True), *tree[1:]]
    elif tree and "number" in roles:
        tree[0] = (tree[0][0], True, False)  # the number did not change: nor did the first level
    return _Row(tree, clauses_, points, key, content, number, first_same, label)


def _row_by_content(row: list[Cell], above: list[Cell] | None, numbered: bool, levels: int | None) -> _Row:
    while len(row) > 1 and not row[-1].text.strip():
        row = row[:-1]
    texts = [c.text for c in row]
    start = 1 if numbered and row else 0
    number = row[0].text.strip() if start and row[0].text.strip() else None
    points, key = None, None
    end = len(texts)
    tree: list[tuple[str, bool, bool]] = []
    clauses_: list[str] = []
    content = False
    for j in range(start, end):
        t = texts[j]
        if _left(row, j):
            continue
        if j > start and points is None and (p := _points_of(t)) is not None:
            points, key = p, row[j].key
            continue
        naming = levels is None or j - start < levels
        if not clauses_ and naming and not _has_events(t) and (not t.strip() or _is_heading(t)):
            tree.append((t, _same(row, above, j), False))
        elif _has_events(t):
            clauses_.append(t)
        elif t.strip():
            content = True
    if number is not None:
        tree = [(tree[0][0] if tree else "", False, True), *tree[1:]]
    return _Row(tree, clauses_, points, key, content, number)


def _stream_row(row: list[Cell]) -> _Row:
    *heads, last = row
    tree = [(h.text, False, False) for h in heads]
    if _is_heading(last.text):
        return _Row([*tree, (last.text, False, False)], [])
    if _has_events(last.text):
        return _Row(tree, [last.text])
    return _Row(tree, [], content=True)


def _weight(text: str) -> tuple[str, Decimal | None]:
    """A heading's name and the weight it states: 加强政策解读和回应关切(25%) → (加强政策解读和回应关切, 25)."""
    one = _oneline(text)
    x = _WEIGHT.search(mirror(one))
    if not x:
        return one, None
    return one[:x.start()].strip(), Decimal(x.group(1))


def _tree(rows: list[_Row], stream: bool) -> list[_Node]:
    """The table's nodes from its rows; the clause lines go to each row's deepest node."""
    top: list[_Node] = []
    cur: list[_Node] = []
    keyed: dict[int, tuple[_Node, list[_Node]]] = {}  # a points cell's id → the item holding it, the rows' items
    for row in rows:
        spec = list(row.tree)
        if stream and len(spec) < len(cur):  # headings name the deepest levels; the ones above continue
            spec = [("", True, False)] * (len(cur) - len(spec)) + spec
        path: list[_Node] = []
        changed = False
        for j, (text, same, new_number) in enumerate(spec):
            if same and not new_number:
                if not changed and j < len(cur):
                    path.append(cur[j])
                continue
            name, weight = _weight(text)
            points = None
            if weight is None and (x := _HEADING_POINTS.search(mirror(name))) and name[x.end():].strip() == "":
                name, points = name[:x.start()].strip(), Decimal(x.group(1))  # 政务公开（50分）: points in the name
            if not new_number and not changed and j < len(cur) and cur[j].name == (name or None):
                path.append(cur[j])
                continue
            written = weight is not None or points is not None or _has_events(text)  # the heading quoted as written
            node = _Node(name or None, _oneline(text) if written else None, weight, points,
                         number=row.number if new_number else None)
            parent = path[-1] if path else None
            if (parent is not None and weight is not None and parent.weight is not None and parent.children
                    and sum((c.weight or 0) for c in parent.children) + weight > parent.weight):
                parent = parent.parent  # more than the heading's weight: a heading of its own
                path = path[:-1]
                node.why.append("层级不明：按权重合计判断本项与上一级并列，请确认")
            node.parent = parent
            (parent.children if parent else top).append(node)
            path.append(node)
            changed = True
        if not path:
            if cur and not row.tree:
                path = cur  # a row holding only clauses continues the row above
            else:
                node = _Node(None, number=row.number)
                top.append(node)
                path = [node]
        leaf = path[-1]
        start = len(leaf.lines)
        for cell in row.clauses:
            leaf.lines += _clause_lines(cell)
        leaf.content = leaf.content or row.content
        if row.points is not None:
            _place_points(leaf, start, row.points, row.points_key, keyed, row.label)
        cur = path
    _shared_points(keyed)
    _segments(top)
    return top


def _place_points(leaf: _Node, start: int, value: Decimal, key: object, keyed: dict, label: str | None) -> None:
    """A row's points go to its item; a merged points cell over several items, to the item that holds them all."""
    if key is not None and id(key) in keyed:
        holder, leaves = keyed[id(key)]
        if any(leaf is x for x in leaves):
            return  # the same merged cell again, in a row of the same item
        leaves.append(leaf)
        mine = leaf.chain()
        common = next((n for n in holder.chain() if any(n is m for m in mine)), None)
        holder.segments = [x for x in holder.segments if x[2] is not key]
        if common is not None and common.points is None:
            common.points, common.points_key = value, key
        keyed[id(key)] = (common or leaf, leaves)
        return
    leaf.segments.append((start, value, key, label))
    if key is not None:
        keyed[id(key)] = (leaf, [leaf])


def _segments(nodes: list[_Node]) -> None:
    """An item's points from its row; where several rows of one item each bring points of their own (评分标准 and
    分值 row by row under a merged 指标), each row becomes an item of its own under it."""
    for n in nodes:
        _segments(n.children)
        if len(n.segments) == 1 and n.points is None:
            n.points, n.points_key = n.segments[0][1], n.segments[0][2]
        elif len(n.segments) > 1 and not n.children:
            bounds = [0, *(x[0] for x in n.segments[1:]), len(n.lines)]
            n.children = [_Node(label, points=value, lines=n.lines[bounds[i]:bounds[i + 1]], parent=n)
                          for i, (_, value, _, label) in enumerate(n.segments)]
            n.lines = []
        elif len(n.segments) > 1:
            n.points = sum((x[1] for x in n.segments), Decimal(0))
            n.why.append(f"本项各行分别写有分值，已合计为 {n.points} 分，请确认")


def _shared_points(keyed: dict) -> None:
    """A merged points cell over only some of an item's parts is a pool the document does not name: say so."""
    for holder, leaves in keyed.values():
        if len(leaves) > 1:
            covered = [c for c in holder.children if any(c is n for leaf in leaves for n in leaf.chain())]
            if len(covered) != len(holder.children):
                holder.why.append("分值单元格只跨本项的几个下级：作为本项的分值起草，请确认它们是否共用这些分值")


def _clause_lines(cell: str) -> list[str]:
    """A clause cell's lines, a line broken in the middle of a clause joined again (每少一项扣 / 0.1 分。)."""
    out: list[str] = []
    for line in cell.split("\n"):
        if not line.strip():
            continue
        if out and (re.search(r"[扣加得,，、(（《“]\s*$", out[-1]) or re.match(r"\s*\d+(?:\.\d+)?\s*分", line)):
            out[-1] += line  # joined as written, so the clause stays a span of the text without its line breaks
        else:
            out.append(line)
    return [x.strip() for x in out]


# --- prose: clauses outside the tables, attachments named but not included ------------------------------------

#: Heading levels by numbering: 一、 (11), (一) and 第一部分 (12), 1. (13), 1.1 (14), 1.1.1 (15); a markdown heading
#: by its #s (1–6); a short line that only states points, 信息更新（40分）, sits below them all (20).
_HEADING = [(11, re.compile(r"[一二三四五六七八九十]+、")), (12, re.compile(r"\([一二三四五六七八九十]+\)|第[一二三四五六七八九十\d]+部分")),
            (15, re.compile(r"\d{1,2}\.\d{1,2}\.\d{1,2}\s")), (14, re.compile(r"\d{1,2}\.\d{1,2}\s")),
            (13, re.compile(r"\d{1,2}[.、](?=\d{4}年|[^\d])"))]
_HEADING_POINTS = re.compile(rf"\(\s*{NUM}\s*分\s*\)")
_LEVEL_WORD = re.compile(r"[一二三四]级指标[一二三四五六七八九十]*\s*")


def _heading_level(line: str) -> int | None:
    """The level of a heading line (see :data:`_HEADING`); None for a line of text."""
    m = mirror(line.strip())
    if not m or len(m) > 40 or _events(m) or (m.endswith("。") and not _WEIGHT.search(m)):
        return None
    if x := re.match(r"(#{1,6})\s", m):
        return len(x.group(1))
    for level, rx in _HEADING:
        if rx.match(m):
            return level
    if _HEADING_POINTS.search(m) or _WEIGHT.search(m):
        return 20
    return None


def _heading_name(line: str) -> tuple[str, str | None, Decimal | None, Decimal | None]:
    """(name, text as written where it states a weight, weight, points) of a heading line."""
    raw = line.strip().lstrip("#").strip()
    written = raw.rstrip("。")
    m = mirror(raw)
    while x := (_NUMBERING.match(m) or re.match(r"第[一二三四五六七八九十\d]+部分\s*", m) or _LEVEL_WORD.match(m)):
        raw, m = raw[x.end():], m[x.end():]
    raw, m = raw.rstrip("。:："), m.rstrip("。:")
    weight = points = None
    if w := _WEIGHT.search(m):
        weight, raw = Decimal(w.group(1)), raw[:w.start()]
    elif p := _HEADING_POINTS.search(m):
        points, raw = Decimal(p.group(1)), raw[:p.start()]
    return raw.strip(), written if weight is not None else None, weight, points


def _prose_nodes(prose: list[str], outside: bool) -> list[_Node]:
    """Nodes for the clauses of the prose, under the heading each falls under. ``outside``: the document has scoring
    tables, so a clause in its prose is marked for a person to place."""
    top: list[_Node] = []
    stack: list[tuple[int, _Node]] = []
    heading = "正文"
    for line in prose:
        level = _heading_level(line)
        if level is not None:
            name, text, weight, points = _heading_name(line)
            node = _Node(name or line.strip(), text, weight, points, prose=True)
            while stack and stack[-1][0] >= level:
                stack.pop()
            if stack:
                node.parent = stack[-1][1]
                stack[-1][1].children.append(node)
            else:
                top.append(node)
            stack.append((level, node))
            heading = line.strip()
            continue
        vetoes = any("否决" in (n.name or "") for _, n in stack)
        found = [c for c in clauses(line) if c.event is not None or vetoes]
        if not found:
            continue
        if not stack:
            node = _Node(None, prose=True)
            top.append(node)
            stack.append((99, node))
        leaf = stack[-1][1]
        leaf.lines.append(line.strip())
        if outside:
            leaf.why.append(f"评分表之外的条款（「{heading}」下）：请确认是否计分、放在哪一项")

    def prune(nodes: list[_Node]) -> list[_Node]:
        kept = []
        for n in nodes:
            n.children = prune(n.children)
            if n.lines or n.children:
                kept.append(n)
        return kept

    kept = prune(top)
    if outside:  # each clause-holding heading becomes a part of its own, after the tables
        flat = []

        def leaves(nodes):
            for n in nodes:
                if n.lines:
                    n.children, n.parent = [], None
                    flat.append(n)
                leaves(n.children)

        leaves(kept)
        return flat
    return kept


def _attachments(doc: Document, full: str) -> list[str]:
    """Titles of the scoring tables the document lists as attachments but does not include (附件:1.…指标体系)."""
    lines = doc.prose
    items: list[str] = []
    for i, line in enumerate(lines):
        m = mirror(line)
        x = re.match(r"\s*附件\s*:", m)
        if not x:
            continue
        first = line[x.end():].strip()
        current = [first] if first else []
        found = []
        for nxt in lines[i + 1:]:
            n = mirror(nxt.strip())
            if re.match(r"\d{1,2}\s*[.、]", n):
                if current:
                    found.append("".join(current))
                current = [nxt.strip()]
            elif n and current and not _TITLE_END.search(mirror("".join(current))):
                current.append(nxt.strip())
            else:
                break
        if current:
            found.append("".join(current))
        for item in found:
            if num := _NUMBERING.match(mirror(item)):
                item = item[num.end():]
            item = item.strip()
            m_item = mirror(item)
            if (_SCORING_TITLE.search(m_item) and not re.search(r"对象|名单", m_item)
                    and mirror(full).count(m_item) < 2 and not any(m_item in mirror(t.title) for t in doc.tables)):
                items.append(item)
        break
    return items


# --- the draft -------------------------------------------------------------------------------------------------

def _facts(doc: Document, tables: list[Table], path: Path) -> tuple[dict, dict[str, str]]:
    """The rubric's own facts: id, title, source, period, applies_to; placeholders marked pending."""
    pending: dict[str, str] = {}
    head = doc.head
    joined = "".join(x.strip() for x in head)
    mj = mirror(joined)
    title = None
    if x := re.search(r"关于印发《?(.+?)》?的(?:通知|函|决定)", mj):
        title = joined[x.start(1):x.end(1)]
    if not title:
        title = next((h.strip() for h in head if re.search(r"考核|考评|评估|细则|办法|方案", mirror(h))
                      and len(h.strip()) <= 60), None) or path.stem
        pending["title"] = "标题取自文件开头，请确认"
    issuer = None
    for h in head[:10]:
        m = mirror(h.strip())
        if (x := re.search(r"关于", m)) and x.start() > 3:
            issuer = h.strip()[:x.start()]
            break
        if len(m) <= 30 and re.search(r"(办公室|人民政府|委员会|局|领导小组|中心|厅)$", m):
            issuer = h.strip()
            break
    if not issuer:
        issuer = "待定"
        pending["source.issuer"] = "未找到发文机关，请填写"
    doc_no = next((h.strip() for h in head if re.fullmatch(r"\s*\S{1,16}[〔\[(【]\d{4}[〕\])】]\s*\d+\s*号\s*", mirror(h))),
                  None)
    if not doc_no:
        doc_no = "原文未载文号"
        pending["source.doc_no"] = "未找到文号：如有请填写"
    year = None
    if x := re.search(r"(\d{4})\s*年", mirror(title)):
        year = int(x.group(1))
    period = None
    prose = doc.prose
    for i, line in enumerate(prose):
        if re.search(r"考核时间|考评时间|考核期|考核周期|评价时间|考核年度", mirror(line)):
            for near in prose[i:i + 3]:
                if x := re.search(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日\s*(?:至|到|-|—|~)\s*(?:(\d{4})\s*年\s*)?"
                                  r"(\d{1,2})\s*月\s*(\d{1,2})\s*日", mirror(near)):
                    y2 = int(x.group(4) or x.group(1))
                    period = {"start": date(int(x.group(1)), int(x.group(2)), int(x.group(3))),
                              "end": date(y2, int(x.group(5)), int(x.group(6)))}
                    break
            if period:
                break
    if period is None:
        y = year or date.today().year
        period = {"start": date(y, 1, 1), "end": date(y, 12, 31)}
        pending["period"] = (f"考核期按标题中的 {y} 年全年拟定，请确认" if year else
                             f"未找到考核期，暂填 {y} 年全年，请填写")
    who = []
    for t in tables:
        name = _ANNEX_NO.sub("", t.title)
        if x := re.match(r"(.{2,12}?)(?:考核|考评|评估|绩效)", name):
            who.append(x.group(1))
    applies = list(dict.fromkeys(who)) or ["待定"]
    pending["applies_to"] = ("适用对象取自评分表标题，须与单位名单「类别」列的写法一致，请确认" if who else
                             "未找到适用对象：请填写单位名单「类别」列中的名称（如 乡镇、县直部门）")
    stem = re.sub(r"[^a-z0-9-]+", "-", path.stem.lower()).strip("-")
    rid = stem if re.fullmatch(r"[a-z0-9][a-z0-9-]*", stem or "") and re.search(r"[a-z]", stem) else "draft"
    pending["id"] = "细则编号须由小写字母、数字和连字符组成，请按 地区-年度-对象 改写（如 hengnan-2020-township）"
    parts = "；".join(t.title for t in tables if t.title)
    source = {"title": title, "issuer": issuer, "doc_no": doc_no, "file": path.name, **({"part": parts} if parts else {})}
    data = {"id": rid, "version": 1, "title": title, "source": source, "period": period, "applies_to": applies}
    return data, pending


def _total(texts: list[str]) -> tuple[Decimal | None, str | None]:
    """The total a table's header or the prose states (总分100分, 满分100分) and the words that state it."""
    for t in texts:
        one = _oneline(t)
        m = mirror(one)
        x = re.search(rf"\([^()]*?(?:总分|满分)\s*{NUM}\s*分[^()]*\)", m) or re.search(rf"(?:总分|满分)\s*{NUM}\s*分", m)
        if x:
            return Decimal(x.group(1)), one[x.start():x.end()]
    return None, None


def _ids(nodes: list[_Node], prefix: str, numbered: bool) -> None:
    numbers = [n.number for n in nodes]
    use = numbered and all(numbers) and len(set(numbers)) == len(numbers)
    for i, n in enumerate(nodes, start=1):
        n.id = f"{prefix}{n.number if use else i}"
        _ids(n.children, f"{n.id}.", False)


def _effective(n: _Node) -> Decimal | None:
    if n.points is not None:
        return n.points
    kids = [_effective(c) for c in n.children]
    return sum(kids, Decimal(0)) if kids and all(k is not None for k in kids) else None


def _veto_item(c: Clause, n: _Node, stop: dict) -> Drafted:
    """A condition listed under a 否决 heading (网站…出现严重表述错误的): a veto of its own."""
    single = any("单项否决" in mirror(x.name or "") for x in n.chain())
    fields = {"text": c.text, "kind": "veto", **({"effect": "stop", **stop} if single else {})}
    said = "、".join(f"{k} {v}" for k, v in stop.items())
    return Drafted(fields, [f"列在「{n.name}」下的情形，按否决起草" + (f"（否决后{said}，取自原文）" if said else "") + "，请确认"])


def _stop(prose: list[str]) -> dict:
    """What a 单项否决 does, where the text says it: 一律按59分计，评定为不合格 → score 59, grade 不合格."""
    for line in prose:
        m = mirror(line)
        if "单项否决" in m:
            out = {}
            if x := re.search(rf"按\s*{NUM}\s*分计", m):
                out["score"] = Decimal(x.group(1))
            if x := re.search(r"(?:评定|判定|确定)为\s*(不合格|不称职|较差)", m):
                out["grade"] = x.group(1)
            if out:
                return out
    return {}


def _emit(n: _Node, pending: dict[str, str], stop: dict) -> dict:
    """A node as raw rubric data, its rules drafted from its clause lines."""
    out: dict = {"id": n.id, "name": n.name or ""}
    if n.text:
        out["text"] = n.text
    if n.points is not None:
        out["points"] = n.points
    if n.weight is not None:
        out["weight"] = n.weight
    if n.combine:
        out["combine"] = n.combine
    if n.lines and n.children:  # the model keeps rules on leaves: the clauses become the first child
        n.children.insert(0, _Node("（本项条款）", lines=n.lines, parent=n, id=f"{n.id}.0"))
        n.lines = []
        pending[f"{n.id}.0"] = "本项既有下级又有条款：条款暂放在此下级中，请确认"
    rules: list[dict] = []
    levels = None
    for k, line in enumerate(n.lines, start=1):
        drafted = []
        for c in clauses(line):
            vetoes = c.event is None and any("否决" in (x.name or "") for x in n.chain())
            if n.prose and c.event is None and not vetoes:
                continue
            found = [_veto_item(c, n, stop)] if vetoes else rules_of(c, levels, mirror(line)[:c.start])
            for d in found:
                drafted.append(d)
                if d.fields["kind"] in ("per_level", "veto") and (lv := d.fields.get("levels") or list(
                        d.fields.get("amounts", {}))) and not lv[0].startswith("级别"):
                    levels = lv
        for j, d in enumerate(drafted):
            rid = f"{n.id}.{k}" + (chr(ord("a") + j) if len(drafted) > 1 else "")
            rule = {"id": rid, "kind": d.fields["kind"], "text": d.fields["text"], **d.fields}
            if d.node_cap and rule.get("cap") == _effective(n):
                del rule["cap"]  # 扣完10分为止 where the item has 10 points: the item's own cap
            if d.whole:
                whole = next((p for x in n.chain() if (p := _effective(x)) is not None), None)
                if whole is not None:
                    rule["amount"] = whole
                d.why.append(f"“不得分”：按扣除本项全部分值（{whole} 分）起草，请确认" if whole is not None
                             else "“不得分”：未找到本项分值，请填写扣分（amount）")
            rules.append(rule)
            if d.why:
                pending[rid] = "；".join(d.why)
    if not n.lines and not n.children:
        if n.content or n.weight is not None:
            rid = f"{n.id}.1"
            rules.append({"id": rid, "kind": "given", "text": n.text or n.name or ""})
            if n.points is None:
                out["points"] = Decimal(100)
            pending[rid] = "本项只写了工作内容（或权重），没有计分方法：按“得分由台账给出”（百分制）起草，请确认计分方式"
        else:
            n.why.append("本项未找到计分条款")
    if rules and all(r["kind"] == "earned" for r in rules):
        out["start"] = "zero"
    if not n.name:
        first = rules[0] if rules else None
        from .rules import kinds

        out["name"] = (kinds()[first["kind"]].model.label if first and first["kind"] in ("veto", "disqualify")
                       else (first["text"][:16] + ("…" if len(first["text"]) > 16 else "")) if first else n.id)
        n.why.append("原文没有本项名称，暂以条款拟定，请改写")
    if n.children:
        out["children"] = [_emit(c, pending, stop) for c in n.children]
    if rules:
        out["rules"] = rules
    if n.why:
        pending[n.id] = "；".join(dict.fromkeys(n.why))
    return out


def draft(path: str | Path, part: str | None = None) -> tuple[dict, dict[str, str]]:
    """Draft a rubric from a .docx, .xlsx or plain text document.

    Args:
        path: the document.
        part: draft only the scoring table whose title contains this (附件1); default every table, each a part.

    Returns:
        Raw rubric data (the shape of the YAML; it need not validate) and ``pending``: rule or node id, or a
        rubric field (``period``, ``applies_to``…) → why a person must confirm it (待确认), in Chinese.

    Raises:
        InputError: the file cannot be read, or ``part`` names no table.
    """
    path = Path(path)
    doc = read(path)
    tables = doc.tables
    if part:
        tables = [t for t in tables if mirror(part) in mirror(t.title)]
        if not tables:
            have = "、".join(t.title or "（无标题）" for t in doc.tables) or "（文件中没有评分表）"
            raise InputError([Problem(str(path), None, None, part, "unknown_part",
                                      f"没有标题含「{part}」的评分表；文件中的评分表：{have}")])
    full = "\n".join(doc.prose + [t.title for t in doc.tables] + [c.text for t in doc.tables for r in t.rows for c in r])
    data, pending = _facts(doc, tables, path)
    if len(tables) == 1 and len(doc.tables) > 1 and tables[0].title:
        data["title"] = f"{data['title']} {_ANNEX_NO.sub('', tables[0].title)}"
    many = len(tables) > 1
    top: list[_Node] = []
    stated: list[Decimal | None] = []  # each table's total as its header states it
    for k, t in enumerate(tables):
        nodes = _tree(_rows(t), t.stream)
        total, said = _total([t.header, t.title, *(c.text for r in t.rows[:2] for c in r)])
        if many:
            holder = _Node(t.title or f"评分表{k + 1}", children=nodes, id=chr(ord("A") + k), points=total)
            for n in nodes:
                n.parent = holder
            _ids(nodes, holder.id, True)
            top.append(holder)
        else:
            _ids(nodes, "", True)
            top += nodes
        if nodes and all(n.weight is not None for n in nodes):  # 加强政策解读和回应关切(25%)…: parts by weight
            total = Decimal(100)
            if many:
                holder.combine, holder.points = "weighted", total
                holder.why.append("本表各项写的是权重：按权重合成（百分制）起草，请确认")
            else:
                data["aggregate"] = "weighted"
                pending["aggregate"] = "评分表各项写的是权重：按权重合成（百分制）起草，请确认"
        if said and not any(_effective(n) is not None for n in nodes):
            data["pooled"], data["points_text"] = True, said  # 扣分制,总分100分,扣完为止: one pool of points
            pending["pooled"] = "各项没有分值、共用总分（扣分制，扣完为止），请确认"
        stated.append(total)
    extra = [_Node(title, content=True, why=["附件未载于本文件：本项得分暂由台账给出（给定得分），补入该表后可按其条款起草"])
             for title in _attachments(doc, full)]
    extra += _prose_nodes(doc.prose, outside=bool(tables))
    for i, n in enumerate(extra):
        n.id = chr(ord("A") + len(tables) + i) if many else str(len(top) + i + 1)
        _ids(n.children, f"{n.id}.", False)
    top += extra
    weights = [n for n in top if n.weight is not None]
    if weights and "aggregate" not in data:
        pending["aggregate"] = ("各部分写有权重（" + "、".join(f"{n.name} {n.weight}%" for n in weights) +
                                "）：请确认总分如何合成（aggregate: weighted），以及各评分表属于哪一部分")
    stop = _stop(doc.prose)
    indicators = [_emit(n, pending, stop) for n in top]
    if many:
        for holder in indicators[:len(tables)]:
            if holder.get("points") is None and (x := _sum_points(holder.get("children", []))) is not None:
                holder["points"] = x
        total = _sum_points(indicators[:len(tables)])
    else:
        total = stated[0] if tables and stated[0] is not None else _sum_points(indicators[:len(top) - len(extra)])
    if total is None:
        total, _ = _total(doc.prose)
    data["points"] = total if total is not None else Decimal(100)
    if total is None:
        pending["points"] = "未找到总分，暂填 100 分，请确认"
    if many:
        pending["points"] = (f"文件有 {len(tables)} 张评分表（{'、'.join(t.title or '无标题' for t in tables)}），各作为一部分起草，"
                             "总分为各表之和；它们通常各是一个细则（适用对象不同）：可用 --part 逐张起草")
    if not many and tables:
        _bonus_part(indicators[:len(top) - len(extra)], stated[0], doc.prose, data, pending)
    if not data.get("pooled"):
        _unpointed(indicators, pending)
    data["indicators"] = indicators
    if not indicators:
        pending["indicators"] = ("未找到评分表或计分条款：请确认文件中有评分表（.doc、.wps、.pdf 须先另存为 .docx），"
                                 "或按细则的写法逐条填写")
    order = ("id", "version", "title", "source", "period", "applies_to", "points", "pooled", "points_text", "aggregate",
             "indicators")
    return {k: data[k] for k in order if k in data}, pending


_SCORELESS = ("veto", "disqualify", "unscored")

#: A first-level part that only adds (加分项, 加分指标): counted from zero, not deducted from its own points.
_BONUS_NAME = re.compile(r"(?:附加|奖励)?加分(?:项|指标|项目|事项|部分)?")


def _adds(rule: dict) -> bool:
    return rule["kind"] in ("bonus", "exceed") or rule.get("bonus") is True


def _rules_under(n: dict) -> list[dict]:
    return [*n.get("rules", []), *(r for c in n.get("children", []) for r in _rules_under(c))]


def _bonus_part(parts: list[dict], stated: Decimal | None, prose: list[str], data: dict, pending: dict[str, str]) -> None:
    """A first-level part named 加分项 whose rules all add starts from zero (a deduction part would start full and
    give every unit its points). Where the document's total leaves it out (百分制, and the other parts make 100),
    the parts are added (aggregate: sum), marked 待确认 with the reason."""
    for n in parts:
        rules = _rules_under(n)
        if not (_BONUS_NAME.fullmatch(mirror(n["name"]).strip()) and rules and all(_adds(r) for r in rules)):
            continue
        n["start"] = "zero"
        said = None
        total = stated
        if total is None:
            total, said = _total(prose)
        if total is None and any("百分制" in mirror(x) for x in prose):
            total, said = Decimal(100), "百分制"
        others = _sum_points([x for x in parts if x is not n])
        if total is None or others is None or others != total or "aggregate" in data:
            continue
        data["aggregate"] = "sum"
        pending["aggregate"] = (f"「{n['name']}」只有加分条款，按从零起计起草；文件的总分（{said or f'{total} 分'}）"
                                f"不含它，其余各部分合计正好 {total} 分：按各部分相加（aggregate: sum）起草，"
                                "即总分 = 各部分得分之和（加分项得分加在其上），请对照原文的计分方法确认")


def _sum_points(nodes: list[dict]) -> Decimal | None:
    """The points of these parts together, counting a part that only vetoes or disqualifies as none; None when
    some part has no points."""
    total = Decimal(0)
    for n in nodes:
        own = n.get("points")
        if own is None and n.get("children"):
            own = _sum_points(n["children"])
        if own is None:
            if n.get("rules") and all(r["kind"] in _SCORELESS for r in n["rules"]) and not n.get("children"):
                continue
            return None
        total += own
    return total if nodes else None


def _unpointed(nodes: list[dict], pending: dict[str, str], capped: bool = False) -> None:
    """Mark the items whose deductions no points bound (no points of their own or above them)."""
    for n in nodes:
        here = capped or n.get("points") is not None
        if n.get("rules") and not here and any(r["kind"] not in ("veto", "disqualify", "unscored", "given", "rater",
                                                                  "task", "external") for r in n["rules"]):
            pending.setdefault(n["id"], "未找到本项分值：请填写，或在上一级写明共用的分值")
        _unpointed(n.get("children", []), pending, here)


# --- writing a draft as YAML -----------------------------------------------------------------------------------

def _yaml_dumper():
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    def decimal(dumper, value: Decimal):
        if value == value.to_integral_value():
            return dumper.represent_int(int(value))
        return dumper.represent_scalar("tag:yaml.org,2002:float", str(value))

    Dumper.add_representer(Decimal, decimal)
    Dumper.ignore_aliases = lambda self, data: True  # kaohe refuses YAML aliases: an amount used twice is written twice
    return Dumper


def to_yaml(data: dict, pending: dict[str, str]) -> str:
    """The draft as a rubric YAML file: each item 待确认 carries its reason as a comment on its line, and the
    head of the file lists them all."""
    import yaml

    text = yaml.dump(data, Dumper=_yaml_dumper(), allow_unicode=True, sort_keys=False, width=10_000)
    out = []
    for line in text.splitlines():
        x = re.match(r"(\s*)(?:- )?(id|[a-z_]+):(?: (.*))?$", line)
        reason = None
        if x and not line.startswith((" ", "-")) and x.group(2) in pending:  # a field of the rubric itself
            reason = pending[x.group(2)]
        elif x and x.group(2) == "id" and x.group(3) is not None:
            ident = str(yaml.safe_load(x.group(3)))
            reason = pending.get(ident) if line.lstrip().startswith("-") else None
        out.append(f"{line}  # 待确认：{reason}" if reason else line)
    head = [f"# 细则草稿，由 kaohe rubric draft 从 {data.get('source', {}).get('file', '')} 起草。",
            "# 每条规则的 text 是原文的连续片段（只去掉了换行）；计分方式和分值按常见写法识别，须逐条核对。",
            f"# 待确认 {len(pending)} 项（行尾注明原因）：" if pending else "# 没有待确认的项。"]
    head += [f"#   {k}：{v}" for k, v in pending.items()]
    return "\n".join(head + out) + "\n"


def count(data: dict) -> tuple[int, int]:
    """(indicators, rules) of raw rubric data."""
    def walk(nodes):
        for n in nodes:
            yield n
            yield from walk(n.get("children", []))

    nodes = list(walk(data.get("indicators", [])))
    return len(nodes), sum(len(n.get("rules", [])) for n in nodes)
