"""Compare two rubric versions on the same evidence: what changed in the rules, and whose score,
grade, rank and award moved, and why.

- **Structural diff**: nodes, rules and readings matched by id, then by the declared replacements of
  version B (``Rubric.replaces``); each matched pair is compared field by field (points, weights,
  per-step amounts, caps, rounding, verbatim text …), nested fields by dotted path (``grades.bands[0].min``).
- **Rescoring**: the evidence is placed on each version separately (:func:`kaohe.validate.resolve`,
  so rows recorded against an id that B renamed land on the new id). A row one version cannot place
  (its rule is gone, it lacks a value the new rule needs, its date is outside the new period …) is
  left out of that version's score and listed with the reason; the comparison goes on. Problems of
  the ledger or roster themselves (an unknown unit, a bad date) stop it, as they would stop a run.
- **Why a unit moved**: the rules whose deductions changed and the indicators whose scores changed,
  each with the changes the diff found in it.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pandas as pd

from .config import Run
from .errors import InputError
from .files import headed, load_cache, save_cache
from .ledger import Evidence, Roster, load_evidence, load_roster
from .numbers import fmt, to_decimal
from .provenance import input_files
from .rubric import Rubric, load_rubric, rubric_files, rubric_path
from .rules import clause_head, kinds, shown_ids
from .rules.rate_shortfall import ROUNDING_TEXT
from .scoring import Result, excellent_label, parse_as_of, score_checked
from .validate import check, resolve

CACHE_VERSION = 1

ADDED, REMOVED, CHANGED, RENAMED, SPLIT, MERGED = "新增", "删除", "修改", "改编号", "拆分", "合并"
DIFF_COLUMNS = ["change", "level", "id_a", "id_b", "name", "field", "label", "a", "b"]
UNIT_COLUMNS = ["unit", "category", "total_a", "total_b", "delta", "grade_a", "grade_b", "rank_a", "rank_b",
                "rank_change", "award_a", "award_b", "status_a", "status_b", "changed", "reason"]
#: ``direct``: the item itself (or, for an indicator, something inside it) changed in the diff; a rule that
#: did not change can still count differently, cut by a cap or a clamp when the score around it moved.
REASON_COLUMNS = ["unit", "level", "id", "name", "what", "a", "b", "delta", "changes", "direct"]
UNPLACED_COLUMNS = ["side", "rubric", "evidence_id", "unit", "rule", "date", "file", "row", "column", "value",
                    "code", "reason"]
NOTE_COLUMNS = ["side", "rubric", "unit", "file", "row", "code", "message"]

#: Problems that say a row does not fit this version's rules: the row is left out of that version only
#: (a row that fits neither version is a ledger error and stops the comparison).
PLACEMENT = {"unknown_rule", "split_rule", "date_outside_period", "missing_value", "out_of_range",
             "not_applicable", "exclusive_rules", "duplicate_measurement", "duplicate_period",
             "score_and_tasks"}
#: Problems that leave the rows in place (scored by the version's own rule) and are shown beside the result.
NOTES = {"not_optional", "points_mismatch", "unused_input"}
#: A part of a weighted or summed total without any score: that version cannot score the unit, as a run
#: would refuse to; the unit is listed as 无法计分 under it and the others rank without it.
UNSCORABLE = {"missing_score"}

FIELD_LABELS = {
    "id": "编号", "name": "名称", "text": "原文", "kind": "计分方式", "points": "分值", "weight": "权重（%）",
    "per": "每次扣分", "amount": "分值", "cap": "全年累计上限", "target": "目标值", "step": "每步（百分点）",
    "rounding": "不足一步时", "decimals": "保留小数位", "min": "最低", "max": "最高", "below": "低于",
    "levels": "级别", "amounts": "各级分值", "per_occurrence": "按次", "bonus": "加分", "unit": "计量单位",
    "percent": "百分率", "document": "依据文件", "excludes": "不能同时适用", "records_until": "记录最晚日期",
    "reading": "读法", "note": "说明", "about": "事项", "touches": "适用于", "node": "所在指标", "parent": "上级",
    "combine": "合成方式", "optional": "可不列入", "eligibility_min": "评优资格最低分", "title": "标题",
    "applies_to": "适用类别", "aggregate": "总分合成", "scale": "折合分制", "pooled": "各项共用总分",
    "points_text": "总分原文", "period": "考核期", "grades": "等次", "awards": "评优", "veto": "一票否决",
    "source": "依据文件", "start": "起算", "gate": "进入条件", "fail": "不合格线", "not_applicable": "不适用时折算",
    "cap_levels": "封顶层级", "above": "高于", "rescale": "折算方式", "to": "分摊到", "effect": "否决效果", "scope": "否决范围", "score": "否决后得分", "grade": "等次",
    # issue 16's kinds: earned (points, per), exceed (tiers, then, inclusive), periodic (every, min, per, unit)
    "tiers": "各档", "over": "超出（%）", "then": "超出后逐步加分", "inclusive": "含边界值", "every": "考核周期",
    # a field whose meaning depends on where it sits: "parent.field"
    "then.over": "起算超出（%）", "then.every": "每步（%）", "then.amount": "每步分值",
}
VALUE_LABELS = {**ROUNDING_TEXT, "deduct": "满分减扣分", "weighted": "按权重合成", "sum": "各部分得分相加",
                "full": "从满分扣减", "zero": "从 0 分起计得分", "grade": "定为否决等次", "stop": "不再评分",
                "no_award": "只取消评优资格", "redistribute": "平均计入其他指标", "exclude": "不列入",
                "month": "每月", "quarter": "每季度", **{k: v.model.label for k, v in kinds().items()}}
LEVEL_NAMES = {"rubric": "细则", "node": "指标", "rule": "规则", "reading": "读法"}
SIDE_NAMES = {"A": "版本 A", "B": "版本 B"}
#: The CSV files of ``kaohe compare``: the columns of ``units`` (and the two refs), ``diff`` and ``unplaced``
#: under the headers a clerk reads (as :data:`kaohe.runner.LEDGER_CSV`); the frames keep their names.
COMPARE_CSV = {"rubric_a": "版本 A 细则", "rubric_b": "版本 B 细则", "unit": "单位", "category": "类别",
               "total_a": "得分 A", "total_b": "得分 B", "delta": "得分变化", "grade_a": "等次 A", "grade_b": "等次 B",
               "rank_a": "排名 A", "rank_b": "排名 B", "rank_change": "名次变化", "award_a": "评优 A", "award_b": "评优 B",
               "status_a": "否决或取消资格 A", "status_b": "否决或取消资格 B", "changed": "是否变化", "reason": "主要原因"}
#: ``field`` (the path in the rubric file) is left out: ``label`` says it in the rubric's words, the path kept.
DIFF_CSV = {"change": "改动", "level": "层级", "id_a": "编号（A）", "id_b": "编号（B）", "name": "名称", "label": "字段",
            "a": "版本 A", "b": "版本 B"}
UNPLACED_CSV = {"side": "版本", "rubric": "细则", "evidence_id": "记录编号", "unit": "单位", "rule": "规则编号",
                "date": "日期", "file": "台账文件", "row": "台账行号", "column": "列", "value": "值", "code": "问题代码",
                "reason": "原因"}


def label(path: str) -> str:
    """``grades.bands[0].min`` -> 等次.bands[0].最低: the words a reviewer knows, the path kept.

    >>> label("then.every"), label("every"), label("tiers[0].over")
    ('超出后逐步加分.每步（%）', '考核周期', '各档[0].超出（%）')
    """
    parts = path.replace("[", ".[").split(".")
    return ".".join(FIELD_LABELS.get(f"{a}.{p}", FIELD_LABELS.get(p, p))
                    for a, p in zip(["", *parts], parts)).replace(".[", "[")


def show(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        return fmt(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return "、".join(show(v) for v in value)
    if isinstance(value, dict):
        return "，".join(f"{k} {show(v)}" for k, v in value.items())
    return VALUE_LABELS.get(value, str(value)) if isinstance(value, str) else str(value)


def _flat(value, prefix: str = "") -> dict[str, object]:
    """Nested model data as ``{dotted path: leaf}``; a list of scalars is one leaf."""
    if isinstance(value, dict) and value:
        out = {}
        for k, v in value.items():
            out.update(_flat(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    if isinstance(value, list) and any(isinstance(v, dict) for v in value):
        out = {}
        for i, v in enumerate(value):
            out.update(_flat(v, f"{prefix}[{i}]"))
        return out
    return {prefix: value}


def _fields(rubric: Rubric) -> dict[str, dict[tuple[str, str], dict[str, object]]]:
    """Per level, each item's flattened fields by (id, name)."""
    parents = rubric.parents
    nodes = {(n.id, n.name): {**_flat(n.model_dump(exclude={"children", "rules"})),
                              "parent": parents[n.id].id if parents[n.id] else None} for n in rubric.nodes}
    rules = {(r.id, rubric.rule_node[r.id].name): {**_flat(r.model_dump()), "node": rubric.rule_node[r.id].id}
             for r in rubric.rules.values()}
    # a reading's alternatives do not change how the version scores (kaohe robustness tries them): not compared
    readings = {(x.id, x.about): _flat(x.model_dump(exclude={"alternatives"})) for x in rubric.readings}
    top = _flat(rubric.model_dump(exclude={"indicators", "readings", "version", "status", "description", "replaces"}))
    return {"rubric": {(rubric.id, rubric.title): top}, "node": nodes, "rule": rules, "reading": readings}


