"""The rubric workbench (notebooks/rubric_workbench.ipynb): a document drafted, the corrected rubric compared with
the draft and checked against the document, a small ledger scored, and each clause shown with its kind, amounts
and evidence. Each function returns escaped HTML (:class:`kaohe.html.Fragment`) for one section, so the notebook
is narrative plus one call per section, as the report notebooks are.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from .errors import InputError
from .html import Fragment, join, table, tag
from .numbers import fmt
from .rubric import Rubric
from .scoring import Result

#: Raw fields shown in words where the workbook has no column for them.
_MORE_NAMES = {"id": "编号", "kind": "计分方式", "name": "名称", "text": "条款原文", "points": "分值", "weight": "权重",
               "unit": "单位", "percent": "百分率", "per_occurrence": "每次判定", "bonus": "加分", "document": "所依文件",
               "tiers": "各档", "then": "每超出", "inclusive": "含本数", "note": "说明", "reading": "读法"}


def field_names() -> dict[str, str]:
    """Raw field -> the words the workbook uses for it (its column header, or its row in 细则信息)."""
    from .workbook import INFO_ROWS, PARAMS

    info = {path[0]: label for label, path, _, _ in INFO_ROWS if len(path) == 1}
    return {**info, **_MORE_NAMES, **{c.field: c.header for c in PARAMS}}


def kind_name(rule: dict) -> str:
    """The 计分方式 a clerk sees for a raw rule (视情加分, 按级别加分 for the bonus variants)."""
    from .workbook import kind_label

    return kind_label(rule)[0]


def _value(v, key: str = "") -> str:
    from .workbook import ENUMS

    if isinstance(v, str) and v in ENUMS.get(key, {}):
        return ENUMS[key][v]  # whole_steps_down → 整步（不足一步不扣）, as the workbook's drop-down says it
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, Decimal):
        return fmt(v)
    if isinstance(v, dict):
        return "、".join(f"{k} {_value(x)}" for k, x in v.items())
    if isinstance(v, list):
        return "、".join(_value(x) for x in v)
    return str(v)


def parameters(rule: dict) -> str:
    """A raw rule's parameters in the workbook's words: 每次分值 0.5；上限 3."""
    names = field_names()
    shown = {"id", "kind", "text", "bonus" if rule.get("kind") in ("discretionary", "per_level") else ""}
    return "；".join(f"{names.get(k, k)} {_value(v, k)}" for k, v in rule.items() if k not in shown)


def _walk(nodes: list[dict], path: tuple[str, ...] = ()):
    """(node or rule, kind of row, path of names above it), depth first, a node's rules before its children."""
    for n in nodes:
        here = (*path, str(n.get("name", "")))
        yield n, "node", path
        for r in n.get("rules", []):
            yield r, "rule", here
        yield from _walk(n.get("children", []), here)


def drafted(data: dict, pending: dict[str, str]) -> Fragment:
    """Every row of a draft (raw data from :func:`kaohe.draft.draft`): its place, text, 计分方式, parameters, and
    why it is 待确认; then the rubric's own facts that are 待确认."""
    rows = []
    for item, what, path in _walk(data.get("indicators", [])):
        ident = str(item.get("id", ""))
        if what == "node":
            rows.append([ident, " › ".join((*path, str(item.get("name", "")))),
                         item.get("text", ""), "（指标）", _node_facts(item), pending.get(ident, "")])
        else:
            rows.append([ident, " › ".join(path), item.get("text", ""), kind_name(item), parameters(item),
                         pending.get(ident, "")])
    ids = {str(item.get("id", "")) for item, _, _ in _walk(data.get("indicators", []))}
    facts = [[k, _value(_get(data, k)), why] for k, why in pending.items() if k not in ids]
    n_rules = sum(what == "rule" for _, what, _ in _walk(data.get("indicators", [])))
    parts = [tag("p", f"起草出 {len(rows) - n_rules} 个指标、{n_rules} 条规则，{len(pending)} 项待确认。"),
             table(["编号", "指标", "原文", "计分方式", "参数", "待确认"], rows, "kaohe-draft")]
    if facts:
        parts += [tag("p", "细则本身待确认的项："), table(["项目", "草稿中的值", "待确认"], facts)]
    return join(parts)


def _get(data: dict, dotted: str):
    value = data
    for key in dotted.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    return value if value is not None else ""


def _node_facts(node: dict) -> str:
    names = field_names()
    return "；".join(f"{names.get(k, k)} {_value(node[k], k)}" for k in ("points", "weight", "combine", "start")
                    if node.get(k) is not None)


