"""郎溪 2019 (seed 002): total = 40% 专业机构测评 + 30% 日常测评 (附件2, 30 points) + 30% 双向互评.

Hand computations from the document and the sample ledger (data/sample/郎溪2019-示例数据-台账.csv):
- 建平镇: 专业机构 90, + 主要负责同志出席新闻发布会 3 × 0.5 = 1.5 but “累计不超过1分” → 91;
  日常 30 − 问题清单 3 × 1 − 省级巡查通报 1 = 26; 互评 (85 + 90 + 80) / 3 = 85.
  40% × 91 + 26 + 30% × 85 = 36.4 + 26 + 25.5 = 87.9.
- 十字镇: no final score, 附件3 items all 100 → Σ weights = 15+5+5 + 7+5+3 + 9+6+9+4+5 + 4+4+5+7+4 = 97
  (深化重点领域信息公开 adds up to 33, not 36), + “没有出现扣分…加2分” → 99; 日常: 问题清单 12 × 1 but
  “扣完10分为止” → 20; 互评 (70 + 75) / 2 = 72.5. 39.6 + 20 + 21.75 = 81.35.
- 县教体局: 95 − 依申请公开 6 × 2 = 12 “累计扣分不超过10分” → 10, + 国家通报表彰 3 → 88; 日常: 国家巡查通报
  3 × 2 = 6 “扣完5分为止” → 5, 报备 twice but “扣1分” once → 30 − 6 = 24; 互评 (88 + 92 + 90) / 3 = 90.
  35.2 + 24 + 27 = 86.2.
- 涛城镇: 80; 日常 30; 互评 (80 + 85 + 86) / 3 = 83.666… → 83.67 (四舍五入). 32 + 30 + 25.101 = 87.101.
"""

from decimal import Decimal

import pytest
from conftest import ROOT, SEEDS

from kaohe.composite import parts
from kaohe.config import Run
from kaohe.errors import InputError
from kaohe.lint import lint
from kaohe.rubric import load_rubric
from kaohe.scoring import score

PARAMS = ROOT / "params" / "langxi-2019.yaml"


@pytest.fixture(scope="module")
def result():
    run = Run(PARAMS)
    roster, evidence = run.load_inputs()
    return score(run.rubrics[0], roster, evidence)


def total(result, unit):
    return result.units.set_index("unit").loc[unit, "total"]


def node(result, unit, node_id):
    n = result.nodes
    return n[(n["unit"] == unit) & (n["node"] == node_id)].iloc[0]["score"]


@pytest.mark.parametrize(("unit", "expected", "a", "b", "c"), [
    ("建平镇", "87.9", "91", "26", "85"),
    ("十字镇", "81.35", "99", "20", "72.5"),
    ("县教体局", "86.2", "88", "24", "90"),
    ("涛城镇", "87.101", "80", "30", "83.67"),
])
def test_hand_computed_composite_totals(result, unit, expected, a, b, c):
    assert total(result, unit) == Decimal(expected)
    assert [node(result, unit, x) for x in "ABC"] == [Decimal(a), Decimal(b), Decimal(c)]


def test_capped_daily_item_and_capped_bonus(result):
    led = result.ledger.set_index("evidence_id")
    jp = result.ledger[(result.ledger["unit"] == "建平镇") & (result.ledger["rule"] == "A5.4a")].iloc[0]
    assert jp["raw"] == Decimal("-1.5") and jp["applied"] == -1 and jp["capped_by"] == "A5.4a"
    sz = result.ledger[(result.ledger["unit"] == "十字镇") & (result.ledger["rule"] == "B1.1")].iloc[0]
    assert sz["raw"] == 12 and sz["applied"] == 10 and sz["capped_by"] == "B1"
    assert len(led) == len(result.ledger)