def _groups(ids_a: list[str], ids_b: list[str], replaces: dict[str, list[str]]) -> list[tuple[list[str], list[str]]]:
    """Pairs of id groups (A side, B side): shared ids, then the replacements B declares for ids of A
    (connected: a split is one old id with several new ones, a merge several old ids with one new)."""
    in_a, in_b = set(ids_a), set(ids_b)
    out = [([i], [i]) for i in ids_a if i in in_b]
    edges = {old: [n for n in new if n in in_b and n not in in_a] for old, new in replaces.items() if old in in_a}
    done: set[str] = set()
    for old in [i for i in ids_a if edges.get(i)]:
        if old in done:
            continue
        olds, news = [old], list(edges[old])
        grew = True
        while grew:  # the component: every old id sharing a new id, and every new id of those
            grew = False
            for o, ns in edges.items():
                if o not in olds and set(ns) & set(news):
                    olds.append(o)
                    news += [n for n in ns if n not in news]
                    grew = True
        done.update(olds)
        out.append((sorted(olds, key=ids_a.index), sorted(news, key=ids_b.index)))
    matched_a = {i for a, _ in out for i in a}
    matched_b = {i for _, b in out for i in b}
    out += [([i], []) for i in ids_a if i not in matched_a]
    out += [([], [i]) for i in ids_b if i not in matched_b]
    return out


