"""Issue 18 items 2-4: each ledger row's computation in words and numbers, Chinese in what a clerk reads
(ledger.csv, the unit report, the template), and labels never cut inside an amount.

Expected strings are worked by hand from the bundled rubrics' clauses (kaohe/rubrics/*.yaml, from the documents
in ../shared/seeds/) and, for kinds no bundled rubric uses, from the kind's own example clause.
"""

from datetime import date
from decimal import Decimal

import pytest
from conftest import ROOT

from kaohe import report
from kaohe.assessment import assess
from kaohe.comparison import compare_params
from kaohe.ledger import load_evidence, load_roster
from kaohe.rubric import load_rubric
from kaohe.rules import Finding, RuleBase, amount, clause_head, kinds
from kaohe.runner import LEDGER_CSV, ledger_frame
from kaohe.scoring import score
from kaohe.template import rule_choice, write_template

D = Decimal
HENGNAN = ROOT / "params" / "hengnan-2020.yaml"


def row(rule: str, **inputs) -> Finding:
    return Finding("E1", "u", rule, date(2020, 6, 1), **inputs)


# (rubric or kind example, rule id, the row's inputs, the computation as worked by hand)
CASES = {
    # 接通率低于 98%，每下降 1 个百分点，扣 0.5 分: 92% is 6 whole points below, 6 × 0.5 = 3
    "rate_shortfall": [
        ("hengnan-2020-township", "5.1", {"value": D(92)}, "(98% − 92%) ÷ 1 × 0.5 = 3"),
        # 96.5% is 1.5 points below; the rubric reads 不足一步不扣 (whole_steps_down): 1 × 0.5
        ("hengnan-2020-township", "5.1", {"value": D("96.5")},
         "(98% − 96.5%) ÷ 1 = 1.5 步，不足 1 步的部分不扣：1 步 × 0.5 = 0.5"),
        # the draft @2 reads it proportionally: 1.45 × 0.5 = 0.725, 四舍五入 0.73
        ("hengnan-2020-township@2", "5.1", {"value": D("96.55")}, "(98% − 96.55%) ÷ 1 × 0.5 ≈ 0.73（四舍五入到 2 位小数）"),
        ("hengnan-2020-township", "5.1", {"value": D(99)}, "99% 不低于 98%，不扣分"),
    ],
    # 依申请公开未依法依规进行答复，被省政府办公厅提起行政复议的，每次扣 2 分
    "per_count": [("hengnan-2020-department", "4.1.4b", {"count": 5}, "5 次 × 2 分 = 10"),
                  ("hengnan-2020-department", "4.1.4b", {}, "1 次（次数空白按 1 次） × 2 分 = 2")],
    # 人员进驻不到位…视情况扣1-5分
    "discretionary": [("hengnan-2020-township", "1.3.2", {"points": D(4), "note": "业务不熟悉"},
                       "视情扣分，台账给出 4 分（区间 1–5）")],
    # 评价率低于 80%扣 0.5 分
    "threshold": [("hengnan-2020-department", "1.2.4b", {"value": D(78)}, "78% 低于 80%，扣 0.5 分"),
                  ("hengnan-2020-department", "1.2.4b", {"value": D(80)}, "80% 不低于 80%，不扣分")],
    # 乡镇（街道）可办事项低于61项…每少一项扣0.1分: 57 is 4 short
    "shortfall": [("hengnan-2020-township", "1.1.1a", {"value": D(57)}, "(61 − 57) 项 × 0.1 分 = 0.4")],
    # 窗口职能及服务事项进驻不到位，还在原站所办理业务的扣5分
    "flat": [("hengnan-2020-township", "1.3.1", {}, "一次性扣 5 分（同一情形全年只扣一次）")],
    # 未按要求上报电子印章、电子证照数据的 (no amount)
    "unscored": [("hengnan-2020-township", "2.2.1", {}, "原文未规定扣分额度：只记录，不扣分")],
    # 被国、省、市通报批评，该年绩效考核一票否决
    "veto": [("hengnan-2020-township", "veto", {"level": "市"}, "市级通报，一票否决，不扣分")],
    "disqualify": [("yiyang-2020", "disqualify", {}, "取消年度评价资格，不扣分")],
    "external": [("yiyang-2020", "11.1", {"points": D(4), "source": "考评细则第三条"},
                  "按《益阳市12345市长热线工作考评实施细则(试行)》扣分，台账给出 4 分")],
    # 被国家、省、市网站巡查通报的，每次分别扣2分、1分、0.5分: 省 twice
    "per_level": [("langxi-2019", "B4.1", {"level": "省", "count": 2}, "省级每次扣 1 分 × 2 次 = 扣 2")],
    # 每件次加0.5分,累计不超过1分: 3 times earns 1.5 before the cap
    "bonus": [("langxi-2019", "A5.4a", {"count": 3}, "3 次 × 0.5 分 = 加 1.5")],
    "given": [("langxi-2019", "A.0", {"value": D(90)}, "台账给出得分 90 分（满分 100），不扣分")],
    "rater": [("langxi-2019", "C.1", {"value": D(85), "note": "县财政局"}, "评分 85 分（满分 100），与其他评分取平均，不扣分")],
    # 逾期完成任務的,按完成任務量與要求任務量比例計分: 10 × 6 ÷ 8 = 7.5
    "task": [("hengyang-2018-county", "1.2", {"points": D(10), "status": "逾期", "required": D(8), "done": D(6)},
              "逾期完成：10 分 × 6 ÷ 8 = 7.5 分，不扣分"),
             ("hengyang-2018-county", "1.2", {"points": D(10), "status": "未启动"}, "未启动，计 0 分，不扣分")],
    # 每发布一篇政策解读材料得2分，本项最多得6分: 3 pieces
    "earned": [("example", "W2.1", {"count": 3}, "3 项 × 2 分 = 得 6")],
    # 超出规定数量（200条）10%的加1分，超出30%以上的，每多超出20%加1分: 300 is 50% over, 1 + 1 whole step
    "exceed": [("example", "3.2", {"value": D(300)},
                "(300 − 200) ÷ 200 × 100% = 50%：超出 10% 一档加 1 分，超出 30% 以后 20% ÷ 20% 取整 1 步 × 1 分 = 1；合计加 2"),
               ("example", "3.2", {"value": D(210)}, "(210 − 200) ÷ 200 × 100% = 5%，未达加分界限，不加分")],
    # 每月发布信息应不少于40条，当月不足40条的，每出现一个月扣5分
    "periodic": [("example", "1.1", {"value": D(38)}, "该月 38 条，低于 40 条，扣 5 分")],
}


