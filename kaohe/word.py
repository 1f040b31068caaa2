"""The 通报 as a Word document (``scores.docx``): a whole 公文 an office can issue — 标题, 主送, 正文 in sentences
(basis, period, grades, the award list, the units vetoed or disqualified and why), 附件说明, 落款 and 成文日期,
then one 附件 per rubric holding its results table. Laid out after GB/T 9704-2012 (A4, 版心 156 × 225 mm,
三号仿宋 body on 22 lines a page, 二号小标宋 title, 三号黑体 附件 labels, page numbers "— 1 —" outside).

The issuing office, the recipients and the date come from the params file (``issuer``, ``recipients``,
``issue_date``); where one is absent a bracketed blank (〔发文机关〕) stands in its place for the office to fill.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Callable
from datetime import date, datetime
from itertools import combinations

from .assessment import Assessment
from .files import FIXED_TIME, fixed_zip
from .numbers import fmt
from .rules.veto import EFFECTS as VETO_EFFECTS
from .scoring import Result, excellent_label

#: GB/T 9704 names these faces; an office's Word or WPS has them, and the font table lists each one's fallbacks
#: (``w:altName``) for a machine that lacks it. Printed by kaohe, all resolve to the bundled serif/sans (kaohe.fonts).
TITLE_FONT, BODY_FONT, HEAD_FONT, NUMBER_FONT = "方正小标宋简体", "仿宋_GB2312", "黑体", "宋体"
FALLBACKS = {
    TITLE_FONT: ("roman", "方正小标宋_GBK,小标宋,华文中宋,STZhongsong,宋体,SimSun"),
    BODY_FONT: ("modern", "仿宋,FangSong,华文仿宋,STFangsong,宋体,SimSun"),
    HEAD_FONT: ("modern", "SimHei,华文黑体,STHeiti,微软雅黑"),
    NUMBER_FONT: ("roman", "SimSun,华文宋体,STSong"),
}
#: Blanks for what the params file does not give: visible, and easy to find and replace in Word.
BLANK_ISSUER, BLANK_RECIPIENTS, BLANK_DATE = "〔发文机关〕", "〔主送机关〕", "〔成文日期〕"
#: 三号 (16 pt) body; 22 lines in the 225 mm 版心 (GB/T 9704 5.2.2); 二号 title; the attachment tables in 五号.
BODY_PT, LINE_PT, TITLE_PT, TABLE_PT = 16, 28.95, 22, 10.5
NUMERALS = "一二三四五六七八九十"
#: Characters of the 二号 title on one line of the 156 mm 版心 (20.1), less a little for proportional digits.
TITLE_ROOM = 19.5
#: The document's paragraph styles (names in Chinese, ids in ASCII).
STYLE_IDS = {"公文标题": "GongwenTitle", "主送机关": "Recipients", "一级标题": "GongwenHeading1", "落款": "Signature",
             "附件标识": "AttachmentLabel", "附件标题": "AttachmentTitle", "表格文字": "TableText", "附注": "Note",
             "页码": "PageNumber"}
#: Table columns that hold numbers, right-aligned.
NUMBER_COLUMNS = ("排名", "模块合计", "适用满分", "得分")


def removal_reasons(result: Result) -> dict[str, str]:
    """Unit -> why it was vetoed (一票否决) or disqualified (取消年度评价资格): the clause and the records."""
    out: dict[str, list[str]] = {}
    for unit, what, text, records in _removals(result):
        listed = "、".join(f"{e}（{d.isoformat()}）" for e, d in records)
        out.setdefault(unit, []).append(f"{what}：{text}（记录 {listed}）")
    return {u: "；".join(parts) for u, parts in out.items()}


def _removals(result: Result) -> list[tuple[str, str, str, list[tuple[str, date]]]]:
    """(unit, effect, clause, [(record id, date)]) for each veto or disqualifying rule a unit's records hit."""
    led = result.ledger[result.ledger["kind"].isin(["veto", "disqualify"])]
    out = []
    for (unit, kind, rule), rows in led.groupby(["unit", "kind", "rule"], sort=False):
        what = VETO_EFFECTS[result.rubric.rules[rule].effect] if kind == "veto" else "取消年度评价资格"
        out.append((unit, what, result.rubric.rules[rule].text, list(zip(rows["evidence_id"], rows["date"]))))
    return out


