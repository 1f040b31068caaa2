"""益阳 2020 (seed 001): one pool of 100 points, ranged and open amounts, an external document,
取消年度评价资格, and an incentive list whose size the run decides.

Hand computations from the 计分表 and the sample ledger (data/sample/益阳2020-示例数据-台账.csv):
- 示例区县02: 1 “未按时限完成的,每次扣0.5分” × 3 = 1.5; “工作质量有欠缺的,视情扣分” 2 (from the ledger);
  6 “每次扣0.5-1.5分” 1.5 + 0.5 = 2; 7 “每缺一项扣1分” × 2 = 2 → 7.5 → 92.5.
- 示例区县03: 11 按《12345…细则》 4 (from the ledger, with its source); 10 “每件扣0.5分” × 3 = 1.5;
  8 “每次扣分0.5” × 2 = 1 → 6.5 → 93.5.
- 示例区县05: 30 + 45 × 1 + 60 × 0.5 = 105 > 100, “扣完为止” → 0; the last row (12, 2020-10-31) keeps 25.
- 示例区县04: 4 × 2 × 0.5 = 1 → 99, but 虚报、瞒报 → 取消年度评价资格: no rank, listed last, no award.
- quotas 4 → 推荐激励名单: 示例区县01 (100), 示例区县06 (99), the two 管委会 (98 each).
"""

import re
from decimal import Decimal

import pandas as pd
import pytest
from conftest import ROOT, SEEDS

from kaohe import cli
from kaohe.config import Run
from kaohe.errors import InputError, KaoheError
from kaohe.rubric import load_rubric
from kaohe.scoring import score

PARAMS = ROOT / "params" / "yiyang-2020.yaml"
LEDGER_HEADER = "编号,单位,规则编号,日期,次数/数量,分值/扣分,情况说明,依据/来源\n"


@pytest.fixture(scope="module")
def result():
    run = Run(PARAMS)
    roster, evidence = run.load_inputs()
    return score(run.rubrics[0], roster, evidence)


def row(result, unit):
    return result.units.set_index("unit").loc[unit]


def test_hand_computed_totals(result):
    assert row(result, "示例区县02")["total"] == Decimal("92.5")
    assert row(result, "示例区县03")["total"] == Decimal("93.5")
    assert row(result, "示例区县06")["total"] == 99 and row(result, "示例区县01")["total"] == 100


def test_the_pool_of_100_is_spent_then_nothing_more(result):
    assert row(result, "示例区县05")["total"] == 0
    led = result.ledger[result.ledger["unit"] == "示例区县05"].set_index("evidence_id")
    assert led.loc["Y013", "raw"] == 30 and led.loc["Y013", "applied"] == 25
    assert led.loc["Y013", "capped_by"] == "总分"


def test_a_disqualified_unit_is_scored_but_not_ranked_or_listed(result):
    u = row(result, "示例区县04")
    assert u["total"] == 99 and u["disqualified"] and u["rank"] is None and not u["excellent"]
    assert result.units["unit"].iloc[-1] == "示例区县04"
    ranks = [r for r in result.units["rank"] if r is not None]
    assert ranks == [1, 2, 3, 3, 5, 6, 7]


def test_the_incentive_list_takes_the_top_n_set_in_params(result):
    listed = set(result.units[result.units["excellent"]]["unit"])
    assert listed == {"示例区县01", "示例区县06", "示例高新区管委会", "示例湖区管委会"}
    assert result.rubric.awards.excellent.name == "推荐激励名单" and result.rubric.awards.excellent.quota == 4


def test_scores_csv_leaves_the_rank_of_a_disqualified_unit_blank(tmp_path):
    out = tmp_path / "s.csv"
    assert cli.main(["score", "--params", str(PARAMS), "--out", str(out)]) == 0
    table = pd.read_csv(out, dtype=str, keep_default_na=False).set_index("unit")
    assert table.loc["示例区县04", "rank"] == "" and table.loc["示例区县04", "total"] == "99"
    assert table.loc["示例湖区管委会", "rank"] == "3"


def _run(tmp_path, ledger_rows: str, quotas: str = "quotas: {yiyang-2020: 2}\n"):
    (tmp_path / "roster.csv").write_text("单位,类别\n甲县,区县(市)\n", encoding="utf-8")
    (tmp_path / "ledger.csv").write_text(LEDGER_HEADER + ledger_rows, encoding="utf-8")
    (tmp_path / "p.yaml").write_text("name: t\nyear: 2020\ntitle: 测试\nrubrics: [yiyang-2020]\nroster: roster.csv\n"
                                     "evidence: [ledger.csv]\n" + quotas, encoding="utf-8")
    run = Run(tmp_path / "p.yaml")
    roster, evidence = run.load_inputs()
    return score(run.rubrics[0], roster, evidence)