def test_every_kind_has_its_arithmetic_and_a_worked_case():
    """A new kind must write out its computation (not inherit the base's) and come with a case here."""
    assert set(CASES) == set(kinds())
    for name, kind in kinds().items():
        assert kind.model.arithmetic is not RuleBase.arithmetic, name


@pytest.mark.parametrize(("kind", "ref", "rid", "inputs", "expected"),
                         [(k, *case) for k, cases in CASES.items() for case in cases])
def test_the_computation_in_words(kind, ref, rid, inputs, expected):
    rule = kinds()[kind].model.sample() if ref == "example" else load_rubric(ref).rules[rid]
    assert (rule.kind, rule.id) == (kind, rid)
    f = row(rid, **inputs)
    assert not rule.check(f)
    assert rule.arithmetic(f, amount(rule, f)) == expected


ROSTER = "单位,类别\n甲部门,县直部门\n甲镇,乡镇\n"


def _score(tmp_path, ref: str, ledger: str):
    (tmp_path / "名单.csv").write_text(ROSTER, encoding="utf-8")
    (tmp_path / "台账.csv").write_text("编号,单位,规则编号,日期,次数/数量,数值,级别\n" + ledger, encoding="utf-8")
    return score(load_rubric(ref), load_roster(tmp_path / "名单.csv"), load_evidence(tmp_path / "台账.csv"))


