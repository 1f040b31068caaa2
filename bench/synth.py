"""Synthetic assessments for the benchmark: N townships scored by 衡南 2020 附件1, with ledgers shaped like
the sample's (per-count findings, one-off deductions, rate measurements, discretionary deductions with a
reason). Deterministic for a given seed; every row validates.
"""

from __future__ import annotations

import csv
import random
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from kaohe.ledger import Evidence, Roster, Unit
from kaohe.rubric import Rubric, load_rubric
from kaohe.rules import Finding

RUBRIC = "hengnan-2020-township"
HEADER = ["编号", "单位", "规则编号", "日期", "次数/数量", "数值", "分值/扣分", "情况说明", "依据/来源"]


def unit_names(n: int) -> list[str]:
    return [f"基准镇{i:05d}" for i in range(1, n + 1)]


def _row(rubric: Rubric, rng: random.Random, rule_id: str) -> dict:
    """The inputs one evidence row of ``rule_id`` needs, with plausible values."""
    rule = rubric.rules[rule_id]
    kind = rule.kind
    if kind == "per_count":
        return {"count": rng.choice([1, 1, 1, 2, 3])}
    if kind == "rate_shortfall":
        return {"value": Decimal(rng.randint(880, 1000)) / 10}
    if kind == "shortfall":
        return {"value": Decimal(rng.randint(int(rule.target) - 10, int(rule.target)))}
    if kind == "threshold":
        top = 100 if rule.percent else int(rule.below) * 2
        return {"value": Decimal(rng.randint(top // 2, top))}
    if kind == "discretionary":
        return {"points": Decimal(rng.randint(int(rule.min * 2), int(rule.max * 2))) / 2,
                "note": "基准数据：视完成情况扣分"}
    return {}  # flat, unscored: the row itself is the finding


def findings(n_units: int, rows_per_unit: int, seed: int = 2020) -> tuple[Roster, Evidence]:
    """Roster and parsed evidence in memory (for timing ``score()`` alone)."""
    rubric = load_rubric(RUBRIC)
    rng = random.Random(seed)
    rules = [r for r in rubric.rules if rubric.rules[r].kind != "veto"]
    start = rubric.period.start
    units = unit_names(n_units)
    roster = Roster([Unit(u, "乡镇", "基准名单.csv", i + 2) for i, u in enumerate(units)], [], "基准名单.csv")
    out, row = [], 1
    for u in units:
        measured: dict[str, int] = {}
        for _ in range(rows_per_unit):
            row += 1
            rule = rng.choice(rules)
            if rubric.rules[rule].measurement:  # one measurement per unit, rule and day
                measured[rule] = measured.get(rule, 0) + 1
                day = (measured[rule] * 11) % 365
            else:
                day = rng.randint(0, 364)
            out.append(Finding(f"B{row:08d}", u, rule, start + timedelta(days=day),
                               file="基准台账.csv", row=row, **_row(rubric, rng, rule)))
    return roster, Evidence(out, [], ["基准台账.csv"], {})


def write_run(folder: Path, n_units: int, rows_per_unit: int = 8, seed: int = 2020) -> Path:
    """A params file with its roster and ledger CSVs for ``kaohe run``; returns the params path."""
    folder.mkdir(parents=True, exist_ok=True)
    roster, evidence = findings(n_units, rows_per_unit, seed)
    with open(folder / "名单.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["单位", "类别"])
        w.writerows([u.name, u.category] for u in roster.units)
    with open(folder / "台账.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        for f in evidence.findings:
            w.writerow([f.id, f.unit, f.rule, f.date.isoformat(), f.count or "", "" if f.value is None else f.value,
                        "" if f.points is None else f.points, f.note or "基准数据", "基准数据"])
    params = folder / "params.yaml"
    params.write_text(f"name: bench-{n_units}\nyear: 2020\ntitle: 基准测试（{n_units} 个乡镇，合成数据）\n"
                      f"rubrics: [{RUBRIC}]\nroster: 名单.csv\nevidence: [台账.csv]\n", encoding="utf-8")
    return params


def with_readings(n: int) -> Rubric:
    """衡南 附件1 with ``n`` more readings, one alternative each (2**n combinations): per-count rules at twice the
    amount, one-off rules per record within their indicator's points, rate rules read proportionally."""
    from kaohe.rubric import Alternative, Change, Reading

    rubric = load_rubric(RUBRIC)
    extra = []
    for rule in rubric.rules.values():
        if len(extra) == n:
            break
        node = rubric.rule_node[rule.id]
        if rule.kind == "per_count":
            change = {"per": rule.per * 2}
        elif rule.kind == "flat" and rubric.effective_points[node.id] is not None:
            change = {"cap": rubric.effective_points[node.id]}
        elif rule.kind == "rate_shortfall" and rule.rounding != "proportional":
            change = {"rounding": "proportional"}
        else:
            continue
        alt = Alternative(label="基准", reason="基准测试", clause=rule.text, changes=[Change(id=rule.id, set=change)])
        extra.append(Reading(id=f"B{len(extra) + 1}", about=f"基准读法 {rule.id}", reading="基准", touches=[rule.id],
                             alternatives=[alt]))
    if len(extra) < n:
        raise SystemExit(f"{RUBRIC} 只有 {len(extra)} 条规则可加基准读法")
    return rubric.model_copy(update={"readings": [*(rd.model_copy(update={"alternatives": []}) for rd in rubric.readings),
                                                  *extra]})
