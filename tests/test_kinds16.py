"""The rule kinds of issue 16 (earned, exceed, periodic, discretionary bonuses) and the 完成情况 words they read.

Each amount is worked by hand from the clause quoted above it. Amounts of gains are negative (a deduction of
−2 is 2 points gained).
"""

import csv
from datetime import date
from decimal import Decimal as D

import pandas as pd
import pytest

from kaohe.errors import InputError
from kaohe.ledger import LABELS, parse_row
from kaohe.rubric import Rubric
from kaohe.rules import Finding, amount
from kaohe.rules.earned import EarnedRule
from kaohe.rules.exceed import ExceedRule
from kaohe.rules.task import TaskRule
from kaohe.scoring import score


def f(rule_id="r", **kw) -> Finding:
    return Finding(id="1", unit="u", rule=rule_id, date=date(2020, 6, 30), **kw)


def rubric(*rules: dict, points=100) -> Rubric:
    """A one-indicator rubric for 乡镇 over 2020 holding ``rules``."""
    return Rubric.model_validate({
        "id": "k16", "version": 1, "title": "测试细则", "applies_to": ["乡镇"], "points": points,
        "source": {"title": "文件", "issuer": "办公室", "doc_no": "〔2020〕1号", "file": "x.txt"},
        "period": {"start": date(2020, 1, 1), "end": date(2020, 12, 31)},
        "indicators": [{"id": "1", "name": "指标一", "points": points, "rules": list(rules)}]})


def roster(*units):
    return pd.DataFrame({"unit": list(units), "category": ["乡镇"] * len(units)})


def ledger(folder, *rows: dict):
    """A CSV ledger with the Chinese headers (rows from 2, as Excel numbers them); ``rows`` by canonical column."""
    columns = ["id", "unit", "rule", "date", "count", "value", "points", "note", "status", "required"]
    path = folder / "台账.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        w = csv.writer(out)
        w.writerow([LABELS[c] for c in columns])
        for i, row in enumerate(rows, start=1):
            w.writerow([row.get(c, f"E{i}" if c == "id" else "") for c in columns])
    return path


def problems(rub, units, path) -> list:
    with pytest.raises(InputError) as exc:
        score(rub, roster(*units), path)
    return exc.value.problems


class TestStatusWords:
    """完成情况: 按时/逾期/未启动 for tasks (衡阳 2018), 达到/部分达到/未达到 for points earned."""

    HEADERS = {"id": "编号", "unit": "单位", "rule": "规则编号", "date": "日期", "status": "完成情况"}

    def status(self, written):
        finding, problems = parse_row({"id": "E1", "unit": "甲", "rule": "r", "date": "2020-03-01", "status": written},
                                      "台账.csv", 2, self.HEADERS)
        return finding.status, problems

    @pytest.mark.parametrize(("written", "read"), [("达到", "达到"), ("完全达到", "达到"), ("部分达到", "部分达到"),
                                                   ("未达到", "未达到"), ("按时完成", "按时"), ("未启动", "未启动")])
    def test_words_read(self, written, read):
        assert self.status(written) == (read, [])

    def test_an_unknown_word_lists_every_accepted_one(self):
        status, (problem,) = self.status("基本达到")
        assert status is None
        assert (problem.file, problem.row, problem.column, problem.value, problem.code) == (
            "台账.csv", 2, "完成情况", "基本达到", "bad_status")
        assert problem.message == "「完成情况」应为 按时完成、逾期完成、未启动（按任务计分），或 达到、部分达到、未达到（得分项）"

    @pytest.mark.parametrize("word", ["达到", "部分达到", "未达到"])
    def test_a_task_refuses_the_earned_words(self, word):
        rule = TaskRule(kind="task", id="t", text="t")
        (problem,) = rule.check(f("t", status=word, points=D(5)))
        assert problem == ("status", word, "按任务计分的「完成情况」应为 按时完成、逾期完成 或 未启动")