def test_roster_is_appendix_1_as_written():
    run = Run(PARAMS)
    roster, _ = run.load_inputs()
    names = [u.name for u in roster.units]
    seed = (SEEDS / "002_cc609a657548c0f2.txt").read_text(encoding="utf-8")
    towns = seed[seed.index("一、乡镇\n"):].splitlines()[1]
    depts = seed[seed.index("二、县直单位\n"):].splitlines()[1]
    assert "、".join(names[:9]) == towns and "、".join(names[9:]) == depts
    assert [u.category for u in roster.units].count("县直单位") == 33


def test_lint_reports_the_weights_that_do_not_add_up_once():
    found = [f for f in lint(load_rubric("langxi-2019")) if f.severity == "警告"]
    assert [(f.where, f.message) for f in found] == [("A3 深化重点领域信息公开", "下级权重合计 33%，与本项 36% 不符")]


def test_the_parts_of_the_agency_score_are_the_16_weighted_items():
    a = load_rubric("langxi-2019").indicators[0]
    ps = list(parts(a))
    assert len(ps) == 16 and sum(p.weight for p in ps) == 97


def test_a_unit_without_an_agency_score_or_raters_is_an_input_error(tmp_path):
    (tmp_path / "roster.csv").write_text("单位,类别\n建平镇,乡镇\n", encoding="utf-8")
    (tmp_path / "ledger.csv").write_text("编号,单位,规则编号,日期,数值,情况说明\nX1,建平镇,A1.1.s,2019-12-01,90,部分得分\n",
                                         encoding="utf-8")
    (tmp_path / "p.yaml").write_text("name: t\nyear: 2019\ntitle: 测试\nrubrics: [langxi-2019]\nroster: roster.csv\n"
                                     "evidence: [ledger.csv]\n", encoding="utf-8")
    run = Run(tmp_path / "p.yaml")
    roster, evidence = run.load_inputs()
    with pytest.raises(InputError) as err:
        score(run.rubrics[0], roster, evidence)
    messages = sorted(p.message for p in err.value.problems if p.code == "missing_score")
    assert messages == ["台账中没有该单位「A 专业机构测评」的得分记录，无法计算总分",
                        "台账中没有该单位「C 双向互评」的得分记录，无法计算总分"]
    assert all(p.row == 2 for p in err.value.problems)


def test_every_clause_of_appendix_2_and_the_bonus_section_is_a_rule():
    seed = (SEEDS / "002_cc609a657548c0f2.txt").read_text(encoding="utf-8")
    rubric = load_rubric("langxi-2019")
    texts = sorted([r.text for r in rubric.rules.values()] + [n.text for n in rubric.nodes if n.text],
                   key=len, reverse=True)
    daily = seed[seed.index("附件2\n2019年度全县政府网站"):seed.index("附件3\n")]
    bonus = seed[seed.index("加分项\n(5%)"):]
    leftovers = []
    for line in (daily + bonus).replace("\n", "").split("|"):
        rest = line
        for t in texts:
            rest = rest.replace(t, "")
        rest = rest.strip("。;；| ")
        if "扣" in rest or "加" in rest:  # a cell that still states an amount
            leftovers.append(rest)
    assert leftovers == []


def test_the_unit_report_shows_the_weighted_composition(tmp_path):
    from kaohe import runner

    outcome = runner.run(PARAMS, units=["县教体局"], out_dir=tmp_path, progress=False)
    assert outcome.failed == [] and outcome.summary_error == ""
    text = (outcome.folder / "units" / "县教体局.html").read_text(encoding="utf-8")
    assert "总分 = Σ 权重 × 环节得分 ÷ 环节满分 × 100。" in text
    assert "35.2 + 24 + 27" in text and "由 A.0 给出 95 分，加减分 −7" in text
    assert "3 位评分人的平均分 90" in text and "<td>40%</td>" in text
    summary = (outcome.folder / "summary.html").read_text(encoding="utf-8")
    assert "本细则不评定等次，只排名。" in summary and ">失分</th>" in summary


