"""The example folders (examples/*/, issue 16): fictitious documents written by the team, encoded with the
new rubric schema, each with a roster, a ledger and a params file. These tests are their acceptance test:
every expected amount below was worked by hand from the clause in the folder's 示例文件.md and the ledger
rows, and is written next to its arithmetic.

- staged-website: 单项否决 (stop at 59) → 扣分指标 100 (items capped, fail mark < 60) → 加分指标 20 (start
  from zero, gate strictly above 80, per-rule and part caps); total = 扣分 + 加分, may exceed 100.
- county-not-applicable: 4 × 25 summed; 办事服务 not applicable → the rest × 4/3 (2 decimals 四舍五入);
  caps only at the first level; a 市级以上通报 excludes from the award only.
- township-earned-monthly: 日常监测 40 (monthly targets, one row per month) + 年度考核 60 (online W… 80%,
  on site X… 20%, each a full copy of the table; earned items from zero beside deductions).
- weighted-website-newmedia: 30% × 网站 (of 100) + 70% × 新媒体 (of 50), each part 扣分 + gated 加分; a fail
  mark on the website's 扣分指标; 政务微博 not applicable → its 10 points shared evenly by two items.
"""

import csv
import re
from decimal import Decimal as D

import pytest
import yaml
from conftest import ROOT

from kaohe.config import Run
from kaohe.ledger import EVIDENCE_COLUMNS, ROSTER_COLUMNS
from kaohe.scoring import score
from kaohe.validate import check

EXAMPLES = ROOT / "examples"
NAMES = ["staged-website", "county-not-applicable", "township-earned-monthly", "weighted-website-newmedia"]
FILES = ["示例文件.md", "rubric.yaml", "单位名单.csv", "台账.csv", "params.yaml", "README.md"]


def scored(name):
    run = Run(EXAMPLES / name / "params.yaml")
    roster, evidence = run.load_inputs()
    assert check(run.rubrics, roster, evidence) == []  # no error and no warning (every month has its row)
    (rubric,) = run.rubrics
    return score(rubric, roster, evidence)


@pytest.fixture(scope="module")
def staged():
    return scored("staged-website")


@pytest.fixture(scope="module")
def county():
    return scored("county-not-applicable")


@pytest.fixture(scope="module")
def township():
    return scored("township-earned-monthly")


@pytest.fixture(scope="module")
def weighted():
    return scored("weighted-website-newmedia")


def unit(result, name):
    return result.units.set_index("unit").loc[name]


def row(result, evidence_id):
    return result.ledger.set_index("evidence_id").loc[evidence_id]


def node(result, name, node_id):
    n = result.nodes
    return n[(n["unit"] == name) & (n["node"] == node_id)].iloc[0]["score"]


# ---------------------------------------------------------------------------------------------- the folders


@pytest.mark.parametrize("name", NAMES)
def test_each_example_folder_has_its_files(name):
    folder = EXAMPLES / name
    assert all((folder / f).is_file() for f in FILES)
    readme = (folder / "README.md").read_text(encoding="utf-8")
    assert f"kaohe run examples/{name}/params.yaml" in readme


@pytest.mark.parametrize("name", NAMES)
def test_each_document_is_labelled_fictitious(name):
    head = (EXAMPLES / name / "示例文件.md").read_text(encoding="utf-8").splitlines()[:5]
    assert "（示例）" in head[0] and any("虚构" in line for line in head)
    assert "虚构" in (EXAMPLES / name / "params.yaml").read_text(encoding="utf-8").splitlines()[0]


def _texts(data):
    """Every value of a ``text`` key (rules, nodes, gates, fail marks, not_applicable, grades, awards) and the
    total's ``points_text``, from the raw YAML — so the check does not depend on the model's field names."""
    if isinstance(data, dict):
        for k, v in data.items():
            if k in ("text", "points_text") and isinstance(v, str):
                yield v
            else:
                yield from _texts(v)
    elif isinstance(data, list):
        for v in data:
            yield from _texts(v)


@pytest.mark.parametrize("name", NAMES)
def test_every_text_is_verbatim_in_the_example_document(name):
    doc = (EXAMPLES / name / "示例文件.md").read_text(encoding="utf-8")
    data = yaml.safe_load((EXAMPLES / name / "rubric.yaml").read_text(encoding="utf-8"))
    assert data["source"]["file"] == "示例文件.md"
    texts = list(_texts(data))
    assert len(texts) > 10 and [t for t in texts if t not in doc] == []


