"""scores.docx, the 通报 as a whole 公文, read back with python-docx and, converted by LibreOffice, as PDF pages.

From the sample (see test_reports): 23 乡镇（街道） and 14 县直部门, 37 units. 乡镇: 14 score 90 or more (优秀),
4 from 80 (良好), 3 from 60 (合格), 示例镇15 at 55 and the vetoed 示例镇08 (T019, 市级通报批评, 2020-09-25) 不合格;
示例镇01–05 take 5 of the 6 年度优秀 places and 示例镇06 and 示例镇07 tie at 94 for the last (待定). 县直部门: 8 优秀,
2 良好, 2 合格, 示例部门13 (52) and the vetoed 示例部门14 (D057, 2020-10-21) 不合格; the 6 highest not vetoed are
优秀单位. The params file gives the 通报's issuer, recipients and date (2021-01-15).
"""

import io
import re
import shutil
import subprocess

import docx
import pytest
from conftest import ROOT
from docx.enum.text import WD_ALIGN_PARAGRAPH

from kaohe import fonts
from kaohe.assessment import assess
from kaohe.errors import RubricError
from kaohe.printing import check_pdf
from kaohe.word import scores_docx, title_lines

PARAMS = ROOT / "params" / "hengnan-2020.yaml"
TITLE = "关于衡南县2020年政务公开政务服务工作考核（示例数据）结果的通报"
RECIPIENTS = "各乡镇人民政府、街道办事处，县直各单位："
OPENING = ("根据衡南县政务公开政务服务领导小组办公室《衡南县2020年政务公开政务服务工作考核实施方案》（清公开办函〔2020〕4号），"
           "对37个单位开展了衡南县2020年政务公开政务服务工作考核（示例数据），考核期为2020年1月1日至2020年12月31日。"
           "现将考核结果通报如下。")
TOWNS = ("共23个单位参加考核，按得分评定等次：优秀14个、良好4个、合格3个、不合格2个。"
         "评为年度优秀单位（名额6个）的有：示例镇01、示例镇02、示例镇03、示例镇04、示例镇05。"
         "示例镇06、示例镇07同为94分，争年度优秀单位剩余的1个名额，按细则无法确定，需研究决定。"
         "示例镇08有台账记录T019（2020年9月25日），按细则“被国、省、市通报批评，该年绩效考核一票否决”，"
         "予以一票否决，等次为不合格。各单位得分、排名和等次见附件1。")
DEPARTMENTS = ("共14个单位参加考核，按得分评定等次：优秀8个、良好2个、合格2个、不合格2个。"
               "评为年度优秀单位（名额6个）的有：示例部门01、示例部门02、示例部门03、示例部门05、示例部门04、示例部门06。"
               "示例部门14有台账记录D057（2020年10月21日），按细则“被国、省、市通报批评，该年绩效考核一票否决”，"
               "予以一票否决，等次为不合格。各单位得分、排名和等次见附件2。")
ISSUER = "衡南县政务公开政务服务领导小组办公室"
TOWNS_TITLE = "衡南县2020年政务公开政务服务工作考核 乡镇（街道）考核结果"
DEPARTMENTS_TITLE = "衡南县2020年政务公开政务服务工作考核 县直部门考核结果"


@pytest.fixture(scope="module")
def sample():
    return assess(PARAMS)


def read(data: bytes) -> docx.document.Document:
    return docx.Document(io.BytesIO(data))


