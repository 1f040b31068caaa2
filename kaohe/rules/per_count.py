"""每次/每件/每项扣 x 分: the amount is ``per`` × the count in the evidence row."""

from decimal import Decimal
from typing import ClassVar, Literal

from pydantic import Field

from ..numbers import fmt as _f
from . import Finding, Pos, RuleBase, register


class PerCountRule(RuleBase):
    """E.g. 业务办件超期，预警每次扣0.5分 → ``per: 0.5``; a blank count means one occurrence."""

    kind: Literal["per_count"]
    label: ClassVar[str] = "每次扣分"
    example: ClassVar[dict] = {"id": "1.3.3b", "text": "业务办件超期，预警每次扣0.5分", "per": 0.5}
    per: Pos = Field(description="每次（每件、每项、每个）扣的分数；台账「次数/数量」是次数，空白算 1 次", examples=[0.5])
    uses: ClassVar[str] = "count"

    def describe(self) -> str:
        return f"每次（件、项）扣 {_f(self.per)} 分，按次数累计"

    def arithmetic(self, finding: Finding, amount: Decimal) -> str:
        """E.g. 5 次 × 2 分 = 10; a blank count is one time."""
        times = f"{finding.count} 次" if finding.count else "1 次（次数空白按 1 次）"
        return f"{times} × {_f(self.per)} 分 = {_f(amount)}"


@register(PerCountRule)
def per_count(rule: PerCountRule, finding: Finding) -> Decimal:
    """Amount = per × count.

    >>> rule = PerCountRule(kind="per_count", id="r", text="t", per=0.5)
    >>> per_count(rule, Finding("1", "u", "r", None, count=3))
    Decimal('1.5')
    """
    return rule.per * (finding.count or 1)

