"""`kaohe template`: a ledger workbook made from a rubric and a roster, filled in as a person would (choices
from its drop-downs, Excel dates, numbers), validates, scores and runs with no conversion step.

Filled rows, worked out by hand from 衡南 附件1: 示例镇01 4.2.1 "被县级通报批评的，每次扣 2分" × 2 = 4 and
1.1.4 酌情扣 2 分 → 100 − 6 = 94; 示例街道01 5.1 at 96.5% (below 98, whole steps: 1 × 0.5) → 99.5.
"""

import shutil
from datetime import datetime

from conftest import ROOT
from openpyxl import load_workbook

from kaohe import cli, runner
from kaohe.ledger import load_roster
from kaohe.rubric import load_rubric
from kaohe.template import rule_choice

ROSTER = ROOT / "data" / "sample" / "衡南2020-示例数据-单位名单.csv"
RUBRIC = load_rubric("hengnan-2020-township")


def make(tmp_path, capsys):
    out = tmp_path / "台账.xlsx"
    assert cli.main(["template", "hengnan-2020-township", "--roster", str(ROSTER), "--out", str(out)]) == 0
    assert "已生成台账模板" in capsys.readouterr().out
    return out


def fill(path):
    """Rows 2-4 typed as a person would: choices from the drop-downs, Excel dates, numbers."""
    wb = load_workbook(path)
    ws = wb["台账"]
    rows = [["E1", "示例镇01", rule_choice(RUBRIC, "4.2.1"), datetime(2020, 3, 1), 2],
            ["E2", "示例镇01", rule_choice(RUBRIC, "1.1.4"), datetime(2020, 4, 1), None, None, None, 2, "业务培训未开展"],
            ["E3", "示例街道01", rule_choice(RUBRIC, "5.1"), datetime(2020, 6, 30), None, 96.5]]
    for r, values in enumerate(rows, start=2):
        for c, value in enumerate(values, start=1):
            ws.cell(r, c, value)
    wb.save(path)


def test_the_template_offers_the_rosters_units_and_the_rubrics_rules(tmp_path, capsys):
    wb = load_workbook(make(tmp_path, capsys))
    assert wb.sheetnames == ["台账", "_lists", "规则", "填写说明"] and wb["_lists"].sheet_state == "hidden"
    ws = wb["台账"]
    assert [c.value for c in ws[1]][:5] == ["编号", "单位", "规则编号", "日期", "次数/数量"]
    in_scope = [u.name for u in load_roster(ROSTER).units if u.category in RUBRIC.applies_to]
    assert [c.value for c in wb["_lists"]["A"] if c.value] == in_scope  # 23 乡镇（街道）, no 县直部门
    assert [c.value for c in wb["_lists"]["B"]] == [rule_choice(RUBRIC, r) for r in RUBRIC.rules]
    assert rule_choice(RUBRIC, "4.2.1") == "4.2.1｜被县级通报批评的，每次扣 2分"
    checks = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    assert checks["B2:B5001"].type == "list" and checks["B2:B5001"].formula1 == "=_lists!$A$1:$A$23"
    assert checks["C2:C5001"].formula1 == "=_lists!$B$1:$B$47"
    assert checks["D2:D5001"].type == "date" and "考核期 2020-01-01 至 2020-12-31" in checks["D2:D5001"].error
    assert checks["E2:E5001"].type == "whole" and checks["A2:A5001"].prompt.startswith("本条记录的编号")
    assert ws.column_dimensions["D"].number_format == "yyyy-mm-dd" and ws.max_row == 1  # nothing to clear
    assert ws.column_dimensions["A"].number_format == "@"  # 编号 typed as 001 stays text
    assert checks["G2:G5001"].formula1 == '"国家,省,市"'  # the veto's levels (附件1 has no per-level rule)
    rules = list(wb["规则"].iter_rows(values_only=True))
    assert rules[0] == ("规则编号", "所属指标", "条款原文", "计分方法", "分值（上限）", "需要填写的列")
    by_id = {r[0]: r for r in rules[1:]}
    assert len(by_id) == 47
    assert by_id["4.2.1"][2] == RUBRIC.rules["4.2.1"].text and by_id["4.2.1"][5] == "次数/数量"
    assert by_id["1.1.4"][5] == "分值/扣分、情况说明" and by_id["5.1"][5] == "数值"
    assert "kaohe validate" in "\n".join(str(c.value) for c in wb["填写说明"]["A"])


