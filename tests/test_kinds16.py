"""The rule kinds of issue 16 (earned, exceed, periodic, discretionary bonuses) and the 完成情况 words they read.

Each amount is worked by hand from the clause quoted above it. Amounts of gains are negative (a deduction of
−2 is 2 points gained).
"""

import csv
import re
from datetime import date
from decimal import Decimal as D
from pathlib import Path

import pandas as pd
import pytest
from openpyxl.utils import get_column_letter

from kaohe import report
from kaohe.assessment import assess
from kaohe.cli import main
from kaohe.comparison import diff
from kaohe.errors import WARNING, InputError
from kaohe.ledger import LABELS, Roster, Unit, load_evidence, load_roster, parse_row
from kaohe.lint import lint
from kaohe.rubric import Rubric, load_rubric
from kaohe.rules import Finding, amount
from kaohe.rules.discretionary import DiscretionaryRule
from kaohe.rules.earned import EarnedRule
from kaohe.rules.exceed import ExceedRule
from kaohe.rules.periodic import PeriodicRule
from kaohe.rules.task import TaskRule
from kaohe.scoring import score
from kaohe.template import workbook
from kaohe.validate import missing_periods


def f(rule_id="r", **kw) -> Finding:
    return Finding(id="1", unit="u", rule=rule_id, date=date(2020, 6, 30), **kw)


def rubric(*rules: dict, points=100) -> Rubric:
    """A one-indicator rubric for 乡镇 over 2020 holding ``rules``, scored by deduction."""
    return parts({"id": "1", "name": "指标一", "points": points, "rules": list(rules)}, points=points)


def earning(*rules: dict, points=100) -> Rubric:
    """A one-part rubric whose part starts at 0 and earns (得分制, ``start: zero``, ``aggregate: sum``)."""
    return parts({"id": "1", "name": "得分项", "points": points, "start": "zero", "rules": list(rules)},
                 points=points, aggregate="sum")


def parts(*indicators: dict, points=100, **top) -> Rubric:
    """A rubric for 乡镇 over 2020 with these ``indicators`` (``top`` adds rubric fields, e.g. aggregate)."""
    return Rubric.model_validate({
        "id": "k16", "version": 1, "title": "测试细则", "applies_to": ["乡镇"], "points": points,
        "source": {"title": "文件", "issuer": "办公室", "doc_no": "〔2020〕1号", "file": "x.txt"},
        "period": {"start": date(2020, 1, 1), "end": date(2020, 12, 31)}, "indicators": list(indicators), **top})


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
        rub = earning(self.FIVE.model_dump(exclude_defaults=True) | {"kind": "earned"}, points=5)
        path = ledger(tmp_path, {"unit": "甲镇", "rule": "e1", "date": "2020-05-01", "status": "部分达到", "points": "6"},
                      {"unit": "乙镇", "rule": "e1", "date": "2020-05-01"})
        got = [(p.file, p.row, p.column, p.value, p.rule, p.message) for p in problems(rub, ["甲镇", "乙镇"], path)]
        assert got == [
            (str(path), 2, "分值/扣分", "6", "e1", "部分达到所得分值应在 0 至 5 分之间"),
            (str(path), 2, "情况说明", "", "e1", "部分达到必须在「情况说明」中写明理由"),
            (str(path), 3, "完成情况", "", "e1", "规则 e1 需要在「完成情况」中填写完成情况（达到/部分达到/未达到）")]

    def test_per_form_capped_when_scored(self, tmp_path):
        """2 + 2 × 3 = 8 earned in the ledger, 6 applied: the second row keeps 6 − 2 = 4, cut by rule e2."""
        rub = earning(self.TWO.model_dump(exclude_defaults=True) | {"kind": "earned"})
        path = ledger(tmp_path, {"unit": "甲镇", "rule": "e2", "date": "2020-03-01"},
                      {"unit": "甲镇", "rule": "e2", "date": "2020-06-01", "count": "3"})
        r = score(rub, roster("甲镇"), path)
        assert list(r.ledger["raw"]) == [-2, -6]
        assert list(r.ledger["applied"]) == [-2, -4]
        assert list(r.ledger["capped_by"]) == ["", "e2"]
        assert r.ledger["reason"].iloc[1] == "规则 e2 全年累计加分不超过 6 分"
        assert r.units.loc[0, "total"] == 6  # the part starts at 0 (start: zero) and earns 6

    def test_points_form_scored(self, tmp_path):
        """A part of 5 starting at 0: 甲镇 达到 → 5; 乙镇 部分达到 3.5 → 3.5; 丙镇 未达到 → 0; a second 达到 row of
        甲镇 earns nothing more (one item a year)."""
        rub = earning(self.FIVE.model_dump(exclude_defaults=True) | {"kind": "earned"}, points=5)
        path = ledger(tmp_path, {"unit": "甲镇", "rule": "e1", "date": "2020-05-01", "status": "完全达到"},
                      {"unit": "甲镇", "rule": "e1", "date": "2020-11-01", "status": "达到"},
                      {"unit": "乙镇", "rule": "e1", "date": "2020-05-01", "status": "部分达到", "points": "3.5",
                       "note": "缺少机构职能"},
                      {"unit": "丙镇", "rule": "e1", "date": "2020-05-01", "status": "未达到"})
        r = score(rub, roster("甲镇", "乙镇", "丙镇"), path)
        assert {u: t for u, t in zip(r.units["unit"], r.units["total"])} == {"甲镇": 5, "乙镇": D("3.5"), "丙镇": 0}
        assert list(r.ledger.set_index("evidence_id").loc[["E1", "E2"], "applied"]) == [-5, 0]


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

    def test_lint_shows_the_reading(self):
        (hint,) = lint(rubric({**self.CLAUSE, "inclusive": True}))
        assert (hint.severity, hint.where) == ("提示", "x（1 指标一）")
        assert hint.message.endswith("超出 10%（含）加 1 分；超出 30% 以后，每满 20% 另加 1 分（不足 20% 的部分不计）；取最新一条记录")

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


