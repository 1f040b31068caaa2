"""Readings' alternatives and `kaohe robustness` (kaohe/robustness.py). Expected values are worked by hand from
衡南 2020 附件1 (seed 000): 5.1 “接通率低于 98%，每下降 1 个百分点，扣 0.5 分”, 5.3 “全年满意度低于 95%，…扣 0.5 分”,
read in whole steps (as written, R2), proportionally (R2-1) or a part step as a whole one (R2-2)."""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal

import numpy as np
import pytest

from kaohe.assessment import assess
from kaohe.cli import main
from kaohe.ledger import Evidence, Roster, Unit
from kaohe.lint import lint
from kaohe.robustness import analyse, choices, combinations, decode
from kaohe.rubric import Change, Rubric, load_rubric, with_changes
from kaohe.rules import Finding

TOWNSHIP = "hengnan-2020-township"


def inputs(rows: dict[str, list[tuple]]) -> tuple[Roster, Evidence]:
    """A roster of 乡镇 and their findings: unit -> [(rule, {count/value})]."""
    units = [Unit(u, "乡镇", "名单.csv", i + 2) for i, u in enumerate(rows)]
    found, n = [], 0
    for u, items in rows.items():
        for rule, kw in items:
            n += 1
            found.append(Finding(f"T{n:03d}", u, rule, date(2020, 12, 31), file="台账.csv", row=n + 1, **kw))
    return Roster(units, [], "名单.csv"), Evidence(found, [], ["台账.csv"], {})


def at(r, unit: str, combo: tuple[int, ...]) -> int:
    return r.units.index(unit), next(c for c in range(len(r.combos)) if tuple(r.combos[c]) == combo)


# --- alternatives as data ---------------------------------------------------------------------------------

def test_bundled_rubrics_declare_the_issues_alternatives_and_lint_accepts_them():
    expected = {"hengnan-2020-township": {"R2": 2, "R3": 1}, "hengnan-2020-department": {"R2": 2, "R3": 1},
                "langxi-2019": {"R3": 1}, "hengyang-2018-county": {"R5": 1}, "yiyang-2020": {"R9": 2}}
    for rid, alts in expected.items():
        r = load_rubric(rid)
        assert {rd.id: len(rd.alternatives) for rd in choices(r)} == alts
        assert [f for f in lint(r) if f.severity == "错误"] == []
    # the proportional alternative is the same rubric as the draft written for kaohe compare (one concept)
    v1 = load_rubric(TOWNSHIP)
    r2 = next(rd for rd in v1.readings if rd.id == "R2")
    assert with_changes(v1, r2.alternatives[0].changes).rules == load_rubric(f"{TOWNSHIP}@2").rules


def _with_alternative(changes: list[dict]) -> Rubric:
    data = load_rubric(TOWNSHIP).model_dump()
    r2 = next(rd for rd in data["readings"] if rd["id"] == "R2")
    r2["alternatives"][0]["changes"] = changes
    return Rubric.model_validate(data)


def test_lint_rejects_an_alternative_that_changes_nothing_or_a_verbatim_text():
    noop = _with_alternative([{"id": "5.1", "set": {"rounding": "whole_steps_down"}}])  # as written already
    errors = [f for f in lint(noop) if f.severity == "错误"]
    assert [f.where for f in errors] == ["读法 R2 的第 1 种另一读法「按比例折算」"]
    assert "没有改变任何计分内容" in errors[0].message
    text = _with_alternative([{"id": "5.1", "set": {"text": "接通率低于 97%，每下降 1 个百分点，扣 0.5 分"}}])
    (error,) = [f for f in lint(text) if f.severity == "错误"]
    assert "更改了逐字照录的原文（5.1.text）" in error.message
    unknown = _with_alternative([{"id": "9.9", "set": {"amount": 1}}])
    (error,) = [f for f in lint(unknown) if f.severity == "错误"]
    assert "没有编号为 9.9" in error.message


def test_a_change_may_set_the_grades_and_the_award_as_drafts_do():
    r = with_changes(load_rubric(TOWNSHIP), [Change(id="awards.excellent", set={"quota": 3}),
                                             Change(id="grades", set={"bands": [{"grade": "优秀", "min": 89.5},
                                                                                {"grade": "不合格"}]})])
    assert r.awards.excellent.quota == 3 and r.grades.grade(Decimal("89.5")) == "优秀"


