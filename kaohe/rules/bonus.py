"""加分: 每件次加 x 分 (``per``) or 加 x 分 once (``amount``); amounts are negative deductions."""

from decimal import Decimal
from typing import ClassVar, Literal

from pydantic import Field, model_validator

from ..numbers import fmt
from . import Finding, Pos, RuleBase, register


class BonusRule(RuleBase):
    """E.g. 每件次加0.5分,累计不超过2分 → ``per: 0.5, cap: 2``; 没有出现扣分的…加2分 → ``amount: 2``.

    ``cap`` bounds the year's bonus; a score never rises above its node's points.
    """

    kind: Literal["bonus"]
    label: ClassVar[str] = "加分"
    example: ClassVar[dict] = {"id": "A5.4a", "text": "本单位主要负责同志出席新闻发布会,每件次加0.5分,累计不超过1分", "per": 0.5, "cap": 1}
    per: Pos | None = Field(default=None, examples=[0.5], description="每件次加的分数，按台账「次数/数量」累计（与 amount 二选一）")
    amount: Pos | None = Field(default=None, examples=[2], description="一次性加的分数（“没有出现扣分的…加2分”；与 per 二选一）")
    uses: ClassVar[str] = "count"

    @model_validator(mode="after")
    def _one_of(self):
        if (self.per is None) == (self.amount is None):
            raise ValueError("加分规则须给出 per（每次）或 amount（一次性）之一")
        return self

    def describe(self) -> str:
        if self.per is not None:
            return f"每件次加 {fmt(self.per)} 分" + (f"，累计不超过 {fmt(self.cap)} 分" if self.cap is not None else "")
        return f"加 {fmt(self.amount)} 分（一次性）"

    def effective_cap(self) -> Decimal | None:
        return self.cap if self.cap is not None or self.amount is None else self.amount

    def gains(self) -> bool:
        return True

    def arithmetic(self, finding: Finding, amount: Decimal) -> str:
        """E.g. 2 次 × 0.5 分 = 加 1; 一次性加 2 分."""
        if self.per is None:
            return f"一次性加 {fmt(-amount)} 分"
        times = f"{finding.count} 次" if finding.count else "1 次（次数空白按 1 次）"
        return f"{times} × {fmt(self.per)} 分 = 加 {fmt(-amount)}"


@register(BonusRule)
def bonus(rule: BonusRule, finding: Finding) -> Decimal:
    return -(rule.per * (finding.count or 1) if rule.per is not None else rule.amount)
