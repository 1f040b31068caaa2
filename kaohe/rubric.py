"""The rubric: a tree of indicators whose leaves hold rules, loaded from YAML and validated.

Errors name the file, the line, the YAML path (``indicators[0].children[2].rules[1].per``),
the field and the offending value.

Versions: a bundled rubric id may have several versions in ``kaohe/rubrics/`` — ``<id>.yaml`` (any
version, as its ``version`` says) and ``<id>@<N>.yaml``. ``ID@N`` selects one; ``ID`` the latest
published one (a ``draft`` is a proposal under review, chosen only by ``ID@N``, the way pip passes
over pre-releases). A version may be written in full, or as a *draft over another version*
(``based_on: ID@N`` plus ``changes``, each setting fields of one node, rule or reading by id), so a
proposal that changes a few fields states exactly those and nothing is copied.
"""

from __future__ import annotations

import copy
import difflib
import json
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cached_property, lru_cache
from itertools import pairwise
from pathlib import Path
from types import UnionType
from typing import Annotated, Literal, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from .errors import Problem, RubricError
from .names import simplified
from .numbers import fmt
from .rules import Dec, NonNeg, Pos, Rule, RuleBase, kinds
from .yamlio import dotted, load_yaml

RUBRIC_DIR = Path(__file__).parent / "rubrics"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _named(title: str, summary: str) -> ConfigDict:
    """A model's Chinese name and what it is, for the JSON Schema, docs/reference.md and messages (the
    docstrings stay the developers')."""
    return ConfigDict(title=title, json_schema_extra={"description": summary})


class Source(_Model):
    """Where the rubric comes from: document title, issuer, 文号, the seed file, the part of it."""

    model_config = _named("来源文件", "细则所依的原文件")
    title: str = Field(description="原文件标题", examples=["关于印发《衡南县2020年政务公开政务服务工作考核实施方案》的函"])
    issuer: str = Field(description="发文单位", examples=["衡南县政务公开政务服务领导小组办公室"])
    doc_no: str = Field(description="文号", examples=["清公开办函〔2020〕4号"])
    file: str = Field(description="原文件的文件名；kaohe rubric check 不写 --source 时，用细则文件旁的这个文件", examples=["考核方案.docx"])
    part: str | None = Field(default=None, description="细则编入的是原文件的哪一部分", examples=["附件1 乡镇（街道）考核细则"])


class Period(_Model):
    model_config = _named("考核期", "考核期的起止日期（含两端）")
    start: date = Field(description="考核期第一天，YYYY-MM-DD", examples=["2020-01-01"])
    end: date = Field(description="考核期最后一天，YYYY-MM-DD", examples=["2020-12-31"])

    @model_validator(mode="after")
    def _ordered(self):
        if self.start > self.end:
            raise ValueError(f"考核期开始 {self.start} 晚于结束 {self.end}")
        return self


class Band(_Model):
    model_config = _named("等次档", "一个等次及其分数下限")
    grade: str = Field(description="等次名称", examples=["优秀"])
    min: Dec | None = Field(default=None, examples=[90], description="该等次的最低分（含）；最后一档（最低等次）不写")


class Grades(_Model):
    """Grade bands, half-open: a score is in the first band whose ``min`` it reaches."""

    model_config = _named("等次", "按得分评定的等次，从高到低")
    text: str = Field(description="原文中规定等次的文字，逐字照录", examples=["年度考核得分在 90 分以上为优秀"])
    reading: str = Field(description="等次界限的读法（如“90 分以上”含不含 90 分、89.5 分属哪一档）")
    bands: list[Band] = Field(min_length=1, description="各等次，从高到低；最后一档不写 min")

    @model_validator(mode="after")
    def _descending(self):
        mins = [b.min for b in self.bands]
        if mins[-1] is not None or any(m is None for m in mins[:-1]):
            raise ValueError("只有最后一个等次可以没有下限 min")
        top = mins[:-1]
        if any(a <= b for a, b in pairwise(top)):
            raise ValueError("等次下限必须从高到低排列")
        return self

    def grade(self, score: Decimal) -> str:
        for band in self.bands:
            if band.min is None or score >= band.min:
                return band.grade
        raise AssertionError("unreachable: the last band has no lower bound")


class Excellent(_Model):
    """An award list: the top ``quota`` units scoring at least ``min_score`` (when given), neither
    vetoed nor disqualified — 衡南's 年度优秀单位, 益阳's 激励名单. ``quota: null`` means the document
    leaves the number open: the run's params file sets it (``quotas``)."""

    model_config = _named("评优名单", "得分最高、未被否决或取消资格的若干单位")
    name: str = Field(default="年度优秀单位", description="名单的名称", examples=["激励名单"])
    text: str = Field(description="原文中规定评优的文字，逐字照录", examples=["从考核得分 90 分以上的评选出年度优秀单位 12 个"])
    min_score: Dec | None = Field(default=None, examples=[90], description="入选的最低分（含）；不写则不限")
    quota: int | None = Field(default=None, ge=0, examples=[6], description="名额；原文未定时不写，由运行配置 quotas 给出")
    reading: str | None = Field(default=None, description="评优规则的读法（如名额按类别分配）")


class Awards(_Model):
    model_config = _named("评优", "细则规定的评优")
    excellent: Excellent | None = Field(default=None, description="评优名单（年度优秀单位、激励名单）")


class Veto(_Model):
    """What a veto does to the year's result, as this rubric reads 一票否决."""

    model_config = _named("一票否决的后果", "被一票否决的单位如何评定")
    grade: str = Field(description="被否决单位的等次", examples=["不合格"])
    reading: str = Field(description="一票否决的读法（如仍计分、排在未被否决的单位之后）")


class Gate(_Model):
    """A part scored only when another part's score passes a threshold (国办 2019 检查指标: 扣分指标高于80分的,
    进入加分指标评分环节). ``inclusive``: at or above; else strictly above, as 高于 reads."""

    model_config = _named("评分门槛", "另一部分得分达到门槛才给本部分评分，否则本部分计 0 分")
    node: str = Field(min_length=1, examples=["2"], description="看其得分的那一部分（指标编号）")
    above: Dec = Field(description="门槛分数", examples=[80])
    inclusive: bool = Field(default=False, description="true：达到门槛即可（含）；false：须高于门槛（“高于80分”）")
    text: str = Field(min_length=1, description="原文中规定门槛的文字，逐字照录",
                      examples=["扣分指标得分高于80分的单位，方可参加加分指标评分"])

    def passes(self, score: Decimal | None) -> bool:
        return score is not None and (score >= self.above if self.inclusive else score > self.above)

    def describe(self, name: str) -> str:
        return f"「{name}」得分{'达到' if self.inclusive else '高于'} {fmt(self.above)} 分" + ("（含）" if self.inclusive else "（不含）")


class FailMark(_Model):
    """评分结果低于60分，判定为不合格: a part's score strictly below ``below`` sets the unit's grade (no award)."""

    model_config = _named("不合格线", "本部分得分低于此线，单位定为不合格（不能评优）")
    below: Dec = Field(description="低于此分（不含）即不合格", examples=[60])
    grade: str = Field(default="不合格", description="定的等次")
    text: str = Field(min_length=1, description="原文中的这句话，逐字照录", examples=["扣分指标得分低于60分的，评定为不合格"])