@pytest.mark.parametrize("name", NAMES)
def test_every_listed_clause_of_the_document_is_a_rule(name):
    """Each list item of the scoring clauses (“- 2.1.1 …，每发现一次扣1分。”, “1. …扣5分。”) is some rule's text."""
    doc = (EXAMPLES / name / "示例文件.md").read_text(encoding="utf-8")
    data = yaml.safe_load((EXAMPLES / name / "rubric.yaml").read_text(encoding="utf-8"))
    rules = {r["text"] for n in _nodes(data["indicators"]) for r in n.get("rules", [])}
    item = re.compile(r"^(?:- )?(?:\d+(?:\.\d+)*\.?\s+)?")
    bullets = [item.sub("", line).rstrip("。") for line in doc.splitlines() if re.match(r"^(- |\d+\. )", line)]
    assert bullets and [b for b in bullets if b not in rules] == []


def _nodes(nodes):
    for n in nodes:
        yield n
        yield from _nodes(n.get("children", []))


@pytest.mark.parametrize("name", NAMES)
def test_tables_are_utf8_with_known_headers_and_labelled_rows(name):
    folder = EXAMPLES / name
    params = yaml.safe_load((folder / "params.yaml").read_text(encoding="utf-8"))
    evidence_headers = {h for aliases in EVIDENCE_COLUMNS.values() for h in aliases}
    roster_headers = {h for aliases in ROSTER_COLUMNS.values() for h in aliases}
    with open(folder / params["roster"], encoding="utf-8-sig", newline="") as f:
        roster = list(csv.reader(f))
    assert set(roster[0]) <= roster_headers and 4 <= len(roster) - 1 <= 8
    assert all(len(r) == len(roster[0]) for r in roster)
    ids = []
    for path in params["evidence"]:
        with open(folder / path, encoding="utf-8-sig", newline="") as f:
            rows = list(csv.reader(f))
        assert set(rows[0]) <= evidence_headers and all(len(r) == len(rows[0]) for r in rows)
        notes = [dict(zip(rows[0], r))["情况说明"] for r in rows[1:]]
        assert all(n.startswith("示例数据") for n in notes)
        ids += [r[0] for r in rows[1:]]
    assert len(ids) == len(set(ids))


# ------------------------------------------------------------------------------- 1. staged-website
#
# Items of 扣分指标: 2.1 信息发布 25, 2.2 解读回应 15, 2.3 办事服务 20, 2.4 互动交流 15, 2.5 功能与安全 10,
# 2.6 政务新媒体管理 15 (= 100). 加分指标 20 from zero, only when 扣分指标 > 80.


@pytest.mark.parametrize(("name", "total", "grade", "rank", "vetoed"), [
    # 扣分 100 − (2.1.1 2 × 1) − (2.5.1 2) = 96 > 80 → 加分: 3.1 国家 2 × 3 = 6, 3.1 省 2 (over “最高不超过6分”: 0),
    # 3.4 5, 3.3 3, 3.2 340 条 (70% → 1 + ⌊(70 − 30) ÷ 20⌋ = 3) 3, 3.4 5 → 6+5+3+3 = 17, + 5 over 20 → 3; 加分 20.
    # 96 + 20 = 116
    ("示例县自然资源局", "116", "优秀", 1, False),
    # 扣分 100 (no deduction) > 80 → 3.1 市 1 → 100 + 1 = 101
    ("示例西河镇", "101", "优秀", 2, False),
    # 扣分 100 − 4 (2.1.1 4 × 1) − 1.5 (2.1.2 3 × 0.5) − 3 (2.2.1) − 5 (2.4.1 5 × 1) − 6 (2.6.1 省 2 × 3) = 80.5 > 80
    # → 加分 3.2 260 条 (30% → 1) + 3.3 2 = 3 → 80.5 + 3 = 83.5
    ("示例县卫生健康局", "83.5", "良好", 3, False),
    # 扣分 100 − 6 (2.1.1 6 × 1) − 5 (2.3.1 10 × 0.5) − 4 (2.4.1 4 × 1) − 5 (2.6.1 国家 1 × 5) = 80, not > 80
    # → 加分 0 (3.2 2 and 3.3 2 apply 0) → 80
    ("示例县教育局", "80", "良好", 4, False),
    # 扣分 100 − 3 (2.2.1) − 5.5 (2.3.1 11 × 0.5) − 10 (2.4.1 10 × 1) − 2 (2.5.1) = 79.5 → 加分 0 (3.1 市 1 applies 0)
    ("示例县政务服务中心", "79.5", "合格", 5, False),
    # 扣分 100 − 25 (2.1: 20 × 1 + 12 × 0.5 = 26, capped at 25) − 10 (2.3.1 20 × 0.5) − 10 (2.4.1 10 × 1) = 55
    # < 60 → 不合格 (fail mark); 加分 0 (3.1 市 1 applies 0) → 55
    ("示例东岭镇", "55", "不合格", 6, False),
    # 1.1 严重表述错误 → 单项否决: 59, 不合格, after every unit not vetoed (even 示例东岭镇's 55)
    ("示例县交通运输局", "59", "不合格", 7, True),
])
def test_staged_website_unit_results(staged, name, total, grade, rank, vetoed):
    u = unit(staged, name)
    assert (u["total"], u["grade"], u["rank"], bool(u["vetoed"])) == (D(total), grade, rank, vetoed)


