"""Names and text that break files (issue 15, items 5 and 6): control characters that XLSX and DOCX cannot hold,
unit names longer than a file name, names that map to one file, look-alike names, a very long run title and
``$…$`` in chart labels.

Projects are built as in ``test_bad_inputs.py`` (衡南 2020 附件1 over a three-unit roster) with its helpers.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import re
import subprocess
import sys
import unicodedata
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pytest
from conftest import sabotaged_notebooks
from hypothesis import given
from hypothesis import strategies as st
from test_bad_inputs import LEDGER, Case, csv, tree

from kaohe import charts, cli, runner
from kaohe.files import temporary_prefix, write_bytes_atomic
from kaohe.html import STEM_BYTES, SUFFIXES, unit_files
from kaohe.ledger import invisible

LOCATED = "文件 {file}，第 {row} 行，「{column}」列，值 {value!r}{rule}：含有控制字符 {named}，{why}：请删除该字符 [control_character]"
NOT_XML = "无法写入 Excel 和 Word 文件"
UNSEEN = "这是看不见的字符，多来自从其他系统复制的文字"


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
    Tabs, line breaks and carriage returns stay (名单 row 3, 台账 row 2 and 记录人 in row 3): nothing fails on them."""
    params = control_project(tmp_path)
    assert cli.main(["validate", "--params", str(params)]) == 2
    err = capsys.readouterr().err
    roster, ledger = tmp_path / "data" / "名单.csv", tmp_path / LEDGER
    expected = [
        located(roster, 2, "单位", "云集\x0b镇", "U+000B（垂直制表符）", NOT_XML),
        located(roster, 4, "类别", "街道\x7f", "U+007F（删除符）", UNSEEN),
        located(ledger, 2, "单位", "云集\x0b镇", "U+000B（垂直制表符）", NOT_XML, "1.2.1"),
        located(ledger, 3, "编号", "E\x1b2", "U+001B（转义符）", NOT_XML, "1.2.1"),
        located(ledger, 3, "情况说明", "说\x0c明", "U+000C（换页符）", NOT_XML, "1.2.1"),
        located(ledger, 3, "依据/来源", "\x00", "U+0000（空字符）", NOT_XML, "1.2.1"),
        located(ledger, 4, "依据/来源", "来\x85源", "U+0085", UNSEEN, "veto"),
    ]
    lines = err.splitlines()
    for line in expected:
        assert line in lines, f"{line!r} not in:\n{err}"
    assert len(lines) == 1 + len(expected) + 1  # the count, these, and 街道\x7f is no category of the rubric
    assert "第 3 行，「单位」" not in err and "「记录人」" not in err and "第 2 行，「情况说明」" not in err
    assert "Traceback" not in err


def test_a_run_with_control_characters_stops_before_anything_is_written(tmp_path, capsys):
    """The same checks at the start of ``kaohe run``: exit 2, the previous run untouched, no build folder left."""
    params = control_project(tmp_path / "project")
    out = tmp_path / "outputs"
    (out / "corpus" / "2020").mkdir(parents=True)
    (out / "corpus" / "2020" / "index.html").write_text("上一次的运行", encoding="utf-8")
    before = tree(out)
    assert cli.main(["run", str(params), "--out-dir", str(out)]) == 2
    err = capsys.readouterr().err
    assert "输入有 8 个问题，未生成任何结果" in err and "[control_character]" in err and "Traceback" not in err
    assert tree(out) == before


def test_line_breaks_tabs_and_carriage_returns_in_text_pass_validation(tmp_path, capsys):
    """A unit name with a line break runs as data (tests/test_browser.py) and XLSX and DOCX take it."""
    roster = '单位,类别\n"宝盖\n镇",乡镇\n"向阳\t街道",街道\n'
    ledger = csv('E1,"宝盖\n镇",1.2.1,2020-03-01,,,,"第一行\r\n第二行\t（制表）\r回车"')
    params = Case("free", [], {"data/名单.csv": roster, LEDGER: ledger}).write(tmp_path)
    assert cli.main(["validate", "--params", str(params)]) == 0, capsys.readouterr().err


@pytest.mark.parametrize("char", ["\t", "\n", "\r"])
def test_what_text_keeps_xlsx_and_docx_accept(char):
    """The reason tab, line feed and carriage return are let through (openpyxl and python-docx as installed)."""
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
    """The reason the other C0 controls, U+FFFE and U+FFFF are refused: each fails both writers."""
    from docx import Document
    from openpyxl import Workbook
    from openpyxl.utils.exceptions import IllegalCharacterError

    from kaohe.ledger import control_characters

    assert NOT_XML in control_characters(f"甲{char}乙")
    wb = Workbook()
    with pytest.raises((IllegalCharacterError, ValueError)):  # on the cell (controls) or on saving (U+FFFE)
        wb.active["A1"] = f"甲{char}乙"
        wb.save(io.BytesIO())
    with pytest.raises(ValueError, match="XML compatible"):
        Document().add_paragraph(f"甲{char}乙")