PERIODIC_RUBRIC = """\
id: k16-periodic
version: 1
title: 按月考核
source: {title: 文件, issuer: 办公室, doc_no: 〔2020〕1号, file: x.txt}
period: {start: 2020-01-01, end: 2020-12-31}
applies_to: [乡镇]
points: 100
indicators:
  - id: "1"
    name: 信息发布
    points: 100
    rules:
      - {id: m1, kind: periodic, every: month, min: 40, per: 5, text: 每月不低于40条，低于规定标准的，出现一个月扣5分}
"""
#: One figure a month for 甲镇: March (38) and August (12) are below 40; 40 itself is not below.
MONTHLY = [45, 40, 38, 52, 41, 40, 60, 12, 40, 44, 47, 50]


class TestPeriodic:
    """“每月不低于40条，低于规定标准的，出现一个月扣5分” → every: month, min: 40, per: 5."""

    RULE = PeriodicRule(kind="periodic", id="m1", text="每月不低于40条", every="month", min=40, per=5)

    @pytest.fixture
    def rub(self, tmp_path):
        (tmp_path / "rubric.yaml").write_text(PERIODIC_RUBRIC, encoding="utf-8")
        return load_rubric(tmp_path / "rubric.yaml")

    @staticmethod
    def months(unit, values, day=28, skip=()):
        return [{"unit": unit, "rule": "m1", "date": f"2020-{m:02d}-{day}", "value": str(v)}
                for m, v in enumerate(values, start=1) if m not in skip]

    @pytest.mark.parametrize(("value", "cost"), [("39", 5), ("39.5", 5), ("40", 0), ("41", 0), ("0", 5)])
    def test_a_period_below_the_minimum_costs_per(self, value, cost):
        assert amount(self.RULE, f("m1", value=D(value))) == cost

    def test_blank_months_clause(self):
        """“出现发布信息'空白月'的，每个月扣10分” → min: 1, per: 10: 0 costs 10, 1 costs nothing."""
        rule = PeriodicRule(kind="periodic", id="b", text="空白月", every="month", min=1, per=10)
        assert [amount(rule, f("b", value=D(v))) for v in (0, 1)] == [10, 0]

    def test_a_negative_figure_is_refused(self):
        assert self.RULE.check(f("m1", value=D(-1))) == [("value", D(-1), "「数值」应为不小于 0 的数（该月的条数）")]

    def test_a_monthly_target_missed_in_two_months(self, rub, tmp_path):
        """12 months, March (38) and August (12) below 40: 2 × 5 = 10, total 100 − 10 = 90; 乙镇 never below: 100."""
        path = ledger(tmp_path, *self.months("甲镇", MONTHLY), *self.months("乙镇", [40] * 12))
        r = score(rub, roster("甲镇", "乙镇"), path)
        assert {u: t for u, t in zip(r.units["unit"], r.units["total"])} == {"乙镇": 100, "甲镇": 90}
        costs = r.ledger[(r.ledger["unit"] == "甲镇") & (r.ledger["applied"] != 0)]
        assert list(costs["date"].map(str)) == ["2020-03-28", "2020-08-28"]
        assert list(costs["applied"]) == [5, 5]

    def test_two_rows_in_one_month_are_a_located_error(self, rub, tmp_path):
        """March recorded twice (rows 4 and 14 of the CSV): the later row is named, with the first."""
        rows = [*self.months("甲镇", MONTHLY), {"unit": "甲镇", "rule": "m1", "date": "2020-03-31", "value": "41"}]
        path = ledger(tmp_path, *rows)
        (p,) = problems(rub, ["甲镇"], path)
        assert (p.file, p.row, p.column, p.value, p.rule, p.code) == (
            str(path), 14, "日期", "2020-03-31", "m1", "duplicate_period")
        assert p.message == ("甲镇 在 2020年3月 已有规则 m1 的记录（第 4 行，编号 E3）：每月只能有一条记录，"
                             "请合并为一条或更正日期")

    def test_the_same_month_of_another_unit_is_no_duplicate(self, rub, tmp_path):
        path = ledger(tmp_path, *self.months("甲镇", MONTHLY), *self.months("乙镇", MONTHLY))
        assert len(score(rub, roster("甲镇", "乙镇"), path).ledger) == 24

    def test_missing_months_are_a_warning(self, rub, tmp_path):
        """甲镇 has no row for March and July: a warning naming both; 乙镇 none at all; 丙镇 every month."""
        path = ledger(tmp_path, *self.months("甲镇", MONTHLY, skip=(3, 7)), *self.months("丙镇", MONTHLY))
        (tmp_path / "名单.csv").write_text("单位,类别\n甲镇,乡镇\n乙镇,乡镇\n丙镇,乡镇\n", encoding="utf-8")
        ros, ev = load_roster(tmp_path / "名单.csv"), load_evidence(path)
        got = missing_periods([rub], ros, ev)
        assert [(p.file, p.row, p.column, p.value, p.rule, p.severity, p.message) for p in got] == [
            (str(tmp_path / "名单.csv"), 2, "单位", "甲镇", "m1", WARNING,
             "规则 m1（每月不低于 40 条）缺少 2020年3月、2020年7月 的记录：这些月份未计分"),
            (str(tmp_path / "名单.csv"), 3, "单位", "乙镇", "m1", WARNING,
             "规则 m1（每月不低于 40 条）缺少 2020年1月 至 2020年12月 全部 12 个月的记录：这些月份未计分")]
        # a warning stops nothing: 甲镇 loses 5 for August (12) only, its March having no row; 丙镇 loses 10
        r = score(rub, ros, ev)
        assert {u: t for u, t in zip(r.units["unit"], r.units["total"])} == {"乙镇": 100, "甲镇": 95, "丙镇": 90}

    def test_no_warning_under_a_module_not_applicable(self, tmp_path):
        """Module 1 holds the monthly rule and does not apply to 甲镇 (不适用 1): only 乙镇 is warned of."""
        rub = parts({"id": "1", "name": "信息发布", "points": 60, "optional": True, "rules": [TestPeriodic.RULE.model_dump()]},
                    {"id": "2", "name": "其他", "points": 40, "rules": [{"kind": "flat", "id": "f", "text": "t", "amount": 1}]},
                    aggregate="sum")
        (tmp_path / "名单.csv").write_text("单位,类别,不适用\n甲镇,乡镇,1\n乙镇,乡镇,\n", encoding="utf-8")
        got = missing_periods([rub], load_roster(tmp_path / "名单.csv"), load_evidence(ledger(tmp_path)))
        assert [p.value for p in got] == ["乙镇"]

    def test_only_periods_ended_by_as_of_are_due(self, rub, tmp_path):
        """Scored as of 2020-06-30: only January to June are due; 甲镇 lacks March."""
        path = ledger(tmp_path, *self.months("甲镇", MONTHLY[:6], skip=(3,)))
        (tmp_path / "名单.csv").write_text("单位,类别\n甲镇,乡镇\n", encoding="utf-8")
        (p,) = missing_periods([rub], load_roster(tmp_path / "名单.csv"), load_evidence(path), date(2020, 6, 30))
        assert "缺少 2020年3月 的记录" in p.message
        assert missing_periods([rub], load_roster(tmp_path / "名单.csv"), load_evidence(path), date(2020, 2, 29)) == []

    def test_kaohe_validate_shows_the_warning_and_passes(self, tmp_path, caplog, capsys):
        (tmp_path / "rubric.yaml").write_text(PERIODIC_RUBRIC, encoding="utf-8")
        (tmp_path / "名单.csv").write_text("单位,类别\n甲镇,乡镇\n", encoding="utf-8")
        path = ledger(tmp_path, *self.months("甲镇", MONTHLY, skip=(12,)))
        code = main(["validate", "--rubric", str(tmp_path / "rubric.yaml"), "--roster", str(tmp_path / "名单.csv"),
                     "--evidence", str(path)])
        assert code == 0
        assert capsys.readouterr().out.startswith("校验通过：1 个单位，11 条台账记录")
        assert [r.getMessage() for r in caplog.records if r.name == "kaohe"] == [
            f"警告 文件 {tmp_path / '名单.csv'}，第 2 行，「单位」列，值 '甲镇'，规则 m1："
            "规则 m1（每月不低于 40 条）缺少 2020年12月 的记录：这些月份未计分 [missing_period]"]

    def test_quarters(self, tmp_path):
        """每季度不低于 1 篇: rows on 04-01 and 06-30 are both the second quarter's (a located error); 03-31 is the
        first's."""
        rule = {"kind": "periodic", "id": "q", "text": "t", "every": "quarter", "min": 1, "per": 10, "unit": "篇"}
        assert PeriodicRule(**rule).describe() == (
            "每季度不低于 1 篇：每季度一条记录（「日期」在该季度内，「数值」为该季度的篇数），低于 1 篇的，每出现一个季度扣 10 分")
        path = ledger(tmp_path, *({"unit": "甲镇", "rule": "q", "date": d, "value": "0"}
                                  for d in ("2020-03-31", "2020-04-01", "2020-06-30")))
        (p,) = problems(rubric(rule), ["甲镇"], path)
        assert (p.row, p.value, p.message) == (4, "2020-06-30", "甲镇 在 2020年第2季度 已有规则 q 的记录（第 3 行，编号 E2）："
                                                               "每季度只能有一条记录，请合并为一条或更正日期")