def test_staged_parts_add_up_to_the_total(staged):
    # part 2 + part 3 for each unit scored (the vetoed unit is not)
    for name, p2, p3 in [("示例县自然资源局", "96", "20"), ("示例西河镇", "100", "1"), ("示例县卫生健康局", "80.5", "3"),
                         ("示例县教育局", "80", "0"), ("示例县政务服务中心", "79.5", "0"), ("示例东岭镇", "55", "0")]:
        assert (node(staged, name, "2"), node(staged, name, "3")) == (D(p2), D(p3))
        assert unit(staged, name)["total"] == D(p2) + D(p3)


def test_gate_strictly_above_80(staged):
    # 79.5 and exactly 80: 加分指标 not scored, its rows kept with 0 applied and a reason
    for name, evidence_id, raw in [("示例县政务服务中心", "S05", "-1"),   # 3.1 市 1 × 1
                                   ("示例县教育局", "S10", "-2"),         # 3.2 300 条: 50% → 1 + ⌊20 ÷ 20⌋ = 2
                                   ("示例县教育局", "S11", "-2")]:        # 3.3 视情 2
        r = row(staged, evidence_id)
        assert r["unit"] == name and node(staged, name, "3") == 0
        assert (r["raw"], r["applied"]) == (D(raw), 0) and r["reason"] != ""
    # 80.5: scored
    assert node(staged, "示例县卫生健康局", "3") == 3
    assert (row(staged, "S17")["applied"], row(staged, "S18")["applied"]) == (D(-1), D(-2))


def test_veto_stops_and_scores_59(staged):
    u = unit(staged, "示例县交通运输局")
    assert (u["total"], u["grade"], bool(u["vetoed"]), u["rank"]) == (D(59), "不合格", True, 7)
    veto = row(staged, "S19")
    assert (veto["rule"], veto["kind"], veto["applied"]) == ("1.1", "veto", 0)
    # the other parts are not scored: a deduction (2.1.1 3 × 1) and a bonus (3.1 省 2) count nothing
    assert row(staged, "S20")["applied"] == 0 and row(staged, "S21")["applied"] == 0
    assert not bool(unit(staged, "示例东岭镇")["vetoed"])


def test_fail_mark_below_60_in_the_deduction_part(staged):
    # 扣分指标 55 < 60 → 不合格; 60 would not be (strictly below)
    assert node(staged, "示例东岭镇", "2") == 55 and unit(staged, "示例东岭镇")["grade"] == "不合格"
    assert unit(staged, "示例县政务服务中心")["grade"] == "合格"  # 79.5: the fail mark does not touch it


def test_an_item_is_capped_at_its_own_points(staged):
    # 2.1 信息发布 25: S22 2.1.1 20 × 1 = 20, then S23 2.1.2 12 × 0.5 = 6 → only 5 left
    r = row(staged, "S23")
    assert (r["raw"], r["applied"], r["capped_by"]) == (D(6), D(5), "2.1")
    assert node(staged, "示例东岭镇", "2.1") == 0


