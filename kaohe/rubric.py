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
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cached_property, lru_cache
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from .errors import Problem, RubricError
from .names import simplified
from .numbers import fmt
from .rules import Dec, NonNeg, Pos, Rule, RuleBase, kinds
from .yamlio import dotted, load_yaml

RUBRIC_DIR = Path(__file__).parent / "rubrics"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Model):
    """Where the rubric comes from: document title, issuer, 文号, the seed file, the part of it."""

    title: str
    issuer: str
    doc_no: str
    file: str
    part: str | None = None


class Period(_Model):
    start: date
    end: date

    @model_validator(mode="after")
    def _ordered(self):
        if self.start > self.end:
            raise ValueError(f"考核期开始 {self.start} 晚于结束 {self.end}")
        return self


class Band(_Model):
    grade: str
    min: Dec | None = Field(default=None, description="inclusive lower bound; None for the lowest band")


class Grades(_Model):
    """Grade bands, half-open: a score is in the first band whose ``min`` it reaches."""

    text: str
    reading: str
    bands: list[Band] = Field(min_length=1)

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

    name: str = "年度优秀单位"
    text: str
    min_score: Dec | None = None
    quota: int | None = Field(default=None, ge=0)
    reading: str | None = None


class Awards(_Model):
    excellent: Excellent | None = None


class Veto(_Model):
    """What a veto does to the year's result, as this rubric reads 一票否决."""

    grade: str
    reading: str


class Gate(_Model):
    """A part scored only when another part's score passes a threshold (国办 2019 检查指标: 扣分指标高于80分的,
    进入加分指标评分环节). ``inclusive``: at or above; else strictly above, as 高于 reads."""

    node: str = Field(min_length=1)
    above: Dec
    inclusive: bool = False
    text: str = Field(min_length=1)

    def passes(self, score: Decimal | None) -> bool:
        return score is not None and (score >= self.above if self.inclusive else score > self.above)

    def describe(self, name: str) -> str:
        return f"「{name}」得分{'达到' if self.inclusive else '高于'} {fmt(self.above)} 分" + ("（含）" if self.inclusive else "（不含）")


class FailMark(_Model):
    """评分结果低于60分，判定为不合格: a part's score strictly below ``below`` sets the unit's grade (no award)."""

    below: Dec
    grade: str = "不合格"
    text: str = Field(min_length=1)


class NotApplicable(_Model):
    """How a total is rescaled when optional parts do not apply to a unit (the roster's 不适用), one mechanism
    for every document: ``proportional`` — Σ applicable ÷ applicable maximum × full points (衡阳's 按比例折合,
    a department without 办事服务 × 4/3); ``redistribute`` — the missing points are shared evenly by the ``to``
    nodes, each of whose score is scaled by (its points + its share) ÷ its points (平均计入其他指标中);
    ``exclude`` — left out of both score and maximum. Rescaled scores are rounded 四舍五入 to ``decimals``."""

    rescale: Literal["proportional", "redistribute", "exclude"]
    text: str | None = None
    to: list[str] = []
    decimals: int = Field(default=2, ge=0, le=4)

    @model_validator(mode="after")
    def _targets(self):
        if (self.rescale == "redistribute") != bool(self.to):
            raise ValueError("rescale: redistribute 须用 to 列出分摊缺项分值的指标；其他方式不用 to")
        return self

    def describe(self) -> str:
        return {"proportional": "不适用的部分不列入，其余得分按比例折算到满分（得分 ÷ 适用满分 × 满分）",
                "redistribute": f"不适用部分的分值平均计入 {'、'.join(self.to)}，这些指标得分按（分值 + 分摊分值）÷ 分值折算",
                "exclude": "不适用的部分不列入得分，也不列入满分"}[self.rescale]


