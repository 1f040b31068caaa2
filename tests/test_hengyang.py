"""衡阳 2018 (seed 004, traditional characters): modules of 100 summed (县市区 500, 市直部门 600),
modules that do not apply left out, the sum converted to 100 (“按比例折合”), tasks scored by
completion, 12345 under 90 → 取消年度评优资格, and unit names matched across 繁/简.

Hand computations from 计分标准 and the sample (data/sample/衡阳2018-示例数据-*.csv):
- 示例县01: 90 + 85 + 95 + 100 + 92 = 462 of 500 → 92.4.
- 示例县02 (the ledger writes 示例縣02): module 2 from tasks — 40 on time, 30 逾期 6 of 8 → 22.5,
  30 未启动 → 0 — = 62.5; 80 + 62.5 + 90 + 95 + 88 = 415.5 → 83.1; 12345 88 < 90 → 取消评优资格.
- 示例县03: module 4 tasks 60 + 60 = 120 → “計分不超過該單項底分” 100; 4 × 70 + 100 = 380 → 76.
- 示例局01: 90 + 80 + 85 + 95 + 100 + 91 = 541 of 600 → 90.1666… → 90.17.
- 示例局02: 不适用 1 (no website) and 6 (not a 12345 unit): 80 + 90 + 85 + 95 = 350 of 400 → 87.5.
- 示例城区 (ledger: 示例城區, category 四城区 → the 市直部门 scheme): 6 × 85 = 510 → 85, 12345 85 < 90.
"""

from decimal import Decimal

import pytest
from conftest import ROOT

from kaohe.config import Run
from kaohe.errors import InputError
from kaohe.ledger import load_evidence, load_roster, match_units
from kaohe.rubric import load_rubric
from kaohe.scoring import score

PARAMS = ROOT / "params" / "hengyang-2018.yaml"


@pytest.fixture(scope="module")
def results():
    run = Run(PARAMS)
    roster, evidence = run.load_inputs()
    return {r.id: score(r, roster, evidence) for r in run.rubrics}


def unit(results, rid, name):
    return results[rid].units.set_index("unit").loc[name]


@pytest.mark.parametrize(("rid", "name", "total", "subtotal", "max_", "ineligible"), [
    ("hengyang-2018-county", "示例县01", "92.4", "462", "500", False),
    ("hengyang-2018-county", "示例县02", "83.1", "415.5", "500", True),
    ("hengyang-2018-county", "示例县03", "76", "380", "500", True),
    ("hengyang-2018-department", "示例局01", "90.17", "541", "600", False),
    ("hengyang-2018-department", "示例局02", "87.5", "350", "400", False),
    ("hengyang-2018-department", "示例城区", "85", "510", "600", True),
    ("hengyang-2018-department", "示例园区", "95", "570", "600", False),
])
def test_hand_computed_module_totals(results, rid, name, total, subtotal, max_, ineligible):
    u = unit(results, rid, name)
    assert (u["total"], u["subtotal"], u["max"]) == (Decimal(total), Decimal(subtotal), Decimal(max_))
    assert bool(u["ineligible"]) is ineligible


def test_tasks_late_and_not_started_and_the_module_cap(results):
    nodes = results["hengyang-2018-county"].nodes.set_index(["unit", "node"])
    assert nodes.loc[("示例县02", "2"), "score"] == Decimal("62.5")
    assert nodes.loc[("示例县02", "2"), "basis"] == "3 项任务得分之和 62.5 分"
    assert nodes.loc[("示例县03", "4"), "score"] == 100
    assert "限于 0—100 分" in nodes.loc[("示例县03", "4"), "basis"]


def test_a_module_that_does_not_apply_is_left_out(results):
    nodes = results["hengyang-2018-department"].nodes.set_index(["unit", "node"])
    assert nodes.loc[("示例局02", "6"), "score"] is None
    assert nodes.loc[("示例局02", "6"), "basis"] == "不适用，不列入考核"