def test_bonus_capped_per_rule_then_at_the_part(staged):
    # 3.1 “本项最高不超过6分”: S29 国家 2 × 3 = 6, then S30 省 1 × 2 → 0
    s29, s30 = row(staged, "S29"), row(staged, "S30")
    assert (s29["raw"], s29["applied"], s29["capped_by"]) == (D(-6), D(-6), "")
    assert (s30["raw"], s30["applied"], s30["capped_by"]) == (D(-2), 0, "3.1")
    # in date order 6 (03-10) + 0 + 5 (S31 3.4, 06-20) + 3 (S32 3.3, 09-15) + 3 (S33 3.2, 12-01) = 17,
    # so S34 3.4 5 (12-15) gets the 3 left of the part's 20
    s34 = row(staged, "S34")
    assert (s34["raw"], s34["applied"], s34["capped_by"]) == (D(-5), D(-3), "3")
    applied = staged.ledger[(staged.ledger["unit"] == "示例县自然资源局") & (staged.ledger["node"] == "3")]["applied"]
    assert -sum(applied) == 20 == node(staged, "示例县自然资源局", "3")


def test_exceed_bonus_by_steps_over_the_target(staged):
    # target 200 条: 260 → 30% → 1 (the step beyond 30% starts after 30); 300 → 50% → 2; 340 → 70% → 3
    assert [row(staged, e)["raw"] for e in ("S17", "S10", "S33")] == [D(-1), D(-2), D(-3)]


def test_discretionary_bonus_within_its_range(staged):
    assert (row(staged, "S18")["applied"], row(staged, "S32")["applied"]) == (D(-2), D(-3))  # 视情加1-3分


def test_staged_total_may_exceed_100(staged):
    assert unit(staged, "示例县自然资源局")["total"] == 116 and unit(staged, "示例西河镇")["total"] == 101


# ------------------------------------------------------------------------- 2. county-not-applicable
#
# 1 主动公开 25 (1.1 基础信息公开 10, 1.2 重点领域 15), 2 解读回应 25 (2.1 政策解读 15, 2.2 回应关切 10),
# 3 办事服务 25 optional (3.1 办事指南 15, 3.2 好差评 10), 4 监督保障 25 (4.1 依申请公开 15, 4.2 年度报告 10).


@pytest.mark.parametrize(("name", "total", "grade", "rank", "excellent"), [
    # 100 − 1 (1.1.2 1 × 1) − 2 (2.2.1 1 × 2) = 97; 市级通报批评 → no award, rank and grade as scored
    ("示例县市场监督管理局", "97", "优秀", 1, False),
    # 100 − 2 (3.1.1 4 × 0.5) − 3 (4.1.1 1 × 3) = 95
    ("示例县住房和城乡建设局", "95", "优秀", 2, True),
    # 办事服务 不适用: 75 − 4 (1.2.1) − 0.5 (1.2.2 1 × 0.5) = 70.5; 70.5 ÷ 75 × 100 = 94 (94.00)
    ("示例县财政局", "94", "优秀", 3, True),
    # 办事服务 不适用: 75 − 1 (1.1.1) − 2 (2.2.1) − 1.9 (4.2.2 视情) = 70.1; 70.1 × 4/3 = 93.4666… → 93.47
    ("示例县统计局", "93.47", "优秀", 4, True),
    # 100 − 2 (1.1.1 2 × 1) − 5 (4.2.1) − 2 (3.2.1 2 × 1) = 91: ≥ 90 but the 3 places are taken
    ("示例县文化旅游广电局", "91", "优秀", 5, False),
    # 100 − 18 (2.1.1 (5 + 4) × 2, over 2.1's own 15 but only level 1 caps: 2 has 25) − 1 (3.1.1 2 × 0.5) = 81
    ("示例县人力资源和社会保障局", "81", "良好", 6, False),
    # 4: 12 (4.1.1 4 × 3) + 5 (4.2.1) + 10 (4.1.2 2 × 5) = 27 → capped at 25; − 3 (1.1.1 3 × 1) → 100 − 25 − 3 = 72
    ("示例县自然资源局", "72", "合格", 7, False),
])
def test_county_unit_results(county, name, total, grade, rank, excellent):
    u = unit(county, name)
    assert (u["total"], u["grade"], u["rank"], bool(u["excellent"])) == (D(total), grade, rank, excellent)