def diff(a: Rubric, b: Rubric) -> pd.DataFrame:
    """Every difference between two rubric versions, one row per changed field (DIFF_COLUMNS).

    ``change`` is 新增 / 删除 / 修改 / 改编号 / 拆分 / 合并; a renamed item lists its changed fields under
    改编号, a split or merge one row with the texts on each side.
    """
    fa, fb = _fields(a), _fields(b)
    rows = []
    for level in ("rubric", "node", "rule", "reading"):
        items_a = {k[0]: (k[1], v) for k, v in fa[level].items()}
        items_b = {k[0]: (k[1], v) for k, v in fb[level].items()}
        if level == "rubric":  # two different ids can still be compared field by field
            items_a, items_b = {"": next(iter(items_a.values()))}, {"": next(iter(items_b.values()))}
        replaces = b.replaces if level in ("node", "rule") else {}
        for ga, gb in _groups(list(items_a), list(items_b), replaces):
            name = (items_b[gb[0]] if gb else items_a[ga[0]])[0]
            ida, idb = "、".join(ga) or "", "、".join(gb) or ""
            shown_a, shown_b = (ida or a.id, idb or b.id) if level == "rubric" else (ida, idb)
            if not gb:
                rows.append([REMOVED, level, shown_a, "", name, "", "", _summary(items_a[ga[0]][1]), ""])
            elif not ga:
                rows.append([ADDED, level, "", shown_b, name, "", "", "", _summary(items_b[gb[0]][1])])
            elif len(ga) > 1 or len(gb) > 1:
                rows.append([SPLIT if len(ga) == 1 else MERGED, level, shown_a, shown_b, name, "text", label("text"),
                             " | ".join(_summary(items_a[i][1]) for i in ga),
                             " | ".join(_summary(items_b[i][1]) for i in gb)])
            else:
                va, vb = items_a[ga[0]][1], items_b[gb[0]][1]
                change = CHANGED if ga == gb else RENAMED
                if change == RENAMED:
                    rows.append([RENAMED, level, shown_a, shown_b, name, "id", label("id"), ida, idb])
                for key in dict.fromkeys([*va, *vb]):
                    if key != "id" and va.get(key) != vb.get(key):
                        words = _rubric_label(b, key) if level == "rubric" else label(key)
                        rows.append([change, level, shown_a, shown_b, name, key, words, show(va.get(key)),
                                     show(vb.get(key))])
    return pd.DataFrame(rows, columns=DIFF_COLUMNS)


def _rubric_label(r: Rubric, key: str) -> str:
    """Rubric-level fields in the words of the document: 等次「合格」的下限, 年度优秀单位名额."""
    m = re.fullmatch(r"grades\.bands\[(\d+)\]\.(min|grade)", key)
    if m and r.grades and int(m[1]) < len(r.grades.bands):
        return f"等次「{r.grades.bands[int(m[1])].grade}」的{'下限' if m[2] == 'min' else '名称'}"
    m = re.fullmatch(r"awards\.excellent\.(\w+)", key)
    if m and r.awards.excellent:
        return r.awards.excellent.name + {"quota": "名额", "min_score": "最低得分", "text": "原文"}.get(m[1], "." + label(m[1]))
    return label(key)


def _summary(fields: dict[str, object]) -> str:
    """One line for an item added or removed: its kind and amounts, then its text."""
    keys = ("kind", "points", "weight", "per", "amount", "target", "cap", "reading")
    head = "，".join(f"{label(k)} {show(fields[k])}" for k in keys if fields.get(k) not in (None, "", []))
    text = fields.get("text") or fields.get("name") or ""
    return f"{head}：{text}" if head and text else (head or str(text))


# --- rescoring --------------------------------------------------------------------------------------

