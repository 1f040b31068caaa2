"""``score()``: evidence in, a traceable result out. Pure and deterministic.

Arithmetic is ``Decimal`` from the text as written (15 − 5.7 is 9.3); where a rule must
round, it rounds 四舍五入 and says so. Deductions are taken in a fixed order — date, then the
rule's place in the rubric, then the evidence id — so caps cut the same rows whatever the
row order of the ledger, and a quarter's figures never change when later evidence arrives.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd

from .composite import SCORE_KINDS, Scorer, verdict
from .errors import InputError, Problem
from .ledger import Evidence, Roster, load_evidence, load_roster, objects
from .numbers import fmt
from .rubric import Node, Rubric
from .rules import amount
from .validate import check, in_scope, resolve

LEDGER_COLUMNS = ["unit", "category", "node", "rule", "kind", "evidence_id", "date", "raw", "applied",
                  "capped_by", "reason", "working", "file", "row"]
NODE_COLUMNS = ["unit", "node", "name", "depth", "points", "deducted", "score", "basis"]
UNIT_COLUMNS = ["unit", "category", "points", "deducted", "total", "subtotal", "max", "grade", "rank", "vetoed",
                "disqualified", "ineligible", "excellent", "excellent_pending", "notes", "formula"]
#: The scores CSV contract (``kaohe score`` and ``kaohe run``): these seven columns first, in this order …
SCORE_HEADER = ["unit", "category", "total", "grade", "rank", "vetoed", "excellent"]
#: … then those of these a rubric of the run has (:attr:`Result.score_extras`), in this order: the qualification
#: flags (取消评价资格, 取消评优资格), so that a unit barred from the ranking or the awards does not read as any other,
#: and the part totals a converted total comes from (模块合计 of 适用满分).
SCORE_EXTRAS = ["disqualified", "ineligible", "subtotal", "subtotal_max"]
ZERO = Decimal(0)
ONE = Decimal(1)


@dataclass(frozen=True)
class Result:
    """What :func:`score` returns. Every table holds Decimals, never floats.

    Attributes:
        units: one row per roster unit in scope: total, grade ("" when the rubric has none), rank
            (ties share: 1, 1, 3; None for a disqualified unit, which is listed last), vetoed,
            disqualified, ``ineligible`` (a module under its eligibility minimum: no award), excellent,
            and ``excellent_pending`` for a tie across the quota boundary. ``subtotal`` out of ``max``
            is the sum before conversion (衡阳's modules that apply); elsewhere it equals total/points.
        nodes: each node's points, deducted and score per unit (score None where the node
            has no points of its own); in a weighted rubric, ``basis`` says how the score was formed.
            ``ineligible`` also holds a part under its fail mark and a veto that bars awards only.
            ``notes``: sentences the unit report prints (a gate passed or not, a fail mark, a rescaling of parts
            that do not apply); ``formula``: how a composite total was formed, in words.
        ledger: one row per evidence row that reached a rule: raw amount, applied amount after
            caps and, where they differ, ``capped_by`` (rule or node id) and ``reason``; ``working``, the
            computation in words and numbers (the kind's ``arithmetic``, then each cap that cut the row).
        decisions: ties across the excellent quota, for the office to decide (never broken here).
    """

    rubric: Rubric
    as_of: date | None
    units: pd.DataFrame
    nodes: pd.DataFrame
    ledger: pd.DataFrame
    decisions: pd.DataFrame
    #: How many units were scored, when ``units`` holds only some of them (one unit's slice of a run).
    of: int | None = None

    @property
    def size(self) -> int:
        """The number of units scored (and ranked among)."""
        return len(self.units) if self.of is None else self.of

    @property
    def score_extras(self) -> list[str]:
        """The columns of :data:`SCORE_EXTRAS` this rubric has, as its 通报 table has them (:meth:`bulletin`):
        ``disqualified`` with a 取消评价资格 rule, ``ineligible`` where something other than a veto bars awards,
        ``subtotal`` and ``subtotal_max`` where the total is converted from the parts' sum (衡阳's 折合)."""
        r = self.rubric
        has = {"disqualified": any(rule.kind == "disqualify" for rule in r.rules.values()),
               "ineligible": r.bars_awards, "subtotal": r.rescaled, "subtotal_max": r.rescaled}
        return [c for c in SCORE_EXTRAS if has[c]]

    def table(self) -> pd.DataFrame:
        """The scores in the CLI's contract as text: :data:`SCORE_HEADER`, then every column of
        :data:`SCORE_EXTRAS` (where the rubric has no such thing, the plain value: false, or the total out of
        full points); :func:`scores_table` keeps those the run's rubrics have."""
        u = self.units
        return pd.DataFrame({
            "unit": u["unit"], "category": u["category"], "total": u["total"].map(fmt),
            "grade": u["grade"], "rank": u["rank"].map(lambda r: "" if r is None else int(r)),
            "vetoed": u["vetoed"].map(_bool), "excellent": u["excellent"].map(_bool),
            "disqualified": u["disqualified"].map(_bool), "ineligible": u["ineligible"].map(_bool),
            "subtotal": u["subtotal"].map(fmt), "subtotal_max": u["max"].map(fmt),
        })

    def bulletin(self) -> pd.DataFrame:
        """The 通报 table with Chinese headers, in ranking order; columns follow the rubric: 等次 only
        when it grades, 一票否决 / 取消评价资格 only when it has such a rule, the award by its name.
        Scores stay Decimal; a disqualified unit's 排名 reads 取消资格."""
        r, u = self.rubric, self.units
        kinds = {rule.kind for rule in r.rules.values()}
        out = pd.DataFrame({"排名": [("取消资格" if k is None else int(k)) for k in u["rank"]],
                            "单位": u["unit"], "类别": u["category"], "得分": u["total"],
                            # a weighted total loses points in its parts rather than deducting them
                            ("扣分" if r.aggregate == "deduct" else "失分"): u["deducted"]})
        if r.grades:
            out["等次"] = u["grade"]
        if r.can_veto:
            out["一票否决"] = u["vetoed"].map({True: "是", False: ""})
        if "disqualify" in kinds:
            out["取消评价资格"] = u["disqualified"].map({True: "是", False: ""})
        if r.rescaled:
            out.insert(4, "模块合计", u["subtotal"])
            out.insert(5, "适用满分", u["max"])
        if r.bars_awards:
            out["取消评优资格"] = u["ineligible"].map({True: "是", False: ""})
        if r.awards.excellent:
            out[r.awards.excellent.name] = [excellent_label(e, p) for e, p in zip(u["excellent"], u["excellent_pending"])]
        return out