def test_department_without_service_rescaled_by_4_3(county):
    u = unit(county, "示例县财政局")
    assert u["total"] == D("94.00")  # 主动公开 20.5 + 解读回应 25 + 监督保障 25 = 70.5; 70.5 × 4/3 = 94
    assert node(county, "示例县财政局", "1") == D("20.5") and node(county, "示例县财政局", "3") is None


def test_rescaled_units_show_their_sum_out_of_75(county):
    # as 衡阳's 折合 (one mechanism): subtotal of the parts that apply, out of their maximum
    for name, subtotal in [("示例县财政局", "70.5"), ("示例县统计局", "70.1")]:
        u = unit(county, name)
        assert (u["subtotal"], u["max"]) == (D(subtotal), D(75))


def test_rescaled_score_rounded_half_up_to_2_decimals(county):
    assert unit(county, "示例县统计局")["total"] == D("93.47")  # 70.1 ÷ 75 × 100 = 93.4666…


def test_second_level_deductions_break_through_their_own_points(county):
    # 2.1 政策解读 15: E06 5 × 2 = 10, E07 4 × 2 = 8 → 18 kept (cap_levels: [1]); 2.1 scores 15 − 18 = −3,
    # 2 解读回应 25 − 18 = 7 (with every node capping, E07 would apply 5 and the total be 84)
    e07 = row(county, "E07")
    assert (e07["raw"], e07["applied"], e07["capped_by"]) == (D(8), D(8), "")
    assert node(county, "示例县人力资源和社会保障局", "2.1") == -3
    assert node(county, "示例县人力资源和社会保障局", "2") == 7


def test_first_level_still_caps_at_25(county):
    # 4 监督保障: E17 (03-15) 12 + E18 (04-01) 5 = 17, E19 (06-10) 10 → 8 left; 4.1 then scores 15 − 12 − 8 = −5
    e19 = row(county, "E19")
    assert (e19["raw"], e19["applied"], e19["capped_by"]) == (D(10), D(8), "4")
    assert node(county, "示例县自然资源局", "4") == 0 and node(county, "示例县自然资源局", "4.1") == -5


def test_veto_no_award_only_excludes_from_the_award(county):
    u = unit(county, "示例县市场监督管理局")
    assert (u["total"], u["grade"], u["rank"], bool(u["excellent"])) == (D(97), "优秀", 1, False)
    e11 = row(county, "E11")
    assert (e11["rule"], e11["applied"]) == ("5.1", 0)


def test_award_quota_passes_to_the_next_department(county):
    # ≥ 90 and not excluded: 95, 94, 93.47, 91 → the first 3
    winners = set(county.units[county.units["excellent"].astype(bool)]["unit"])
    assert winners == {"示例县住房和城乡建设局", "示例县财政局", "示例县统计局"}


# ----------------------------------------------------------------------- 3. township-earned-monthly
#
# 1 日常监测 40 (1.1 专栏 ≥ 40 条 a month, −5 a month below; 1.2 公众号 空白月 −10 a month).
# 2 年度考核 60 = 80% × W (网上) + 20% × X (现场); W and X each: 1 基础信息 5 (earned from zero), 2 政策解读 6
# (2 a piece, at most 6, from zero), 3 依申请公开 24 (−4 each), 4 平台管理 25 (年报 −10 once, 错链 −1 each).