# --- file names: within the byte limit, one per unit (items 5b and 6) ---------------------------------

LONG = ("示例县某某乡镇人民政府政务服务中心政务公开办公室" * 5)[:100]  # 100 CJK characters, 300 bytes of UTF-8
EIGHTY = LONG[:80]  # 240 bytes: the stem as it is; before, its report's temporary file name was too long
FAILING = LONG[:99] + "乙"


class Rows(HTMLParser):
    """Each table row of a page: its cells' text and the links in it."""

    def __init__(self, text: str):
        super().__init__()
        self.rows: list[tuple[list[str], list[tuple[str, str]]]] = []
        self._href: str | None = None
        self._text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append(([], []))
        elif tag == "td":
            self._text = []
        elif tag == "a":
            self._href, self._text = dict(attrs).get("href"), []

    def handle_data(self, data):
        self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "td" and self.rows:
            self.rows[-1][0].append("".join(self._text))
        elif tag == "a" and self.rows and self._href:
            self.rows[-1][1].append(("".join(self._text), unquote(self._href)))


def names_in(folder: Path) -> list[str]:
    return [p.name for p in folder.rglob("*")]


def test_a_unit_name_of_100_cjk_characters_gets_its_report_and_its_failed_notebook(tmp_path):
    """Before: 81 CJK characters stopped the whole run ("File name too long", its cache file); 80 never got a
    report (its HTML's temporary file name was too long)."""
    roster = f"单位,类别\n{LONG},乡镇\n{EIGHTY},乡镇\n{FAILING},乡镇\n向阳街道,街道\n"
    params = Case("long", [], {"data/名单.csv": roster, LEDGER: csv(f"E1,{LONG},1.2.1,2020-03-01,,,,")}).write(tmp_path)
    notebooks = sabotaged_notebooks(tmp_path / "notebooks", f"if unit == {FAILING!r}:\n    raise RuntimeError('故意失败')")
    outcome = runner.run(params, out_dir=tmp_path / "out", jobs=2, notebooks=notebooks, progress=False)
    assert outcome.failed == [FAILING] and outcome.summary_error == ""
    files = unit_files([LONG, EIGHTY, FAILING, "向阳街道"])
    assert files[EIGHTY] == EIGHTY
    units = outcome.folder / "units"
    for unit in (LONG, EIGHTY):
        report = (units / f"{files[unit]}.html").read_text(encoding="utf-8")
        assert f"<title>{unit}：" in report
    assert (units / f"{files[FAILING]}.failed.ipynb").exists()
    assert max(len(n.encode()) for n in names_in(outcome.folder)) <= 255
    index = Rows((outcome.folder / "index.html").read_text(encoding="utf-8"))
    linked = {cells[1]: dict(links)["报告"] for cells, links in index.rows if "报告" in dict(links)}
    assert linked[LONG] == f"units/{files[LONG]}.html" and linked[EIGHTY] == f"units/{files[EIGHTY]}.html"


COLLIDING = "区_县-5d2e6102"  # 区/县 with its / replaced and the first 8 hex digits of its SHA-256


def test_two_names_that_map_to_one_file_get_two_reports_each_linked_to_its_own(tmp_path, capsys):
    """Before: 区/县 and 区_县-5d2e6102 had one stem; the second unit's kernel read the first's cache and the
    index linked both to one report."""
    roster = f"单位,类别\n区/县,乡镇\n{COLLIDING},乡镇\n向阳街道,街道\n"
    params = Case("collide", [], {"data/名单.csv": roster, LEDGER: csv("E1,区/县,1.2.1,2020-03-01,,,,")}).write(tmp_path)
    assert cli.main(["run", str(params), "--out-dir", str(tmp_path / "out"), "--jobs", "2"]) == 0, capsys.readouterr().err
    folder = tmp_path / "out" / "corpus" / "2020"
    files = unit_files(["区/县", COLLIDING, "向阳街道"])
    assert len(set(files.values())) == 3
    index = Rows((folder / "index.html").read_text(encoding="utf-8"))
    linked = {cells[1]: dict(links)["报告"] for cells, links in index.rows if "报告" in dict(links)}
    summary = Rows((folder / "summary.html").read_text(encoding="utf-8"))
    from_summary = {text: href for _, links in summary.rows for text, href in links if href.startswith("units/")}
    for unit, score in (("区/县", "97"), (COLLIDING, "100")):
        assert linked[unit] == from_summary[unit] == f"units/{files[unit]}.html"
        report = (folder / linked[unit]).read_text(encoding="utf-8")
        assert f"<title>{unit}：" in report
        assert f"<td>{unit}</td>" in (folder / "index.html").read_text(encoding="utf-8")
        row = next(cells for cells, _ in index.rows if cells[1:2] == [unit])
        assert row[3] == score  # its own data: 区/县 lost 3 points by 1.2.1


