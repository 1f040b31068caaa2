"""A score given by evidence: an agency's result, a module's score from a table not encoded here."""

from decimal import Decimal
from typing import ClassVar, Literal

from pydantic import Field

from ..numbers import fmt
from . import Finding, Pos, RuleBase, register, score_range


class GivenRule(RuleBase):
    """E.g. 专业机构…提供最终考核成绩 → ``max: 100``: the row's 数值 is the node's score on ``max``.

    A measurement: the latest row up to the scoring day counts. It sets a score; it deducts nothing.
    """

    kind: Literal["given"]
    label: ClassVar[str] = "给定得分"
    example: ClassVar[dict] = {"id": "A.0", "text": "专业机构根据年度工作要点、年度考评内容制定测评方案、指标体系,独立开展过程测评和年度测评,"
                                                   "并提供最终考核成绩", "max": 100}
    max: Pos = Field(default=Decimal(100), description="台账「数值」所给得分的满分（百分制为 100）", examples=[100])
    uses: ClassVar[str] = "value"
    measurement: ClassVar[bool] = True

    def describe(self) -> str:
        return f"得分由台账「数值」给出（满分 {fmt(self.max)} 分，取最新一条）"

    def score_of(self, finding: Finding) -> Decimal | None:
        return finding.value

    def check(self, finding: Finding):
        return score_range(finding.value, self.max, "得分")

    def arithmetic(self, finding: Finding, amount: Decimal) -> str:
        return f"台账给出得分 {fmt(finding.value)} 分（满分 {fmt(self.max)}），不扣分"


@register(GivenRule)
def given(rule: GivenRule, finding: Finding) -> Decimal:
    return Decimal(0)