class TestDiscretionaryBonus:
    """“视情加1-3分” → discretionary with ``bonus: true``: the ledger's 分值 within [1, 3], a reason required."""

    RULE = {"kind": "discretionary", "id": "b1", "text": "工作创新的，视情加1-3分", "min": 1, "max": 3, "bonus": True}
    DEDUCT = {"kind": "per_count", "id": "d1", "text": "每次扣1分", "per": 1}

    def test_describe_and_gains(self):
        rule = DiscretionaryRule(**self.RULE)
        assert rule.describe() == "视情况加 1–3 分（由台账给出分值与理由）"
        assert rule.gains() and not DiscretionaryRule(**{**self.RULE, "bonus": False}).gains()
        assert amount(rule, f("b1", points=D("2.5"), note="理由")) == D("-2.5")

    def test_within_the_range_adds(self, tmp_path):
        """d1 每次扣1分 × 3 = 3 deducted, b1 adds 2: 100 − 3 + 2 = 99."""
        path = ledger(tmp_path, {"unit": "甲镇", "rule": "d1", "date": "2020-03-01", "count": "3"},
                      {"unit": "甲镇", "rule": "b1", "date": "2020-09-01", "points": "2", "note": "政务公开工作创新"})
        r = score(rubric(self.DEDUCT, self.RULE), roster("甲镇"), path)
        assert list(r.ledger["applied"]) == [3, -2]
        assert r.units.loc[0, "total"] == 99

    def test_one_judgement_a_year(self, tmp_path):
        """2 then 2 recorded: the rule's cap is its maximum, 3, so the second adds 1 (cut by b1)."""
        path = ledger(tmp_path, {"unit": "甲镇", "rule": "d1", "date": "2020-03-01", "count": "5"},
                      {"unit": "甲镇", "rule": "b1", "date": "2020-05-01", "points": "2", "note": "a"},
                      {"unit": "甲镇", "rule": "b1", "date": "2020-09-01", "points": "2", "note": "b"})
        r = score(rubric(self.DEDUCT, self.RULE), roster("甲镇"), path)
        assert list(r.ledger["applied"]) == [5, -2, -1]
        assert r.units.loc[0, "total"] == 98

    def test_outside_the_range_or_without_a_reason_is_a_located_error(self, tmp_path):
        path = ledger(tmp_path, {"unit": "甲镇", "rule": "b1", "date": "2020-05-01", "points": "3.5", "note": "a"},
                      {"unit": "甲镇", "rule": "b1", "date": "2020-09-01", "points": "0.5", "note": "b"},
                      {"unit": "乙镇", "rule": "b1", "date": "2020-09-01", "points": "2"})
        got = [(p.row, p.column, p.value, p.rule, p.message) for p in problems(rubric(self.RULE), ["甲镇", "乙镇"], path)]
        assert got == [(2, "分值/扣分", "3.5", "b1", "酌情加分应在 1 至 3 分之间"),
                       (3, "分值/扣分", "0.5", "b1", "酌情加分应在 1 至 3 分之间"),
                       (4, "情况说明", "", "b1", "酌情加分必须在「情况说明」中写明理由")]


