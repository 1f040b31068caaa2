"""``kaohe template``: an evidence ledger workbook made from a rubric and a roster, to be filled in Excel or
WPS and read back by :func:`kaohe.ledger.load_evidence` with no conversion step.

Sheet 台账 (the first, which the reader reads) has the Chinese headers, a drop-down of the roster's units
and of the rubric's rule ids (each with a short label after ``｜``, which the reader drops), date and number
formats and checks, and an input message on every column. Sheet 规则 lists every rule with its verbatim
clause, how it is scored and which columns it needs; sheet 填写说明 says how to fill the ledger in.
"""

from __future__ import annotations

from pathlib import Path

from .files import write_bytes_atomic, xlsx_bytes
from .ledger import LABELS, RULE_LABEL, Roster
from .rubric import Rubric
from .rules import clause_head, shown_ids

#: Rows of 台账 that carry the drop-downs and checks (Excel applies them to empty rows at no cost).
ROWS = 5000

#: What each column means, shown as the cell's input message (Excel limits it to 255 characters).
MEANING = {
    "id": "本条记录的编号，在全部台账中唯一，如 2020-001。不要用行号（序号）代替。",
    "unit": "被考核单位：从下拉列表中选择（来自单位名单），名称须与名单完全一致。",
    "rule": "细则中的规则：从下拉列表中选择。列表中编号后的说明（｜之后）只为方便辨认，读取时忽略。",
    "date": "发现或记录的日期，须在考核期内，如 2020-03-31。",
    "count": "按次扣分的规则填次数（正整数），留空表示 1 次；其他规则留空。",
    "value": "测量类规则填实际数值：项数、办件量或百分率（96.5 表示 96.5%）；按月（季度）考核的规则填该月（季度）的数量；其他规则留空。",
    "level": "一票否决等按级别计分的规则填通报级别：国家、省、市。",
    "points": "酌情扣分（加分）或按外部文件扣分的规则填分值（须在细则规定的区间内）；得分项部分达到时填所得分值；其他规则可留空。",
    "note": "情况说明：酌情扣分（加分）和得分项部分达到必须写明理由；互评记录写明评分人。",
    "source": "依据或来源，如通报文号、检查记录；按外部文件扣分时注明所依条款。",
    "attachment": "佐证材料的文件名或存放位置。",
    "recorded_by": "记录人姓名。",
    "required": "按任务计分的规则：要求完成的任务量；超额加分的规则（细则未规定目标数量时）：规定数量。",
    "done": "按任务计分的规则：实际完成的任务量。",
    "status": "按任务计分的规则：按时完成、逾期完成或未启动；得分项：达到、部分达到或未达到。",
}


def columns(rubric: Rubric) -> list[str]:
    """The ledger columns this rubric can need, in the reader's order (要求任务量, 完成任务量 and 完成情况 only
    where a rule reads them: tasks, points earned, a bonus whose target the ledger gives)."""
    base = ["id", "unit", "rule", "date", "count", "value", "level", "points", "note", "source", "attachment",
            "recorded_by"]
    used = {c for r in rubric.rules.values() for c in (r.uses, *r.also_uses)}
    return base + [c for c in ("required", "done", "status") if c in used]


def statuses(rubric: Rubric) -> list[str]:
    """The 完成情况 words this rubric's rules take, in rule order (按时完成… for tasks, 达到… for points earned)."""
    return list(dict.fromkeys(w for r in rubric.rules.values() for w in r.statuses))


def rule_choice(rubric: Rubric, rule_id: str) -> str:
    """A rule as the drop-down offers it: ``5.1｜接通率低于 98%，每下降 1 个百分点，扣 0.5 分``, the clause cut at a
    clause end, never inside an amount; an id that is an English word by what it does (``一票否决｜被国、省…``).
    The reader keeps what is before ｜ (and takes 一票否决 back to its id, :func:`kaohe.validate.resolve`)."""
    shown = shown_ids(rubric.rules.values())[rule_id]
    return f"{shown}{RULE_LABEL}{clause_head(rubric.rules[rule_id].text)}"


def needs(rule) -> str:
    """The columns a rule reads, as a person fills them in."""
    used = [c for c in (rule.uses, *rule.also_uses, *rule.reads) if c]
    return "、".join(LABELS[c] for c in dict.fromkeys(used)) or "无需数值（记录本身即扣分事实）"