def chinese_date(d: date) -> str:
    """2021年1月15日: the 成文日期 of GB/T 9704 7.3.5 (Arabic numerals, no leading zeros)."""
    return f"{d.year}年{d.month}月{d.day}日"


def _width(text: str) -> float:
    """Width in characters of the body font: an ideograph is one, a digit or Latin letter half."""
    return sum(1 if unicodedata.east_asian_width(c) in "WF" else 0.5 for c in text)


def _book_title(title: str) -> str:
    """《title》, a book title inside it marked 〈〉 (关于印发〈…实施方案〉的函)."""
    return "《" + title.replace("《", "〈").replace("》", "〉") + "》"


def title_lines(title: str, room: float = TITLE_ROOM) -> str:
    """``title`` broken into the fewest lines of at most ``room`` characters (二号 in the 156 mm 版心), at word
    boundaries the title itself shows (a space, around brackets, after 关于/年/工作, before 结果), the lines as even
    as possible; as it is when no such breaks fit (Word then wraps it). GB/T 9704 7.3.2: a title is broken so that
    each line keeps its words whole."""
    if _width(title) <= room:
        return title
    ends = ("关于", "年度", "工作", "考核", "考评")
    cuts = [i for i in range(1, len(title))
            if title[i] in " （(" or title[i - 1] in "）)" or title[:i].endswith(ends)
            or (title[i - 1] == "年" and title[i - 2:i - 1].isdigit() and title[i] != "度") or title[i:] in ("结果的通报", "结果")]
    best = None
    for n in range(1, 4):
        for chosen in combinations(cuts, n):
            lines = [title[a:b].strip() for a, b in zip((0, *chosen), (*chosen, len(title)))]
            # a space is the surest boundary, then a bracket, then a word; among equals the evener lines
            key = (sum(0 if title[i] == " " else 1 if title[i] in "（(" or title[i - 1] in "）)" else 2 for i in chosen),
                   max(_width(line) for line in lines))
            if all(lines) and key[1] <= room and (best is None or key < best[0]):
                best = (key, lines)
        if best:
            return "\n".join(best[1])
    return title


def _result_title(title: str) -> str:
    """The results' name from a rubric's: …考核细则 → …考核结果, else …结果."""
    title = title.strip()
    return title[:-2] + "结果" if title.endswith("细则") else title + "结果"


def _short_titles(titles: list[str]) -> list[str]:
    """Rubric titles without the words they all start with, cut at a space only (衡南's two rubrics:
    乡镇（街道）考核细则, 县直部门考核细则); the whole titles where they share no such prefix."""
    if len(titles) < 2:
        return titles
    common = titles[0]
    for t in titles[1:]:
        while not t.startswith(common):
            common = common[:-1]
    cut = max(common.rfind(" "), common.rfind("\u3000")) + 1
    rests = [t[cut:].strip() for t in titles]
    return rests if cut and all(rests) else titles


def _basis(a: Assessment) -> str:
    """根据<issuer>《title》（文号）: each source document once."""
    seen: dict[tuple, str] = {}
    for r in a.results.values():
        s = r.rubric.source
        number = f"（{s.doc_no}）" if s.doc_no and "〔" in s.doc_no and s.doc_no.endswith("号") else ""
        seen.setdefault((s.issuer, s.title, s.doc_no), f"{s.issuer}{_book_title(s.title)}{number}")
    return "和".join(seen.values())


def _period(r: Result) -> str:
    p = r.rubric.period
    return f"{chinese_date(p.start)}至{chinese_date(p.end)}"


def _records(records: list[tuple[str, date]]) -> str:
    return "、".join(f"{e}（{chinese_date(d)}）" for e, d in records)