def scores_table(results: list[Result]) -> pd.DataFrame:
    """The scores CSV of ``kaohe score`` and ``kaohe run``: :data:`SCORE_HEADER`, then the columns of
    :data:`SCORE_EXTRAS` that any of the run's rubrics has, one row per unit scored."""
    has = {c for r in results for c in r.score_extras}
    columns = SCORE_HEADER + [c for c in SCORE_EXTRAS if c in has]
    if not results:
        return pd.DataFrame(columns=columns)
    return pd.concat([r.table() for r in results], ignore_index=True)[columns]


def excellent_label(excellent: bool, pending: bool) -> str:
    """年度优秀 as the 通报 tables show it: 是, 待定 (a tie across the quota, for the office to decide) or blank."""
    return "待定" if pending else ("是" if excellent else "")


def _bool(v: bool) -> str:
    return "true" if v else "false"


def score(rubric: Rubric, roster, evidence, as_of: date | None = None) -> Result:
    """Score every roster unit the rubric applies to.

    Args:
        rubric: a loaded :class:`~kaohe.rubric.Rubric`.
        roster: a :class:`~kaohe.ledger.Roster` or a DataFrame with ``unit, category``.
        evidence: an :class:`~kaohe.ledger.Evidence` or a DataFrame with the canonical columns.
        as_of: only evidence dated up to this day counts (the quarterly year-to-date figures);
            a date or ``YYYY-MM-DD`` text inside the rubric's period.

    Raises:
        InputError: with every problem in the inputs; nothing is scored.
    """
    roster = roster if isinstance(roster, Roster) else load_roster(roster)
    evidence = resolve([rubric], roster, evidence if isinstance(evidence, Evidence) else load_evidence(evidence))
    as_of, as_of_problems = parse_as_of(as_of, [rubric])
    problems = as_of_problems + check([rubric], roster, evidence, every_category_scored=False)
    if problems:
        raise InputError(problems)
    return score_checked(rubric, roster, evidence, as_of)


