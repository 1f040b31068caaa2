"""One rater's score in a peer review (双向互评): the node's score is the mean of its raters."""

from decimal import Decimal
from typing import ClassVar, Literal

from pydantic import Field

from ..numbers import fmt
from . import Finding, Pos, RuleBase, register, score_range


class RaterRule(RuleBase):
    """E.g. 组织县直单位工作人员对各乡镇政府政务公开情况进行评分 → one ledger row per rater, 数值 on ``max``.

    Every row counts (a rater is not a newer measurement of another); 情况说明 names the rater.
    """

    kind: Literal["rater"]
    label: ClassVar[str] = "评分人打分"
    example: ClassVar[dict] = {"id": "C.1", "text": "由县政府办牵头,组织县直单位工作人员对各乡镇政府政务公开情况进行评分,各乡镇政府工作人员对县直单位"
                                                   "年度政务公开工作完成情况进行综合评价", "records_until": "2020-01-31"}
    max: Pos = Field(default=Decimal(100), description="每位评分人打分的满分", examples=[100])
    uses: ClassVar[str] = "value"
    reads: ClassVar[tuple[str, ...]] = ("note",)

    def describe(self) -> str:
        return f"每位评分人一条记录（满分 {fmt(self.max)} 分），取全部评分的平均值（四舍五入到 0.01 分）"

    def score_of(self, finding: Finding) -> Decimal | None:
        return finding.value

    def check(self, finding: Finding):
        out = score_range(finding.value, self.max, "评分")
        if not finding.note.strip():
            out.append(("note", "", "互评记录须在「情况说明」中写明评分人（单位）"))
        return out

    def arithmetic(self, finding: Finding, amount: Decimal) -> str:
        return f"评分 {fmt(finding.value)} 分（满分 {fmt(self.max)}），与其他评分取平均，不扣分"


@register(RaterRule)
def rater(rule: RaterRule, finding: Finding) -> Decimal:
    return Decimal(0)
