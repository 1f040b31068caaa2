"""An amount by the level of a notice (国家/省/市): 分别扣2分、1分、0.5分; 分别加3分、2分、1分."""

from decimal import Decimal
from typing import ClassVar, Literal

from pydantic import Field

from ..numbers import fmt
from . import Finding, Pos, RuleBase, register


class PerLevelRule(RuleBase):
    """E.g. 被国家、省、市网站巡查通报的,每次分别扣2分、1分、0.5分 → ``amounts: {国家: 2, 省: 1, 市: 0.5}``;
    ``bonus: true`` for 通报表彰…分别加3分、2分、1分. 次数/数量 multiplies (blank: once)."""

    kind: Literal["per_level"]
    label: ClassVar[str] = "按级别扣分"
    example: ClassVar[dict] = {"id": "A5.5b", "text": "受到批评或问责处理的,分别扣3分、2 分、1分", "amounts": {"国家": 3, "省": 2, "市": 1}}
    amounts: dict[str, Pos] = Field(min_length=1, examples=[{"国家": 3, "省": 2, "市": 1}],
                                    description="各级别每次的分数（级别: 分数），台账「级别」须为其一")
    bonus: bool = Field(default=False, description="true：按级别加分（“被国家、省、市通报表彰的，分别加3分、2分、1分”）")
    uses: ClassVar[str] = "level"
    also_uses: ClassVar[tuple[str, ...]] = ("count",)

    def describe(self) -> str:
        verb = "加" if self.bonus else "扣"
        return "按通报级别每次" + "、".join(f"{lv}{verb} {fmt(a)} 分" for lv, a in self.amounts.items())

    def check(self, finding: Finding):
        if finding.level not in self.amounts:
            return [("level", finding.level or "", f"级别应为：{'、'.join(self.amounts)}")]
        return []

    def arithmetic(self, finding: Finding, amount: Decimal) -> str:
        """E.g. 省级每次 1 分 × 2 次 = 2; points added read 加."""
        each = self.amounts.get(finding.level, Decimal(0))
        times = f"{finding.count} 次" if finding.count else "1 次"
        verb = "加" if self.bonus else "扣"
        return f"{finding.level}级每次{verb} {fmt(each)} 分 × {times} = {verb} {fmt(abs(amount))}"


@register(PerLevelRule)
def per_level(rule: PerLevelRule, finding: Finding) -> Decimal:
    a = rule.amounts.get(finding.level, Decimal(0)) * (finding.count or 1)
    return -a if rule.bonus else a
