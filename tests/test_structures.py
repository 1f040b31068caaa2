"""The structures of other counties' documents (issue 16): staged parts, gates, fail marks, generalised
vetoes, not-applicable rescaling, cap levels. Small inline rubrics written for the test (示例); every
expected amount is worked by hand from the clause in the comment beside it."""

from decimal import Decimal as D

import pandas as pd
import pytest
import yaml

from kaohe.errors import RubricError
from kaohe.numbers import fmt
from kaohe.rubric import Rubric, load_rubric
from kaohe.scoring import score

HEAD = """
version: 1
title: 示例县政府网站与政务新媒体检查（测试用示例）
source: {title: 示例, issuer: 示例县, doc_no: 示例〔2026〕1号, file: 示例.md}
period: {start: 2026-01-01, end: 2026-12-31}
applies_to: [部门]
"""

STAGED = HEAD + """
id: t-staged
points: 100
points_text: 扣分指标100分，加分指标20分，最后得分为扣分指标与加分指标得分之和
aggregate: sum
grades:
  text: 90分以上为优秀，80分以上为良好，60分以上为合格，其余为不合格
  reading: 含下限
  bands: [{grade: 优秀, min: 90}, {grade: 良好, min: 80}, {grade: 合格, min: 60}, {grade: 不合格}]
indicators:
  - id: P1
    name: 单项否决指标
    rules:
      - {id: V1, kind: veto, effect: stop, score: 59, grade: 不合格, text: 出现严重错误的，判定为不合格(59分)}
  - id: P2
    name: 扣分指标
    points: 100
    fail: {below: 60, text: 扣分指标评分结果低于60分的，判定为不合格}
    children:
      - id: P2.1
        name: 信息发布
        points: 40
        rules: [{id: r21, kind: per_count, per: 0.5, text: 每发现一处扣0.5分}]
      - id: P2.2
        name: 互动交流
        points: 30
        rules: [{id: r22, kind: per_count, per: 1, text: 每发现一次扣1分}]
      - id: P2.3
        name: 办事服务
        points: 30
        rules: [{id: r23, kind: per_count, per: 2, text: 每发现一项扣2分}]
  - id: P3
    name: 加分指标
    points: 20
    start: zero
    gate: {node: P2, above: 80, text: 扣分指标评分结果高于80分的，进入加分指标评分环节}
    rules:
      - {id: b1, kind: bonus, per: 1, cap: 6, text: 每项创新做法加1分，最高不超过6分}
      - {id: b2, kind: per_level, bonus: true, amounts: {国家: 3, 省: 2, 市: 1}, text: 获国家、省、市表彰的分别加3分、2分、1分}
"""


def rubric(text: str) -> Rubric:
    return Rubric.model_validate(yaml.safe_load(text))


def roster(units, not_applicable=None):
    na = not_applicable or {}
    return pd.DataFrame({"单位": list(units), "类别": ["部门"] * len(units), "不适用": [na.get(u, "") for u in units]})


def ledger(*rows):
    """rows: (unit, rule, extra-dict); dated in order so caps cut the later rows."""
    out = [{"编号": f"E{i}", "单位": u, "规则编号": r, "日期": f"2026-03-{i:02d}", **(x[0] if x else {})}
           for i, (u, r, *x) in enumerate(rows, start=1)]
    return pd.DataFrame(out, columns=["编号", "单位", "规则编号", "日期", "次数/数量", "级别", "数值"])


def unit(result, name):
    return result.units.set_index("unit").loc[name]


def node_score(result, name, node_id):
    n = result.nodes
    return n[(n.unit == name) & (n.node == node_id)].iloc[0]["score"]


def rows(result, name, rule):
    led = result.ledger
    return led[(led.unit == name) & (led.rule == rule)]


