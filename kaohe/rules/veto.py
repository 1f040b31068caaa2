"""一票否决 / 单项否决: a finding vetoes the unit's year (or one part of it); it costs no points.

What a veto does is the rubric's to say (``effect``): ``grade`` — the unit's grade is set (不合格), it is
ranked after every unit not vetoed and gets no award, its score still shown (衡南's 该年绩效考核一票否决);
``stop`` — the other parts are not scored and the score is fixed (判定为不合格(59分)), for the whole unit
or, with ``scope``, for one part; ``no_award`` — excluded from awards only. The totals are worked out
where parts are combined (:mod:`kaohe.composite`, :mod:`kaohe.scoring`).
"""

from decimal import Decimal
from typing import ClassVar, Literal

from pydantic import Field, model_validator

from ..numbers import fmt
from . import Finding, NonNeg, RuleBase, register

EFFECTS = {"grade": "一票否决", "stop": "单项否决", "no_award": "取消评优资格"}


class VetoRule(RuleBase):
    """E.g. 被国、省、市通报批评，该年绩效考核一票否决 → ``levels: [国家, 省, 市]``; 出现严重表述错误的，
    单项否决，判定为不合格(59分) → ``effect: stop, score: 59`` (no levels: any record vetoes)."""

    kind: Literal["veto"]
    label: ClassVar[str] = "一票否决"
    example: ClassVar[dict] = {"id": "veto", "text": "被国、省、市通报批评，该年绩效考核一票否决", "levels": ["国家", "省", "市"]}
    #: The levels the clause names; a record at another level is an error. None: any record vetoes.
    levels: list[str] | None = Field(default=None, min_length=1, examples=[["国家", "省", "市"]],
                                     description="条款所列的通报级别，台账「级别」须为其一；不写：有记录即否决")
    effect: Literal["grade", "stop", "no_award"] = Field(
        default="grade", description="否决的后果：grade 等次定为否决等次、照常计分、排在未被否决的单位之后；"
                                     "stop 不再评分，得分定为 score（单项否决）；no_award 只取消评优资格")
    #: ``stop``: the score the unit (or the ``scope`` part) gets instead of being scored (default 0).
    score: NonNeg | None = Field(default=None, examples=[59], description="effect: stop 时定的得分（“判定为不合格(59分)”），默认 0")
    #: ``stop`` only: the node that is not scored; default the whole unit.
    scope: str | None = Field(default=None, description="effect: stop 时不再评分的部分（指标编号）；默认整个单位")
    #: The grade of a vetoed unit; default the rubric's ``veto.grade``.
    grade: str | None = Field(default=None, examples=["不合格"], description="被否决单位的等次；默认细则 veto.grade 所写")

    @property
    def uses(self) -> str | None:  # 级别 only where the clause names levels
        return "level" if self.levels else None

    @model_validator(mode="after")
    def _fits_effect(self):
        if self.effect != "stop" and (self.score is not None or self.scope is not None):
            raise ValueError("score 与 scope 只用于 effect: stop（单项否决后不再评分）")
        if self.effect == "no_award" and self.grade is not None:
            raise ValueError("effect: no_award 只取消评优资格，不改等次：不写 grade")
        return self

    @property
    def fixed_score(self) -> Decimal:
        """The score a ``stop`` veto gives the unit or its ``scope`` (0 unless the document names one)."""
        return self.score if self.score is not None else Decimal(0)

    def describe(self) -> str:
        who = f"被{'、'.join(self.levels)}级通报批评的" if self.levels else "出现所列情形之一的"
        if self.effect == "no_award":
            return f"{who}，取消评优资格（照常计分排名，不扣分）"
        grade = f"判定为「{self.grade}」" if self.grade else "一票否决"
        if self.effect == "stop":
            where = f"「{self.scope}」" if self.scope else "其余部分"
            return f"{who}，{grade}：{where}不再评分，计 {fmt(self.fixed_score)} 分"
        return f"{who}，{grade}（不扣分，等次按否决定，排名列在未被否决的单位之后）"

    def check(self, finding: Finding):
        if self.levels and finding.level not in self.levels:
            return [("level", finding.level or "", f"本条只适用于级别：{'、'.join(self.levels)}")]
        return []

    @property
    def said(self) -> str:
        return EFFECTS[self.effect]

    def arithmetic(self, finding: Finding, amount: Decimal) -> str:
        level = f"{finding.level}级通报，" if finding.level else ""
        if self.effect == "stop":
            return f"{level}单项否决，不扣分：{'该部分' if self.scope else '其余部分'}不再评分，计 {fmt(self.fixed_score)} 分"
        return f"{level}{EFFECTS[self.effect]}，不扣分"


@register(VetoRule)
def veto(rule: VetoRule, finding: Finding) -> Decimal:
    return Decimal(0)
