"""一票否决: a finding at one of the named levels vetoes the unit's year; it costs no points."""

from decimal import Decimal
from typing import ClassVar, Literal

from pydantic import Field

from . import Finding, RuleBase, register


class VetoRule(RuleBase):
    """E.g. 被国、省、市通报批评，该年绩效考核一票否决 → ``levels: [国家, 省, 市]``."""

    kind: Literal["veto"]
    levels: list[str] = Field(min_length=1)
    uses: ClassVar[str] = "level"

    def describe(self) -> str:
        return f"被{'、'.join(self.levels)}级通报批评的，一票否决"

    def check(self, finding: Finding):
        if finding.level not in self.levels:
            return [("level", finding.level or "", f"一票否决只适用于级别：{'、'.join(self.levels)}")]
        return []


@register(VetoRule)
def veto(rule: VetoRule, finding: Finding) -> Decimal:
    return Decimal(0)