class TestStaged:
    UNITS = ["低于", "等于", "高于", "否决", "不合格", "封顶"]
    EVIDENCE = ledger(
        ("低于", "r21", {"次数/数量": 41}), ("低于", "b1", {"次数/数量": 2}),
        ("等于", "r21", {"次数/数量": 40}), ("等于", "b1", {"次数/数量": 2}),
        ("高于", "r21", {"次数/数量": 39}), ("高于", "b1", {"次数/数量": 2}),
        ("否决", "V1"), ("否决", "r22", {"次数/数量": 3}), ("否决", "b1", {"次数/数量": 1}),
        ("不合格", "r23", {"次数/数量": 16}), ("不合格", "r22", {"次数/数量": 12}),
        ("封顶", "b1", {"次数/数量": 10}), ("封顶", "b2", {"级别": "国家", "次数/数量": 5}),
    )

    @pytest.fixture(scope="class")
    @classmethod
    def result(cls):
        return score(rubric(STAGED), roster(cls.UNITS), cls.EVIDENCE)

    def test_gate_just_below_80_is_not_passed(self, result):
        # 41 × 0.5 = 20.5 → P2 = 100 − 20.5 = 79.5, not 高于80: the bonus part is 0 and its row applies 0
        assert node_score(result, "低于", "P2") == D("79.5")
        assert node_score(result, "低于", "P3") == 0
        assert unit(result, "低于")["total"] == D("79.5")
        b1 = rows(result, "低于", "b1").iloc[0]
        assert b1["applied"] == 0 and b1["capped_by"] == "P3" and "未高于 80 分" in b1["reason"]

    def test_gate_at_80_is_not_passed_when_strict(self, result):
        # 40 × 0.5 = 20 → P2 = 80; 高于80分 is strict: 80 + 0 = 80 (良好)
        assert unit(result, "等于")["total"] == D("80")
        assert unit(result, "等于")["grade"] == "良好"
        assert rows(result, "等于", "b1").iloc[0]["applied"] == 0

    def test_gate_just_above_80_scores_the_bonus(self, result):
        # 39 × 0.5 = 19.5 → P2 = 80.5 > 80: bonus 2 × 1 = 2 → 80.5 + 2 = 82.5
        assert node_score(result, "高于", "P3") == D("2")
        assert unit(result, "高于")["total"] == D("82.5")
        assert any("进入「加分指标」评分" in n for n in unit(result, "高于")["notes"])

    def test_inclusive_gate_passes_at_80(self):
        inclusive = rubric(STAGED.replace("above: 80,", "above: 80, inclusive: true,"))
        r = score(inclusive, roster(["等于"]), ledger(("等于", "r21", {"次数/数量": 40}), ("等于", "b1", {"次数/数量": 2})))
        assert unit(r, "等于")["total"] == D("82")  # 80 达到 80: 80 + 2

    def test_veto_stops_scoring_and_gives_59(self, result):
        # any V1 record: 判定为不合格(59分); P2 and P3 are not scored, their rows apply nothing
        u = unit(result, "否决")
        assert (u["total"], u["grade"], bool(u["vetoed"])) == (D("59"), "不合格", True)
        assert u["deducted"] == D("41")  # 失分 against full marks 100, not against the parts left unscored
        assert node_score(result, "否决", "P2") is None and node_score(result, "否决", "P3") is None
        assert rows(result, "否决", "r22").iloc[0]["applied"] == 0
        assert rows(result, "否决", "r22").iloc[0]["capped_by"] == "V1"
        assert list(result.units["unit"])[-1] == "否决"  # ranked after every unit not vetoed

    def test_fail_mark_below_60(self, result):
        # r23: 16 × 2 = 32, capped at P2.3's 30; r22: 12 × 1 = 12 → P2 = 100 − 30 − 12 = 58 < 60 → 不合格
        u = unit(result, "不合格")
        assert (u["total"], u["grade"], bool(u["ineligible"])) == (D("58"), "不合格", True)
        assert not u["vetoed"]
        assert any("低于 60 分" in n for n in u["notes"])

    def test_bonus_capped_by_rule_then_by_part(self, result):
        # b1: 10 × 1 = 10, 最高不超过6分 → 6; b2: 5 × 3 = 15 → 6 + 15 = 21 > 20 (加分指标20分) → 14 kept
        b1, b2 = rows(result, "封顶", "b1").iloc[0], rows(result, "封顶", "b2").iloc[0]
        assert (b1["applied"], b1["capped_by"]) == (D("-6"), "b1")
        assert (b2["applied"], b2["capped_by"]) == (D("-14"), "P3")
        assert unit(result, "封顶")["total"] == D("120")  # the sum of the parts may exceed 100

    def test_ranks(self, result):
        # 120, 82.5, 80, 79.5, 58 by score, then the vetoed unit
        assert [(u, fmt(t)) for u, t in zip(result.units["unit"], result.units["total"])] == [
            ("封顶", "120"), ("高于", "82.5"), ("等于", "80"), ("低于", "79.5"), ("不合格", "58"), ("否决", "59")]
        assert list(result.units["rank"]) == [1, 2, 3, 4, 5, 6]