class NotApplicable(_Model):
    """How a total is rescaled when optional parts do not apply to a unit (the roster's 不适用), one mechanism
    for every document: ``proportional`` — Σ applicable ÷ applicable maximum × full points (衡阳's 按比例折合,
    a department without 办事服务 × 4/3); ``redistribute`` — the missing points are shared evenly by the ``to``
    nodes, each of whose score is scaled by (its points + its share) ÷ its points (平均计入其他指标中);
    ``exclude`` — left out of both score and maximum. Rescaled scores are rounded 四舍五入 to ``decimals``."""

    model_config = _named("不适用时的折算", "某些部分对某单位不适用（名单「不适用」列）时，总分如何折算")
    rescale: Literal["proportional", "redistribute", "exclude"] = Field(
        description="proportional 其余得分按比例折算到满分；redistribute 不适用部分的分值平均计入 to 所列指标；"
                    "exclude 不列入得分也不列入满分", examples=["proportional"])
    text: str | None = Field(default=None, description="原文中的这句话，逐字照录", examples=["按比例折合"])
    to: list[str] = Field(default=[], description="rescale: redistribute 时分摊缺项分值的指标编号")
    decimals: int = Field(default=2, ge=0, le=4, description="折算后保留的小数位（四舍五入）")

    @model_validator(mode="after")
    def _targets(self):
        if (self.rescale == "redistribute") != bool(self.to):
            raise ValueError("rescale: redistribute 须用 to 列出分摊缺项分值的指标；其他方式不用 to")
        return self

    def describe(self) -> str:
        return {"proportional": "不适用的部分不列入，其余得分按比例折算到满分（得分 ÷ 适用满分 × 满分）",
                "redistribute": f"不适用部分的分值平均计入 {'、'.join(self.to)}，这些指标得分按（分值 + 分摊分值）÷ 分值折算",
                "exclude": "不适用的部分不列入得分，也不列入满分"}[self.rescale]


class Change(_Model):
    """Fields set on one part of a rubric by id: a draft's ``changes`` and a reading's alternative use the same form."""

    model_config = _named("一项更改", "设置一个指标、规则或读法（或 grades、awards.excellent、veto）的若干字段")
    id: str = Field(min_length=1, description="要更改的指标、规则或读法的编号，或 grades、awards.excellent、veto",
                    examples=["5.1"])
    set: dict[str, object] = Field(min_length=1, description="字段: 新值", examples=[{"rounding": "proportional"}])


class Alternative(_Model):
    """Another defensible reading of the same clause, as the rubric changes it makes (``kaohe robustness``)."""

    model_config = _named("另一种读法", "同一条款另一种说得通的理解，写成对细则的更改；kaohe robustness 在各种读法组合下重新计分")
    label: str = Field(min_length=1, description="简短名称", examples=["按比例折算"])
    reason: str = Field(min_length=1, description="为什么这样读也说得通（依据原文）")
    clause: str = Field(min_length=1, description="所涉条款，照录原文", examples=["接通率低于 98%，每下降 1 个百分点，扣 0.5 分"])
    changes: list[Change] = Field(min_length=1, description="这种读法对细则的更改（与草案的 changes 写法相同）")


class Reading(_Model):
    """One entry of the assumptions log: a clause that can be read two ways, and the reading taken."""

    model_config = _named("读法", "原文可有两种理解的地方，以及本细则采用的理解（假设记录）")
    id: str = Field(description="读法编号", examples=["R1"])
    about: str = Field(description="涉及的条款或问题", examples=["“每下降1个百分点”不足 1 个百分点的部分"])
    reading: str = Field(description="采用的理解及理由")
    #: Where the reading bites, so a unit's report shows it only when it touched that unit: rule or node
    #: ids, ``kind:<kind>``, ``measurement``, ``capped`` (a cap cut a deduction) or ``all``.
    touches: list[str] = Field(min_length=1, examples=[["5.1", "kind:rate_shortfall"]],
                               description="影响到的规则或指标编号、kind:<计分方式>、measurement、capped 或 all；"
                                           "单位报告只在用到时列出此读法")
    #: Other defensible readings of the clause; the one above is the one scored (kaohe robustness tries the others).
    alternatives: list[Alternative] = Field(default=[], description="其他说得通的读法（每种写成对细则的更改）；"
                                                                   "kaohe robustness 在各种组合下重新计分")


#: Keywords a reading's ``touches`` may use besides rule and node ids and ``kind:<kind>``.
TOUCH_KEYWORDS = ("all", "capped", "measurement")