@dataclass
class Side:
    """One version scored on the evidence it can place."""

    rubric: Rubric
    result: Result
    evidence: Evidence
    unplaced: list  # Problems, one per row left out
    notes: list  # Problems shown beside the result
    #: unit -> why this version cannot score it at all (a part of its total has no score), as a run would refuse
    unscored: dict[str, str] = field(default_factory=dict)


@dataclass
class Comparison:
    """What :func:`compare` returns. Tables hold Decimals; ``units`` is in B's ranking order, units that
    only one version scores at the end."""

    a: Side
    b: Side
    as_of: date | None
    diff: pd.DataFrame
    units: pd.DataFrame
    reasons: pd.DataFrame
    unplaced: pd.DataFrame
    notes: pd.DataFrame
    run: Run | None = None
    #: The files versions A and B are read from (a draft's base too), for provenance.
    rubric_files: list[Path] = field(default_factory=list)
    #: How A and B were chosen (a ref, or an absolute path), for the notebook to load them again.
    selectors: tuple[str, str] = ("", "")
    #: Every input file with its sha256 (``provenance.input_files``), hashed once.
    inputs: list[dict] = field(default_factory=list)

    @property
    def moved(self) -> pd.DataFrame:
        """Units whose grade, award, veto or disqualification changed."""
        u = self.units
        return u[(u["grade_a"] != u["grade_b"]) | (u["award_a"] != u["award_b"]) | (u["status_a"] != u["status_b"])]

    def counts(self) -> dict[str, int]:
        """The headline figures of the report and the command line."""
        u = self.units
        return {"changes": len(self.diff), "units": len(u), "scores": int(sum(d is not None and d != 0 for d in u["delta"])),
                "ranks": int(sum(r is not None and r != 0 for r in u["rank_change"])), "moved": len(self.moved),
                "unplaced_a": int((self.unplaced["side"] == "A").sum()), "unplaced_b": int((self.unplaced["side"] == "B").sum())}

    def save(self, path: Path) -> None:
        save_cache(path, self, CACHE_VERSION)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The CSV files of ``kaohe compare``, as text: ``compare.csv`` (per unit), ``diff.csv``,
        ``unplaced.csv``, in Chinese (:data:`COMPARE_CSV`, :data:`DIFF_CSV`, :data:`UNPLACED_CSV`; levels,
        sides and rule ids as the report names them); exact decimals, ISO dates, blank for none, 是/否."""
        def text(v):
            if v is None or (isinstance(v, float) and v != v):
                return ""
            if isinstance(v, bool):
                return "是" if v else "否"
            return fmt(v) if isinstance(v, Decimal) else (v.isoformat() if isinstance(v, date) else str(v))

        shown = {s: shown_ids(r.rubric.rules.values()) for s, r in (("A", self.a), ("B", self.b))}

        def ids(side: str, level: str, joined: str) -> str:  # veto -> 一票否决; a split lists its ids with 、
            return "、".join(shown[side].get(i, i) for i in joined.split("、")) if level == "rule" and joined else joined

        units = self.units.assign(rubric_a=self.a.rubric.ref, rubric_b=self.b.rubric.ref)
        diff = self.diff.assign(level=self.diff["level"].map(LEVEL_NAMES),
                                id_a=[ids("A", lv, i) for lv, i in zip(self.diff["level"], self.diff["id_a"])],
                                id_b=[ids("B", lv, i) for lv, i in zip(self.diff["level"], self.diff["id_b"])])
        u = self.unplaced
        unplaced = u.assign(side=u["side"].map(SIDE_NAMES), file=[Path(f).name for f in u["file"]],
                            rule=[shown[s].get(r, r) for s, r in zip(u["side"], u["rule"])])
        return {name: headed(frame, columns).astype(object).map(text) for name, frame, columns in
                (("compare.csv", units, COMPARE_CSV), ("diff.csv", diff, DIFF_CSV),
                 ("unplaced.csv", unplaced, UNPLACED_CSV))}


def _checked(rubric: Rubric, roster: Roster, evidence: Evidence) -> tuple[Evidence, list]:
    """The evidence placed on one version and every problem found, each once (evidence placed before
    carries the problems of that placement)."""
    placed = resolve([rubric], roster, evidence)
    problems = check([rubric], roster, placed, every_category_scored=False)
    return placed, list({(p.file, p.row, p.column, p.code, p.message): p for p in problems}.values())


def _side(rubric: Rubric, roster: Roster, placed: Evidence, problems: list, as_of: date | None) -> Side:
    unplaced = [p for p in problems if p.code in PLACEMENT]
    left_out = {(p.file, p.row) for p in unplaced}
    kept = Evidence([f for f in placed.findings if (f.file, f.row) not in left_out], [], placed.files, placed.headers)
    # A part of a unit's total may have a score only in rows this version left out: check what is kept.
    unscored: dict[str, str] = {}
    for p in check([rubric], roster, kept, every_category_scored=False):
        if p.code in UNSCORABLE:
            unscored[p.value] = "；".join(filter(None, [unscored.get(p.value), p.message]))
    kept.findings = [f for f in kept.findings if f.unit not in unscored]
    result = score_checked(rubric, replace(roster, units=[u for u in roster.units if u.name not in unscored]), kept, as_of)
    return Side(rubric, result, placed, unplaced, [p for p in problems if p.code in NOTES], unscored)


def compare(a: Rubric | str, b: Rubric | str, roster, evidence, as_of: date | str | None = None,
            run: Run | None = None) -> Comparison:
    """Score the same roster and evidence under rubric versions ``a`` and ``b`` and explain the difference.

    Args:
        a, b: loaded rubrics, or refs such as ``hengnan-2020-township@1``.
        roster, evidence: as :func:`kaohe.scoring.score` takes them (objects, DataFrames or paths).
        as_of: only evidence dated up to this day counts; must fall in both versions' periods.

    Raises:
        InputError: the roster or ledger itself is invalid — including a row that neither version can
            place, which is a ledger error, not a difference between the versions.
    """
    a = a if isinstance(a, Rubric) else load_rubric(a)
    b = b if isinstance(b, Rubric) else load_rubric(b)
    roster = roster if isinstance(roster, Roster) else load_roster(roster)
    evidence = evidence if isinstance(evidence, Evidence) else load_evidence(evidence)
    when, problems = parse_as_of(as_of, [a, b])
    problems += list(roster.problems) + [p for p in evidence.problems if p.code not in PLACEMENT]
    if problems:
        raise InputError(problems)
    (ea, pa), (eb, pb) = _checked(a, roster, evidence), _checked(b, roster, evidence)
    rows = {(f.file, f.row) for f in ea.findings}
    placement_b = {(p.file, p.row) for p in pb if p.code in PLACEMENT}
    fatal = [p for p in pa + pb if p.code not in PLACEMENT | NOTES | UNSCORABLE
             or (p.code in PLACEMENT and (p.file, p.row) not in rows)]
    fatal += [p for p in pa if p.code in PLACEMENT and (p.file, p.row) in placement_b]  # fits neither version
    if fatal:
        raise InputError(list({(p.file, p.row, p.column, p.code, p.message): p for p in fatal}.values()))
    sa, sb = _side(a, roster, ea, pa, when), _side(b, roster, eb, pb, when)
    changes = diff(a, b)
    units = _units(sa, sb)
    # what the diff found in each item, and the rows each version left out: read by both explanations
    to_b = _to_b(sa, sb)
    per_item, left_out = _per_item(changes), _left_out(sa, sb, to_b)
    reasons = _reasons(sa, sb, units, to_b, per_item, left_out)
    context = _context(sa, sb, changes, units, per_item, left_out)
    units["reason"] = [_reason_text(reasons[reasons["unit"] == u], row, context.get(u, [])) if row["changed"] else ""
                       for u, row in zip(units["unit"], units.to_dict("records"))]
    return Comparison(sa, sb, when, changes, units, reasons, _unplaced(sa, sb), _notes(sa, sb), run)


def _status(row, side: Side, unit: str) -> str:
    if row is None:
        return "无法计分" if unit in side.unscored else "不适用"
    return "取消资格" if row["disqualified"] else ("一票否决" if row["vetoed"] else "")


def _units(sa: Side, sb: Side) -> pd.DataFrame:
    ua = {r["unit"]: r for _, r in sa.result.units.iterrows()}
    ub = {r["unit"]: r for _, r in sb.result.units.iterrows()}
    extra = [*sa.unscored, *sb.unscored]
    order = list(dict.fromkeys([*ub, *ua, *extra]))
    category = {u: c for s in (sa, sb) for u, c in zip(s.result.units["unit"], s.result.units["category"])}
    rows = []
    for unit in order:
        x, y = ua.get(unit), ub.get(unit)
        ta, tb = (x["total"] if x is not None else None), (y["total"] if y is not None else None)
        ra, rb = (x["rank"] if x is not None else None), (y["rank"] if y is not None else None)
        award_a = excellent_label(x["excellent"], x["excellent_pending"]) if x is not None else ""
        award_b = excellent_label(y["excellent"], y["excellent_pending"]) if y is not None else ""
        row = {"unit": unit, "category": category.get(unit, ""), "total_a": ta, "total_b": tb,
               "delta": tb - ta if ta is not None and tb is not None else None,
               "grade_a": x["grade"] if x is not None else "", "grade_b": y["grade"] if y is not None else "",
               "rank_a": ra, "rank_b": rb, "rank_change": ra - rb if ra is not None and rb is not None else None,
               "award_a": award_a, "award_b": award_b, "status_a": _status(x, sa, unit), "status_b": _status(y, sb, unit)}
        row["changed"] = (ta, ra, row["grade_a"], award_a, row["status_a"]) != (tb, rb, row["grade_b"], award_b, row["status_b"])
        rows.append(row)
    # object columns: a rank that one version does not give stays None (pandas would make the column float)
    return pd.DataFrame({c: pd.Series([r[c] for r in rows], dtype=object) for c in UNIT_COLUMNS[:-1]})


def _to_b(sa: Side, sb: Side) -> dict[str, str]:
    """A's rule and node ids as B calls them (a rename or merge); a split or removed id stays as it is."""
    out = {i: i for i in [*sa.rubric.rules, *(n.id for n in sa.rubric.nodes)]}
    for old, new in sb.rubric.replaces.items():
        if len(new) == 1 and old in out:
            out[old] = new[0]
    return out


