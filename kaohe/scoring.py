"""``score()``: evidence in, a traceable result out. Pure and deterministic.

Arithmetic is ``Decimal`` from the text as written (15 − 5.7 is 9.3); where a rule must
round, it rounds 四舍五入 and says so. Deductions are taken in a fixed order — date, then the
rule's place in the rubric, then the evidence id — so caps cut the same rows whatever the
row order of the ledger, and a quarter's figures never change when later evidence arrives.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pandas as pd

from .composite import SCORE_KINDS, Scorer
from .errors import InputError, Problem
from .ledger import Evidence, Roster, load_evidence, load_roster
from .numbers import fmt, round_half_up
from .rubric import Node, Rubric
from .rules import amount
from .validate import check, in_scope, resolve

LEDGER_COLUMNS = ["unit", "category", "node", "rule", "kind", "evidence_id", "date", "raw", "applied",
                  "capped_by", "reason", "file", "row"]
NODE_COLUMNS = ["unit", "node", "name", "depth", "points", "deducted", "score", "basis"]
UNIT_COLUMNS = ["unit", "category", "points", "deducted", "total", "subtotal", "max", "grade", "rank", "vetoed",
                "disqualified", "ineligible", "excellent", "excellent_pending"]
#: The scores CSV contract (``kaohe score`` and ``kaohe run``): Result.table() columns.
SCORE_HEADER = ["unit", "category", "total", "grade", "rank", "vetoed", "excellent"]
ZERO = Decimal(0)


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
        ledger: one row per evidence row that reached a rule: raw amount, applied amount after
            caps and, where they differ, ``capped_by`` (rule or node id) and ``reason``.
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

    def table(self) -> pd.DataFrame:
        """The scores in the CLI's contract: unit,category,total,grade,rank,vetoed,excellent as text."""
        u = self.units
        return pd.DataFrame({
            "unit": u["unit"], "category": u["category"], "total": u["total"].map(fmt),
            "grade": u["grade"], "rank": u["rank"].map(lambda r: "" if r is None else int(r)),
            "vetoed": u["vetoed"].map(_bool), "excellent": u["excellent"].map(_bool),
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
        if "veto" in kinds:
            out["一票否决"] = u["vetoed"].map({True: "是", False: ""})
        if "disqualify" in kinds:
            out["取消评价资格"] = u["disqualified"].map({True: "是", False: ""})
        if r.aggregate == "sum":
            out.insert(4, "模块合计", u["subtotal"])
            out.insert(5, "适用满分", u["max"])
        if any(n.eligibility_min is not None for n in r.indicators):
            out["取消评优资格"] = u["ineligible"].map({True: "是", False: ""})
        if r.awards.excellent:
            out[r.awards.excellent.name] = [excellent_label(e, p) for e, p in zip(u["excellent"], u["excellent_pending"])]
        return out


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
    """What scoring needs of a rubric's tree, worked out once per rubric rather than once per unit."""

    rule_pos: dict[str, int]
    #: rule id -> the ids of its node and that node's ancestors with points, innermost first
    capped_by: dict[str, tuple[str, ...]]
    #: rule id -> its node and every ancestor, innermost first (where its deductions count)
    under: dict[str, tuple[str, ...]]
    nodes: tuple[tuple[Node, int], ...]  # (node, depth) in document order


_shapes: dict[int, tuple[Rubric, _Shape]] = {}


def _shape(rubric: Rubric) -> _Shape:
    hit = _shapes.get(id(rubric))
    if hit is not None and hit[0] is rubric:
        return hit[1]
    points = rubric.effective_points
    chains = {rid: tuple(n.id for n in rubric.ancestors(rubric.rule_node[rid])) for rid in rubric.rules}
    shape = _Shape({rid: i for i, rid in enumerate(rubric.rules)},
                   {rid: tuple(n for n in chain if points[n] is not None) for rid, chain in chains.items()},
                   chains, tuple(_with_depth(rubric.indicators)))
    if len(_shapes) > 64:
        _shapes.clear()
    _shapes[id(rubric)] = (rubric, shape)
    return shape


def score_checked(rubric: Rubric, roster: Roster, evidence: Evidence, as_of: date | None) -> Result:
    """:func:`score` for inputs that :func:`~kaohe.validate.check` has passed (a run scores several
    rubrics after one check of all inputs)."""
    units = in_scope(rubric, roster)
    category = roster.category_of()
    written = {u.name: u.not_applicable for u in roster.units}
    shape = _shape(rubric)
    by_unit: dict[str, list] = {u: [] for u in units}
    for f in evidence.findings:
        mine = by_unit.get(f.unit)
        if mine is not None and (as_of is None or f.date <= as_of):
            mine.append(f)

    points = rubric.effective_points
    ledger_rows, node_rows, unit_rows = [], [], []
    for unit in units:
        entries = _entries(rubric, by_unit[unit], shape)
        _apply_caps(rubric, entries, points, shape)
        vetoed = any(e["kind"] == "veto" for e in entries)
        disqualified = any(e["kind"] == "disqualify" for e in entries)
        ineligible = False
        if rubric.aggregate == "deduct":
            node_score, basis = None, {}
            deducted = sum((e["applied"] for e in entries), ZERO)
            total = subtotal = rubric.points - deducted
            out_of = rubric.points
        else:
            left_out, _ = rubric.modules_left_out(written[unit])
            scorer = Scorer(rubric, entries)
            subtotal, out_of = scorer.total(left_out)
            node_score, basis = scorer.scores, scorer.how
            # 按比例折合, 四舍五入 to 0.01 (541 ÷ 600 × 100 has no finite decimal)
            total = round_half_up(subtotal / out_of * rubric.scale, 2) if (rubric.scale and out_of) else subtotal
            deducted = (rubric.scale or out_of) - total
            ineligible = any(n.eligibility_min is not None and node_score.get(n.id) is not None
                             and node_score[n.id] < n.eligibility_min for n in rubric.indicators)
        cat = category[unit]
        under: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for e in entries:  # after a weighted or summed score, whose clamps are written into its entries
            ledger_rows.append((unit, cat, e["node"], e["rule"], e["kind"], e["evidence_id"], e["date"], e["raw"],
                                e["applied"], e["capped_by"], e["reason"], e["file"], e["row"]))
            if e["applied"]:
                for nid in shape.under[e["rule"]]:
                    under[nid] += e["applied"]
        for node, depth in shape.nodes:
            p = points[node.id]
            d = under[node.id] if node.id in under else ZERO
            score_ = node_score.get(node.id) if node_score is not None else (None if p is None else p - d)
            node_rows.append((unit, node.id, node.name, depth, p, d, score_, basis.get(node.id, "")))
        if vetoed and rubric.veto:
            grade = rubric.veto.grade
        else:
            grade = rubric.grades.grade(total) if rubric.grades else ""
        unit_rows.append({"unit": unit, "category": cat, "points": rubric.scale or rubric.points,
                          "deducted": deducted, "total": total, "subtotal": subtotal, "max": out_of, "grade": grade,
                          "vetoed": vetoed, "disqualified": disqualified, "ineligible": ineligible})

    units_df = pd.DataFrame(unit_rows, columns=[c for c in UNIT_COLUMNS if c not in
                                                ("rank", "excellent", "excellent_pending")])
    units_df["rank"] = pd.Series(_ranks(units_df), index=units_df.index, dtype=object)  # None stays None
    units_df, decisions = _excellent(rubric, units_df)

    def place(i):  # ranked units by rank, then disqualified ones (no rank) by score
        rank = units_df.at[i, "rank"]
        return (rank is None, rank or 0, -units_df.at[i, "total"], _natural(units_df.at[i, "unit"]))

    order = sorted(units_df.index, key=place)
    units_df = units_df.loc[order].reset_index(drop=True)
    ledger = pd.DataFrame.from_records(ledger_rows, columns=LEDGER_COLUMNS)
    nodes = pd.DataFrame.from_records(node_rows, columns=NODE_COLUMNS)
    return Result(rubric, as_of, units_df[UNIT_COLUMNS], nodes, ledger, decisions)


def _ordered(findings: list, rule_pos: dict[str, int]) -> list:
    """Date, then the rule's place in the rubric, then the evidence id in natural order (R2 before R10);
    ids are compared only where date and rule tie, which is rare."""
    out = sorted(findings, key=lambda f: (f.date, rule_pos[f.rule]))
    i = 0
    while i < len(out):
        j = i + 1
        key = (out[i].date, out[i].rule)
        while j < len(out) and (out[j].date, out[j].rule) == key:
            j += 1
        if j - i > 1:
            out[i:j] = sorted(out[i:j], key=lambda f: _natural(f.id))
        i = j
    return out


def _entries(rubric: Rubric, findings: list, shape: _Shape) -> list[dict]:
    """One entry per finding with its raw amount; superseded measurements are marked."""
    findings = _ordered(findings, shape.rule_pos)
    latest: dict[str, object] = {}
    for f in findings:
        if rubric.rules[f.rule].measurement:
            latest[f.rule] = f  # sorted by date: the last one is the latest
    entries = []
    for f in findings:
        rule = rubric.rules[f.rule]
        raw = amount(rule, f)
        e = {"node": rubric.rule_node[f.rule].id, "rule": rule.id, "kind": rule.kind, "evidence_id": f.id,
             "date": f.date, "raw": raw, "applied": raw, "capped_by": "", "reason": "",
             "file": f.file, "row": f.row, "value": rule.score_of(f)}
        if rule.measurement and latest[f.rule] is not f:
            newer = latest[f.rule]
            e.update(applied=ZERO, capped_by=rule.id,
                     reason=f"已被 {newer.date} 的较新测量值（编号 {newer.id}）取代，只计最新一条")
        elif rule.kind == "veto":
            e["reason"] = "一票否决：不扣分，该年考核结果否决"
        elif rule.kind == "disqualify":
            e["reason"] = "取消年度评价资格：不扣分，不参加排名和评优"
        elif rule.kind == "unscored":
            e["reason"] = "原文未规定扣分额度：只记录，不扣分"
        elif rule.kind == "task":
            e["reason"] = f"任务{rule.explain(f)}（不扣分，计入「{rubric.rule_node[f.rule].name}」的得分）"
        elif rule.kind in SCORE_KINDS:
            e["reason"] = f"得分记录：{fmt(f.value)} 分（不扣分，用于计算「{rubric.rule_node[f.rule].name}」的得分）"
        entries.append(e)
    return entries


def _cut(group: list[dict], cap: Decimal, by: str, why: str, sign: int = 1) -> None:
    """Keep the running sum of ``applied`` within ``cap``, in the group's order; ``sign=-1`` caps
    bonuses (negative amounts) by their size."""
    running = ZERO
    for e in group:
        size = e["applied"] if sign == 1 else -e["applied"]
        if size <= 0:
            continue
        if running + size > cap:
            room = max(cap - running, ZERO)
            e["applied"] = room if sign == 1 else -room
            e["capped_by"] = by
            e["reason"] = why
            size = room
        running += size


def _apply_caps(rubric: Rubric, entries: list[dict], points: dict[str, Decimal | None], shape: _Shape) -> None:
    by_rule: dict[str, list[dict]] = defaultdict(list)
    by_node: dict[str, list[dict]] = defaultdict(list)  # each in the entries' order
    for e in entries:
        by_rule[e["rule"]].append(e)
        for nid in shape.capped_by[e["rule"]]:
            by_node[nid].append(e)
    for rid, group in by_rule.items():
        rule = rubric.rules[rid]
        cap = rule.effective_cap()
        if cap is not None:
            bonus = rule.kind == "bonus" or getattr(rule, "bonus", False)
            if rule.kind in ("flat", "bonus") and rule.cap is None:
                why = f"一次性{'加' if bonus else '扣'}分，全年只{'加' if bonus else '扣'} {fmt(cap)} 分"
            else:
                why = f"规则 {rid} 全年累计{'加分' if bonus else ''}不超过 {fmt(cap)} 分"
            _cut(group, cap, rid, why, -1 if bonus else 1)
    # Innermost nodes first, so an outer (pooled) cap sees what the inner caps left.
    for node in reversed(rubric.nodes):
        group = by_node.get(node.id)
        if group:
            p = points[node.id]
            _cut(group, p, node.id, f"「{node.name}」（{node.id}）扣分已达该项分值 {fmt(p)} 分，扣完为止")
    if rubric.aggregate == "deduct":  # a weighted total keeps each part within its own points instead
        _cut(entries, rubric.points, "总分", f"总分扣至 0 分为止（满分 {fmt(rubric.points)} 分）")


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