def test_a_cap_says_what_was_taken_the_limit_and_what_is_taken(tmp_path):
    """衡南 县直部门 4.1 信息公开 is worth 10: 4.1.3 (每次扣1 分) 7 times takes 7, then 4.1.4b (每次扣 2 分) 5 times
    computes 10, of which 3 are left; 4.2.1's 每次扣 2 分 twice is 4."""
    res = _score(tmp_path, "hengnan-2020-department",
                 "E1,甲部门,4.1.3,2020-07-01,7\nE2,甲部门,4.1.4b,2020-08-01,5\nE3,甲部门,4.2.1,2020-08-02,2\n")
    working = dict(zip(res.ledger["evidence_id"], res.ledger["working"]))
    assert working == {"E1": "7 次 × 1 分 = 7", "E2": "5 次 × 2 分 = 10，该项（4.1）已扣 7 分，分值 10 分，实扣 3",
                       "E3": "2 次 × 2 分 = 4"}


def test_a_rule_cap_and_a_newer_measurement(tmp_path):
    """郎溪 A5.4a 每件次加0.5分,累计不超过1分: 3 times is 1.5, 1 is added. 衡南 乡镇 5.1 measured twice: the first
    (95.2%: 2 whole points, 1) is replaced by the newer (97.6%: less than a point, 0)."""
    (tmp_path / "名单.csv").write_text("单位,类别\n建平镇,乡镇\n", encoding="utf-8")
    # 郎溪 needs a score for A (专业机构测评) and C (双向互评) to total
    (tmp_path / "台账.csv").write_text("编号,单位,规则编号,日期,次数/数量,数值,情况说明\nE1,建平镇,A5.4a,2019-05-01,3,,\n"
                                     "E2,建平镇,A.0,2019-12-01,,90,\nE3,建平镇,C.1,2020-01-10,,85,县财政局\n", encoding="utf-8")
    res = score(load_rubric("langxi-2019"), load_roster(tmp_path / "名单.csv"), load_evidence(tmp_path / "台账.csv"))
    working = dict(zip(res.ledger["evidence_id"], res.ledger["working"]))
    assert working["E1"] == "3 次 × 0.5 分 = 加 1.5，本条已加 0 分，全年至多加 1 分，实加 1"
    res = _score(tmp_path, "hengnan-2020-township", "E1,甲镇,5.1,2020-03-01,,95.2\nE2,甲镇,5.1,2020-09-01,,97.6\n")
    assert list(res.ledger["working"]) == [
        "(98% − 95.2%) ÷ 1 = 2.8 步，不足 1 步的部分不扣：2 步 × 0.5 = 1，已被较新的测量值取代，实扣 0",
        "(98% − 97.6%) ÷ 1 = 0.4 步，不足 1 步的部分不扣：0 步 × 0.5 = 0"]


@pytest.fixture(scope="module")
def sample():
    return assess(HENGNAN)


def test_ledger_csv_speaks_chinese(sample):
    """ledger.csv's headers and values: the kind by its Chinese name, the veto rule as 一票否决, no raw/applied/
    capped_by/per_count; the sample's 示例部门13 row D054 is the cap worked above."""
    led = ledger_frame(sample)
    assert list(led.columns) == ["细则", "单位", "类别", "指标编号", "规则编号", "计分方式", "记录编号", "日期", "计算扣分",
                                 "实际扣分", "计算过程", "调整依据", "调整原因", "情况说明", "依据/来源", "佐证材料",
                                 "台账文件", "台账行号"]
    assert list(LEDGER_CSV.values()) == list(led.columns)
    d054 = led[led["记录编号"] == "D054"].iloc[0]
    assert (d054["规则编号"], d054["计分方式"], d054["计算扣分"], d054["实际扣分"], d054["调整依据"]) == \
           ("4.1.4b", "每次扣分", "10", "3", "4.1")
    assert d054["计算过程"] == "5 次 × 2 分 = 10，该项（4.1）已扣 7 分，分值 10 分，实扣 3"
    veto = led[(led["单位"] == "示例镇08") & (led["计分方式"] == "一票否决")].iloc[0]
    assert (veto["规则编号"], veto["计算过程"]) == ("一票否决", "市级通报，一票否决，不扣分")
    words = {w for col in ("规则编号", "计分方式") for w in led[col]}
    assert not words & {*kinds(), "veto", "disqualify"}


