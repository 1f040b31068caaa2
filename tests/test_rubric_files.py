"""The two 衡南 2020 rubrics against their source document (seed 000)."""

import pytest

from kaohe.coverage import Document, check, not_verbatim, read_source
from kaohe.rubric import bundled, load_rubric

TOWNSHIP, DEPARTMENT = "hengnan-2020-township", "hengnan-2020-department"

# Each rubric's table in seed 000, as `kaohe rubric check --from … --to …` would be told.
TABLES = {TOWNSHIP: ("附件1", "附件2"), DEPARTMENT: ("附件2", None)}


@pytest.mark.parametrize("rid", [TOWNSHIP, DEPARTMENT])
def test_every_rule_text_is_verbatim(rid, seed_000):
    rubric = load_rubric(rid)
    assert not_verbatim(rubric, Document.from_text("000", seed_000)) == []
    assert rubric.grades.text and rubric.awards.excellent.text  # among the texts checked


@pytest.mark.parametrize("rid", [TOWNSHIP, DEPARTMENT])
def test_every_clause_of_the_table_is_a_rule(rid, seed_000):
    """Every scoring phrase of the rubric's table (扣x分, 一票否决, the amount-less …的。) lies in a rule's text;
    the 抽检 note （每月底系统抽检） states no amount and needs none."""
    start, end = TABLES[rid]
    report = check([load_rubric(rid)], Document.from_text("000", seed_000), start=start, end=end)
    assert report.phrases > 20
    assert report.gaps == []


@pytest.mark.parametrize(("rid", "n_rules"), [(TOWNSHIP, 47), (DEPARTMENT, 59)])
def test_points_add_up_to_100(rid, n_rules):
    rubric = load_rubric(rid)
    assert rubric.points == 100
    leaf_points = sum(n.points for n in rubric.nodes if n.rules and n.points is not None)
    # 附件2's 数据资源 pools its 5 points (R6): 3.1 carries them, 3.2 has none.
    assert leaf_points == 100
    assert len(rubric.rules) == n_rules


def test_split_clauses_keep_their_own_amounts():
    """附件1 “三集中三到位” ③: four clauses, four rules, amounts as written."""
    r = load_rubric(TOWNSHIP).rules
    assert (r["1.3.3a"].kind, r["1.3.3a"].amount) == ("flat", 2)
    assert [(r[i].kind, r[i].per) for i in ("1.3.3b", "1.3.3c", "1.3.3d")] == [
        ("per_count", 0.5), ("per_count", 1), ("per_count", 2)]
    assert r["1.3.3c"].text == "系统亮黄灯每次扣1 分"


def test_ambiguous_clauses_state_their_reading():
    dep = load_rubric(DEPARTMENT)
    assert dep.rules["3.2.1"].kind == "unscored"
    assert dep.rules["5.3a"].rounding == "whole_steps_down"
    node_32 = next(n for n in dep.nodes if n.id == "3.2")
    assert node_32.points is None and node_32.reading
    assert next(n for n in dep.nodes if n.id == "3").points == 5
    ids = [x.id for x in dep.readings]
    assert len(ids) == len(set(ids)) >= 5


@pytest.mark.parametrize("name", ["000_0885910b71dbd345.txt", "001_5b5f7ad413d29217.txt",
                                  "002_cc609a657548c0f2.txt", "004_fb02ea74bc2a4c5a.txt"])
def test_seed_copy_matches_shared(name):
    """The copy in tests/data is byte-identical to the shared source document, where that is present."""
    from conftest import SEEDS, SHARED_SEEDS

    shared = SHARED_SEEDS / name
    if shared.exists():  # absent only in a clone outside the workspace; the copy then stands alone
        assert (SEEDS / name).read_bytes() == shared.read_bytes()


@pytest.mark.parametrize("rid", [v.ref for versions in bundled().values() for v in versions.values()])
def test_every_text_of_every_rubric_is_verbatim_in_its_source(rid):
    """Every version, drafts included: a draft changes readings and amounts, never the document's words."""
    from conftest import SEEDS

    rubric = load_rubric(rid)
    assert not_verbatim(rubric, read_source(SEEDS / rubric.source.file)) == []