class Node(_Model):
    """An indicator or a section. ``points`` is its maximum; a node without points has no cap
    of its own (its deductions count against the nearest ancestor that has one).

    In a weighted rubric (郎溪 2019), ``weight`` is the node's share in percent of its nearest
    ancestor that combines by weight (the rubric, or a node with ``combine: weighted``); a node
    with ``combine: weighted`` scores the weighted sum of its parts unless a ``given`` rule of its
    own gives the whole score (an agency's final result).
    """

    model_config = _named("指标", "指标树的一个节点：一级、二级……指标；末级指标下是规则")
    id: str = Field(min_length=1, examples=["1.2"], description="指标编号，在细则内唯一（与规则编号也不重复）")
    name: str = Field(description="指标名称，照原文", examples=["大厅建设管理"])
    #: The document's words that define this node (its weight or points), verbatim, where they exist.
    text: str | None = Field(default=None, description="原文中规定本指标（分值、权重）的文字，逐字照录", examples=["(一)专业机构测评(权重:40%)"])
    points: NonNeg | None = Field(default=None, examples=[15],
                                  description="本项分值（满分）：扣分以此为限；不写则扣分计入上一级有分值的指标")
    weight: NonNeg | None = Field(default=None, examples=[40], description="按权重合成时本项所占的百分比（“权重:40%”写 40）")
    #: ``sum``: the score is the sum of the children's (a staged part: 扣分指标 + 加分指标), not clamped at points.
    combine: Literal["deduct", "weighted", "sum"] = Field(
        default="deduct", description="本项得分如何由下级得出：deduct 分值减去扣分；weighted 下级得分按权重合成；"
                                      "sum 下级得分相加（扣分指标 + 加分指标）")
    #: ``zero``: 得分制 — the node starts at 0 and gains (points earned, bonuses), within [0, points]; its
    #: descendants too unless one says ``full``. Unset: as the parent (``full`` at the top).
    start: Literal["full", "zero"] | None = Field(
        default=None, description="full 从满分扣起（扣分制）；zero 从 0 分加起（得分制，用于得分项），下级指标随之，"
                                  "除非下级写 full；不写则同上一级（一级指标为 full）")
    #: Scored only when another node's score passes (进入加分指标评分环节); else 0.
    gate: Gate | None = Field(default=None, description="评分门槛：另一部分得分达到门槛，本项才评分")
    #: A score below this mark makes the unit 不合格 (评分结果低于60分，判定为不合格).
    fail: FailMark | None = Field(default=None, description="不合格线：本项得分低于它，单位定为不合格")
    #: A node that may not apply to a unit (marked in the roster's 不适用 column): left out of its total.
    optional: bool = Field(default=False, description="true：本项可能对某些单位不适用（名单「不适用」列写明），不适用时不列入")
    #: How a ``combine: sum`` node's total is rescaled when optional children do not apply.
    not_applicable: NotApplicable | None = Field(default=None, description="下级有不适用的部分时本项得分如何折算（combine: sum）")
    #: Below this score the unit loses eligibility for awards (衡阳: 12345 热线 低于90分, 取消年度评优资格).
    eligibility_min: Dec | None = Field(default=None, examples=[90],
                                        description="本项得分低于此分（不含）的单位取消评优资格（“低于90分的，取消年度评优资格”）")
    children: list[Node] = Field(default=[], description="下级指标")
    rules: list[Rule] = Field(default=[], description="本项的计分规则（每条一个计分方式 kind）")
    reading: str | None = Field(default=None, description="本项的读法：下级分值合计与本项不符等原文问题如何处理")

    @model_validator(mode="after")
    def _leaf_or_branch(self):
        if self.children and any(r.kind != "given" for r in self.rules):
            raise ValueError("一个节点不能同时有 children 和 rules（只有 given 得分规则可以与下级并存）")
        if self.combine == "weighted" and self.points is None:
            raise ValueError("按权重合成的节点必须有 points（合成得分的满分）")
        if self.combine == "sum" and not self.children:
            raise ValueError("combine: sum 的节点须有下级（其得分为下级得分之和）")
        if self.not_applicable is not None and self.combine != "sum":
            raise ValueError("not_applicable 只用于 combine: sum 的节点（细则顶层写在细则的 not_applicable 中）")
        if self.start == "zero" and self.points is None:
            raise ValueError("start: zero（得分制）的节点必须有 points（可得的最高分）")
        if self.weight is not None and self.points is None and not any(c.weight is not None for c in self.children):
            raise ValueError("有权重的分项必须有 points（该项得分的满分）")
        # Parts that do not add up to their heading are refused unless the node says how it is read: the
        # documents do contain such sums (郎溪 A3: 9+6+9+4+5 = 33% under 36%), and a typo must not pass as one.
        if not self.reading:
            points = [c.points for c in self.children if c.points is not None]
            # parts combined by weight are each on their own scale: their weights must add up, not their points
            if self.points is not None and points and self.combine != "weighted" and sum(points, Decimal(0)) != self.points:
                raise ValueError(f"下级分值合计 {fmt(sum(points, Decimal(0)))} 分，与本项 {fmt(self.points)} 分不符；"
                                 "若原文如此，请在本项的 reading 中写明如何计分")
            weights = [c.weight for c in self.children if c.weight is not None]
            whole = Decimal(100) if self.combine == "weighted" else self.weight
            if weights and whole is not None and sum(weights, Decimal(0)) != whole:
                raise ValueError(f"下级权重合计 {fmt(sum(weights, Decimal(0)))}%，与本项 {fmt(whole)}% 不符；"
                                 "若原文如此，请在本项的 reading 中写明如何计分")
        return self

    def walk(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            yield from child.walk()


class Located(ValueError):
    """A problem of the whole tree that belongs to one node or rule (``ident``; None: the rubric) and field:
    the error then names that line rather than the top of the file."""

    def __init__(self, ident: str | None, field: tuple[str, ...], message: str):
        super().__init__(message)
        self.ident, self.field = ident, field


#: Kinds that neither score nor deduct: a part holding only these needs no points (单项否决指标).
_NO_POINTS = ("veto", "disqualify", "unscored")


def _scoreless(node: Node) -> bool:
    return all(r.kind in _NO_POINTS for n in node.walk() for r in n.rules) and all(n.points is None for n in node.walk())


def _depths(node: Node, d: int) -> Iterator[int]:
    yield d
    for c in node.children:
        yield from _depths(c, d + 1)


def _listed(value):
    return [value] if isinstance(value, str) else value


class Rubric(_Model):
    model_config = _named("细则", "一份考核细则：原文件、考核期、适用对象、总分、等次、评优，以及指标树（末级指标下是计分规则）")
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", examples=["hengnan-2020-township"],
                    description="细则编号：小写字母、数字和连字符；运行配置和 kaohe 命令用它指称本细则")
    version: int = Field(ge=1, examples=[1], description="版本号，从 1 起")
    #: ``draft``: a proposal under review, selected only as ``ID@N`` (``ID`` is the latest published).
    status: Literal["published", "draft"] = Field(
        default="published", description="published 已发布；draft 草案，只在写明 编号@版本 时使用")
    #: What this version is and how it differs from the one before, in plain words (compare reports show it).
    description: str | None = Field(default=None, description="本版本是什么、与上一版有何不同（版本比较报告中显示）")
    #: Ids of an earlier version that this one replaces: old id -> new id(s). One old id to one new id is a
    #: rename (several old ids to the same new one, a merge): evidence recorded against the old id lands on
    #: the new one. One old id to several new ids is a split, whose evidence needs a person to choose.
    replaces: dict[str, Annotated[list[str], BeforeValidator(_listed, json_schema_input_type=str | list[str]),
                                  Field(min_length=1)]] = Field(
        default={}, examples=[{"1.3.3": ["1.3.3a", "1.3.3b"]}],
        description="本版本替换的上一版编号：旧编号: 新编号（改名、合并）或新编号列表（拆分）；按旧编号记的台账随之归入")
    title: str = Field(description="细则标题", examples=["衡南县2020年政务公开政务服务工作考核 乡镇（街道）考核细则"])
    source: Source = Field(description="细则所依的原文件")
    period: Period = Field(description="考核期")
    applies_to: list[str] = Field(min_length=1, examples=[["乡镇"]], description="适用的单位类别（单位名单「类别」列）")
    points: NonNeg = Field(description="总分", examples=[100])
    grades: Grades | None = Field(default=None, description="等次；原文只排名不定等次时不写")  # 益阳 2020 ranks only
    #: 扣分制，总分 N 分，扣完为止: the items share one pool of points and have none of their own.
    pooled: bool = Field(default=False, description="true：各项共用一个总分池，没有各自的分值（“扣分制，总分100分，扣完为止”）")
    #: The document's own words on the total, verbatim, where it states them (扣分制,总分100分,扣完为止).
    points_text: str | None = Field(default=None, description="原文中规定总分的文字，逐字照录",
                                    examples=["(扣分制,总分100分,扣完为止)"])
    #: Where the document's items do not add up to its total: how the total is read (else such a rubric
    #: is refused, as a node whose parts do not add up is unless its ``reading`` says how).
    points_reading: str | None = Field(default=None, description="各项分值合计与总分不符时，总分如何计（不写则拒绝这样的细则）")
    #: How the total is formed: ``deduct`` (points − deductions, capped per node: 衡南, 益阳) or
    #: ``weighted`` (Σ weight% × top node score / its points × points: 郎溪's 40/30/30).
    aggregate: Literal["deduct", "weighted", "sum"] = Field(
        default="deduct", description="总分如何合成：deduct 总分减去扣分；weighted 各部分按权重合成；"
                                      "sum 各部分得分相加（可配合 scale、not_applicable 折算）")
    #: ``sum`` (衡阳 2018): Σ module scores over the modules that apply, converted to this scale
    #: (“按比例折合”): total = Σ ÷ applicable maximum × scale — ``not_applicable: {rescale: proportional}``.
    scale: Pos | None = Field(default=None, examples=[100],
                              description="aggregate: sum 时按比例折合到的分数：总分 = 各部分得分之和 ÷ 适用部分满分之和 × scale")
    #: How the total of a ``sum`` rubric is rescaled when optional top-level parts do not apply.
    not_applicable: NotApplicable | None = Field(default=None, description="一级指标有不适用的部分时，总分如何折算")
    #: Levels (1 = top) whose nodes cap deductions at their points (二级、三级指标减分可突破自身分值，不可突破
    #: 一级指标: ``[1]``); default every node with points.
    cap_levels: list[Annotated[int, Field(ge=1)]] | None = Field(
        default=None, min_length=1, examples=[[1]],
        description="哪几级指标的扣分以本项分值为限（1 为一级）；默认每个有分值的指标（“二级指标减分可突破自身分值，不可突破一级指标”写 [1]）")
    awards: Awards = Field(default=Awards(), description="评优")
    veto: Veto | None = Field(default=None, description="被一票否决的单位如何评定：等次与读法（规则自己写了 grade 的以规则为准）")
    readings: list[Reading] = Field(default=[], description="读法：原文可有两种理解之处及本细则的理解")
    indicators: list[Node] = Field(min_length=1, description="一级指标（每个下面是下级指标或规则）")

    @model_validator(mode="after")
    def _unique_ids(self):
        seen: set[str] = set()
        for node in self.nodes:
            for ident in [node.id, *(r.id for r in node.rules)]:
                if ident in seen:
                    raise Located(ident, ("id",), f"编号 {ident!r} 重复：节点与规则的编号在一个细则内必须唯一")
                seen.add(ident)
        if self.aggregate != "deduct":
            bare = [n.id for n in self.indicators if n.points is None and (self.aggregate == "sum" or n.weight is not None)
                    and not (self.aggregate == "sum" and _scoreless(n))]
            if bare:
                raise ValueError(f"{'、'.join(bare)}：按权重或模块合计时，各部分必须有 points"
                                 "（只含否决、取消资格或不计分条款的部分除外）")
        self._check_structures()
        if not self.points_reading:  # as for a node's parts: a sum the document gets wrong must say so
            top = [p for n in self.indicators if (p := self.effective_points[n.id]) is not None]
            if self.aggregate == "deduct" and not self.pooled and top and sum(top, Decimal(0)) != self.points:
                raise ValueError(f"indicators 的分值合计 {fmt(sum(top, Decimal(0)))} 分，与总分 points {fmt(self.points)} 分"
                                 "不符（各项共用一个分值池时写 pooled: true；若原文如此，在 points_reading 中写明如何计分）")
            weights = [n.weight for n in self.indicators if n.weight is not None]
            if self.aggregate == "weighted" and sum(weights, Decimal(0)) != 100:
                raise ValueError(f"indicators 的权重合计 {fmt(sum(weights, Decimal(0)))}%，不是 100%"
                                 "（若原文如此，在 points_reading 中写明如何计分）")
        for rule in self.rules.values():
            unknown = [x for x in rule.excludes if x not in self.rules]
            if unknown:
                raise ValueError(f"规则 {rule.id} 的 excludes 含未知规则 {'、'.join(unknown)}")
        for old, new in self.replaces.items():
            if old in seen:
                raise ValueError(f"replaces：{old} 仍是本版本的编号，不能被替换")
            unknown = [x for x in new if x not in seen]
            if unknown:
                raise ValueError(f"replaces：{old} 的替换项 {'、'.join(unknown)} 不是本版本的节点或规则编号")
            if len({x in self.rules for x in new}) > 1:
                raise ValueError(f"replaces：{old} 的替换项不能既有节点又有规则")
        kind_names = {f"kind:{k}" for k in kinds()}
        for rd in self.readings:
            bad = [t for t in rd.touches if t not in seen and t not in kind_names and t not in TOUCH_KEYWORDS]
            if bad:
                raise Located(rd.id, ("touches",), f"读法 {rd.id} 的 touches 含未知项 {'、'.join(bad)}：应为规则或节点编号、"
                                 f"kind:<类型> 或 {'、'.join(TOUCH_KEYWORDS)}")
        return self

    def _check_structures(self) -> None:
        """Gates, vetoes, rescaling and the parts that only a composite total can score: each where its
        score can be used as it is (at the top, or under a node that adds or weights its parts)."""
        ids = self.nodes_by_id

        def combines(n: Node) -> bool:  # its parent takes its score as it is
            parent = self.parents[n.id]
            return parent.combine in ("sum", "weighted") if parent else self.aggregate != "deduct"

        if self.aggregate == "deduct":
            needs = [(n.id, (f,)) for n in self.nodes for f, v in
                     (("combine", n.combine == "sum"), ("start", n.start == "zero"), ("gate", n.gate), ("fail", n.fail),
                      ("not_applicable", n.not_applicable), ("optional", n.optional)) if v]
            needs += [(r.id, ("effect",)) for r in self.rules.values() if getattr(r, "effect", None) == "stop"]
            needs += [(None, ("not_applicable",))] if self.not_applicable else []
            if needs:
                ident, field = needs[0]
                raise Located(ident, field, f"{ident or '细则'} 的 {field[0]} 需要按部分合成总分：请写 aggregate: sum"
                              "（总分为各部分得分之和）或 aggregate: weighted")
        for n in self.nodes:
            parent = self.parents[n.id]
            if n.start == "zero" and not combines(n) and not (parent and parent.id in self.starts_at_zero):
                raise Located(n.id, ("start",), f"{n.id} 的 start: zero（得分制）须在细则顶层或 combine: sum / weighted 的"
                              "节点下：其得分直接计入上级（扣分表中的加分请用加分规则）")
            if n.start == "full" and parent and parent.id in self.starts_at_zero:
                raise Located(n.id, ("start",), f"{n.id} 在得分制节点 {parent.id} 下，不能改回 start: full")
            if n.gate is not None and not combines(n):
                raise Located(n.id, ("gate",), f"{n.id} 的 gate 须在细则顶层或 combine: sum / weighted 的节点下"
                              "（未进入评分时计 0 分，由上级相加或加权）")
            if n.optional and not (parent.combine == "sum" if parent else self.aggregate == "sum"):
                raise Located(n.id, ("optional",), f"{n.id} 的 optional 须在 aggregate: sum 细则的顶层或 combine: sum 的节点下"
                              "（不适用的部分按 not_applicable 折算）")
            if n.fail is not None and self.grades and n.fail.grade not in {b.grade for b in self.grades.bands}:
                raise Located(n.id, ("fail", "grade"), f"{n.id} 的 fail.grade「{n.fail.grade}」不是本细则的等次之一")
        if self.aggregate == "sum" and self.scale is None and not self.points_reading:
            top = {n.id: p for n in self.indicators if (p := self.effective_points[n.id]) is not None}
            plain = sum((p for i, p in top.items() if i not in self.starts_at_zero), Decimal(0))
            if self.points not in (plain, sum(top.values(), Decimal(0))):  # full marks with or without the bonus part
                raise Located(None, ("points",), f"各部分分值合计 {fmt(sum(top.values(), Decimal(0)))} 分（不含加分部分 "
                              f"{fmt(plain)} 分），与总分 points {fmt(self.points)} 分不符（若原文如此，在 points_reading 中写明如何计分）")
        if self.scale is not None and self.not_applicable is not None:
            raise Located(None, ("not_applicable",), "scale 即按比例折合（not_applicable: {rescale: proportional}）：两者只写一个")
        for n in self.nodes:
            if n.gate is not None:
                target = ids.get(n.gate.node)
                inside = {x.id for x in n.walk()} | {x.id for x in self.ancestors(n)}
                if target is None or target.id in inside:
                    raise Located(n.id, ("gate", "node"), f"{n.id} 的 gate.node {n.gate.node!r} 应为本细则中另一部分的编号"
                                  "（不能是本项、其上级或下级）")
        self._acyclic_gates()
        for host, na, kids in [(None, self.not_applicable, self.indicators),
                               *((n.id, n.not_applicable, n.children) for n in self.nodes)]:
            if na is None:
                continue
            siblings = {k.id: k for k in kids}
            bad = [x for x in na.to if x not in siblings or siblings[x].optional or siblings[x].points is None]
            if bad:
                raise Located(host, ("not_applicable", "to"), f"{host or '细则'} 的 not_applicable.to 含 {'、'.join(bad)}："
                              "应为同一层中有分值、且不会不适用的指标")
            if not any(k.optional for k in kids):
                raise Located(host, ("not_applicable",), f"{host or '细则'} 写了 not_applicable，但其下级没有可不适用"
                              "（optional: true）的指标")
        grades = {b.grade for b in self.grades.bands} if self.grades else None
        for r in self.rules.values():
            scope = getattr(r, "scope", None)
            if scope is not None and scope not in ids:
                raise Located(r.id, ("scope",), f"规则 {r.id} 的 scope {scope!r} 不是本细则的节点编号")
            if scope is not None and not combines(ids[scope]):
                raise Located(r.id, ("scope",), f"规则 {r.id} 的 scope {scope} 须为细则顶层或 combine: sum / weighted 节点下的指标")
            if r.kind == "veto" and r.score is not None:
                top = self.effective_points[scope] if scope else (self.scale or self.points)
                if top is not None and r.score > top:
                    raise Located(r.id, ("score",), f"规则 {r.id} 的 score {fmt(r.score)} 超过满分 {fmt(top)}")
            if grades and getattr(r, "grade", None) and r.grade not in grades:
                raise Located(r.id, ("grade",), f"规则 {r.id} 的 grade「{r.grade}」不是本细则的等次之一（{'、'.join(grades)}）")
            if r.kind == "earned" and not any(a.start == "zero" for a in self.ancestors(self.rule_node[r.id])):
                raise Located(r.id, ("kind",), f"规则 {r.id}（得分项）须在 start: zero（得分制）的节点下：得分项从 0 分起计")
        depth = max(d for top in self.indicators for d in _depths(top, 1))
        if self.cap_levels and any(c > depth for c in self.cap_levels):
            raise Located(None, ("cap_levels",), f"cap_levels {self.cap_levels} 超出指标的层级数 {depth}")

    def _acyclic_gates(self) -> None:
        """A part's score needs its children's and its gate's: a gate may not, through them, need itself."""
        needs = {n.id: [c.id for c in n.children] + ([n.gate.node] if n.gate else []) for n in self.nodes}
        state: dict[str, int] = {}

        def visit(x: str, path: list[str]) -> None:
            if state.get(x) == 2:
                return
            if state.get(x) == 1:
                gated = next(g for g in path[path.index(x):] if self.nodes_by_id[g].gate)
                raise Located(gated, ("gate", "node"), f"进入条件形成循环：{' → '.join([*path[path.index(x):], x])}")
            state[x] = 1
            for y in needs[x]:
                visit(y, [*path, x])
            state[x] = 2

        for n in self.indicators:
            visit(n.id, [])

    @cached_property
    def level(self) -> dict[str, int]:
        """Each node's level: 1 for a top-level indicator."""
        return {n.id: len(self.ancestors(n)) for n in self.nodes}

    def caps(self, node: Node) -> bool:
        """Whether deductions are capped at this node's points (``cap_levels``)."""
        return self.cap_levels is None or self.level[node.id] in self.cap_levels

    @cached_property
    def starts_at_zero(self) -> frozenset[str]:
        """Nodes scored 得分制: ``start: zero``, or inside such a node's deduction table."""
        out: set[str] = set()
        for n in self.nodes:
            parent = self.parents[n.id]
            if n.start == "zero" or (n.start is None and parent is not None and parent.id in out):
                out.add(n.id)
        return frozenset(out)

    @cached_property
    def nodes_by_id(self) -> dict[str, Node]:
        return {n.id: n for n in self.nodes}

    @property
    def rescaled(self) -> bool:
        """Whether the total is the parts' sum converted to full points (衡阳's 折合, 4/3): not a plain sum."""
        return self.scale is not None or (self.not_applicable is not None and self.not_applicable.rescale == "proportional")

    @property
    def can_veto(self) -> bool:
        """Whether a record can veto a unit (a veto that only bars awards does not)."""
        return any(r.kind == "veto" and r.effect != "no_award" for r in self.rules.values())

    @property
    def bars_awards(self) -> bool:
        """Whether something other than a veto can bar a unit from awards: a module's minimum, a fail mark,
        a veto that only bars awards."""
        return (any(n.eligibility_min is not None for n in self.indicators) or any(n.fail is not None for n in self.nodes)
                or any(r.kind == "veto" and r.effect == "no_award" for r in self.rules.values()))

    @cached_property
    def nodes(self) -> list[Node]:
        """Every node, depth first, in document order."""
        return [n for top in self.indicators for n in top.walk()]

    @cached_property
    def rules(self) -> dict[str, RuleBase]:
        """Every rule by id, in document order."""
        return {r.id: r for n in self.nodes for r in n.rules}

    @cached_property
    def rule_node(self) -> dict[str, Node]:
        return {r.id: n for n in self.nodes for r in n.rules}

    @cached_property
    def parents(self) -> dict[str, Node | None]:
        out: dict[str, Node | None] = {top.id: None for top in self.indicators}
        for n in self.nodes:
            for c in n.children:
                out[c.id] = n
        return out

    @cached_property
    def effective_points(self) -> dict[str, Decimal | None]:
        """Each node's points as written, else the sum of its children's when every child has some
        (附件1 “放管服”改革 = 50); None for a node with no cap of its own."""
        out: dict[str, Decimal | None] = {}
        for node in reversed(self.nodes):  # children before parents
            if node.points is not None:
                out[node.id] = node.points
            elif (node.children and all(out[c.id] is not None for c in node.children)
                  and not any(c.weight is not None for c in node.children)):  # weighted parts do not add
                out[node.id] = sum((out[c.id] for c in node.children), Decimal(0))
            else:
                out[node.id] = None
        return out

    def modules_left_out(self, written: tuple[str, ...]) -> tuple[frozenset[str], list[str]]:
        """Node ids for the roster's 不适用 entries (an id or a name), and the entries that name
        no optional node of this rubric."""
        ids, bad = set(), []
        for w in written:
            named = [n for n in self.nodes if w == n.id or simplified(w) == simplified(n.name)]
            hit = next((n for n in named if n.optional), named[0] if named else None)  # a name may repeat
            if hit is None or not hit.optional:
                bad.append(w)
            else:
                ids.add(hit.id)
        return frozenset(ids), bad

    def left_out_above(self, node: Node, left_out: frozenset[str]) -> Node | None:
        """The outermost of ``node`` and its ancestors that does not apply to a unit (``left_out``), if any."""
        return next((a for a in reversed(self.ancestors(node)) if a.id in left_out), None)

    def ancestors(self, node: Node) -> list[Node]:
        """``node`` and its ancestors, innermost first."""
        chain = [node]
        while (p := self.parents[chain[-1].id]) is not None:
            chain.append(p)
        return chain

    @property
    def ref(self) -> str:
        return f"{self.id}@{self.version}"

    @cached_property
    def successors(self) -> dict[str, list[str]]:
        """Old rule id -> the rule ids of this version that replace it (from ``replaces``)."""
        return {old: new for old, new in self.replaces.items() if all(x in self.rules for x in new)}