@pytest.mark.parametrize(("name", "total", "grade", "rank"), [
    # 日常 40; W 5 + 6 + 24 + 25 = 60, X 5 + 6 + 24 + (25 − 5 × 1) = 55; 0.8 × 60 + 0.2 × 55 = 48 + 11 = 59 → 99
    ("示例南山镇", "99", "优秀", 1),
    # 日常 40 − 5 (3月 36) − 5 (8月 38) = 30; W 5 + 6 (3 × 2) + 24 + (25 − 2) = 58, X 5 + 6 + 24 + 25 = 60;
    # 0.8 × 58 + 0.2 × 60 = 46.4 + 12 = 58.4 → 30 + 58.4 = 88.4
    ("示例东岭镇", "88.4", "良好", 2),
    # 日常 40 − 10 (2月 空白月; 2月 专栏恰 40 条不扣) = 30; W 3 (部分达到) + 6 (4 × 2 = 8, 最多 6) + (24 − 4) + 25 = 54,
    # X 5 + 6 + 20 + 25 = 56; 0.8 × 54 + 0.2 × 56 = 43.2 + 11.2 = 54.4 → 30 + 54.4 = 84.4
    ("示例西河镇", "84.4", "良好", 3),
    # 日常: 1—5月 专栏不足 5 × 5 = 25, 6、7月 空白月 2 × 10 = 20 → 45, capped at 40 → 0;
    # W 0 (未达到) + 2 (1 × 2) + (24 − 8) + (25 − 10) = 33, X 2 (部分达到) + 0 (no row) + 16 + 15 = 33;
    # 0.8 × 33 + 0.2 × 33 = 26.4 + 6.6 = 33 → 0 + 33 = 33
    ("示例北湖乡", "33", "不合格", 4),
])
def test_township_unit_results(township, name, total, grade, rank):
    u = unit(township, name)
    assert (u["total"], u["grade"], u["rank"]) == (D(total), grade, rank)


def test_monthly_target_missed_twice(township):
    # 示例东岭镇 1.1: 3月 36 条 (M003) and 8月 38 条 (M008) → 5 each; the other ten months (≥ 40) cost nothing
    led = township.ledger
    mine = led[(led["unit"] == "示例东岭镇") & (led["rule"] == "1.1")]
    assert len(mine) == 12
    assert {e: a for e, a in zip(mine["evidence_id"], mine["applied"]) if a} == {"M003": 5, "M008": 5}
    assert node(township, "示例东岭镇", "1") == 30  # 40 − 10


def test_exactly_40_in_a_month_is_enough(township):
    assert row(township, "M026")["raw"] == 0  # 示例西河镇 2月 专栏 40 条: “不少于40条”


def test_blank_month_costs_10(township):
    r = row(township, "M038")  # 示例西河镇 2月 公众号 0 条
    assert (r["rule"], r["raw"], r["applied"]) == ("1.2", D(10), D(10))


def test_monthly_deductions_capped_at_40(township):
    # 示例北湖乡: 1—5月 1.1 5 × 5 = 25, 6月 1.2 10 → 35, 7月 1.2 (M091) 10 → only 5 left of 40
    r = row(township, "M091")
    assert (r["raw"], r["applied"], r["capped_by"]) == (D(10), D(5), "1")
    assert node(township, "示例北湖乡", "1") == 0


def test_earned_points_achieved_partly_and_not(township):
    # 达到 5; 部分达到 the row's 3 (reason in 情况说明); 未达到 0
    assert [row(township, e)["applied"] for e in ("N01", "N06", "N17")] == [D(-5), D(-3), 0]
    assert [node(township, n, "W1") for n in ("示例东岭镇", "示例西河镇", "示例北湖乡")] == [5, 3, 0]
    assert node(township, "示例北湖乡", "X2") == 0  # no row: nothing earned


def test_earned_per_article_capped_at_6(township):
    r = row(township, "N07")  # 示例西河镇 W2.1 4 篇 × 2 = 8, “本项最多得6分”
    assert (r["raw"], r["applied"], r["capped_by"]) == (D(-8), D(-6), "W2.1")
    assert node(township, "示例西河镇", "W2") == 6


@pytest.mark.parametrize(("name", "w", "x", "annual"), [
    ("示例南山镇", "60", "55", "59"),      # 0.8 × 60 + 0.2 × 55 = 48 + 11
    ("示例东岭镇", "58", "60", "58.4"),    # 46.4 + 12
    ("示例西河镇", "54", "56", "54.4"),    # 43.2 + 11.2
    ("示例北湖乡", "33", "33", "33"),      # 26.4 + 6.6
])
def test_online_80_on_site_20(township, name, w, x, annual):
    assert [node(township, name, n) for n in ("W", "X", "2")] == [D(w), D(x), D(annual)]