def workbook(rubric: Rubric, roster: Roster):
    """The template as an openpyxl Workbook."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    units = [u.name for u in roster.units if u.category in rubric.applies_to]
    cols = columns(rubric)
    wb = Workbook()
    ws = wb.active
    ws.title = "台账"
    ws.append([LABELS[c] for c in cols])
    bold = Font(bold=True)
    for cell in ws[1]:
        cell.font, cell.alignment = bold, Alignment(horizontal="center")
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    ws.freeze_panes = "A2"

    lists = wb.create_sheet("_lists")  # the drop-downs' values (an inline list is limited to 255 characters)
    lists.sheet_state = "hidden"
    for column, values in ((1, units), (2, [rule_choice(rubric, rid) for rid in rubric.rules])):
        for i, value in enumerate(values, start=1):
            cell = lists.cell(i, column, value)
            cell.data_type = "s"  # a name starting with = is a name, not a formula
    last = ROWS + 1
    start, end = rubric.period.start, max([rubric.period.end, *(r.records_until for r in rubric.rules.values()
                                                                   if r.records_until)])

    def check(column: str, dv: DataValidation) -> None:
        letter = get_column_letter(cols.index(column) + 1)
        dv.promptTitle, dv.prompt = LABELS[column][:32], MEANING[column][:255]
        dv.showInputMessage, dv.showErrorMessage = True, dv.type is not None
        dv.errorTitle = "输入不符合要求"
        dv.add(f"{letter}2:{letter}{last}")
        ws.add_data_validation(dv)

    listed = {"unit": f"=_lists!$A$1:$A${max(1, len(units))}", "rule": f"=_lists!$B$1:$B${len(rubric.rules)}"}
    for column in cols:
        letter = get_column_letter(cols.index(column) + 1)
        if column in listed:
            dv = DataValidation(type="list", formula1=listed[column], allow_blank=True,
                                error="请从下拉列表中选择" + ("单位" if column == "unit" else "规则"))
        elif column == "date":
            dv = DataValidation(type="date", operator="between", formula1=f"DATE({start.year},{start.month},{start.day})",
                                formula2=f"DATE({end.year},{end.month},{end.day})", allow_blank=True,
                                error=f"日期须在考核期 {start} 至 {end} 内")
            ws.column_dimensions[letter].number_format = "yyyy-mm-dd"  # the column's style: no cells created
        elif column == "count":
            dv = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="1", allow_blank=True,
                                error="次数/数量应为正整数（1、2、3……）")
        elif column in ("value", "points", "required", "done"):
            dv = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
                                error=f"「{LABELS[column]}」应为不小于 0 的数字")
        elif column == "level":  # the levels this rubric's rules name (per_level amounts, veto levels)
            levels = list(dict.fromkeys(lv for r in rubric.rules.values()
                                        for lv in (*getattr(r, "amounts", {}), *(getattr(r, "levels", None) or ())))) or ["国家", "省", "市"]
            dv = DataValidation(type="list", formula1='"' + ",".join(levels) + '"', allow_blank=True,
                                error=f"请选择 {'、'.join(levels)}")
        elif column == "status":
            words = statuses(rubric)
            dv = DataValidation(type="list", formula1='"' + ",".join(words) + '"', allow_blank=True,
                                error=f"请选择 {'、'.join(words[:-1])} 或 {words[-1]}")
        else:
            dv = DataValidation(allow_blank=True)  # no check: the input message only
            if column == "id":
                ws.column_dimensions[letter].number_format = "@"  # text: 001 stays 001, 2020-01 stays 2020-01
        check(column, dv)
        ws.column_dimensions[letter].width = {"rule": 40, "note": 40, "source": 30, "unit": 18}.get(column, 14)

    rules = wb.create_sheet("规则")
    rules.append(["规则编号", "所属指标", "条款原文", "计分方法", "分值（上限）", "需要填写的列"])
    points = rubric.effective_points
    shown = shown_ids(rubric.rules.values())
    for rid, rule in rubric.rules.items():
        node = rubric.rule_node[rid]
        cap = rule.effective_cap()
        limit = "、".join(x for x in (f"该项 {points[node.id]} 分" if points[node.id] is not None else "",
                                      f"本条全年至多 {cap} 分" if cap is not None else "") if x)
        rules.append([shown[rid], f"{node.id} {node.name}", rule.text, rule.describe(), limit, needs(rule)])
    for cell in rules[1]:
        cell.font = bold
    for letter, width in zip("ABCDEF", (12, 28, 60, 44, 24, 26)):
        rules.column_dimensions[letter].width = width
    for row in rules.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    rules.freeze_panes = "A2"

    guide = wb.create_sheet("填写说明")
    lines = [
        f"{rubric.title}（{rubric.ref}）：考核台账",
        f"来源：{rubric.source.issuer}《{rubric.source.title}》{rubric.source.doc_no or ''}",
        f"考核期：{start} 至 {end}；适用：{'、'.join(rubric.applies_to)}；本台账列出名单中的 {len(units)} 个单位。",
        "",
        "1. 在「台账」工作表中每行记录一条扣分或加分事实；第一行是表头，请勿修改、删除或调换列。",
        "2. 「单位」「规则编号」从下拉列表中选择；每条规则需要填写哪些列，见「规则」工作表的最后一列。",
        "3. 「日期」填写发现或记录的日期（如 2020-03-31），须在考核期内。",
        "4. 按次扣分填「次数/数量」；测量类（项数、办件量、百分率）填「数值」，96.5% 写作 96.5 或 96.5%；"
        "酌情扣分填「分值/扣分」并在「情况说明」中写明理由。",
        "5. 「编号」在全部台账中唯一；同一单位同一规则同一天的测量值只能有一条"
        + ("；按月（季度）考核的规则，每个单位每月（季度）一条，「日期」填该月（季度）内的日期。"
           if any(r.kind == "periodic" for r in rubric.rules.values()) else "。"),
        "6. 不要使用合并单元格；公式须在 Excel 或 WPS 中计算并保存结果（没有保存结果的公式无法读取）。",
        "7. 填好后保存为 .xlsx，在运行配置（params/*.yaml）的 evidence 中写明此文件，然后运行：",
        "   kaohe validate --params params/<运行配置>.yaml   （校验，列出全部问题）",
        "   kaohe run params/<运行配置>.yaml                 （计分并生成全部报告）",
    ]
    for line in lines:
        guide.append([line])
    guide["A1"].font = Font(bold=True, size=14)
    guide.column_dimensions["A"].width = 110
    return wb


def write_template(rubric: Rubric, roster: Roster, out: str | Path) -> Path:
    """Write the template to ``out`` (atomically); returns the path."""
    out = Path(out)
    write_bytes_atomic(out, xlsx_bytes(workbook(rubric, roster)))
    return out
