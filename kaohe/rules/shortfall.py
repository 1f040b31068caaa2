"""低于 N 项，每少一项扣 x 分: the evidence gives the number actually reached."""

from decimal import Decimal
from typing import ClassVar, Literal

from pydantic import Field

from ..numbers import fmt
from . import Finding, NonNeg, Pos, RuleBase, register


class ShortfallRule(RuleBase):
    """E.g. 乡镇（街道）可办事项低于61项…每少一项扣0.1分 → ``target: 61, per: 0.1``."""

    kind: Literal["shortfall"]
    label: ClassVar[str] = "低于目标扣分"
    example: ClassVar[dict] = {"id": "1.1.1b", "text": "随机抽取一个村（社区）可办事项低于44项，每少一项扣0.1分", "target": 44, "per": 0.1}
    target: NonNeg = Field(description="应达到的数量：台账「数值」（实际数量）每少一个扣 per 分", examples=[44])
    per: Pos = Field(description="每少一个扣的分数", examples=[0.1])
    unit: str = Field(default="项", description="数量的单位（项、个、条），只用于说明文字")
    uses: ClassVar[str] = "value"
    measurement: ClassVar[bool] = True

    def describe(self) -> str:
        return f"低于 {fmt(self.target)} {self.unit}时，每少一{self.unit}扣 {fmt(self.per)} 分"

    def check(self, finding: Finding):
        v = finding.value
        if v is not None and (v < 0 or v != v.to_integral_value()):
            return [("value", v, f"应为不小于 0 的整数（{self.unit}数）")]
        return []

    @property
    def value_unit(self) -> str:
        return f" {self.unit}"

    def arithmetic(self, finding: Finding, amount: Decimal) -> str:
        """E.g. (61 − 55) 项 × 0.1 分 = 0.6."""
        u, v, t = self.unit, fmt(finding.value), fmt(self.target)
        if finding.value >= self.target:
            return f"{v} {u}不低于 {t} {u}，不扣分"
        return f"({t} − {v}) {u} × {fmt(self.per)} 分 = {fmt(amount)}"


@register(ShortfallRule)
def shortfall(rule: ShortfallRule, finding: Finding) -> Decimal:
    """Amount from the measured value.

    >>> r = ShortfallRule(kind="shortfall", id="r", text="t", target=61, per=0.1)
    >>> shortfall(r, Finding("1", "u", "r", None, value=Decimal(55)))
    Decimal('0.6')
    """
    return max(Decimal(0), rule.target - finding.value) * rule.per
