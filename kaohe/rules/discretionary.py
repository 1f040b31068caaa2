"""视完成情况扣 a-b 分 / 视情扣分 / 每次扣 a-b 分 / 视情加 a-b 分: the evidence gives the amount and its reason."""

from decimal import Decimal
from typing import ClassVar, Literal

from pydantic import Field, model_validator

from ..numbers import fmt
from . import Finding, NonNeg, RuleBase, register


class DiscretionaryRule(RuleBase):
    """E.g. 视完成情况扣 1-3 分 → ``min: 1, max: 3``: one judgement per unit and year, so the rule's
    cap defaults to ``max``. 视情扣分 (no range) → no ``max``: only the enclosing caps bound it.
    每次扣0.5-1.5分 → ``per_occurrence: true``: each row is one occurrence judged within the range,
    and the rows add up with no cap of the rule's own. 视情加 1-3 分 → ``bonus: true``: the same, as points added
    (negative amounts); 分值/扣分 holds the points added, as a positive number.
    """

    kind: Literal["discretionary"]
    label: ClassVar[str] = "视情扣分"
    example: ClassVar[dict] = {"id": "1.3.4", "text": "压缩企业开办时间视完成情况扣 1-3 分", "min": 1, "max": 3}
    min: NonNeg = Field(default=Decimal(0), description="区间的下限（“扣 1-3 分”的 1）", examples=[1])
    max: NonNeg | None = Field(default=None, examples=[3],
                               description="区间的上限（“扣 1-3 分”的 3）；原文只说“视情扣分”、没有区间时不写")
    per_occurrence: bool = Field(default=False, description="true：每次（每条记录）各在区间内扣分并累计（“每次扣0.5-1.5分”）；"
                                                           "false：全年一次判断，本条最多扣到上限")
    bonus: bool = Field(default=False, description="true：视情加分（“视情加 1-3 分”），台账的分值是所加的分")
    uses: ClassVar[str] = "points"
    reads: ClassVar[tuple[str, ...]] = ("note",)

    @model_validator(mode="after")
    def _ordered(self):
        if self.max is not None and self.min > self.max:
            raise ValueError(f"min ({fmt(self.min)}) 大于 max ({fmt(self.max)})")
        return self

    def describe(self) -> str:
        verb = "加" if self.bonus else "扣"
        if self.max is None:
            return f"视情{verb}分（由台账给出分值与理由）"
        span = f"{fmt(self.min)}–{fmt(self.max)} 分"
        if self.per_occurrence:
            return f"每次视情况{verb} {span}（每条记录由台账给出分值与理由，逐次累计）"
        return f"视情况{verb} {span}（由台账给出分值与理由）"

    def effective_cap(self) -> Decimal | None:
        if self.cap is not None or self.per_occurrence:
            return self.cap
        return self.max

    def check(self, finding: Finding):
        out = []
        p = finding.points
        if p is not None and (p < self.min or (self.max is not None and p > self.max)):
            where = f"在 {fmt(self.min)} 至 {fmt(self.max)} 分之间" if self.max is not None else f"不小于 {fmt(self.min)} 分"
            out.append(("points", p, f"酌情{'加' if self.bonus else '扣'}分应{where}"))
        if not finding.note.strip():
            out.append(("note", "", f"酌情{'加' if self.bonus else '扣'}分必须在「情况说明」中写明理由"))
        return out

    def arithmetic(self, finding: Finding, amount: Decimal) -> str:
        """E.g. 视情扣分，台账给出 4 分（区间 1–5）."""
        verb = "加" if self.bonus else "扣"
        span = f"（区间 {fmt(self.min)}–{fmt(self.max)}）" if self.max is not None else ""
        each = "本次" if self.per_occurrence else ""
        return f"视情{verb}分，{each}台账给出 {fmt(finding.points)} 分{span}"


@register(DiscretionaryRule)
def discretionary(rule: DiscretionaryRule, finding: Finding) -> Decimal:
    """The ledger's amount; points added are negative deductions.

    >>> r = DiscretionaryRule(kind="discretionary", id="r", text="t", min=1, max=3, bonus=True)
    >>> discretionary(r, Finding("1", "u", "r", None, points=Decimal(2)))
    Decimal('-2')
    """
    return -finding.points if rule.bonus else finding.points