def result_sentences(r: Result) -> list[str]:
    """The 正文 on one rubric: how many units, the grades, the award list, each unit vetoed, disqualified or
    barred from awards and why, and a pending decision — in sentences, numbers as the tables show them."""
    rubric, u = r.rubric, r.units
    first = f"共{len(u)}个单位参加考核"
    if rubric.grades:
        counts = u["grade"].value_counts()
        bands = [f"{b.grade}{counts[b.grade]}个" for b in rubric.grades.bands if counts.get(b.grade, 0)]
        first += f"，按得分评定等次：{'、'.join(bands)}"
    sentences = [first + "。"]
    award = rubric.awards.excellent
    if award:
        chosen = list(u.loc[u["excellent"], "unit"])
        if award.quota is None:
            sentences.append(f"{award.name}的名额未给出，本通报不列名单。")
        elif chosen:
            verb = "列入" if award.name.endswith("名单") else "评为"
            sentences.append(f"{verb}{award.name}（名额{award.quota}个）的有：{'、'.join(chosen)}。")
        elif not u["excellent_pending"].any():
            sentences.append(f"没有单位符合{award.name}的条件。")
        for _, d in r.decisions.iterrows():
            if d["units"]:
                sentences.append(f"{d['units']}同为{d['total']}分，争{award.name}剩余的{d['places']}个名额，"
                                 "按细则无法确定，需研究决定。")
    for unit, what, text, records in _removals(r):
        row = u[u["unit"] == unit].iloc[0]
        if what == "取消年度评价资格":
            then = "取消年度评价资格，不参加排名和评优"
        elif what == "取消评优资格":
            then = "取消评优资格，照常计分排名"
        else:
            then = f"予以{what}" + (f"，等次为{row['grade']}" if rubric.grades and row["vetoed"] else "")
        sentences.append(f"{unit}有台账记录{_records(records)}，按细则“{text}”，{then}。")
    low = _low_gates(r)
    for unit, names in low.items():
        sentences.append(f"{unit}{names}，按细则取消年度评优资格，照常计分排名。")
    return sentences


def _low_gates(r: Result) -> dict[str, str]:
    """Unit -> the parts under their eligibility minimum (衡阳: 12345 热线 低于90分, 取消年度评优资格)."""
    gates = [g for g in r.rubric.indicators if g.eligibility_min is not None]
    out = {}
    for unit in r.units.loc[r.units["ineligible"], "unit"]:
        scores = r.nodes[r.nodes["unit"] == unit].set_index("node")["score"]
        low = [g for g in gates if scores[g.id] is not None and scores[g.id] < g.eligibility_min]
        if low:
            out[unit] = "、".join(f"「{g.name}」得分{fmt(scores[g.id])}分，低于{fmt(g.eligibility_min)}分" for g in low)
    return out


def scores_docx(a: Assessment, fingerprint: str = "") -> bytes:
    """The document's bytes, the same for the same inputs (fixed document and zip times). ``fingerprint``, the
    SHA-256 of the run's manifest.json, is printed at its end: the issued 通报 names the run folder it came from."""
    return scores_document(a)(fingerprint)


