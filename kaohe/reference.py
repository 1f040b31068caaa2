"""The rubric reference (docs/reference.md) and its JSON Schema, both generated from the pydantic models, so
neither can drift from what kaohe accepts: ``python -m kaohe.reference > docs/reference.md``; ``kaohe rubric
schema``. The words come from each field's Chinese ``description`` and ``examples`` and each rule kind's
``label`` and ``example`` (tests/test_reference.py checks that none is missing).

The two tables of the guide docs/编写细则.md (usual phrasings → 计分方式, every 计分方式 with its example) are
generated here too, from :data:`kaohe.draft.PHRASES` (each drafted from its own example clause) and the workbook's
names and columns: ``python -m kaohe.reference --guide`` (tests/test_guide.py says when).
"""

from __future__ import annotations

import sys
from datetime import date
from decimal import Decimal
from types import UnionType
from typing import Annotated, Literal, Union, get_args, get_origin

from annotated_types import Ge, Gt
from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from .coverage import PHRASES
from .rubric import (
    Awards,
    Band,
    Excellent,
    FailMark,
    Gate,
    Grades,
    Node,
    NotApplicable,
    Period,
    Reading,
    Rubric,
    Source,
    Veto,
    yaml_text,
)
from .rules import RuleBase, kinds
from .rules.exceed import Steps, Tier

#: The parts of a rubric besides the rubric itself, its nodes and the rule kinds, in the order a file has them.
PARTS: tuple[type[BaseModel], ...] = (Source, Period, Grades, Band, Awards, Excellent, Veto, Reading, Gate, FailMark,
                                      NotApplicable, Tier, Steps)

# Draft 7, the one yaml-language-server (VS Code's YAML extension) supports fully; it warns on 2020-12.
SCHEMA_URI = "http://json-schema.org/draft-07/schema#"


def schema() -> dict:
    """The JSON Schema of a rubric file written in full, as editors use it (yaml-language-server: completion of
    fields and of ``kind``, each rule checked against its kind's fields, descriptions on hover). A draft written
    as ``based_on`` plus ``changes`` is checked by kaohe after it is merged with its base, not by this schema."""
    out = Rubric.model_json_schema(ref_template="#/definitions/{model}")
    out["definitions"] = out.pop("$defs")  # draft 7's name for them

    def tidy(node):
        if isinstance(node, dict):
            for prop in (node.get("properties") or {}).values():
                prop.pop("title", None)  # pydantic's English field titles (Per, Records Until): the descriptions say it
            if "$ref" in node and len(node) > 1:  # draft 7 ignores what stands beside a $ref: the description
                node["allOf"] = [{"$ref": node.pop("$ref")}]
            for value in node.values():
                tidy(value)
        elif isinstance(node, list):
            for value in node:
                tidy(value)

    tidy(out)
    return {"$schema": SCHEMA_URI, **out}


def markdown() -> str:
    """docs/reference.md: every field of a rubric, a node, each part, and every rule kind with its example."""
    out = [
        "# 细则参考",
        "",
        "本文由 kaohe 的数据模型生成（`python -m kaohe.reference > docs/reference.md`），与程序接受的写法一致，请勿手改。",
        "怎样从原文件写出细则，见[编写细则](编写细则.md)；这里逐项列出细则文件（YAML）可写的字段。",
        "",
        "编辑器补全与检查：`kaohe rubric schema --out 细则.schema.json` 写出 JSON Schema，在细则文件第一行写",
        "",
        "```yaml",
        "# yaml-language-server: $schema=细则.schema.json",
        "```",
        "",
        "VS Code（装 YAML 扩展）等编辑器即按它提示字段、`kind` 的取值和每个字段的说明。写好后用",
        "`kaohe rubric check 细则.yaml --source 原文件.docx` 对照原文检查。",
        "",
        "表中“必填”的字段必须写；其余可不写，不写时取“默认”。数一律写阿拉伯数字（0.5、15），日期写 YYYY-MM-DD。",
        "",
        f"## {_title(Rubric)}（文件顶层）",
        "",
        _summary(Rubric) + "。",
        "",
        *_fields(Rubric),
        "",
        f"## {_title(Node)}（indicators、children 的每一项）",
        "",
        _summary(Node) + "。一个指标要么有下级指标（children），要么有规则（rules）；只有 given（给定得分）规则可以与下级并存。",
        "",
        *_fields(Node),
    ]
    for part in PARTS:
        out += ["", f"## {_title(part)}", "", _summary(part) + "。", "", *_fields(part)]
    out += ["", "## 规则（rules 的每一项）", "",
            "每条规则有一个计分方式 `kind`，以及该方式自己的参数。每条规则都可写的字段：", "",
            *_fields(RuleBase, only=[f for f in RuleBase.model_fields]), "",
            "### 计分方式一览", "",
            "| kind | 名称 | 原文例句 → 计分 |", "| --- | --- | --- |"]
    for name, k in kinds().items():
        m = k.model
        out.append(f"| `{name}` | {m.label} | {_cell(m.summary())} |")
    for name, k in kinds().items():
        m = k.model
        own = [f for f in m.model_fields if f not in RuleBase.model_fields and f != "kind"]
        out += ["", f"### {name}（{m.label}）", "", f"例：「{m.example['text']}」", "", "```yaml",
                *_yaml_rule(m), "```", "", f"计分：{m.sample().describe()}。", ""]
        out += _fields(m, only=own) if own else ["本方式没有自己的参数。"]
    out += ["", "## kaohe rubric check 认作计分条款的用语", "",
            "原文中出现下列用语的地方，都应落在某条规则（或指标等）的原文 text 之内；引号中的用语是名称，不算。", ""]
    out += [f"- {said}" for said, _ in PHRASES]
    return "\n".join(out) + "\n"