def _per_item(changes: pd.DataFrame) -> dict[tuple[str, str], list[str]]:
    """The diff's changes by (level, id), on either side's id."""
    out: dict[tuple[str, str], list[str]] = defaultdict(list)
    for _, c in changes.iterrows():
        if c["level"] not in ("node", "rule"):
            continue
        what = _change_text(c) if c["change"] in (CHANGED, RENAMED) else c["change"]
        for key in dict.fromkeys([*c["id_b"].split("、"), *c["id_a"].split("、")]):
            if key:
                out[(c["level"], key)].append(what)
    return out


def _change_text(c) -> str:
    return f"{c['label']}：{c['a'] or '（无）'} → {c['b'] or '（无）'}"


def _left_out(sa: Side, sb: Side, to_b: dict[str, str]) -> dict[tuple[str, str], list[str]]:
    """Why a version left a unit's rows of a rule out, per (unit, rule as B calls it)."""
    out: dict[tuple[str, str], list[str]] = defaultdict(list)
    for s, mapping in ((sa, to_b), (sb, {})):
        found = {(f.file, f.row): f for f in s.evidence.findings}
        for p in s.unplaced:
            f = found[(p.file, p.row)]
            rule = f.rule_as_written or f.rule
            text = f"第 {s.rubric.version} 版未计入 {f.id}：{p.message}"
            if text not in out[(f.unit, mapping.get(rule, rule))]:
                out[(f.unit, mapping.get(rule, rule))].append(text)
    return out


