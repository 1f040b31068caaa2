"""``kaohe rubric lint``: the source document's own inconsistencies, surfaced rather than hidden."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from .composite import weight_findings
from .numbers import fmt
from .rubric import Rubric, with_changes


@dataclass(frozen=True)
class Finding:
    severity: str  # 错误 (refused), 警告 (the document is inconsistent) or 提示 (a reading was needed)
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.severity} {self.where}：{self.message}"


def lint(rubric: Rubric) -> list[Finding]:
    out: list[Finding] = []
    points = rubric.effective_points
    top = [points[n.id] for n in rubric.indicators if points[n.id] is not None]
    if rubric.aggregate == "deduct" and not rubric.pooled and sum(top, Decimal(0)) != rubric.points:
        out.append(Finding("警告", rubric.id, f"各指标分值合计 {fmt(sum(top, Decimal(0)))} 分，与总分 {fmt(rubric.points)} 分不符"))
    for node in rubric.nodes:
        where = f"{node.id} {node.name}"
        if node.points is not None and node.children and node.combine != "weighted":  # weights add up instead
            kids = [points[c.id] for c in node.children]
            written = [k for k in kids if k is not None]
            if written and sum(written, Decimal(0)) != node.points:
                out.append(Finding("警告", where, f"下级分值合计 {fmt(sum(written, Decimal(0)))} 分，与本项 {fmt(node.points)} 分不符"))
        adjusts_a_weighted_score = any(a.combine == "weighted" for a in rubric.ancestors(node)[1:])
        if (node.rules and points[node.id] is None and not rubric.pooled and not adjusts_a_weighted_score
                and any(r.kind not in ("veto", "disqualify") for r in node.rules)):
            out.append(Finding("警告", where, "该项没有单独分值" + (f"（读法：{node.reading}）" if node.reading else "")))
        cap = _nearest_points(rubric, node, points)
        for r in node.rules:
            rw = f"{r.id}（{where}）"
            if r.kind == "unscored":
                out.append(Finding("警告", rw, f"条款未规定扣分额度：「{r.text}」"))
            biggest = getattr(r, "amount", None) or getattr(r, "max", None)
            if biggest is not None and cap is not None and biggest > cap:
                out.append(Finding("警告", rw, f"单项扣分 {fmt(biggest)} 分超过所在指标分值 {fmt(cap)} 分"))
            if r.kind == "rate_shortfall":
                out.append(Finding("提示", rw, f"“每下降1个百分点”的读法：{r.describe()}"))
            if r.kind == "exceed":  # how the tiers and the steps combine is a reading, not the clause's words
                out.append(Finding("提示", rw, f"超额加分各档与“每超过”如何合计的读法：{r.describe()}"))
            if r.reading:
                out.append(Finding("提示", rw, f"读法：{r.reading}"))
    texts: dict[tuple[str, str], list[str]] = {}
    for r in rubric.rules.values():
        texts.setdefault((rubric.rule_node[r.id].id, r.text), []).append(r.id)
    for (_, text), ids in texts.items():
        if len(ids) > 1:
            out.append(Finding("提示", "、".join(ids), f"同一原文拆为 {len(ids)} 条规则：「{text}」"))
    out += [Finding("警告", where, message) for where, message in weight_findings(rubric)]
    vetoes = [r for r in rubric.rules.values() if r.kind == "veto"]
    for v in vetoes:
        for r in rubric.rules.values():
            if r.kind != "veto" and "通报批评" in r.text:
                hit = [lv for lv in v.levels or () if re.search(f"{lv}级?通报批评|被{lv}级", r.text)]
                if hit:
                    out.append(Finding("警告", r.id, f"「{r.text}」与一票否决条款「{v.text}」都涉及{'、'.join(hit)}级通报批评，"
                                                     "同一通报应记在哪条规则需由记录人确定"))
    return out + alternative_findings(rubric)


def alternative_findings(rubric: Rubric) -> list[Finding]:
    """Alternatives a robustness analysis cannot use: one that does not apply, changes a verbatim text (the
    document's words are not a reading) or changes nothing; and a quoted clause that is no text of the rubric."""
    out: list[Finding] = []
    texts = [_bare(t) for t in _texts(rubric)]
    for rd in rubric.readings:
        for i, alt in enumerate(rd.alternatives, 1):
            where = f"读法 {rd.id} 的第 {i} 种另一读法「{alt.label}」"
            verbatim = [f"{c.id}.{f}" for c in alt.changes for f in c.set if f == "text" or f.endswith("_text")]
            if verbatim:
                out.append(Finding("错误", where, f"更改了逐字照录的原文（{'、'.join(verbatim)}）：另一种读法只能改计分方式，不能改原文"))
                continue
            try:
                changed = with_changes(rubric, alt.changes)
            except ValueError as exc:
                out.append(Finding("错误", where, f"无法应用：{str(exc).splitlines()[0]}"))
                continue
            if changed.model_dump(exclude={"readings"}) == rubric.model_dump(exclude={"readings"}):
                out.append(Finding("错误", where, "没有改变任何计分内容：各项更改的值与细则现有的值相同"))
            if not any(_bare(alt.clause) in t for t in texts):
                out.append(Finding("警告", where, f"所引条款「{alt.clause}」不在细则任何一条原文（text）中"))
    return out


def _texts(rubric: Rubric) -> list[str]:
    out = [r.text for r in rubric.rules.values()] + [n.text for n in rubric.nodes if n.text]
    out += [x.text for x in (rubric.grades, rubric.awards.excellent) if x is not None]
    return out + ([rubric.points_text] if rubric.points_text else [])


def _bare(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _nearest_points(rubric: Rubric, node, points) -> Decimal | None:
    for n in rubric.ancestors(node):
        if points[n.id] is not None:
            return points[n.id]
    return None