def hashed(name: str, digits: int = 8) -> str:
    """The stem the hash scheme gives ``name`` (with ``/`` replaced) at ``digits`` hex digits."""
    return f"{name.replace('/', '_')}-{hashlib.sha256(name.encode()).hexdigest()[:digits]}"


def check_stems(names: list[str]) -> dict[str, str]:
    """The stems of ``names``, checked: one per unit whatever the case or width, within the byte limit, nothing
    a file system or a reader could take for something else, and the same for the names in any order."""
    files = unit_files(names)
    assert set(files) == set(names)
    assert len({unicodedata.normalize("NFKC", s).casefold() for s in files.values()}) == len(set(names))
    for stem in files.values():
        assert 0 < len(stem.encode()) <= STEM_BYTES and not stem.startswith(".") and not stem.endswith((" ", "."))
        assert not re.search(r'[\x00-\x1f\x7f<>:"/\\|?*]', stem)
        assert not any(invisible(c) for c in stem)
        assert not unicodedata.normalize("NFKC", stem).casefold().endswith(".failed")
        for suffix in SUFFIXES:
            name = stem + suffix
            assert len(name.encode()) <= 255
            temporary = temporary_prefix(Path(name)) + "abcdefgh.tmp"  # mkstemp: prefix, 8 random characters, suffix
            assert len(temporary.encode()) <= 255
    assert unit_files(list(reversed(names))) == files
    return files


def test_a_name_that_is_another_names_hashed_stem_gets_a_file_of_its_own():
    """The failure of item 6, built on purpose: a roster name that is the hashed stem of another."""
    check_stems(["区/县", COLLIDING])
    check_stems(["区/县", COLLIDING, hashed("区/县", 16)])  # and the next length of hash, taken as well
    stems = check_stems(["区/县", "区:县", "区*县", COLLIDING, "区_县"])
    assert stems["区_县"] == "区_县"  # a name that needs no change and collides with nothing is kept


def test_two_names_whose_short_hashes_are_the_same_get_longer_ones():
    """Names that differ only in characters a file name cannot hold have one base; among 2¹⁸ of them two share
    the first 8 hex digits of their SHA-256 (the birthday bound of 32 bits)."""
    seen: dict[str, str] = {}
    for pattern in itertools.product('<>:"|?*/', repeat=6):
        name = "区" + "".join(pattern)
        short = hashlib.sha256(name.encode()).hexdigest()[:8]
        if short in seen:
            break
        seen[short] = name
    pair = [seen[short], name]
    assert pair[0] != pair[1]
    assert unit_files([pair[0]])[pair[0]] == unit_files([pair[1]])[pair[1]]  # alone, each has the same stem
    files = check_stems(pair)
    assert all(len(s) == len("区______-") + 16 for s in files.values())


def test_names_that_differ_only_in_what_cannot_be_seen_get_two_files_without_it():
    """A zero-width joiner, U+202E and the other direction controls, a variation selector never reach a file name."""
    rlo, zwj = "\u202e", "\u200d"
    files = check_stems(["示例镇01", f"示例{zwj}镇01", f"示例镇{rlo}10", "示例镇\u2066\u2069", "示例\ufe0f镇"])
    assert files["示例镇01"] == "示例镇01"
    assert files[f"示例{zwj}镇01"].startswith("示例镇01-") and files[f"示例镇{rlo}10"].startswith("示例镇10-")


