"""scores.docx, the 通报 as a Word document, read back with python-docx.

From the sample (see test_reports): 示例镇08 scores 91 but is vetoed (T019, 市级通报批评, 2020-09-25), so it
is 不合格 and ranked last of the 23 乡镇（街道）; 示例镇06 and 示例镇07 tie at 94 for the last place of the
quota of 6 年度优秀, which the document leaves to the office (待定).
"""

import io

import docx
from conftest import ROOT

from kaohe import fonts
from kaohe.assessment import assess
from kaohe.printing import check_pdf
from kaohe.word import scores_docx

PARAMS = ROOT / "params" / "hengnan-2020.yaml"


def test_the_bulletin_document_has_title_period_table_and_reasons():
    a = assess(PARAMS)
    data = scores_docx(a)
    doc = docx.Document(io.BytesIO(data))
    texts = [p.text for p in doc.paragraphs]
    assert texts[0] == "衡南县2020年政务公开政务服务工作考核（示例数据）结果通报"
    assert "附件1 乡镇（街道）考核细则" in texts and "附件2 县直部门考核细则" in texts
    assert any(t.startswith("考核期：2020-01-01 至 2020-12-31。依据：") for t in texts)
    assert "待研究决定：2 个单位同为 94 分，争剩余 1 个名额：按细则无法确定，需研究决定——示例镇06、示例镇07" in texts
    towns, departments = doc.tables
    rows = [[c.text for c in row.cells] for row in towns.rows]
    assert rows[0] == ["排名", "单位", "得分", "等次", "年度优秀单位", "说明"]
    assert len(rows) == 1 + 23 and len(departments.rows) == 1 + 14
    assert rows[-1] == ["23", "示例镇08", "91", "不合格", "",
                        "一票否决：被国、省、市通报批评，该年绩效考核一票否决（记录 T019（2020-09-25））"]
    by_unit = {r[1]: r for r in rows[1:]}
    assert by_unit["示例镇06"][2:5] == ["94", "优秀", "待定"] and by_unit["示例镇07"][4] == "待定"
    assert doc.core_properties.author == "kaohe" and doc.core_properties.created.year == 1980
    assert scores_docx(a) == data  # the same bytes again


def test_the_document_opens_and_reads_as_pages_in_libreoffice(tmp_path):
    """LibreOffice (installed by `make test`) turns it into A4 pages whose text is the 通报, set in the bundled
    serif with no missing glyph, and poppler draws the first page."""
    import shutil
    import subprocess

    tools = {name: shutil.which(name) for name in ("soffice", "pdfinfo", "pdftotext", "pdftoppm", "pdffonts")}
    missing = [n for n, found in tools.items() if found is None]
    assert not missing, f"需要 {'、'.join(missing)}：make test 会安装 LibreOffice 与 poppler-utils（make office、make browser）"
    docx_file = tmp_path / "scores.docx"
    docx_file.write_bytes(scores_docx(assess(PARAMS)))
    # under kaohe's fontconfig (the bundled fonts only), as on a server with no Chinese font: 宋体 is the serif
    subprocess.run([tools["soffice"], "--headless", "--norestore", f"-env:UserInstallation={(tmp_path / 'lo').as_uri()}",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(docx_file)], check=True, capture_output=True,
                   timeout=300, env=fonts.environ())
    pdf = tmp_path / "scores.pdf"
    # Set only in the bundled fonts, which cover every character of the 通报: no character can be a box.
    listed = subprocess.run([tools["pdffonts"], str(pdf)], capture_output=True, text=True, check=True).stdout
    names = {line.split()[0].split("+")[-1] for line in listed.splitlines()[2:]}
    assert names and all(n.startswith(("NotoSerifCJKsc", "NotoSansCJKsc")) for n in names), names
    assert fonts.uncovered("".join(p.text for p in docx.Document(docx_file).paragraphs)) == []
    assert check_pdf(pdf.read_bytes(), "衡南县2020年政务公开政务服务工作考核（示例数据）结果通报") is None
    info = subprocess.run([tools["pdfinfo"], str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "(A4)" in info and int(info.split("Pages:")[1].split()[0]) >= 1
    text = subprocess.run([tools["pdftotext"], "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    flat = "".join(text.split())  # table cells wrap; compare without spaces and line breaks
    assert "衡南县2020年政务公开政务服务工作考核（示例数据）结果通报" in flat
    assert "23示例镇0891不合格" in flat and "一票否决：被国、省、市通报批评" in flat
    subprocess.run([tools["pdftoppm"], "-r", "40", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
                   check=True, capture_output=True)
    png = next(tmp_path.glob("page*.png"))
    assert png.stat().st_size > 10_000  # a drawn page, not a blank one


def test_a_summed_rubric_shows_its_modules_and_two_rubrics_of_one_part_keep_their_titles():
    """衡阳 2018: both rubrics come from 三、考核內容和計分標準, so their titles head the tables; the bulletin's
    模块合计 / 适用满分 columns stay (示例县01: 462 of 500 → 92.4, as in test_hengyang)."""
    doc = docx.Document(io.BytesIO(scores_docx(assess(ROOT / "params" / "hengyang-2018.yaml"))))
    headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert headings == ["衡阳市2018年电子政务相关工作绩效考核（县市区）", "衡阳市2018年电子政务相关工作绩效考核（市直部门、两区一园、四城区）"]
    rows = [[c.text for c in row.cells] for row in doc.tables[0].rows]
    assert rows[0] == ["排名", "单位", "模块合计", "适用满分", "得分", "说明"]
    assert rows[1] == ["1", "示例县01", "462", "500", "92.4", ""]