NA = HEAD + """
id: t-na
points: 100
aggregate: sum
not_applicable: {rescale: proportional, text: 不涉及办事服务的部门，其余指标得分之和乘以4/3}
indicators:
""" + "".join(f"""
  - id: {x}
    name: 指标{x}
    points: 25
    {'optional: true' if x == 'C' else ''}
    rules: [{{id: {x.lower()}1, kind: per_count, per: 0.5, text: 每发现一处扣0.5分}}]
""" for x in "ABCD")


class TestNotApplicable:
    OWN = (("部门甲", "a1", {"次数/数量": 6}), ("部门甲", "d1", {"次数/数量": 5}))
    EVIDENCE = ledger(*OWN)

    def test_department_without_a_part_is_rescaled_by_4_3(self):
        # 部门甲 without C: A 25 − 3 = 22, B 25, D 25 − 2.5 = 22.5 → 69.5 of 75 → 69.5 × 100 ÷ 75 = 92.666… → 92.67
        r = score(rubric(NA), roster(["部门甲", "部门乙"], {"部门甲": "C"}), ledger(*self.OWN, ("部门乙", "a1", {"次数/数量": 6})))
        assert unit(r, "部门甲")["total"] == D("92.67")
        assert (unit(r, "部门甲")["subtotal"], unit(r, "部门甲")["max"]) == (D("69.5"), D("75"))
        assert node_score(r, "部门甲", "C") is None
        assert "69.5 ÷ 75 × 100 = 92.67" in unit(r, "部门甲")["formula"]
        # 部门乙 has every part: 100 − 3 = 97, nothing to rescale
        assert unit(r, "部门乙")["total"] == D("97")

    def test_not_applicable_by_name_as_the_roster_writes_it(self):
        r = score(rubric(NA), roster(["部门甲"], {"部门甲": "指标C"}), self.EVIDENCE)
        assert unit(r, "部门甲")["total"] == D("92.67")

    def test_exclude_leaves_the_part_out_of_score_and_maximum(self):
        r = score(rubric(NA.replace("rescale: proportional", "rescale: exclude")), roster(["部门甲"], {"部门甲": "C"}),
                  self.EVIDENCE)
        assert (unit(r, "部门甲")["total"], unit(r, "部门甲")["max"]) == (D("69.5"), D("75"))

    def test_redistribute_over_named_parts(self):
        text = NA.replace("rescale: proportional", "rescale: redistribute, to: [B, D]")
        r = score(rubric(text), roster(["部门甲"], {"部门甲": "C"}), self.EVIDENCE)
        # C's 25 points shared by B and D, 12.5 each: B 25 × 37.5 ÷ 25 = 37.5; D 22.5 × 37.5 ÷ 25 = 33.75;
        # A 22 → 22 + 37.5 + 33.75 = 93.25
        assert unit(r, "部门甲")["total"] == D("93.25")
        assert unit(r, "部门甲")["max"] == D("100")

    def test_a_bonus_part_is_added_after_the_rescaling(self):
        # A–D 25 each (C optional) + E 加分 20 (得分制). 甲 without C: (22 + 25 + 22.5) ÷ 75 × 100 = 92.67, + E 3 = 95.67;
        # the bonus is not rescaled with the items (其余指标得分之和乘以4/3 speaks of the items)
        text = NA.replace("points: 100\n", "points: 100\npoints_reading: 加分另计\n", 1) + """
  - id: E
    name: 加分
    points: 20
    start: zero
    rules: [{id: e1, kind: bonus, per: 1, text: 每项加1分}]
"""
        r = score(rubric(text), roster(["部门甲"], {"部门甲": "C"}), ledger(*self.OWN, ("部门甲", "e1", {"次数/数量": 3})))
        assert unit(r, "部门甲")["total"] == D("95.67")

    def test_redistribute_with_every_part_stopped_scores_the_veto(self):
        # a stop veto of the whole unit: nothing to share C's points with; the unit scores the veto's 0
        text = NA.replace("rescale: proportional", "rescale: redistribute, to: [B]").replace(
            "rules: [{id: a1,", "rules: [{id: V, kind: veto, effect: stop, text: 单项否决}, {id: a1,", 1)
        r = score(rubric(text), roster(["部门甲"], {"部门甲": "C"}), ledger(("部门甲", "V")))
        assert (unit(r, "部门甲")["total"], bool(unit(r, "部门甲")["vetoed"])) == (D("0"), True)

    def test_a_part_that_cannot_be_not_applicable_is_named(self):
        from kaohe.errors import InputError
        with pytest.raises(InputError) as e:
            score(rubric(NA), roster(["部门甲"], {"部门甲": "B"}), self.EVIDENCE)
        assert "C 指标C" in str(e.value)