# --------------------------------------------------------------------- 4. weighted-website-newmedia
#
# total = 0.3 × A (政府网站: A1 扣分 100 + A2 加分 10 if A1 > 80) + 0.7 × B ÷ 50 × 100
#       (政务新媒体: B1 扣分 50 = B1.1 微信 25 + B1.2 微博 10 + B1.3 互动 15, + B2 加分 10 if B1 ≥ 40).


@pytest.mark.parametrize(("name", "total", "grade", "rank", "excellent"), [
    # A1 100 − 24 (12 × 2) − 12 (6 × 2) − 5 − 1 = 58 < 60 → 不合格, A2 blocked (市 1 applies 0) → A 58;
    # B1 50, B2 8 → B 58; 0.3 × 58 + 1.4 × 58 = 17.4 + 81.2 = 98.6 — first by score, but 不合格 and no award
    ("示例县司法局", "98.6", "不合格", 1, False),
    # A1 100 − 4 = 96, A2 2 → A 98; 微博 不适用: B1.1 25 − 2 − 1 = 22 × 30/25 = 26.4, B1.3 15 − 1 = 14 × 20/15
    # = 18.666… → 18.67, B1 45.07 ≥ 40 → B2 3 → B 48.07; 0.3 × 98 + 1.4 × 48.07 = 29.4 + 67.298 = 96.698
    ("示例县农业农村局", "96.698", "优秀", 2, True),
    # A1 100 − 4 − 2 = 94 > 80 → A2 2 (省) + 1 (视情) → A 97; B1 50 − 2 − 2 = 46 → B2 2 → B 48;
    # 0.3 × 97 + 1.4 × 48 = 29.1 + 67.2 = 96.3
    ("示例县发展和改革局", "96.3", "优秀", 3, True),
    # A1 100 − 10 − 10 = 80, not > 80 → A 80; B1 50 − 6 − 4 = 40 ≥ 40 → B2 2 → B 42; 24 + 58.8 = 82.8
    ("示例东岭镇", "82.8", "良好", 4, False),
    # A1 100 − 30 = 70 → A 70; 微博 不适用: B1.1 25 − 8 = 17 × 1.2 = 20.4, B1.3 15 − 4 = 11 × 4/3 = 14.666… → 14.67,
    # B1 35.07 < 40 → B2 blocked (1 applies 0) → B 35.07; 0.3 × 70 + 1.4 × 35.07 = 21 + 49.098 = 70.098
    ("示例西河镇", "70.098", "合格", 5, False),
])
def test_weighted_unit_results(weighted, name, total, grade, rank, excellent):
    u = unit(weighted, name)
    assert (u["total"], u["grade"], u["rank"], bool(u["excellent"])) == (D(total), grade, rank, excellent)


@pytest.mark.parametrize(("name", "a", "b"), [
    ("示例县司法局", "58", "58"), ("示例县农业农村局", "98", "48.07"), ("示例县发展和改革局", "97", "48"),
    ("示例东岭镇", "80", "42"), ("示例西河镇", "70", "35.07"),
])
def test_website_30_newmedia_70_on_different_scales(weighted, name, a, b):
    assert (node(weighted, name, "A"), node(weighted, name, "B")) == (D(a), D(b))
    assert unit(weighted, name)["total"] == D("0.3") * D(a) + D("0.7") * D(b) / 50 * 100


def test_fail_mark_on_the_website_part_overrides_the_grade_of_the_total(weighted):
    # 98.6 would be 优秀; 政府网站扣分指标 58 < 60 → 不合格, no award, rank by score unchanged
    assert node(weighted, "示例县司法局", "A1") == 58
    u = unit(weighted, "示例县司法局")
    assert (u["total"], u["grade"], bool(u["excellent"])) == (D("98.6"), "不合格", False)


def test_gate_strict_on_the_website_inclusive_on_new_media(weighted):
    # 示例东岭镇: A1 exactly 80 → A2 (strictly above 80) not scored; B1 exactly 40 → B2 (40 及以上) scored
    assert (node(weighted, "示例东岭镇", "A1"), node(weighted, "示例东岭镇", "A2")) == (80, 0)
    assert (row(weighted, "R22")["raw"], row(weighted, "R22")["applied"]) == (D(-1), 0)
    assert (node(weighted, "示例东岭镇", "B1"), node(weighted, "示例东岭镇", "B2")) == (40, 2)
    assert row(weighted, "R25")["applied"] == D(-2)
    # 示例县司法局 A1 58 and 示例西河镇 B1 35.07: their bonus rows apply 0 too
    assert row(weighted, "R12")["applied"] == 0 and row(weighted, "R29")["applied"] == 0