def parse_as_of(value, rubrics: list[Rubric], source: str = "as_of") -> tuple[date | None, list[Problem]]:
    """``as_of`` as a date inside every rubric's period; text such as 2020-03-31 is accepted."""
    if value is None or value == "":
        return None, []
    if not isinstance(value, date):
        try:
            value = date.fromisoformat(str(value).strip())
        except ValueError:
            return None, [Problem(source, None, "as_of", str(value), "bad_date", "不是有效日期，应为 YYYY-MM-DD，如 2020-03-31")]
    for r in rubrics:
        last = max([r.period.end, *(x.records_until for x in r.rules.values() if x.records_until)])
        if not (r.period.start <= value <= last):
            return None, [Problem(source, None, "as_of", value.isoformat(), "date_outside_period",
                                  f"计分日不在细则 {r.ref} 的考核期 {r.period.start} 至 {last} 内")]
    return value, []


_DIGITS = re.compile(r"(\d+)")


def _natural(s: str):
    return tuple((0, int(t), "") if t.isdigit() else (1, 0, t) for t in _DIGITS.split(s))


@dataclass(frozen=True)
class _Shape:
    """What scoring needs of a rubric's tree, worked out once per rubric rather than once per unit. Arrays are
    indexed by a rule's place in the rubric (its position in ``rubric.rules``) and a node's in ``nodes``."""

    ids: np.ndarray  # rule ids (object)
    kinds: np.ndarray  # rule kinds (object)
    node_of: np.ndarray  # each rule's node id (object)
    measurement: np.ndarray  # bool: only the latest row per unit counts
    #: [rule, node]: the node is the rule's node or an ancestor of it (its deductions count there)
    under: np.ndarray
    nodes: tuple[tuple[Node, int], ...]  # (node, depth) in document order

    @property
    def rule_pos(self) -> dict[str, int]:
        return {rid: i for i, rid in enumerate(self.ids)}


_shapes: dict[int, tuple[Rubric, _Shape]] = {}


def _shape(rubric: Rubric) -> _Shape:
    hit = _shapes.get(id(rubric))
    if hit is not None and hit[0] is rubric:
        return hit[1]
    nodes = tuple(_with_depth(rubric.indicators))
    column = {node.id: j for j, (node, _) in enumerate(nodes)}
    under = np.zeros((len(rubric.rules), len(nodes)), dtype=np.int64)
    for i, rid in enumerate(rubric.rules):
        for n in rubric.ancestors(rubric.rule_node[rid]):
            under[i, column[n.id]] = 1
    rules = list(rubric.rules.values())
    shape = _Shape(objects([r.id for r in rules]), objects([r.kind for r in rules]),
                   objects([rubric.rule_node[r.id].id for r in rules]),
                   np.array([r.measurement for r in rules], dtype=bool), under, nodes)
    if len(_shapes) > 64:
        _shapes.clear()
    _shapes[id(rubric)] = (rubric, shape)
    return shape


