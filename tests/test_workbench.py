"""notebooks/rubric_workbench.ipynb and kaohe.workbench: the sections a clerk reads while turning a document into a
rubric (draft, what the correction changed, check, lint, a trial score, each clause with its evidence), on the
worked example examples/county-from-document/ (expected values worked by hand in tests/test_from_document.py)."""

import json
import re
from pathlib import Path

import nbformat
import pytest

from kaohe import runner, workbench
from kaohe.draft import draft
from kaohe.rubric import load_rubric

ROOT = Path(__file__).resolve().parents[1]
FOLDER = ROOT / "examples" / "county-from-document"
NOTEBOOK = ROOT / "notebooks" / "rubric_workbench.ipynb"


def rows(fragment) -> list[list[str]]:
    """The body rows of the tables in a fragment, as text."""
    body = re.findall(r"<tbody>(.*?)</tbody>", str(fragment), re.S)
    return [[re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)]
            for b in body for r in re.findall(r"<tr>(.*?)</tr>", b, re.S)]


@pytest.fixture(scope="module")
def drafted():
    return draft(FOLDER / "示例县考核细则.docx")


@pytest.fixture(scope="module")
def rubric():
    return load_rubric(FOLDER / "细则.xlsx")


def test_the_draft_rows_say_kind_parameters_and_why_pending(drafted):
    data, pending = drafted
    table = rows(workbench.drafted(data, pending))
    by_id = {r[0]: r for r in table if r[0]}
    assert by_id["1.4.1"][3:5] == ["每次扣分", "每次分值 0.5；上限 3"]
    assert by_id["2.4.2"][3:5] == ["低于限值扣分", "限值 90；扣分/加分 2；百分率 是"]
    assert by_id["3.1.3"][3:5] == ["视情加分", "最低 1；最高 2"]
    assert by_id["2.2.1"][5].startswith("“每下降1个百分点”")
    assert ["id", "draft", pending["id"]] in table  # the rubric's own facts that are pending


def test_the_changes_are_the_corrections_of_the_guide(drafted, rubric):
    data, _ = drafted
    changed = {(r[0], r[1]): (r[2], r[3]) for r in rows(workbench.changes(data, rubric))}
    assert changed[("（细则）", "适用类别")] == ("待定", "乡镇")
    assert changed[("2.2.1", "计步方式")] == ("", "整步（不足一步不扣）")
    assert ("3", "起算") not in changed and ("（细则）", "合成方式") not in changed  # drafted so
    assert ("5.1", "删除") in changed  # the signature and 注 taken for an attachment
    assert not any(k[0].startswith("4") for k in changed)  # the 一票否决 row, drafted as the document has it
    assert not any(k[0] == "1.1.1" for k in changed)  # drafted right, left as it was


def test_coverage_and_lint(rubric):
    assert "结论：通过。" in str(workbench.coverage(rubric, FOLDER / "示例县考核细则.docx"))
    assert [r[0] for r in rows(workbench.lint(rubric))] == ["提示"] * 3  # the three rate rules' reading


def test_each_clause_with_its_evidence(rubric):
    result = workbench.score(rubric, FOLDER / "单位名单.csv", FOLDER / "台账.csv")
    clauses = {r[0]: r for r in rows(workbench.clauses(result))}
    assert len(clauses) == 35
    assert clauses["1.4.1"][5] == "示例县城关镇 E02：4，实计 3（规则 1.4.1 全年累计不超过 3 分）"
    assert clauses["3.1.2"][5].startswith("示例县城关镇 E05：-2.5，实计 -2")
    assert clauses["2.2.1"][5] == "示例县城关镇 E03：1；示例县北湖镇 E20：0"
    assert rows(workbench.totals(result))[0][:2] == ["1", "示例县城关镇"]


def test_committed_without_outputs_with_a_kernelspec():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert nb.metadata["kernelspec"]["language"] == "python"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    assert sum("parameters" in c.metadata.get("tags", []) for c in code) == 1


def test_runs_top_to_bottom_on_its_defaults(tmp_path):
    """With papermill, as in JupyterLab: no injected parameters, the notebook's own folder as working directory, a
    kernel on this interpreter (the report runner's)."""
    import papermill as pm

    nb = pm.execute_notebook(str(NOTEBOOK), str(tmp_path / NOTEBOOK.name), parameters={}, progress_bar=False,
                             kernel_manager_class=runner.HereKernelManager, execution_timeout=300,
                             resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code)
    text = json.dumps([o for c in code for o in c.outputs], ensure_ascii=False)
    assert '"ename"' not in text
    assert "结论：通过。" in text and "示例县城关镇" in text and "98.5" in text