class TestEarned:
    """Points earned: “内容全面规范5分” (``points: 5``) and “一项可得2分，最高不超过6分” (``per: 2, cap: 6``)."""

    FIVE = EarnedRule(kind="earned", id="e1", text="内容全面规范5分", points=5)
    TWO = EarnedRule(kind="earned", id="e2", text="一项可得2分，最高不超过6分", per=2, cap=6)

    @pytest.mark.parametrize(("status", "pts", "earned"), [("达到", None, "5"), ("部分达到", "3.5", "3.5"),
                                                         ("部分达到", "0", "0"), ("部分达到", "5", "5"), ("未达到", None, "0")])
    def test_points_form(self, status, pts, earned):
        """达到 → 5; 部分达到 → the row's 分值 (3.5, and the bounds 0 and 5); 未达到 → 0; as gains (negative)."""
        row = f("e1", status=status, points=None if pts is None else D(pts), note="理由")
        assert amount(self.FIVE, row) == -D(earned)
        assert self.FIVE.check(row) == []

    @pytest.mark.parametrize(("count", "earned"), [(None, "2"), (1, "2"), (3, "6"), (4, "8")])
    def test_per_form_before_the_cap(self, count, earned):
        """2 × 次数/数量 (blank: one item); the cap of 6 is the rule's, cut when scored."""
        assert amount(self.TWO, f("e2", count=count)) == -D(earned)

    def test_caps(self):
        """The points form is one item a year (cap 5); the per form's cap is the declared 6."""
        assert (self.FIVE.effective_cap(), self.TWO.effective_cap()) == (5, 6)
        assert self.FIVE.gains() and self.TWO.gains()
        assert EarnedRule(kind="earned", id="e", text="t", per=2).effective_cap() is None

    def test_exactly_one_form(self):
        for both_or_none in ({"points": 5, "per": 2}, {}):
            with pytest.raises(ValueError, match="须给出 points（达到得分）或 per（每项得分）之一"):
                EarnedRule(kind="earned", id="e", text="t", **both_or_none)

    @pytest.mark.parametrize("pts", ["5.5", "-1"])
    def test_partly_achieved_outside_0_to_5_is_refused(self, pts):
        assert self.FIVE.check(f("e1", status="部分达到", points=D(pts), note="理由")) == [
            ("points", D(pts), "部分达到所得分值应在 0 至 5 分之间")]

    def test_partly_achieved_needs_a_reason_and_points(self):
        assert self.FIVE.check(f("e1", status="部分达到")) == [
            ("points", "", "部分达到须在「分值/扣分」中填写所得分值（0 至 5 分）"),
            ("note", "", "部分达到必须在「情况说明」中写明理由")]

    @pytest.mark.parametrize("word", ["按时", "逾期", "未启动"])
    def test_refuses_the_task_words(self, word):
        assert self.FIVE.check(f("e1", status=word)) == [
            ("status", word, "得分项的「完成情况」应为 达到、部分达到 或 未达到")]

    def test_achieved_with_other_points_is_refused(self):
        assert self.FIVE.check(f("e1", status="达到", points=D(4))) == [
            ("points", D(4), "达到得 5 分：「分值/扣分」应留空（由细则计算）")]

    def test_per_form_refuses_a_judgement(self):
        (problem,) = self.TWO.check(f("e2", status="未达到", count=2))
        assert problem[:2] == ("status", "未达到")

    def test_columns_read_follow_the_form(self):
        assert (self.FIVE.uses, self.FIVE.also_uses, self.FIVE.reads) == ("status", ("points",), ("note",))
        assert (self.TWO.uses, self.TWO.also_uses, self.TWO.reads) == ("count", (), ())

    def test_located_errors_when_scored(self, tmp_path):
        """Row 2 partly achieved at 6 of 5 without a reason; row 3 without 完成情况: every problem, located."""
        rub = rubric(self.FIVE.model_dump(exclude_defaults=True) | {"kind": "earned"})
        path = ledger(tmp_path, {"unit": "甲镇", "rule": "e1", "date": "2020-05-01", "status": "部分达到", "points": "6"},
                      {"unit": "乙镇", "rule": "e1", "date": "2020-05-01"})
        got = [(p.file, p.row, p.column, p.value, p.rule, p.message) for p in problems(rub, ["甲镇", "乙镇"], path)]
        assert got == [
            (str(path), 2, "分值/扣分", "6", "e1", "部分达到所得分值应在 0 至 5 分之间"),
            (str(path), 2, "情况说明", "", "e1", "部分达到必须在「情况说明」中写明理由"),
            (str(path), 3, "完成情况", "", "e1", "规则 e1 需要在「完成情况」中填写完成情况（达到/部分达到/未达到）")]

    def test_per_form_capped_when_scored(self, tmp_path):
        """2 + 2 × 3 = 8 earned in the ledger, 6 applied: the second row keeps 6 − 2 = 4, cut by rule e2."""
        rub = rubric(self.TWO.model_dump(exclude_defaults=True) | {"kind": "earned"})
        path = ledger(tmp_path, {"unit": "甲镇", "rule": "e2", "date": "2020-03-01"},
                      {"unit": "甲镇", "rule": "e2", "date": "2020-06-01", "count": "3"})
        r = score(rub, roster("甲镇"), path)
        assert list(r.ledger["raw"]) == [-2, -6]
        assert list(r.ledger["applied"]) == [-2, -4]
        assert list(r.ledger["capped_by"]) == ["", "e2"]
        assert r.ledger["reason"].iloc[1] == "规则 e2 全年累计加分不超过 6 分"


