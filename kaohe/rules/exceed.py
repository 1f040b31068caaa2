"""超过规定数量的10%的加1分，超过30%以上，每超过20%加1分: a bonus for exceeding a target.

The excess is (数值 − target) ÷ target × 100 percent; the target is the rule's ``target`` or, when the rule
has none, the row's 要求任务量. A measurement: the latest row of a unit counts.

Reading of the clause (the document does not say how its two sentences combine): the amount is the amount
of the **highest tier reached** (tiers do not add up), plus, beyond ``then.over``, ``then.amount`` for each
**whole** ``then.every`` of excess: tier + ⌊(excess − then.over) ÷ every⌋ × amount. With target 100, tiers
``[{over: 10, amount: 1}]``, ``then: {over: 30, every: 20, amount: 1}``, inclusive: 109 → 0, 110 → 1,
129 → 1, 131 → 1 (1% beyond 30% is no whole step), 150 → 2, 171 → 3. ``inclusive`` (required: 超过 may or may
not include the bound) says whether reaching a bound exactly counts, for the tiers and for each whole step.
"""

from decimal import Decimal
from itertools import pairwise
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..numbers import fmt
from . import Finding, NonNeg, Pos, RuleBase, num, register


class Tier(BaseModel):
    """Excess of ``over`` percent (or more) gives ``amount``."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="超额加分的一档",
                              json_schema_extra={"description": "超出目标 over% 时加 amount 分"})
    over: NonNeg = Field(description="超出目标的百分比（“超过10%”的 10）", examples=[10])
    amount: Pos = Field(description="达到这一档加的分数", examples=[1])


class Steps(BaseModel):
    """Beyond ``over`` percent, each whole ``every`` percent of excess gives ``amount``."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="超额以后每超过若干加分",
                              json_schema_extra={"description": "超出 over% 以后，每多超出 every% 加 amount 分"})
    over: NonNeg = Field(description="从超出多少百分比以后开始（“超过30%以上”的 30）", examples=[30])
    every: Pos = Field(description="每多超出多少百分比（“每超过20%”的 20）", examples=[20])
    amount: Pos = Field(description="每多超出一个 every 加的分数", examples=[1])


