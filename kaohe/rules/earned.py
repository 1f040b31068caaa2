"""Points a unit earns (得分制): 内容全面规范5分; 一项可得2分，最高不超过6分. Amounts are negative deductions.

Two forms, exactly one per rule:

- ``points: 5`` — one item, judged once a year from 完成情况: 达到 earns 5, 部分达到 earns the row's 分值/扣分
  (within [0, 5], its reason in 情况说明), 未达到 earns 0. The rule's cap defaults to ``points``.
- ``per: 2`` (+ ``cap: 6``) — items counted: each row earns 次数/数量 × 2 (a blank count is one item).

Such rules live in a node that starts at zero (``start: zero``), whose score is what its rules earn.
"""

from decimal import Decimal
from typing import ClassVar, Literal

from pydantic import Field, model_validator

from ..numbers import fmt
from . import Finding, Pos, RuleBase, register, status_check

#: 完成情况 of an item earned, as kaohe.ledger.STATUSES reads it (完全达到 → 达到).
EARNED_STATUSES = ("达到", "部分达到", "未达到")


class EarnedRule(RuleBase):
    """E.g. 栏目设置合理、内容全面规范得5分 → ``points: 5``; 每报送一篇被采用的信息得2分，最高不超过6分 →
    ``per: 2, cap: 6``."""

    kind: Literal["earned"]
    label: ClassVar[str] = "得分项"
    example: ClassVar[dict] = {"id": "W2.1", "text": "每发布一篇政策解读材料得2分，本项最多得6分", "per": 2, "cap": 6}
    points: Pos | None = Field(default=None, examples=[5], description="达到时所得的分数（“内容全面规范的得5分”），部分达到由台账给出 "
                                                                       "0 至此分；与 per 二选一")
    per: Pos | None = Field(default=None, examples=[2], description="每项所得的分数，按台账「次数/数量」累计（“每发布一篇…得2分”）；"
                                                                   "与 points 二选一")
    statuses: ClassVar[tuple[str, ...]] = EARNED_STATUSES

    @model_validator(mode="after")
    def _one_of(self):
        if (self.points is None) == (self.per is None):
            raise ValueError("得分规则须给出 points（达到得分）或 per（每项得分）之一")
        return self

    # The columns read depend on the form: 完成情况 (with 分值 and a reason when partly achieved), or 次数/数量.
    @property
    def uses(self) -> str:
        return "status" if self.points is not None else "count"

    @property
    def also_uses(self) -> tuple[str, ...]:
        return ("points",) if self.points is not None else ()

    @property
    def reads(self) -> tuple[str, ...]:
        return ("note",) if self.points is not None else ()

    def describe(self) -> str:
        if self.points is not None:
            return (f"得分项，满分 {fmt(self.points)} 分：「完成情况」达到得 {fmt(self.points)} 分，"
                    f"部分达到按台账「分值/扣分」得 0 至 {fmt(self.points)} 分（须写明理由），未达到得 0 分")
        top = f"，最高不超过 {fmt(self.cap)} 分" if self.cap is not None else ""
        return f"得分项：每项得 {fmt(self.per)} 分，按「次数/数量」累计{top}"

    def effective_cap(self) -> Decimal | None:
        # One item, earned once a year: a second 达到 row earns nothing more.
        return self.cap if self.cap is not None or self.points is None else self.points

    def gains(self) -> bool:
        return True

    def check(self, finding: Finding):
        s, p = finding.status, finding.points
        if self.per is not None:
            if s is not None and s != "达到":
                return [("status", s, "按项计分的得分项只记录得分的项（「次数/数量」为项数）：「完成情况」应留空或为 达到")]
            return []
        out = status_check(s, EARNED_STATUSES, self.statuses, "得分项")
        if out:
            return out
        full = fmt(self.points)
        if s == "部分达到":
            if p is None:
                out.append(("points", "", f"部分达到须在「分值/扣分」中填写所得分值（0 至 {full} 分）"))
            elif not (0 <= p <= self.points):
                out.append(("points", p, f"部分达到所得分值应在 0 至 {full} 分之间"))
            if not finding.note.strip():
                out.append(("note", "", "部分达到必须在「情况说明」中写明理由"))
        elif p is not None and p != (self.points if s == "达到" else 0):
            out.append(("points", p, f"{s}得 {full if s == '达到' else '0'} 分：「分值/扣分」应留空（由细则计算）"))
        return out

    def arithmetic(self, finding: Finding, amount: Decimal) -> str:
        """E.g. 3 项 × 2 分 = 得 6; 部分达到，台账给出 3.5 分（0–5）."""
        if self.per is not None:
            items = f"{finding.count} 项" if finding.count else "1 项（次数空白按 1 项）"
            return f"{items} × {fmt(self.per)} 分 = 得 {fmt(-amount)}"
        if finding.status == "部分达到":
            return f"部分达到，台账给出 {fmt(finding.points)} 分（0–{fmt(self.points)}）"
        return f"{finding.status}，得 {fmt(-amount)} 分"


@register(EarnedRule)
def earned(rule: EarnedRule, finding: Finding) -> Decimal:
    """The points earned, as a negative deduction.

    >>> r = EarnedRule(kind="earned", id="r", text="t", points=5)
    >>> [earned(r, Finding("1", "u", "r", None, status=s, points=p)) for s, p in
    ...  (("达到", None), ("部分达到", Decimal("3.5")), ("未达到", None))]
    [Decimal('-5'), Decimal('-3.5'), Decimal('0')]
    >>> earned(EarnedRule(kind="earned", id="r", text="t", per=2, cap=6), Finding("1", "u", "r", None, count=2))
    Decimal('-4')
    """
    if rule.per is not None:
        return -(rule.per * (finding.count or 1))
    if finding.status == "达到":
        return -rule.points
    if finding.status == "部分达到":
        return -finding.points
    return Decimal(0)