#: ``hengnan-2020-township`` or ``hengnan-2020-township@2``.
REF = re.compile(r"^(?P<id>[a-z0-9][a-z0-9-]*)(?:@(?P<version>\d+))?$")


@dataclass(frozen=True)
class Version:
    """One bundled rubric file: its id, version number, status and path."""

    id: str
    version: int
    status: str
    path: Path

    @property
    def ref(self) -> str:
        return f"{self.id}@{self.version}"


@lru_cache(maxsize=1)
def bundled() -> dict[str, dict[int, Version]]:
    """Every bundled rubric file by id and version (read from the files' own top-level fields)."""
    out: dict[str, dict[int, Version]] = defaultdict(dict)
    for path in sorted(RUBRIC_DIR.glob("*.yaml")):
        m = REF.match(path.stem)
        data, _ = load_yaml(path)
        if m is None or not isinstance(data, dict):
            raise RubricError([Problem(str(path), None, None, path.name, "bad_rubric_file",
                                       "内置细则文件名应为 <编号>.yaml 或 <编号>@<版本>.yaml")])
        rid = m["id"]
        version = int(m["version"]) if m["version"] else data.get("version")
        if data.get("id") != rid or data.get("version") != version or not isinstance(version, int):
            raise RubricError([Problem(str(path), None, "id", str(data.get("id")), "bad_rubric_file",
                                       f"文件名 {path.name} 与文件中的 id/version（{data.get('id')}，{data.get('version')}）不一致")])
        if version in out[rid]:
            raise RubricError([Problem(str(path), None, "version", str(version), "duplicate_version",
                                       f"细则 {rid} 的第 {version} 版已有文件 {out[rid][version].path.name}")])
        out[rid][version] = Version(rid, version, data.get("status", "published"), path)
    return {rid: dict(sorted(v.items())) for rid, v in sorted(out.items())}


