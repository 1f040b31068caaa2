"""低于 r%，每下降 1 个百分点扣 x 分: how a part of a step counts is declared per rule."""

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import ClassVar, Literal

from pydantic import Field

from ..numbers import fmt, round_half_up
from . import Finding, NonNeg, Pos, RuleBase, fraction_check, num, register

ROUNDING_TEXT = {
    "proportional": "按比例折算（不足 1 个百分点按实际比例扣分）",
    "whole_steps_down": "按整步计（不足 1 个百分点的部分不扣）",
    "whole_steps_up": "按整步计（不足 1 个百分点按 1 个百分点扣）",
}


class RateShortfallRule(RuleBase):
    """E.g. 接通率低于 98%，每下降 1 个百分点，扣 0.5 分 → ``target: 98, step: 1, per: 0.5``.

    ``rounding`` has no default on purpose: the clause does not say whether 97.5% is half a
    step, a whole step or none, so each rubric must say which reading it takes.
    """

    kind: Literal["rate_shortfall"]
    label: ClassVar[str] = "比率低于目标扣分"
    example: ClassVar[dict] = {"id": "5.1", "text": "接通率低于 98%，每下降 1 个百分点，扣 0.5 分", "target": 98, "per": 0.5,
                               "rounding": "whole_steps_down"}
    target: NonNeg = Field(description="目标比率（百分数）：台账「数值」低于它时扣分", examples=[98])
    step: Pos = Field(default=Decimal(1), description="每下降多少个百分点算一步（“每下降 1 个百分点”的 1）", examples=[1])
    per: Pos = Field(description="每一步扣的分数", examples=[0.5])
    rounding: Literal["proportional", "whole_steps_down", "whole_steps_up"] = Field(
        description="不足一步的部分怎么算（原文多未写明，须由细则选定）：proportional 按比例折算；"
                    "whole_steps_down 不足一步不扣；whole_steps_up 不足一步按一步扣", examples=["whole_steps_down"])
    decimals: int = Field(default=2, ge=0, le=4, description="按比例折算时保留的小数位（四舍五入）")
    uses: ClassVar[str] = "value"
    measurement: ClassVar[bool] = True

    def describe(self) -> str:
        return (f"低于 {fmt(self.target)}% 时，每下降 {fmt(self.step)} 个百分点扣 {fmt(self.per)} 分；"
                f"{ROUNDING_TEXT[self.rounding]}")

    def check(self, finding: Finding):
        v = finding.value
        if v is not None and not (0 <= v <= 100):
            return [("value", v, "百分率应在 0 至 100 之间（96.5、96.5% 均表示 96.5%）")]
        return fraction_check(v)

    @property
    def value_unit(self) -> str:
        return "%"

    def arithmetic(self, finding: Finding, amount: Decimal) -> str:
        """E.g. (98% − 92%) ÷ 1 × 0.5 = 3; a part of a step as the rubric's ``rounding`` takes it."""
        v, t = fmt(finding.value), fmt(self.target)
        if finding.value >= self.target:
            return f"{v}% 不低于 {t}%，不扣分"
        gap = f"({t}% − {v}%) ÷ {fmt(self.step)}"
        steps = (self.target - finding.value) / self.step
        if self.rounding == "proportional":
            exact = steps * self.per
            said = f"= {fmt(amount)}" if exact == amount else f"≈ {fmt(amount)}（四舍五入到 {self.decimals} 位小数）"
            return f"{gap} × {fmt(self.per)} {said}"
        if steps == steps.to_integral_value():
            return f"{gap} × {fmt(self.per)} = {fmt(amount)}"
        whole = amount / self.per
        how = "不足 1 步的部分不扣" if self.rounding == "whole_steps_down" else "不足 1 步按 1 步扣"
        return f"{gap} = {num(steps)} 步，{how}：{fmt(whole)} 步 × {fmt(self.per)} = {fmt(amount)}"


@register(RateShortfallRule)
def rate_shortfall(rule: RateShortfallRule, finding: Finding) -> Decimal:
    """Amount from the measured value.

    >>> r = dict(kind="rate_shortfall", id="r", text="t", target=98, per=0.5)
    >>> f = Finding("1", "u", "r", None, value=Decimal("96.5"))
    >>> [rate_shortfall(RateShortfallRule(rounding=m, **r), f) for m in
    ...  ("proportional", "whole_steps_down", "whole_steps_up")]
    [Decimal('0.75'), Decimal('0.5'), Decimal('1.0')]
    """
    gap = rule.target - finding.value
    if gap <= 0:
        return Decimal(0)
    steps = gap / rule.step
    if rule.rounding == "proportional":
        return round_half_up(steps * rule.per, rule.decimals)
    mode = ROUND_FLOOR if rule.rounding == "whole_steps_down" else ROUND_CEILING
    return steps.to_integral_value(rounding=mode) * rule.per
