"""Check evidence against the roster and the rubrics; every problem is collected, none raised."""

from __future__ import annotations

import difflib
from collections import defaultdict
from dataclasses import replace

from .composite import missing_scores
from .errors import Problem
from .ledger import LABELS, Evidence, Roster, match_units
from .numbers import fmt
from .rubric import Rubric, known_categories
from .rules import amount


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


def check(rubrics: list[Rubric], roster: Roster, evidence: Evidence, *,
          every_category_scored: bool = True) -> list[Problem]:
    """All problems of one run: the files' own, then each finding against its unit's rubric.

    Args:
        every_category_scored: a roster category no rubric applies to is a problem (a run over
            all rubrics); when False, units of other categories and their evidence are skipped
            (scoring one rubric of several).
    """
    problems = list(roster.problems) + list(evidence.problems)
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
    for u in roster.units:
        if u.category not in allowed:
            problems.append(Problem(u.file, u.row, "类别", u.category, "unknown_category",
                                    f"没有适用于此类别的细则（可用类别：{'、'.join(sorted(allowed))}）"))
    measured: dict[tuple, list] = defaultdict(list)
    by_unit = rubric_by_unit(rubrics, roster)
    header = evidence.header
    for f in evidence.findings:
        if not f.unit or not f.rule:
            continue  # already reported as missing
        if f.unit not in categories:
            near = difflib.get_close_matches(f.unit, list(categories), n=3, cutoff=0.5)
            hint = f"；是否为：{'、'.join(near)}" if near else ""
            problems.append(Problem(f.file, f.row, header(f.file, "unit"), f.unit, "unknown_unit",
                                    f"单位不在名单 {roster.file} 中{hint}", f.rule))
            continue
        rubric = by_unit[f.unit]
        if rubric is None:
            continue
        rule = rubric.rules.get(f.rule)
        if rule is None and f.rule in rubric.successors:
            continue  # a split id, reported by resolve()
        if rule is None:
            near = difflib.get_close_matches(f.rule, list(rubric.rules), n=3, cutoff=0.6)
            hint = f"；相近的编号：{'、'.join(near)}" if near else ""
            problems.append(Problem(f.file, f.row, header(f.file, "rule"), f.rule, "unknown_rule",
                                    f"细则 {rubric.ref} 中没有此规则编号{hint}", f.rule))
            continue
        last = rule.records_until or rubric.period.end
        if f.date is not None and not (rubric.period.start <= f.date <= last):
            problems.append(Problem(f.file, f.row, header(f.file, "date"), f.date.isoformat(), "date_outside_period",
                                    f"日期不在考核期 {rubric.period.start} 至 {last} 内", f.rule))
        needed = rule.uses
        if needed in ("value", "points", "level", "status") and getattr(f, needed) is None \
                and not _has_parse_problem(evidence, f, needed):
            what = {"value": "测量值（如实际项数、百分率）", "points": "扣分分值（由台账给出）", "level": "通报级别（国家/省/市）",
                    "status": "完成情况（按时完成/逾期完成/未启动）"}[needed]
            problems.append(Problem(f.file, f.row, header(f.file, needed), "", "missing_value",
                                    f"规则 {rule.id} 需要在「{LABELS[needed]}」中填写{what}", f.rule))
            continue
        for column, value, message in rule.check(f):
            shown = value if isinstance(value, str) else fmt(value)
            problems.append(Problem(f.file, f.row, header(f.file, column), shown,
                                    "out_of_range" if shown else "missing_value", message, f.rule))
        if f.points is not None and needed != "points" and "points" not in rule.also_uses:
            computed = amount(rule, f) if (needed != "value" or f.value is not None) else None
            if computed is not None and computed != f.points:
                problems.append(Problem(f.file, f.row, header(f.file, "points"), fmt(f.points), "points_mismatch",
                                        f"填写的分值与细则计算的 {fmt(computed)} 分不符（此列可留空，由细则计算）", f.rule))
        if f.count is not None and f.count != 1 and needed != "count" and "count" not in rule.also_uses:
            problems.append(Problem(f.file, f.row, header(f.file, "count"), str(f.count), "unused_input",
                                    f"规则 {rule.id}（{rule.describe()}）不按次数计分，「{LABELS['count']}」应留空", f.rule))
        if f.value is not None and needed != "value":
            hint = f"；按次计分请填「{LABELS['count']}」" if needed == "count" else ""
            problems.append(Problem(f.file, f.row, header(f.file, "value"), fmt(f.value), "unused_input",
                                    f"规则 {rule.id}（{rule.describe()}）不使用「{LABELS['value']}」{hint}", f.rule))
        if rule.measurement and f.date is not None and f.value is not None:
            measured[(f.unit, f.rule, f.date)].append(f)
    problems += _per_unit_checks(rubrics, roster, evidence)
    for (unit, rule_id, day), rows in measured.items():
        if len(rows) > 1:
            for f in rows[1:]:
                problems.append(Problem(f.file, f.row, _header(evidence, f, "date"), day.isoformat(),
                                        "duplicate_measurement",
                                        f"{unit} 在同一天对规则 {rule_id} 有多条测量记录（另见第 {rows[0].row} 行），无法确定取哪一条",
                                        rule_id))
    return problems


