"""取消年度评价资格: a finding removes the unit from the ranking and every award; it costs no points."""

from decimal import Decimal
from typing import ClassVar, Literal

from . import Finding, RuleBase, register


class DisqualifyRule(RuleBase):
    """E.g. 对虚报、瞒报、伪造篡改相关数据的区县(市),将取消年度评价资格."""

    kind: Literal["disqualify"]
    label: ClassVar[str] = "取消评价资格"
    example: ClassVar[dict] = {"id": "disqualify", "text": "对虚报、瞒报、伪造篡改相关数据的区县(市),将取消年度评价资格"}

    def describe(self) -> str:
        return "取消年度评价资格：不参加排名和评优，不扣分"

    def arithmetic(self, finding: Finding, amount: Decimal) -> str:
        return "取消年度评价资格，不扣分"


@register(DisqualifyRule)
def disqualify(rule: DisqualifyRule, finding: Finding) -> Decimal:
    return Decimal(0)