def test_traditional_names_in_the_ledger_match_the_simplified_roster(results):
    led = results["hengyang-2018-county"].ledger
    assert set(led[led["unit"] == "示例县02"]["evidence_id"]) >= {"H010", "H011", "H012"}
    run = Run(PARAMS)
    _, evidence = run.load_inputs()
    written = {f.unit_as_written for f in evidence.findings if f.unit_as_written}
    assert written == {"示例縣02", "示例城區"}


def test_a_name_that_converts_to_two_roster_units_is_refused(tmp_path):
    (tmp_path / "r.csv").write_text("单位,类别\n钟楼区,县市区\n鐘樓區,县市区\n", encoding="utf-8")
    (tmp_path / "e.csv").write_text("编号,单位,规则编号,日期,数值\nX1,鍾樓區,1.1,2018-05-01,90\n", encoding="utf-8")
    roster = load_roster(tmp_path / "r.csv")
    evidence = match_units(roster, load_evidence(tmp_path / "e.csv"))
    codes = sorted((p.row, p.code) for p in evidence.problems)
    assert codes == [(2, "ambiguous_unit"), (3, "ambiguous_unit")]  # the ledger row, and the roster pair


def test_not_applicable_must_name_an_optional_module_and_rules_out_its_evidence(tmp_path):
    (tmp_path / "r.csv").write_text("单位,类别,不适用\n甲局,市直部门,政府信息公開(含公共服務)\n乙局,市直部门,6\n",
                                    encoding="utf-8")
    rows = "".join(f"A{m},甲局,{m}.1,2018-06-01,90\n" for m in "123456")
    rows += "".join(f"B{m},乙局,{m}.1,2018-06-01,90\n" for m in "123456")
    (tmp_path / "e.csv").write_text("编号,单位,规则编号,日期,数值\n" + rows, encoding="utf-8")
    with pytest.raises(InputError) as err:
        score(load_rubric("hengyang-2018-department"), tmp_path / "r.csv", tmp_path / "e.csv")
    found = sorted((p.file.endswith("r.csv"), p.row, p.code) for p in err.value.problems)
    assert found == [(False, 13, "not_applicable"), (True, 2, "not_optional")]


def test_a_late_task_needs_its_amounts(tmp_path):
    (tmp_path / "r.csv").write_text("单位,类别\n甲县,县市区\n", encoding="utf-8")
    rows = "".join(f"A{m},甲县,{m}.1,2018-06-01,90,,\n" for m in "1345")
    rows += "T1,甲县,2.2,2018-06-01,,50,逾期完成\n"
    (tmp_path / "e.csv").write_text("编号,单位,规则编号,日期,数值,分值/扣分,完成情况\n" + rows, encoding="utf-8")
    with pytest.raises(InputError) as err:
        score(load_rubric("hengyang-2018-county"), tmp_path / "r.csv", tmp_path / "e.csv")
    (p,) = err.value.problems
    assert (p.row, p.column, p.rule) == (6, "要求任务量", "2.2")


def test_both_rubrics_lint_clean_and_keep_the_traditional_text():
    from kaohe.lint import lint

    for rid, n in (("hengyang-2018-county", 5), ("hengyang-2018-department", 6)):
        r = load_rubric(rid)
        assert lint(r) == [] and len(r.indicators) == n and r.points == 100 * n
        assert "縣市區" in r.points_text or "市直部門" in r.points_text
    dept = load_rubric("hengyang-2018-department")
    assert [n.id for n in dept.indicators if n.optional] == ["1", "2", "6"]
    assert dept.indicators[5].eligibility_min == 90