CAPS = HEAD + """
id: t-caps
points: 100
cap_levels: [1]
indicators:
  - id: T1
    name: 公开平台
    points: 20
    children:
      - id: T1.1
        name: 栏目
        points: 5
        rules: [{id: t11, kind: per_count, per: 1, text: 每缺一个栏目扣1分}]
      - id: T1.2
        name: 更新
        points: 15
        rules: [{id: t12, kind: per_count, per: 1, text: 每发现一次未更新扣1分}]
  - id: T2
    name: 其他
    points: 80
    rules: [{id: t2, kind: per_count, per: 1, text: 每发现一处扣1分}]
"""


class TestCapLevels:
    def test_lower_levels_may_go_past_their_points_but_not_the_first_level(self):
        # 二级指标减分可突破自身分值: T1.1 loses 8 of its 5 points (−3), T1 = 20 − 8 = 12; total 100 − 8 = 92
        r = score(rubric(CAPS), roster(["部门甲"]), ledger(("部门甲", "t11", {"次数/数量": 8})))
        assert node_score(r, "部门甲", "T1.1") == D("-3")
        assert node_score(r, "部门甲", "T1") == D("12")
        assert unit(r, "部门甲")["total"] == D("92")

    def test_the_first_level_still_caps(self):
        # 不可突破一级指标: 8 + 16 = 24 against T1's 20 → 20; 100 − 20 = 80
        r = score(rubric(CAPS), roster(["部门甲"]), ledger(("部门甲", "t11", {"次数/数量": 8}),
                                                         ("部门甲", "t12", {"次数/数量": 16})))
        assert unit(r, "部门甲")["total"] == D("80")

    def test_default_caps_every_level(self):
        # without cap_levels T1.1 is capped at 5: 100 − 5 = 95
        r = score(rubric(CAPS.replace("cap_levels: [1]\n", "")), roster(["部门甲"]), ledger(("部门甲", "t11", {"次数/数量": 8})))
        assert unit(r, "部门甲")["total"] == D("95")


