"""Reading and validating evidence ledgers and rosters (kaohe.tables, kaohe.ledger, kaohe.validate).

Every input is a small hand-made file; every expected Problem is worked out by hand from it.
Rows are numbered as Excel shows them: the header is row 1.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import Workbook

from kaohe.errors import InputError
from kaohe.ledger import load_evidence, load_roster
from kaohe.rubric import load_rubric
from kaohe.rules import Finding
from kaohe.scoring import score
from kaohe.validate import check

HEADER = "编号,单位,规则编号,日期,次数/数量,数值,分值/扣分,情况说明"
ROSTER = ["单位,类别", "云集镇,乡镇", "向阳街道,街道", "宝盖镇,乡镇"]


def write_csv(path, lines, encoding="utf-8"):
    """Write lines as Excel does (CRLF line ends) in the given encoding."""
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def write_xlsx(path, rows):
    wb = Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def where(problems):
    """The located part of each problem: (file, row, column, value, code)."""
    return [(p.file, p.row, p.column, p.value, p.code) for p in problems]


def bare(findings):
    return [replace(f, file="") for f in findings]


@pytest.fixture(scope="module")
def rubric():
    return load_rubric("hengnan-2020-township")


@pytest.fixture
def roster(tmp_path):
    return load_roster(write_csv(tmp_path / "名单.csv", ROSTER))


@pytest.fixture
def validate(tmp_path, rubric, roster):
    """Write ledger rows under a header, load them and return (file name, evidence, problems)."""

    def run(rows, header=HEADER, name="台账.csv"):
        path = write_csv(tmp_path / name, [header, *rows])
        ev = load_evidence(path)
        return str(path), ev, check([rubric], roster, ev)

    return run


class TestCellProblems:
    """One bad cell gives exactly one problem naming file, Excel row, column as written and value."""

    def test_unknown_unit(self, validate):
        """A unit not in the roster (云集乡 instead of 云集镇) is unknown_unit in 单位."""
        f, _, problems = validate(["1,云集乡,5.4,2020-03-01,,,,"])
        assert where(problems) == [(f, 2, "单位", "云集乡", "unknown_unit")]

    def test_unknown_rule(self, validate):
        """A rule id the rubric does not have (9.9) is unknown_rule in 规则编号."""
        f, _, problems = validate(["1,云集镇,5.4,2020-03-01,,,,", "2,云集镇,9.9,2020-03-01,,,,"])
        assert where(problems) == [(f, 3, "规则编号", "9.9", "unknown_rule")]

    def test_missing_value_for_rate_rule(self, validate):
        """Rule 5.1 (接通率) needs 数值; a blank one is missing_value with an empty value."""
        f, _, problems = validate(["1,向阳街道,5.1,2020-03-31,,,,"])
        assert where(problems) == [(f, 2, "数值", "", "missing_value")]

    @pytest.mark.parametrize("bad", ["十二", "①"])
    def test_not_a_number(self, validate, bad):
        """Chinese numerals and circled digits in 数值 are not_a_number (and not also missing_value)."""
        f, _, problems = validate([f"1,云集镇,1.1.1a,2020-06-30,,{bad},,"])
        assert where(problems) == [(f, 2, "数值", bad, "not_a_number")]

    @pytest.mark.parametrize("bad", ["0", "1.5", "-2"])
    def test_bad_count(self, validate, bad):
        """次数/数量 must be a positive whole number: 0, 1.5 and -2 are bad_count."""
        f, _, problems = validate([f"1,云集镇,1.1.2,2020-04-01,{bad},,,"])
        assert where(problems) == [(f, 2, "次数/数量", bad, "bad_count")]

    @pytest.mark.parametrize("points", ["4", "0.5"])
    def test_discretionary_out_of_range(self, validate, points):
        """Rule 1.1.4 is 视完成情况扣 1-3 分: 4 and 0.5 in 分值/扣分 are out_of_range."""
        f, _, problems = validate([f"1,宝盖镇,1.1.4,2020-06-01,,,{points},培训未开展"])
        assert where(problems) == [(f, 2, "分值/扣分", points, "out_of_range")]

    def test_date_outside_period(self, validate):
        """2021-01-03 is after the 2020 assessment period: date_outside_period in 日期."""
        f, _, problems = validate(["1,云集镇,5.4,2021-01-03,,,,"])
        assert where(problems) == [(f, 2, "日期", "2021-01-03", "date_outside_period")]

    def test_duplicate_id(self, validate):
        """Id 7 used twice: the second row (3) is the one named."""
        f, _, problems = validate(["7,云集镇,5.4,2020-03-01,,,,", "7,向阳街道,5.4,2020-03-02,,,,"])
        assert where(problems) == [(f, 3, "编号", "7", "duplicate_id")]

    def test_missing_required_column(self, validate):
        """A ledger without 规则编号 is refused on the header row, naming the column in Chinese."""
        f, _, problems = validate(["1,云集镇,2020-03-01"], header="编号,单位,日期")
        assert where(problems) == [(f, 1, "规则编号", None, "missing_column")]


class TestCollectAll:
    """All problems of a file are reported at once, and score() refuses to score."""

    ROWS = ["1,云集乡,5.4,2020-03-01,,,,",      # row 2: unknown unit
            "2,云集镇,9.9,2020-03-02,,,,",      # row 3: unknown rule
            "3,向阳街道,1.1.2,2020-03-03,1.5,,,"]  # row 4: count not whole

    def test_three_bad_rows_three_problems(self, validate):
        """Three different bad rows give three problems, one per row."""
        f, _, problems = validate(self.ROWS)
        assert sorted(where(problems)) == [(f, 2, "单位", "云集乡", "unknown_unit"),
                                           (f, 3, "规则编号", "9.9", "unknown_rule"),
                                           (f, 4, "次数/数量", "1.5", "bad_count")]

    def test_score_raises_input_error_with_all(self, validate, rubric, roster):
        """score() raises InputError carrying the same three problems, in row order."""
        f, ev, _ = validate(self.ROWS)
        with pytest.raises(InputError) as exc:
            score(rubric, roster, ev)
        assert where(exc.value.problems) == [(f, 2, "单位", "云集乡", "unknown_unit"),
                                             (f, 3, "规则编号", "9.9", "unknown_rule"),
                                             (f, 4, "次数/数量", "1.5", "bad_count")]
        assert "3 个问题" in str(exc.value)


class TestEncodings:
    """GB18030, UTF-8 with BOM and XLSX read alike; undecodable or mixed files are refused by line."""

    ROWS = ["1,云集镇,5.1,2020-03-31,,96.5%,,一季度接通率",
            "2,向阳街道,1.1.2,2020/4/1,2,,,村未办理业务",
            "3,宝盖镇,1.1.4,2020年5月6日,,,2,培训不到位"]
    EXPECTED = [
        Finding("1", "云集镇", "5.1", date(2020, 3, 31), value=Decimal("96.5"), note="一季度接通率", row=2),
        Finding("2", "向阳街道", "1.1.2", date(2020, 4, 1), count=2, note="村未办理业务", row=3),
        Finding("3", "宝盖镇", "1.1.4", date(2020, 5, 6), points=Decimal("2"), note="培训不到位", row=4),
    ]

    def test_gb18030_bom_and_xlsx_give_identical_findings(self, tmp_path, rubric, roster):
        """The same ledger as GB18030, UTF-8-with-BOM and typed XLSX gives the same Findings, no BOM anywhere."""
        gb = write_csv(tmp_path / "gb.csv", [HEADER, *self.ROWS], "gb18030")
        bom = write_csv(tmp_path / "bom.csv", [HEADER, *self.ROWS], "utf-8-sig")
        assert gb.read_bytes()[:2] != b"\xef\xbb" and bom.read_bytes()[:3] == b"\xef\xbb\xbf"
        xlsx = write_xlsx(tmp_path / "x.xlsx", [
            HEADER.split(","),
            [1, "云集镇", 5.1, datetime(2020, 3, 31), None, 96.5, None, "一季度接通率"],
            [2, "向阳街道", "1.1.2", datetime(2020, 4, 1), 2, None, None, "村未办理业务"],
            [3, "宝盖镇", "1.1.4", datetime(2020, 5, 6), None, None, 2, "培训不到位"],
        ])
        for path in (gb, bom, xlsx):
            ev = load_evidence(path)
            assert ev.problems == [] and check([rubric], roster, ev) == [], path
            assert bare(ev.findings) == self.EXPECTED, path
            headers = ev.headers[str(path)]
            assert headers["id"] == "编号"
            assert not any("\ufeff" in h for h in [*headers, *headers.values()])
            assert not any("\ufeff" in str(v) for f in ev.findings for v in vars(f).values())

    def test_unreadable_encoding(self, tmp_path):
        """A UTF-16 file (BOM ff fe, Excel's “Unicode text”) is neither UTF-8 nor GB18030: encoding, line 1."""
        path = tmp_path / "utf16.csv"
        path.write_bytes("编号,单位,规则编号,日期\r\n1,云集镇,5.4,2020-03-01\r\n".encode("utf-16"))
        ev = load_evidence(path)
        # utf-16 = BOM ff fe, then 编 (U+7F16) little-endian: 16 7f
        assert where(ev.problems) == [(str(path), 1, None, "ff fe 16 7f", "encoding")]
        assert ev.findings == []

    def test_gbk_with_utf8_line_is_mixed_encoding(self, tmp_path):
        """A GBK file with one UTF-8 line appended is refused as mixed_encoding naming that line (3)."""
        path = tmp_path / "mixed.csv"
        gbk = "编号,单位,规则编号,日期\r\n1,云集镇,5.4,2020-03-01\r\n".encode("gbk")
        path.write_bytes(gbk + "2,向阳街道,5.4,2020-03-02\r\n".encode())
        ev = load_evidence(path)
        assert where(ev.problems) == [(str(path), 3, None, None, "mixed_encoding")]
        assert ev.findings == []


class TestFullWidthNumbers:
    """Digits and number punctuation typed with a Chinese IME are read as numbers."""

    def test_full_width_percent_and_grouping(self, validate):
        """９６．５％, 96.5% and 96.5 all give 96.5; １２，５００ gives 12500; no problem at all."""
        _, ev, problems = validate(["1,云集镇,5.1,2020-03-31,,９６．５％,,",
                                    "2,向阳街道,5.1,2020-03-31,,96.5%,,",
                                    "3,宝盖镇,5.1,2020-03-31,,96.5,,",
                                    "4,云集镇,1.1.3,2020-12-31,,１２，５００,,"])
        assert problems == []
        assert [f.value for f in ev.findings] == [Decimal("96.5")] * 3 + [Decimal("12500")]


class TestHeadersAndRows:
    """Header variants, duplicate headers, trailing commas, ragged and blank rows."""

    @pytest.mark.parametrize("unit_header", ["单位 ", "单位\u3000"])
    def test_header_with_trailing_space_accepted(self, validate, unit_header):
        """「单位 」 and 「单位　」 (ideographic space) are the 单位 column."""
        _, ev, problems = validate(["1,云集镇,5.4,2020-03-01"], header=f"编号,{unit_header},规则编号,日期")
        assert problems == []
        assert bare(ev.findings) == [Finding("1", "云集镇", "5.4", date(2020, 3, 1), row=2)]

    def test_two_headers_for_one_column(self, validate):
        """单位 and unit both map to the unit column: duplicate_column on the second, in the header row."""
        f, _, problems = validate(["1,云集镇,云集镇,5.4,2020-03-01"], header="编号,单位,unit,规则编号,日期")
        assert where(problems) == [(f, 1, "unit", "unit", "duplicate_column")]

    def test_trailing_comma_on_every_row(self, validate):
        """A trailing comma on the header and every row shifts nothing and is no problem."""
        _, ev, problems = validate(["1,云集镇,5.4,2020-03-01,", "2,向阳街道,5.5,2020-03-02,"],
                                   header="编号,单位,规则编号,日期,")
        assert problems == []
        assert bare(ev.findings) == [Finding("1", "云集镇", "5.4", date(2020, 3, 1), row=2),
                                     Finding("2", "向阳街道", "5.5", date(2020, 3, 2), row=3)]

    def test_ragged_row(self, validate):
        """A row with one more non-empty cell than the header is ragged_row, named by its row (3)."""
        f, ev, problems = validate(["1,云集镇,5.4,2020-03-01", "2,向阳街道,5.4,2020-03-02,多写一格"],
                                   header="编号,单位,规则编号,日期")
        assert where(problems) == [(f, 3, None, "多写一格", "ragged_row")]
        assert [f.row for f in ev.findings] == [2]

    def test_blank_rows_skipped_row_numbers_kept(self, validate):
        """An empty line (row 3) and a row of empty cells (row 4) are skipped; the next row is still row 5."""
        f, ev, problems = validate(["1,云集镇,5.4,2020-03-01", "", ",,,", "2,云集乡,5.4,2020-03-02"],
                                   header="编号,单位,规则编号,日期")
        assert [x.row for x in ev.findings] == [2, 5]
        assert where(problems) == [(f, 5, "单位", "云集乡", "unknown_unit")]


class TestTextVersusNumber:
    """NA, 无 and - are text where text is expected and errors where a number is."""

    def test_na_markers_stay_text_in_note(self, validate):
        """NA, 无 and - in 情况说明 are kept as written, with no problem."""
        _, ev, problems = validate(["1,云集镇,5.4,2020-03-01,,,,NA",
                                    "2,向阳街道,5.4,2020-03-01,,,,无",
                                    "3,宝盖镇,5.4,2020-03-01,,,,-"])
        assert problems == []
        assert [f.note for f in ev.findings] == ["NA", "无", "-"]

    def test_na_markers_in_value_are_not_a_number(self, validate):
        """NA, 无 and - in 数值 for rate rule 5.1 are not_a_number (not silently empty or missing_value)."""
        f, _, problems = validate(["1,云集镇,5.1,2020-03-31,,NA,,",
                                   "2,向阳街道,5.1,2020-03-31,,无,,",
                                   "3,宝盖镇,5.1,2020-03-31,,-,,"])
        assert where(problems) == [(f, 2, "数值", "NA", "not_a_number"),
                                   (f, 3, "数值", "无", "not_a_number"),
                                   (f, 4, "数值", "-", "not_a_number")]


class TestXlsx:
    """Typed XLSX cells and workbook structure."""

    def test_date_formatted_cells(self, tmp_path, rubric, roster):
        """Excel date cells are dates; one in 2021 is date_outside_period with value 2021-01-03."""
        wb = Workbook()
        ws = wb.active
        ws.append(["编号", "单位", "规则编号", "日期"])
        ws.append(["1", "云集镇", "5.4", datetime(2020, 3, 31)])
        ws.append(["2", "宝盖镇", "5.4", datetime(2021, 1, 3)])
        for cell in ws["D"][1:]:
            cell.number_format = "yyyy-mm-dd"
        path = tmp_path / "dates.xlsx"
        wb.save(path)
        ev = load_evidence(path)
        assert [f.date for f in ev.findings] == [date(2020, 3, 31), date(2021, 1, 3)]
        assert where(check([rubric], roster, ev)) == [(str(path), 3, "日期", "2021-01-03", "date_outside_period")]

    def test_numeric_id_one_point_zero_is_1(self, tmp_path, rubric, roster):
        """A numeric id cell 1.0 reads as "1", so it collides with a text id "1" on row 3."""
        path = write_xlsx(tmp_path / "ids.xlsx", [["编号", "单位", "规则编号", "日期"],
                                                 [1.0, "云集镇", "5.4", datetime(2020, 3, 1)],
                                                 ["1", "向阳街道", "5.4", datetime(2020, 3, 2)]])
        ev = load_evidence(path)
        assert [f.id for f in ev.findings] == ["1", "1"]
        assert where(ev.problems) == [(str(path), 3, "编号", "1", "duplicate_id")]

    def test_percent_formatted_cell_is_read_in_percent(self, tmp_path):
        """Typed as 96.5% in Excel, the cell holds 0.965 with a % format: it means 96.5 (percent)."""
        wb = Workbook()
        ws = wb.active
        ws.append(["编号", "单位", "规则编号", "日期", "数值"])
        ws.append(["1", "云集镇", "5.1", datetime(2020, 12, 31), 0.965])
        ws.append(["2", "宝盖镇", "1.1.3", datetime(2020, 12, 31), 420])
        ws["E2"].number_format = "0.0%"
        path = tmp_path / "pct.xlsx"
        wb.save(path)
        assert [f.value for f in load_evidence(path).findings] == [Decimal("96.5"), Decimal("420")]

    def test_hidden_first_sheet_skipped(self, tmp_path):
        """A hidden first sheet is ignored: the first visible sheet is the ledger."""
        wb = Workbook()
        notes = wb.active
        notes.title = "说明"
        notes.append(["这不是台账", "请勿填写"])
        notes.append(["x", "y"])
        notes.sheet_state = "hidden"
        ledger = wb.create_sheet("台账")
        ledger.append(["编号", "单位", "规则编号", "日期"])
        ledger.append(["1", "云集镇", "5.4", datetime(2020, 3, 1)])
        wb.active = 1
        path = tmp_path / "hidden.xlsx"
        wb.save(path)
        ev = load_evidence(path)
        assert ev.problems == []
        assert bare(ev.findings) == [Finding("1", "云集镇", "5.4", date(2020, 3, 1), row=2)]


class TestRoster:
    """The roster (单位, 类别) names its own problems."""

    def test_duplicate_unit(self, tmp_path):
        """A unit listed twice is duplicate_unit on the second row (4); the first stays."""
        path = write_csv(tmp_path / "名单.csv", ["单位,类别", "云集镇,乡镇", "向阳街道,街道", "云集镇,乡镇"])
        roster = load_roster(path)
        assert where(roster.problems) == [(str(path), 4, "单位", "云集镇", "duplicate_unit")]
        assert [u.name for u in roster.units] == ["云集镇", "向阳街道"]

    def test_missing_category(self, tmp_path):
        """A unit without a 类别 is missing_value in 类别 on its row (3) and is left out."""
        path = write_csv(tmp_path / "名单.csv", ["单位,类别", "云集镇,乡镇", "宝盖镇,"])
        roster = load_roster(path)
        assert where(roster.problems) == [(str(path), 3, "类别", "", "missing_value")]
        assert [u.name for u in roster.units] == ["云集镇"]

    def test_empty_roster(self, tmp_path):
        """A roster with a header and no unit is a problem, not a run that scores nobody."""
        path = write_csv(tmp_path / "名单.csv", ["单位,类别"])
        assert where(load_roster(path).problems) == [(str(path), None, None, None, "empty_roster")]

    def test_category_no_rubric_knows(self, tmp_path, rubric):
        """Scoring one rubric, a unit of another bundled category (县直部门) is skipped silently,
        but a category no rubric knows (县直机关, row 3) is unknown_category."""
        path = write_csv(tmp_path / "名单.csv", ["单位,类别", "云集镇,乡镇", "某局,县直机关", "某委,县直部门"])
        roster = load_roster(path)
        ev = load_evidence(write_csv(tmp_path / "台账.csv", [HEADER]))
        assert where(check([rubric], roster, ev, every_category_scored=False)) == [
            (str(path), 3, "类别", "县直机关", "unknown_category")]


class TestInputInTheWrongColumn:
    """A number in a column the rule does not read is an error, never silently ignored."""

    def test_count_written_in_value(self, validate):
        """4.1.2 每次扣1分 reads 次数/数量; 5 typed into 数值 (row 2) is unused_input."""
        file, _, problems = validate(["1,云集镇,4.1.2,2020-04-01,,5,,"])
        assert where(problems) == [(file, 2, "数值", "5", "unused_input")]
        assert "次数/数量" in problems[0].message

    def test_count_on_a_flat_rule(self, validate):
        """1.2.1 扣 3 分 is taken once: a count of 3 (row 2) is unused_input; a count of 1 is fine."""
        file, _, problems = validate(["1,云集镇,1.2.1,2020-03-31,3,,,", "2,宝盖镇,1.2.1,2020-03-31,1,,,"])
        assert where(problems) == [(file, 2, "次数/数量", "3", "unused_input")]

    def test_rate_written_as_a_fraction(self, validate):
        """接通率 0.95 (row 2) is refused: rates are in percent, 95% is 95 or 95%."""
        file, _, problems = validate(["1,云集镇,5.1,2020-12-31,,0.95,,"])
        assert where(problems) == [(file, 2, "数值", "0.95", "out_of_range")]


class TestDatesWithTime:
    @pytest.mark.parametrize("text", ["2020/3/31 0:00", "2020-03-31 00:00:00", "2020年3月31日"])
    def test_time_part_is_dropped(self, validate, text):
        _, ev, problems = validate([f"1,云集镇,5.4,{text},,,,"])
        assert problems == [] and ev.findings[0].date == date(2020, 3, 31)


class TestDataFrames:
    """score() and load_* take DataFrames through the same header checks as files."""

    def test_chinese_headers_and_nan(self, rubric):
        import pandas as pd

        roster = load_roster(pd.DataFrame({"单位": ["云集镇"], "类别": ["乡镇"]}))
        ev = load_evidence(pd.DataFrame({"编号": ["1"], "单位": ["云集镇"], "规则编号": ["1.3.3b"],
                                         "日期": [pd.Timestamp("2020-04-01")], "次数/数量": [float("nan")]}))
        assert roster.problems == [] and ev.problems == []
        assert score(rubric, roster, ev).units.loc[0, "total"] == Decimal("99.5")  # 100 − 0.5 (blank count = 1)

    def test_missing_required_column(self, rubric):
        import pandas as pd

        frame = pd.DataFrame({"id": ["1"], "unit": ["云集镇"], "rule": ["1.2.1"]})
        with pytest.raises(InputError) as exc:
            score(rubric, pd.DataFrame({"unit": ["云集镇"], "category": ["乡镇"]}), frame)
        assert where(exc.value.problems) == [("<DataFrame>", 1, "日期", None, "missing_column")]

    @pytest.mark.parametrize(("as_of", "code"), [("2021-03-31", "date_outside_period"), ("2020-02-30", "bad_date")])
    def test_as_of_is_checked(self, rubric, as_of, code):
        import pandas as pd

        with pytest.raises(InputError) as exc:
            score(rubric, pd.DataFrame({"unit": ["云集镇"], "category": ["乡镇"]}),
                  pd.DataFrame(columns=["id", "unit", "rule", "date"]), as_of=as_of)
        assert [(p.column, p.value, p.code) for p in exc.value.problems] == [("as_of", as_of, code)]


class TestDiscretionaryReason:
    def test_missing_reason_names_the_note_column(self, validate):
        """1.1.4 视完成情况扣 1-3 分 with 2 points and no 情况说明 (row 2): missing_value in 情况说明."""
        file, _, problems = validate(["1,云集镇,1.1.4,2020-05-01,,,2,"])
        assert where(problems) == [(file, 2, "情况说明", "", "missing_value")]


def test_columns_are_worked_out_once_and_not_pickled():
    """check() and every scoring of a run share one columnar view of the rows; a unit's pickled slice
    does not carry it, and rows added while a ledger is read are seen."""
    import pickle

    from kaohe.ledger import Evidence

    ev = Evidence([Finding("E1", "甲镇", "1.2.1", date(2020, 3, 1), row=2),
                   Finding("E2", "甲镇", "1.2.1", date(2020, 4, 1), row=3)])
    c = ev.columns()
    assert ev.columns() is c
    assert list(c.id) == ["E1", "E2"] and list(c.day) == [date(2020, 3, 1).toordinal(), date(2020, 4, 1).toordinal()]
    assert list(c.code) == [0, 0] and len(c.sample) == 1  # same rule, same inputs: worked out once
    assert "_columns" not in pickle.loads(pickle.dumps(ev)).__dict__
    ev.findings.append(Finding("E3", "乙镇", "1.2.1", date(2020, 5, 1), count=2, row=4))
    assert list(ev.columns().code) == [0, 0, 1] and list(ev.columns().row) == [2, 3, 4]
    ev.findings[0] = replace(ev.findings[0], unit="丙镇")  # a row replaced in place: same length
    assert list(ev.columns().unit) == ["丙镇", "甲镇", "乙镇"]