class Reading(_Model):
    """One entry of the assumptions log: a clause that can be read two ways, and the reading taken."""

    id: str
    about: str
    reading: str
    #: Where the reading bites, so a unit's report shows it only when it touched that unit: rule or node
    #: ids, ``kind:<kind>``, ``measurement``, ``capped`` (a cap cut a deduction) or ``all``.
    touches: list[str] = Field(min_length=1)


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

    id: str = Field(min_length=1)
    name: str
    #: The document's words that define this node (its weight or points), verbatim, where they exist.
    text: str | None = None
    points: NonNeg | None = None
    weight: NonNeg | None = None
    #: ``sum``: the score is the sum of the children's (a staged part: 扣分指标 + 加分指标), not clamped at points.
    combine: Literal["deduct", "weighted", "sum"] = "deduct"
    #: ``zero``: 得分制 — the node starts at 0 and gains (points earned, bonuses), within [0, points]; its
    #: descendants too unless one says ``full``. Unset: as the parent (``full`` at the top).
    start: Literal["full", "zero"] | None = None
    #: Scored only when another node's score passes (进入加分指标评分环节); else 0.
    gate: Gate | None = None
    #: A score below this mark makes the unit 不合格 (评分结果低于60分，判定为不合格).
    fail: FailMark | None = None
    #: A node that may not apply to a unit (marked in the roster's 不适用 column): left out of its total.
    optional: bool = False
    #: How a ``combine: sum`` node's total is rescaled when optional children do not apply.
    not_applicable: NotApplicable | None = None
    #: Below this score the unit loses eligibility for awards (衡阳: 12345 热线 低于90分, 取消年度评优资格).
    eligibility_min: Dec | None = None
    children: list[Node] = []
    rules: list[Rule] = []
    reading: str | None = None

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
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    version: int = Field(ge=1)
    #: ``draft``: a proposal under review, selected only as ``ID@N`` (``ID`` is the latest published).
    status: Literal["published", "draft"] = "published"
    #: What this version is and how it differs from the one before, in plain words (compare reports show it).
    description: str | None = None
    #: Ids of an earlier version that this one replaces: old id -> new id(s). One old id to one new id is a
    #: rename (several old ids to the same new one, a merge): evidence recorded against the old id lands on
    #: the new one. One old id to several new ids is a split, whose evidence needs a person to choose.
    replaces: dict[str, Annotated[list[str], BeforeValidator(_listed), Field(min_length=1)]] = {}
    title: str
    source: Source
    period: Period
    applies_to: list[str] = Field(min_length=1, description="roster categories this rubric scores")
    points: NonNeg
    grades: Grades | None = None  # some documents rank without grades (益阳 2020)
    #: 扣分制，总分 N 分，扣完为止: the items share one pool of points and have none of their own.
    pooled: bool = False
    #: The document's own words on the total, verbatim, where it states them (扣分制,总分100分,扣完为止).
    points_text: str | None = None
    #: Where the document's items do not add up to its total: how the total is read (else such a rubric
    #: is refused, as a node whose parts do not add up is unless its ``reading`` says how).
    points_reading: str | None = None
    #: How the total is formed: ``deduct`` (points − deductions, capped per node: 衡南, 益阳) or
    #: ``weighted`` (Σ weight% × top node score / its points × points: 郎溪's 40/30/30).
    aggregate: Literal["deduct", "weighted", "sum"] = "deduct"
    #: ``sum`` (衡阳 2018): Σ module scores over the modules that apply, converted to this scale
    #: (“按比例折合”): total = Σ ÷ applicable maximum × scale — ``not_applicable: {rescale: proportional}``.
    scale: Pos | None = None
    #: How the total of a ``sum`` rubric is rescaled when optional top-level parts do not apply.
    not_applicable: NotApplicable | None = None
    #: Levels (1 = top) whose nodes cap deductions at their points (二级、三级指标减分可突破自身分值，不可突破
    #: 一级指标: ``[1]``); default every node with points.
    cap_levels: list[Annotated[int, Field(ge=1)]] | None = Field(default=None, min_length=1)
    awards: Awards = Awards()
    veto: Veto | None = None
    readings: list[Reading] = []
    indicators: list[Node] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self):
        seen: set[str] = set()
        for node in self.nodes:
            for ident in [node.id, *(r.id for r in node.rules)]:
                if ident in seen:
                    raise ValueError(f"编号 {ident!r} 重复：节点与规则的编号在一个细则内必须唯一")
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
                raise ValueError(f"读法 {rd.id} 的 touches 含未知项 {'、'.join(bad)}：应为规则或节点编号、"
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


def rubric_path(id_or_path: str | Path) -> Path:
    """A bundled rubric (``ID`` for its latest published version, ``ID@N`` for version N) or a YAML file."""
    p = Path(id_or_path)
    if p.suffix.lower() in (".yaml", ".yml"):
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
    data, _ = load_yaml(path)
    based_on = data.get("based_on") if isinstance(data, dict) else None
    return [path, *rubric_files(rubric_path(based_on))] if isinstance(based_on, str) else [path]


Where = dict[tuple, tuple[str, int]]  # YAML path -> (file, line): a draft's fields come from two files


def load_model(model: type[BaseModel], path: Path):
    """Load a YAML file into ``model``; every invalid field becomes a located Problem."""
    data, where = _raw(Path(path), ())
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise RubricError([_problem(str(path), data, where, err) for err in exc.errors()]) from None


class _Change(_Model):
    id: str = Field(min_length=1)
    set: dict[str, object] = Field(min_length=1)


class _Overlay(_Model):
    model_config = ConfigDict(extra="allow", frozen=True)  # the other keys override the base's

    # A draft names itself: it never takes its base's identity, status, description or replacements.
    id: str
    version: int
    based_on: str = Field(pattern=REF.pattern)
    changes: list[_Change] = []


#: What a version says about itself, never inherited from the version it is based on.
_OWN = ("status", "description", "replaces")


def _raw(path: Path, seen: tuple[Path, ...]) -> tuple[object, Where]:
    """The file's data with each location's (file, line); a draft (``based_on``) is its base with the
    draft's top-level keys and ``changes`` applied, the changed fields located in the draft."""
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
        raise RubricError([_problem(name, data, where, err) for err in exc.errors()]) from None
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
    targets = _by_id(merged)
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


_MESSAGES = {
    "missing": "缺少必填字段",
    "extra_forbidden": "未知字段（拼写是否有误？）",
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
    "union_tag_invalid": "未知的规则类型 kind {tag}；可用的类型：{expected_tags}",
    "union_tag_not_found": "缺少规则类型字段 kind",
}


def _problem(file: str, data, where: Where, err) -> Problem:
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
        if len(found) == 1:
            loc = [*found[0][0], *located.field]
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
    value = (err.get("ctx") or {}).get("tag") if err["type"] == "union_tag_invalid" else err.get("input")
    if isinstance(located, Located):  # the value of the field named, not the whole rubric
        value = data
        for part in loc:
            value = value[part] if isinstance(value, (dict, list)) and _has(value, part) else None
    shown = None if err["type"] == "missing" or isinstance(value, (dict, list)) else str(value)
    field = next((p for p in reversed(loc) if isinstance(p, str)), None)
    rule_id = _enclosing_rule_id(data, loc)
    return Problem(file, line, dotted(tuple(loc)) or "(根)", shown, err["type"],
                   f"字段 {field}：{message}" if field else message, rule_id)


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