class TestTheDocument:
    def test_its_parts_come_in_the_order_of_a_gongwen(self, sample):
        """标题, 主送, 正文 (basis and period, one section a rubric, 特此通报), 附件说明, 落款, 成文日期, then each 附件
        (its label, its title on two lines, its table) and the fingerprint last."""
        doc = read(scores_docx(sample, "ab" * 32))
        parts = [(p.style.name, p.text) for p in doc.paragraphs]
        assert parts == [
            ("公文标题", "关于衡南县2020年政务公开政务服务工作\n考核（示例数据）结果的通报"), ("主送机关", RECIPIENTS), ("Normal", OPENING),
            ("一级标题", "一、乡镇（街道）考核结果"), ("Normal", TOWNS),
            ("一级标题", "二、县直部门考核结果"), ("Normal", DEPARTMENTS), ("Normal", "特此通报。"),
            ("Normal", f"附件：1.{TOWNS_TITLE}"), ("Normal", f"2.{DEPARTMENTS_TITLE}"),
            ("落款", ISSUER), ("落款", "2021年1月15日"),
            ("附件标识", "附件1"), ("附件标题", TOWNS_TITLE.replace(" ", "\n")),
            ("附注", "注：示例镇06、示例镇07同为94分，年度优秀单位待定，需研究决定。"),
            ("附件标识", "附件2"), ("附件标题", DEPARTMENTS_TITLE.replace(" ", "\n")),
            ("附注", f"运行清单指纹（manifest.json 的 SHA-256）：{'ab' * 32}。可用 kaohe verify 输出目录 --expect 此指纹 核验该次运行的全部文件。"),
        ]
        body = doc.element.body
        tables = [body.index(t._tbl) for t in doc.tables]
        labels = [body.index(p._p) for p in doc.paragraphs if p.style.name == "附件标题"]
        assert [t - 1 for t in tables] == labels  # each table right under its 附件's title
        assert doc.core_properties.title == TITLE and doc.core_properties.created.year == 1980
        assert scores_docx(sample, "ab" * 32) == scores_docx(sample, "ab" * 32)  # the same bytes again

    def test_the_tables_hold_rank_unit_score_grade_award_and_why(self, sample):
        towns, departments = read(scores_docx(sample)).tables
        rows = [[c.text for c in row.cells] for row in towns.rows]
        assert rows[0] == ["排名", "单位", "得分", "等次", "年度优秀单位", "说明"]
        assert len(rows) == 1 + 23 and len(departments.rows) == 1 + 14
        assert rows[-1] == ["23", "示例镇08", "91", "不合格", "",
                            "一票否决：被国、省、市通报批评，该年绩效考核一票否决（记录 T019（2020-09-25））"]
        by_unit = {r[1]: r for r in rows[1:]}
        assert by_unit["示例镇06"][2:5] == ["94", "优秀", "待定"] and by_unit["示例镇07"][4] == "待定"

    def test_numbers_are_right_aligned_and_each_row_and_the_head_stay_whole(self, sample):
        towns = read(scores_docx(sample)).tables[0]
        aligned = [[c.paragraphs[0].alignment for c in row.cells] for row in towns.rows]
        R, L, C = WD_ALIGN_PARAGRAPH.RIGHT, WD_ALIGN_PARAGRAPH.LEFT, WD_ALIGN_PARAGRAPH.CENTER
        assert aligned[0] == [C] * 6
        assert all(a == [R, L, R, C, C, L] for a in aligned[1:])
        trs = [row._tr for row in towns.rows]
        assert all(tr.trPr.xpath("./w:cantSplit") for tr in trs) and trs[0].trPr.xpath("./w:tblHeader")

    def test_a_long_title_is_broken_at_its_words_into_even_lines(self):
        """二号 on the 156 mm 版心 holds 20 characters a line (digits half): a title longer than that breaks at a
        space first, then around brackets, then after words such as 工作, into the fewest and evenest lines."""
        assert title_lines("关于郎溪县2019年政务公开（政府网站及政务新媒体）工作考评（示例数据）结果的通报") == (
            "关于郎溪县2019年政务公开\n（政府网站及政务新媒体）\n工作考评（示例数据）结果的通报")
        assert title_lines(TOWNS_TITLE) == "衡南县2020年政务公开政务服务工作考核\n乡镇（街道）考核结果"
        assert title_lines("关于衡南县考核结果的通报") == "关于衡南县考核结果的通报"  # one line
        assert title_lines("测" * 100) == "测" * 100  # no boundary to break at: Word wraps it

    def test_each_attachment_starts_a_page_and_keeps_with_its_table(self, sample):
        doc = read(scores_docx(sample))
        label, title = doc.styles["附件标识"].paragraph_format, doc.styles["附件标题"].paragraph_format
        assert label.keep_with_next and title.keep_with_next
        heads = [p for p in doc.paragraphs if p.style.name == "附件标识"]
        assert [p.paragraph_format.page_break_before for p in heads] == [True, True]
        assert doc.styles["一级标题"].paragraph_format.keep_with_next

    def test_the_faces_and_sizes_are_those_of_gbt_9704_with_fallbacks(self, sample):
        """二号小标宋 title, 三号仿宋 body with its first line indented two characters, 三号黑体 附件 labels; the font
        table names each face's substitutes for a machine without it."""
        data = scores_docx(sample)
        doc = read(data)

        def face(name):
            style = doc.styles[name]
            east = style.element.rPr.rFonts.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia")
            return east, style.font.size.pt

        assert face("公文标题") == ("方正小标宋简体", 22) and face("Normal") == ("仿宋_GB2312", 16)
        assert face("附件标识") == ("黑体", 16) and face("一级标题") == ("黑体", 16)
        assert doc.styles["Normal"].paragraph_format.first_line_indent.pt == 32
        assert doc.styles["Normal"].paragraph_format.line_spacing.pt == pytest.approx(28.95, abs=0.05)
        import zipfile
        table = zipfile.ZipFile(io.BytesIO(data)).read("word/fontTable.xml").decode("utf-8")
        assert '<w:font w:name="仿宋_GB2312"><w:altName w:val="仿宋,FangSong,' in table
        assert '<w:font w:name="方正小标宋简体"><w:altName w:val="方正小标宋_GBK,小标宋,' in table

    def test_no_rubric_id_or_english_label_in_the_text(self, sample):
        """The rubric is named by its Chinese title (issue 18: "kaohe 细则 hengnan-2020-township@1" was printed)."""
        doc = read(scores_docx(sample, "ab" * 32))
        texts = [p.text for p in doc.paragraphs[:-1]] + [c.text for t in doc.tables for row in t.rows for c in row.cells]
        assert not [t for t in texts if "kaohe" in t or "hengnan" in t or "@" in t]
        latin = {w for t in texts for w in re.findall(r"[A-Za-z]+", t)}
        assert latin == {"T", "D"}  # only the ledger's record ids T019 and D057

    def test_blanks_stand_where_the_params_file_gives_no_office_recipients_or_date(self):
        doc = read(scores_docx(assess(PARAMS, replace={"issuer": None, "recipients": None, "issue_date": None})))
        parts = [(p.style.name, p.text) for p in doc.paragraphs]
        assert parts[1] == ("主送机关", "〔主送机关〕：")
        assert [t for s, t in parts if s == "落款"] == ["〔发文机关〕", "〔成文日期〕"]

    def test_a_quarterly_bulletin_says_when_scoring_stopped(self):
        doc = read(scores_docx(assess(PARAMS, as_of="2020-06-30")))
        assert doc.paragraphs[2].text == OPENING.replace("2020年12月31日。", "2020年12月31日，计分截至2020年6月30日。")

    def test_a_bad_issue_date_is_refused_where_it_is(self, tmp_path):
        """2021-02-30 has a date's form: YAML's own date reading failed with a traceback before the model saw it."""
        text = PARAMS.read_text(encoding="utf-8").replace("issue_date: 2021-01-15", "issue_date: 2021-02-30")
        (tmp_path / "params").mkdir()
        bad = tmp_path / "params" / "bad.yaml"
        bad.write_text(text, encoding="utf-8")
        with pytest.raises(RubricError) as caught:
            assess(bad)
        assert "bad.yaml，第 15 行，「issue_date」列，值 '2021-02-30'：字段 issue_date：应为日期 YYYY-MM-DD" in str(caught.value)