def table_rows(html: str) -> list[list[str]]:
    """The body rows of every table in ``html``, as cell texts."""
    return [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", html)
            if "<td" in row]


class TestUnitPeriods:
    """The unit report's table of periods: every month of the period, 无记录 where the ledger has none."""

    @pytest.fixture
    def project(self, tmp_path):
        (tmp_path / "params").mkdir()
        (tmp_path / "rubric.yaml").write_text(PERIODIC_RUBRIC, encoding="utf-8")
        (tmp_path / "名单.csv").write_text("单位,类别\n甲镇,乡镇\n", encoding="utf-8")
        ledger(tmp_path, *TestPeriodic.months("甲镇", MONTHLY, skip=(7,)))
        (tmp_path / "params" / "run.yaml").write_text(
            "name: k16\nyear: 2020\ntitle: 测试\nrubrics: [../rubric.yaml]\nroster: ../名单.csv\nevidence: [../台账.csv]\n",
            encoding="utf-8")
        return tmp_path / "params" / "run.yaml"

    def test_every_month_with_its_figure_standard_and_deduction(self, project):
        """March (38) and August (12) cost 5 each; July has no row: 无记录, nothing deducted; total 10."""
        a = assess(project)
        html = str(report.unit_periods(a, "甲镇"))
        assert "<h3>按月（季度）考核的记录</h3>" in html and "每月不低于40条" in html
        rows = table_rows(html)
        assert len(rows) == 13
        assert rows[2] == ["2020年3月", "38", "不低于 40 条", "5", "E3"]
        assert rows[1] == ["2020年2月", "40", "不低于 40 条", "0", "E2"]
        assert rows[6] == ["2020年7月", "无记录", "不低于 40 条", "", ""]
        assert rows[7] == ["2020年8月", "12", "不低于 40 条", "5", "E7"]
        assert rows[12] == ["<strong>合计</strong>", "", "", "10", ""]
        assert "1 个月无记录：这些月份未计分（校验时已提示）。" in html
        assert str(report.unit_periods(a.slice("甲镇"), "甲镇")) == html  # a unit's report reads its slice

    def test_up_to_the_scoring_day(self, project):
        """As of 2020-03-31: January to March only, nothing missing."""
        rows = table_rows(str(report.unit_periods(assess(project, as_of="2020-03-31"), "甲镇")))
        assert [r[0] for r in rows] == ["2020年1月", "2020年2月", "2020年3月", "<strong>合计</strong>"]
        assert rows[-1][3] == "5"

    def test_nothing_without_periodic_rules(self):
        a = assess(Path(__file__).resolve().parents[1] / "params" / "hengnan-2020.yaml")
        assert str(report.unit_periods(a, a.units[0])) == ""


