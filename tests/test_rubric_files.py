"""The two 衡南 2020 rubrics against their source document (seed 000)."""

import re

import pytest

from kaohe.rubric import bundled, load_rubric

TOWNSHIP, DEPARTMENT = "hengnan-2020-township", "hengnan-2020-department"


def tables(seed: str) -> dict[str, str]:
    a1 = seed.index("附件1\n乡镇（街道）考核细则")
    a2 = seed.index("附件2\n县直部门考核细则")
    return {TOWNSHIP: seed[a1:a2], DEPARTMENT: seed[a2:]}


def clause_lines(table: str) -> list[str]:
    """The table's clause lines (any line naming a deduction, or ending a sentence, like the
    amount-less 未按要求上报电子印章、电子证照数据的。), with extraction line breaks joined."""
    out: list[str] = []
    for raw in table.splitlines():
        line = raw.strip()
        if re.fullmatch(r"\d+(\.\d+)? 分。", line) and out:
            out[-1] += line  # "每超期一件，扣" + "0.2 分。"
        elif (any(w in line for w in ("扣", "否决", "计分")) or line.endswith("。")) and line != "评估内容和计分方法":
            out.append(line)
    return out


@pytest.mark.parametrize("rid", [TOWNSHIP, DEPARTMENT])
def test_every_rule_text_is_verbatim(rid, seed_000):
    flat = seed_000.replace("\n", "")
    rubric = load_rubric(rid)
    missing = [r.id for r in rubric.rules.values() if r.text not in flat]
    assert missing == []
    assert rubric.grades.text in flat and rubric.awards.excellent.text in flat


# Text in a clause line that states no rule: the 抽检 method note of 信息公开 ①.
NOT_A_RULE = ["（每月底系统抽检）"]


@pytest.mark.parametrize("rid", [TOWNSHIP, DEPARTMENT])
def test_every_clause_of_the_table_is_a_rule(rid, seed_000):
    rubric = load_rubric(rid)
    texts = sorted({r.text for r in rubric.rules.values()}, key=len, reverse=True)
    lines = clause_lines(tables(seed_000)[rid])
    assert len(lines) > 20
    leftovers = []
    for line in lines:
        rest = line
        for t in texts + NOT_A_RULE:
            rest = rest.replace(t, "")
        # ①②③ survive extraction as private-use U+F081..U+F083; they number, not state.
        rest = re.sub(r"[\uf081-\uf086①②③④⑤⑥。；，、\s]", "", rest)
        if rest:
            leftovers.append((line, rest))
    assert leftovers == []


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
    flat = (SEEDS / rubric.source.file).read_text(encoding="utf-8").replace("\n", "")
    texts = [r.text for r in rubric.rules.values()]
    texts += [t for t in (rubric.points_text, rubric.grades and rubric.grades.text,
                          rubric.awards.excellent and rubric.awards.excellent.text) if t]
    texts += [n.text for n in rubric.nodes if n.text]
    assert [t for t in texts if t not in flat] == []
