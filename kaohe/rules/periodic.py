"""每月不低于40条，低于规定标准的，出现一个月扣5分: a target per month or quarter, one ledger row per period.

Each row gives one period's figure in 数值; the period is the month or quarter of the row's 日期. A row below
``min`` costs ``per``; every row counts (it is not a newer measurement of another period). “出现发布信息'空白月'的，
每个月扣10分” is ``min: 1, per: 10``. Two rows of one unit in one period are a ledger error and a period
without a row a warning (:mod:`kaohe.validate`); the unit report lists the periods (:func:`kaohe.report.unit_periods`).
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import ClassVar, Literal

from pydantic import Field

from ..numbers import fmt
from . import Finding, NonNeg, Pos, RuleBase, register

#: The period's name in Chinese, by ``every``, and as said of several (这些月份).
PERIOD_NAMES = {"month": "月", "quarter": "季度"}
PERIODS_SAID = {"month": "月份", "quarter": "季度"}


@dataclass(frozen=True, order=True)
class Period:
    """One month or quarter: its first and last day and its name (2020年3月, 2020年第1季度)."""

    start: date
    end: date
    label: str


def period_of(every: str, day: date) -> Period:
    """The month or quarter ``day`` falls in.

    >>> period_of("quarter", date(2020, 5, 17))
    Period(start=datetime.date(2020, 4, 1), end=datetime.date(2020, 6, 30), label='2020年第2季度')
    >>> period_of("month", date(2020, 2, 10)).end
    datetime.date(2020, 2, 29)
    """
    first = day.month if every == "month" else (day.month - 1) // 3 * 3 + 1
    months = 1 if every == "month" else 3
    after = date(day.year + (first + months - 1) // 12, (first + months - 1) % 12 + 1, 1)
    label = f"{day.year}年{day.month}月" if every == "month" else f"{day.year}年第{(first - 1) // 3 + 1}季度"
    return Period(date(day.year, first, 1), after - timedelta(days=1), label)


def periods(every: str, start: date, end: date) -> list[Period]:
    """Every month or quarter that overlaps ``start``..``end``, in order.

    >>> [p.label for p in periods("quarter", date(2020, 2, 1), date(2020, 7, 1))]
    ['2020年第1季度', '2020年第2季度', '2020年第3季度']
    """
    out = []
    p = period_of(every, start)
    while p.start <= end:
        out.append(p)
        p = period_of(every, p.end + timedelta(days=1))
    return out


class PeriodicRule(RuleBase):
    """E.g. 每月不低于40条，低于规定标准的，出现一个月扣5分 → ``every: month, min: 40, per: 5``."""

    kind: Literal["periodic"]
    label: ClassVar[str] = "按期考核"
    example: ClassVar[dict] = {"id": "1.1", "text": "乡镇政府信息公开专栏每月发布信息应不少于40条，当月不足40条的，每出现一个月扣5分",
                               "every": "month", "min": 40, "per": 5}
    every: Literal["month", "quarter"] = Field(description="考核周期：month 每月，quarter 每季度", examples=["month"])
    min: NonNeg = Field(description="每期应达到的数量（不低于）", examples=[40])
    per: Pos = Field(description="每个未达到的周期扣的分数", examples=[5])
    unit: str = Field(default="条", description="数量的单位（条、篇），只用于说明文字")
    uses: ClassVar[str] = "value"

    def describe(self) -> str:
        p = PERIOD_NAMES[self.every]
        return (f"每{p}不低于 {fmt(self.min)} {self.unit}：每{p}一条记录（「日期」在该{p}内，「数值」为该{p}的{self.unit}数），"
                f"低于 {fmt(self.min)} {self.unit}的，每出现一个{p}扣 {fmt(self.per)} 分")

    def check(self, finding: Finding):
        v = finding.value
        if v is not None and v < 0:
            return [("value", v, f"「数值」应为不小于 0 的数（该{PERIOD_NAMES[self.every]}的{self.unit}数）")]
        return []

    @property
    def value_unit(self) -> str:
        return f" {self.unit}"

    def arithmetic(self, finding: Finding, amount: Decimal) -> str:
        """E.g. 该月 38 条，低于 40 条，扣 5 分 (the period is the row's date, shown beside it)."""
        p, v, m = PERIOD_NAMES[self.every], fmt(finding.value), fmt(self.min)
        if amount:
            return f"该{p} {v} {self.unit}，低于 {m} {self.unit}，扣 {fmt(amount)} 分"
        return f"该{p} {v} {self.unit}，不低于 {m} {self.unit}，不扣分"


@register(PeriodicRule)
def periodic(rule: PeriodicRule, finding: Finding) -> Decimal:
    """One period's deduction: ``per`` when the period's figure is below ``min`` (strictly).

    >>> r = PeriodicRule(kind="periodic", id="r", text="t", every="month", min=40, per=5)
    >>> [periodic(r, Finding("1", "u", "r", None, value=Decimal(v))) for v in (39, 40, 41)]
    [Decimal('5'), Decimal('0'), Decimal('0')]
    """
    return rule.per if finding.value < rule.min else Decimal(0)