WEIGHTED = HEAD + """
id: t-weighted
points: 100
aggregate: weighted
indicators:
  - id: W
    name: 政府网站
    text: 政府网站指标按30%权重折算
    weight: 30
    points: 100
    combine: sum
    reading: 加分指标可使本部分得分超过100分，按实际得分折算
    children:
      - id: W1
        name: 网站扣分指标
        points: 100
        rules:
          - {id: w1, kind: per_count, per: 1, text: 每发现一处扣1分}
          - {id: VW, kind: veto, effect: stop, scope: W, text: 网站被关停的，网站部分计0分}
      - id: W2
        name: 网站加分指标
        points: 10
        start: zero
        gate: {node: W1, above: 80, inclusive: true, text: 网站扣分指标达到80分的，进入加分环节}
        rules: [{id: w2, kind: bonus, per: 2, text: 每项加2分}]
  - id: M
    name: 政务新媒体
    text: 政务新媒体指标按70%权重折算
    weight: 70
    points: 50
    rules: [{id: m1, kind: per_count, per: 1, text: 每发现一处扣1分}]
"""


class TestWeightedStagedParts:
    def test_parts_on_different_scales_weighted_30_70(self):
        # W = (100 − 4) + 2 × 2 = 100; M = 50 − 5 = 45 → 30% × 100/100 × 100 + 70% × 45/50 × 100 = 30 + 63 = 93
        r = score(rubric(WEIGHTED), roster(["部门甲"]),
                  ledger(("部门甲", "w1", {"次数/数量": 4}), ("部门甲", "w2", {"次数/数量": 2}), ("部门甲", "m1", {"次数/数量": 5})))
        assert node_score(r, "部门甲", "W") == D("100")
        assert unit(r, "部门甲")["total"] == D("93")

    def test_a_bonus_takes_the_staged_part_past_its_points(self):
        # W = 100 + 3 × 2 = 106 (not clamped at 100: reading); M 50 → 30% × 106/100 × 100 + 70 = 31.8 + 70 = 101.8
        r = score(rubric(WEIGHTED), roster(["部门甲"]), ledger(("部门甲", "w2", {"次数/数量": 3})))
        assert node_score(r, "部门甲", "W") == D("106")
        assert unit(r, "部门甲")["total"] == D("101.8")

    def test_veto_scoped_to_one_part(self):
        # VW: 网站部分计0分, not scored further; M = 50 − 2 = 48 → 0 + 70% × 48/50 × 100 = 67.2
        r = score(rubric(WEIGHTED), roster(["部门甲"]),
                  ledger(("部门甲", "w2", {"次数/数量": 1}), ("部门甲", "VW"), ("部门甲", "m1", {"次数/数量": 2})))
        assert node_score(r, "部门甲", "W") == 0
        assert rows(r, "部门甲", "w2").iloc[0]["applied"] == 0
        assert unit(r, "部门甲")["total"] == D("67.2")
        assert not unit(r, "部门甲")["vetoed"]  # one part fixed at 0; the unit itself names no grade, so it ranks by score


NO_AWARD = HEAD + """
id: t-no-award
points: 100
awards:
  excellent: {text: 得分前1名的为优秀单位, quota: 1}
indicators:
  - id: A
    name: 公开
    points: 100
    rules:
      - {id: a1, kind: per_count, per: 1, text: 每发现一处扣1分}
      - {id: NA1, kind: veto, effect: no_award, text: 发生泄密事件的，取消评优资格}
      - {id: NV, kind: veto, levels: [国家, 省, 市], text: 被国、省、市通报批评的，一票否决}
"""


