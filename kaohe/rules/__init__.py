"""Rule kinds: one module each, a pydantic parameter model plus one pure function.

A kind is registered with :func:`register`, keyed by the ``kind`` literal of its model;
registering a kind twice is an error. The rubric model builds its discriminated union
from this registry, so adding a kind touches one new file (and its import below).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Annotated, ClassVar, Union, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from ..numbers import fmt, to_decimal


def _dec(value):
    # YAML gives floats; build the Decimal from their shortest text (0.1 stays 0.1).
    if isinstance(value, (int, float, str, Decimal)) and not isinstance(value, bool):
        try:
            return to_decimal(value)
        except ValueError:
            return value  # let pydantic report it as "not a number"
    return value


Dec = Annotated[Decimal, BeforeValidator(_dec)]
NonNeg = Annotated[Decimal, BeforeValidator(_dec), Field(ge=0)]
Pos = Annotated[Decimal, BeforeValidator(_dec), Field(gt=0)]


@dataclass(frozen=True)
class Finding:
    """One parsed evidence row (see :mod:`kaohe.ledger`)."""

    id: str
    unit: str
    rule: str
    date: date
    count: int | None = None
    value: Decimal | None = None
    level: str | None = None
    points: Decimal | None = None
    note: str = ""
    source: str = ""
    attachment: str = ""
    recorded_by: str = ""
    file: str = ""
    row: int | None = None
    required: Decimal | None = None
    done: Decimal | None = None
    status: str | None = None
    #: The unit as the ledger wrote it, when it matched the roster only after 繁简 conversion.
    unit_as_written: str = ""
    #: The rule id as the ledger wrote it, when the rubric version replaced that id (``Rubric.replaces``).
    rule_as_written: str = ""


class RuleBase(BaseModel):
    """Fields every rule has.

    ``text`` is the shortest verbatim span of the source document that states this one
    rule; ``reading`` states how an ambiguous clause is read; ``cap`` is the most this rule
    may take in a year (累计不超过).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: Not containing ｜, which separates an id from its label in a ledger (kaohe.ledger.RULE_LABEL).
    id: str = Field(min_length=1, pattern=r"^[^｜]+$")
    text: str = Field(min_length=1)
    cap: NonNeg | None = None
    reading: str | None = None
    note: str | None = None
    #: The last day a record of this rule may carry when it is made after the period (郎溪's 双向互评,
    #: 2020年1月2日至2020年1月31日); default the period's end.
    records_until: date | None = None
    #: Rules that cannot both apply to one unit (没有出现扣分…加2分 / 出现扣分…每件次扣0.5分).
    excludes: list[str] = []

    #: The kind's name in Chinese, as a clerk would call it (每次扣分, 一票否决…): messages, the rubric workbook.
    label: ClassVar[str] = ""
    #: Evidence column that carries this kind's input: count, value, points, level or None.
    uses: ClassVar[str | None] = None
    #: Further columns the kind reads (per_level multiplies by 次数/数量).
    also_uses: ClassVar[tuple[str, ...]] = ()
    #: Text columns ``check`` reads besides :data:`INPUTS` (a reason in 情况说明): rows of such a kind are
    #: checked one by one; every other row's check is worked out once per rule and inputs.
    reads: ClassVar[tuple[str, ...]] = ()
    #: A measurement (a rate, a count of items): only the latest row per unit counts.
    measurement: ClassVar[bool] = False
    #: The 完成情况 words the kind takes, as the template's drop-down offers them (tasks, points earned).
    statuses: ClassVar[tuple[str, ...]] = ()

    def describe(self) -> str:  # pragma: no cover - every kind overrides it
        raise NotImplementedError

    def effective_cap(self) -> Decimal | None:
        """The declared cap, or the kind's own (a flat deduction is taken once)."""
        return self.cap

    def gains(self) -> bool:
        """Whether the rule adds points (its amounts are negative deductions): a bonus, points earned."""
        return bool(getattr(self, "bonus", False))

    def check(self, finding: Finding) -> list[tuple[str, object, str]]:
        """Kind-specific problems with one evidence row, as (column, value, message)."""
        return []

    def score_of(self, finding: Finding) -> Decimal | None:
        """For kinds that give a score rather than deduct (given, rater, task): the row's score."""
        return None


def fraction_check(value: Decimal | None) -> list[tuple[str, object, str]]:
    """Rates are in percent: 0.95 is almost surely 95% written as a fraction, so refuse it."""
    if value is not None and 0 < value <= 1:
        return [("value", value, f"百分率 {fmt(value)} 像是小数写法：95% 应写作 95 或 95%（本列以百分数计）")]
    return []


def score_range(value: Decimal | None, top: Decimal, what: str) -> list[tuple[str, object, str]]:
    """A score read from 数值 must lie in [0, top] (given scores, raters' scores)."""
    if value is not None and not (0 <= value <= top):
        return [("value", value, f"{what}应在 0 至 {fmt(top)} 分之间")]
    return []


def status_check(status: str | None, accepted: tuple[str, ...], shown: tuple[str, ...], what: str):
    """完成情况 must be one of ``accepted`` (the ledger's canonical words); the message lists ``shown``."""
    if status is not None and status not in accepted:
        words = "、".join(shown[:-1]) + " 或 " + shown[-1]
        return [("status", status, f"{what}的「完成情况」应为 {words}")]
    return []


@dataclass(frozen=True)
class RuleKind:
    name: str
    model: type[RuleBase]
    amount: Callable[[RuleBase, Finding], Decimal]


_REGISTRY: dict[str, RuleKind] = {}


def register(model: type[RuleBase]):
    """Register ``fn(rule, finding) -> Decimal`` as the amount function of ``model``'s kind."""
    (name,) = get_args(model.model_fields["kind"].annotation)

    def deco(fn):
        if name in _REGISTRY:
            raise ValueError(f"rule kind {name!r} registered twice")
        _REGISTRY[name] = RuleKind(name, model, fn)
        return fn

    return deco


def get_kind(name: str) -> RuleKind:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown rule kind {name!r}; known: {', '.join(sorted(_REGISTRY))}") from None


def kinds() -> dict[str, RuleKind]:
    return dict(_REGISTRY)


#: The Finding fields a kind's amount, ``score_of`` and ``explain`` read. Rows with the same rule and the same
#: inputs cost the same, so scoring works each distinct combination out once (a ledger of a million rows
#: has a few hundred). A kind that read another field (the date, the unit) would have to be added here.
INPUTS = ("count", "value", "level", "points", "status", "required", "done")


def amount(rule: RuleBase, finding: Finding) -> Decimal:
    """The raw amount (before caps) that ``finding`` costs under ``rule``; depends on :data:`INPUTS` only."""
    return _REGISTRY[rule.kind].amount(rule, finding)


# Import order is the order kinds are listed in messages.
from . import (  # noqa: F401
    bonus,
    discretionary,
    disqualify,
    earned,
    exceed,
    external,
    flat,
    given,
    per_count,
    per_level,
    periodic,
    rate_shortfall,
    rater,
    shortfall,
    task,
    threshold,
    unscored,
    veto,
)

# A Union built at run time from the registry (ruff would rewrite it into something else).
Rule = Annotated[Union[tuple(k.model for k in _REGISTRY.values())], Field(discriminator="kind")]  # noqa: UP007
__all__ = ["INPUTS", "Finding", "Rule", "RuleBase", "amount", "get_kind", "kinds", "register"]