#: Suffixes of rubric files: YAML, and the rubric workbook (kaohe.workbook) that office staff edit in Excel.
RUBRIC_SUFFIXES = (".yaml", ".yml", ".xlsx", ".xlsm")


def rubric_path(id_or_path: str | Path) -> Path:
    """A bundled rubric (``ID`` for its latest published version, ``ID@N`` for version N), a YAML file or a
    rubric workbook (.xlsx)."""
    p = Path(id_or_path)
    if p.suffix.lower() in RUBRIC_SUFFIXES:
        return p
    m = REF.match(str(id_or_path))
    if m and m["id"] in bundled():  # a bundled id is never taken for a file of that name in the working folder
        return resolve_ref(str(id_or_path)).path
    if p.is_file():  # a rubric file without the usual suffix
        return p
    return resolve_ref(str(id_or_path)).path


def resolve_ref(ref: str) -> Version:
    m = REF.match(ref)
    versions = bundled().get(m["id"]) if m else None
    if not versions:
        known = "、".join(list_rubrics()) or "（无）"
        raise RubricError([Problem(ref, None, None, ref, "unknown_rubric",
                                   f"找不到细则 {ref!r}；内置细则有：{known}")])
    if m["version"]:
        hit = versions.get(int(m["version"]))
        if hit is None:
            have = "、".join(v.ref + ("（草案）" if v.status == "draft" else "") for v in versions.values())
            raise RubricError([Problem(ref, None, None, ref, "unknown_version", f"细则 {m['id']} 没有第 {m['version']} 版；现有：{have}")])
        return hit
    published = [v for v in versions.values() if v.status == "published"]
    return (published or list(versions.values()))[-1]  # only drafts: the latest draft