def test_weibo_points_redistributed_evenly(weighted):
    # 微博 10 → 5 + 5: 微信公众号 25 → 30 (× 1.2), 互动回应 15 → 20 (× 4/3), each 四舍五入 to 2 decimals, summed
    # in 扣分指标 B1. The two items keep their scores on their own table (of 25 and 15); the shares are B1's.
    for name, b11, b13, b1 in [("示例县农业农村局", "22", "14", "45.07"),   # 22 × 1.2 = 26.4; 14 × 4/3 = 18.666… → 18.67
                               ("示例西河镇", "17", "11", "35.07")]:         # 17 × 1.2 = 20.4; 11 × 4/3 = 14.666… → 14.67
        assert [node(weighted, name, n) for n in ("B1.1", "B1.3", "B1")] == [D(b11), D(b13), D(b1)]
        assert node(weighted, name, "B1.2") is None
    # without the share (22 + 14 = 36 of 40) or rescaled in proportion (36 ÷ 40 × 50 = 45) the sum would differ
    # a unit that has 微博 keeps the table as written: 示例东岭镇 B1.1 25 − 6 = 19, B1.2 10 − 4 = 6, B1.3 15
    assert [node(weighted, "示例东岭镇", n) for n in ("B1.1", "B1.2", "B1.3")] == [19, 6, 15]


def test_award_skips_the_failed_unit(weighted):
    winners = set(weighted.units[weighted.units["excellent"].astype(bool)]["unit"])
    assert winners == {"示例县农业农村局", "示例县发展和改革局"}


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """Every example run as a user would: `kaohe run examples/<name>/params.yaml`."""
    from kaohe import runner

    out = tmp_path_factory.mktemp("examples")
    outcomes = {name: runner.run(EXAMPLES / name / "params.yaml", jobs=2, out_dir=out, progress=False) for name in NAMES}
    return outcomes


def page(outcome, unit) -> str:
    """The report's visible text, one space between pieces."""
    from html.parser import HTMLParser

    class Text(HTMLParser):
        skip, parts = 0, []

        def handle_starttag(self, tag, attrs):
            self.skip += tag in ("style", "script")

        def handle_endtag(self, tag):
            self.skip -= tag in ("style", "script")

        def handle_data(self, data):
            if not self.skip:
                self.parts.append(data)

    t = Text()
    t.parts = []
    t.feed((outcome.folder / "units" / f"{unit}.html").read_text(encoding="utf-8"))
    return re.sub(r"\s+", " ", " ".join(t.parts))


@pytest.mark.parametrize("name", NAMES)
def test_kaohe_run_turns_each_example_into_reports(reports, name):
    outcome = reports[name]
    assert outcome.failed == [] and outcome.summary_error == ""
    for unit in Run(EXAMPLES / name / "params.yaml").load_inputs()[0].category_of():
        assert (outcome.folder / "units" / f"{unit}.html").exists()


def test_the_reports_explain_gates_vetoes_rescaling_and_periods(reports):
    staged = reports["staged-website"]
    vetoed = page(staged, "示例县交通运输局")  # 1.1 S19 stops the scoring at 59
    assert "本单位被单项否决" in vetoed and "其余部分不再评分，总分计 59 分" in vetoed and "记录 S19" in vetoed
    assert "「扣分指标」得分 80 分，未高于 80 分：不进入本项评分，计 0 分" in page(staged, "示例县教育局")
    county = page(reports["county-not-applicable"], "示例县财政局")  # 办事服务 不适用: 70.5 × 4/3
    assert "适用模块得分之和 70.5 ÷ 适用模块满分 75 × 100 = 94 分" in county  # 总分的构成
    monthly = page(reports["township-earned-monthly"], "示例东岭镇")  # March 36 and August 38 posts: 5 each
    assert "2026年3月 36 不低于 40 条 5 M003" in monthly and "2026年8月 38 不低于 40 条 5 M008" in monthly
    weighted = page(reports["weighted-website-newmedia"], "示例县农业农村局")
    assert "其分值 10 分平均计入 2 项指标" in weighted