def test_the_peer_review_may_be_dated_in_january_and_only_it(tmp_path):
    run = Run(PARAMS)
    roster, evidence = run.load_inputs()
    rubric = run.rubrics[0]
    at_end_of_review = score(rubric, roster, evidence, as_of="2020-01-31").units.set_index("unit")
    assert at_end_of_review.loc["建平镇", "total"] == Decimal("87.9")
    before_review = score(rubric, roster, evidence, as_of="2019-12-31").units.set_index("unit")
    assert before_review.loc["建平镇", "total"] == Decimal("62.4")  # 36.4 + 26, no 互评 yet
    (tmp_path / "r.csv").write_text("单位,类别\n建平镇,乡镇\n", encoding="utf-8")
    (tmp_path / "e.csv").write_text("编号,单位,规则编号,日期,数值,情况说明\nX1,建平镇,A.0,2020-01-05,90,成绩\n"
                                    "X2,建平镇,C.1,2020-01-05,90,评分人甲\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        score(rubric, tmp_path / "r.csv", tmp_path / "e.csv")
    assert [(p.row, p.code) for p in err.value.problems] == [(2, "date_outside_period")]


def test_no_deduction_bonus_and_a_deduction_exclude_each_other(tmp_path):
    (tmp_path / "r.csv").write_text("单位,类别\n建平镇,乡镇\n", encoding="utf-8")
    (tmp_path / "e.csv").write_text("编号,单位,规则编号,日期,数值,次数/数量,情况说明\nX1,建平镇,A.0,2019-12-05,90,,成绩\n"
                                    "X2,建平镇,C.1,2020-01-05,90,,评分人甲\nX3,建平镇,A5.1a,2019-11-01,,,未扣分\n"
                                    "X4,建平镇,A5.1b,2019-11-02,,2,扣分 2 件\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        score(load_rubric("langxi-2019"), tmp_path / "r.csv", tmp_path / "e.csv")
    assert [(p.row, p.code) for p in err.value.problems] == [(5, "exclusive_rules")]


def test_a_weighted_part_without_points_is_refused_at_load(tmp_path):
    from kaohe.errors import RubricError

    text = (ROOT / "kaohe" / "rubrics" / "langxi-2019.yaml").read_text(encoding="utf-8")
    broken = text.replace("            weight: 15\n            points: 100\n", "            weight: 15\n", 1)
    assert broken != text
    (tmp_path / "x.yaml").write_text(broken, encoding="utf-8")
    with pytest.raises(RubricError, match="有权重的分项必须有 points"):
        load_rubric(tmp_path / "x.yaml")


def test_bonuses_past_full_marks_are_cut_in_the_ledger_latest_first(tmp_path):
    """99 + 国家表彰 3 (11-01) + 发布会 0.5 (11-02) would be 102.5; A stays 100, so the later bonus is
    cut to 0 and the earlier one to 1 — the ledger adds up to the score."""
    (tmp_path / "r.csv").write_text("单位,类别\n建平镇,乡镇\n", encoding="utf-8")
    (tmp_path / "e.csv").write_text(
        "编号,单位,规则编号,日期,数值,级别,次数/数量,情况说明\nX1,建平镇,A.0,2019-12-05,99,,,成绩\n"
        "X2,建平镇,C.1,2020-01-05,90,,,评分人甲\nX3,建平镇,A5.5a,2019-11-01,,国家,,表彰\n"
        "X4,建平镇,A5.4a,2019-11-02,,,1,发布会\n", encoding="utf-8")
    result = score(load_rubric("langxi-2019"), tmp_path / "r.csv", tmp_path / "e.csv")
    led = result.ledger.set_index("evidence_id")
    assert (led.loc["X3", "applied"], led.loc["X4", "applied"]) == (-1, 0)
    assert led.loc["X3", "capped_by"] == "A" == led.loc["X4", "capped_by"]
    a = result.nodes.set_index("node").loc["A"]
    assert a["score"] == 100 and 99 - led["applied"].sum() == 100