def scores_document(a: Assessment) -> Callable[[str], bytes]:
    """:func:`scores_docx` in two steps: the document is built now (nearly all of its time), and the function
    returned (called once) adds the fingerprint and gives the bytes. ``kaohe run`` builds it while the reports
    run; the fingerprint is known only once every other file of the run is written."""
    from docx import Document
    from docx.enum.style import WD_STYLE_TYPE
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    config = a.run.config
    doc = Document()
    section = doc.sections[0]  # A4 with the margins of a 公文 (python-docx starts from US Letter)
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin, section.left_margin, section.right_margin = Cm(3.7), Cm(3.5), Cm(2.8), Cm(2.6)
    section.footer_distance = Cm(2.2)  # the page number's dash 7 mm under the 版心

    def font(element, name: str, size: float) -> None:
        """Set one face for every script (no theme fonts, which would win), the size, regular weight and black."""
        rpr = element.get_or_add_rPr()
        for old in rpr.findall(qn("w:rFonts")):
            rpr.remove(old)
        fonts = OxmlElement("w:rFonts")
        for script in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
            fonts.set(qn(script), name)
        rpr.insert(0, fonts)
        for tag, value in (("w:b", "0"), ("w:color", "000000"), ("w:sz", str(round(size * 2))), ("w:szCs", str(round(size * 2)))):
            for old in rpr.findall(qn(tag)):
                rpr.remove(old)
            child = OxmlElement(tag)
            child.set(qn("w:val"), value)
            rpr.append(child)

    def style(name: str, face: str, size: float, *, line: float | None = LINE_PT, indent: float = 0,
              align=None, keep: bool = False, before: float = 0, after: float = 0, outline: int | None = None):
        s = doc.styles[name] if name == "Normal" else doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        if name != "Normal":
            s.style_id = STYLE_IDS[name]  # ASCII ids, as older Word and WPS expect; the names show in their menus
            s.base_style = doc.styles["Normal"]
            s.quick_style = True
        font(s.element, face, size)
        f = s.paragraph_format
        if line is None:
            f.line_spacing_rule = WD_LINE_SPACING.SINGLE
        else:
            f.line_spacing_rule, f.line_spacing = WD_LINE_SPACING.EXACTLY, Pt(line)
        f.first_line_indent = Pt(indent * size)
        f.left_indent = f.right_indent = Pt(0)
        f.space_before, f.space_after = Pt(before), Pt(after)
        f.alignment = align if align is not None else WD_ALIGN_PARAGRAPH.JUSTIFY
        f.keep_with_next = keep
        f.widow_control = True
        if outline is not None:
            level = OxmlElement("w:outlineLvl")
            level.set(qn("w:val"), str(outline))
            s.element.get_or_add_pPr().append(level)
        return s

    center, left, right = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.LEFT, WD_ALIGN_PARAGRAPH.RIGHT
    style("Normal", BODY_FONT, BODY_PT, indent=2)  # 正文: 首行缩进二字
    style("公文标题", TITLE_FONT, TITLE_PT, line=35, align=center, after=LINE_PT, keep=True, outline=0)
    style("主送机关", BODY_FONT, BODY_PT)
    style("一级标题", HEAD_FONT, BODY_PT, indent=2, keep=True, outline=1)
    style("落款", BODY_FONT, BODY_PT, align=right, keep=True)
    # GB/T 9704 8: 附件 on a page of its own, 附件N in 三号黑体 at the top left, its title centred on line 3
    style("附件标识", HEAD_FONT, BODY_PT, align=left, keep=True, outline=0)
    style("附件标题", TITLE_FONT, TITLE_PT, line=35, align=center, before=LINE_PT, after=LINE_PT / 2, keep=True)
    style("表格文字", BODY_FONT, TABLE_PT, line=None, align=left)
    style("附注", BODY_FONT, TABLE_PT, line=None, align=left, before=6)
    style("页码", NUMBER_FONT, 14, line=None, align=right)

    def para(text: str, style_name: str = "Normal", **fmt_):
        p = doc.add_paragraph(text, style=style_name)
        for k, v in fmt_.items():
            setattr(p.paragraph_format, k, v)
        return p

    results = list(a.results.values())
    titles = [_result_title(r.rubric.title) for r in results]
    run_title = f"关于{config.title}结果的通报"
    para(title_lines(run_title), "公文标题")
    para(f"{config.recipients or BLANK_RECIPIENTS}：", "主送机关")

    one_period = len({_period(r) for r in results}) == 1  # else each rubric's section names its own
    period = f"，考核期为{_period(results[0])}" if one_period else ""
    until = f"，计分截至{chinese_date(a.as_of)}" if a.as_of else ""
    units = sum(len(r.units) for r in results)
    para(f"根据{_basis(a)}，对{units}个单位开展了{config.title}{period}{until}。现将考核结果通报如下。")
    many = len(results) > 1
    for i, (r, short) in enumerate(zip(results, _short_titles(titles) if many else titles)):
        if many:
            para(f"{NUMERALS[i] if i < len(NUMERALS) else i + 1}、{short}", "一级标题")
        own = "" if one_period else f"考核期为{_period(r)}，"
        see = f"各单位得分、排名{'和等次' if r.rubric.grades else ''}见附件{i + 1 if many else ''}。"
        para(own + "".join(result_sentences(r)) + see)
    para("特此通报。")

    # 附件说明 (GB/T 9704 7.3.4): after the 正文, one blank line, 附件：1.… with the later items and any wrapped
    # line aligned on the first character of the first name
    for i, t in enumerate(titles):
        number = f"{i + 1}." if many else ""
        p = para(("附件：" if i == 0 else "") + number + t, space_before=Pt(LINE_PT) if i == 0 else Pt(0))
        p.paragraph_format.left_indent = Pt(BODY_PT * (5 + _width(number)))
        p.paragraph_format.first_line_indent = Pt(-BODY_PT * ((3 if i == 0 else 0) + _width(number)))

    # 落款 over 成文日期 (GB/T 9704 7.3.5.1, a sealed 公文): the date 右空四字, the office centred above it
    issuer, issued = config.issuer or BLANK_ISSUER, chinese_date(config.issue_date) if config.issue_date else BLANK_DATE
    date_right = 4 + max(0.0, (_width(issuer) - _width(issued)) / 2)
    para(issuer, "落款", space_before=Pt(2 * LINE_PT),
         right_indent=Pt(BODY_PT * (date_right + (_width(issued) - _width(issuer)) / 2)))
    para(issued, "落款", right_indent=Pt(BODY_PT * date_right), keep_with_next=False)

    for i, (r, title) in enumerate(zip(results, titles)):
        para(f"附件{i + 1}" if many else "附件", "附件标识", page_break_before=True)
        para(title_lines(title), "附件标题")
        _table(doc, r)
        for _, d in r.decisions.iterrows():
            if d["units"]:
                para(f"注：{d['units']}同为{d['total']}分，{d['award']}待定，需研究决定。", "附注")

    def finish(fingerprint: str) -> bytes:
        if fingerprint:
            para(f"运行清单指纹（manifest.json 的 SHA-256）：{fingerprint}。可用 kaohe verify 输出目录 --expect 此指纹 核验该次运行的全部文件。",
                 "附注")
        _page_numbers(doc, section, qn, OxmlElement)
        _font_table(doc)
        props = doc.core_properties
        props.author = props.last_modified_by = "kaohe"
        # python-docx refuses a core property over 255 characters (a long run title failed the run at its very
        # end): the property, which only file managers show, is cut; the title at the head of the document stays.
        props.title = run_title if len(run_title) <= 255 else run_title[:254] + "…"
        props.created = props.modified = props.last_printed = datetime(*FIXED_TIME)
        props.revision = 1
        buf = io.BytesIO()
        doc.save(buf)
        return fixed_zip(buf.getvalue())

    return finish


