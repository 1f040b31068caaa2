"""Rule kinds: one module each, a pydantic parameter model plus one pure function.

A kind is registered with :func:`register`, keyed by the ``kind`` literal of its model;
registering a kind twice is an error. The rubric model builds its discriminated union
from this registry, so adding a kind touches one new file (and its import below).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Annotated, ClassVar, Union, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from ..numbers import fmt, round_half_up, to_decimal


def _dec(value):
    # YAML gives floats; build the Decimal from their shortest text (0.1 stays 0.1).
    if isinstance(value, (int, float, str, Decimal)) and not isinstance(value, bool):
        try:
            return to_decimal(value)
        except ValueError:
            return value  # let pydantic report it as "not a number"
    return value


# The JSON Schema says "a number" (what a rubric writes), not pydantic's number-or-string with its own gt/ge keys.
Dec = Annotated[Decimal, BeforeValidator(_dec), WithJsonSchema({"type": "number"})]
NonNeg = Annotated[Decimal, BeforeValidator(_dec), Field(ge=0), WithJsonSchema({"type": "number", "minimum": 0})]
Pos = Annotated[Decimal, BeforeValidator(_dec), Field(gt=0), WithJsonSchema({"type": "number", "exclusiveMinimum": 0})]


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


def _kind_schema(schema: dict, cls: type[RuleBase]) -> None:
    """A kind's JSON Schema speaks Chinese: its name, what its example clause becomes, the example itself."""
    if "kind" in cls.model_fields:
        schema["title"] = f"{cls.label}（{cls.name()}）"
        schema["description"] = cls.summary()
        schema["examples"] = [{"kind": cls.name(), **cls.example}]
        schema["properties"]["kind"]["description"] = f"计分方式：{cls.label}"


class RuleBase(BaseModel):
    """Fields every rule has.

    ``text`` is the shortest verbatim span of the source document that states this one
    rule; ``reading`` states how an ambiguous clause is read; ``cap`` is the most this rule
    may take in a year (累计不超过). Each field's Chinese ``description`` is what the JSON
    Schema, docs/reference.md and the message about a missing field say.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=_kind_schema)

    #: Not containing ｜, which separates an id from its label in a ledger (kaohe.ledger.RULE_LABEL).
    id: str = Field(min_length=1, pattern=r"^[^｜]+$", examples=["1.2.3"],
                    description="规则编号，在细则内唯一（不能含 ｜），台账的「规则编号」列填它")
    text: str = Field(min_length=1, examples=["业务办件超期，预警每次扣0.5分"],
                      description="条款原文：原文件中写明这一条的最短一段文字，逐字照录（kaohe rubric check 核对）")
    cap: NonNeg | None = Field(default=None, examples=[2],
                               description="本条全年最多扣（或加）的分数：原文的“累计不超过x分”“扣完x分为止”")
    reading: str | None = Field(default=None, description="原文可有两种理解时，本细则采用的读法（报告中列出）")
    note: str | None = Field(default=None, description="备注：给记录人看的说明，不影响计分")
    #: The last day a record of this rule may carry when it is made after the period (郎溪's 双向互评,
    #: 2020年1月2日至2020年1月31日); default the period's end.
    records_until: date | None = Field(default=None, examples=["2020-01-31"],
                                       description="记录可晚于考核期的最后日期（年终互评在次年1月进行）；默认考核期最后一天")
    #: Rules that cannot both apply to one unit (没有出现扣分…加2分 / 出现扣分…每件次扣0.5分).
    excludes: list[str] = Field(default=[], examples=[["A5.1b"]],
                                description="不能与本条同时用于一个单位的规则编号（“没有出现扣分的…加2分”与“出现扣分的…扣0.5分”）")

    #: The kind's name in Chinese, as a clerk would call it (每次扣分, 一票否决…): messages, the rubric workbook.
    label: ClassVar[str] = ""
    #: The kind at work on a real clause (its fields but ``kind``): messages about a missing parameter, the
    #: reference and the JSON Schema show it; tests/test_reference.py checks its text is a document's own words.
    example: ClassVar[dict] = {}
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

    @classmethod
    def name(cls) -> str:
        """The ``kind`` this model stands for (``per_count``)."""
        (name,) = get_args(cls.model_fields["kind"].annotation)
        return name

    @classmethod
    def sample(cls) -> RuleBase:
        """:attr:`example` as a rule."""
        return cls.model_validate({"kind": cls.name(), **cls.example})

    @classmethod
    def summary(cls) -> str:
        """What the kind does, in Chinese: its example clause and what the example rule says it does."""
        return f"例：「{cls.example['text']}」→ {cls.sample().describe()}"

    @classmethod
    def field_order(cls) -> list[str]:
        """The fields as a rubric writes them: id, kind, text, the kind's own parameters, then the common ones."""
        common = [f for f in RuleBase.model_fields if f not in ("id", "text")]
        own = [f for f in cls.model_fields if f not in RuleBase.model_fields and f != "kind"]
        return ["id", "kind", "text", *own, *common]

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

    def arithmetic(self, finding: Finding, amount: Decimal) -> str:  # pragma: no cover - every kind overrides it
        """How ``amount`` (this kind's amount for ``finding``, before caps) is worked out, in words and numbers
        ("(98% − 92%) ÷ 1 × 0.5 = 3"): the 计算过程 of the unit report and ledger.csv. Reads :data:`INPUTS` only."""
        raise NotImplementedError

    @property
    def value_unit(self) -> str:
        """The unit of the 数值 column as shown beside the number (% for a rate, 项 for a count of items)."""
        return ""

    @property
    def said(self) -> str:
        """What the rule does, in a word (its kind's Chinese name): how an id that is an English word reads."""
        return self.label