# --- combinations -----------------------------------------------------------------------------------------

def test_every_combination_is_enumerated_exactly_once_the_rubric_as_written_first():
    rows, total, sampled = combinations([3, 2, 4])
    as_tuples = [tuple(x) for x in rows.tolist()]
    assert total == 24 and not sampled and len(as_tuples) == 24 == len(set(as_tuples))
    assert as_tuples[0] == (0, 0, 0) and set(as_tuples) == {decode(i, [3, 2, 4]) for i in range(24)}


def test_a_sample_is_declared_reproducible_from_its_seed_and_holds_every_single_change():
    rows, total, sampled = combinations([10] * 5, limit=1000, sample=60, seed=7)
    as_tuples = [tuple(x) for x in rows.tolist()]
    assert sampled and total == 100_000 and len(as_tuples) == 60 == len(set(as_tuples))
    singles = {tuple(k if j == i else 0 for j in range(5)) for i in range(5) for k in range(1, 10)}
    assert as_tuples[0] == (0,) * 5 and singles <= set(as_tuples)  # 1 + 45 fixed, 14 drawn
    again, _, _ = combinations([10] * 5, limit=1000, sample=60, seed=7)
    other, _, _ = combinations([10] * 5, limit=1000, sample=60, seed=8)
    assert (again == rows).all() and not (other == rows).all()


def test_a_sample_as_large_as_every_combination_is_every_combination():
    # --limit 1 --sample 10 over 6 combinations: drawing 10 distinct ones of 6 would never end
    rows, total, sampled = combinations([2, 3], limit=1, sample=10)
    assert total == 6 and not sampled and sorted(tuple(x) for x in rows.tolist()) == [(a, b) for a in range(2) for b in range(3)]


# --- grades and awards that flip ----------------------------------------------------------------------------

def test_a_single_alternative_flips_a_grade_at_90_80_and_60():
    # 5.1 at 96.5%: 1.5 points short of 98 -> 0.5 (whole steps), 0.75 (proportional), 1.0 (part step as whole).
    # 1.1.2 每发现一个扣0.5 分 ×19 = 9.5; 1.2.1–1.2.4 一次性 3+2+3+2 = 10; 1.2.5 3, 1.3.1 5, 1.3.3a 2, 2.1.1a 2,
    # 4.2.2 0.5 ×5 = 2.5, 1.1.2 capped at 1.1's 15 points.
    rate = ("5.1", {"value": Decimal("96.5")})
    hall = [(r, {}) for r in ("1.2.1", "1.2.2", "1.2.3", "1.2.4")]
    roster, evidence = inputs({
        "甲镇": [("1.1.2", {"count": 19}), rate],  # 100 − 9.5 − 0.5 = 90
        "乙镇": [("1.1.2", {"count": 19}), *hall, rate],  # 100 − 19.5 − 0.5 = 80
        "丙镇": [("1.1.2", {"count": 30}), *hall, ("1.2.5", {}), ("1.3.1", {}), ("1.3.3a", {}), ("2.1.1a", {}),
                ("4.2.2", {"count": 5}), rate],  # 100 − (15 + 13 + 5 + 2 + 2 + 2.5) − 0.5 = 60
    })
    r = analyse(load_rubric(TOWNSHIP), roster, evidence)
    assert [rd.id for rd in r.readings] == ["R2", "R3"] and len(r.combos) == 6
    for unit, base, grades in (("甲镇", 90, ("优秀", "良好")), ("乙镇", 80, ("良好", "合格")), ("丙镇", 60, ("合格", "不合格"))):
        u, c0 = at(r, unit, (0, 0))
        _, c1 = at(r, unit, (1, 0))
        _, c2 = at(r, unit, (2, 0))
        assert (r.scores[c0, u], r.scores[c1, u], r.scores[c2, u]) == (base, base - Decimal("0.25"), base - Decimal("0.5"))
        assert (r.grades[c0, u], r.grades[c1, u], r.grades[c2, u]) == (grades[0], grades[1], grades[1])
    flips = {f["unit"]: f for f in r.flips()}
    assert set(flips) == {"甲镇", "乙镇", "丙镇"}
    assert flips["丙镇"]["smallest"] == [(0, 1)] and flips["丙镇"]["change"] == "等次由「合格」变为「不合格」"
    assert flips["甲镇"]["clauses"] == ["每下降 1 个百分点"] and flips["甲镇"]["share"] == pytest.approx(4 / 6)
    # R3 (4.2.4) touches none of them: each unit is scored once per R2 option, not once per combination
    assert r.scored == 3 * 3
    (r2, r3) = r.influence()
    assert (r2["outcome"], r3["outcome"], r3["score"], r3["share"]) == (3, 0, 0, 0.0)