class TestTemplateAndComparison:
    """The ledger template asks for the columns each new kind reads; a comparison names their fields in Chinese."""

    EARNED = {"kind": "earned", "id": "e1", "text": "内容全面规范5分", "points": 5}
    PER = {"kind": "earned", "id": "e2", "text": "一项可得2分", "per": 2, "cap": 6}
    EXCEED = {"kind": "exceed", "id": "x", "text": "超过规定数量的10%的加1分", "tiers": [{"over": 10, "amount": 1}],
              "inclusive": True}
    MONTHLY = {"kind": "periodic", "id": "m1", "text": "每月不低于40条", "every": "month", "min": 40, "per": 5}

    def test_columns_and_what_each_rule_needs(self):
        rub = parts({"id": "1", "name": "得分", "points": 20, "start": "zero", "rules": [self.EARNED, self.PER, self.EXCEED]},
                    {"id": "2", "name": "扣分", "points": 80, "rules": [self.MONTHLY]}, aggregate="sum")
        wb = workbook(rub, Roster([Unit("甲镇", "乡镇")]))
        header = [c.value for c in wb["台账"][1]]
        assert header[-2:] == ["要求任务量", "完成情况"] and "完成任务量" not in header  # no task: no 完成任务量
        needs = {r[0]: r[5] for r in wb["规则"].iter_rows(min_row=2, values_only=True)}
        assert needs == {"e1": "完成情况、分值/扣分、情况说明", "e2": "次数/数量", "x": "数值、要求任务量", "m1": "数值"}
        letter = get_column_letter(len(header))  # 完成情况, the last column
        status = {str(dv.sqref): dv for dv in wb["台账"].data_validations.dataValidation}[f"{letter}2:{letter}5001"]
        assert (status.formula1, status.error) == ('"达到,部分达到,未达到"', "请选择 达到、部分达到 或 未达到")
        assert "每个单位每月（季度）一条" in "\n".join(str(c.value) for c in wb["填写说明"]["A"])

    def test_a_target_in_the_rule_needs_no_column(self):
        wb = workbook(rubric({**self.EXCEED, "target": 100}), Roster([Unit("甲镇", "乡镇")]))
        assert "要求任务量" not in [c.value for c in wb["台账"][1]]

    def test_compare_labels(self):
        then = {"over": 30, "every": 20, "amount": 1}
        a = rubric({**self.EXCEED, "then": then}, self.MONTHLY)
        b = rubric({**self.EXCEED, "then": {**then, "every": 10}, "inclusive": False}, {**self.MONTHLY, "every": "quarter"})
        got = [tuple(x) for x in diff(a, b)[["id_a", "label", "a", "b"]].itertuples(index=False)]
        assert got == [("x", "超出后逐步加分.每步（%）", "20", "10"), ("x", "含边界值", "是", "否"),
                       ("m1", "考核周期", "每月", "每季度")]