@dataclass
class _Table:
    """One rubric's entries as columns, in scoring order (see :func:`_table`). ``applied`` is exact: integers
    in units of 10**-places while caps are cut (object dtype, Python ints, where int64 could overflow), then
    Decimals once a weighted or summed score has clamped some rows."""

    unit: np.ndarray  # position in the units scored
    rule: np.ndarray  # position in rubric.rules
    id: np.ndarray  # evidence id
    date: np.ndarray
    file: np.ndarray
    row: np.ndarray
    #: rows with the same rule and inputs (kaohe.rules.INPUTS) share a code; ``sample`` has one row per code
    code: np.ndarray
    sample: list
    raw: np.ndarray  # Decimal before caps
    raw_scaled: np.ndarray
    applied: np.ndarray
    places: int
    capped_by: np.ndarray  # "" or the rule or node that cut the row
    reason: np.ndarray
    working: np.ndarray  # the kind's arithmetic, per row
    cuts: np.ndarray  # "" or what each cap did to the row (该项已扣 7 分，分值 10 分，实扣 3), in the order cut

    def __post_init__(self):
        self._decimals: dict[int, Decimal] = {}

    def decimal(self, v) -> Decimal:
        """An amount of ``applied`` as a Decimal."""
        if isinstance(v, Decimal):
            return v
        v = int(v)
        d = self._decimals.get(v)
        if d is None:
            d = Decimal(v).scaleb(-self.places)
            d = self._decimals[v] = d.quantize(ONE) if d == d.to_integral_value() else d.normalize()
        return d

    def scaled(self, d: Decimal) -> int:
        return int(d.scaleb(self.places))

    def bounds(self, n_units: int) -> np.ndarray:
        """Where each unit's rows start (and the last ends): rows are grouped by unit."""
        return np.searchsorted(self.unit, np.arange(n_units + 1))


def _table(rubric: Rubric, shape: _Shape, units: list[str], evidence: Evidence, as_of: date | None) -> _Table:
    """Each unit's rows together, in the order of ``units``; within a unit by date, then the rule's place in
    the rubric, then the evidence id in natural order (R2 before R10). Raw amounts and the notes of rows that
    deduct nothing are worked out once per distinct rule and inputs."""
    c = evidence.columns()
    where = {u: i for i, u in enumerate(units)}
    unit = c.unit_at(where)
    keep = unit >= 0
    if as_of is not None:
        keep &= c.day <= as_of.toordinal()
    keep = np.flatnonzero(keep)
    rule_pos = shape.rule_pos
    unit, day, ids, code = unit[keep], c.day[keep], c.id[keep], c.code[keep]
    rule = c.rule_at(rule_pos)[keep]
    order = _natural_ties(np.lexsort((rule, day, unit)), ids, unit, day, rule)
    keep, code = keep[order], code[order]

    rules = rubric.rules
    used = np.unique(code)  # codes of other rubrics' rows may name rules this rubric lacks
    amounts = {k: amount(rules[c.sample[k].rule], c.sample[k]) for k in used.tolist()}
    limits = [r.effective_cap() for r in rules.values()] + list(rubric.effective_points.values()) + [rubric.points]
    numbers = [*amounts.values(), *(x for x in limits if x is not None)]
    places = max((max(0, -d.as_tuple().exponent) for d in numbers), default=0)
    largest = max([abs(int(x.scaleb(places))) for x in numbers] or [0])
    dtype = np.int64 if largest * (len(keep) + 1) < 2**62 else object  # sums stay exact either way
    raw, raw_scaled = np.empty(len(c.sample), dtype=object), np.zeros(len(c.sample), dtype=dtype)
    notes, works = np.full(len(c.sample), "", dtype=object), np.full(len(c.sample), "", dtype=object)
    for k, a in amounts.items():
        f = c.sample[k]
        raw[k], raw_scaled[k], notes[k] = a, int(a.scaleb(places)), _note(rubric, rules[f.rule], f)
        works[k] = rules[f.rule].arithmetic(f, a)
    t = _Table(unit[order], rule[order], ids[order], c.date[keep], c.file[keep], c.row[keep],
               code, c.sample, raw[code], raw_scaled[code], raw_scaled[code], places,
               np.full(len(keep), "", dtype=object), notes[code], works[code], np.full(len(keep), "", dtype=object))
    _supersede(t, shape)
    return t


def _natural_ties(order: np.ndarray, ids: np.ndarray, *keys: np.ndarray) -> np.ndarray:
    """``order`` with each run of rows equal in every key put in natural order of the evidence id."""
    if len(order) < 2:
        return order
    same = np.ones(len(order) - 1, dtype=bool)
    for k in keys:
        k = k[order]
        same &= k[1:] == k[:-1]
    at = np.flatnonzero(same)  # row at+1 ties with row at
    if not len(at):
        return order
    order = order.copy()
    gap = np.r_[True, at[1:] != at[:-1] + 1]
    for start, end in zip(at[gap].tolist(), (at[np.r_[gap[1:], True]] + 2).tolist()):
        order[start:end] = sorted(order[start:end].tolist(), key=lambda i: _natural(ids[i]))
    return order