def list_rubrics() -> list[str]:
    """Bundled rubric ids (each may have several versions: :func:`bundled`)."""
    return list(bundled())


@lru_cache(maxsize=1)
def known_categories() -> frozenset[str]:
    """Every roster category some bundled rubric applies to."""
    return frozenset(c for rid in list_rubrics() for c in load_rubric(rid).applies_to)


def load_rubric(id_or_path: str | Path) -> Rubric:
    """Load and validate a rubric; every problem in the file is reported at once.

    Raises:
        RubricError: with one :class:`~kaohe.errors.Problem` per invalid field.
    """
    return load_model(Rubric, rubric_path(id_or_path))


def rubric_files(path: Path) -> list[Path]:
    """The rubric file and, for a draft over another version, the files it is built on."""
    if _is_workbook(path):
        return [path]
    data, _ = load_yaml(path)
    based_on = data.get("based_on") if isinstance(data, dict) else None
    return [path, *rubric_files(rubric_path(based_on))] if isinstance(based_on, str) else [path]


Where = dict[tuple, tuple[str, int]]  # YAML path -> (file, line): a draft's fields come from two files


def load_model(model: type[BaseModel], path: Path):
    """Load a YAML file (or a rubric workbook) into ``model``; every invalid field becomes a located Problem."""
    if _is_workbook(path):  # located by sheet, row and column rather than by line
        from .workbook import load_model as load_workbook

        return load_workbook(model, path)
    data, where = _raw(Path(path), ())
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise RubricError([_problem(str(path), data, where, err, model) for err in exc.errors()]) from None


class _Overlay(_Model):
    model_config = ConfigDict(extra="allow", frozen=True, title="草案")  # the other keys override the base's

    # A draft names itself: it never takes its base's identity, status, description or replacements.
    id: str
    version: int
    based_on: str = Field(pattern=REF.pattern)
    changes: list[Change] = []


#: What a version says about itself, never inherited from the version it is based on.
_OWN = ("status", "description", "replaces")