def test_the_award_list_and_a_disqualified_unit_in_sentences():
    """益阳 2020: the 4 places of 推荐激励名单 (quotas in params) go to 示例区县01 (100), 示例区县06 (99) and the two
    管委会 at 98; 示例区县04 (Y010, 2020-11-30) loses its 年度评价资格."""
    doc = read(scores_docx(assess(ROOT / "params" / "yiyang-2020.yaml")))
    body = doc.paragraphs[3].text
    assert body == ("共8个单位参加考核。列入推荐激励名单（名额4个）的有：示例区县01、示例区县06、示例湖区管委会、示例高新区管委会。"
                    "示例区县04有台账记录Y010（2020年11月30日），按细则“对虚报、瞒报、伪造篡改相关数据的区县(市),将取消年度评价资格”，"
                    "取消年度评价资格，不参加排名和评优。各单位得分、排名见附件。")
    assert doc.paragraphs[5].text == "附件：益阳市2020年度“放管服”和“一件事一次办”改革工作真抓实干督查激励考核结果"


def test_a_summed_rubric_shows_its_modules_and_why_a_unit_may_not_be_awarded():
    """衡阳 2018: both rubrics come from 三、考核內容和計分標準 and share no words up to a space, so their whole titles
    head the sections; the 模块合计 / 适用满分 columns stay (示例县01: 462 of 500 → 92.4, as in test_hengyang), and
    示例县02's 12345 热线 at 88 (under 90) bars it from awards."""
    doc = read(scores_docx(assess(ROOT / "params" / "hengyang-2018.yaml")))
    headings = [p.text for p in doc.paragraphs if p.style.name == "一级标题"]
    assert headings == ["一、衡阳市2018年电子政务相关工作绩效考核（县市区）结果",
                        "二、衡阳市2018年电子政务相关工作绩效考核（市直部门、两区一园、四城区）结果"]
    rows = [[c.text for c in row.cells] for row in doc.tables[0].rows]
    assert rows[0] == ["排名", "单位", "模块合计", "适用满分", "得分", "说明"]
    assert rows[1] == ["1", "示例县01", "462", "500", "92.4", ""]
    assert rows[2][-1] == "「12345政府服務熱線」得分88分，低于90分，取消年度评优资格"
    assert "示例县02「12345政府服務熱線」得分88分，低于90分，按细则取消年度评优资格，照常计分排名。" in doc.paragraphs[4].text


