"""Check evidence against the roster and the rubrics; every problem is collected, none raised."""

from __future__ import annotations

import difflib
from collections import defaultdict
from dataclasses import replace
from datetime import date

import numpy as np

from .composite import missing_scores
from .errors import WARNING, Problem
from .ledger import LABELS, Evidence, Roster, Unit, match_units
from .numbers import fmt
from .rubric import Rubric, known_categories
from .rules import amount, shown_ids
from .rules.periodic import PERIOD_NAMES, PERIODS_SAID, period_of, periods


def rubric_for(rubrics: list[Rubric], category: str) -> Rubric | None:
    return next((r for r in rubrics if category in r.applies_to), None)


def rubric_by_unit(rubrics: list[Rubric], roster: Roster) -> dict[str, Rubric | None]:
    """Each roster unit's rubric, looked up once (a ledger has many rows per unit)."""
    return {u.name: rubric_for(rubrics, u.category) for u in roster.units}


def resolve(rubrics: list[Rubric], roster: Roster, evidence: Evidence) -> Evidence:
    """Evidence placed on the roster and the rubrics: unit names matched across 繁简
    (:func:`~kaohe.ledger.match_units`), and a rule id that the unit's rubric version replaced
    (``Rubric.replaces``) moved to its one successor, the ledger's id kept in ``rule_as_written``.
    A split id (several successors) is a problem: which new rule a row belongs to is a person's call."""
    evidence = match_units(roster, evidence)
    by_unit = rubric_by_unit(rubrics, roster)
    evidence = _named_rules(by_unit, evidence)
    if not any(r.successors for r in by_unit.values() if r is not None):
        return evidence  # no version replaces an id: nothing to move (the usual case)
    findings, problems = [], list(evidence.problems)
    for f in evidence.findings:
        rubric = by_unit.get(f.unit)
        new = rubric.successors.get(f.rule) if rubric is not None and f.rule not in rubric.rules else None
        if new and len(new) == 1:
            f = replace(f, rule=new[0], rule_as_written=f.rule)
        elif new:
            split = Problem(f.file, f.row, evidence.header(f.file, "rule"), f.rule, "split_rule",
                            f"细则 {rubric.ref} 把规则 {f.rule} 拆分为 {'、'.join(new)}：请在台账中改记为其中之一", f.rule)
            if split not in problems:  # evidence resolved before already carries it
                problems.append(split)
        findings.append(f)
    return Evidence(findings, problems, evidence.files, evidence.headers)


def _named_rules(by_unit: dict[str, Rubric | None], evidence: Evidence) -> Evidence:
    """A rule written as the template's drop-down names an id that is an English word (一票否决 for ``veto``,
    :func:`~kaohe.rules.shown_ids`) is that rule."""
    named = {id(r): {s: rid for rid, s in shown_ids(r.rules.values()).items() if s != rid}
             for r in {id(r): r for r in by_unit.values() if r is not None}.values()}
    names = {s for m in named.values() for s in m}
    if not names:
        return evidence
    c = evidence.columns()  # worked out once and kept: the checks read them next
    written = [k for k, x in enumerate(c.rule_names.tolist()) if x in names]
    if not written:
        return evidence
    hits = np.flatnonzero(np.isin(c.rule_code, written)).tolist()
    findings = list(evidence.findings)
    for i in hits:
        f = findings[i]
        r = by_unit.get(f.unit)
        if r is not None and f.rule not in r.rules and f.rule in named[id(r)]:
            findings[i] = replace(f, rule=named[id(r)][f.rule])
    return Evidence(findings, evidence.problems, evidence.files, evidence.headers)


