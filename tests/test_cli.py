"""The ``kaohe`` command line: score, validate, rubric list/show/lint.

Every expected total is worked out by hand from the rule amounts in
kaohe/rubrics/hengnan-2020-*.yaml; the arithmetic is in the comments.
"""

import csv
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from kaohe.cli import main
from kaohe.rubric import load_rubric

ROOT = Path(__file__).resolve().parents[1]
PARAMS = ROOT / "params" / "hengnan-2020.yaml"
TOWNSHIP, DEPARTMENT = "hengnan-2020-township", "hengnan-2020-department"
HEADER = "unit,category,total,grade,rank,vetoed,excellent"
LEDGER_HEADER = ["编号", "单位", "规则编号", "日期", "次数/数量", "数值", "级别", "分值/扣分", "情况说明"]

ROSTER = [["乙镇", "乡镇"], ["甲镇", "乡镇"], ["丙街道", "街道"], ["丁镇", "乡镇"],
          ["戊镇", "乡镇"], ["己镇", "乡镇"], ["某局", "县直部门"]]
# 编号, 单位, 规则编号, 日期, 次数/数量, 数值, 级别, 分值/扣分, 情况说明
LEDGER = [
    ["A01", "乙镇", "1.2.1", "2020-02-10", "", "", "", "", "场地面积不达标"],
    ["A02", "乙镇", "1.3.3b", "2020-06-15", "3", "", "", "", "办件超期预警 3 次"],
    ["A03", "丁镇", "3.1.3a", "2020-03-01", "", "", "", "", "未实行好差评"],
    ["A04", "丁镇", "1.4.1", "2020-03-02", "6", "", "", "", "清单少 6 项"],
    ["A05", "丁镇", "5.1", "2020-03-03", "", "93.5%", "", "", "接通率"],
    ["A06", "己镇", "1.3.1", "2020-01-20", "", "", "", "", "事项进驻不到位"],
    ["A07", "己镇", "1.3.1", "2020-02-20", "", "", "", "", "复查仍未进驻"],
    ["A08", "己镇", "3.1.3a", "2020-03-05", "", "", "", "", "未实行好差评"],
    ["A09", "戊镇", "veto", "2020-05-01", "", "", "市", "", "被市级通报批评"],
    *[[f"B{i:02d}", "甲镇", rid, "2020-04-01", n, "", "", "", "检查发现"] for i, (rid, n) in enumerate(
        [("1.2.1", ""), ("1.2.2", ""), ("1.2.3", ""), ("1.2.4", ""), ("1.2.5", ""),
         ("1.3.3d", "5"), ("3.1.3a", ""), ("4.1.2", "9"), ("1.4.1", "11")], start=1)],
]
# Hand-worked totals (township rubric, 100 points):
#   乙镇   1.2.1 flat 3 + 1.3.3b 3 × 0.5 = 1.5              → 100 − 3 − 1.5 = 95.5
#   甲镇   1.2.1..1.2.5 flats 3+2+3+2+3 = 13 (≤ 1.2's 15)
#          1.3.3d 5 × 2 = 10 (≤ 15); 3.1.3a flat 5; 4.1.2 9 × 1 = 9 (≤ 10);
#          1.4.1 11 × 0.1 = 1.1 (≤ 5)                       → 100 − 13 − 10 − 5 − 9 − 1.1 = 61.9
#   丙街道 no evidence                                       → 100
#   丁镇   3.1.3a 5; 1.4.1 6 × 0.1 = 0.6; 5.1 93.5%: 98 − 93.5 = 4.5 points short,
#          whole steps down → 4 × 0.5 = 2                   → 100 − 5 − 0.6 − 2 = 92.4
#   戊镇   veto (市级): no deduction, vetoed                → 100, 不合格, ranked last
#   己镇   1.3.1 flat 5 recorded twice, taken once (R3); 3.1.3a 5 → 100 − 5 − 5 = 90
EXPECTED = {  # unit: (category, total, grade, rank, vetoed, excellent)
    "丙街道": ("街道", "100", "优秀", "1", "false", "true"),
    "乙镇": ("乡镇", "95.5", "优秀", "2", "false", "true"),
    "丁镇": ("乡镇", "92.4", "优秀", "3", "false", "true"),
    "己镇": ("乡镇", "90", "优秀", "4", "false", "true"),
    "甲镇": ("乡镇", "61.9", "合格", "5", "false", "false"),
    "戊镇": ("乡镇", "100", "不合格", "6", "true", "false"),
}


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([header, *rows])
    return path


