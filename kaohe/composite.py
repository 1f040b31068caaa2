"""Scores of composite rubrics: weighted (郎溪 2019: 40% 专业机构测评 + 30% 日常测评 + 30% 双向互评),
summed modules (衡阳 2018: modules of 100, those that apply, converted to 100) and staged schemes (单项否决
→ 扣分指标 with a fail mark → 加分指标 behind a gate, summed), with one rescaling of parts that do not apply.

A node's score is its *base* minus the deductions (plus the bonuses) of the rules that belong to it,
kept within [0, points] (a sum only above 0; below the rubric's ``cap_levels`` not at all); a clamp is
written into the ledger rows it cuts. The base is, in this order: the score a ``given`` rule of the
node's own records; the weighted sum of its parts (``combine: weighted``); the sum of its children's
scores, rescaled where some do not apply (``combine: sum``); the mean of its ``rater`` rows; the sum of
its ``task`` rows; 0 for a 得分制 node (``start: zero``); else its points (a deduction table). A node
scored only by evidence that does not exist yet has no score (None); so has one that does not apply or
that a veto stopped; a gate not passed scores 0. A *part* of a weighted node is a descendant with a ``weight`` whose
own children carry no weights (a heading's weight is the sum of its items', which lint checks),
or a nested weighted node. Rules inside a part count in that part's score, not again above it.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from .numbers import fmt, round_half_up
from .rubric import Node, NotApplicable, Rubric

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
    """Scores of every node for one unit, from its entries after caps (see :mod:`kaohe.scoring`).

    ``left_out``: the optional nodes that do not apply to the unit (the roster's 不适用). A node is not scored
    (None) when it does not apply, when a ``stop`` veto stops it, or when its gate is not passed (0); the rows
    of such a node apply nothing and say why.
    """

    def __init__(self, rubric: Rubric, entries: list[dict], left_out: frozenset[str] = frozenset()):
        self.rubric = rubric
        self.entries = entries  # a clamp at 0 or full marks is written back into them (capped_by, reason)
        self.left_out = left_out
        self.applied: dict[str, Decimal] = {}
        self.given: dict[str, Decimal] = {}
        self.raters: dict[str, list[Decimal]] = {}
        self.tasks: dict[str, list[Decimal]] = {}
        stops = []
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
                if kind == "veto" and rubric.rules[e["rule"]].effect == "stop":
                    stops.append(rubric.rules[e["rule"]])
        #: The first record of each stop veto, by the node it stops (None: the whole unit), in date order.
        self.stops: dict[str | None, object] = {}
        for rule in stops:
            self.stops.setdefault(rule.scope, rule)
        self.scores: dict[str, Decimal | None] = {}
        self.how: dict[str, str] = {}
        #: Each rescaling of parts that do not apply, in words, for the report (the total's own is shown apart).
        self.rescalings: list[str] = []
        #: How the total was formed, in words (Σ of the parts, a rescaling), for the report's composition.
        self.formula = ""
        #: The top-level parts not scored yet (a quarter before their score exists): left out of the sum.
        self.pending: set[str] = set()
        #: Parts whose score fell below their fail mark (评分结果低于60分，判定为不合格).
        self.failed: list[Node] = []
        #: What the report says of gates passed or not, in plain words.
        self.notes: list[str] = []

    def score(self, node: Node) -> Decimal | None:
        if node.id in self.scores:
            return self.scores[node.id]
        if node.id in self.left_out:
            return self._skip(node, None, "不适用，不列入考核")
        stop = self.stops.get(node.id) or self._stopped_by_unit(node)
        if stop is not None:
            value = stop.fixed_score if stop.scope == node.id else None
            what = f"单项否决（规则 {stop.id}）：不再评分"
            self._void(node, stop.id, what)
            return self._skip(node, value, what + (f"，计 {fmt(value)} 分" if value is not None else ""), what)
        if node.gate is not None:
            target = self.rubric.nodes_by_id[node.gate.node]
            passed = self.score(target)
            shown = "未评分" if passed is None else f"{fmt(passed)} 分"
            verb = "达到" if node.gate.inclusive else "高于"
            if not node.gate.passes(passed):
                what = f"「{target.name}」得分 {shown}，未{verb} {fmt(node.gate.above)} 分：不进入本项评分，计 0 分"
                self.notes.append(f"「{node.name}」：{what}（“{node.gate.text}”）")
                self._void(node, node.id, what)
                return self._skip(node, ZERO, what, "未进入评分环节")
            self.notes.append(f"「{target.name}」得分 {shown}，{verb} {fmt(node.gate.above)} 分：进入「{node.name}」评分"
                              f"（“{node.gate.text}”）")
        points = node.points
        own_given = [r for r in node.rules if r.kind == "given" and r.id in self.given]
        rater_rules = [r for r in node.rules if r.kind == "rater" and self.raters.get(r.id)]
        inner: set[str] = set()
        # cap_levels lifts deduction caps only: what a 得分制 part can earn stays within its points
        bounded = self.rubric.caps(node) or node.id in self.rubric.starts_at_zero
        upper, lower = (points, ZERO) if bounded else (None, None)
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
        elif node.combine == "sum":
            inner = {c.id for c in node.children}
            summed = self.combine_sum(node.children, points, node.not_applicable)
            if summed is None:
                return self._skip(node, None, "下级均不适用，不列入")
            base, _, _, text = summed
            self.how[node.id] = text
            upper = None  # a bonus part may take a staged part past its points (documents say so: reading)
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
            self.pending.add(node.id)
            return None
        elif points is None:
            self.scores[node.id] = None
            return None
        elif node.id in self.rubric.starts_at_zero:
            base = ZERO
            self.how[node.id] = f"得分制：从 0 分起计所得，最高 {fmt(points)} 分"
        else:
            base = points
            self.how[node.id] = f"满分 {fmt(points)} 分减扣分"
        for child in node.children:  # first: a child's clamp changes what its rows apply above it
            self.score(child)
        own = {r.id for r in _own_rules(node, inner)}
        adjust = sum((self.applied.get(r, ZERO) for r in own), ZERO)
        if adjust and node.id in self.how and not self.how[node.id].startswith("满分"):
            self.how[node.id] += f"，加减分 {'+' if adjust < 0 else '−'}{fmt(abs(adjust))}"
        value = base - adjust
        if lower is not None:
            value = max(value, lower)
        if upper is not None:
            value = min(value, upper)
        if value != base - adjust:
            self.how[node.id] += f"，限于 0—{fmt(points)} 分" if upper is not None else "，不低于 0 分"
            self._clamp(node, own, base - adjust - value)
        self.scores[node.id] = value
        if node.fail is not None and value < node.fail.below:
            self.failed.append(node)
        return value

    def _stopped_by_unit(self, node: Node):
        """The unit's stop veto, for any node with points (其余部分不再评分: the unit's score is fixed)."""
        stop = self.stops.get(None)
        return stop if stop is not None and self.rubric.effective_points[node.id] is not None else None

    def _skip(self, node: Node, value: Decimal | None, what: str, below: str | None = None) -> Decimal | None:
        """``node`` gets ``value`` without being scored; its descendants are not scored either (``below``
        says why, without the node's own score)."""
        for n in node.walk():
            self.scores[n.id] = value if n is node else None
            self.how[n.id] = what if n is node else (below or what)
        return value

    def _void(self, node: Node, by: str, why: str) -> None:
        """The rows under ``node`` apply nothing (a part not scored)."""
        rules = {r.id for n in node.walk() for r in n.rules}
        for e in self.entries:
            if e["rule"] in rules and e["kind"] not in SCORE_KINDS and e["applied"]:
                self.applied[e["rule"]] -= e["applied"]
                e["applied"] = ZERO
                e["capped_by"], e["reason"] = by, why
        for r in (x for x in rules if x in self.given):
            del self.given[r]
        for store in (self.raters, self.tasks):
            for r in [x for x in store if x in rules]:
                del store[r]

    def combine_sum(self, kids: list[Node], full: Decimal | None, rescale: NotApplicable | None,
                    shown: bool = True) -> tuple[Decimal, Decimal, Decimal, str] | None:
        """(score, Σ scores, the maximum they are out of, how) of parts that add up — a staged part, 衡阳's
        modules, a table of first-level items — with the parts that do not apply rescaled as the rubric
        says; None when no part applies. Parts without a score (not applicable, not scored yet, no points)
        are left out. A 得分制 part (a bonus part) is added after the rescaling, unscaled: 其余指标得分之和乘以4/3
        speaks of the items, not of the bonus. ``shown``: the rescaling goes into the report's notes."""
        for k in kids:
            self.score(k)
        points, zero = self.rubric.effective_points, self.rubric.starts_at_zero
        counted = [k for k in kids if self.scores[k.id] is not None and points[k.id] is not None]
        if not counted and any(k.id in self.left_out for k in kids):
            return None
        base = [k for k in counted if k.id not in zero]
        extra = [k for k in counted if k.id in zero]
        subtotal = sum((self.scores[k.id] for k in counted), ZERO)
        out_of = sum((points[k.id] for k in counted), ZERO)
        missing = [k for k in kids if k.id in self.left_out and points[k.id] is not None]
        terms = " + ".join(fmt(self.scores[k.id]) for k in counted)
        text = f"各部分得分之和 {terms} = {fmt(subtotal)} 分" if len(counted) > 1 else f"得分 {fmt(subtotal)} 分"
        if missing:
            text += f"（{'、'.join(k.name for k in missing)}不适用）"
        plain = sum((self.scores[k.id] for k in base), ZERO)
        bonus = subtotal - plain
        plain_max = sum((points[k.id] for k in base), ZERO)
        value = subtotal
        if rescale is None or rescale.rescale == "exclude" or full is None or not base:
            pass
        elif rescale.rescale == "proportional":
            scaled = round_half_up(plain / plain_max * full, rescale.decimals) if plain_max else ZERO
            value = scaled + bonus
            if missing or plain_max != full:
                text = (f"{text}，按比例折算：{fmt(plain)} ÷ {fmt(plain_max)} × {fmt(full)} = {fmt(scaled)} 分"
                        + (f"，加 {'、'.join(k.name for k in extra)} {fmt(bonus)} 分 = {fmt(value)} 分" if extra else ""))
                if shown:
                    self.rescalings.append(text)
        elif missing:
            lost = sum((points[k.id] for k in missing), ZERO)
            targets = [k for k in base if k.id in rescale.to]
            if not targets:  # every target is itself out (a veto stopped it): nothing to share the points with
                return value, subtotal, out_of, text
            share = lost / len(targets)
            steps = []
            for k in targets:
                s, p = self.scores[k.id], points[k.id]
                scaled = round_half_up(s * (p + share) / p, rescale.decimals)
                value += scaled - s
                steps.append(f"{k.name} {fmt(s)} × ({fmt(p)} + {fmt(share)}) ÷ {fmt(p)} = {fmt(scaled)}")
            text = (f"{'、'.join(k.name for k in missing)}不适用，其分值 {fmt(lost)} 分平均计入 {len(targets)} 项指标："
                    f"{'；'.join(steps)}；合计 {fmt(value)} 分")
            if shown:
                self.rescalings.append(text)
            return value, value, out_of + lost, text
        return value, subtotal, out_of, text

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

    def total(self) -> tuple[Decimal, Decimal, Decimal]:
        """(total, subtotal, the maximum the subtotal is out of). Weighted: Σ weight% × score / points × the
        rubric's points. Summed (衡阳's modules, a staged scheme): Σ scores of the parts that apply, rescaled
        as the rubric says (衡阳's ``scale``: Σ ÷ applicable maximum × scale). A unit stopped by a veto gets
        the veto's score."""
        rubric = self.rubric
        if rubric.aggregate == "sum":
            rescale = rubric.not_applicable or (NotApplicable(rescale="proportional") if rubric.scale else None)
            summed = self.combine_sum(rubric.indicators, rubric.scale or rubric.points, rescale, shown=False)
            value, subtotal, out_of, self.formula = summed or (ZERO, ZERO, ZERO, "")
            for t in rubric.indicators:
                if t.id in self.pending:  # before its score exists (a quarter's bulletin)
                    self.how[t.id] = "尚无得分记录，暂不列入"
        else:
            for top in rubric.indicators:
                self.score(top)
            value, terms = self._weighted(top_parts(rubric), rubric.points)
            self.how["总分"] = " + ".join(terms)
            subtotal, out_of = value, rubric.points
        stop = self.stops.get(None)
        if stop is not None:  # the report says why, with the clause and the record
            value = stop.fixed_score
        return value, subtotal, out_of


def verdict(rubric: Rubric, vetoes: list, scorer: Scorer | None, total: Decimal) -> tuple[str, bool, bool, tuple[str, ...]]:
    """(grade, vetoed, barred from awards, what the report says) of one unit, from the veto rules its records
    hit (in date order) and, in a composite rubric, its scorer: a ``grade`` or ``stop`` veto sets the grade and
    ranks the unit after the others; a part under its fail mark sets the grade and bars awards; a
    ``no_award`` veto bars awards only."""
    grade = rubric.grades.grade(total) if rubric.grades else ""
    # a stop veto of one part fixes that part's score; it vetoes the unit only when it names a grade
    vetoing = [r for r in vetoes if r.effect == "grade" or (r.effect == "stop" and (r.scope is None or r.grade))]
    barred = any(r.effect == "no_award" for r in vetoes)
    notes = list(scorer.notes) if scorer else []
    notes += [f"折算：{text}" for text in (scorer.rescalings if scorer else [])]
    for node in scorer.failed if scorer else []:
        notes.append(f"「{node.name}」得分 {fmt(scorer.scores[node.id])} 分，低于 {fmt(node.fail.below)} 分："
                     f"判定为「{node.fail.grade}」（“{node.fail.text}”），不参加评优")
    for r in {r.id: r for r in vetoes if r.effect == "no_award"}.values():
        notes.append(f"规则 {r.id}（“{r.text}”）：取消评优资格，照常计分排名")
    if vetoing:  # the report quotes the vetoing clause and its record (report.unit_result)
        first = vetoing[0]
        grade = first.grade or (rubric.veto.grade if rubric.veto else None) or grade
    elif scorer and scorer.failed:
        grade, barred = scorer.failed[0].fail.grade, True
    return grade, bool(vetoing), barred, tuple(notes)


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
