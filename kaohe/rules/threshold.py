"""低于 N 扣 x 分: a fixed amount when the measured value is strictly below the bound."""

from decimal import Decimal
from typing import ClassVar, Literal

from pydantic import Field

from ..numbers import fmt
from . import Finding, NonNeg, Pos, RuleBase, fraction_check, register


class ThresholdRule(RuleBase):
    """E.g. 年度办件量低于500扣2分 → ``below: 500, amount: 2`` (500 itself costs nothing)."""

    kind: Literal["threshold"]
    label: ClassVar[str] = "低于限值扣分"
    example: ClassVar[dict] = {"id": "1.1.3", "text": "年度办件量低于500扣2分", "below": 500, "amount": 2}
    below: NonNeg = Field(description="限值：台账「数值」低于它（不含）时扣分", examples=[500])
    amount: Pos = Field(description="低于限值时扣的分数", examples=[2])
    percent: bool = Field(default=False, description="true：「数值」是百分率（“评价率低于 80%”），应在 0 至 100 之间")
    uses: ClassVar[str] = "value"
    measurement: ClassVar[bool] = True

    def describe(self) -> str:
        unit = "%" if self.percent else ""
        return f"低于 {fmt(self.below)}{unit} 扣 {fmt(self.amount)} 分（等于 {fmt(self.below)}{unit} 不扣）"

    def check(self, finding: Finding):
        v = finding.value
        if v is not None and (v < 0 or (self.percent and v > 100)):
            return [("value", v, "百分率应在 0 至 100 之间" if self.percent else "应不小于 0")]
        return fraction_check(v) if self.percent else []

    @property
    def value_unit(self) -> str:
        return "%" if self.percent else ""

    def arithmetic(self, finding: Finding, amount: Decimal) -> str:
        """E.g. 75% 低于 80%，扣 1 分; 80% 不低于 80%，不扣分."""
        unit = "%" if self.percent else ""
        v, b = f"{fmt(finding.value)}{unit}", f"{fmt(self.below)}{unit}"
        return f"{v} 低于 {b}，扣 {fmt(amount)} 分" if amount else f"{v} 不低于 {b}，不扣分"


@register(ThresholdRule)
def threshold(rule: ThresholdRule, finding: Finding) -> Decimal:
    return rule.amount if finding.value < rule.below else Decimal(0)