def test_the_byte_limit_is_met_at_its_edge():
    """242 bytes (255 less .failed.ipynb) are kept as they are; one more is cut between characters and hashed."""
    at = "镇" * (STEM_BYTES // 3)  # 80 characters, 240 bytes: kept
    over = at + "乡"  # 243 bytes: cut between characters, with the hash after it
    files = check_stems([at, over, "a" * STEM_BYTES, "a" * (STEM_BYTES + 1)])
    assert files[at] == at and files["a" * STEM_BYTES] == "a" * STEM_BYTES
    assert files[over] == "镇" * ((STEM_BYTES - 9) // 3) + "-" + hashlib.sha256(over.encode()).hexdigest()[:8]
    assert len(files["a" * (STEM_BYTES + 1)].encode()) == STEM_BYTES


def test_an_atomic_write_to_the_longest_file_name_works(tmp_path):
    """Before: the temporary file beside it was named ``.<name>.<random>.tmp``: 14 bytes too many."""
    path = tmp_path / ("镇" * 85)  # 255 bytes
    write_bytes_atomic(path, b"x")
    assert path.read_bytes() == b"x" and names_in(tmp_path) == [path.name]


# Names built from the pieces that collide: separators a file name cannot hold and their replacement, hash-like
# tails, case and width, the runner's .failed, invisible and direction characters, and long CJK runs.
PIECES = st.sampled_from(["区", "县", "/", "_", ":", "-", "5d2e6102", "a", "A", "Ａ", ".", ".failed", " ", "CON",
                          "\u200d", "\u202e", "\ufeff", "镇" * 40, "x" * 100])


@given(st.lists(st.lists(PIECES, min_size=1, max_size=6).map("".join), min_size=1, max_size=8, unique=True),
       st.randoms(use_true_random=False))
def test_stems_are_unique_short_and_independent_of_order_for_any_names(names, rnd):
    """Any roster of colliding pieces, then the same roster with every stem and hashed form added as a name."""
    files = check_stems(names)
    # each name's hashed stem, and the stem of each, added as names of their own (the adversarial roster)
    more = names + [s for s in files.values() if s not in names]
    more += [hashed(n) for n in names if hashed(n) not in more]
    rnd.shuffle(more)
    check_stems(more)


# --- look-alike names: a warning that stops nothing (item 6) ------------------------------------------

LOOKALIKE_ROSTER = "单位,类别\n云集镇,乡镇\n云集\u200d镇,乡镇\n示例镇\u202e10,乡镇\n示例镇01,乡镇\n向阳街道,街道\n宝盖\ufe0f镇,乡镇\n宝盖镇,乡镇\n"


def lookalike_warnings(roster: Path) -> list[str]:
    return [
        f"警告 文件 {roster}，第 3 行，「单位」列，值 '云集\\u200d镇'：与第 2 行的单位 '云集镇' 只差看不见的字符 "
        "U+200D（零宽连接符），在报告和通报中看起来是同一个单位：请确认，并删除多余的字符 [lookalike_unit]",
        f"警告 文件 {roster}，第 4 行，「单位」列，值 '示例镇\\u202e10'：含有改变文字显示方向的控制字符 "
        "U+202E（从右至左强制）：显示出的名称与实际的字符顺序不同，可能被看成另一个单位；请确认后从名单和台账中删除该字符 [bidi_control]",
        f"警告 文件 {roster}，第 8 行，「单位」列，值 '宝盖镇'：与第 7 行的单位 '宝盖\\ufe0f镇' 只差看不见的字符 "
        "U+FE0F，在报告和通报中看起来是同一个单位：请确认，并删除多余的字符 [lookalike_unit]",
    ]


def test_look_alike_names_are_warned_of_by_kaohe_validate_which_still_passes(tmp_path):
    """The command as a user runs it: the warnings on standard error, validation passed, exit 0."""
    params = Case("lookalike", [], {"data/名单.csv": LOOKALIKE_ROSTER}).write(tmp_path)
    done = subprocess.run([sys.executable, "-m", "kaohe", "validate", "--params", str(params)], capture_output=True,
                          text=True, encoding="utf-8")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "校验通过：7 个单位，1 条台账记录，细则 hengnan-2020-township@1。\n"
    assert done.stderr.splitlines() == lookalike_warnings(tmp_path / "data" / "名单.csv")


def test_look_alike_names_are_kept_on_the_roster_as_warnings(tmp_path, caplog):
    """For a program using kaohe: ``Roster.warnings`` and the ``kaohe`` logger; the units are all scored."""
    from kaohe.errors import WARNING
    from kaohe.ledger import load_roster

    (tmp_path / "名单.csv").write_text(LOOKALIKE_ROSTER, encoding="utf-8")
    roster = load_roster(tmp_path / "名单.csv")
    assert roster.problems == [] and len(roster.units) == 7
    assert [str(w) for w in roster.warnings] == lookalike_warnings(tmp_path / "名单.csv")
    assert {w.severity for w in roster.warnings} == {WARNING}
    assert [r.getMessage() for r in caplog.records if r.name == "kaohe"] == lookalike_warnings(tmp_path / "名单.csv")
    files = unit_files([u.name for u in roster.units])
    assert not any("\u202e" in s or "\u200d" in s for s in files.values()) and len(set(files.values())) == 7


# --- a long run title (item 5c) -----------------------------------------------------------------------

def test_a_run_title_over_255_characters_is_whole_in_the_document_and_cut_in_its_properties(tmp_path, capsys):
    """Before: python-docx refused the core-properties title after every report had run ("exceeded 255 char
    limit"). The title is the office's own words and stays whole where people read it."""
    import docx

    title = "衡南县" + "政务公开政务服务工作考核" * 25  # 303 characters
    params = Case("title", [], params=f"name: corpus\nyear: 2020\ntitle: {title}\nrubrics: [hengnan-2020-township]\n"
                                      "roster: ../data/名单.csv\nevidence: [../data/台账.csv]\n").write(tmp_path)
    assert cli.main(["run", str(params), "--out-dir", str(tmp_path / "out")]) == 0, capsys.readouterr().err
    folder = tmp_path / "out" / "corpus" / "2020"
    doc = docx.Document(folder / "scores.docx")
    assert doc.paragraphs[0].text == f"关于{title}结果的通报"
    assert doc.core_properties.title == f"关于{title}结果的通报"[:254] + "…"
    assert len(doc.core_properties.title) == 255
    assert f"<title>{title}：汇总</title>" in (folder / "summary.html").read_text(encoding="utf-8")


# --- $…$ in a name is text in every chart (item 5d) ----------------------------------------------------

MATH = ["A$_{1}$镇", "$\\frac$镇", "费用$x^$指标"]  # a subscript if parsed; the other two fail mathtext


def drawn_texts(fig) -> list:
    from matplotlib.text import Text

    charts.to_html(fig, "图")  # draws every artist, tick labels included
    return [t for t in fig.findobj(Text) if t.get_text()]


@pytest.mark.parametrize("chart", ["waterfall", "line", "bars", "heatmap", "deltas", "slope"])
def test_dollar_signs_in_names_are_drawn_as_text_in_every_chart(chart):
    """Every label, title and tick label of each chart, after drawing: no mathtext, no TeX."""
    d = [Decimal(1), Decimal(2), Decimal(3)]
    title = f"{MATH[0]}：图"
    fig = {"waterfall": lambda: charts.waterfall(Decimal(100), list(zip(MATH, d)), Decimal(94), title),
           "line": lambda: charts.line(MATH, d, Decimal(100), title),
           "bars": lambda: charts.bars(MATH, [1, 2, 3], title),
           "heatmap": lambda: charts.heatmap(MATH, MATH, [d, d, d], title),
           "deltas": lambda: charts.deltas(MATH, d, title),
           "slope": lambda: charts.slope(MATH, [1, 2, 3], [3, 2, 1], set(MATH), title, names=("$a$", "$b$"))}[chart]()
    texts = drawn_texts(fig)
    shown = " ".join(t.get_text() for t in texts)
    assert MATH[0] in shown and "$\\frac$" in shown  # in the title and in the labels, as written
    for t in texts:
        assert t._preprocess_math(t.get_text()) == (t.get_text(), False), t.get_text()


def test_units_with_dollar_signs_get_their_reports_and_the_summary_its_charts(tmp_path, capsys):
    """Before: 「$\\frac$镇」's report failed in matplotlib's mathtext parser (and the summary's heatmap with it),
    and A$_{1}$镇 was drawn as A₁镇."""
    roster = f"单位,类别\n{MATH[0]},乡镇\n{MATH[1]},乡镇\n向阳街道,街道\n"
    ledger = csv(f"E1,{MATH[0]},1.2.1,2020-03-01,,,,", f"E2,{MATH[1]},1.2.1,2020-03-01,,,,")
    params = Case("math", [], {"data/名单.csv": roster, LEDGER: ledger}).write(tmp_path)
    assert cli.main(["run", str(params), "--out-dir", str(tmp_path / "out"), "--jobs", "2"]) == 0, capsys.readouterr().err
    folder = tmp_path / "out" / "corpus" / "2020"
    files = unit_files([MATH[0], MATH[1], "向阳街道"])
    for unit in MATH[:2]:
        assert f"<title>{unit}：" in (folder / "units" / f"{files[unit]}.html").read_text(encoding="utf-8")
    assert "各单位各指标扣分热力图" in (folder / "summary.html").read_text(encoding="utf-8")
