"""Names and text that break files (issue 15, items 5 and 6): control characters that XLSX and DOCX cannot hold,
unit names longer than a file name, names that map to one file, look-alike names, a very long run title and
``$…$`` in chart labels.

Projects are built as in ``test_bad_inputs.py`` (衡南 2020 附件1 over a three-unit roster) with its helpers.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from test_bad_inputs import LEDGER, Case, csv, tree

from kaohe import cli
from kaohe.files import write_bytes_atomic

LOCATED = "[control_character] 文件 {file}，第 {row} 行，「{column}」列，值 {value!r}{rule}：含有控制字符 {named}，{why}：请删除该字符"
NOT_XML = "无法写入 Excel 和 Word 文件"
ONE_LINE = "此列只能是一行文字"


def located(file: Path, row: int, column: str, value: str, named: str, why: str, rule: str | None = None) -> str:
    return LOCATED.format(file=file, row=row, column=column, value=value, named=named, why=why,
                          rule=f"，规则 {rule}" if rule else "")


# --- control characters (item 5a) ---------------------------------------------------------------------

CONTROL_ROSTER = '单位,类别\n云集\x0b镇,乡镇\n"宝盖\t镇",乡镇\n向阳街道,街道\x7f\n'
CONTROL_LEDGER = ("编号,单位,规则编号,日期,情况说明,依据/来源,记录人\r\n"
                  'E1,云集\x0b镇,1.2.1,2020-03-01,"第一行\n第二行\t制表\r回车",通报,张三\r\n'
                  "E\x1b2,向阳街道,1.2.1,2020-03-02,说\x0c明,\x00,\"李\n四\"\r\n"
                  "E3,向阳街道,veto,2020-03-03,,来\x85源,王五\r\n")


def control_project(root: Path) -> Path:
    return Case("control", [], {"data/名单.csv": CONTROL_ROSTER, LEDGER: CONTROL_LEDGER.encode()}).write(root)


def test_control_characters_in_the_roster_and_in_ledger_text_are_named_where_they_are(tmp_path, capsys):
    """Before: 云集\\x0b镇 passed validation and every report ran; scores.xlsx then failed with openpyxl's
    IllegalCharacterError (a NUL in a veto's 编号 failed scores.docx the same way, lxml "must be XML compatible").
    Free text keeps its line breaks, tabs and carriage returns (row 2)."""
    params = control_project(tmp_path)
    assert cli.main(["validate", "--params", str(params)]) == 2
    err = capsys.readouterr().err
    roster, ledger = tmp_path / "data" / "名单.csv", tmp_path / LEDGER
    expected = [
        located(roster, 2, "单位", "云集\x0b镇", "U+000B（垂直制表符）", NOT_XML),
        located(roster, 3, "单位", "宝盖\t镇", "U+0009（制表符）", ONE_LINE),
        located(roster, 4, "类别", "街道\x7f", "U+007F（删除符）", "这是看不见的字符，多来自从其他系统复制的文字"),
        located(ledger, 2, "单位", "云集\x0b镇", "U+000B（垂直制表符）", NOT_XML, "1.2.1"),
        located(ledger, 3, "编号", "E\x1b2", "U+001B（转义符）", NOT_XML, "1.2.1"),
        located(ledger, 3, "情况说明", "说\x0c明", "U+000C（换页符）", NOT_XML, "1.2.1"),
        located(ledger, 3, "依据/来源", "\x00", "U+0000（空字符）", NOT_XML, "1.2.1"),
        located(ledger, 3, "记录人", "李\n四", "U+000A（换行符）", ONE_LINE, "1.2.1"),
        located(ledger, 4, "依据/来源", "来\x85源", "U+0085", "这是看不见的字符，多来自从其他系统复制的文字", "veto"),
    ]
    lines = err.splitlines()
    for line in expected:
        assert line in lines, f"{line!r} not in:\n{err}"
    assert "第 2 行，「情况说明」" not in err  # tab, line feed and carriage return stay in free text
    assert "Traceback" not in err


def test_a_run_with_control_characters_stops_before_anything_is_written(tmp_path, capsys):
    params = control_project(tmp_path / "project")
    out = tmp_path / "outputs"
    (out / "corpus" / "2020").mkdir(parents=True)
    (out / "corpus" / "2020" / "index.html").write_text("上一次的运行", encoding="utf-8")
    before = tree(out)
    assert cli.main(["run", str(params), "--out-dir", str(out)]) == 2
    err = capsys.readouterr().err
    assert "输入有 10 个问题，未生成任何结果" in err and "[control_character]" in err and "Traceback" not in err
    assert tree(out) == before


def test_line_breaks_tabs_and_carriage_returns_in_free_text_pass_validation(tmp_path, capsys):
    ledger = csv('E1,云集镇,1.2.1,2020-03-01,,,,"第一行\r\n第二行\t（制表）\r回车"')
    params = Case("free", [], {LEDGER: ledger}).write(tmp_path)
    assert cli.main(["validate", "--params", str(params)]) == 0, capsys.readouterr().err


@pytest.mark.parametrize("char", ["\t", "\n", "\r"])
def test_what_free_text_keeps_xlsx_and_docx_accept(char):
    """The reason tab, line feed and carriage return are let through in 情况说明 and the like."""
    from docx import Document
    from openpyxl import Workbook

    wb = Workbook()
    wb.active["A1"] = f"甲{char}乙"
    wb.save(io.BytesIO())
    doc = Document()
    doc.add_paragraph(f"甲{char}乙")
    doc.add_table(rows=1, cols=1).rows[0].cells[0].text = f"甲{char}乙"
    doc.save(io.BytesIO())


@pytest.mark.parametrize("char", ["\x00", "\x08", "\x0b", "\x0c", "\x1f", "\ufffe", "\uffff"])
def test_what_is_refused_xlsx_and_docx_cannot_hold(char):
    from docx import Document
    from openpyxl import Workbook
    from openpyxl.utils.exceptions import IllegalCharacterError

    from kaohe.ledger import control_characters

    assert NOT_XML in control_characters(f"甲{char}乙", free_text=True)
    wb = Workbook()
    with pytest.raises((IllegalCharacterError, ValueError)):  # on the cell (controls) or on saving (U+FFFE)
        wb.active["A1"] = f"甲{char}乙"
        wb.save(io.BytesIO())
    with pytest.raises(ValueError, match="XML compatible"):
        Document().add_paragraph(f"甲{char}乙")


# --- file names: within the byte limit, one per unit (items 5b and 6) ---------------------------------

def test_an_atomic_write_to_the_longest_file_name_works(tmp_path):
    """Before: the temporary file beside it was named ``.<name>.<random>.tmp``: 14 bytes too many."""
    path = tmp_path / ("镇" * 85)  # 255 bytes
    write_bytes_atomic(path, b"x")
    assert path.read_bytes() == b"x" and [p.name for p in tmp_path.iterdir()] == [path.name]
