"""Scores of composite rubrics: weighted (郎溪 2019: 40% 专业机构测评 + 30% 日常测评 + 30% 双向互评)
and summed modules (衡阳 2018: modules of 100, those that apply, converted to 100).

A node's score is its *base* minus the deductions (plus the bonuses) of the rules that belong to it,
kept within [0, points]; a clamp is written into the ledger rows it cuts. The base is, in this order:
the score a ``given`` rule of the node's own records; the weighted sum of its parts (``combine:
weighted``); the mean of its ``rater`` rows; the sum of its ``task`` rows; else its points (a
deduction table); a node scored only by evidence that does not exist yet has no score (None). A *part* of a weighted node is a descendant with a ``weight`` whose
own children carry no weights (a heading's weight is the sum of its items', which lint checks),
or a nested weighted node. Rules inside a part count in that part's score, not again above it.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from .numbers import fmt, round_half_up
from .rubric import Node, Rubric

ZERO = Decimal(0)
HUNDRED = Decimal(100)
#: Rule kinds that give a score rather than deduct one.
SCORE_KINDS = ("given", "rater", "task")


def parts(node: Node) -> Iterator[Node]:
    """The weighted parts of a weighted node (or of the rubric's top level)."""
    for child in node.children:
        weighted_kids = any(c.weight is not None for c in child.children)
        if child.combine == "weighted" or (child.weight is not None and not weighted_kids):
            yield child
        else:
            yield from parts(child)


def top_parts(rubric: Rubric) -> list[Node]:
    return [n for n in rubric.indicators if n.weight is not None]


def _own_rules(node: Node, inner: set[str]) -> Iterator:
    """Rules of ``node``'s subtree that are not inside one of its parts (``inner`` ids)."""
    yield from node.rules
    for child in node.children:
        if child.id not in inner:
            yield from _own_rules(child, inner)


class Scorer:
    """Scores of every node for one unit, from its entries after caps (see :mod:`kaohe.scoring`)."""

    def __init__(self, rubric: Rubric, entries: list[dict]):
        self.rubric = rubric
        self.entries = entries  # a clamp at 0 or full marks is written back into them (capped_by, reason)
        self.applied: dict[str, Decimal] = {}
        self.given: dict[str, Decimal] = {}
        self.raters: dict[str, list[Decimal]] = {}
        self.tasks: dict[str, list[Decimal]] = {}
        for e in entries:
            kind = e["kind"]
            if kind == "given" and not e["capped_by"]:  # the latest row (superseded ones are capped)
                self.given[e["rule"]] = e["value"]
            elif kind == "rater":
                self.raters.setdefault(e["rule"], []).append(e["value"])
            elif kind == "task":
                self.tasks.setdefault(e["rule"], []).append(e["value"])
            else:
                self.applied[e["rule"]] = self.applied.get(e["rule"], ZERO) + e["applied"]
        self.scores: dict[str, Decimal | None] = {}
        self.how: dict[str, str] = {}

    def score(self, node: Node) -> Decimal | None:
        if node.id in self.scores:
            return self.scores[node.id]
        points = node.points
        own_given = [r for r in node.rules if r.kind == "given" and r.id in self.given]
        rater_rules = [r for r in node.rules if r.kind == "rater" and self.raters.get(r.id)]
        inner: set[str] = set()
        if own_given:
            rule = own_given[0]
            base = self.given[rule.id] / rule.max * points
            self.how[node.id] = f"由 {rule.id} 给出 {fmt(self.given[rule.id])} 分"
            if node.combine == "weighted":
                inner = {p.id for p in parts(node)}
        elif node.combine == "weighted":
            ps = list(parts(node))
            inner = {p.id for p in ps}
            base, _ = self._weighted(ps, points)
            self.how[node.id] = f"{len(ps)} 个分项按权重合计 {fmt(base)} 分"
        elif rater_rules:
            rule = rater_rules[0]
            values = self.raters[rule.id]
            mean = round_half_up(sum(values, ZERO) / len(values), 2)
            base = mean / rule.max * points
            self.how[node.id] = f"{len(values)} 位评分人的平均分 {fmt(mean)}"
        elif task_rows := [v for r in node.rules if r.kind == "task" for v in self.tasks.get(r.id, [])]:
            base = sum(task_rows, ZERO)
            self.how[node.id] = f"{len(task_rows)} 项任务得分之和 {fmt(base)} 分"
        elif any(r.kind in SCORE_KINDS for r in node.rules):
            # Scored by evidence that does not exist (yet: a quarter before the agency's result).
            self.how[node.id] = "尚无得分记录，按 0 分计"
            self.scores[node.id] = None
            return None
        elif points is None:
            self.scores[node.id] = None
            return None
        else:
            base = points
            self.how[node.id] = f"满分 {fmt(points)} 分减扣分"
        own = {r.id for r in _own_rules(node, inner)}
        adjust = sum((self.applied.get(r, ZERO) for r in own), ZERO)
        if adjust and node.id in self.how and not self.how[node.id].startswith("满分"):
            self.how[node.id] += f"，加减分 {'+' if adjust < 0 else '−'}{fmt(abs(adjust))}"
        value = min(max(base - adjust, ZERO), points)
        if value != base - adjust:
            self.how[node.id] += f"，限于 0—{fmt(points)} 分"
            self._clamp(node, own, base - adjust - value)
        for child in node.children:
            self.score(child)
        self.scores[node.id] = value
        return value

    def _clamp(self, node: Node, own: set[str], excess: Decimal) -> None:
        """Write a clamp into the ledger: bonuses past full marks (``excess`` > 0) or deductions past
        zero (< 0) are cut, the latest first, as caps cut later rows."""
        sign = 1 if excess > 0 else -1  # cut bonuses (negative amounts) or deductions (positive)
        left = abs(excess)
        edge = f"满分 {fmt(node.points)} 分" if sign > 0 else "0 分"
        for e in reversed(self.entries):
            if left <= 0:
                break
            if e["rule"] not in own or e["kind"] in SCORE_KINDS or -sign * e["applied"] <= 0:
                continue
            cut = min(abs(e["applied"]), left)
            e["applied"] += sign * cut
            self.applied[e["rule"]] += sign * cut
            left -= cut
            e["capped_by"] = node.id
            e["reason"] = f"「{node.name}」（{node.id}）得分以{edge}为限，超出部分不计"

    def _weighted(self, ps: list[Node], points: Decimal) -> tuple[Decimal, list[str]]:
        total, terms = ZERO, []
        for p in ps:
            s = self.score(p)
            s = ZERO if s is None else s
            total += p.weight / HUNDRED * s / p.points * points
            terms.append(f"{fmt(p.weight)}%×{fmt(s)}/{fmt(p.points)}")
        return total, terms

    def total(self, left_out: frozenset[str] = frozenset()) -> tuple[Decimal, Decimal]:
        """(total, the maximum it is out of). Weighted: Σ weight% × score / points × the rubric's points.
        Summed (衡阳's modules): Σ scores of the modules that apply, out of their points."""
        rubric = self.rubric
        for top in rubric.indicators:
            self.score(top)
        if rubric.aggregate == "sum":
            for t in rubric.indicators:
                if t.id in left_out:
                    self.scores[t.id] = None
                    self.how[t.id] = "不适用，不列入考核"
                elif self.scores[t.id] is None:  # before its score exists (a quarter's bulletin)
                    self.how[t.id] = "尚无得分记录，暂不列入"
            tops = [t for t in rubric.indicators if self.scores[t.id] is not None]
            value = sum((self.scores[t.id] or ZERO for t in tops), ZERO)
            return value, sum((t.points for t in tops), ZERO)
        value, terms = self._weighted(top_parts(rubric), rubric.points)
        self.how["总分"] = " + ".join(terms)
        return value, rubric.points


def missing_scores(rubric: Rubric, has_row: set[str], left_out: frozenset[str] = frozenset()) -> list[str]:
    """The weighted parts of a unit that no evidence scores: a ``given`` node with no row (and, for a
    weighted node, not all of its parts scored either), a ``rater`` node with no rater."""
    out: list[str] = []

    def scored(node: Node) -> bool:
        if any(r.kind == "given" and r.id in has_row for r in node.rules):
            return True
        if node.combine == "weighted":
            return all(scored(p) for p in parts(node))
        kinds = {r.kind for r in node.rules}
        if kinds & set(SCORE_KINDS):
            return any(r.id in has_row for r in node.rules if r.kind in SCORE_KINDS)
        return True  # a deduction table: full points without findings

    tops = top_parts(rubric) if rubric.aggregate == "weighted" else rubric.indicators
    for p in tops:
        if p.id not in left_out and not scored(p):
            out.append(f"{p.id} {p.name}")
    return out


def weight_findings(rubric: Rubric) -> list[tuple[str, str]]:
    """(where, message) for weights that do not add up: the rubric's top level and each weighted node
    to 100%, and each heading to the sum of its items."""
    out = []

    def check(container_id: str, name: str, kids: list[Node]) -> None:
        weights = [k.weight for k in kids if k.weight is not None]
        if weights and sum(weights, ZERO) != HUNDRED:
            out.append((f"{container_id} {name}", f"下级权重合计 {fmt(sum(weights, ZERO))}%，不是 100%"))

    if rubric.aggregate == "weighted":
        check(rubric.id, "总分", rubric.indicators)
    for node in rubric.nodes:
        if node.combine == "weighted":
            check(node.id, node.name, node.children)
        elif node.weight is not None and any(c.weight is not None for c in node.children):
            kids = sum((c.weight for c in node.children if c.weight is not None), ZERO)
            if kids != node.weight:
                out.append((f"{node.id} {node.name}", f"下级权重合计 {fmt(kids)}%，与本项 {fmt(node.weight)}% 不符"))
    return out