def _reasons(sa: Side, sb: Side, units: pd.DataFrame, to_b: dict[str, str], per_item: dict, left_out: dict) -> pd.DataFrame:
    """Per unit, each rule whose deductions changed and each indicator whose score changed, with what the
    diff found in it or the rows a version left out (REASON_COLUMNS); largest change first."""
    ra, rb = sa.rubric, sb.rubric
    names = {**{n.id: n.name for n in ra.nodes}, **{n.id: n.name for n in rb.nodes}}
    rule_names = {**{r: clause_head(x.text) for r, x in ra.rules.items()},
                  **{r: clause_head(x.text) for r, x in rb.rules.items()}}
    in_b = {n.id: n for n in rb.nodes}

    def inside(node_id: str, moved_rules: set[str]) -> list[str]:
        """The diff's changes within a node of B: its nodes' own, and those of the rules whose deductions
        moved for this unit (every rule's, when none did: a weight or a cap changed the score)."""
        node = in_b.get(node_id)
        nodes = [node_id] if node is None else [n.id for n in node.walk()]
        rules = [] if node is None else [r.id for n in node.walk() for r in n.rules]
        hit = [r for r in rules if r in moved_rules]
        out = [f"{i} {w}" for i in nodes for w in per_item.get(("node", i), [])]
        return out + [f"{i} {w}" for i in (hit or rules) for w in per_item.get(("rule", i), [])]

    rows = []
    both = units["total_a"].map(lambda t: t is not None) & units["total_b"].map(lambda t: t is not None)
    changed = set(units.loc[units["changed"].astype(bool) & both, "unit"])  # one version alone: said by _context
    da = _sum_by(sa.result.ledger, "rule", to_b)
    db = _sum_by(sb.result.ledger, "rule", None)
    bonus = {r for x in (ra, rb) for r, rule in x.rules.items() if rule.gains()}
    cut = _cap_reasons(sb)
    for unit, rule in sorted(set(da) | set(db)):
        if unit not in changed:
            continue
        x, y = da.get((unit, rule), Decimal(0)), db.get((unit, rule), Decimal(0))
        if x != y:
            own = per_item.get(("rule", rule), []) + left_out.get((unit, rule), [])
            sign = -1 if rule in bonus else 1  # the ledger holds a bonus as a negative deduction
            rows.append([unit, "rule", rule, rule_names.get(rule, ""), "加分" if sign < 0 else "扣分", sign * x, sign * y,
                         x - y, "；".join(own or cut.get((unit, rule), [])), bool(own)])
    na, nb = _node_scores(sa.result, to_b), _node_scores(sb.result, None)
    for unit, node in sorted(set(na) | set(nb)):
        if unit not in changed:
            continue
        x, y = na.get((unit, node)), nb.get((unit, node))
        if x != y:
            delta = (y - x) if x is not None and y is not None else None
            moved_rules = {r[2] for r in rows if r[0] == unit and r[1] == "rule"}
            within = inside(node, moved_rules)
            rows.append([unit, "node", node, names.get(node, ""), "得分", x, y, delta, "；".join(within[:6]), bool(within)])
    out = pd.DataFrame(rows, columns=REASON_COLUMNS)
    # Changed rules first, then indicators with changes inside, then knock-on effects; largest first.
    out["_tier"] = [0 if d and lv == "rule" else (1 if d else 2) for lv, d in zip(out["level"], out["direct"])]
    out["_size"] = [-abs(d) if d is not None else Decimal(0) for d in out["delta"]]
    return out.sort_values(["unit", "_tier", "_size"], kind="stable").drop(columns=["_tier", "_size"]).reset_index(drop=True)