def test_the_document_opens_as_a_gongwen_in_libreoffice(tmp_path, sample):
    """LibreOffice (installed by `make test`) turns it into A4 pages, set in the bundled fonts with no missing
    glyph, whose text runs 标题, 主送, 正文, 附件说明, 落款, 成文日期, then each 附件 at the top of its own page:
    no page ends with an attachment's label or title."""
    tools = {name: shutil.which(name) for name in ("soffice", "pdfinfo", "pdftotext", "pdftoppm", "pdffonts")}
    missing = [n for n, found in tools.items() if found is None]
    assert not missing, f"需要 {'、'.join(missing)}：make test 会安装 LibreOffice 与 poppler-utils（make office、make browser）"
    docx_file = tmp_path / "scores.docx"
    docx_file.write_bytes(scores_docx(sample, "ab" * 32))
    # under kaohe's fontconfig (the bundled fonts only), as on a server with no Chinese font: every face is the serif or sans
    subprocess.run([tools["soffice"], "--headless", "--norestore", f"-env:UserInstallation={(tmp_path / 'lo').as_uri()}",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(docx_file)], check=True, capture_output=True,
                   timeout=300, env=fonts.environ())
    pdf = tmp_path / "scores.pdf"
    listed = subprocess.run([tools["pdffonts"], str(pdf)], capture_output=True, text=True, check=True).stdout
    names = {line.split()[0].split("+")[-1] for line in listed.splitlines()[2:]}
    assert names and all(n.startswith(("NotoSerifCJKsc", "NotoSansCJKsc")) for n in names), names
    assert fonts.uncovered("".join(p.text for p in docx.Document(docx_file).paragraphs)) == []
    assert check_pdf(pdf.read_bytes(), TITLE) is None
    info = subprocess.run([tools["pdfinfo"], str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "(A4)" in info
    text = subprocess.run([tools["pdftotext"], "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = [[line.strip() for line in page.splitlines() if line.strip()] for page in text.split("\f") if page.strip()]
    flat = "".join("".join(line.split()) for page in pages for line in page)  # lines wrap; compare without spaces
    order = [TITLE, RECIPIENTS, OPENING[:40], "一、乡镇（街道）考核结果", "特此通报。", "附件：1.", ISSUER, "2021年1月15日",
             "附件1", "23示例镇0891不合格", "附件2", "14示例部门1499不合格"]
    at = -1
    for part in order:  # each found after the one before
        at = flat.find("".join(part.split()), at + 1)
        assert at != -1, f"{part} 不在前一部分之后：{flat}"
    numbers = ["".join(page[-1].split()) for page in pages]
    assert numbers == [f"—{i}—" for i in range(1, len(pages) + 1)]  # the page number under each page
    heads = ["".join(t.split()) for t in (TOWNS_TITLE, DEPARTMENTS_TITLE)]
    for page in pages:  # the line above the page number: never a lone 附件 label or a part of its title
        last = "".join(page[-2].split())
        assert not re.fullmatch(r"附件\d*", last) and not any(h.endswith(last) for h in heads), page
    starts = {"".join(page[0].split()): i for i, page in enumerate(pages)}
    assert "附件1" in starts and "附件2" in starts and starts["附件1"] < starts["附件2"]  # each 附件 tops its own page
    subprocess.run([tools["pdftoppm"], "-r", "40", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
                   check=True, capture_output=True)
    assert next(tmp_path.glob("page*.png")).stat().st_size > 10_000  # a drawn page, not a blank one


@pytest.mark.parametrize("params", sorted((ROOT / "examples").glob("*/params.yaml")), ids=lambda p: p.parent.name)
def test_every_table_fits_the_text_width_and_leaves_room_for_why(params):
    """The examples' tables (up to 8 columns, a 13-character award name, unit names of 10 characters) stay within
    the 15.6 cm 版心 and keep 4 cm for 说明; the params files give no 通报 fields, so the blanks stand."""
    doc = read(scores_docx(assess(params)))
    for table in doc.tables:
        widths = [c.width.cm for c in table.columns]
        assert all(w > 0.9 for w in widths) and sum(widths) <= 15.6 + 0.01
        if table.rows[0].cells[-1].text == "说明":
            assert widths[-1] >= 4.0 - 0.01
    assert [p.text for p in doc.paragraphs if p.style.name == "落款"] == ["〔发文机关〕", "〔成文日期〕"]
