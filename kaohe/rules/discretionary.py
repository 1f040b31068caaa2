"""视完成情况扣 a-b 分: the evidence gives the amount and its reason; outside the range is an error."""

from decimal import Decimal
from typing import ClassVar, Literal

from pydantic import model_validator

from ..numbers import fmt
from . import Finding, NonNeg, RuleBase, register


class DiscretionaryRule(RuleBase):
    """E.g. 视完成情况扣 1-3 分 → ``min: 1, max: 3``.

    One judgement per unit and year: the rule's cap defaults to ``max``.
    """

    kind: Literal["discretionary"]
    min: NonNeg
    max: NonNeg
    uses: ClassVar[str] = "points"

    @model_validator(mode="after")
    def _ordered(self):
        if self.min > self.max:
            raise ValueError(f"min ({fmt(self.min)}) 大于 max ({fmt(self.max)})")
        return self

    def describe(self) -> str:
        return f"视情况扣 {fmt(self.min)}–{fmt(self.max)} 分（由台账给出分值与理由）"

    def effective_cap(self) -> Decimal:
        return self.cap if self.cap is not None else self.max

    def check(self, finding: Finding):
        out = []
        p = finding.points
        if p is not None and not (self.min <= p <= self.max):
            out.append(("points", p, f"酌情扣分应在 {fmt(self.min)} 至 {fmt(self.max)} 分之间"))
        if not finding.note.strip():
            out.append(("note", "", "酌情扣分必须在「情况说明」中写明理由"))
        return out


@register(DiscretionaryRule)
def discretionary(rule: DiscretionaryRule, finding: Finding) -> Decimal:
    return finding.points
