"""A clause that names no amount: findings are recorded and shown, and cost nothing."""

from decimal import Decimal
from typing import ClassVar, Literal

from . import Finding, RuleBase, register


class UnscoredRule(RuleBase):
    """E.g. 未按要求上报电子印章、电子证照数据的。 (000 附件2 数据采集汇聚, no amount given)."""

    kind: Literal["unscored"]
    label: ClassVar[str] = "不计分"
    example: ClassVar[dict] = {"id": "2.2.1", "text": "未按要求上报电子印章、电子证照数据的"}

    def describe(self) -> str:
        return "原文未规定扣分额度：只记录，不扣分"

    def arithmetic(self, finding: Finding, amount: Decimal) -> str:
        return "原文未规定扣分额度：只记录，不扣分"


@register(UnscoredRule)
def unscored(rule: UnscoredRule, finding: Finding) -> Decimal:
    return Decimal(0)