class ExceedRule(RuleBase):
    """E.g. 超过规定数量的10%的加1分，超过30%以上，每超过20%加1分 → ``target: 100, tiers: [{over: 10, amount: 1}],
    then: {over: 30, every: 20, amount: 1}, inclusive: true``."""

    kind: Literal["exceed"]
    label: ClassVar[str] = "超出目标加分"
    example: ClassVar[dict] = {"id": "3.2", "text": "政务新媒体全年发布原创信息超出规定数量（200条）10%的加1分，超出30%以上的，"
                                                   "每多超出20%加1分，本项最高加5分", "cap": 5, "target": 200,
                               "tiers": [{"over": 10, "amount": 1}], "then": {"over": 30, "every": 20, "amount": 1},
                               "inclusive": True}
    target: Pos | None = Field(default=None, examples=[200],
                               description="规定数量（目标）；不写时由台账「要求任务量」给出。超出比例 =（数值 − 目标）÷ 目标")
    tiers: list[Tier] = Field(default_factory=list, description="各档：超出 over% 加 amount 分，取所达到的最高一档（不累加）")
    then: Steps | None = Field(default=None, description="超出 over% 以后，每多超出 every% 另加 amount 分")
    inclusive: bool = Field(description="恰好达到界限算不算（原文“超过”两可，须写明）：true 算（超出 10% 即加分），false 须严格超过",
                            examples=[True])
    uses: ClassVar[str] = "value"
    measurement: ClassVar[bool] = True

    @model_validator(mode="after")
    def _shape(self):
        if not self.tiers and self.then is None:
            raise ValueError("超额加分规则须给出 tiers（各档）或 then（每超过若干加分）")
        overs = [t.over for t in self.tiers]
        if any(a >= b for a, b in pairwise(overs)):
            raise ValueError("tiers 的 over 须从低到高排列且不重复")
        if self.then is not None and overs and self.then.over < overs[-1]:
            raise ValueError(f"then.over（{fmt(self.then.over)}%）不能低于最高一档的 over（{fmt(overs[-1])}%）")
        return self

    @property
    def also_uses(self) -> tuple[str, ...]:
        return () if self.target is not None else ("required",)

    def gains(self) -> bool:
        return True

    def describe(self) -> str:
        target = f"目标（{fmt(self.target)}）" if self.target is not None else "目标（台账「要求任务量」）"
        bound = "（含）" if self.inclusive else "（不含）"
        parts = []
        if self.tiers:
            tiers = "、".join(f"超出 {fmt(t.over)}%{bound}加 {fmt(t.amount)} 分" for t in self.tiers)
            parts.append(tiers + ("（取所达最高一档，不累加）" if len(self.tiers) > 1 else ""))
        if self.then is not None:
            t = self.then
            e = fmt(t.every)
            each = "每满" if self.inclusive else "每超过"
            exact = "" if self.inclusive else f"，恰为 {e}% 的整倍数时最后的 {e}% 不计"
            parts.append(f"超出 {fmt(t.over)}% 以后，{each} {e}% {'另' if self.tiers else ''}加 {fmt(t.amount)} 分"
                         f"（不足 {e}% 的部分不计{exact}）")
        if self.cap is not None:
            parts.append(f"全年至多加 {fmt(self.cap)} 分")
        return (f"按「数值」超出{target}的比例加分，超出比例 =（数值 − 目标）÷ 目标 × 100%："
                + "；".join(parts) + "；取最新一条记录")

    def check(self, finding: Finding):
        out = []
        if finding.value is not None and finding.value < 0:
            out.append(("value", finding.value, "「数值」应不小于 0"))
        r = finding.required
        if self.target is None and r is None:
            out.append(("required", "", f"规则 {self.id} 未在细则中规定目标数量：须在「要求任务量」中填写规定数量（正数）"))
        elif self.target is None and r <= 0:
            out.append(("required", r, "「要求任务量」（规定数量）应为正数"))
        elif self.target is not None and r is not None and r != self.target:
            out.append(("required", r, f"目标数量由细则规定为 {fmt(self.target)}：「要求任务量」应留空"))
        return out

    def arithmetic(self, finding: Finding, amount: Decimal) -> str:
        """E.g. (150 − 100) ÷ 100 × 100% = 50%：超出 10% 一档加 1 分，超出 30% 以后 20% ÷ 20% = 1 步 × 1 分 = 1；合计加 2."""
        target = self.target if self.target is not None else finding.required
        excess = (finding.value - target) / target * 100
        said = f"({fmt(finding.value)} − {fmt(target)}) ÷ {fmt(target)} × 100% = {num(excess)}%"
        bound = (lambda over: excess >= over) if self.inclusive else (lambda over: excess > over)
        tier = next((t for t in reversed(self.tiers) if bound(t.over)), None)
        parts = [f"超出 {fmt(tier.over)}% 一档加 {fmt(tier.amount)} 分"] if tier else []
        if self.then is not None and excess > self.then.over:
            t = self.then
            steps = (-amount - (tier.amount if tier else 0)) / t.amount
            parts.append(f"超出 {fmt(t.over)}% 以后 {num(excess - t.over)}% ÷ {fmt(t.every)}% 取整 {fmt(steps)} 步 × "
                         f"{fmt(t.amount)} 分 = {fmt(steps * t.amount)}")
        if not amount:
            return f"{said}，未达加分界限，不加分"
        return f"{said}：" + "，".join(parts) + f"；合计加 {fmt(-amount)}"


@register(ExceedRule)
def exceed(rule: ExceedRule, finding: Finding) -> Decimal:
    """The bonus, as a negative deduction; exact (the excess is compared as (value − target) × 100
    against bound × target, never divided).

    >>> r = ExceedRule(kind="exceed", id="r", text="t", target=100, tiers=[{"over": 10, "amount": 1}],
    ...                then={"over": 30, "every": 20, "amount": 1}, inclusive=True)
    >>> [exceed(r, Finding("1", "u", "r", None, value=Decimal(v))) for v in (109, 110, 131, 150, 171)]
    [Decimal('0'), Decimal('-1'), Decimal('-1'), Decimal('-2'), Decimal('-3')]
    """
    target = rule.target if rule.target is not None else finding.required
    gap = (finding.value - target) * 100  # excess% × target

    def reached(over: Decimal) -> bool:
        return gap >= over * target if rule.inclusive else gap > over * target

    total = next((t.amount for t in reversed(rule.tiers) if reached(t.over)), Decimal(0))
    if rule.then is not None:
        beyond, step = gap - rule.then.over * target, rule.then.every * target
        if beyond > 0:
            whole = beyond // step
            if not rule.inclusive and beyond % step == 0:
                whole -= 1  # exactly n steps is not "more than" n steps
            total += whole * rule.then.amount
    return -total