#: Rubric-level fields that decide a grade or an award, and the direction of change that helps a unit.
GRADE_FIELDS = re.compile(r"grades\.bands\[\d+\]\.(min|grade)")
AWARD_FIELDS = {"awards.excellent.quota": 1, "awards.excellent.min_score": -1}
#: Fields that change every unit's total without touching a rule: the total's form, and in a weighted or
#: summed total its top-level parts.
TOTAL_FIELDS = {"rubric": {"points", "scale", "aggregate", "pooled"}, "node": {"weight", "points", "combine", "optional"}}


def _context(sa: Side, sb: Side, changes: pd.DataFrame, units: pd.DataFrame, per_item: dict,
             left_out: dict) -> dict[str, list[str]]:
    """Per unit, what moved it besides its rules and indicators: which versions score it, a veto or a
    disqualification, a grade band or award rule, and the form of the total."""
    top = {n.id for n in sb.rubric.indicators} | {n.id for n in sa.rubric.indicators}
    rubric_rows = changes[changes["level"] == "rubric"]
    composite = "deduct" not in (sa.rubric.aggregate, sb.rubric.aggregate) or sa.rubric.aggregate != sb.rubric.aggregate
    total = []  # in a deducted total, a part's points only cap its rules: that shows on the rules
    for _, c in changes.iterrows():
        if c["level"] == "rubric" and c["field"] in TOTAL_FIELDS["rubric"]:
            total.append(_change_text(c))
        elif c["level"] == "node" and composite and (c["id_b"] in top or c["id_a"] in top):
            if c["field"] in TOTAL_FIELDS["node"]:
                total.append(f"{c['id_b'] or c['id_a']} {_change_text(c)}")
            elif c["change"] in (ADDED, REMOVED):
                total.append(f"{c['id_b'] or c['id_a']} {c['name']}：{c['change']}")
    kinds = {r for s in (sa, sb) for r, rule in s.rubric.rules.items() if rule.kind in ("veto", "disqualify")}
    shown = {**shown_ids(sa.rubric.rules.values()), **shown_ids(sb.rubric.rules.values())}  # veto → 一票否决
    out: dict[str, list[str]] = {}
    for u in units.to_dict("records"):
        parts = []
        for side, other, s in (("A", "B", sa), ("B", "A", sb)):
            if u[f"status_{side.lower()}"] in ("不适用", "无法计分"):
                why = s.unscored.get(u["unit"]) or f"类别「{u['category']}」不在其适用范围（{'、'.join(s.rubric.applies_to)}）"
                parts.append(f"只有版本 {other} 对本单位计分：版本 {side} {u[f'status_{side.lower()}']}，{why}")
        if not parts and u["status_a"] != u["status_b"]:
            parts.append(f"{u['status_b'] or u['status_a']}：{'是' if u['status_a'] else '否'} → {'是' if u['status_b'] else '否'}")
            parts += [f"{shown.get(r, r)} {w}" for r in sorted(kinds) for w in per_item.get(("rule", r), [])]
            parts += [t for r in sorted(kinds) for t in left_out.get((u["unit"], r), [])]
        if u["grade_a"] != u["grade_b"] and not parts:
            parts += [_change_text(c) for _, c in rubric_rows.iterrows() if GRADE_FIELDS.fullmatch(c["field"])]
        if u["award_a"] != u["award_b"]:
            gained = u["award_b"] == "是"
            for _, c in rubric_rows.iterrows():
                sign = AWARD_FIELDS.get(c["field"])
                if sign and c["a"] and c["b"] and (to_decimal(c["b"]) - to_decimal(c["a"])) * sign * (1 if gained else -1) > 0:
                    parts.append(_change_text(c))
        if u["delta"] is not None and u["delta"] != 0:
            parts += total
        out[u["unit"]] = parts
    return out


def _cap_reasons(side: Side) -> dict[tuple[str, str], list[str]]:
    """Why B applied less than a rule computed (a cap or a clamp), per (unit, rule): a rule that did
    not change can still count differently when the score around it did."""
    led = side.result.ledger
    out: dict[tuple[str, str], list[str]] = defaultdict(list)
    for unit, rule, by, reason in zip(led["unit"], led["rule"], led["capped_by"], led["reason"]):
        if by and reason and reason not in out[(unit, rule)]:
            out[(unit, rule)].append(f"第 {side.rubric.version} 版：{reason}")
    return out


