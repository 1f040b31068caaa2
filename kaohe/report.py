"""The sections of the unit report and of the summary, as escaped HTML fragments.

The notebooks are narrative plus one call per section; everything a section shows is computed here,
so it can be tested without a kernel. Every function returns a :class:`~kaohe.html.Fragment`.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from pathlib import Path

import pandas as pd
from markupsafe import Markup

from . import charts
from .assessment import Assessment
from .comparison import LEVEL_NAMES, Comparison
from .composite import SCORE_KINDS
from .html import END_MARKER, Fragment, dl, join, link, table, tag, unit_files
from .numbers import fmt, round_half_up
from .provenance import copy_names, versions
from .rubric import Rubric
from .rules import shown_ids
from .rules.periodic import PERIOD_NAMES, PERIODS_SAID, period_of, periods
from .rules.veto import EFFECTS as VETO_EFFECTS
from .scoring import Result, excellent_label

EVIDENCE_FIELDS = (("count", "次数/数量"), ("value", "数值"), ("level", "级别"), ("points", "分值/扣分"),
                   ("status", "完成情况"), ("required", "要求任务量"), ("done", "完成任务量"))


def _unit_row(result: Result, unit: str) -> pd.Series:
    return result.units[result.units["unit"] == unit].iloc[0]


def _when(a: Assessment, rubric: Rubric) -> str:
    return f"截至 {a.as_of}" if a.as_of else f"全年（{rubric.period.start} 至 {rubric.period.end}）"


def _excellent_text(row) -> str:
    label = excellent_label(row["excellent"], row["excellent_pending"])
    return {"待定": "待研究决定（名额边界同分）", "": "否"}.get(label, label)


# --- the unit report -------------------------------------------------------------------------------

def unit_header(a: Assessment, unit: str) -> Fragment:
    r = a.rubric_of(unit)
    category = a.roster.category_of()[unit]
    facts = [("被考核单位", unit), ("类别", category), ("考核", a.run.config.title), ("细则", r.title),
             ("细则编号与版本", f"{r.id}，第 {r.version} 版"), ("依据文件", f"{r.source.title}（{r.source.doc_no}）"),
             ("发文机关", r.source.issuer), ("所在部分", r.source.part or ""),
             ("考核期", f"{r.period.start} 至 {r.period.end}"), ("计分范围", _when(a, r))]
    return join([tag("p", f"{unit} · {a.run.config.year} 年度", "kaohe-unit"), dl(facts)])


def _rank_text(row, n: int) -> str:
    if row["rank"] is None:
        return f"不参加排名（取消年度评价资格），共 {n} 个单位"
    return f"第 {row['rank']} 名，共 {n} 个单位"


def unit_result(a: Assessment, unit: str) -> Fragment:
    result = a.result_of(unit)
    r, row = result.rubric, _unit_row(result, unit)
    n = result.size
    kinds = {rule.kind for rule in r.rules.values()}
    if stopped(result, unit):
        items = [("得分", f"{fmt(row['total'])}（单项否决：其余部分不再评分，按固定分计）")]
    elif r.rescaled:
        items = [("得分", f"{fmt(row['total'])}（按比例折合为 {fmt(row['points'])} 分制；模块合计 {fmt(row['subtotal'])}，"
                          f"适用模块满分 {fmt(row['max'])}）")]
    elif r.aggregate == "sum":
        items = [("得分", f"{fmt(row['total'])}（各部分得分之和；各部分满分合计 {fmt(row['max'])}）")]
    else:
        items = [("得分", f"{fmt(row['total'])}（满分 {fmt(row['points'])}，扣 {fmt(row['deducted'])} 分）")]
    if r.grades:
        items.append(("等次", row["grade"]))
    items.append(("排名", _rank_text(row, n)))
    if r.can_veto:
        items.append(("一票否决", "是" if row["vetoed"] else "否"))
    if "disqualify" in kinds:
        items.append(("取消年度评价资格", "是" if row["disqualified"] else "否"))
    if r.awards.excellent:
        items.append((r.awards.excellent.name, _excellent_text(row)))
    gates = [g for g in r.indicators if g.eligibility_min is not None]
    if r.bars_awards:
        items.append(("取消评优资格", "是" if row["ineligible"] else "否"))
    parts = [dl(items)]
    scores = result.nodes[result.nodes["unit"] == unit].set_index("node")["score"]
    low = [g for g in gates if scores[g.id] is not None and scores[g.id] < g.eligibility_min]
    if low:
        names = "、".join(f"「{g.name}」低于 {fmt(g.eligibility_min)} 分" for g in low)
        parts.append(tag("p", f"本单位{names}：按细则取消年度评优资格，照常计分排名。", "kaohe-veto"))
    parts += [tag("p", note, "kaohe-note") for note in row["notes"]]
    if row["vetoed"]:
        parts.append(_veto_text(a, result, unit, row))
    if row["disqualified"]:
        parts.append(tag("p", f"本单位被取消年度评价资格：按细则计算的得分 {fmt(row['total'])} 分照常列出以便复核，"
                              "但不参加排名和评优。依据见下文“每一项扣分”中的取消资格记录。", "kaohe-veto"))
    for _, d in result.decisions.iterrows():
        if unit in str(d["units"]).split("、"):
            parts.append(tag("p", f"{d['award']}：{d['reason']}（{d['units']}）", "kaohe-pending"))
    return join(parts)


def stopped(result: Result, unit: str) -> bool:
    """Whether a veto stopped the scoring of the whole unit (its score is the veto's fixed score)."""
    r = result.rubric
    rows = result.ledger[(result.ledger["unit"] == unit) & (result.ledger["kind"] == "veto")]
    return any(r.rules[x].effect == "stop" and r.rules[x].scope is None for x in rows["rule"])


def _veto_text(a: Assessment, result: Result, unit: str, row) -> Fragment:
    """What the veto did, the clause that vetoed and the record it rests on."""
    r = result.rubric
    led = result.ledger[(result.ledger["unit"] == unit) & (result.ledger["kind"] == "veto")]
    hits = [e for _, e in led.iterrows() if r.rules[e["rule"]].effect == "grade"
            or (r.rules[e["rule"]].effect == "stop" and (r.rules[e["rule"]].scope is None or r.rules[e["rule"]].grade))]
    first = hits[0]
    rule, f = r.rules[first["rule"]], a.finding(first["file"], first["row"])
    if rule.effect == "stop":
        what = (f"本单位被单项否决：等次定为「{row['grade']}」，"
                + (f"「{r.nodes_by_id[rule.scope].name}」不再评分，计 {fmt(rule.fixed_score)} 分。" if rule.scope else
                   f"其余部分不再评分，总分计 {fmt(row['total'])} 分，排名列在所有未被否决的单位之后。"))
    else:
        what = (f"本单位被一票否决：按细则计算的得分 {fmt(row['total'])} 分照常列出以便复核，"
                f"但等次定为「{row['grade']}」，排名列在所有未被否决的单位之后。{r.veto.reading if r.veto else ''}")
    where = f"记录 {first['evidence_id']}（{first['date'].isoformat()}{'，' + f.note if f.note else ''}）"
    return join([tag("p", what, "kaohe-veto"), tag("blockquote", rule.text, "kaohe-clause"),
                 tag("p", f"依据：{rule_name(r, rule.id)}，{where}。", "kaohe-veto")])


def lost_by_top(result: Result, units: list[str] | None = None) -> pd.DataFrame:
    """Points of the total each unit lost in each top-level indicator (rows: ``units``, default every unit
    in ranking order).

    A deduction rubric loses what was deducted; a weighted one loses weight% × (points − score) / points
    of the total (to 0.01), so the columns add up to full marks minus the score either way."""
    r = result.rubric
    units = list(result.units["unit"]) if units is None else units
    top = result.nodes[(result.nodes["depth"] == 0) & result.nodes["unit"].isin(units)].copy()
    if r.aggregate == "sum":  # each applicable part's shortfall, converted like the total where it is rescaled
        out_of = dict(zip(result.units["unit"], result.units["max"]))
        full = r.scale or r.points
        top["lost"] = [0 if s is None or p is None or n in r.starts_at_zero else  # a bonus not earned is not lost
                       round_half_up((p - s) / out_of[u] * full, 2) if r.rescaled else p - s
                       for n, u, p, s in zip(top["node"], top["unit"], top["points"], top["score"])]
    elif r.aggregate == "weighted":
        weight = {n.id: n.weight for n in r.indicators}
        top["lost"] = [(weight[n] or 0) / 100 * (p - (s if s is not None else 0)) / p * r.points if p else 0
                       for n, p, s in zip(top["node"], top["points"], top["score"])]
    else:
        top["lost"] = top["deducted"]
    m = top.pivot(index="unit", columns="node", values="lost")
    return m.loc[units, [n.id for n in r.indicators]]


def unit_waterfall(a: Assessment, unit: str) -> Fragment:
    result = a.result_of(unit)
    row = _unit_row(result, unit)
    names = {n.id: f"{n.id} {n.name}" for n in result.rubric.indicators}
    lost = lost_by_top(result, [unit]).loc[unit]
    steps = [(names[node], value) for node, value in lost.items() if value > 0]
    start = row["points"]
    if result.rubric.aggregate == "sum" and not result.rubric.rescaled:
        rest = start - sum((d for _, d in steps), Decimal(0)) - row["total"]
        if rest:  # not lost in a part: a bonus part (negative: it rises), a veto that stopped the scoring
            steps.append(("加分" if rest < 0 else "单项否决", rest))
    fig = charts.waterfall(start, steps, row["total"], f"{unit}：从满分到得分")
    alt = f"{unit}：从满分到得分。" + "；".join([f"满分 {fmt(start)}", *(f"{s} {'扣' if d > 0 else '加'} {fmt(abs(d))}"
                                                                       for s, d in steps), f"得分 {fmt(row['total'])}"])
    return Fragment(charts.to_html(fig, alt))


def unit_indicators(a: Assessment, unit: str) -> Fragment:
    result = a.result_of(unit)
    r = result.rubric
    nodes = result.nodes[result.nodes["unit"] == unit]
    if r.aggregate != "deduct":
        weight = {n.id: n.weight for n in r.nodes}
        rows = [[n["node"], Markup("&emsp;" * int(n["depth"])) + Markup.escape(n["name"]),
                 "" if weight[n["node"]] is None else f"{fmt(weight[n['node']])}%", n["points"], n["deducted"],
                 n["score"], n["basis"]] for _, n in nodes.iterrows()]
        return table(["编号", "指标", "权重", "满分", "扣分（负数为加分）", "得分", "得分来源"], rows, "kaohe-indicators",
                     {3: "num", 4: "num", 5: "num"})
    rows = [[n["node"], Markup("&emsp;" * int(n["depth"])) + Markup.escape(n["name"]), n["points"], n["deducted"],
             n["score"]] for _, n in nodes.iterrows()]
    row = _unit_row(result, unit)
    rows.append([Markup("<strong>合计</strong>"), "", row["points"], row["deducted"], row["total"]])
    return table(["编号", "指标", "分值", "扣分", "得分"], rows, "kaohe-indicators", {2: "num", 3: "num", 4: "num"})


def unit_composition(a: Assessment, unit: str) -> Fragment:
    """How the total is formed: full marks less deductions, or the weighted sum of the parts."""
    result = a.result_of(unit)
    r, row = result.rubric, _unit_row(result, unit)
    if r.aggregate == "sum":
        nodes = result.nodes[(result.nodes["unit"] == unit) & (result.nodes["depth"] == 0)].set_index("node")
        rows = [[f"{n.id} {n.name}", n.points, nodes.at[n.id, "score"], nodes.at[n.id, "basis"],
                 "不列入" if nodes.at[n.id, "score"] is None else "列入"]
                for n in r.indicators]
        rows.append([Markup("<strong>合计</strong>"), row["max"], row["subtotal"], "", ""])
        if stopped(result, unit):
            how = f"总分 {fmt(row['total'])} 分（单项否决，见上文否决说明）。"
        elif r.rescaled:
            decimals = fmt(Decimal(1).scaleb(-(r.not_applicable.decimals if r.not_applicable else 2)))
            if any(n.id in r.starts_at_zero for n in r.indicators):  # a bonus part is added after the rescaling
                how = f"总分：{row['formula']}（四舍五入到 {decimals}）。"
            else:
                how = (f"总分 = 适用模块得分之和 {fmt(row['subtotal'])} ÷ 适用模块满分 {fmt(row['max'])} × "
                       f"{fmt(r.scale or r.points)} = {fmt(row['total'])} 分（四舍五入到 {decimals}）。")
        else:
            how = f"总分：{row['formula']}。"
        if any(rule.kind in SCORE_KINDS for n in r.indicators for rule in n.rules):
            how += "各模块评估指标体系未载于文件，模块得分由台账给出或按任务完成情况计算。"
        return join([tag("p", how, "kaohe-composition"),
                     table(["模块", "满分", "得分", "得分来源", "是否列入"], rows, "kaohe-composition", {1: "num", 2: "num"})])
    if r.aggregate != "weighted":
        how = "扣分合计" if not r.pooled else "各项共用总分的扣分合计"
        return tag("p", f"总分 = 满分 {fmt(r.points)} − {how} {fmt(row['deducted'])} = {fmt(row['total'])} 分。"
                        + ("各项分值为该项扣分上限。" if not r.pooled else "扣完为止。"), "kaohe-composition")
    nodes = result.nodes[(result.nodes["unit"] == unit) & (result.nodes["depth"] == 0)].set_index("node")
    rows, terms = [], []
    for n in r.indicators:
        score = nodes.at[n.id, "score"]
        share = (n.weight or 0) / 100 * (score if score is not None else 0) / n.points * r.points
        rows.append([f"{n.id} {n.name}", f"{fmt(n.weight)}%", f"{fmt(score)} / {fmt(n.points)}", nodes.at[n.id, "basis"],
                     share])
        terms.append(fmt(share))
    rows.append([Markup("<strong>总分</strong>"), "", "", " + ".join(terms), row["total"]])
    said = "单项否决：总分按固定分计，见上文否决说明。" if stopped(result, unit) else ""
    return join([tag("p", f"总分 = Σ 权重 × 环节得分 ÷ 环节满分 × {fmt(r.points)}。{said}", "kaohe-composition"),
                 table(["环节", "权重", "得分 / 满分", "得分来源", "计入总分"], rows, "kaohe-composition", {4: "num"})])


def _evidence_content(f, rule) -> str:
    """The row's inputs as the ledger gave them, 数值 with its unit (92%, 57 项)."""
    return "；".join(f"{label} {fmt(v) if isinstance(v, Decimal) else v}{rule.value_unit if key == 'value' else ''}"
                    for key, label in EVIDENCE_FIELDS if (v := getattr(f, key)) not in (None, ""))


#: Kinds whose rows deduct nothing by themselves: their heading says what they do, not "扣 0 分".
NO_AMOUNT = {"veto", "disqualify", "unscored"}


def rule_name(r: Rubric, rid: str) -> str:
    """A rule as the reports name it: 规则 1.2.1, or what it does (一票否决) where its id is an English word."""
    shown = shown_ids(r.rules.values())[rid]
    return f"规则 {rid}" if shown == rid else shown


def rule_heading(r: Rubric, rule, applied: Decimal) -> str:
    """A rule's heading in the unit report: 规则 1.2.1：扣 3 分; 一票否决：不扣分."""
    name = rule_name(r, rule.id)
    if rule.kind in SCORE_KINDS:
        return f"{name}：得分记录"
    if rule.kind in NO_AMOUNT:
        return f"{name}：不扣分"
    return f"{name}：{'加' if applied < 0 else '扣'} {fmt(abs(applied))} 分"


def unit_deductions(a: Assessment, unit: str) -> Fragment:
    """Every ledger row of the unit, rule by rule: the clause verbatim, then the evidence and amounts."""
    result = a.result_of(unit)
    r = result.rubric
    ledger = result.ledger[result.ledger["unit"] == unit]
    if ledger.empty:
        return tag("p", "本单位在计分范围内没有台账记录，未扣分。")
    parts = []
    copies = copy_names(a.run)  # the ledger as copied into the run's inputs/ folder
    order = {rid: i for i, rid in enumerate(r.rules)}
    for rid in sorted(set(ledger["rule"]), key=order.__getitem__):
        rule, node = r.rules[rid], r.rule_node[rid]
        rows_of_rule = ledger[ledger["rule"] == rid]
        rows = []
        for _, e in rows_of_rule.iterrows():
            f = a.finding(e["file"], e["row"])
            rows.append([e["evidence_id"], e["date"].isoformat(), _evidence_content(f, rule), f.note, f.source,
                         f.attachment,
                         f"{copies.get(e['file'], Path(e['file']).name)} 第 {e['row']} 行"
                         + (f"（台账写作「{f.unit_as_written}」，按繁简转换对应本单位）" if f.unit_as_written else ""),
                         e["working"], e["raw"], e["applied"],
                         (f"{e['capped_by']}：{e['reason']}" if e["capped_by"] else e["reason"])])
        chain = " › ".join(f"{n.id} {n.name}" for n in reversed(r.ancestors(node)))
        parts += [
            Fragment(f'<section class="kaohe-rule" id="rule-{Markup.escape(rid)}">'),
            tag("h4", rule_heading(r, rule, rows_of_rule["applied"].sum())),
            tag("p", f"指标：{chain}", "kaohe-path"),
            tag("blockquote", rule.text, "kaohe-clause"),
            tag("p", f"计分方法：{rule.describe()}" + (f"；读法：{rule.reading}" if rule.reading else ""), "kaohe-method"),
            table(["记录编号", "日期", "台账数据", "情况说明", "依据/来源", "佐证材料", "台账位置", "计算过程", "计算扣分", "实际扣分",
                   "调整原因"], rows, "kaohe-evidence", {8: "num raw", 9: "num applied"}),
            Fragment("</section>"),
        ]
    row = _unit_row(result, unit)
    total = ledger["applied"].sum()
    explain = ("“计算过程”用文字和数字写出这一行的算法：先按条款算出“计算扣分”，再写明每条上限已扣多少、还能扣多少；"
               "“计算扣分”与“实际扣分”不同时，“调整原因”写明是哪条上限（规则编号、指标编号或总分）或哪条读法使它变化。")
    if r.aggregate != "deduct":
        parts.append(tag("p", "扣分和加分（负数）计入所在部分的得分，得分记录用于计算该部分得分；总分见“总分的构成”。"
                              + explain, "kaohe-total"))
    else:
        parts.append(tag("p", f"合计实际扣分 {fmt(total)} 分 = 满分 {fmt(row['points'])} − 得分 {fmt(row['total'])}。"
                              + explain, "kaohe-total"))
    return join(parts)


def unit_periods(a: Assessment, unit: str) -> Fragment:
    """Each periodic rule (每月不低于40条…) that applies to the unit, period by period: the figure, the standard,
    the deduction applied and the record. A period without a row reads 无记录: it cost nothing (validation
    warned of it). Periods run from the rubric's start to the scoring day. Empty when the rubric has no
    periodic rule."""
    result = a.result_of(unit)
    r = result.rubric
    rules = [rule for rule in r.rules.values() if rule.kind == "periodic"]
    if not rules:
        return Fragment("")
    left_out, _ = r.modules_left_out(next((u.not_applicable for u in a.roster.units if u.name == unit), ()))
    ledger = result.ledger[result.ledger["unit"] == unit]
    end = min(a.as_of, r.period.end) if a.as_of else r.period.end
    parts = [tag("h3", "按月（季度）考核的记录")]
    for rule in rules:
        if r.left_out_above(r.rule_node[rule.id], left_out):  # an optional node not applicable
            continue
        mine = ledger[ledger["rule"] == rule.id]
        by_start = {}
        for _, e in mine.iterrows():  # one row per period: validation refuses a second
            by_start[period_of(rule.every, e["date"]).start] = e
        standard = f"不低于 {fmt(rule.min)} {rule.unit}"
        rows, missing = [], 0
        for p in periods(rule.every, r.period.start, end):
            e = by_start.get(p.start)
            if e is None and p.end > end:  # the scoring day falls inside it: not due yet, no warning either
                rows.append([p.label, "未到期", standard, "", ""])
            elif e is None:
                missing += 1
                rows.append([p.label, "无记录", standard, "", ""])
            else:
                rows.append([p.label, a.finding(e["file"], e["row"]).value, standard, e["applied"], e["evidence_id"]])
        name = PERIOD_NAMES[rule.every]
        rows.append([Markup("<strong>合计</strong>"), "", "", mine["applied"].sum() if len(mine) else Decimal(0), ""])
        parts += [tag("h4", f"{rule_name(r, rule.id)}：每{name}考核"), tag("blockquote", rule.text, "kaohe-clause"),
                  tag("p", f"计分方法：{rule.describe()}", "kaohe-method"),
                  table([f"期间（{name}）", "数值", "标准", "扣分", "记录编号"], rows, "kaohe-periods", {1: "num", 3: "num"})]
        if missing:
            parts.append(tag("p", f"{missing} 个{name}无记录：这些{PERIODS_SAID[rule.every]}未计分（校验时已提示）。",
                             "kaohe-pending"))
    return join(parts) if len(parts) > 1 else Fragment("")


def readings_for(a: Assessment, unit: str) -> list[tuple[str, str, str]]:
    """(id, about, reading) of every declared reading that touched this unit's result."""
    result = a.result_of(unit)
    r, row = result.rubric, _unit_row(result, unit)
    ledger = result.ledger[result.ledger["unit"] == unit]
    rules = [r.rules[rid] for rid in dict.fromkeys(ledger["rule"])]
    nodes = {n.id: n for rule in rules for n in r.ancestors(r.rule_node[rule.id])}
    hit = {rule.id for rule in rules} | set(nodes) | {f"kind:{rule.kind}" for rule in rules} | {"all"}
    if any(rule.measurement for rule in rules):
        hit.add("measurement")
    if (ledger["capped_by"] != "").any():
        hit.add("capped")
    out = [("等次", "等次区间", r.grades.reading)] if r.grades else []
    if row["vetoed"] and r.veto:
        out.append(("一票否决", "被否决单位的等次与排名", r.veto.reading))
    award = r.awards.excellent
    if award and award.reading and (row["excellent"] or row["excellent_pending"]
                                    or award.min_score is None or row["total"] >= award.min_score):
        out.append((award.name, "名额", award.reading))
    out += [(rd.id, rd.about, rd.reading) for rd in r.readings if hit & set(rd.touches)]
    out += [(f"指标 {n.id}", n.name, n.reading) for n in nodes.values() if n.reading]
    out += [(rule_name(r, rule.id), rule.text, rule.reading) for rule in rules if rule.reading]
    return out


def unit_readings(a: Assessment, unit: str) -> Fragment:
    shown = table(["读法", "原文或问题", "本次采用的读法"], readings_for(a, unit), "kaohe-readings")
    depends = getattr(a, "depends", {}).get(unit)  # a cache pickled before robustness has no such field
    if not depends:
        return shown
    return join([tag("p", "本单位的结果取决于读法：换用细则列出的另一种说得通的读法时，" + "；".join(depends) + "。",
                     "kaohe-depends"), shown])


def unit_quarters(a: Assessment, unit: str) -> Fragment:
    result = a.result_of(unit)
    rows, labels, values = [], [], []
    for d, res in a.quarters[result.rubric.id]:
        row = _unit_row(res, unit)
        rank = "取消资格" if row["rank"] is None else f"{row['rank']}/{res.size}"
        rows.append([d.isoformat(), row["total"], row["grade"], rank, "是" if row["vetoed"] else ""])
        labels.append(d.strftime("%m-%d"))
        values.append(row["total"])
    fig = charts.line(labels, values, result.rubric.points, f"{unit}：年内累计得分")
    alt = f"{unit}：年内累计得分。" + "；".join(f"{lab} {fmt(v)}" for lab, v in zip(labels, values))
    return join([Fragment(charts.to_html(fig, alt)),
                 table(["截至", "累计得分", "等次", "排名", "一票否决"], rows, "kaohe-quarters", {1: "num"})])


def provenance(a: Assessment) -> Fragment:
    return _provenance(a.run, [r.rubric.ref for r in a.results.values()], a.as_of, a.inputs)


def _provenance(run, refs: list[str], as_of, inputs: list[dict]) -> Fragment:
    """Inputs as hashed when the run was scored: a notebook may run where the input files are not."""
    files = [[f["role"], f["name"], Markup("<code>{}</code>").format(f["sha256"])] for f in inputs]
    soft = "，".join(f"{k} {v}" for k, v in versions().items())
    return join([dl([("运行", f"{run.config.name}（{run.config.year} 年）"), ("细则版本", "、".join(refs)),
                     ("计分截至", str(as_of) if as_of else "全年"), ("软件版本", soft)]),
                 table(["用途", "文件", "SHA-256"], files, "kaohe-provenance")])


def end() -> Fragment:
    """The last output of a report: the runner publishes only notebooks whose last cell shows it."""
    return Fragment(f'<p class="{END_MARKER}">报告到此结束。</p>')


# --- the summary -----------------------------------------------------------------------------------

def _files(a: Assessment) -> dict[str, str]:
    return unit_files(a.units)


def ranking(a: Assessment, result: Result, published: list[str] | None = None) -> Fragment:
    """The 通报 table; a unit links to its report when it is in ``published`` (None: every unit)."""
    files = _files(a)
    linked = set(a.units if published is None else published)
    bulletin = result.bulletin()
    depends = getattr(a, "depends", {})
    rows = [[_marked(link(f"units/{files[v]}.html", v) if v in linked else v, v in depends) if i == 1 else v
             for i, v in enumerate(values)] for values in bulletin.itertuples(index=False)]
    ranked = table(list(bulletin.columns), rows, "kaohe-ranking", {0: "num", 3: "num", 4: "num"})
    if not any(u in depends for u in bulletin["单位"]):
        return ranked
    return join([ranked, tag("p", "※ 该单位的等次、一票否决或评优结果取决于读法：换用细则列出的另一种读法时会改变"
                                  "（见其单位报告的“读法”部分；全部组合见 kaohe robustness）。", "kaohe-note")])


def _marked(name, mark: bool):
    return Markup("{}※").format(name) if mark else name


def excellent(a: Assessment, result: Result) -> Fragment:
    award = result.rubric.awards.excellent
    if award is None:
        return tag("p", "本细则没有评优名额。")
    u = result.units
    chosen = "、".join(u[u["excellent"]]["unit"]) or "无"
    floor = f"得分 ≥{fmt(award.min_score)}，" if award.min_score is not None else ""
    parts = [tag("p", f"{award.name}：名额 {award.quota} 个，条件：{floor}未被一票否决或取消评价资格。原文：{award.text}"),
             tag("p", f"{award.name}：{chosen}。")]
    for _, d in result.decisions.iterrows():
        parts.append(tag("p", f"待研究决定：{d['reason']}——{d['units']}", "kaohe-pending"))
    return join(parts)


def vetoed(a: Assessment, result: Result) -> Fragment:
    """Units vetoed (一票否决) or disqualified (取消年度评价资格), with the evidence for each."""
    led = result.ledger[result.ledger["kind"].isin(["veto", "disqualify"])]
    if led.empty:
        return tag("p", "无被一票否决或取消评价资格的单位。")
    rows = []
    for _, e in led.iterrows():
        f = a.finding(e["file"], e["row"])
        what = VETO_EFFECTS[result.rubric.rules[e["rule"]].effect] if e["kind"] == "veto" else "取消年度评价资格"
        rows.append([e["unit"], what, e["evidence_id"], e["date"].isoformat(), f.level, f.note, f.source])
    return table(["单位", "结果", "记录编号", "日期", "级别", "情况说明", "依据/来源"], rows, "kaohe-vetoed")


def grade_chart(a: Assessment, result: Result) -> Fragment:
    if result.rubric.grades is None:
        return tag("p", "本细则不评定等次，只排名。")
    grades = [b.grade for b in result.rubric.grades.bands]
    counts = Counter(result.units["grade"])
    values = [counts.get(g, 0) for g in grades]
    fig = charts.bars(grades, values, f"{result.rubric.source.part or result.rubric.title}：等次分布")
    return join([Fragment(charts.to_html(fig, "；".join(f"{g} {v} 个" for g, v in zip(grades, values)))),
                 table(grades, [values], "kaohe-grades", dict.fromkeys(range(len(grades)), "num"))])


#: Rows of the heatmap at most: past that a chart is unreadable (and a province's would be megapixels tall).
HEATMAP_ROWS = 60


def heatmap(a: Assessment, result: Result, rows: int = HEATMAP_ROWS) -> Fragment:
    m = lost_by_top(result)
    note = ""
    if len(m) > rows:  # the units that lost most, in ranking order
        keep = set(m.sum(axis=1).sort_values(ascending=False, kind="stable").index[:rows])
        m = m[m.index.isin(keep)]
        note = f"（共 {len(result.units)} 个单位，只画失分最多的 {rows} 个）"
    names = {n.id: f"{n.id} {n.name}" for n in result.rubric.indicators}
    fig = charts.heatmap(list(m.index), [names[c] for c in m.columns], m.values.tolist(),
                         f"{result.rubric.source.part or result.rubric.title}：各单位各指标扣分{note}")
    return Fragment(charts.to_html(fig, f"各单位各指标扣分热力图{note}，数据见下表“扣分最多的指标”"))


def top_lost(a: Assessment, result: Result, limit: int = 10) -> Fragment:
    """The indicators (second level where there is one) where most points were lost county-wide; for a
    weighted or summed total, the top-level parts by the points of the total they cost."""
    if result.rubric.aggregate != "deduct":
        m = lost_by_top(result)
        names = {n.id: n.name for n in result.rubric.indicators}
        rows = [[c, names[c], m[c].sum(), int((m[c] > 0).sum()), len(m)] for c in m.columns if m[c].sum() > 0]
        rows.sort(key=lambda x: (-x[2], -x[3]))
        return table(["编号", "环节或模块", "合计失分（计入总分）", "失分单位数", "单位总数"], rows[:limit], "kaohe-top-lost",
                     {2: "num", 3: "num", 4: "num"}) if rows else tag("p", "没有失分：各部分均为满分，或尚无得分记录。")
    nodes = result.nodes
    leaves = {n.id for top in result.rubric.indicators for n in (top.children or [top])}
    lost = nodes[nodes["node"].isin(leaves)]
    rows = []
    for node_id, g in lost.groupby("node", sort=False):
        total = g["deducted"].sum()
        if total > 0:
            rows.append([node_id, g["name"].iloc[0], total, int((g["deducted"] > 0).sum()), len(g)])
    rows.sort(key=lambda x: (-x[2], -x[3]))
    if not rows:
        return tag("p", "所有单位均未扣分。")
    return table(["编号", "指标", "合计扣分", "扣分单位数", "单位总数"], rows[:limit], "kaohe-top-lost",
                 {2: "num", 3: "num", 4: "num"})


def bulletin(a: Assessment, result: Result) -> Fragment:
    """The quarterly bulletin: each unit's year-to-date score and rank at each quarter end."""
    quarters = a.quarters[result.rubric.id]
    by_q = [{u["unit"]: u for _, u in res.units.iterrows()} for _, res in quarters]
    rows = []
    for unit in result.units["unit"]:
        cells = [unit]
        for q in by_q:
            u = q[unit]
            place = "取消资格" if u["rank"] is None else f"第 {u['rank']} 名"
            cells.append(f"{fmt(u['total'])}（{place}）" + ("，否决" if u["vetoed"] else ""))
        rows.append(cells)
    return table(["单位", *(f"截至 {d}" for d, _ in quarters)], rows, "kaohe-bulletin")


def per_rubric(a: Assessment, section, **options) -> Fragment:
    """One summary section for every rubric of the run, each under the rubric's own heading."""
    parts = []
    for result in a.results.values():
        r = result.rubric
        parts += [tag("h3", f"{r.source.part or r.title}（{r.ref}，{len(result.units)} 个单位）"),
                  section(a, result, **options)]
    return join(parts)


# --- the comparison of two rubric versions ---------------------------------------------------------

def _version(r: Rubric) -> str:
    return f"{r.ref}（第 {r.version} 版，{'草案' if r.status == 'draft' else '已发布'}）：{r.title}"


def _award_name(c: Comparison) -> str | None:
    award = c.b.rubric.awards.excellent or c.a.rubric.awards.excellent
    return award.name if award else None


def compare_header(c: Comparison) -> Fragment:
    """What is compared with what, on which evidence, and the answer in one paragraph."""
    a, b = c.a.rubric, c.b.rubric
    facts = [("版本 A", _version(a)), ("版本 B", _version(b))]
    facts += [(f"版本 {k} 说明", r.description) for k, r in (("A", a), ("B", b)) if r.description]
    if c.run is not None:
        facts.append(("台账与单位名单", f"{c.run.config.title}（{c.run.path.name}）"))
    facts.append(("计分范围", f"截至 {c.as_of}" if c.as_of else "全年"))
    return join([dl(facts), tag("p", compare_counts(c), "kaohe-summary")])


def compare_counts(c: Comparison) -> str:
    """The answer in one sentence (the report's header and the command line)."""
    n = c.counts()
    parts = [f"细则改动 {n['changes']} 处", f"{n['units']} 个单位中得分变化的 {n['scores']} 个", f"名次变化的 {n['ranks']} 个",
             f"等次、{_award_name(c) or '评优'}或否决结果变化的 {n['moved']} 个",
             f"版本 B 无法计入的台账记录 {n['unplaced_b']} 条"]
    if n["unplaced_a"]:
        parts.append(f"版本 A 无法计入的 {n['unplaced_a']} 条")
    return "；".join(parts) + "。"


def compare_diff(c: Comparison) -> Fragment:
    if c.diff.empty:
        return tag("p", "两个版本的指标、规则、读法和分值完全相同。")
    rows = [[d["change"], LEVEL_NAMES[d["level"]], d["id_a"], d["id_b"], d["name"], d["label"], d["a"], d["b"]]
            for _, d in c.diff.iterrows()]
    return table(["改动", "层级", "编号（A）", "编号（B）", "名称", "字段", "A", "B"], rows, "kaohe-diff")


def _arrow(a, b) -> str:
    a, b = (fmt(x) if isinstance(x, Decimal) else ("" if x is None else str(x)) for x in (a, b))
    return a if a == b else f"{a or '—'} → {b or '—'}"


def _signed(d: Decimal | None) -> str:
    return "" if d is None else ("+" if d > 0 else "") + fmt(d)


def _rank_move(change) -> str:
    if change is None or change != change:
        return ""
    return "" if change == 0 else (f"↑{change}" if change > 0 else f"↓{-change}")


def compare_moved(c: Comparison) -> Fragment:
    """Units whose grade, award, veto or disqualification changed, with the reason."""
    moved = c.moved
    if moved.empty:
        return tag("p", f"没有单位的等次、{_award_name(c) or '评优'}或否决结果改变。")
    rows = [[m["unit"], _arrow(m["total_a"], m["total_b"]), _arrow(m["grade_a"], m["grade_b"]),
             _arrow(m["award_a"] or "否", m["award_b"] or "否"), _arrow(m["status_a"] or "—", m["status_b"] or "—"),
             m["reason"]] for _, m in moved.iterrows()]
    return table(["单位", "得分", "等次", _award_name(c) or "评优", "否决或取消资格", "主要原因"], rows, "kaohe-moved")


def compare_scores(c: Comparison) -> Fragment:
    """Every unit under A and B: score, grade, rank, award and the main reason of any change."""
    graded = bool(c.a.rubric.grades or c.b.rubric.grades)
    award = _award_name(c)
    headers = ["单位", "类别", "得分 A", "得分 B", "变化", "排名 A", "排名 B", "名次"]
    headers += ["等次 A", "等次 B"] if graded else []
    headers += [f"{award} A", f"{award} B"] if award else []
    headers.append("主要原因")
    rows = []
    for _, u in c.units.iterrows():
        row = [u["unit"], u["category"], u["total_a"], u["total_b"], _signed(u["delta"]),
               u["rank_a"] if u["rank_a"] is not None else u["status_a"] or "—",
               u["rank_b"] if u["rank_b"] is not None else u["status_b"] or "—", _rank_move(u["rank_change"])]
        row += [u["grade_a"], u["grade_b"]] if graded else []
        row += [u["award_a"], u["award_b"]] if award else []
        row.append(u["reason"])
        rows.append(row)
    return table(headers, rows, "kaohe-compare", {2: "num", 3: "num", 4: "num", 5: "num", 6: "num"})


def _sides(c: Comparison) -> tuple[str, str]:
    """The two versions as the compare charts name them (the header says which rubric each is)."""
    return tuple(f"版本 {k}（第 {r.version} 版{'草案' if r.status == 'draft' else ''}）"
                 for k, r in (("A", c.a.rubric), ("B", c.b.rubric)))


def compare_delta_chart(c: Comparison) -> Fragment:
    u = c.units[c.units["delta"].map(lambda d: d is not None and d != 0)]
    if u.empty:
        return tag("p", "没有单位的得分变化。")
    u = u.assign(_d=u["delta"]).sort_values("_d", ascending=False, kind="stable")
    a, b = _sides(c)
    fig = charts.deltas(list(u["unit"]), list(u["delta"]), f"得分变化：{b}相对{a}")
    alt = "；".join(f"{n} {fmt(d)}" for n, d in zip(u["unit"], u["delta"]))
    return Fragment(charts.to_html(fig, f"各单位得分变化：{alt}"))


def compare_slope_chart(c: Comparison) -> Fragment:
    u = c.units[c.units["rank_a"].notna() & c.units["rank_b"].notna()]
    if u.empty:
        return tag("p", "没有两个版本都排名的单位。")
    if (u["rank_a"] == u["rank_b"]).all():  # a page of level lines says less than a sentence
        return tag("p", f"名次没有变化：{len(u)} 个单位在两个版本中名次相同。")
    scored = set(u.loc[u["delta"] != 0, "unit"])
    fig = charts.slope(list(u["unit"]), [int(x) for x in u["rank_a"]], [int(x) for x in u["rank_b"]], scored,
                       "名次：版本 A（左）与版本 B（右）", _sides(c))
    alt = "；".join(f"{n} {a}→{b}" for n, a, b in zip(u["unit"], u["rank_a"], u["rank_b"]) if a != b)
    return Fragment(charts.to_html(fig, f"名次变化：{alt}"))


def compare_reasons(c: Comparison) -> Fragment:
    """Per changed unit: each rule whose deductions changed and each indicator whose score changed."""
    if c.reasons.empty:
        return tag("p", "没有单位因规则改动而改变得分。")
    shown = {**shown_ids(c.a.rubric.rules.values()), **shown_ids(c.b.rubric.rules.values())}  # veto → 一票否决
    rows = [[r["unit"], LEVEL_NAMES[r["level"]], shown.get(r["id"], r["id"]) if r["level"] == "rule" else r["id"], r["name"],
             r["what"], r["a"], r["b"], _signed(r["delta"]), r["changes"]] for _, r in c.reasons.iterrows()]
    return table(["单位", "层级", "编号", "内容", "项目", "A", "B", "对单位的增减", "其中的细则改动"], rows, "kaohe-reasons",
                 {5: "num", 6: "num", 7: "num"})


def compare_unplaced(c: Comparison) -> Fragment:
    """Evidence rows a version cannot place (left out of its score), and notes on the rescoring."""
    parts = []
    if c.unplaced.empty:
        parts.append(tag("p", "两个版本都能计入全部台账记录。"))
    else:
        rows = [[f"{x['side']}（{x['rubric']}）", x["evidence_id"], x["unit"], x["rule"], x["date"].isoformat(),
                 f"{Path(x['file']).name} 第 {x['row']} 行", x["reason"]] for _, x in c.unplaced.iterrows()]
        parts.append(table(["版本", "记录编号", "单位", "规则编号", "日期", "位置", "原因"], rows, "kaohe-unplaced"))
    if not c.notes.empty:
        rows = [[f"{x['side']}（{x['rubric']}）", x["unit"], x["message"]] for _, x in c.notes.iterrows()]
        parts += [tag("p", "计分说明："), table(["版本", "单位", "说明"], rows, "kaohe-notes")]
    return join(parts)


def compare_provenance(c: Comparison) -> Fragment:
    if c.run is None:
        return tag("p", "本比较不是从运行配置生成的，没有输入文件清单。")
    return _provenance(c.run, [c.a.rubric.ref, c.b.rubric.ref], c.as_of, c.inputs)