def _table(doc, r: Result) -> None:
    """One rubric's results: rank, unit, (modules), score, grade, award, and why a unit was removed; numbers
    right-aligned, the header row repeated on every page and no row split across two."""
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.shared import Cm

    rubric = r.rubric
    bulletin = r.bulletin()
    award = rubric.awards.excellent.name if rubric.awards.excellent else None
    summed = rubric.aggregate == "sum"  # 衡阳: modules that apply, converted to the scale
    notes = [removal_reasons(r).get(u, "") for u in r.units["unit"]]
    low = _low_gates(r)
    notes = ["；".join(x for x in (n, (f"{low[u]}，" if u in low else "") + "取消年度评优资格" if bad else "") if x)
             for u, n, bad in zip(r.units["unit"], notes, r.units["ineligible"])]
    header = ["排名", "单位", *(["模块合计", "适用满分"] if summed else []), "得分", *(["等次"] if rubric.grades else []),
              *([award] if award else []), *(["说明"] if any(notes) else [])]
    table = doc.add_table(rows=1, cols=len(header))
    table.style, table.alignment, table.autofit = "Table Grid", WD_TABLE_ALIGNMENT.CENTER, False
    # of the 15.6 cm text width: number columns as wide as their heads, the unit as its longest name (五号: 0.37 cm
    # a character, 0.38 cm of cell margins), and the rest for 说明
    given = {"排名": 1.5, "模块合计": 2.0, "适用满分": 2.0, "得分": 1.5, "等次": 1.6,
             "单位": min(5.5, max(2.6, 0.37 * max(len(u) for u in r.units["unit"]) + 0.4)),
             award: min(2.7, max(1.6, 0.37 * len(award or "") + 0.4))}  # a long name wraps in its head
    fixed = [given[h] for h in header if h != "说明"]
    room = 15.6 - (4.0 if "说明" in header else 0)  # 说明 keeps 4 cm; the others narrow together when they need more
    fixed = [w * min(1, room / sum(fixed)) for w in fixed]
    widths = [Cm(w) for w in fixed] + ([Cm(15.6 - sum(fixed))] if "说明" in header else [])
    for column, width in zip(table.columns, widths):
        column.width = width  # the table grid, which LibreOffice and WPS follow; cells carry it for Word
    aligned = ["center"] * len(header)
    _row(doc, table.rows[0], header, widths, aligned, head=True)
    aligned = ["right" if h in NUMBER_COLUMNS else "center" if h in ("等次", award) else "left" for h in header]
    for row, unit, note in zip(bulletin.itertuples(index=False), r.units.itertuples(index=False), notes):
        values = [str(row[0]), unit.unit, *([fmt(unit.subtotal), fmt(unit.max)] if summed else []), fmt(unit.total),
                  *([unit.grade] if rubric.grades else []),
                  *([excellent_label(unit.excellent, unit.excellent_pending)] if award else []), *([note] if any(notes) else [])]
        _row(doc, table.add_row(), values, widths, aligned)