def _note(rubric: Rubric, rule, f) -> str:
    """What the ledger says of a row that deducts nothing by its kind."""
    if rule.kind == "veto":
        if rule.effect == "no_award":
            return "取消评优资格：不扣分，照常计分排名"
        if rule.effect == "stop":
            where = f"「{rubric.nodes_by_id[rule.scope].name}」" if rule.scope else "其余部分"
            return f"单项否决：不扣分，{where}不再评分，计 {fmt(rule.fixed_score)} 分"
        return "一票否决：不扣分，该年考核结果否决"
    if rule.kind == "disqualify":
        return "取消年度评价资格：不扣分，不参加排名和评优"
    if rule.kind == "unscored":
        return "原文未规定扣分额度：只记录，不扣分"
    if rule.kind == "task":
        return f"任务{rule.explain(f)}（不扣分，计入「{rubric.rule_node[rule.id].name}」的得分）"
    if rule.kind in SCORE_KINDS:
        return f"得分记录：{fmt(f.value)} 分（不扣分，用于计算「{rubric.rule_node[rule.id].name}」的得分）"
    return ""


def _supersede(t: _Table, shape: _Shape) -> None:
    """A measurement counts only in its unit's latest row of that rule; earlier rows apply nothing."""
    m = np.flatnonzero(shape.measurement[t.rule])
    if not len(m):
        return
    group = t.unit[m] * len(shape.ids) + t.rule[m]
    m = m[np.argsort(group, kind="stable")]  # each group together, in table (date) order
    group = t.unit[m] * len(shape.ids) + t.rule[m]
    last = np.r_[group[1:] != group[:-1], True]
    newest = m[last][np.cumsum(np.r_[True, last[:-1]]) - 1]  # each row's group's last row
    old, newer = m[~last], newest[~last]
    if not len(old):
        return
    why = {j: f"已被 {t.date[j]} 的较新测量值（编号 {t.id[j]}）取代，只计最新一条" for j in set(newer.tolist())}
    t.applied[old] = 0
    t.capped_by[old] = shape.ids[t.rule[old]]
    t.reason[old] = objects([why[j] for j in newer.tolist()])
    t.cuts[old] = "已被较新的测量值取代，实扣 0"


def _cut(t: _Table, rows: np.ndarray, cap: Decimal, by: str, why: str, sign: int = 1,
         what: tuple[str, str] = ("本条", "全年至多扣")) -> None:
    """Keep each unit's running sum of ``applied`` over ``rows`` (in table order) within ``cap``: the row that
    crosses it keeps the room left, later rows nothing. ``sign=-1`` caps bonuses (negative amounts) by size.
    ``what`` names the capped thing and its limit in the row's working (「该项」已扣 7 分，分值 10 分，实扣 3)."""
    if not len(rows):
        return
    size = np.maximum(t.applied[rows] * sign, 0)
    running = _running_sum(size, t.unit[rows])
    limit = t.scaled(cap)
    over = (size > 0) & (running > limit)
    if over.any():
        before = (running - size)[over]
        room = np.maximum(limit - before, 0)
        hit = rows[over]
        t.applied[hit] = room * sign
        t.capped_by[hit] = by
        t.reason[hit] = why
        # What was taken before the row (at most the cap) fixes the sentence: room is cap − taken. Rows past the
        # cap share one sentence, so a sentence is written once per distinct amount taken, not once per row.
        taken, which = np.unique(np.minimum(before, limit), return_inverse=True)
        verb = "加" if sign < 0 else "扣"
        said = objects([f"{what[0]}已{verb} {fmt(t.decimal(b))} 分，{what[1]} {fmt(cap)} 分，实{verb} {fmt(t.decimal(limit - b))}"
                        for b in taken.tolist()])[which.ravel()]
        earlier = t.cuts[hit]
        again = np.flatnonzero(earlier != "")  # an inner cap cut the row already: both are said, in order
        said[again] = earlier[again] + ("；" + said[again])
        t.cuts[hit] = said