def _raw(path: Path, seen: tuple[Path, ...]) -> tuple[object, Where]:
    """The file's data with each location's (file, line); a draft (``based_on``) is its base with the
    draft's top-level keys and ``changes`` applied, the changed fields located in the draft. A rubric workbook
    gives its data with each location's row."""
    if _is_workbook(path):
        from .workbook import located

        data, problems, cells = located(path)
        if problems:
            raise RubricError(problems)
        return data, {loc: (str(path), cell.row) for loc, cell in cells.items() if cell.row is not None}
    data, lines = load_yaml(path)
    name = str(path)
    where = {loc: (name, line) for loc, line in lines.items()}
    if not isinstance(data, dict) or "based_on" not in data:
        return data, where

    def fail(loc, value, code, message):
        raise RubricError([Problem(name, lines.get(loc), dotted(loc), value, code, message)])

    try:
        overlay = _Overlay.model_validate(data)
    except ValidationError as exc:
        raise RubricError([_problem(name, data, where, err, _Overlay) for err in exc.errors()]) from None
    base_path = rubric_path(overlay.based_on)
    if base_path.resolve() in seen or base_path.resolve() == path.resolve():
        fail(("based_on",), overlay.based_on, "circular_base", "based_on 形成循环")
    merged, merged_where = _raw(base_path, (*seen, path.resolve()))
    merged = {k: v for k, v in copy.deepcopy(merged).items() if k not in _OWN}
    merged_where[()] = (name, 1)  # a problem with the whole rubric is the draft's
    for key in data:
        if key not in ("based_on", "changes"):
            merged[key] = data[key]
            _relocate(merged_where, where, (key,), (key,))
    targets = change_targets(merged)
    done: dict[tuple[str, str], int] = {}
    for i, change in enumerate(overlay.changes):
        found = targets.get(change.id, [])
        if len(found) != 1:
            fail(("changes", i, "id"), change.id, "unknown_change_target",
                 f"基础版本 {overlay.based_on} 中{'没有' if not found else '有多个'}编号为 {change.id} 的节点、规则或读法")
        loc, target = found[0]
        for field, value in change.set.items():
            if field in ("id", "children", "rules"):
                fail(("changes", i, "set", field), field, "unchangeable", f"changes 不能更改 {field}：增删节点或规则请写出完整的新版本")
            if (change.id, field) in done:
                fail(("changes", i, "set", field), field, "duplicate_change",
                     f"{change.id} 的 {field} 已在第 {done[(change.id, field)] + 1} 项 changes 中更改")
            done[(change.id, field)] = i
            target[field] = value
            _relocate(merged_where, where, (*loc, field), ("changes", i, "set", field))
    return merged, merged_where


def _is_workbook(path) -> bool:
    return Path(path).suffix.lower() in RUBRIC_SUFFIXES[2:]


def _relocate(merged: Where, own: Where, at: tuple, source: tuple) -> None:
    """Locations under ``at`` now come from the draft's ``source`` subtree."""
    for loc in [k for k in merged if k[:len(at)] == at]:
        del merged[loc]
    for loc, spot in own.items():
        if loc[:len(source)] == source:
            merged[(*at, *loc[len(source):])] = spot


def _by_id(data: dict) -> dict[str, list[tuple[tuple, dict]]]:
    """Every node, rule and reading of raw rubric data by id, with its location."""
    out: dict[str, list[tuple[tuple, dict]]] = defaultdict(list)

    def walk(items, loc):
        for i, item in enumerate(items if isinstance(items, list) else []):
            if isinstance(item, dict):
                if isinstance(item.get("id"), (str, int, float)):
                    out[str(item["id"])].append(((*loc, i), item))
                for key in ("children", "rules"):
                    walk(item.get(key), (*loc, i, key))

    walk(data.get("indicators"), ("indicators",))
    walk(data.get("readings"), ("readings",))
    return out


#: Parts a change may name besides node, rule and reading ids.
CHANGE_TARGETS = ("grades", "awards.excellent", "veto")


def change_targets(data: dict) -> dict[str, list[tuple[tuple, dict]]]:
    """What a change's id may name in raw rubric data: every node, rule and reading, and the grades, the award
    and the veto (:data:`CHANGE_TARGETS`), with their locations."""
    out = _by_id(data)
    for name in CHANGE_TARGETS:
        if name in out:  # a rule may be called veto (衡南): an id always means the node, rule or reading
            continue
        loc, part = tuple(name.split(".")), data
        for key in loc:
            part = part.get(key) if isinstance(part, dict) else None
        if isinstance(part, dict):
            out[name].append((loc, part))
    return out


def change_problems(data: dict, changes: list[Change]) -> list[str]:
    """Why ``changes`` cannot be applied to ``data`` (unknown or ambiguous ids, fields a change may not set)."""
    targets, out = change_targets(data), []
    for change in changes:
        found = targets.get(change.id, [])
        if len(found) != 1:
            out.append(f"{'没有' if not found else '有多个'}编号为 {change.id} 的节点、规则或读法")
        out += [f"{change.id}：不能更改 {f}" for f in change.set if f in ("id", "children", "rules")]
    return out


def with_changes(rubric: Rubric, changes: list[Change]) -> Rubric:
    """A copy of ``rubric`` with ``changes`` applied, validated again (raises ValueError when it does not apply)."""
    data = rubric.model_dump()
    problems = change_problems(data, changes)
    if problems:
        raise ValueError("；".join(problems))
    targets = change_targets(data)
    for change in changes:
        targets[change.id][0][1].update(copy.deepcopy(change.set))
    return Rubric.model_validate(data)


_MESSAGES = {  # the missing, unknown field and unknown kind messages are built by _teach
    "decimal_parsing": "应为数字",
    "decimal_type": "应为数字",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "string_type": "应为文字",
    "list_type": "应为列表",
    "model_type": "应为映射（键: 值）",
    "dict_type": "应为映射（键: 值）",
    "date_from_datetime_parsing": "应为日期 YYYY-MM-DD",
    "date_parsing": "应为日期 YYYY-MM-DD",
    "date_type": "应为日期 YYYY-MM-DD",
    "greater_than": "应大于 {gt}",
    "greater_than_equal": "应不小于 {ge}",
    "less_than_equal": "应不大于 {le}",
    "too_short": "至少需要 {min_length} 项",
    "string_too_short": "不能为空",
    "string_pattern_mismatch": "格式不符（应匹配 {pattern}）",
    "literal_error": "取值应为 {expected} 之一",
    "bool_parsing": "应为 true 或 false（是或否）",
    "bool_type": "应为 true 或 false（是或否）",
}