def check(rubrics: list[Rubric], roster: Roster, evidence: Evidence, *,
          every_category_scored: bool = True) -> list[Problem]:
    """All problems of one run: the files' own, then each finding against its unit's rubric.

    Rows are checked as columns: what a rule finds wrong with a row depends only on the rule and the row's
    inputs (:data:`~kaohe.rules.INPUTS`), so it is worked out once per distinct combination and then named
    on every row that has it, in ledger order.

    Args:
        every_category_scored: a roster category no rubric applies to is a problem (a run over
            all rubrics); when False, units of other categories and their evidence are skipped
            (scoring one rubric of several).
    """
    problems = list(roster.problems) + list(evidence.problems)
    if any(p.code == "missing_column" for p in roster.problems):
        return problems  # no units could be read: every ledger row would be "not on the roster" as well
    categories = roster.category_of()
    if not any(rubric_for(rubrics, c) for c in categories.values()) and roster.units:
        applies = "、".join(c for r in rubrics for c in r.applies_to)
        problems.append(Problem(roster.file, None, "类别", None, "no_units",
                                f"名单中没有适用本细则的单位（适用类别：{applies}）"))
    # Scoring one rubric of several, a unit of another bundled rubric's category is skipped
    # (the CLI says so); a category no rubric knows is a typo until proven otherwise.
    allowed = {c for r in rubrics for c in r.applies_to}
    if not every_category_scored:
        allowed |= known_categories()
    first: dict[str, Unit] = {}
    for u in roster.units:
        if u.name in first:  # load_roster drops these; a roster built in code may still have them
            problems.append(Problem(u.file, u.row, "单位", u.name, "duplicate_unit",
                                    f"单位重复（第 {first[u.name].row} 行已有）"))
        first.setdefault(u.name, u)
        if u.category not in allowed:
            problems.append(Problem(u.file, u.row, "类别", u.category, "unknown_category",
                                    f"没有适用于此类别的细则（可用类别：{'、'.join(sorted(allowed))}）"))
    rows = _Rows(rubrics, roster, evidence)
    problems += rows.problems()
    problems += _per_unit_checks(rubrics, roster, evidence, rows)
    problems += rows.duplicate_measurements()
    problems += rows.duplicate_periods()
    return problems