def _running_sum(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Cumulative sum of ``values`` restarting at each new value of ``groups`` (rows of a group are together)."""
    total = np.cumsum(values)
    start = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    before = np.r_[values[:0], 0, total[start[1:] - 1]]
    return total - np.repeat(before, np.diff(np.r_[start, len(values)]))


def _apply_caps(rubric: Rubric, t: _Table, shape: _Shape) -> None:
    """Rule caps, then node caps innermost first (so an outer, pooled cap sees what the inner caps left),
    then, in a deduct rubric, the total: 扣完为止."""
    by_rule = np.argsort(t.rule, kind="stable")  # each rule's rows together, in table order
    cuts = np.searchsorted(t.rule[by_rule], np.arange(len(shape.ids) + 1))
    for i, (rid, rule) in enumerate(rubric.rules.items()):
        cap = rule.effective_cap()
        if cap is None or cuts[i] == cuts[i + 1]:
            continue
        bonus = rule.gains()
        if rule.kind in ("flat", "bonus") and rule.cap is None:
            why = f"一次性{'加' if bonus else '扣'}分，全年只{'加' if bonus else '扣'} {fmt(cap)} 分"
            what = ("本条", "一次性只" + ("加" if bonus else "扣"))
        else:
            why = f"规则 {rid} 全年累计{'加分' if bonus else ''}不超过 {fmt(cap)} 分"
            what = ("本条", "全年至多" + ("加" if bonus else "扣"))
        _cut(t, by_rule[cuts[i]:cuts[i + 1]], cap, rid, why, -1 if bonus else 1, what)
    column = {node.id: j for j, (node, _) in enumerate(shape.nodes)}
    points = rubric.effective_points
    for node in reversed(rubric.nodes):
        p = points[node.id]
        zero = node.id in rubric.starts_at_zero
        if p is None or node.combine == "sum" or not (zero or rubric.caps(node)):  # a sum is capped in its parts
            continue
        rows = np.flatnonzero(shape.under[:, column[node.id]][t.rule])
        if zero:  # 加分指标分值为20分: what a part can earn is capped at its points, whatever cap_levels says
            _cut(t, rows, p, node.id, f"「{node.name}」（{node.id}）所得已达该项分值 {fmt(p)} 分，超出部分不计", -1,
                 (f"该项（{node.id}）", "分值"))
        else:
            _cut(t, rows, p, node.id, f"「{node.name}」（{node.id}）扣分已达该项分值 {fmt(p)} 分，扣完为止", 1,
                 (f"该项（{node.id}）", "分值"))
    if rubric.aggregate == "deduct":  # a weighted total keeps each part within its own points instead
        _cut(t, np.arange(len(t.unit)), rubric.points, "总分", f"总分扣至 0 分为止（满分 {fmt(rubric.points)} 分）", 1,
             ("总分", "满分"))


def score_checked(rubric: Rubric, roster: Roster, evidence: Evidence, as_of: date | None) -> Result:
    """:func:`score` for inputs that :func:`~kaohe.validate.check` has passed (a run scores several
    rubrics after one check of all inputs).

    Rows are scored as columns (one pass per rule and per node over all units at once, in exact integer
    arithmetic); only the rows that differ by rule and inputs, and the rows that caps cut, are worked out
    one by one. A weighted or summed rubric then scores each unit's tree with :class:`~kaohe.composite.Scorer`.
    """
    units = in_scope(rubric, roster)
    category = roster.category_of()
    shape = _shape(rubric)
    t = _table(rubric, shape, units, evidence, as_of)
    _apply_caps(rubric, t, shape)
    bounds = t.bounds(len(units))
    if rubric.aggregate == "deduct":
        applied = t.raw.copy()  # the raw Decimal where nothing was cut, as the ledger wrote it
        cut = np.flatnonzero(t.applied != t.raw_scaled)
        values, which = np.unique(t.applied[cut], return_inverse=True)
        applied[cut] = objects([t.decimal(v) for v in values.tolist()])[which]
    else:
        t.applied = objects([t.decimal(x) for x in t.applied.tolist()])
        scorers = _composite(rubric, roster, t, shape, units, bounds)
        applied = t.applied
    # Deductions per unit and rule, then per node: exact in integers (or Decimals after a composite's clamps).
    per_rule = np.zeros((len(units), len(shape.ids)), dtype=t.applied.dtype)
    np.add.at(per_rule, (t.unit, t.rule), t.applied)
    per_node = per_rule @ shape.under
    values, which = np.unique(per_node.ravel(), return_inverse=True)
    node_deducted = objects([t.decimal(v) for v in values.tolist()])[which].reshape(per_node.shape)
    disqualified_units = set(t.unit[shape.kinds[t.rule] == "disqualify"].tolist())
    vetoes: dict[int, list[str]] = {}  # each unit's veto rules, in table (date) order
    for i in np.flatnonzero(shape.kinds[t.rule] == "veto").tolist():
        vetoes.setdefault(int(t.unit[i]), []).append(shape.ids[t.rule[i]])

    points = rubric.effective_points
    node_rows, unit_rows = [], []
    for ui, unit in enumerate(units):
        disqualified, ineligible, scorer = ui in disqualified_units, False, None
        if rubric.aggregate == "deduct":
            node_score, basis = None, {}
            deducted = t.decimal(per_rule[ui].sum())
            total = subtotal = rubric.points - deducted
            out_of = rubric.points
        else:
            scorer, (total, subtotal, out_of) = scorers[ui]
            node_score, basis = scorer.scores, scorer.how
            deducted = (rubric.scale or rubric.points) - total  # negative where a bonus part took it past full marks
            ineligible = any(n.eligibility_min is not None and node_score.get(n.id) is not None
                             and node_score[n.id] < n.eligibility_min for n in rubric.indicators)
        grade, vetoed, barred, notes = verdict(rubric, [rubric.rules[r] for r in vetoes.get(ui, [])], scorer, total)
        ineligible = ineligible or barred
        for j, (node, depth) in enumerate(shape.nodes):
            p = points[node.id]
            d = node_deducted[ui, j]
            score_ = node_score.get(node.id) if node_score is not None else (None if p is None else p - d)
            node_rows.append((unit, node.id, node.name, depth, p, d, score_, basis.get(node.id, "")))
        unit_rows.append({"unit": unit, "category": category[unit], "points": rubric.scale or rubric.points,
                          "deducted": deducted, "total": total, "subtotal": subtotal, "max": out_of, "grade": grade,
                          "vetoed": vetoed, "disqualified": disqualified, "ineligible": ineligible, "notes": notes,
                          "formula": scorer.formula if scorer else ""})

    units_df = pd.DataFrame(unit_rows, columns=[c for c in UNIT_COLUMNS if c not in
                                                ("rank", "excellent", "excellent_pending")])
    units_df["rank"] = pd.Series(_ranks(units_df), index=units_df.index, dtype=object)  # None stays None
    units_df, decisions = _excellent(rubric, units_df)

    def place(i):  # ranked units by rank, then disqualified ones (no rank) by score
        rank = units_df.at[i, "rank"]
        return (rank is None, rank or 0, -units_df.at[i, "total"], _natural(units_df.at[i, "unit"]))

    order = sorted(units_df.index, key=place)
    units_df = units_df.loc[order].reset_index(drop=True)
    names = objects(units)
    ledger = pd.DataFrame({
        "unit": names[t.unit], "category": objects([category[u] for u in units])[t.unit],
        "node": shape.node_of[t.rule], "rule": shape.ids[t.rule], "kind": shape.kinds[t.rule],
        "evidence_id": t.id, "date": t.date, "raw": t.raw, "applied": applied, "capped_by": t.capped_by,
        "reason": t.reason, "working": _working(t, applied), "file": t.file, "row": t.row,
    }, columns=LEDGER_COLUMNS) if len(t.unit) else pd.DataFrame(columns=LEDGER_COLUMNS, dtype=object)
    nodes = pd.DataFrame.from_records(node_rows, columns=NODE_COLUMNS)
    return Result(rubric, as_of, units_df[UNIT_COLUMNS], nodes, ledger, decisions)


def _working(t: _Table, applied: np.ndarray) -> np.ndarray:
    """Each row's computation: the kind's arithmetic, then what the caps did; a row a composite score clamped
    (a part kept within its points) says what it counts for and points to the reason."""
    out = t.working.copy()
    said = t.cuts != ""
    cut = np.flatnonzero(said)
    out[cut] = out[cut] + ("，" + t.cuts[cut])
    # only rows something cut or clamped differ from the kind's amount; those no cap wrote about are few
    clamped = [i for i in np.flatnonzero((t.capped_by != "") & ~said).tolist() if applied[i] != t.raw[i]]
    out[clamped] = objects([f"{out[i]}，实计 {fmt(applied[i])}（见调整原因）" for i in clamped])
    return out


def _composite(rubric: Rubric, roster: Roster, t: _Table, shape: _Shape, units: list[str],
               bounds: np.ndarray) -> list[tuple[Scorer, tuple[Decimal, Decimal, Decimal]]]:
    """Each unit's weighted or summed score. The Scorer clamps a part at 0 or full marks by writing into its
    entries, which are then copied back into the table."""
    written = {u.name: u.not_applicable for u in roster.units}
    rules = rubric.rules
    values = {k: rules[t.sample[k].rule].score_of(t.sample[k]) for k in np.unique(t.code).tolist()}
    out = []
    for ui, unit in enumerate(units):
        span = range(bounds[ui], bounds[ui + 1])
        entries = [{"rule": shape.ids[t.rule[i]], "kind": shape.kinds[t.rule[i]], "applied": t.applied[i],
                    "capped_by": t.capped_by[i], "reason": t.reason[i], "value": values[t.code[i]]} for i in span]
        left_out, _ = rubric.modules_left_out(written[unit])
        scorer = Scorer(rubric, entries, left_out)
        out.append((scorer, scorer.total()))
        for i, e in zip(span, entries):
            t.applied[i], t.capped_by[i], t.reason[i] = e["applied"], e["capped_by"], e["reason"]
    return out


def _with_depth(nodes: list[Node], depth: int = 0):
    for n in nodes:
        yield n, depth
        yield from _with_depth(n.children, depth + 1)


def _ranks(units: pd.DataFrame) -> list[int | None]:
    """Competition ranks (1, 1, 3): vetoed units after every unit not vetoed; none for a
    disqualified unit (取消年度评价资格)."""
    keys = {i: (bool(v), -t) for i, (v, t, d) in enumerate(zip(units["vetoed"], units["total"], units["disqualified"]))
            if not d}
    ordered = sorted(keys.values())
    return [1 + bisect_left(ordered, keys[i]) if i in keys else None for i in range(len(units))]


def _excellent(rubric: Rubric, units: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    units = units.copy()
    units["excellent"] = False
    units["excellent_pending"] = False
    decisions = pd.DataFrame(columns=["award", "units", "total", "places", "reason"])
    award = rubric.awards.excellent
    if award is None:
        return units, decisions
    if award.quota is None:  # a quota the document leaves open comes from params
        decisions.loc[0] = [award.name, "", "", 0, f"名额未给出：{award.name}的名额由运行配置 quotas 给出（kaohe score --params），本次未生成名单"]
        return units, decisions
    eligible = units[~units["vetoed"] & ~units["disqualified"] & ~units["ineligible"]]
    if award.min_score is not None:
        eligible = eligible[eligible["total"] >= award.min_score]
    totals = sorted(eligible["total"], reverse=True)
    if len(totals) <= award.quota:
        units.loc[eligible.index, "excellent"] = True
        return units, decisions
    boundary = totals[award.quota - 1] if award.quota else None
    above = eligible[eligible["total"] > boundary] if boundary is not None else eligible.iloc[0:0]
    tied = eligible[eligible["total"] == boundary] if boundary is not None else eligible.iloc[0:0]
    units.loc[above.index, "excellent"] = True
    places = award.quota - len(above)
    if len(tied) <= places:
        units.loc[tied.index, "excellent"] = True
    else:
        units.loc[tied.index, "excellent_pending"] = True
        names = sorted(tied["unit"], key=_natural)
        decisions.loc[0] = [award.name, "、".join(names), fmt(boundary), places,
                            f"{len(names)} 个单位同为 {fmt(boundary)} 分，争剩余 {places} 个名额：按细则无法确定，需研究决定"]
    return units, decisions
