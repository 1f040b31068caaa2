"""The evidence ledger and the roster: parsed from files, every cell problem collected.

Canonical evidence columns, with the Chinese headers office staff use:
``id`` 编号, ``unit`` 单位, ``rule`` 规则编号, ``date`` 日期, ``count`` 次数/数量, ``value`` 数值,
``level`` 级别, ``points`` 分值/扣分, ``note`` 情况说明, ``source`` 依据/来源,
``attachment`` 佐证材料, ``recorded_by`` 记录人, and for tasks ``required`` 要求任务量, ``done`` 完成任务量,
``status`` 完成情况 (按时/逾期/未启动 for tasks, 达到/部分达到/未达到 for points earned). Required: id, unit, rule,
date.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from operator import attrgetter
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import UNSEEN, WARNING, Problem, control_characters, shown, warn
from .names import simplified
from .numbers import to_decimal
from .rules import INPUTS, Finding
from .tables import cell_text as text
from .tables import read_table, table_from_frame

EVIDENCE_COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("编号", "记录编号"),  # not 序号: a row number is no stable id, and sheets often have both
    "unit": ("单位", "被考核单位", "单位名称"),
    "rule": ("规则编号", "规则", "细则编号"),
    "date": ("日期", "发现日期", "记录日期"),
    "count": ("次数/数量", "次数", "数量", "件数"),
    "value": ("数值", "测量值"),
    "level": ("级别", "通报级别"),
    "points": ("分值/扣分", "分值", "扣分"),
    "note": ("情况说明", "说明"),  # not 备注: sheets often keep 备注 beside 情况说明
    "source": ("依据/来源", "依据", "来源"),
    "attachment": ("佐证材料", "附件"),
    "recorded_by": ("记录人",),
    # Tasks scored by completion (衡阳 2018: 按完成任务量与要求任务量比例计分).
    "required": ("要求任务量", "要求量"),
    "done": ("完成任务量", "完成量"),
    "status": ("完成情况",),
}
EVIDENCE_REQUIRED = ("id", "unit", "rule", "date")
#: Chinese header shown in messages for each canonical column.
LABELS = {k: v[0] for k, v in EVIDENCE_COLUMNS.items()}
#: Between a rule id and its label in 规则编号 (``1.2.1｜扣3分…``, as the template's drop-down offers it):
#: what follows it is for people and is not read.
RULE_LABEL = "｜"

ROSTER_COLUMNS: dict[str, tuple[str, ...]] = {
    "unit": ("单位", "单位名称"),
    "category": ("类别", "单位类别", "类型"),
    # Modules that do not apply to the unit (衡阳: 无部门网站、非12345热线单位、无行政许可事项).
    "not_applicable": ("不适用", "不适用模块", "不列入"),
}

#: 完成情况 as written -> 按时 / 逾期 / 未启动 (a task) or 达到 / 部分达到 / 未达到 (points earned); which words
#: a rule takes is its kind's to say (``statuses``).
STATUSES = {"按时": "按时", "按时完成": "按时", "超额完成": "按时", "按时按量完成": "按时", "逾期": "逾期", "逾期完成": "逾期",
            "未完成": "逾期",  # started, not finished: scored by the share done, like a late task
            "未启动": "未启动",
            "达到": "达到", "完全达到": "达到", "部分达到": "部分达到", "未达到": "未达到"}

LEVELS = {"国": "国家", "国家": "国家", "国家级": "国家", "中央": "国家", "省": "省", "省级": "省",
          "市": "市", "市级": "市", "县": "县", "县级": "县", "区": "县", "县区": "县"}

#: Ledger columns kept as written (the others are read as numbers, dates or one of a fixed set of words, and
#: a control character in them is already a problem of their own).
TEXT_COLUMNS = ("id", "unit", "rule", "level", "note", "source", "attachment", "recorded_by")

#: Characters that change the direction text is shown in (U+202E shows ``示例\u202e镇01`` as 示例10镇).
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def invisible(char: str) -> bool:
    """Whether ``char`` shows nothing (or only changes how the text around it is shown): a format character
    (zero-width space and joiners, direction marks, soft hyphen, BOM…) or one of :data:`~kaohe.errors.UNSEEN`."""
    return char in UNSEEN or unicodedata.category(char) == "Cf"


def visible(name: str) -> str:
    """``name`` without its invisible characters: what a reader sees of it.

    >>> visible("示例\u200d镇01") == visible("示例镇01\u202e") == "示例镇01"
    True
    """
    return "".join(c for c in name if not invisible(c))


# A time part (Excel and pandas exports add "0:00" or "00:00:00") is allowed and dropped.
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")


@dataclass
class Evidence:
    """Parsed evidence rows plus the problems found while parsing them."""

    findings: list[Finding] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    #: file -> {canonical column: header as written}, so problems name the column as the user wrote it
    headers: dict[str, dict[str, str]] = field(default_factory=dict)

    def header(self, file: str, column: str) -> str:
        return self.headers.get(file, {}).get(column, LABELS[column])

    def columns(self) -> Columns:
        """The rows as columns, worked out once and shared by the checks and every scoring of a run (a
        province's ledger has a million rows); worked out again when ``findings`` has changed."""
        # Findings are frozen: a changed row is a new object, so the objects' ids tell whether the rows changed.
        key = hash(tuple(map(id, self.findings)))
        cached = self.__dict__.get("_columns")
        if cached is None or cached[0] != key:
            cached = self.__dict__["_columns"] = (key, Columns.of(self.findings))
        return cached[1]

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_columns", None)  # rebuilt on demand; a unit's slice is pickled for its report
        return state


_inputs = attrgetter("rule", *INPUTS)


@dataclass(frozen=True)
class Columns:
    """Evidence rows as columns, in ledger order (numpy object arrays unless noted). Rows with the same rule
    and inputs (:data:`kaohe.rules.INPUTS`) cost the same and share a ``code``; ``sample`` holds the first
    row of each code, so a rule's arithmetic runs once per code rather than once per row."""

    n: int
    unit: np.ndarray
    rule: np.ndarray
    date: np.ndarray
    day: np.ndarray  # int64: date.toordinal(), -1 where the date did not parse
    id: np.ndarray
    file: np.ndarray
    row: np.ndarray  # Excel row numbers: int64, or object where some are None (a DataFrame's rows)
    code: np.ndarray  # int64
    sample: list  # Finding per code
    #: int64 codes of the unit and rule names, and the distinct names (``unit_names[unit_code]`` is ``unit``)
    unit_code: np.ndarray
    unit_names: np.ndarray
    rule_code: np.ndarray
    rule_names: np.ndarray

    @classmethod
    def of(cls, findings: list[Finding]) -> Columns:
        index: dict[tuple, int] = {}
        code = np.array([index.setdefault(k, len(index)) for k in map(_inputs, findings)], dtype=np.int64)
        _, first = np.unique(code, return_index=True)
        unit, rule = objects([f.unit for f in findings]), objects([f.rule for f in findings])
        when = [f.date for f in findings]
        rows = [f.row for f in findings]
        unit_code, unit_names = pd.factorize(unit)
        rule_code, rule_names = pd.factorize(rule)
        return cls(len(findings), unit, rule, objects(when),
                   np.array([-1 if d is None else d.toordinal() for d in when], dtype=np.int64),
                   objects([f.id for f in findings]), objects([f.file for f in findings]),
                   objects(rows) if None in rows else np.array(rows, dtype=np.int64), code,
                   [findings[i] for i in first.tolist()], unit_code.astype(np.int64), unit_names,
                   rule_code.astype(np.int64), rule_names)

    def unit_at(self, where: dict[str, int]) -> np.ndarray:
        """Each row's unit's position in ``where`` (name -> position); -1 where it has none."""
        return _at(self.unit_names, self.unit_code, where)

    def rule_at(self, where: dict[str, int]) -> np.ndarray:
        """Each row's rule's position in ``where`` (id -> position); -1 where it has none."""
        return _at(self.rule_names, self.rule_code, where)


def _at(names: np.ndarray, codes: np.ndarray, where: dict[str, int]) -> np.ndarray:
    return np.array([where.get(x, -1) for x in names.tolist()] + [-1], dtype=np.int64)[codes]


def objects(values: list) -> np.ndarray:
    """A 1-D object array (``np.array`` would turn a list of tuples into a 2-D array)."""
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


@dataclass(frozen=True)
class Unit:
    name: str
    category: str
    file: str = ""
    row: int | None = None
    #: Module ids or names as written in 不适用 (resolved against the rubric by validate/scoring).
    not_applicable: tuple[str, ...] = ()


@dataclass
class Roster:
    units: list[Unit] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    file: str = ""
    #: names a reader cannot tell apart or read as written (:func:`lookalikes`): shown, not refused
    warnings: list[Problem] = field(default_factory=list)

    def category_of(self) -> dict[str, str]:
        return {u.name: u.category for u in self.units}


def match_units(roster: Roster, evidence: Evidence) -> Evidence:
    """Evidence whose unit names match the roster after 繁简 conversion, assigned to that roster unit.

    The ledger's own spelling stays in ``Finding.unit_as_written``; a name that converts to several
    roster units, or roster units that collide after conversion, are problems, never guesses.
    """
    names = {u.name for u in roster.units}
    if names.union([""]).issuperset(evidence.columns().unit.tolist()):
        return evidence  # the common case needs no conversion (and does not load OpenCC)
    by_simple: dict[str, list[Unit]] = defaultdict(list)
    for u in roster.units:
        by_simple[simplified(u.name)].append(u)
    problems = list(evidence.problems)
    for units in by_simple.values():
        for u in units[1:]:
            problems.append(Problem(u.file, u.row, "单位", u.name, "ambiguous_unit",
                                    f"与第 {units[0].row} 行的「{units[0].name}」繁简转换后相同，台账无法区分"))
    findings = []
    for f in evidence.findings:
        if f.unit and f.unit not in names:
            hits = by_simple.get(simplified(f.unit), [])
            if len(hits) == 1:
                f = replace(f, unit=hits[0].name, unit_as_written=f.unit)
            elif len(hits) > 1:
                problems.append(Problem(f.file, f.row, evidence.header(f.file, "unit"), f.unit, "ambiguous_unit",
                                        f"繁简转换后对应名单中的多个单位：{'、'.join(u.name for u in hits)}", f.rule))
        findings.append(f)
    return Evidence(findings, problems, evidence.files, evidence.headers)


def _read(source, columns, required, label):
    if isinstance(source, pd.DataFrame):
        return table_from_frame(source, columns, required, label=label)
    return read_table(source, columns, required, label=label)


def load_roster(source: str | Path | pd.DataFrame) -> Roster:
    """Read a roster (``unit, category`` / 单位, 类别) from CSV, XLSX or a DataFrame."""
    table, problems = _read(source, ROSTER_COLUMNS, ("unit", "category"), "单位名单")
    roster = Roster(problems=problems, file=table.file)
    if any(p.code == "missing_column" for p in problems):
        return roster  # rows cannot be read without 单位 and 类别; the missing column is the problem to fix
    seen: dict[str, int] = {}
    for row, cells in table.rows:
        name, cat = text(cells.get("unit")), text(cells.get("category"))
        for col, val in (("unit", name), ("category", cat)):
            if not val:
                roster.problems.append(Problem(table.file, row, table.headers[col], "", "missing_value",
                                               f"「{table.headers[col]}」不能为空"))
        for col, val in (("unit", name), ("category", cat), ("not_applicable", text(cells.get("not_applicable")))):
            why = control_characters(val)
            if why:  # the unit stays on the roster: its ledger rows are not "not on the roster" as well
                roster.problems.append(Problem(table.file, row, table.headers[col], val, "control_character", why))
        if not (name and cat):
            continue
        if name in seen:
            roster.problems.append(Problem(table.file, row, table.headers["unit"], name, "duplicate_unit",
                                           f"单位重复（第 {seen[name]} 行已有）"))
            continue
        seen[name] = row
        left_out = tuple(t for t in re.split(r"[、,，;；\s]+", text(cells.get("not_applicable"))) if t)
        roster.units.append(Unit(name, cat, table.file, row, left_out))
    if not roster.units and not roster.problems:
        roster.problems.append(Problem(table.file, None, None, None, "empty_roster", "名单中没有单位"))
    roster.warnings = lookalikes(roster.units, table.headers.get("unit", "单位"))
    warn(roster.warnings)  # here, where a roster is read once per command (validation runs once per rubric)
    return roster


_INVISIBLE_NAMES = {"\u00ad": "软连字符", "\u200b": "零宽空格", "\u200c": "零宽不连字", "\u200d": "零宽连接符",
                    "\u200e": "从左至右标记", "\u200f": "从右至左标记", "\u202a": "从左至右嵌入", "\u202b": "从右至左嵌入",
                    "\u202c": "方向格式结束", "\u202d": "从左至右强制", "\u202e": "从右至左强制", "\u2060": "词连接符",
                    "\u2066": "从左至右隔离", "\u2067": "从右至左隔离", "\u2068": "方向隔离", "\u2069": "方向隔离结束",
                    "\ufeff": "零宽不换行空格"}


def _named(chars) -> str:
    return "、".join(f"U+{ord(c):04X}" + (f"（{_INVISIBLE_NAMES[c]}）" if c in _INVISIBLE_NAMES else "") for c in chars)


def lookalikes(units: list[Unit], column: str = "单位") -> list[Problem]:
    """Warnings (:data:`~kaohe.errors.WARNING`) for roster names a reader cannot tell apart or read as written:
    a name that differs from an earlier one only in invisible characters (a zero-width joiner, a variation
    selector…), naming both, and a name with a character that changes the direction text is shown in
    (U+202E shows ``示例镇\u202e10`` as 示例镇01). They are scored as the distinct units they are; their
    files never carry those characters (:func:`kaohe.html.unit_files`)."""
    out: list[Problem] = []
    first: dict[str, Unit] = {}
    for u in units:
        bidi = [c for c in dict.fromkeys(u.name) if c in BIDI_CONTROLS]
        if bidi:
            out.append(Problem(u.file, u.row, column, u.name, "bidi_control",
                               f"含有改变文字显示方向的控制字符 {_named(bidi)}：显示出的名称与实际的字符顺序不同，"
                               "可能被看成另一个单位；请确认后从名单和台账中删除该字符", severity=WARNING))
        seen = first.setdefault(visible(u.name), u)
        if seen is not u:
            hidden = [c for c in dict.fromkeys(seen.name + u.name) if invisible(c)]
            out.append(Problem(u.file, u.row, column, u.name, "lookalike_unit",
                               f"与第 {seen.row} 行的单位 {shown(seen.name)} 只差看不见的字符 {_named(hidden)}，"
                               "在报告和通报中看起来是同一个单位：请确认，并删除多余的字符", severity=WARNING))
    return out


def load_evidence(sources: str | Path | pd.DataFrame | list) -> Evidence:
    """Read ledger files (or DataFrames with the same headers); every cell problem is collected."""
    if isinstance(sources, (str, Path, pd.DataFrame)):
        sources = [sources]
    ev = Evidence()
    first_id: dict[str, tuple[str, int]] = {}
    for source in sources:
        table, problems = _read(source, EVIDENCE_COLUMNS, EVIDENCE_REQUIRED, "台账")
        ev.files.append(table.file)
        ev.headers[table.file] = table.headers
        ev.problems += problems
        if any(p.code == "missing_column" for p in problems):
            continue  # rows cannot be read without their required columns
        for row, cells in table.rows:
            finding, row_problems = parse_row(cells, table.file, row, table.headers)
            ev.problems += row_problems
            if finding.id:
                if finding.id in first_id:
                    f0, r0 = first_id[finding.id]
                    where = f"第 {r0} 行" if f0 == table.file else f"{f0} 第 {r0} 行"
                    ev.problems.append(Problem(table.file, row, table.headers.get("id", "编号"), finding.id,
                                               "duplicate_id", f"编号重复（{where}已使用）", finding.rule))
                else:
                    first_id[finding.id] = (table.file, row)
            ev.findings.append(finding)
    return ev


def parse_row(cells: dict, file: str, row: int, headers: dict[str, str]) -> tuple[Finding, list[Problem]]:
    """Parse one ledger row. Blank optional cells are None; bad cells become problems."""
    problems: list[Problem] = []
    rule = text(cells.get("rule")).split(RULE_LABEL, 1)[0].strip()

    def problem(col, value, code, message):
        problems.append(Problem(file, row, headers.get(col, LABELS[col]), text(value) if value is not None else "",
                                code, message, rule or None))

    for col in EVIDENCE_REQUIRED:
        if col in headers and not text(cells.get(col)):
            problem(col, "", "missing_value", f"「{LABELS[col]}」不能为空")
    if control_characters("".join(text(cells.get(col)) for col in TEXT_COLUMNS)):  # rare: then column by column
        for col in TEXT_COLUMNS:
            why = control_characters(text(cells.get(col)))
            if why:
                problem(col, cells[col], "control_character", why)
    when = parse_date(cells.get("date"))
    if when is None and text(cells.get("date")):
        problem("date", cells.get("date"), "bad_date", "不是有效日期（应为 2020-03-31、2020/3/31 或 2020年3月31日）")

    count = None
    if text(cells.get("count")):
        try:
            d = to_decimal(cells["count"])
            if d <= 0 or d != d.to_integral_value():
                raise ValueError
            count = int(d)
        except ValueError:
            problem("count", cells["count"], "bad_count", "「次数/数量」应为正整数（1、2、3……）")
    nums: dict[str, Decimal | None] = {}
    for col in ("value", "points", "required", "done"):
        nums[col] = None
        if text(cells.get(col)):
            try:
                nums[col] = to_decimal(cells[col])
            except ValueError:
                problem(col, cells[col], "not_a_number", f"「{LABELS[col]}」不是数字（可写 96.5、96.5% 或 ９６．５％）")
    for col in ("required", "done"):
        if nums[col] is not None and nums[col] < 0:
            problem(col, cells[col], "out_of_range", f"「{LABELS[col]}」不能为负数")
    status_text = text(cells.get("status"))
    status = STATUSES.get(status_text) if status_text else None
    if status_text and status is None:
        problem("status", status_text, "bad_status",
                "「完成情况」应为 按时完成、逾期完成、未启动（按任务计分），或 达到、部分达到、未达到（得分项）")
    level_text = text(cells.get("level"))
    level = LEVELS.get(level_text.removesuffix("通报"), level_text) if level_text else None

    return Finding(
        id=text(cells.get("id")), unit=text(cells.get("unit")), rule=rule, date=when,
        count=count, value=nums["value"], level=level, points=nums["points"],
        required=nums["required"], done=nums["done"], status=status,
        note=text(cells.get("note")), source=text(cells.get("source")),
        attachment=text(cells.get("attachment")), recorded_by=text(cells.get("recorded_by")),
        file=file, row=row,
    ), problems


def parse_date(cell) -> date | None:
    """A date from an Excel date cell or text such as 2020-03-31, 2020/3/31, 2020年3月31日."""
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    t = text(cell).translate(str.maketrans("０１２３４５６７８９－／．", "0123456789-/."))
    m = _DATE.fullmatch(t)
    if not m:
        return None
    try:
        return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None