def test_the_unit_report_shows_the_veto_in_chinese_and_each_rows_arithmetic(sample):
    text = str(report.unit_deductions(sample, "示例镇08"))
    assert "<h4>一票否决：不扣分</h4>" in text and "规则 veto" not in text
    assert "\">计算过程</th>" in text and "<td>市级通报，一票否决，不扣分</td>" in text
    assert "依据：一票否决" in str(report.unit_result(sample, "示例镇08"))
    town14 = str(report.unit_deductions(sample, "示例镇14"))
    # T061: 接通率 92% (the rate with its unit), and the arithmetic the auditor had to redo
    assert "<td>数值 92%</td><td>" in town14 and "<td>(98% − 92%) ÷ 1 × 0.5 = 3</td>" in town14
    assert "<td>视情扣分，台账给出 4 分（区间 1–5）</td>" in town14


def test_the_template_offers_the_veto_in_chinese_and_reads_it_back(tmp_path):
    """The drop-down names veto by what it does, its clause whole; a ledger filled from it vetoes the unit."""
    r = load_rubric("hengnan-2020-township")
    assert rule_choice(r, "veto") == "一票否决｜被国、省、市通报批评，该年绩效考核一票否决"
    assert rule_choice(r, "5.1") == "5.1｜接通率低于 98%，每下降 1 个百分点，扣 0.5 分"
    (tmp_path / "名单.csv").write_text(ROSTER, encoding="utf-8")
    write_template(r, load_roster(tmp_path / "名单.csv"), tmp_path / "模板.xlsx")
    from openpyxl import load_workbook

    wb = load_workbook(tmp_path / "模板.xlsx")
    assert rule_choice(r, "veto") in [c.value for c in wb["_lists"]["B"]]
    assert "veto" not in [c.value for c in wb["规则"]["A"]]
    res = _score(tmp_path, "hengnan-2020-township", f"E1,甲镇,{rule_choice(r, 'veto')},2020-06-01,,,市\n")
    assert list(res.ledger["rule"]) == ["veto"] and bool(res.units.iloc[0]["vetoed"])


def test_labels_are_cut_at_a_clause_end_never_inside_an_amount():
    """The compare report's 主要原因 keeps 5.1's amount (it was 「…扣 0…」)."""
    assert clause_head("接通率低于 98%，每下降 1 个百分点，扣 0.5 分") == "接通率低于 98%，每下降 1 个百分点，扣 0.5 分"
    c = compare_params(HENGNAN, "hengnan-2020-township@1", "hengnan-2020-township@2")
    reason = c.units.set_index("unit").at["示例镇05", "reason"]
    assert reason.startswith("5.1 接通率低于 98%，每下降 1 个百分点，扣 0.5 分 扣分 1 → 1.4")
    assert "扣 0…" not in " ".join(c.units["reason"])


def test_every_bundled_label_keeps_the_amount_its_clause_names():
    """衡南 部门 5.3a (分别扣 0.2 分, 37 characters) was cut to 「…每下降 1 个百分点…」 and 郎溪 B5.1 to 「…政务新媒体开…」:
    a shortened label now carries the first 扣/加 … 分 it left out, whatever rubric the label comes from."""
    import re

    from kaohe.rubric import bundled, load_rubric

    score = re.compile(r"[扣加减得]\s*\d+(?:\.\d+)?(?:\s*[-–~至]\s*\d+(?:\.\d+)?)?\s*分")
    seen = 0
    for path in bundled():
        for rule in load_rubric(path).rules.values():
            text = " ".join(rule.text.split())
            if (m := score.search(text)) and len(text) > 36:
                seen += 1
                assert m.group().strip() in clause_head(text), (path, rule.id)
    assert seen >= 10
    assert clause_head("全年按时办结率、满意度低于 95%，每下降 1 个百分点，分别扣 0.2 分").endswith("…扣 0.2 分")