class TestExceed:
    """“超过规定数量的10%的加1分，超过30%以上，每超过20%加1分”, target 100, read as: the highest tier reached, plus
    ⌊(excess − 30) ÷ 20⌋ × 1 beyond 30% (excess% = (value − 100) ÷ 100 × 100)."""

    CLAUSE = {"kind": "exceed", "id": "x", "text": "超过规定数量的10%的加1分，超过30%以上，每超过20%加1分",
              "target": 100, "tiers": [{"over": 10, "amount": 1}], "then": {"over": 30, "every": 20, "amount": 1}}

    def rule(self, **kw) -> ExceedRule:
        return ExceedRule(**{**self.CLAUSE, "inclusive": True, **kw})

    @pytest.mark.parametrize(("value", "gained"), [
        ("109", 0),     # 9% < 10%
        ("110", 1),     # 10% reaches the tier (inclusive)
        ("129", 1),     # 29%: the tier only
        ("131", 1),     # 31%: ⌊(31 − 30) ÷ 20⌋ = 0 steps, 1 + 0
        ("150", 2),     # 50%: ⌊20 ÷ 20⌋ = 1 step, 1 + 1
        ("171", 3),     # 71%: ⌊41 ÷ 20⌋ = 2 steps, 1 + 2
        ("100", 0), ("80", 0), ("0", 0)])  # at or below the target: nothing, never a deduction
    def test_inclusive(self, value, gained):
        assert amount(self.rule(), f("x", value=D(value))) == -gained

    @pytest.mark.parametrize(("value", "gained"), [
        ("110", 0),     # exactly 10% is not more than 10%
        ("110.01", 1),  # 10.01%
        ("150", 1),     # exactly one step of 20 beyond 30 is not more than it: 1 + 0
        ("150.5", 2),   # 50.5%: 1 + 1
        ("170", 2),     # 70%: two whole steps, the second exact: 1 + 1
        ("171", 3)])
    def test_strict(self, value, gained):
        assert amount(self.rule(inclusive=False), f("x", value=D(value))) == -gained

    def test_target_from_the_row(self):
        """No target in the rule: 要求任务量 40, 数值 52 is 30% over → tier 1, ⌊0 ÷ 20⌋ = 0 → 1; 数值 60 is 50% → 2."""
        rule = self.rule(target=None)
        assert amount(rule, f("x", value=D(52), required=D(40))) == -1
        assert amount(rule, f("x", value=D(60), required=D(40))) == -2
        assert rule.also_uses == ("required",) and self.rule().also_uses == ()

    def test_exact_where_division_is_not(self):
        """Target 3, 数值 3.3 is exactly 10% over (0.3 ÷ 3), which a division in binary floats misses."""
        assert amount(self.rule(target=3), f("x", value=D("3.3"))) == -1

    def test_several_tiers_do_not_add_up(self):
        """超过10%加1分，超过20%加2分: 25% gains 2 (the highest tier), not 3."""
        rule = ExceedRule(kind="exceed", id="x", text="t", target=100, inclusive=True,
                          tiers=[{"over": 10, "amount": 1}, {"over": 20, "amount": 2}])
        assert [amount(rule, f("x", value=D(v))) for v in (105, 115, 125)] == [0, -1, -2]

    def test_declarations(self):
        with pytest.raises(ValueError, match="inclusive"):
            ExceedRule(**self.CLAUSE)  # 超过 may or may not include the bound: the rubric must say
        with pytest.raises(ValueError, match="须给出 tiers（各档）或 then"):
            ExceedRule(kind="exceed", id="x", text="t", target=100, inclusive=True)
        with pytest.raises(ValueError, match="从低到高"):
            self.rule(tiers=[{"over": 20, "amount": 2}, {"over": 10, "amount": 1}])
        with pytest.raises(ValueError, match=r"then\.over（5%）不能低于最高一档的 over（10%）"):
            self.rule(then={"over": 5, "every": 20, "amount": 1})
        with pytest.raises(ValueError, match="greater than 0"):
            self.rule(target=0)

    def test_checks(self):
        assert self.rule().gains()
        assert self.rule().check(f("x", value=D(-1))) == [("value", D(-1), "「数值」应不小于 0")]
        assert self.rule().check(f("x", value=D(120), required=D(90))) == [
            ("required", D(90), "目标数量由细则规定为 100：「要求任务量」应留空")]
        assert self.rule().check(f("x", value=D(120), required=D(100))) == []
        assert self.rule(target=None).check(f("x", value=D(5), required=D(0))) == [
            ("required", D(0), "「要求任务量」（规定数量）应为正数")]

    def test_located_error_without_a_target(self, tmp_path):
        """No target in the rule and none in row 3: located on 要求任务量, row 3."""
        rub = rubric({**self.CLAUSE, "target": None, "inclusive": True})
        path = ledger(tmp_path, {"unit": "甲镇", "rule": "x", "date": "2020-05-01", "value": "120", "required": "100"},
                      {"unit": "乙镇", "rule": "x", "date": "2020-05-01", "value": "120"})
        (p,) = problems(rub, ["甲镇", "乙镇"], path)
        assert (p.file, p.row, p.column, p.value, p.rule, p.message) == (
            str(path), 3, "要求任务量", "", "x", "规则 x 未在细则中规定目标数量：须在「要求任务量」中填写规定数量（正数）")

    def test_latest_row_counts_and_the_cap_cuts(self, tmp_path):
        """Cap 3. 甲镇: 131 in June, then 250 in December: 150% → 1 + ⌊120 ÷ 20⌋ = 7, cut to 3; the June row is
        superseded. 乙镇: 150 → 2."""
        rub = rubric({**self.CLAUSE, "inclusive": True, "cap": 3})
        path = ledger(tmp_path, {"unit": "甲镇", "rule": "x", "date": "2020-06-30", "value": "131"},
                      {"unit": "甲镇", "rule": "x", "date": "2020-12-31", "value": "250"},
                      {"unit": "乙镇", "rule": "x", "date": "2020-12-31", "value": "150"})
        r = score(rub, roster("甲镇", "乙镇"), path).ledger.set_index("evidence_id")
        assert list(r.loc[["E1", "E2", "E3"], "raw"]) == [-1, -7, -2]
        assert list(r.loc[["E1", "E2", "E3"], "applied"]) == [0, -3, -2]
        assert list(r.loc[["E1", "E2", "E3"], "capped_by"]) == ["x", "x", ""]