def changes(data: dict, rubric: Rubric) -> Fragment:
    """What the person changed between the draft and the corrected rubric, row by row: items added or removed, and
    each field whose value differs (the 计分方式, a parameter, the 分值, the name…)."""
    names = field_names()
    before = {str(x["id"]): (x, what) for x, what, _ in _walk(data.get("indicators", []))}
    after: dict[str, tuple[dict, dict]] = {}  # id -> (every field, the fields not at their default)
    for node in rubric.nodes:
        skip = {"children", "rules"}
        after[node.id] = (node.model_dump(exclude=skip), node.model_dump(exclude=skip, exclude_defaults=True))
        for rule in node.rules:
            after[rule.id] = ({"kind": rule.kind, **rule.model_dump()}, rule.model_dump(exclude_defaults=True))
    rows = []
    for key in ("id", "title", "applies_to", "points", "aggregate", "period"):
        a, b = data.get(key), getattr(rubric, key)
        b = b.model_dump() if hasattr(b, "model_dump") else b
        if _value(a, key) != _value(b, key):
            rows.append(["（细则）", names.get(key, key), "" if a is None else _value(a, key), _value(b, key)])
    if rubric.grades and not data.get("grades"):
        rows.append(["（细则）", "等次", "", "、".join(f"{b.grade} {fmt(b.min)}" if b.min is not None else b.grade
                                                 for b in rubric.grades.bands)])
    if rubric.veto and not data.get("veto"):
        rows.append(["（细则）", "一票否决等次", "", rubric.veto.grade])
    for ident in [*before, *(i for i in after if i not in before)]:
        if ident not in after:
            rows.append([ident, "删除", before[ident][0].get("text") or before[ident][0].get("name", ""), ""])
            continue
        if ident not in before:
            rows.append([ident, "新增", "", after[ident][0].get("text") or after[ident][0].get("name", "")])
            continue
        a = {k: v for k, v in before[ident][0].items() if k not in ("children", "rules")}
        full, written = after[ident]
        for key in dict.fromkeys([*a, *written]):
            if key == "bonus":
                continue  # said by the 计分方式 (视情加分, 按级别加分)
            va, vb = ((kind_name(a), kind_name(full)) if key == "kind" else
                      (_value(a.get(key, ""), key), _value(full.get(key) if full.get(key) is not None else "", key)))
            if va != vb:
                rows.append([ident, names.get(key, key), va, vb])
    if not rows:
        return tag("p", "校对后的细则与草稿相同。")
    return join([tag("p", f"校对时改动 {len(rows)} 处（草稿中有、校对后删去的行，以及新增的行也列在这里）："),
                 table(["编号", "项目", "草稿", "校对后"], rows, "kaohe-changes")])


def coverage(rubric: Rubric, document: str | Path) -> Fragment:
    """``kaohe rubric check``: texts verbatim, every scoring phrase of the document covered, as tables."""
    from .coverage import check, read_source

    report = check([rubric], read_source(document))
    parts = []
    if report.mismatches:
        parts += [tag("p", f"{len(report.mismatches)} 处原文在原文件中找不到："),
                  table(["编号", "字段", "细则中的原文", "说明"],
                        [[m.quote.owner, m.quote.field, m.quote.text, m.hint] for m in report.mismatches])]
    else:
        parts.append(tag("p", f"原文相符：{report.quoted} 处原文均逐字见于原文件。"))
    if report.gaps:
        parts += [tag("p", f"{len(report.gaps)} 处计分条款没有规则（共 {report.phrases} 处计分用语）："),
                  table(["位置", "计分用语", "原文（未覆盖部分）"],
                        [[g.where, "、".join(g.phrases), g.text] for g in report.gaps])]
    else:
        parts.append(tag("p", f"计分条款：{report.phrases} 处计分用语都在规则原文之内。"))
    parts.append(tag("p", "结论：通过。" if report.ok else "结论：未通过。", "kaohe-verdict"))
    return join(parts)


def lint(rubric: Rubric) -> Fragment:
    """``kaohe rubric lint``: what the rubric itself says that does not add up, and the readings it takes."""
    from .lint import lint as find

    found = find(rubric)
    if not found:
        return tag("p", "没有发现问题。")
    return table(["级别", "位置", "说明"], [[f.severity, f.where, f.message] for f in found])


def score(rubric: Rubric, roster: str | Path, evidence: str | Path) -> Result:
    """The ledger checked and scored with this rubric alone; every problem at once, as ``kaohe score`` does."""
    from .ledger import load_evidence, load_roster
    from .scoring import score as score_rubric
    from .validate import check, resolve

    people = load_roster(roster)
    found = resolve([rubric], people, load_evidence(evidence))
    problems = [p for p in check([rubric], people, found, every_category_scored=False) if p.severity == "error"]
    if problems:
        raise InputError(problems)
    return score_rubric(rubric, people, found)


def totals(result: Result) -> Fragment:
    """The 通报 table: rank, unit, score, grade, veto."""
    b = result.bulletin()
    return table(list(b.columns), b.itertuples(index=False), "kaohe-ranking")


def clauses(result: Result) -> Fragment:
    """Each clause of the rubric: its text, 计分方式 and amounts in words, and the ledger rows it scored (unit,
    record, what the clause gives, what was applied after caps)."""
    r = result.rubric
    ledger = result.ledger
    rows = []
    for rid, rule in r.rules.items():
        node = r.rule_node[rid]
        mine = ledger[ledger["rule"] == rid]
        evidence = "；".join(
            f"{e['unit']} {e['evidence_id']}：{_signed(e['raw'])}" + ("" if e["raw"] == e["applied"] else
                                                                  f"，实计 {_signed(e['applied'])}（{e['reason']}）")
            for _, e in mine.iterrows())
        rows.append([rid, f"{node.id} {node.name}", rule.text, rule.label, rule.describe(), evidence])
    return table(["编号", "指标", "条款原文", "计分方式", "计分", "台账证据（单位 记录：扣分，负数为加分）"], rows, "kaohe-clauses")


def _signed(v) -> str:
    return "" if v is None else fmt(v)