def test_a_single_alternative_flips_the_award_at_the_quota_edge():
    # 衡南 优秀 quota 6, ≥ 90. 己镇: 5.1 at 97.5% -> 0 (whole steps) / 0.25 / 0.5. 庚镇: 1.1.1a 58 of 61 -> 0.3.
    fine = {f"满分{i}镇": [] for i in range(1, 6)}
    roster, evidence = inputs({**fine, "己镇": [("5.1", {"value": Decimal("97.5")})],
                               "庚镇": [("1.1.1a", {"value": Decimal(58)})]})
    r = analyse(load_rubric(TOWNSHIP), roster, evidence)
    u6, base = at(r, "己镇", (0, 0))
    u7, _ = at(r, "庚镇", (0, 0))
    _, prop = at(r, "己镇", (1, 0))
    _, up = at(r, "己镇", (2, 0))
    assert [r.scores[c, u6] for c in (base, prop, up)] == [100, Decimal("99.75"), Decimal("99.5")]
    assert r.scores[base, u7] == Decimal("99.7")
    assert (r.awards[base, u6], r.awards[base, u7]) == ("是", "")  # six at 100
    assert (r.awards[prop, u6], r.awards[prop, u7]) == ("是", "")  # 99.75 still above 99.7
    assert (r.awards[up, u6], r.awards[up, u7]) == ("", "是")  # 99.5 falls below 99.7
    flips = {f["unit"]: f for f in r.flips()}
    assert flips["庚镇"]["smallest"] == [(0, 2)] and flips["己镇"]["smallest"] == [(0, 2)]
    assert flips["庚镇"]["change"] == "由「未入选年度优秀单位」变为「入选年度优秀单位」"


def test_a_reading_without_alternatives_changes_nothing():
    a = assess("params/hengyang-2018.yaml")
    result = a.results["hengyang-2018-department"]
    assert choices(result.rubric) == [] and result.rubric.readings
    r = analyse(result.rubric, a.roster, a.evidence)
    assert r.combos.shape == (1, 0) and r.flips() == []
    by_unit = dict(zip(result.units["unit"], result.units["total"]))
    assert {u: r.scores[0, i] for i, u in enumerate(r.units)} == by_unit


def test_a_sampled_analysis_is_reproducible_from_its_seed():
    a = assess("params/hengnan-2020.yaml")
    res = a.results[TOWNSHIP]
    one = analyse(res.rubric, a.roster, a.evidence, limit=2, sample=4, seed=11)
    two = analyse(res.rubric, a.roster, a.evidence, limit=2, sample=4, seed=11)
    assert one.sampled and one.total == 6 and len(one.combos) == 4
    assert (one.combos == two.combos).all() and np.array_equal(one.ranks, two.ranks)
    assert "按种子 11 抽取的 4 种" in one.conclusion()


# --- a normal run -------------------------------------------------------------------------------------------

def test_a_run_says_which_units_depend_on_a_reading():
    # 示例镇14 scores 60: 5.3 at 89.5% is 5.5 points short of 95 -> 2.5 in whole steps, 2.75 proportional, 3.0 up;
    # 5.1 at 92% is 6 short of 98 -> 3.0 every way. So 59.75 or 59.5: 不合格.
    a = assess("params/hengnan-2020.yaml")
    assert list(a.depends) == ["示例镇14"]
    assert a.depends["示例镇14"][0].startswith("读法 R2（“每下降 1 个百分点”）改为「按比例折算」时，等次由「合格」变为「不合格」")
    r = analyse(a.results[TOWNSHIP].rubric, a.roster, a.evidence)
    u, c = at(r, "示例镇14", (1, 0))
    assert (r.scores[0, u], r.scores[c, u]) == (60, Decimal("59.75"))
    from kaohe import report

    assert "本单位的结果取决于读法" in str(report.unit_readings(a, "示例镇14"))
    assert "示例镇14</a>※" in str(report.ranking(a, a.results[TOWNSHIP]))
    assert "※" not in str(report.ranking(a, a.results["hengnan-2020-department"]))