def _per_unit_checks(rubrics: list[Rubric], roster: Roster, evidence: Evidence) -> list[Problem]:
    """Checks across one unit's rows: 不适用 names optional modules and such a module has no rows;
    rules that exclude each other; a module scored both by a given score and by tasks; and, in a
    composite rubric, a score (given, raters, tasks) for every part that applies."""
    rows: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for f in evidence.findings:
        rows[f.unit][f.rule].append(f)  # every row is named: a comparison of versions leaves out exactly these
    out = []
    by_unit = rubric_by_unit(rubrics, roster)
    special = {id(r): {rid for rid, rule in r.rules.items() if rule.excludes or rule.kind == "task"} for r in rubrics}
    for u in roster.units:
        rubric = by_unit[u.name]
        if rubric is None:
            continue
        left_out, bad = rubric.modules_left_out(u.not_applicable)
        for w in bad:
            optional = "、".join(f"{n.id} {n.name}" for n in rubric.indicators if n.optional) or "无"
            out.append(Problem(u.file, u.row, "不适用", w, "not_optional",
                               f"不是细则 {rubric.ref} 中可不列入的模块（可不列入：{optional}）"))
        mine = rows[u.name]
        for rule_id, fs in mine.items() if left_out else ():
            node = rubric.rule_node.get(rule_id)
            top = node and rubric.ancestors(node)[-1]
            if top is not None and top.id in left_out:
                out += [Problem(f.file, f.row, evidence.header(f.file, "rule"), rule_id, "not_applicable",
                                f"名单中 {u.name} 的「{top.name}」不适用、不列入考核，不应有记录", rule_id) for f in fs]
        for rule_id in [r for r in mine if r in special[id(rubric)]]:  # rules with excludes, and tasks
            fs = mine[rule_id]
            rule, f = rubric.rules[rule_id], fs[0]
            for x in [x for x in rule.excludes if x in mine]:
                out += [Problem(g.file, g.row, evidence.header(g.file, "rule"), x, "exclusive_rules",
                                f"规则 {x} 与规则 {rule_id}（{evidence.header(f.file, 'id')} {f.id}）不能同时适用于一个单位："
                                f"「{rule.text}」", x) for g in mine[x]]
            if rule.kind == "task":
                node = rubric.rule_node[rule_id]
                given = [r.id for r in node.rules if r.kind == "given" and r.id in mine]
                if given:
                    out += [Problem(t.file, t.row, evidence.header(t.file, "rule"), rule_id, "score_and_tasks",
                                    f"「{node.name}」已有得分记录（规则 {given[0]}），任务记录不会计分：同一模块只用其中一种", rule_id)
                            for t in fs]
        if rubric.aggregate == "deduct":
            continue
        for part in missing_scores(rubric, set(rows[u.name]), left_out):
            out.append(Problem(u.file, u.row, "单位", u.name, "missing_score",
                               f"台账中没有该单位「{part}」的得分记录，无法计算总分", None))
    return out


def in_scope(rubric: Rubric, roster: Roster) -> list[str]:
    return [u.name for u in roster.units if u.category in rubric.applies_to]


def _header(evidence: Evidence, f, column: str) -> str:
    return evidence.header(f.file, column)


def _has_parse_problem(evidence: Evidence, f, column: str) -> bool:
    return any(p.file == f.file and p.row == f.row and p.column == evidence.header(f.file, column)
               for p in evidence.problems)
