"""The 通报 as a Word document (``scores.docx``), what an office actually sends: a title, the period, and per
rubric a table of rank, unit, score, grade and award, with the reason a unit was vetoed or disqualified."""

from __future__ import annotations

import io
from datetime import datetime

from .assessment import Assessment
from .files import FIXED_TIME, fixed_zip
from .numbers import fmt
from .rules.veto import EFFECTS as VETO_EFFECTS
from .scoring import Result, excellent_label

FONT = "宋体"  # what Chinese government documents are set in; Word and WPS substitute if it is missing


def removal_reasons(result: Result) -> dict[str, str]:
    """Unit -> why it was vetoed (一票否决) or disqualified (取消年度评价资格): the clause and the records."""
    led = result.ledger[result.ledger["kind"].isin(["veto", "disqualify"])]
    out: dict[str, list[str]] = {}
    for (unit, kind, rule), rows in led.groupby(["unit", "kind", "rule"], sort=False):
        what = VETO_EFFECTS[result.rubric.rules[rule].effect] if kind == "veto" else "取消年度评价资格"
        records = "、".join(f"{e}（{d.isoformat()}）" for e, d in zip(rows["evidence_id"], rows["date"]))
        out.setdefault(unit, []).append(f"{what}：{result.rubric.rules[rule].text}（记录 {records}）")
    return {u: "；".join(parts) for u, parts in out.items()}


def scores_docx(a: Assessment, fingerprint: str = "") -> bytes:
    """The document's bytes, the same for the same inputs (fixed document and zip times). ``fingerprint``, the
    SHA-256 of the run's manifest.json, is printed at its end: the issued 通报 names the run folder it came from."""
    from docx import Document
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt, RGBColor

    doc = Document()
    section = doc.sections[0]  # A4 with the margins of a 公文 (python-docx starts from US Letter)
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin, section.left_margin, section.right_margin = Cm(3.7), Cm(3.5), Cm(2.8), Cm(2.6)
    for name in ("Normal", "Title", "Heading 1"):
        style = doc.styles[name]
        style.font.name = FONT
        style.font.color.rgb = RGBColor(0, 0, 0)  # Word's theme blues do not belong in a 通报
        style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)
    doc.styles["Normal"].font.size = Pt(10.5)  # 五号
    doc.styles["Title"].font.size = Pt(18)  # 小二

    for border in doc.styles["Title"].element.xpath("./w:pPr/w:pBdr"):  # the template's blue rule under it
        border.getparent().remove(border)
    title = doc.add_paragraph(style="Title")
    title.add_run(f"{a.run.config.title}结果通报")
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    parts = [r.rubric.source.part for r in a.results.values()]
    for r in a.results.values():
        rubric = r.rubric
        # the part of the document (附件1…), unless two rubrics share one (衡阳's 三、考核內容和計分標準)
        part = rubric.source.part
        doc.add_heading(part if part and parts.count(part) == 1 else rubric.title, level=1)
        until = f"，计分截至 {a.as_of.isoformat()}" if a.as_of else ""
        doc.add_paragraph(f"考核期：{rubric.period.start.isoformat()} 至 {rubric.period.end.isoformat()}{until}。"
                          f"依据：{rubric.source.issuer}《{rubric.source.title}》{rubric.source.doc_no or ''}"
                          f"（kaohe 细则 {rubric.ref}）。")
        bulletin, reasons = r.bulletin(), removal_reasons(r)
        award = rubric.awards.excellent.name if rubric.awards.excellent else None
        summed = rubric.aggregate == "sum"  # 衡阳: modules that apply, converted to the scale
        header = ["排名", "单位", *(["模块合计", "适用满分"] if summed else []), "得分", *(["等次"] if rubric.grades else []),
                  *([award] if award else []), "说明"]
        table = doc.add_table(rows=1, cols=len(header))
        table.style, table.alignment, table.autofit = "Table Grid", WD_TABLE_ALIGNMENT.CENTER, False
        # 15.6 cm of text width: narrow number columns, the unit, and the rest for 说明
        widths = {"排名": 1.7, "单位": 3.0, "模块合计": 1.9, "适用满分": 1.9, "得分": 1.9, "等次": 1.7, award: 2.2}
        widths = [Cm(widths.get(h, 0)) if h in widths else None for h in header]
        widths[-1] = Cm(15.6 - sum(w.cm for w in widths if w is not None))
        for column, width in zip(table.columns, widths):
            column.width = width  # the table grid, which LibreOffice and WPS follow; cells carry it for Word
        for cell, text, width in zip(table.rows[0].cells, header, widths):
            cell.text, cell.width = text, width
            cell.paragraphs[0].runs[0].bold = True
        head = table.rows[0]._tr.get_or_add_trPr()  # the header row repeats on every page the table spans
        head.append(OxmlElement("w:tblHeader"))
        for row, unit in zip(bulletin.itertuples(index=False), r.units.itertuples(index=False)):
            note = reasons.get(unit.unit, "")
            if unit.ineligible:
                note = "；".join(x for x in (note, "取消年度评优资格") if x)
            values = [str(row[0]), unit.unit, *([fmt(unit.subtotal), fmt(unit.max)] if summed else []), fmt(unit.total),
                      *([unit.grade] if rubric.grades else []),
                      *([excellent_label(unit.excellent, unit.excellent_pending)] if award else []), note]
            for cell, text, width in zip(table.add_row().cells, values, widths):
                cell.text, cell.width = text, width
        pending = [d for _, d in r.decisions.iterrows() if d["units"]]
        for d in pending:
            doc.add_paragraph(f"待研究决定：{d['reason']}——{d['units']}")

    if fingerprint:
        doc.add_paragraph(f"运行清单指纹（manifest.json 的 SHA-256）：{fingerprint}。可用 kaohe verify 输出目录 --expect 此指纹 核验该次运行的全部文件。")

    props = doc.core_properties
    props.author = props.last_modified_by = "kaohe"
    # python-docx refuses a core property over 255 characters (a long run title failed the run at its very end):
    # the property, which only file managers show, is cut; the title at the head of the document stays whole.
    heading = f"{a.run.config.title}结果通报"
    props.title = heading if len(heading) <= 255 else heading[:254] + "…"
    props.created = props.modified = props.last_printed = datetime(*FIXED_TIME)
    props.revision = 1
    buf = io.BytesIO()
    doc.save(buf)
    return fixed_zip(buf.getvalue())