def test_kaohe_robustness_writes_a_self_contained_report_and_its_tables(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["robustness", "params/hengnan-2020.yaml", "--out-dir", str(out), "--limit", "2", "--sample", "4",
                 "--seed", "5"]) == 0
    folder = out / "hengnan-2020" / "robustness"
    assert capsys.readouterr().out.strip() == str(folder / "robustness.html")
    html = (folder / "robustness.html").read_text(encoding="utf-8")
    conclusion = html.index("hengnan-2020-township@1：在 6 种读法组合中按种子 5 抽取的 4 种")
    assert conclusion < html.index("一、名次区间") and html.count('class="kaohe-chart"') == 2  # one chart per rubric
    assert "多于逐一计分的上限" in html and "4096" not in html  # the limit asked for, not the default
    assert "findfont" not in html  # no matplotlib warning printed into the report
    assert not re.search(r"""(?:src|href)=["']?(?:https?:)?//""", html) and "<script src" not in html
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["robustness"]["rubrics"][TOWNSHIP] == {"readings": ["R2", "R3"], "combinations": 4, "of": 6,
                                                           "sampled": True, "seed": 5}
    units = (folder / "robustness.csv").read_text(encoding="utf-8-sig").splitlines()
    assert units[0].startswith("细则,单位,类别,按细则得分,最低分,中位分,最高分,按细则名次,最好名次,中位名次,最差名次")
    assert len(units) == 1 + 23 + 14
    readings = (folder / "readings.csv").read_text(encoding="utf-8-sig").splitlines()
    assert len(readings) == 1 + 2 + 2 and readings[1].startswith(f"{TOWNSHIP}@1,R2,")


def test_the_committed_notebook_has_no_outputs_and_runs_with_its_defaults(tmp_path):
    import nbformat

    from kaohe import runner
    from kaohe.report import END_MARKER

    path = runner.NOTEBOOKS / "robustness.ipynb"
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert nb.metadata["kernelspec"]["language"] == "python" and all(c.outputs == [] for c in code)
    assert sum("parameters" in c.metadata.get("tags", []) for c in code) == 1 and code[-1].source.strip() == "report.end()"
    done, failure = runner.execute(path, tmp_path / "robustness.ipynb", {}, timeout=300)
    assert failure is None and END_MARKER in json.dumps(done.cells[-1].outputs, ensure_ascii=False)


def test_every_bundled_alternative_quotes_its_clause_verbatim_from_the_source_document():
    from conftest import SEEDS

    from kaohe.rubric import bundled

    for versions in bundled().values():
        for v in versions.values():
            r = load_rubric(v.ref)
            source = re.sub(r"\s+", "", (SEEDS / r.source.file).read_text(encoding="utf-8"))
            for rd in r.readings:
                for alt in rd.alternatives:
                    assert re.sub(r"\s+", "", alt.clause) in source, (v.ref, rd.id, alt.label)


def test_the_interval_chart_draws_at_most_chart_units_rows_naming_the_flipped_ones_first():
    # 2,000 rows would be a 53,000-pixel figure; the chart keeps the units whose result or rank moves most
    from bench.synth import findings, with_readings
    from kaohe import robustness

    roster, evidence = findings(robustness.CHART_UNITS + 30, 8)
    r = analyse(with_readings(2), roster, evidence)
    html = robustness.interval_chart(r)
    drawn = html.split('alt="', 1)[1].split('"', 1)[0].count("中位")
    assert drawn == robustness.CHART_UNITS and r.flips()
    assert {f["unit"] for f in r.flips()} <= {u for u in r.units if f"{u} 中位" in html}