def run(capsys, *argv: str) -> tuple[int, str, str]:
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def read_scores(path: Path) -> dict[str, dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return {r["unit"]: r for r in csv.DictReader(fh)}


@pytest.fixture
def good(tmp_path):
    """(roster, ledger) of the hand-made township example."""
    return (write_csv(tmp_path / "名单.csv", ["单位", "类别"], ROSTER),
            write_csv(tmp_path / "台账.csv", LEDGER_HEADER, LEDGER))


# Each bad row as (excel row, column, value); the roster repeats 乙镇 on row 3.
BAD_LEDGER = [
    ["C1", "乙镇", "1.2.1", "2020-13-45", "", "", "", "", ""],   # row 2: 日期 is no date
    ["C2", "不存在镇", "1.2.1", "2020-02-01", "", "", "", "", ""],  # row 3: unit not in roster
    ["C3", "乙镇", "9.9.9", "2020-02-01", "", "", "", "", ""],     # row 4: no such rule
    ["C4", "乙镇", "1.3.3b", "2020-02-01", "两次", "", "", "", ""],  # row 5: count not a number
    ["C5", "丁镇", "5.1", "2020-02-01", "", "九十", "", "", ""],    # row 6: value not a number
]
BAD_CELLS = [(2, "日期", "2020-13-45"), (3, "单位", "不存在镇"), (4, "规则编号", "9.9.9"),
             (5, "次数/数量", "两次"), (6, "数值", "九十")]


@pytest.fixture
def bad(tmp_path):
    """(roster, ledger) with one problem per ledger row and a duplicated roster unit."""
    return (write_csv(tmp_path / "坏名单.csv", ["单位", "类别"], [["乙镇", "乡镇"], ["乙镇", "乡镇"], ["丁镇", "乡镇"]]),
            write_csv(tmp_path / "坏台账.csv", LEDGER_HEADER, BAD_LEDGER))


def assert_every_problem_reported(err: str, roster: Path, ledger: Path) -> None:
    lines = err.splitlines()
    for row, column, value in BAD_CELLS:
        assert any(str(ledger) in ln and f"第 {row} 行" in ln and f"「{column}」" in ln and repr(value) in ln
                   for ln in lines), (row, column, value, err)
    assert any(str(roster) in ln and "第 3 行" in ln and "「单位」" in ln and "'乙镇'" in ln for ln in lines), err


class TestScore:
    def test_csv_header_and_hand_worked_rows(self, capsys, good, tmp_path):
        """The CSV has the exact header and, per unit, the totals/grades/ranks worked out above."""
        roster, ledger = good
        out = tmp_path / "得分.csv"
        rc, _, _ = run(capsys, "score", "--rubric", TOWNSHIP, "--roster", roster, "--evidence", ledger, "--out", out)
        assert rc == 0
        assert out.read_text(encoding="utf-8").splitlines()[0] == HEADER
        got = {u: tuple(r[k] for k in HEADER.split(",")[1:]) for u, r in read_scores(out).items()}
        assert got == EXPECTED  # 某局 (县直部门) is outside the township rubric: no row

    def test_totals_are_shortest_exact_decimals(self, capsys, good, tmp_path):
        """Totals read 61.9, 90, 92.4, 100 as text — never 90.0, 61.900000001 or 1e2."""
        roster, ledger = good
        out = tmp_path / "得分.csv"
        run(capsys, "score", "--rubric", TOWNSHIP, "--roster", roster, "--evidence", ledger, "--out", out)
        lines = out.read_text(encoding="utf-8").splitlines()
        assert "甲镇,乡镇,61.9,合格,5,false,false" in lines
        assert "己镇,乡镇,90,优秀,4,false,true" in lines
        assert "丁镇,乡镇,92.4,优秀,3,false,true" in lines
        for r in read_scores(out).values():
            assert r["vetoed"] in ("true", "false") and r["excellent"] in ("true", "false")
            assert not r["total"].endswith(".0") and len(r["total"].partition(".")[2]) <= 1

    def test_rubric_given_as_yaml_path(self, capsys, good, tmp_path):
        """--rubric accepts a path to a rubric YAML file as well as a bundled id."""
        roster, ledger = good
        out = tmp_path / "得分.csv"
        path = ROOT / "kaohe" / "rubrics" / f"{TOWNSHIP}.yaml"
        assert run(capsys, "score", "--rubric", path, "--roster", roster, "--evidence", ledger, "--out", out)[0] == 0
        assert read_scores(out)["甲镇"]["total"] == "61.9"

    def test_as_of_counts_only_earlier_evidence(self, capsys, good, tmp_path):
        """--as-of 2020-03-31 drops 乙镇's June 1.3.3b (100 − 3 = 97) and all of 甲镇's April rows (100)."""
        roster, ledger = good
        out = tmp_path / "q1.csv"
        rc, _, _ = run(capsys, "score", "--rubric", TOWNSHIP, "--roster", roster, "--evidence", ledger,
                       "--as-of", "2020-03-31", "--out", out)
        assert rc == 0
        rows = read_scores(out)
        assert rows["乙镇"]["total"] == "97"
        assert rows["甲镇"]["total"] == "100"
        assert rows["丁镇"]["total"] == "92.4"  # all of 丁镇's rows are dated in March

    def test_invalid_as_of_exits_2_and_writes_nothing(self, capsys, good, tmp_path):
        """An impossible --as-of date (2020-02-30) is exit 2, names the option and value, writes no CSV."""
        roster, ledger = good
        out = tmp_path / "q1.csv"
        rc, _, err = run(capsys, "score", "--rubric", TOWNSHIP, "--roster", roster, "--evidence", ledger,
                         "--as-of", "2020-02-30", "--out", out)
        assert rc == 2
        assert "--as-of" in err and "2020-02-30" in err
        assert not out.exists()

    def test_invalid_input_lists_every_problem_and_exits_2(self, capsys, bad, tmp_path):
        """Every problem goes to stderr naming file, row, column and value; no CSV is written."""
        roster, ledger = bad
        out = tmp_path / "sub" / "得分.csv"
        rc, _stdout, err = run(capsys, "score", "--rubric", TOWNSHIP, "--roster", roster, "--evidence", ledger,
                              "--out", out)
        assert rc == 2
        assert_every_problem_reported(err, roster, ledger)
        assert not out.exists()
        assert list(tmp_path.rglob("*得分*")) == []  # no temporary file left beside it either

    def test_invalid_input_leaves_existing_out_untouched(self, capsys, bad, tmp_path):
        """A pre-existing --out file is left byte-identical when the input is invalid."""
        roster, ledger = bad
        out = tmp_path / "得分.csv"
        before = "unit,category,total\n旧,乡镇,88.5\n".encode()
        out.write_bytes(before)
        rc, _, _ = run(capsys, "score", "--rubric", TOWNSHIP, "--roster", roster, "--evidence", ledger,
                       "--out", out)
        assert rc == 2
        assert out.read_bytes() == before

    def test_params_scores_both_rubrics(self, capsys, tmp_path):
        """--params scores 23 乡镇/街道 and 14 县直部门 units into one CSV, each rubric ranked 1…n."""
        out = tmp_path / "全部.csv"
        rc, _, _ = run(capsys, "score", "--params", PARAMS, "--out", out)
        assert rc == 0
        rows = read_scores(out)
        assert out.read_text(encoding="utf-8").splitlines()[0] == HEADER
        counts = Counter(r["category"] for r in rows.values())
        assert counts["乡镇"] + counts["街道"] == 23 and counts["县直部门"] == 14 and len(rows) == 37
        # From data/sample by hand: 示例镇02 has one 1.3.3b (0.5) → 99.5.
        assert rows["示例镇02"]["total"] == "99.5"
        # 示例部门05: 5.1a 2×0.1 + 5.1b 4×0.1 + 5.2 5×0.1 + 5.3a (95−92.5 → 2 steps × 0.2)
        #             + 5.3b (95−94.9 → 0 steps) + 5.4 0.3 = 0.2+0.4+0.5+0.4+0+0.3 = 1.8 → 98.2
        assert rows["示例部门05"]["total"] == "98.2"
        # 示例部门14: 4.2.3 1 × 1 → 99, and a 国家级 veto → 不合格, last of 14.
        assert (rows["示例部门14"]["total"], rows["示例部门14"]["grade"], rows["示例部门14"]["rank"],
                rows["示例部门14"]["vetoed"]) == ("99", "不合格", "14", "true")

    def test_missing_inputs_exit_2(self, capsys, tmp_path):
        """Without --roster/--evidence (and no --params) score exits 2 and writes nothing."""
        out = tmp_path / "得分.csv"
        rc, _, err = run(capsys, "score", "--rubric", TOWNSHIP, "--out", out)
        assert rc == 2 and "--roster" in err and "--evidence" in err
        assert not out.exists()


    def test_other_category_units_are_named_as_not_scored(self, capsys, good, tmp_path):
        """某局 (县直部门) is outside the township rubric: the CSV leaves it out and stderr says so."""
        roster, ledger = good
        rc, _, err = run(capsys, "score", "--rubric", TOWNSHIP, "--roster", roster, "--evidence", ledger,
                         "--out", tmp_path / "o.csv")
        assert rc == 0 and "1 个单位（类别：县直部门）" in err and "未计分" in err

    def test_out_that_cannot_be_written_exits_2(self, capsys, good, tmp_path):
        """--out naming a folder is a clear error (exit 2), not a traceback."""
        roster, ledger = good
        rc, _, err = run(capsys, "score", "--rubric", TOWNSHIP, "--roster", roster, "--evidence", ledger,
                         "--out", tmp_path)
        assert rc == 2 and "无法写出" in err and "Traceback" not in err


class TestScoresCsvFlags:
    """After the seven fixed columns the CSV appends what the rubric has, so that a unit barred from the ranking
    or the awards does not read as any other: hand-worked in tests/test_hengyang.py and tests/test_yiyang.py from
    the bundled samples."""

    def test_hengyang_appends_ineligible_and_the_module_totals(self, capsys, tmp_path):
        """衡阳: 示例县02 415.5 of 500 → 83.1, 12345 88 < 90 → 取消评优资格; 示例局02 leaves out 2 modules: 350 of 400 →
        87.5; 示例城区 6 × 85 = 510 of 600 → 85, 12345 85 < 90."""
        out = tmp_path / "s.csv"
        rc, _, _ = run(capsys, "score", "--params", ROOT / "params" / "hengyang-2018.yaml", "--out", out)
        assert rc == 0
        assert out.read_text(encoding="utf-8").splitlines()[0] == HEADER + ",ineligible,subtotal,subtotal_max"
        rows = read_scores(out)
        got = {u: (r["total"], r["rank"], r["ineligible"], r["subtotal"], r["subtotal_max"]) for u, r in rows.items()}
        assert got == {"示例县01": ("92.4", "1", "false", "462", "500"), "示例县02": ("83.1", "2", "true", "415.5", "500"),
                       "示例县03": ("76", "3", "true", "380", "500"), "示例园区": ("95", "1", "false", "570", "600"),
                       "示例局01": ("90.17", "2", "false", "541", "600"), "示例局02": ("87.5", "3", "false", "350", "400"),
                       "示例城区": ("85", "4", "true", "510", "600")}

    def test_yiyang_appends_disqualified(self, capsys, tmp_path):
        """益阳: 示例区县04 4 × 2 × 0.5 = 1 → 99 but 虚报、瞒报 → 取消年度评价资格: no rank, not listed, disqualified."""
        out = tmp_path / "s.csv"
        rc, _, _ = run(capsys, "score", "--params", ROOT / "params" / "yiyang-2020.yaml", "--out", out)
        assert rc == 0
        lines = out.read_text(encoding="utf-8").splitlines()
        assert lines[0] == HEADER + ",disqualified"
        assert lines[-1] == "示例区县04,区县(市),99,,,false,false,true"
        assert "示例区县02,区县(市),92.5,,6,false,false,false" in lines

    def test_a_rubric_without_flags_or_part_totals_keeps_the_seven_columns(self, capsys, tmp_path):
        for name in ("hengnan-2020.yaml", "langxi-2019.yaml"):
            out = tmp_path / name.replace(".yaml", ".csv")
            assert run(capsys, "score", "--params", ROOT / "params" / name, "--out", out)[0] == 0
            assert out.read_text(encoding="utf-8").splitlines()[0] == HEADER

    def test_kaohe_run_writes_the_same_columns(self):
        from kaohe.assessment import assess
        from kaohe.runner import scores_frame

        frame = scores_frame(assess(ROOT / "params" / "hengyang-2018.yaml"))
        assert ",".join(frame.columns) == HEADER + ",ineligible,subtotal,subtotal_max"
        assert frame.set_index("unit").loc["示例县02", ["ineligible", "subtotal", "subtotal_max"]].tolist() == [
            "true", "415.5", "500"]

    def test_rubrics_of_one_run_share_the_columns_any_of_them_has(self):
        """A unit whose rubric has no such thing gets the plain value (not disqualified: false); a column no rubric
        of the run has is left out, and a run that scored no unit still has the header."""
        from kaohe.config import Run
        from kaohe.scoring import score, scores_table

        run_ = Run(ROOT / "params" / "yiyang-2020.yaml")
        yiyang = score(run_.rubrics[0], *run_.load_inputs())
        hengnan = score(load_rubric(TOWNSHIP), ROOT / "data" / "sample" / "衡南2020-示例数据-单位名单.csv",
                        ROOT / "data" / "sample" / "衡南2020-示例数据-台账.csv")
        table = scores_table([hengnan, yiyang]).set_index("unit")
        assert list(table.columns) == [*HEADER.split(",")[1:], "disqualified"]
        assert table.loc["示例镇13", ["total", "disqualified"]].tolist() == ["70", "false"]
        assert table.loc["示例区县04", "disqualified"] == "true"
        assert list(scores_table([]).columns) == HEADER.split(",")


class TestValidate:
    def test_good_input_passes(self, capsys, good):
        """Valid inputs: exit 0 and a success message counting units and ledger rows."""
        roster, ledger = good
        rc, out, _err = run(capsys, "validate", "--rubric", TOWNSHIP, "--roster", roster, "--evidence", ledger)
        assert rc == 0
        assert "校验通过" in out and f"{len(LEDGER)} 条台账记录" in out

    def test_bad_input_lists_every_problem(self, capsys, bad):
        """Invalid inputs: exit 2, every problem on stderr with file, row, column and value."""
        roster, ledger = bad
        rc, out, err = run(capsys, "validate", "--rubric", TOWNSHIP, "--roster", roster, "--evidence", ledger)
        assert rc == 2
        assert "校验通过" not in out
        assert_every_problem_reported(err, roster, ledger)
        assert "6 个问题" in err  # five ledger rows + the duplicated roster unit

    def test_params(self, capsys):
        """--params validates both rubrics against the sample roster and ledger."""
        rc, out, _ = run(capsys, "validate", "--params", PARAMS)
        assert rc == 0
        assert "校验通过" in out and "37 个单位" in out
        assert TOWNSHIP in out and DEPARTMENT in out


class TestRubricList:
    def test_lists_both_hengnan_rubrics(self, capsys):
        """`rubric list` names both bundled 衡南 2020 rubrics."""
        rc, out, _ = run(capsys, "rubric", "list")
        assert rc == 0
        ids = [line.split("\t")[0] for line in out.splitlines()]
        assert TOWNSHIP in ids and DEPARTMENT in ids


class TestRubricShow:
    def test_tree_points_and_verbatim_texts(self, capsys):
        """`rubric show` prints the indicator tree with points and the rules' verbatim clauses."""
        rc, out, _ = run(capsys, "rubric", "show", TOWNSHIP)
        assert rc == 0
        assert "满分 100 分" in out
        assert "1.1 基层公共服务（一门式）全覆盖（15 分）" in out
        assert "[1.3.3b]" in out and "原文：业务办件超期，预警每次扣0.5分" in out
        assert "原文：年度办件量低于500扣2分" in out
        assert "被国、省、市通报批评，该年绩效考核一票否决" in out

    def test_unknown_rubric_exits_2(self, capsys):
        """An unknown rubric id is exit 2 with a message naming it."""
        rc, _, err = run(capsys, "rubric", "show", "no-such-rubric")
        assert rc == 2 and "no-such-rubric" in err


class TestRubricLint:
    def test_reports_department_gaps(self, capsys):
        """3.2 数据采集汇聚 has no points of its own and 3.2.1 has no amount; exit 0."""
        rc, out, _ = run(capsys, "rubric", "lint", DEPARTMENT)
        assert rc == 0
        lines = out.splitlines()
        assert any(ln.startswith("警告 3.2 数据采集汇聚") and "没有单独分值" in ln for ln in lines), out
        assert any(ln.startswith("警告 3.2.1") and "未规定扣分额度" in ln for ln in lines), out

    def test_strict_exits_1_on_warnings(self, capsys):
        """With --strict the same warnings make the exit code 1."""
        rc, out, _ = run(capsys, "rubric", "lint", DEPARTMENT, "--strict")
        assert rc == 1
        assert "3.2.1" in out


class TestPythonDashM:
    def test_python_m_kaohe_score(self, good, tmp_path):
        """`python -m kaohe score` in a subprocess writes the same CSV and exits 0; bad input exits 2."""
        roster, ledger = good
        out = tmp_path / "得分.csv"
        base = [sys.executable, "-m", "kaohe", "score", "--rubric", TOWNSHIP, "--roster", str(roster)]
        done = subprocess.run([*base, "--evidence", str(ledger), "--out", str(out)],
                              cwd=ROOT, capture_output=True, text=True, encoding="utf-8")
        assert done.returncode == 0, done.stderr
        assert read_scores(out)["甲镇"]["total"] == "61.9"
        missing = tmp_path / "没有.csv"
        failed = subprocess.run([*base, "--evidence", str(missing), "--out", str(tmp_path / "x.csv")],
                                cwd=ROOT, capture_output=True, text=True, encoding="utf-8")
        assert failed.returncode == 2 and str(missing) in failed.stderr
        assert not (tmp_path / "x.csv").exists()


def test_kaohes_commands_leave_out_jsonschemas_iri_checks_and_still_validate_notebooks():
    """A command imports nbformat (and jsonschema) without rfc3987_syntax, whose import built ~35 parsers at the
    start of every run; notebooks are validated as before (their schema has no "iri" format)."""
    code = ("import sys\n"
            "from kaohe.cli import main\n"
            "assert main(['rubric', 'list']) == 0\n"
            "import kaohe.runner, nbformat\n"
            "nb = nbformat.read('notebooks/unit_report.ipynb', as_version=4)\n"
            "nbformat.validate(nb)\n"
            "del nb.cells[0]['source']\n"
            "try:\n"
            "    nbformat.validate(nb)\n"
            "except nbformat.ValidationError:\n"
            "    print('invalid', sys.modules['rfc3987_syntax'])\n")
    done = subprocess.run([sys.executable, "-c", code],
                          capture_output=True, text=True, cwd=Path(__file__).parent.parent)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "invalid None"
