"""未…的扣 x 分: a fixed amount, taken once a year however many rows record it."""

from decimal import Decimal
from typing import ClassVar, Literal

from pydantic import Field

from ..numbers import fmt
from . import Finding, Pos, RuleBase, register


class FlatRule(RuleBase):
    """E.g. 未实行好差评扣5分 → ``amount: 5``."""

    kind: Literal["flat"]
    label: ClassVar[str] = "一次性扣分"
    example: ClassVar[dict] = {"id": "1.1.1", "text": "“放管服”改革工作整体推进不力，扣 5 分", "amount": 5}
    amount: Pos = Field(description="扣的分数；同一情形全年只扣一次，记录几条都一样", examples=[5])

    def describe(self) -> str:
        return f"扣 {fmt(self.amount)} 分（一次性，全年只扣一次）"

    def effective_cap(self) -> Decimal:
        # A state, not an event: a second finding of the same state costs nothing more.
        return self.cap if self.cap is not None else self.amount

    def arithmetic(self, finding: Finding, amount: Decimal) -> str:
        return f"一次性扣 {fmt(amount)} 分（同一情形全年只扣一次）"


@register(FlatRule)
def flat(rule: FlatRule, finding: Finding) -> Decimal:
    return rule.amount
