"""按照《某细则》要求进行扣分: the amount comes from another document that is not encoded here."""

from decimal import Decimal
from typing import ClassVar, Literal

from pydantic import Field

from ..numbers import fmt
from . import Finding, RuleBase, register


class ExternalRule(RuleBase):
    """E.g. 按照《益阳市12345市长热线工作考评实施细则（试行）》要求进行扣分 → ``document:`` that title.

    The ledger gives the amount in 分值/扣分 and, in 依据/来源, where in that document it comes from.
    """

    kind: Literal["external"]
    label: ClassVar[str] = "按其他文件扣分"
    example: ClassVar[dict] = {"id": "11.1", "text": "按照《益阳市12345市长热线工作考评实施细则(试行)》要求进行扣分",
                               "document": "《益阳市12345市长热线工作考评实施细则(试行)》"}
    document: str = Field(min_length=1, examples=["《益阳市12345市长热线工作考评实施细则(试行)》"],
                          description="扣分所依的另一份文件的名称；分值由台账给出，「依据/来源」注明所依条款")
    uses: ClassVar[str] = "points"
    reads: ClassVar[tuple[str, ...]] = ("source",)

    def describe(self) -> str:
        return f"按{self.document}扣分（该文件未编入细则：分值由台账给出，并在「依据/来源」注明所依条款）"

    def check(self, finding: Finding):
        if not finding.source.strip():
            return [("source", "", f"按{self.document}扣分，必须在「依据/来源」中注明所依条款")]
        return []

    def arithmetic(self, finding: Finding, amount: Decimal) -> str:
        return f"按{self.document}扣分，台账给出 {fmt(finding.points)} 分"


@register(ExternalRule)
def external(rule: ExternalRule, finding: Finding) -> Decimal:
    return finding.points