class TestVetoEffects:
    def test_no_award_keeps_the_score_and_the_rank(self):
        # 部门甲 100 (NA1: no award), 部门乙 99: 部门乙 is the one excellent unit; 甲 keeps rank 1
        r = score(rubric(NO_AWARD), roster(["部门甲", "部门乙"]), ledger(("部门甲", "NA1"), ("部门乙", "a1")))
        a, b = unit(r, "部门甲"), unit(r, "部门乙")
        assert (a["total"], a["rank"], bool(a["vetoed"]), bool(a["ineligible"]), bool(a["excellent"])) == \
               (D("100"), 1, False, True, False)
        assert bool(b["excellent"])

    def test_a_level_the_clause_does_not_name_lists_the_accepted_ones(self):
        from kaohe.errors import InputError
        with pytest.raises(InputError) as e:
            score(rubric(NO_AWARD), roster(["部门甲"]), ledger(("部门甲", "NV", {"级别": "区"})))
        assert "国家、省、市" in str(e.value)


class TestValidation:
    @pytest.mark.parametrize("change, words", [
        ("aggregate: sum\n", "需要按部分合成总分"),  # a gate in a plain deduction table
        ("gate: {node: P2,", "gate.node"),
        ("effect: stop, score: 59,", "scope"),
        ("mutual", "进入条件形成循环：P2 → P3 → P2"),
        ("zero under deduct", "start: zero（得分制）须在细则顶层或 combine: sum / weighted 的节点下"),
        ("grade", "不是本细则的等次之一"),
    ])
    def test_structures_are_checked_with_the_field_named(self, tmp_path, change, words):
        text = {"aggregate: sum\n": STAGED.replace("aggregate: sum\n", ""),
                "gate: {node: P2,": STAGED.replace("gate: {node: P2,", "gate: {node: P3,"),
                "effect: stop, score: 59,": STAGED.replace("effect: stop, score: 59,", "effect: stop, scope: P9,"),
                "mutual": STAGED.replace("    fail: {below: 60,", "    gate: {node: P3, above: 1, text: 循环}\n    fail: {below: 60,"),
                "zero under deduct": STAGED.replace("        name: 办事服务\n", "        name: 办事服务\n        start: zero\n"),
                "grade": STAGED.replace("grade: 不合格, text: 出现", "grade: 差, text: 出现")}[change]
        path = tmp_path / "r.yaml"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(RubricError) as e:
            load_rubric(path)
        assert words in str(e.value)


def test_rubric_show_describes_each_structure_in_chinese(tmp_path, capsys):
    from kaohe.cli import main
    for name, text in (("staged", STAGED), ("na", NA), ("caps", CAPS)):
        (tmp_path / f"{name}.yaml").write_text(text, encoding="utf-8")
    assert main(["rubric", "show", str(tmp_path / "staged.yaml")]) == 0
    out = capsys.readouterr().out
    assert "须「扣分指标」得分高于 80 分（不含）才评分" in out
    assert "低于 60 分判定为「不合格」" in out and "得分制：从 0 分起计所得" in out
    assert "其余部分不再评分，计 59 分" in out and "总分为各部分得分之和（可超过满分）" in out
    assert main(["rubric", "show", str(tmp_path / "na.yaml")]) == 0
    assert "其余得分按比例折算到满分" in capsys.readouterr().out
    assert main(["rubric", "show", str(tmp_path / "caps.yaml")]) == 0
    assert "只在第 1 级指标封顶" in capsys.readouterr().out


def test_a_structure_error_names_the_line_and_field_of_the_node(tmp_path):
    # the gate points at its own part: the error is located at P3's gate.node, with the value written there
    path = tmp_path / "r.yaml"
    path.write_text(STAGED.replace("gate: {node: P2,", "gate: {node: P3,"), encoding="utf-8")
    with pytest.raises(RubricError) as e:
        load_rubric(path)
    (p,) = e.value.problems
    line = next(i for i, t in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if "gate: {node: P3" in t)
    assert (p.row, p.column, p.value) == (line, "indicators[2].gate.node", "P3")
