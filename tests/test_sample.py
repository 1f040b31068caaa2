"""The bundled 示例数据 does what the documentation says (docs/): every rule kind, the veto, a tie, caps, all grades."""

from conftest import ROOT

from kaohe.config import Run
from kaohe.rules import kinds
from kaohe.scoring import score
from kaohe.validate import check

#: The bundled runs and the example folders (examples/<name>/params.yaml): the kinds issue 16 added are shown there.
PARAMS = sorted((ROOT / "params").glob("*.yaml")) + sorted((ROOT / "examples").glob("*/params.yaml"))


def results(params=ROOT / "params" / "hengnan-2020.yaml"):
    run = Run(params)
    roster, evidence = run.load_inputs()
    assert check(run.rubrics, roster, evidence) == []
    return run, roster, evidence, [score(r, roster, evidence) for r in run.rubrics]


def test_sample_is_labelled_and_sized():
    run, roster, evidence, _ = results()
    assert "示例数据" in run.roster_path.name and all("示例数据" in p.name for p in run.evidence_paths)
    cats = [u.category for u in roster.units]
    assert cats.count("乡镇") + cats.count("街道") == 23 and cats.count("县直部门") >= 12
    assert all(f.note.startswith("示例数据") for f in evidence.findings)


def test_the_samples_together_use_every_rule_kind():
    used = {k for p in PARAMS for r in results(p)[3] for k in r.ledger["kind"]}
    assert used == set(kinds())


def test_sample_exercises_every_feature():
    *_, res = results()
    ledger = [r.ledger for r in res]
    assert any((lg["capped_by"] != "").any() for lg in ledger)
    assert {g for r in res for g in r.units["grade"]} == {"优秀", "良好", "合格", "不合格"}
    assert any(r.units["vetoed"].any() for r in res)
    assert any(r.units["rank"].duplicated().any() for r in res)
    assert any(not r.decisions.empty for r in res)  # a tie across the excellent quota


def test_hand_computed_sample_units():
    """示例镇12: 1.2.1–1.2.5 (3+2+3+2+3 = 13) + 1.4 (1 + 2 + 2 = 5, its full 5) + 5.4 × 7 (2.1) = 20.1 → 79.9;
    示例部门08: 数据资源 2 + 3 + 3 = 8 capped at the shared 5, + 2.1.4 (2) + 2.1.2 (1) + 1.5.1 (2) → 90."""
    *_, (town, dept) = results()
    t = dict(zip(town.units["unit"], town.units["total"]))
    d = dict(zip(dept.units["unit"], dept.units["total"]))
    assert str(t["示例镇12"]) == "79.9" and d["示例部门08"] == 90