def _sum_by(ledger: pd.DataFrame, column: str, to_b: dict[str, str] | None) -> dict[tuple[str, str], Decimal]:
    out: dict[tuple[str, str], Decimal] = defaultdict(lambda: Decimal(0))
    for unit, key, applied in zip(ledger["unit"], ledger[column], ledger["applied"]):
        out[(unit, to_b.get(key, key) if to_b else key)] += applied
    return dict(out)


def _node_scores(result: Result, to_b: dict[str, str] | None) -> dict[tuple[str, str], Decimal | None]:
    n = result.nodes
    return {(u, to_b.get(i, i) if to_b else i): s for u, i, s in zip(n["unit"], n["node"], n["score"]) if s is not None}


def _reason_text(rows: pd.DataFrame, unit: dict, parts: list[str], limit: int = 3) -> str:
    """The 主要原因 cell: what moved the unit besides its rules (:func:`_context`), then the largest changes
    of its score, the rules the diff changed first (they are where the rubric acts)."""
    parts = list(parts)
    if rows.empty or (unit["delta"] == 0 and parts):  # the score did not move: its parts' shifts are in the detail
        if parts:
            return "；".join(parts)
        return "得分未变，名次或评优随其他单位的变化而变化" if unit["delta"] == 0 else "总分的合成方式改变（见细则改动表）"
    changed_rules = rows[(rows["level"] == "rule") & rows["direct"]]
    if not changed_rules.empty:  # the rules say where the rubric acted; their indicators only follow
        rows = changed_rules
    for _, r in rows.head(limit).iterrows():
        what = f"{r['id']} {r['name']} {r['what']} {show(r['a']) or '无'} → {show(r['b']) or '无'}"
        parts.append(what + (f"（{r['changes']}）" if r["changes"] else ""))
    if len(rows) > limit:
        parts.append(f"等 {len(rows)} 项")
    return "；".join(parts)


def _unplaced(sa: Side, sb: Side) -> pd.DataFrame:
    rows = []
    for side, s in (("A", sa), ("B", sb)):
        found = {(f.file, f.row): f for f in s.evidence.findings}
        for p in sorted(s.unplaced, key=lambda p: (p.file, p.row)):  # in ledger order
            f = found[(p.file, p.row)]
            rows.append([side, s.rubric.ref, f.id, f.unit, f.rule_as_written or f.rule, f.date, f.file, f.row,
                         p.column, p.value, p.code, p.message])
    return pd.DataFrame(rows, columns=UNPLACED_COLUMNS)


def _notes(sa: Side, sb: Side) -> pd.DataFrame:
    rows = []
    for side, s in (("A", sa), ("B", sb)):
        found = {(f.file, f.row): f for f in s.evidence.findings}
        for p in s.notes:
            f = found.get((p.file, p.row))
            unit = f.unit if f else ""  # a roster problem (不适用) names its row, not a ledger row
            rows.append([side, s.rubric.ref, unit, p.file, p.row, p.code, p.message])
    return pd.DataFrame(rows, columns=NOTE_COLUMNS)


# --- from a params file -----------------------------------------------------------------------------

def compare_params(params: str | Path, a: str, b: str, as_of: str | date | None = None) -> Comparison:
    """Compare versions ``a`` and ``b`` on a params file's roster and evidence; award quotas that the
    document leaves open come from its ``quotas`` (by rubric id), as in a run."""
    run = Run(params)
    a, b = (_absolute(x) for x in (a, b))
    ra, rb = (run.with_quota(load_rubric(x), strict=False) for x in (a, b))
    roster, evidence = run.load_inputs(rubrics=[])  # placed on each version separately
    given = as_of if as_of not in (None, "") else run.config.as_of
    c = compare(ra, rb, roster, evidence, given, run)
    c.rubric_files = list(dict.fromkeys(f for x in (a, b) for f in rubric_files(rubric_path(x))))
    c.selectors = (a, b)
    c.inputs = input_files(run, c.rubric_files)
    return c


def _absolute(ref_or_path: str) -> str:
    """A rubric file given by a relative path, made absolute: the notebook runs in another folder."""
    p = Path(ref_or_path)
    return os.path.abspath(p) if (p.suffix in (".yaml", ".yml") or p.exists()) else str(ref_or_path)


def load(params: str | Path, a: str, b: str, as_of: str | date | None = None,
         cache: str | Path | None = None) -> Comparison:
    """The comparison from ``kaohe compare``'s cache, else computed here (a notebook opened by hand)."""
    if cache and Path(cache).exists():
        return load_cache(cache, CACHE_VERSION, "kaohe compare")
    return compare_params(params, a, b, as_of)