def _row(doc, row, texts: list[str], widths: list, aligned: list[str], head: bool = False) -> None:
    """Fill one table row; it never breaks across two pages, and the header row repeats on each page."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    trpr = row._tr.get_or_add_trPr()
    trpr.append(OxmlElement("w:cantSplit"))
    if head:
        trpr.append(OxmlElement("w:tblHeader"))
    for cell, text, width, align in zip(row.cells, texts, widths, aligned):
        cell.width = width
        p = cell.paragraphs[0]
        p.style = doc.styles["表格文字"]
        p.alignment = getattr(WD_ALIGN_PARAGRAPH, align.upper())
        run = p.add_run(text)
        if head:  # 黑体 for the header, as 公文 tables set it, rather than a bold 仿宋
            fonts = OxmlElement("w:rFonts")
            for script in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
                fonts.set(qn(script), HEAD_FONT)
            run._r.get_or_add_rPr().insert(0, fonts)


def _page_numbers(doc, section, qn, OxmlElement) -> None:
    """— 1 — in 四号宋体 under the 版心: odd pages right, even pages left, one character in (GB/T 9704 7.5)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    doc.settings.odd_and_even_pages_header_footer = True
    for footer, align in ((section.footer, WD_ALIGN_PARAGRAPH.RIGHT), (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT)):
        p = footer.paragraphs[0]
        p.style = doc.styles["页码"]
        p.alignment = align
        p.paragraph_format.left_indent = p.paragraph_format.right_indent = Pt(14)
        p.add_run("— ")
        field = OxmlElement("w:fldSimple")
        field.set(qn("w:instr"), "PAGE")
        number = OxmlElement("w:r")
        text = OxmlElement("w:t")
        text.text = "1"
        number.append(text)
        field.append(number)
        p._p.append(field)
        p.add_run(" —")


def _font_table(doc) -> None:
    """The font table names the faces the document uses, each with its fallbacks (``w:altName``, a comma list)
    and GB2312 charset, so Word and WPS substitute a like face where one is not installed."""
    part = next(p for p in doc.part.package.iter_parts() if str(p.partname) == "/word/fontTable.xml")
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    entries = "".join(
        f'<w:font w:name="{name}"><w:altName w:val="{alt}"/><w:charset w:val="86"/><w:family w:val="{family}"/>'
        f'<w:pitch w:val="variable"/></w:font>' for name, (family, alt) in FALLBACKS.items())
    part._blob = (f"<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n<w:fonts xmlns:w=\"{w}\">"
                  f"{entries}</w:fonts>").encode()