def _title(model: type[BaseModel]) -> str:
    return model.model_config.get("title") or model.__name__


def _summary(model: type[BaseModel]) -> str:
    return (model.model_config.get("json_schema_extra") or {}).get("description", "")


def _fields(model: type[BaseModel], only: list[str] | None = None) -> list[str]:
    rows = ["| 字段 | 类型 | 必填或默认 | 说明 | 例 |", "| --- | --- | --- | --- | --- |"]
    for name in only or list(model.model_fields):
        info = model.model_fields[name]
        example = yaml_text(info.examples[0]) if info.examples else ""
        rows.append(f"| `{name}` | {_type(info.annotation, info.metadata)} | {_default(info)} | "
                    f"{_cell(info.description or '')} | {_cell(example)} |")
    return rows


def _default(info) -> str:
    if info.is_required():
        return "必填"
    value = info.default_factory() if info.default is PydanticUndefined else info.default
    if value is None:
        return "可不写"
    if isinstance(value, BaseModel):
        return "可不写"
    return f"默认 `{yaml_text(value)}`"


def _type(t, metadata=()) -> str:
    """A field's type in words: 文字, 正数, `month` 或 `quarter`, 规则的列表…"""
    if get_origin(t) is Annotated:
        args = get_args(t)
        return _type(args[0], [*metadata, *(m for a in args[1:] for m in getattr(a, "metadata", [a]))])
    if get_origin(t) in (Union, UnionType):
        members = [a for a in get_args(t) if a is not type(None)]
        if all(isinstance(a, type) and issubclass(a, RuleBase) for a in members):
            return "规则（见计分方式）"
        return " 或 ".join(_type(a, metadata) for a in members)
    if get_origin(t) is Literal:
        return " 或 ".join(f"`{v}`" for v in get_args(t))
    if get_origin(t) is list:
        return f"{_type(get_args(t)[0])}的列表"
    if get_origin(t) is dict:
        return f"映射（名称: {_type(get_args(t)[1])}）"
    if t is Decimal:
        if any(isinstance(m, Gt) and m.gt == 0 for m in metadata):
            return "正数"
        if any(isinstance(m, Ge) and m.ge == 0 for m in metadata):
            return "不小于 0 的数"
        return "数"
    if t is bool:
        return "`true` 或 `false`"
    if t is int:
        return "整数"
    if t is date:
        return "日期"
    if t is str:
        return "文字"
    if isinstance(t, type) and issubclass(t, BaseModel):
        return f"「{_title(t)}」"
    return str(t)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _yaml_rule(model: type[RuleBase]) -> list[str]:
    fields = {"kind": model.name(), **model.example}
    order = [f for f in model.field_order() if f in fields]
    return [f"{'- ' if i == 0 else '  '}{f}: {yaml_text(fields[f])}" for i, f in enumerate(order)]


# --- the generated tables of docs/编写细则.md -----------------------------------------------------------------