def test_every_scoring_clause_of_the_document_is_encoded_verbatim():
    """Each sentence of 三(二) 計分標準 and 六's ranking rule is a rule, node or total text, or the
    quoted clause of a declared reading."""
    import re

    from conftest import SEEDS

    seed = (SEEDS / "004_fb02ea74bc2a4c5a.txt").read_text(encoding="utf-8")
    part = seed[seed.index("(二)計分標準:"):seed.index("四、考核時間")] + seed[seed.index("按照考核計分辦法"):seed.index("七、工作要求")]
    sentences = [c for c in re.split(r"[;。\n]|\d\.", part.replace("(二)計分標準:", "")) if "分" in c]
    clauses = [p for c in sentences for p in c.split(",") if len(p) > 4]
    encoded = []
    for rid in ("hengyang-2018-county", "hengyang-2018-department"):
        r = load_rubric(rid)
        encoded += [x.text for x in r.rules.values()] + [n.text for n in r.nodes if n.text] + [r.points_text]
        encoded += [rd.about for rd in r.readings]
    missing = [c for c in clauses if not any(c.strip() in e for e in encoded)]
    assert len(sentences) >= 6 and missing == []


def test_the_reports_show_modules_and_what_was_left_out(tmp_path):
    from kaohe import runner

    outcome = runner.run(PARAMS, units=["示例局02", "示例县02"], jobs=2, out_dir=tmp_path, progress=False)
    assert outcome.failed == [] and outcome.summary_error == ""
    dept = (outcome.folder / "units" / "示例局02.html").read_text(encoding="utf-8")
    assert "适用模块得分之和 350 ÷ 适用模块满分 400 × 100" in dept and "<td>不列入</td>" in dept
    county = (outcome.folder / "units" / "示例县02.html").read_text(encoding="utf-8")
    assert "低于 90 分：按细则取消年度评优资格" in county
    assert "台账写作「示例縣02」，按繁简转换对应本单位" in county
    assert "逾期完成" in county and "3 项任务得分之和 62.5 分" in county


def test_a_quarter_before_module_scores_exist_counts_only_what_is_scored():
    """At 2018-06-30 only 示例县02's first task (40 of module 2) and 示例县03's first (60 of module 4)
    exist: each total is over that one module (40 → 40, 60 → 60); 示例县01 has nothing yet (0 of 0)."""
    run = Run(PARAMS)
    roster, evidence = run.load_inputs()
    units = score(run.rubrics[0], roster, evidence, as_of="2018-06-30").units.set_index("unit")
    assert (units.loc["示例县02", "total"], units.loc["示例县02", "max"]) == (40, 100)
    assert (units.loc["示例县03", "total"], units.loc["示例县01", "max"]) == (60, 0)


def test_not_applicable_may_name_a_module_in_simplified_characters():
    dept = load_rubric("hengyang-2018-department")
    assert dept.modules_left_out(("政府网站", "12345政府服务热线")) == (frozenset({"1", "6"}), [])
    assert dept.modules_left_out(("政务外网(含政务云)",)) == (frozenset(), ["政务外网(含政务云)"])


def test_unfinished_is_scored_by_share_and_a_module_uses_one_source(tmp_path):
    (tmp_path / "r.csv").write_text("单位,类别\n甲县,县市区\n", encoding="utf-8")
    rows = "".join(f"A{m},甲县,{m}.1,2018-06-01,90,,,,\n" for m in "1345")
    rows += "T1,甲县,2.2,2018-06-01,,50,未完成,4,3\nT2,甲县,2.2,2018-07-01,,50,按时完成,,\n"
    (tmp_path / "e.csv").write_text("编号,单位,规则编号,日期,数值,分值/扣分,完成情况,要求任务量,完成任务量\n" + rows,
                                    encoding="utf-8")
    result = score(load_rubric("hengyang-2018-county"), tmp_path / "r.csv", tmp_path / "e.csv")
    nodes = result.nodes.set_index("node")
    assert nodes.loc["2", "score"] == Decimal("87.5")  # 50 × 3/4 + 50
    (tmp_path / "e.csv").write_text("编号,单位,规则编号,日期,数值,分值/扣分,完成情况,要求任务量,完成任务量\n" + rows
                                    + "G2,甲县,2.1,2018-12-01,70,,,,\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        score(load_rubric("hengyang-2018-county"), tmp_path / "r.csv", tmp_path / "e.csv")
    # both task rows are named (T1 and T2 on rows 6 and 7): neither would count beside the given score
    assert {(p.row, p.code) for p in err.value.problems} == {(6, "score_and_tasks"), (7, "score_and_tasks")}
