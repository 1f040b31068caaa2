"""The rule kinds of issue 16 (earned, exceed, periodic, discretionary bonuses) and the 完成情况 words they read.

Each amount is worked by hand from the clause quoted above it. Amounts of gains are negative (a deduction of
−2 is 2 points gained).
"""

from datetime import date
from decimal import Decimal as D

import pytest

from kaohe.ledger import parse_row
from kaohe.rules import Finding
from kaohe.rules.task import TaskRule


def f(rule_id="r", **kw) -> Finding:
    return Finding(id="1", unit="u", rule=rule_id, date=date(2020, 6, 30), **kw)


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