GUIDE = "docs/编写细则.md"
#: Where a generated table starts and ends in the guide; what is between is replaced by :func:`update_guide`.
BEGIN, END = "<!-- 生成：{} 开始（python -m kaohe.reference --guide，请勿手改） -->", "<!-- 生成：{} 结束 -->"

#: Phrasings that only make sense inside a clause (a cap after an amount, levels before a veto), shown in one:
#: phrase name -> the clause around its example ("{}").
IN_CONTEXT = {
    "level_up": "{}，实行一票否决",
    "level_each": "国家级每次扣5分，{}",
    "cap": "出现扣分的相关发布单位,每件次扣0.5分{}",
    "cap_most": "每发布一篇政策解读材料得2分{}",
    "cap_until": "网站栏目空白的，每处扣1分{}",
    "until": "办事指南要素缺失的，每发现一处扣0.5分{}",
    "partly": "内容全面规范的得5分{}",
    "none": "内容全面规范的得5分{}",
}


def _in_workbook(fields: dict) -> str:
    """A rule's parameters as the rubric workbook holds them: 每次分值 0.5，上限 2."""
    from .workbook import _shown_example

    return _shown_example({"text": "", **fields}).removeprefix("例：").removeprefix(" → ")


def phrase_rows() -> list[tuple[str, str, str, str]]:
    """(clause, 计分方式, parameters in the workbook's words, why 待确认) for each phrasing kaohe rubric draft reads
    (:data:`kaohe.draft.PHRASES`), each drafted from its own example clause."""
    from .draft import PHRASES, clauses, mirror, rules_of
    from .workbook import kind_label

    rows = []
    for name, phrase in PHRASES.items():
        line = IN_CONTEXT.get(name, "{}").format(phrase.example)
        for c in clauses(line):
            for d in rules_of(c, None, mirror(line)[:c.start]):
                fields = {k: v for k, v in d.fields.items() if k != "text"}
                label, named = kind_label(fields)  # 按级别加分 says bonus: true itself
                said = [_in_workbook({k: v for k, v in fields.items() if k not in named})]
                if d.whole:
                    said.append("扣分/加分 为本项全部分值")
                if c.until and "cap" not in fields:
                    said.append("上限为本项分值（扣完为止）")
                rows.append((c.text, label, "，".join(x for x in said if x), "；".join(d.why)))
    return rows


def kind_rows() -> list[tuple[str, str, str, str]]:
    """(计分方式, kind, example clause, how the workbook holds it) for every 计分方式 a clerk can choose."""
    from .workbook import EXAMPLES, kind_names

    rows = []
    for name, (kind, implied) in kind_names().items():
        example = EXAMPLES.get(name) or kinds()[kind].model.example
        fields = {k: v for k, v in example.items() if k not in ("id", "text", *implied)}
        rows.append((name, kind, example["text"], _in_workbook(fields)))
    return rows


def guide_tables() -> dict[str, str]:
    """The guide's generated tables by name, as Markdown."""
    phrases = ["| 原文写法（例句） | 起草为 | 工作簿中的参数 | 标为待确认的原因 |", "| --- | --- | --- | --- |"]
    phrases += [f"| {_cell(a)} | {_cell(b)} | {_cell(c)} | {_cell(d)} |" for a, b, c, d in phrase_rows()]
    table = ["| 计分方式 | kind | 原文例句 | 工作簿中的参数 |", "| --- | --- | --- | --- |"]
    table += [f"| {_cell(a)} | `{b}` | {_cell(c)} | {_cell(d)} |" for a, b, c, d in kind_rows()]
    return {"常见写法": "\n".join(phrases), "计分方式": "\n".join(table)}


def update_guide(text: str) -> str:
    """``text`` (the guide) with each generated table between its markers made current."""
    for name, table in guide_tables().items():
        begin, end = BEGIN.format(name), END.format(name)
        head, found, rest = text.partition(begin)
        if not found or end not in rest:
            raise ValueError(f"{GUIDE} 中没有「{begin}」…「{end}」")
        text = f"{head}{begin}\n{table}\n{end}{rest.partition(end)[2]}"
    return text


if __name__ == "__main__":  # pragma: no cover
    if sys.argv[1:] == ["--guide"]:  # rewrite the generated tables of docs/编写细则.md in place
        from pathlib import Path

        guide = Path(__file__).resolve().parents[1] / GUIDE
        guide.write_text(update_guide(guide.read_text(encoding="utf-8")), encoding="utf-8")
    else:
        sys.stdout.write(markdown())
