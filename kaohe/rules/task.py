"""A task scored by completion: 按时按量完成…按标准计分,逾期完成…按比例计分,未启动的计零分."""

from decimal import Decimal
from typing import ClassVar, Literal

from ..numbers import fmt
from . import Finding, RuleBase, num, register, status_check

#: 完成情况 of a task as kaohe.ledger.STATUSES reads it (按时完成 → 按时).
TASK_STATUSES = ("按时", "逾期", "未启动")


class TaskRule(RuleBase):
    """E.g. 衡阳 2018 计分标准 3 → one ledger row per task: 分值/扣分 is the task's standard points,
    完成情况 按时/逾期/未启动, and 要求任务量 / 完成任务量 where the amount falls short.

    A task's score is its points × min(完成 ÷ 要求, 1) (the whole points when no amounts are given and
    it was done on time), 0 when not started. The node's score is the sum of its tasks.
    """

    kind: Literal["task"]
    label: ClassVar[str] = "按任务计分"
    example: ClassVar[dict] = {"id": "1.2", "text": "按時按量完成或超額完成任務按標準計分,逾期完成任務的,按完成任務量(或完成時間)與要求任務量"
                                                   "(或要求時間)比例計分,未啟動的計零分"}
    uses: ClassVar[str] = "status"
    also_uses: ClassVar[tuple[str, ...]] = ("points", "required", "done")
    statuses: ClassVar[tuple[str, ...]] = ("按时完成", "逾期完成", "未启动")

    def describe(self) -> str:
        return "按任务计分：按时按量完成得该任务分值，逾期或未完成按 完成量 ÷ 要求量 比例计分，未启动计 0 分；本项得分为各任务得分之和"

    def check(self, finding: Finding):
        out = status_check(finding.status, TASK_STATUSES, self.statuses, "按任务计分")  # not 达到 (earned)
        if finding.points is None or finding.points <= 0:
            out.append(("points", finding.points if finding.points is not None else "", "任务须在「分值/扣分」中给出该任务的标准分值（正数）"))
        if finding.status == "逾期" and (finding.required is None or finding.done is None):
            out.append(("required", finding.required if finding.required is not None else "",
                        "逾期完成的任务须填写「要求任务量」和「完成任务量」，按比例计分"))
        if finding.required is not None and finding.required <= 0:
            out.append(("required", finding.required, "「要求任务量」应为正数"))
        return out

    def score_of(self, finding: Finding) -> Decimal | None:
        """Points × min(done ÷ required, 1); 0 when not started.

        >>> from datetime import date
        >>> r = TaskRule(kind="task", id="t", text="t")
        >>> row = Finding("1", "u", "t", date(2018, 5, 1), points=Decimal(10), status="逾期", required=Decimal(8), done=Decimal(6))
        >>> r.score_of(row) == Decimal("7.5")
        True
        """
        if finding.status == "未启动" or finding.points is None:
            return Decimal(0)
        if finding.required and finding.done is not None:
            return finding.points * min(finding.done / finding.required, Decimal(1))
        return finding.points

    def explain(self, finding: Finding) -> str:
        s = self.score_of(finding)
        if finding.status == "未启动":
            return "未启动，计 0 分"
        if finding.required and finding.done is not None:
            return f"{finding.status}：完成 {fmt(finding.done)} / 要求 {fmt(finding.required)}，得 {fmt(s)} 分"
        return f"{finding.status}完成，得标准分 {fmt(s)} 分"

    def arithmetic(self, finding: Finding, amount: Decimal) -> str:
        """E.g. 逾期完成：10 分 × 6 ÷ 8 = 7.5 分."""
        s = self.score_of(finding)
        if finding.status == "未启动":
            return "未启动，计 0 分，不扣分"
        if finding.required and finding.done is not None:
            capped = "（完成量超过要求量按 1 计）" if finding.done > finding.required else ""
            return (f"{finding.status}完成：{fmt(finding.points)} 分 × {fmt(finding.done)} ÷ {fmt(finding.required)}"
                    f"{capped} = {num(s)} 分，不扣分")
        return f"{finding.status}完成，得标准分 {fmt(s)} 分，不扣分"


@register(TaskRule)
def task(rule: TaskRule, finding: Finding) -> Decimal:
    return Decimal(0)