def _problem(file: str, data, where: Where, err, model: type[BaseModel] | None = None) -> Problem:
    """``err`` (one pydantic error of validating ``data`` into ``model``) as a located Problem; with the model, an
    unknown field, a missing one or an unknown kind is explained from it (:func:`_teach`)."""
    # pydantic puts the discriminator tag into the location; drop it to get the YAML path.
    loc, node = [], data
    for part in err["loc"]:
        if isinstance(node, dict) and isinstance(part, str) and part not in node and node.get("kind") == part:
            continue
        loc.append(part)
        node = node[part] if isinstance(node, (dict, list)) and _has(node, part) else None
    if err["type"] in ("union_tag_invalid", "union_tag_not_found"):
        loc.append("kind")  # the problem is the kind field, not the whole rule
    located = (err.get("ctx") or {}).get("error")
    if isinstance(located, Located) and isinstance(data, dict):
        found = _by_id(data).get(located.ident, []) if located.ident else [((), data)]
        if found:  # a duplicate id: at its second occurrence
            loc = [*found[-1][0], *located.field]
    line = None
    for i in range(len(loc), -1, -1):
        if tuple(loc[:i]) in where:
            file, line = where[tuple(loc[:i])]
            break
    template = _MESSAGES.get(err["type"])
    ctx = {k: (fmt(v) if isinstance(v, Decimal) else v) for k, v in (err.get("ctx") or {}).items()}
    try:
        message = template.format(**ctx) if template else err["msg"]
    except (KeyError, IndexError):
        message = err["msg"]
    if err["type"] in ("value_error", "assertion_error"):
        message = str(ctx.get("error", err["msg"])).removeprefix("Value error, ")
    taught = _teach(err, model)  # names the field itself: no "字段 x：" before it
    value = (err.get("ctx") or {}).get("tag") if err["type"] == "union_tag_invalid" else err.get("input")
    if isinstance(located, Located):  # the value of the field named, not the whole rubric
        value = data
        for part in loc:
            value = value[part] if isinstance(value, (dict, list)) and _has(value, part) else None
    shown = None if err["type"] == "missing" or isinstance(value, (dict, list)) else str(value)
    field = next((p for p in reversed(loc) if isinstance(p, str)), None)
    rule_id = _enclosing_rule_id(data, loc)
    if taught is None:
        taught = f"字段 {field}：{message}" if field else message
    return Problem(file, line, dotted(tuple(loc)) or "(根)", shown, err["type"], taught, rule_id)


def _teach(err, model: type[BaseModel] | None) -> str | None:
    """What an unknown field, a missing one or an unknown kind means, from the model: the fields allowed there
    and the nearest to what was written, the kinds by their Chinese names, a missing field's meaning with an
    example (for a rule's parameter, the kind's example clause)."""
    kind = err["type"]
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        listed = "、".join(f"{k}（{v.model.label}）" for k, v in kinds().items())
        if kind == "union_tag_not_found":
            return f"缺少规则类型 kind；可用的类型：{listed}"
        tag = str((err.get("ctx") or {}).get("tag", ""))
        near = _nearest_kind(tag)
        guess = f"，是否为 {near}（{kinds()[near].model.label}）？" if near else "。"
        return f"未知的规则类型 kind: {tag}{guess}可用的类型：{listed}"
    if kind not in ("extra_forbidden", "missing") or model is None or not err["loc"]:
        return None
    owner, name = _model_at(model, err["loc"][:-1]), err["loc"][-1]
    if owner is None or not isinstance(name, str):
        return None
    is_rule = issubclass(owner, RuleBase) and "kind" in owner.model_fields
    allowed = owner.field_order() if is_rule else list(owner.model_fields)
    whose = f"{owner.label}（{owner.name()}）" if is_rule else owner.model_config.get("title") or ""
    if kind == "missing":
        info = owner.model_fields.get(name)
        if info is None:
            return None
        meaning = f"：{info.description}" if info.description else ""
        if is_rule and name not in RuleBase.model_fields and name in owner.example:
            example = f"。例：「{owner.example['text']}」写作 {name}: {yaml_text(owner.example[name])}"
        elif info.examples:
            example = f"。例：{name}: {yaml_text(info.examples[0])}"
        else:
            example = ""
        return f"缺少必填字段 {name}{meaning}{example}"
    near = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
    fields = "、".join(allowed)
    others = [k for k in kinds().values() if is_rule and k.model is not owner and name in k.model.model_fields]
    if others and not near:
        having = "、".join(f"{k.model.label}（{k.name}）" for k in others)
        return f"未知字段 {name}（{whose}没有这个字段，{having}才有；{whose}可用的字段：{fields}）"
    guess = f"是否为 {near[0]}？" if near else ""
    return f"未知字段 {name}（拼写是否有误？{guess}{whose}可用的字段：{fields}）"


def _nearest_kind(tag: str) -> str | None:
    """The kind meant by ``tag``: one whose Chinese name it is (每次扣分), else the closest spelling."""
    by_label = {v.model.label: k for k, v in kinds().items()}
    if tag in by_label:
        return by_label[tag]
    near = difflib.get_close_matches(tag, list(kinds()), n=1, cutoff=0.6)
    near = near or difflib.get_close_matches(tag, list(by_label), n=1, cutoff=0.5)
    return by_label.get(near[0], near[0]) if near else None


def _model_at(model: type[BaseModel], loc) -> type[BaseModel] | None:
    """The model at pydantic error location ``loc`` inside ``model`` (a rule's location names its kind)."""
    t = model
    for part in loc:
        t, tagged = _unwrap(t, part)
        if tagged:
            continue
        if isinstance(t, type) and issubclass(t, BaseModel) and isinstance(part, str) and part in t.model_fields:
            t = t.model_fields[part].annotation
        elif get_origin(t) is list and isinstance(part, int):
            t = get_args(t)[0]
        elif get_origin(t) is dict and isinstance(part, str):
            t = get_args(t)[1]
        else:
            return None
    t, _ = _unwrap(t, None)
    return t if isinstance(t, type) and issubclass(t, BaseModel) else None


def _unwrap(t, tag) -> tuple[object, bool]:
    """``t`` without Annotated and None; of a union of rule kinds, the member whose kind is ``tag`` (True)."""
    while True:
        if get_origin(t) is Annotated:
            t = get_args(t)[0]
            continue
        if get_origin(t) in (Union, UnionType):
            members = [a for a in get_args(t) if a is not type(None)]
            hit = [a for a in members if isinstance(a, type) and issubclass(a, RuleBase) and a.name() == tag]
            if hit:
                return hit[0], True
            if len(members) == 1:
                t = members[0]
                continue
        return t, False


def yaml_text(value, flow: bool = False) -> str:
    """An example value as a rubric file writes it (flow style; a string quoted where YAML would read it otherwise).

    >>> yaml_text({"国家": 3, "省": 0.5}), yaml_text(["1.1", True]), yaml_text("扣1分,每次"), yaml_text(["a,b"])
    ('{国家: 3, 省: 0.5}', '["1.1", true]', '扣1分,每次', '["a,b"]')
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(yaml_text(v, flow=True) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {yaml_text(v, flow=True)}" for k, v in value.items()) + "}"
    if isinstance(value, str):
        try:
            read = yaml.safe_load(value)
        except yaml.YAMLError:
            read = None
        plain = read == value or (isinstance(read, date) and read.isoformat() == value)
        if flow and re.search(r"[\[\]{},:]", value):  # would end or split the item
            plain = False
        return value if plain else json.dumps(value, ensure_ascii=False)
    return str(value)


def _has(node, part) -> bool:
    if isinstance(node, dict):
        return part in node
    return isinstance(part, int) and 0 <= part < len(node)


def _enclosing_rule_id(data, loc) -> str | None:
    node, found = data, None
    for part in loc:
        if not (isinstance(node, (dict, list)) and _has(node, part)):
            break
        node = node[part]
        if isinstance(node, dict) and isinstance(node.get("id"), str):
            found = node["id"]
    return found


def describe_points(node: Node) -> str:
    return "无单独分值" if node.points is None else f"{fmt(node.points)} 分"