class _Rows:
    """The ledger rows placed on the roster and their rubric, as columns (``Evidence.columns``)."""

    def __init__(self, rubrics: list[Rubric], roster: Roster, evidence: Evidence):
        self.evidence, self.roster = evidence, roster
        c = self.c = evidence.columns()
        self.units = [u.name for u in roster.units]
        by_unit = rubric_by_unit(rubrics, roster)
        self.rubrics = list({id(r): r for r in by_unit.values() if r is not None}.values())
        which = {id(r): k for k, r in enumerate(self.rubrics)}
        #: roster position per row: -1 unknown unit, -2 blank unit or rule (reported when parsed)
        self.unit = c.unit_at({name: i for i, name in enumerate(self.units)})
        self.unit[(c.unit == "") | (c.rule == "")] = -2
        rubric_of_unit = np.array([-1 if by_unit[n] is None else which[id(by_unit[n])] for n in self.units] + [-1, -1],
                                  dtype=np.int64)
        self.rubric = rubric_of_unit[self.unit]  # -1: no rubric (unknown unit, or a category not scored)

    def groups(self, key: np.ndarray, rows: np.ndarray):
        """(key value, its rows in ledger order) for ``rows``, by key value."""
        if not len(rows):
            return
        rows = rows[np.argsort(key[rows], kind="stable")]
        k = key[rows]
        cut = np.flatnonzero(np.r_[True, k[1:] != k[:-1], True])
        for a, b in zip(cut[:-1].tolist(), cut[1:].tolist()):
            yield int(k[a]), rows[a:b]

    def problems(self) -> list[Problem]:
        c, evidence, findings = self.c, self.evidence, self.evidence.findings
        header = evidence.header
        out: list[tuple[int, int, Problem]] = []  # (row index, order within the row, problem)
        categories = self.roster.category_of()
        hints: dict[str, str] = {}
        for i in np.flatnonzero(self.unit == -1).tolist():
            f = findings[i]
            if f.unit not in hints:
                near = difflib.get_close_matches(f.unit, list(categories), n=3, cutoff=0.5)
                hints[f.unit] = f"；是否为：{'、'.join(near)}" if near else ""
            out.append((i, 0, Problem(f.file, f.row, header(f.file, "unit"), f.unit, "unknown_unit",
                                      f"单位不在名单 {self.roster.file} 中{hints[f.unit]}", f.rule)))
        placed = np.flatnonzero(self.rubric >= 0)
        ns = len(c.sample)
        combo = np.full(c.n, -1, dtype=np.int64)
        combo[placed] = self.rubric[placed] * ns + c.code[placed]
        # Per combination of rubric, rule and inputs: its date range, whether its rows need a look one by one
        # (a problem, or a check that reads text), and whether they are measurements.
        size = len(self.rubrics) * ns
        first, last = np.full(size, -1, dtype=np.int64), np.full(size, np.iinfo(np.int64).max, dtype=np.int64)
        one_by_one, measured = np.zeros(size, dtype=bool), np.zeros(size, dtype=bool)
        found: dict[int, tuple] = {}
        for k in np.flatnonzero(np.bincount(combo[placed], minlength=size)).tolist():
            rubric, f = self.rubrics[k // ns], c.sample[k % ns]
            rule = rubric.rules.get(f.rule)
            if rule is None:
                one_by_one[k] = f.rule not in rubric.successors  # a split id is reported by resolve()
                found[k] = (rubric, f, None, False, [])
                continue
            end = rule.records_until or rubric.period.end
            first[k], last[k] = rubric.period.start.toordinal(), end.toordinal()
            missing = rule.uses in ("value", "points", "level", "status") and getattr(f, rule.uses) is None
            same = [] if rule.reads else _row_problems(rule, f)
            one_by_one[k] = bool(missing or same or rule.reads)
            measured[k] = rule.measurement and f.value is not None
            found[k] = (rubric, f, rule, missing, same)
        day = c.day[placed]
        k = combo[placed]
        for i in placed[(day >= 0) & ((day < first[k]) | (day > last[k]))].tolist():
            g = findings[i]
            rubric, _, rule, _, _ = found[combo[i]]
            end = rule.records_until or rubric.period.end
            out.append((i, 1, Problem(g.file, g.row, header(g.file, "date"), g.date.isoformat(), "date_outside_period",
                                      f"日期不在考核期 {rubric.period.start} 至 {end} 内", g.rule)))
        self.measured = np.zeros(c.n, dtype=bool)
        self.measured[placed[measured[k] & (day >= 0)]] = True
        for key, idx in self.groups(combo, placed[one_by_one[k]]):
            rubric, f, rule, missing, same = found[key]
            if rule is None:
                near = difflib.get_close_matches(f.rule, list(rubric.rules), n=3, cutoff=0.6)
                hint = f"；相近的编号：{'、'.join(near)}" if near else ""
                for i in idx.tolist():
                    g = findings[i]
                    out.append((i, 0, Problem(g.file, g.row, header(g.file, "rule"), f.rule, "unknown_rule",
                                              f"细则 {rubric.ref} 中没有此规则编号{hint}", f.rule)))
                continue
            needed = rule.uses
            for i in idx.tolist():
                g = findings[i]
                if missing and not _has_parse_problem(evidence, g, needed):
                    what = {"value": "测量值（如实际项数、百分率）", "points": "扣分分值（由台账给出）",
                            "level": "通报级别（国家/省/市）", "status": f"完成情况（{'/'.join(rule.statuses)}）"}[needed]
                    out.append((i, 2, Problem(g.file, g.row, header(g.file, needed), "", "missing_value",
                                              f"规则 {rule.id} 需要在「{LABELS[needed]}」中填写{what}", f.rule)))
                    continue
                for column, shown, code, message in (_row_problems(rule, g) if rule.reads else same):
                    out.append((i, 3, Problem(g.file, g.row, header(g.file, column), shown, code, message, f.rule)))
        out.sort(key=lambda x: x[:2])  # stable: a row's problems keep their order
        return [p for _, _, p in out]

    def duplicate_measurements(self) -> list[Problem]:
        """Two measurements of one rule for one unit on one day: which one counts cannot be told."""
        c, findings, out = self.c, self.evidence.findings, []
        rows = np.flatnonzero(self.measured)
        if not len(rows):
            return out
        key = (self.unit[rows] * len(self.c.rule_names) + self.c.rule_code[rows]) * (c.day.max() + 1) + c.day[rows]
        dupes = [idx for _, idx in self.groups(key, np.arange(len(rows))) if len(idx) > 1]
        for idx in sorted(dupes, key=lambda x: x[0]):  # in the order the first row of each appears
            first = findings[rows[idx[0]]]
            for i in rows[idx[1:]].tolist():
                f = findings[i]
                out.append(Problem(f.file, f.row, self.evidence.header(f.file, "date"), f.date.isoformat(),
                                   "duplicate_measurement",
                                   f"{f.unit} 在同一天对规则 {f.rule} 有多条测量记录（另见第 {first.row} 行），无法确定取哪一条",
                                   f.rule))
        return out

    def duplicate_periods(self) -> list[Problem]:
        """Two rows of one unit and one periodic rule in one month (quarter): which figure is the period's cannot
        be told. Each later row is named, with the first row of its period."""
        c, findings, out = self.c, self.evidence.findings, []
        wanted = [(k, rid, rule) for k, rubric in enumerate(self.rubrics) for rid, rule in rubric.rules.items()
                  if rule.kind == "periodic"]
        if not wanted:
            return out
        rule_code = {name: i for i, name in enumerate(c.rule_names.tolist())}
        for k, rid, rule in wanted:
            if rid not in rule_code:
                continue
            rows = np.flatnonzero((self.rubric == k) & (c.rule_code == rule_code[rid]) & (c.day >= 0))
            first: dict[tuple, int] = {}
            for i in rows.tolist():  # ledger order: the first row of a period stays, later ones are named
                f = findings[i]
                period = period_of(rule.every, f.date)
                j = first.setdefault((self.unit[i], period.start), i)
                if j == i:
                    continue
                g = findings[j]
                where = f"第 {g.row} 行" if g.file == f.file else f"{g.file} 第 {g.row} 行"
                out.append((i, Problem(f.file, f.row, self.evidence.header(f.file, "date"), f.date.isoformat(),
                                       "duplicate_period",
                                       f"{f.unit} 在 {period.label} 已有规则 {rid} 的记录（{where}，编号 {g.id}）："
                                       f"每{PERIOD_NAMES[rule.every]}只能有一条记录，请合并为一条或更正日期", rid)))
        return [p for _, p in sorted(out, key=lambda x: x[0])]

    def present(self) -> dict[str, set[str]]:
        """unit -> the rule ids it has rows of, for the units on the roster."""
        n = len(self.c.rule_names)
        out: dict[str, set[str]] = defaultdict(set)
        for key in np.unique(self.unit[self.unit >= 0] * n + self.c.rule_code[self.unit >= 0]).tolist():
            out[self.units[key // n]].add(self.c.rule_names[key % n])
        return out

    def rows_of(self, units: set[str], rules: set[str]) -> dict[str, dict[str, list]]:
        """unit -> rule id -> its findings, for rows of the given units or rules."""
        c, n, findings = self.c, len(self.c.rule_names), self.evidence.findings
        pick = np.zeros(len(self.units) + 2, dtype=bool)
        pick[[i for i, u in enumerate(self.units) if u in units]] = True
        of_rules = np.isin(c.rule_names, list(rules)) if len(c.rule_names) else np.zeros(0, dtype=bool)
        chosen = np.flatnonzero((self.unit >= 0) & (pick[self.unit] | of_rules[c.rule_code]))
        out: dict[str, dict[str, list]] = defaultdict(dict)
        # each unit's rules in the order they first appear in the ledger
        for key, idx in sorted(self.groups(self.unit * n + c.rule_code, chosen), key=lambda g: g[1][0]):
            out[self.units[key // n]][c.rule_names[key % n]] = [findings[i] for i in idx.tolist()]
        return out


def _row_problems(rule, f) -> list[tuple[str, str, str, str]]:
    """(column, value as shown, code, message) for what ``rule`` finds wrong with row ``f``'s inputs."""
    out = []
    needed = rule.uses
    for column, value, message in rule.check(f):
        shown = value if isinstance(value, str) else fmt(value)
        out.append((column, shown, "out_of_range" if shown else "missing_value", message))
    if f.points is not None and needed != "points" and "points" not in rule.also_uses:
        computed = amount(rule, f) if (needed != "value" or f.value is not None) else None
        if computed is not None and computed != f.points:
            out.append(("points", fmt(f.points), "points_mismatch",
                        f"填写的分值与细则计算的 {fmt(computed)} 分不符（此列可留空，由细则计算）"))
    if f.count is not None and f.count != 1 and needed != "count" and "count" not in rule.also_uses:
        out.append(("count", str(f.count), "unused_input",
                    f"规则 {rule.id}（{rule.describe()}）不按次数计分，「{LABELS['count']}」应留空"))
    if f.value is not None and needed != "value":
        hint = f"；按次计分请填「{LABELS['count']}」" if needed == "count" else ""
        out.append(("value", fmt(f.value), "unused_input", f"规则 {rule.id}（{rule.describe()}）不使用「{LABELS['value']}」{hint}"))
    return out


def _per_unit_checks(rubrics: list[Rubric], roster: Roster, evidence: Evidence, placed: _Rows) -> list[Problem]:
    """Checks across one unit's rows: 不适用 names optional modules and such a module has no rows;
    rules that exclude each other; a module scored both by a given score and by tasks; and, in a
    composite rubric, a score (given, raters, tasks) for every part that applies."""
    out = []
    by_unit = rubric_by_unit(rubrics, roster)
    special = {id(r): {rid for rid, rule in r.rules.items() if rule.excludes or rule.kind == "task"} for r in rubrics}
    has = placed.present()
    # every row is named: a comparison of versions leaves out exactly these
    excluded = {x for r in rubrics for rule in r.rules.values() for x in rule.excludes}
    rows = placed.rows_of({u.name for u in roster.units if u.not_applicable}, excluded.union(*special.values()))
    for u in roster.units:
        rubric = by_unit[u.name]
        if rubric is None:
            continue
        left_out, bad = rubric.modules_left_out(u.not_applicable)
        for w in bad:
            optional = "、".join(f"{n.id} {n.name}" for n in rubric.nodes if n.optional) or "无"
            out.append(Problem(u.file, u.row, "不适用", w, "not_optional",
                               f"不是细则 {rubric.ref} 中可不列入的模块（可不列入：{optional}）"))
        mine = rows.get(u.name, {})
        for rule_id, fs in mine.items() if left_out else ():
            node = rubric.rule_node.get(rule_id)
            out_node = rubric.left_out_above(node, left_out) if node else None
            if out_node is not None:
                out += [Problem(f.file, f.row, evidence.header(f.file, "rule"), rule_id, "not_applicable",
                                f"名单中 {u.name} 的「{out_node.name}」不适用、不列入考核，不应有记录", rule_id) for f in fs]
        present = has.get(u.name, set())
        for rule_id in [r for r in mine if r in special[id(rubric)]]:  # rules with excludes, and tasks
            fs = mine[rule_id]
            rule, f = rubric.rules[rule_id], fs[0]
            for x in [x for x in rule.excludes if x in present]:
                out += [Problem(g.file, g.row, evidence.header(g.file, "rule"), x, "exclusive_rules",
                                f"规则 {x} 与规则 {rule_id}（{evidence.header(f.file, 'id')} {f.id}）不能同时适用于一个单位："
                                f"「{rule.text}」", x) for g in mine[x]]
            if rule.kind == "task":
                node = rubric.rule_node[rule_id]
                given = [r.id for r in node.rules if r.kind == "given" and r.id in present]
                if given:
                    out += [Problem(t.file, t.row, evidence.header(t.file, "rule"), rule_id, "score_and_tasks",
                                    f"「{node.name}」已有得分记录（规则 {given[0]}），任务记录不会计分：同一模块只用其中一种", rule_id)
                            for t in fs]
        if rubric.aggregate == "deduct":
            continue
        for part in missing_scores(rubric, set(present), left_out):
            out.append(Problem(u.file, u.row, "单位", u.name, "missing_score",
                               f"台账中没有该单位「{part}」的得分记录，无法计算总分", None))
    return out


def missing_periods(rubrics: list[Rubric], roster: Roster, evidence: Evidence, as_of: date | None = None) -> list[Problem]:
    """Warnings (:data:`~kaohe.errors.WARNING`: they stop nothing) for the months or quarters with no row of a
    periodic rule, per unit: a period missing costs nothing, so the office should know which went unscored.

    Every unit in the rubric's scope is expected to have a row for every period of the rubric's period that has
    ended by ``as_of`` (default the period's end), except under a module 不适用 to it: a unit with no row at
    all is the case most worth a warning. Located on the unit's roster row."""
    by_unit = rubric_by_unit(rubrics, roster)
    wanted = {rid for r in rubrics for rid, rule in r.rules.items() if rule.kind == "periodic"}
    if not wanted or not any(r is not None and wanted & set(r.rules) for r in by_unit.values()):
        return []  # the usual case: no periodic rule, nothing to look at
    c = evidence.columns()
    codes = [i for i, name in enumerate(c.rule_names.tolist()) if name in wanted]
    seen: dict[tuple[str, str], set[date]] = defaultdict(set)  # (unit, rule) -> days of its rows
    for i in np.flatnonzero(np.isin(c.rule_code, codes) & (c.day >= 0)).tolist():
        seen[(c.unit[i], c.rule[i])].add(c.date[i])
    out = []
    for u in roster.units:
        rubric = by_unit[u.name]
        if rubric is None:
            continue
        left_out, _ = rubric.modules_left_out(u.not_applicable)
        end = min(as_of, rubric.period.end) if as_of else rubric.period.end
        for rid, rule in rubric.rules.items():
            if rule.kind != "periodic" or rubric.left_out_above(rubric.rule_node[rid], left_out):
                continue
            have = {period_of(rule.every, d).start for d in seen.get((u.name, rid), ())}
            due = [p for p in periods(rule.every, rubric.period.start, rubric.period.end)
                   if min(p.end, rubric.period.end) <= end]
            gaps = [p.label for p in due if p.start not in have]
            if gaps:
                name = PERIOD_NAMES[rule.every]
                what = (f"{'、'.join(gaps)} 的记录" if len(gaps) < len(due) or len(due) == 1 else
                        f"{gaps[0]} 至 {gaps[-1]} 全部 {len(gaps)} 个{name}的记录")
                out.append(Problem(roster.file or "单位名单", u.row, "单位", u.name, "missing_period",
                                   f"规则 {rid}（每{name}不低于 {fmt(rule.min)} {rule.unit}）缺少 {what}："
                                   f"这些{PERIODS_SAID[rule.every]}未计分", rid, WARNING))
    return out


def in_scope(rubric: Rubric, roster: Roster) -> list[str]:
    return [u.name for u in roster.units if u.category in rubric.applies_to]


def _has_parse_problem(evidence: Evidence, f, column: str) -> bool:
    return any(p.file == f.file and p.row == f.row and p.column == evidence.header(f.file, column)
               for p in evidence.problems)