#: An id that is an English word rather than a clause number (veto, disqualify; not A5.1b).
_WORD_ID = re.compile(r"[A-Za-z_]{2,}")


def shown_ids(rules) -> dict[str, str]:
    """Each rule's id as a Chinese reader sees it: an id that is an English word (``veto``, ``disqualify``) reads
    as what the rule does (一票否决), unless two rules would read alike. The template offers these and the ledger
    reader takes them back (:func:`kaohe.validate.resolve`); ids such as 5.1 or A5.1b stay as they are."""
    rules = list(rules)
    said, ids = Counter(r.said for r in rules if _WORD_ID.fullmatch(r.id)), {r.id for r in rules}
    return {r.id: r.said if _WORD_ID.fullmatch(r.id) and said[r.said] == 1 and r.said not in ids else r.id
            for r in rules}


#: Where a clause may be cut for a short label: the end of a clause, never inside a list (、) or an amount.
_CLAUSE_END = re.compile(r"[，,；;。：:！？]")
#: An amount as clauses write it (扣 0.5 分, 98%, 1 个百分点, 每次扣0.5-1.5分): a label never ends inside one.
#: What a rule costs or gives (扣0.5分, 加 1 分, 扣1-5分): a shortened label keeps it.
_SCORE = re.compile(r"[扣加减得]\s*\d+(?:\.\d+)?(?:\s*[-–~至]\s*\d+(?:\.\d+)?)?\s*分")
_AMOUNT = re.compile(r"[扣加得]?\s*\d+(?:\.\d+)?(?:\s*[-–~至]\s*\d+(?:\.\d+)?)?\s*(?:%|个百分点|分|项|次|条|个|篇|天|件)?")


def clause_head(text: str, width: int = 24, slack: int = 12) -> str:
    """A clause shortened for a label (the template's drop-down, the compare report's 主要原因) that keeps its
    amount: the text whole when it is at most ``width + slack`` characters, else up to the end of the clause that
    holds the ``width``-th character if that ends within ``slack`` more, else up to the last clause end (or 、)
    before it, else before the amount the cut would split; ``…`` marks what is left out, and the first amount
    left out (扣 0.5 分) follows it, so a label never hides what the rule costs.

    >>> clause_head("接通率低于 98%，每下降 1 个百分点，扣 0.5 分")
    '接通率低于 98%，每下降 1 个百分点，扣 0.5 分'
    >>> clause_head("全年按时办结率、满意度低于 95%，每下降 1 个百分点，分别扣 0.2 分")
    '全年按时办结率、满意度低于 95%，每下降 1 个百分点…扣 0.2 分'
    >>> clause_head("依申请公开工作涉及的单位,出现未及时回复、未按要求答复、答复内容不规范、被申请人提起行政复议或诉讼的")
    '依申请公开工作涉及的单位…'
    >>> clause_head("在政务服务事项审批中未按国家规范要求生成每次扣0.5分并限期整改到位且通报全县各单位知悉")
    '在政务服务事项审批中未按国家规范要求生成每次扣0.5分…'
    """
    text = " ".join(text.split())
    if len(text) <= width + slack:
        return text
    ends = [m.start() for m in _CLAUSE_END.finditer(text)]
    end = next((e for e in ends if e >= width), len(text))
    if end <= width + slack:
        head = text[:end]
    elif before := [e for e in ends if 0 < e < width] or [m.start() for m in re.finditer("、", text) if 0 < m.start() < width]:
        head = text[:before[-1]]
    else:
        cut = width
        for m in _AMOUNT.finditer(text):
            if m.start() < cut < m.end() and m.group().strip():
                cut = m.start()
        head = text[:cut].rstrip()
    if len(head) == len(text):
        return text
    if not _SCORE.search(head) and (m := next((m for m in _SCORE.finditer(text) if m.end() > len(head)), None)):
        if m.start() <= len(head) + 1:  # the cut fell at or inside the amount: keep the clause on to its end
            return text[:m.end()] + ("…" if m.end() < len(text) else "")
        return head + "…" + m.group().strip()
    return head + "…"


def num(value: Decimal) -> str:
    """A number of a computation as shown: exact, or to 4 places with ≈ where it does not end (1 ÷ 3).

    >>> num(Decimal("1.5")), num(Decimal(1) / Decimal(3))
    ('1.5', '≈0.3333')
    """
    exact = fmt(value)
    return exact if len(exact.partition(".")[2]) <= 4 else "≈" + fmt(round_half_up(value, 4))


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
    name = model.name()

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
__all__ = ["INPUTS", "Finding", "Rule", "RuleBase", "amount", "clause_head", "get_kind", "kinds", "num", "register",
           "shown_ids"]