def test_a_filled_template_validates_scores_and_runs_unchanged(tmp_path, capsys):
    ledger = make(tmp_path, capsys)
    fill(ledger)
    common = ["--rubric", "hengnan-2020-township", "--roster", str(ROSTER), "--evidence", str(ledger)]
    assert cli.main(["validate", *common]) == 0, capsys.readouterr().err
    assert cli.main(["score", *common, "--out", str(tmp_path / "scores.csv")]) == 0
    scores = {line.split(",")[0]: line.split(",")[2]
              for line in (tmp_path / "scores.csv").read_text(encoding="utf-8").splitlines()[1:]}
    assert scores["示例镇01"] == "94" and scores["示例街道01"] == "99.5" and scores["示例镇02"] == "100"

    project = tmp_path / "project"
    (project / "data").mkdir(parents=True)
    shutil.copy(ROSTER, project / "data" / "名单.csv")
    shutil.copy(ledger, project / "data" / "台账.xlsx")
    (project / "run.yaml").write_text("name: tpl\nyear: 2020\ntitle: 模板台账\n"
                                      "rubrics: [hengnan-2020-township, hengnan-2020-department]\n"
                                      "roster: data/名单.csv\nevidence: [data/台账.xlsx]\n", encoding="utf-8")
    outcome = runner.run(project / "run.yaml", units=["示例镇01"], out_dir=tmp_path / "out", progress=False)
    assert outcome.failed == [] and not outcome.summary_error
    html = (outcome.folder / "units" / "示例镇01.html").read_text(encoding="utf-8")
    assert "业务培训未开展" in html and "94" in html


def test_names_that_look_like_formulas_are_listed_as_text(tmp_path):
    """A unit called =SUM(1,2) must be offered as that name, not as 3."""
    from kaohe.ledger import Roster, Unit
    from kaohe.template import workbook

    wb = workbook(RUBRIC, Roster([Unit("=SUM(1,2)", "乡镇"), Unit("示例镇01", "乡镇")]))
    cell = wb["_lists"]["A1"]
    assert (cell.value, cell.data_type) == ("=SUM(1,2)", "s")
    path = tmp_path / "t.xlsx"
    wb.save(path)
    assert load_workbook(path)["_lists"]["A1"].value == "=SUM(1,2)"


def test_a_rule_id_may_not_contain_the_label_separator(tmp_path):
    import pytest

    from kaohe.errors import RubricError

    text = (ROOT / "kaohe" / "rubrics" / "hengnan-2020-township.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("{id: 1.2.1,", "{id: 1.2.1｜甲,", 1), encoding="utf-8")
    assert "1.2.1｜甲" in bad.read_text(encoding="utf-8")
    with pytest.raises(RubricError, match="id"):
        load_rubric(bad)


def test_the_command_refuses_a_roster_without_the_rubrics_units_and_a_non_xlsx_output(tmp_path, capsys):
    roster = tmp_path / "名单.csv"
    roster.write_text("单位,类别\n示例部门01,县直部门\n", encoding="utf-8")
    assert cli.main(["template", "hengnan-2020-township", "--roster", str(roster), "--out", str(tmp_path / "t.xlsx")]) == 2
    assert "没有细则 hengnan-2020-township@1 适用的单位（适用类别：" in capsys.readouterr().err
    assert cli.main(["template", "hengnan-2020-township", "--roster", str(ROSTER), "--out", str(tmp_path / "t.csv")]) == 2
    assert "--out 应为 .xlsx 文件" in capsys.readouterr().err
    assert not any(tmp_path.glob("t.*"))