def test_amounts_outside_the_range_or_without_source_or_reason_are_refused(tmp_path):
    rows = ("A1,甲县,6.1,2020-05-01,,2,大厅被通报,检查\n"        # 每次扣0.5-1.5分: 2 is out of range
            "A2,甲县,11.1,2020-05-02,,3,热线考评扣分,\n"          # external: no 依据/来源
            "A3,甲县,1.2,2020-05-03,,1,,检查\n")                  # 视情扣分: no reason
    with pytest.raises(InputError) as err:
        _run(tmp_path, rows)
    found = {(p.row, p.column, p.code) for p in err.value.problems}
    assert found == {(2, "分值/扣分", "out_of_range"), (3, "依据/来源", "missing_value"),
                     (4, "情况说明", "missing_value")}
    assert "《益阳市12345市长热线工作考评实施细则(试行)》" in str(err.value)


def test_an_open_amount_has_no_cap_of_its_own(tmp_path):
    result = _run(tmp_path, "A1,甲县,4.2,2020-05-01,,12.5,多项工作未开展,检查\n")
    assert result.units["total"].iloc[0] == Decimal("87.5")


def test_the_quota_must_come_from_params(tmp_path):
    with pytest.raises(KaoheError, match="推荐激励名单名额由运行配置给出"):
        _run(tmp_path, "", quotas="")
    with pytest.raises(KaoheError, match="已由文件规定为 6 个"):
        (tmp_path / "q.yaml").write_text("name: t\nyear: 2020\ntitle: 测试\nrubrics: [hengnan-2020-township]\n"
                                         "roster: roster.csv\nevidence: [ledger.csv]\nquotas: {hengnan-2020-township: 3}\n",
                                         encoding="utf-8")
        Run(tmp_path / "q.yaml")


def test_every_clause_of_the_table_is_a_rule():
    seed = (SEEDS / "001_5b5f7ad413d29217.txt").read_text(encoding="utf-8")
    table = seed[seed.index("考核计分表\n\n序号"):seed.index("备注:")]
    rubric = load_rubric("yiyang-2020")
    texts = sorted([r.text for r in rubric.rules.values()] + [rubric.points_text], key=len, reverse=True)
    flat = table.replace("\n\n", "\n")
    clauses = [line for line in flat.splitlines() if "扣" in line]
    assert len(clauses) == 16  # 14 计分方式 lines and the two lines of the table header
    leftovers = []
    for line in clauses:
        rest = line
        for t in texts:
            rest = rest.replace(t, "")
        rest = re.sub(r"[;；。,\s]", "", rest)
        if rest and rest not in ("(扣分制总分100分", "扣完为止)"):
            leftovers.append(rest)
    assert leftovers == []
    assert "对虚报、瞒报、伪造篡改相关数据的区县(市),将取消年度评价资格" in {r.text for r in rubric.rules.values()}


def test_kaohe_run_renders_the_yiyang_reports(tmp_path):
    from conftest import Page

    from kaohe import runner

    outcome = runner.run(PARAMS, jobs=2, out_dir=tmp_path, progress=False)
    assert outcome.failed == [] and outcome.summary_error == ""
    unit = (outcome.folder / "units" / "示例区县04.html").read_text(encoding="utf-8")
    assert "不参加排名（取消年度评价资格），共 8 个单位" in unit and "等次" not in unit.split("二、考核结果")[1][:400]
    summary = (outcome.folder / "summary.html").read_text(encoding="utf-8")
    assert "推荐激励名单：示例区县01、示例区县06、示例湖区管委会、示例高新区管委会。" in summary
    assert ">取消资格</td>" in summary and "本细则不评定等次，只排名。" in summary
    page = Page((outcome.folder / "units" / "示例区县05.html").read_text(encoding="utf-8"))
    assert sum(Decimal(x) for x in page.cells["applied"]) == 100  # the whole pool, 105 raw


def test_scoring_without_params_says_the_list_needs_a_quota(tmp_path, capsys):
    data = ROOT / "data" / "sample"
    code = cli.main(["score", "--rubric", "yiyang-2020", "--roster", str(data / "益阳2020-示例数据-单位名单.csv"),
                     "--evidence", str(data / "益阳2020-示例数据-台账.csv"), "--out", str(tmp_path / "s.csv")])
    assert code == 0
    assert "推荐激励名单的名额由运行配置 quotas 给出" in capsys.readouterr().err
