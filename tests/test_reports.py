"""`kaohe run`: notebooks executed by papermill, HTML an auditor can trace, failures kept apart.

Expected values are worked out by hand from seed 000 (附件1) and the sample ledger:
示例镇08 has T015 4.2.1 "被县级通报批评的，每次扣 2分" × 2 = 4, T016 4.2.3 "每次扣 1 分" × 1 = 1,
T017 4.2.4 "扣2分" but 4.2 is worth 5 and already lost 5 → 0 (capped by 4.2), T018 3.1.3d
"差评整改不到位每次扣 0.5 分" × 8 = 4, T019 veto (市级通报批评, 2020-09-25): 100 − 9 = 91, 不合格, last.
"""

import ast
import json
import re
from decimal import Decimal
from pathlib import Path
from urllib.parse import unquote

import nbformat
import pytest
from conftest import ROOT, Page, sabotaged_notebooks
from openpyxl import load_workbook

from kaohe import cli, report, runner
from kaohe.assessment import assess, load
from kaohe.numbers import fmt
from kaohe.provenance import sha256
from kaohe.report import END_MARKER, readings_for

PARAMS = ROOT / "params" / "hengnan-2020.yaml"
UNITS = ["示例镇08", "示例镇06", "示例部门14"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    outcome = runner.run(PARAMS, units=UNITS, jobs=2, out_dir=out, progress=False)
    return outcome


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_the_run_renders_the_chosen_units_summary_and_index(demo):
    assert demo.failed == [] and demo.summary_error == ""
    assert demo.folder.name == "2020" and demo.folder.parent.name == "hengnan-2020"
    for u in UNITS:
        assert (demo.folder / "units" / f"{u}.html").exists()
        assert (demo.folder / "units" / f"{u}.ipynb").exists()
    for name in ("index.html", "summary.html", "scores.csv", "scores.xlsx", "ledger.csv", "manifest.json"):
        assert (demo.folder / name).exists(), name
    assert {s.state for u, s in demo.statuses.items() if u not in UNITS} == {"本次未生成"}


def test_unit_html_shows_score_grade_rules_evidence_and_clauses(demo):
    a = assess(PARAMS)
    for unit in UNITS:
        text = read(demo.folder / "units" / f"{unit}.html")
        result = a.result_of(unit)
        row = result.units[result.units["unit"] == unit].iloc[0]
        ledger = result.ledger[result.ledger["unit"] == unit]
        assert f"{fmt(row['total'])}（满分 100" in text and row["grade"] in text
        for _, e in ledger.iterrows():
            assert report.rule_name(result.rubric, e["rule"]) in text and f"<td>{e['evidence_id']}</td>" in text
            clause = result.rubric.rules[e["rule"]].text
            assert f'class="kaohe-clause">{clause}</blockquote>' in text


def test_the_worked_example_of_示例镇08(demo):
    text = read(demo.folder / "units" / "示例镇08.html")
    assert "91（满分 100，扣 9 分）" in text and "第 23 名，共 23 个单位" in text
    page = Page(text)
    assert [Decimal(x) for x in page.cells["raw"]] == [Decimal(x) for x in ("4", "4", "1", "2", "0")]
    assert [Decimal(x) for x in page.cells["applied"]] == [Decimal(x) for x in ("4", "4", "1", "0", "0")]
    assert "「政府网站和政务新媒体」（4.2）扣分已达该项分值 5 分" in text
    # year to date: Q1 T015 only; Q2 + T016 (T017 capped); Q3 + T018 and the veto
    quarters = re.findall(r"<tr><td>(2020-\d\d-\d\d)</td><td class=\"num\">([\d.]+)</td><td>(\S+?)</td>", text)
    assert quarters == [("2020-03-31", "96", "优秀"), ("2020-06-30", "95", "优秀"),
                        ("2020-09-30", "91", "不合格"), ("2020-12-31", "91", "不合格")]


def test_ledger_amounts_in_the_html_add_up_to_full_marks_minus_the_score(demo):
    a = assess(PARAMS)
    for unit in UNITS:
        page = Page(read(demo.folder / "units" / f"{unit}.html"))
        result = a.result_of(unit)
        row = result.units[result.units["unit"] == unit].iloc[0]
        assert sum(Decimal(x) for x in page.cells.get("applied", [])) == row["points"] - row["total"]


def test_readings_shown_are_those_that_touched_the_unit():
    a = assess(PARAMS)
    ids = [r[0] for r in readings_for(a, "示例镇08")]
    # capped (R1, R8), a flat rule (R3), the veto rule (R6); no rate, discretionary or measurement rule
    assert ids == ["等次", "一票否决", "年度优秀单位", "R1", "R3", "R6", "R8"]


def test_index_and_summary_links_resolve(demo):
    for name in ("index.html", "summary.html"):
        page = Page(read(demo.folder / name))
        links = [r for r in page.refs if not r.startswith(("#", "data:"))]
        assert links
        for ref in links:
            assert (demo.folder / unquote(ref)).exists(), (name, ref)
    # the summary links only the reports this run published
    assert len([r for r in Page(read(demo.folder / "summary.html")).refs if r.startswith("units/")]) == len(UNITS)
    index = demo.folder / "index.html"
    a = assess(PARAMS)
    text = read(index)
    for unit in a.units:
        assert f"<td>{unit}</td>" in text


def test_no_rendered_html_references_another_host_or_runs_script(demo):
    pages = sorted(demo.folder.rglob("*.html"))
    assert len(pages) == len(UNITS) + 2
    for p in pages:
        text = read(p)
        page = Page(text)
        assert page.scripts == 0, p
        for ref in page.refs:
            assert ref.startswith(("#", "data:")) or not re.match(r"^[a-z][a-z0-9+.-]*:|^//", ref), (p, ref)
        assert not re.search(r"(url\(|@import)\s*['\"]?(https?:)?//", text), p


def test_injected_parameters_read_as_chinese(demo):
    nb = nbformat.read(demo.folder / "units" / "示例镇08.ipynb", as_version=4)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1
    assert injected[0].source.startswith("# 参数（由 kaohe run 注入）")
    assert "unit = '示例镇08'" in injected[0].source and "\\u" not in injected[0].source


def test_a_published_notebook_reruns_without_the_runs_temporary_cache(demo):
    """The cache was a temporary file: the published notebook names none and scores from params."""
    nb = nbformat.read(demo.folder / "units" / "示例镇08.ipynb", as_version=4)
    assert re.search(r"^cache = None$", nb.cells[2].source, flags=re.M)
    assert load(PARAMS, cache=None).result_of("示例镇08").units.shape[0] == 23  # scored afresh


def _nb(*cells, ran=True):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(src) for src in cells])
    for i, c in enumerate(nb.cells, 1):
        c.execution_count = i if ran and c.source.strip() else None
    nb.cells[-1].outputs = [nbformat.v4.new_output("display_data", data={"text/html": f'<p class="{END_MARKER}">'})]
    return nb


def test_incomplete_names_each_way_a_notebook_stops_early():
    assert runner.incomplete(_nb("x = 1", "", "report.end()")) is None  # nbclient skips blank cells
    skipped = _nb("x = 1", "y = 2", "report.end()")
    skipped.cells[1].execution_count = None
    assert "1 个代码单元未运行" in runner.incomplete(skipped)
    unfinished = _nb("x = 1", "report.end()")
    unfinished.cells[-1].outputs = []
    assert "结束标记" in runner.incomplete(unfinished)
    errored = _nb("x = 1", "report.end()")
    errored.cells[0].outputs = [nbformat.v4.new_output("error", ename="SystemExit", evalue="0", traceback=[])]
    assert runner.incomplete(errored) == "SystemExit: 0"


def test_scores_xlsx_is_the_bulletin_table(demo):
    wb = load_workbook(demo.folder / "scores.xlsx")
    assert wb.sheetnames == ["附件1 乡镇（街道）考核细则", "附件2 县直部门考核细则"]
    ws = wb["附件1 乡镇（街道）考核细则"]
    assert [c.value for c in ws[1]] == ["排名", "单位", "类别", "得分", "扣分", "等次", "一票否决", "年度优秀单位"]
    assert ws.freeze_panes == "A2"
    assert ws.column_dimensions["B"].width >= 12
    last = [c.value for c in ws[ws.max_row]]
    assert last[:3] == [23, "示例镇08", "乡镇"] and Decimal(str(last[3])) == 91 and last[5:7] == ["不合格", "是"]
    pending = {r[1].value for r in ws.iter_rows(min_row=2) if r[7].value == "待定"}
    assert pending == {"示例镇06", "示例镇07"}


def test_manifest_hashes_inputs_and_outputs(demo):
    m = json.loads(read(demo.folder / "manifest.json"))
    assert [i["role"] for i in m["inputs"]] == ["运行配置", "细则", "细则", "单位名单", "台账"]
    for i in m["inputs"]:
        assert sha256(demo.folder / "inputs" / i["name"]) == i["sha256"]
    listed = {o["path"]: o["sha256"] for o in m["outputs"]}
    assert "units/示例镇08.html" in listed and "scores.xlsx" in listed
    for path, digest in listed.items():
        assert sha256(demo.folder / path) == digest
    assert {n["path"] for n in m["notebooks"]} == {"unit_report.ipynb", "summary.ipynb"}
    assert m["software"]["kaohe"] and m["software"]["papermill"]


def test_summary_lists_ranking_excellent_veto_and_bulletin(demo):
    text = read(demo.folder / "summary.html")
    assert "年度优秀单位：示例镇01、示例镇02、示例镇03、示例镇04、示例镇05。" in text
    assert "2 个单位同为 94 分，争剩余 1 个名额" in text
    assert "<td>示例镇08</td><td>一票否决</td><td>T019</td>" in text and "<td>示例部门14</td>" in text
    assert "截至 2020-03-31" in text and END_MARKER in text


# --- failures ------------------------------------------------------------------------------------

SABOTAGE = """import os, sys, time
if unit == "示例镇05":
    os.kill(os.getpid(), 9)
if unit == "示例镇02":
    raise RuntimeError("故意失败")
if unit == "示例镇03":
    sys.exit(0)
if unit == "示例镇04":
    time.sleep(120)
"""


@pytest.fixture
def bad_notebooks(tmp_path):
    return sabotaged_notebooks(tmp_path / "notebooks", SABOTAGE)


def test_failing_units_are_kept_apart_and_do_not_replace_a_good_report(tmp_path, bad_notebooks):
    good = runner.run(PARAMS, units=["示例镇01", "示例镇02"], out_dir=tmp_path, progress=False)
    assert good.failed == []
    before = (good.folder / "units" / "示例镇02.html").read_bytes()

    bad = runner.run(PARAMS, units=["示例镇01", "示例镇02", "示例镇03", "示例镇04", "示例镇05"], jobs=2,
                     out_dir=tmp_path, timeout=10, notebooks=bad_notebooks, progress=False)
    assert sorted(bad.failed) == ["示例镇02", "示例镇03", "示例镇04", "示例镇05"]
    assert bad.statuses["示例镇01"].state == "已生成"
    assert "故意失败" in bad.statuses["示例镇02"].error
    assert "SystemExit" in bad.statuses["示例镇03"].error
    assert "超过 10 秒的时限" in bad.statuses["示例镇04"].error
    assert "内核意外退出" in bad.statuses["示例镇05"].error
    assert (bad.folder / "units" / "示例镇02.html").read_bytes() == before
    for u in ("示例镇03", "示例镇04", "示例镇05"):
        assert not (bad.folder / "units" / f"{u}.html").exists()
        # what ran is kept, also when papermill wrote nothing (a cell over the time limit, a dead kernel)
        assert (bad.folder / "units" / f"{u}.failed.ipynb").exists()
    # the summary was written while the units ran, for all five; it is written again, linking what exists
    linked = {unquote(h) for h in re.findall(r'href="units/([^"]+)\.html"', read(bad.folder / "summary.html"))}
    assert {"示例镇01", "示例镇02"} <= linked and not linked & {"示例镇03", "示例镇04", "示例镇05"}
    kept = nbformat.read(bad.folder / "units" / "示例镇02.failed.ipynb", as_version=4)
    assert any(o.get("ename") == "RuntimeError" for c in kept.cells for o in c.get("outputs", []))
    index = read(bad.folder / "index.html")
    assert "4 个单位的报告生成失败" in index and "失败：RuntimeError: 故意失败" in index
    # the traceback, as plain text, folded under the failure
    trace = re.search(r"<details><summary>错误详情</summary><pre>(.*?)</pre></details>", index, flags=re.S).group(1)
    assert "RuntimeError" in trace and "故意失败" in trace and "\x1b[" not in trace


def test_cli_run_exits_non_zero_naming_the_failed_unit(tmp_path, bad_notebooks, monkeypatch, capsys):
    monkeypatch.setattr(runner, "NOTEBOOKS", bad_notebooks)
    monkeypatch.chdir(tmp_path)  # a relative --out-dir, as in `make demo`, with notebooks running in parallel
    code = cli.main(["run", str(PARAMS), "--units", "示例镇01,示例镇03,示例镇01", "--out-dir", "outputs", "--jobs", "2"])
    out, err = capsys.readouterr()
    assert code == 1
    assert "1 个单位的报告生成失败：示例镇03" in err
    assert out.strip() == str(tmp_path / "outputs" / "hengnan-2020" / "2020" / "index.html")
    assert (tmp_path / "outputs" / "hengnan-2020" / "2020" / "units" / "示例镇01.html").exists()


def test_cli_run_refuses_an_unknown_unit_before_running_anything(tmp_path, capsys):
    code = cli.main(["run", str(PARAMS), "--units", "示例镇99", "--out-dir", str(tmp_path)])
    assert code == 2
    assert "示例镇99" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())


# --- notebooks in git ----------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["unit_report.ipynb", "summary.ipynb", "compare.ipynb"])
def test_committed_notebooks_have_no_outputs_and_a_kernelspec(name):
    nb = nbformat.read(ROOT / "notebooks" / name, as_version=4)
    assert nb.metadata["kernelspec"]["language"] == "python"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    assert sum("parameters" in c.metadata.get("tags", []) for c in code) == 1
    assert code[-1].source.strip() == "report.end()"


@pytest.mark.parametrize("name", ["unit_report.ipynb", "summary.ipynb", "compare.ipynb"])
def test_notebooks_run_top_to_bottom_with_their_defaults(name, tmp_path):
    # as in JupyterLab: no injected parameters, the notebook's own folder as working directory
    nb, failure = runner.execute(ROOT / "notebooks" / name, tmp_path / name, {}, timeout=300)
    assert failure is None
    text = json.dumps(nb.cells[-1].outputs, ensure_ascii=False)
    assert END_MARKER in text
    if name == "unit_report.ipynb":  # it opens on something to check (the test below says what)
        shown = json.dumps([c.get("outputs", []) for c in nb.cells], ensure_ascii=False)
        assert "T045" in shown and "「电子政务外网管理」（2.1）扣分已达该项分值 5 分，扣完为止" in shown
        assert "各指标分值是否为扣分上限" in shown


def _defaults(name: str) -> dict:
    """The values a notebook's parameters cell assigns (literals only, as papermill requires)."""
    nb = nbformat.read(ROOT / "notebooks" / name, as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    return {s.targets[0].id: ast.literal_eval(s.value) for s in ast.parse(cell.source).body}


def test_the_unit_report_opens_on_a_unit_with_deductions_a_cap_and_a_reading():
    """Worked from the sample ledger and 附件1 (衡南 乡镇): 示例镇13 has T041 1.1.2 10 个 × 0.5 = 5, T042 1.3.1 扣 5,
    T043 3.1.3a 扣 5, T044 4.1.1 10 次 × 0.5 = 5, T045 2.1.2b "出现网络安全事故的，每发现一次扣3分" 2 次 × 3 = 6 —
    but 2.1 电子政务外网管理 is worth 5 and nothing else there was deducted: 5, cut by 2.1 —, T046 5.2a 办结率 91%:
    (95 − 91) ÷ 1 × 0.5 = 2, T047 5.2b 15 件 × 0.2 = 3: 100 − 30 = 70. R1 (各指标分值是否为扣分上限) reads the cap."""
    defaults = _defaults("unit_report.ipynb")
    assert defaults["as_of"] is None and defaults["cache"] is None
    a = assess((ROOT / "notebooks" / defaults["params"]).resolve())
    unit = defaults["unit"]
    result = a.result_of(unit)
    ledger = result.ledger[result.ledger["unit"] == unit]
    assert ledger["applied"].tolist() == [5, 5, 5, 5, 5, 2, 3]
    assert result.units.set_index("unit").at[unit, "total"] == 70
    cut = ledger[ledger["capped_by"] != ""]
    assert cut[["evidence_id", "rule", "raw", "applied", "capped_by"]].values.tolist() == [
        ["T045", "2.1.2b", Decimal(6), Decimal(5), "2.1"]]
    assert ("R1", "各指标分值是否为扣分上限") in [r[:2] for r in readings_for(a, unit)]


def test_an_as_of_run_gets_its_own_folder_and_year_to_date_figures(tmp_path):
    outcome = runner.run(PARAMS, units=["示例镇08"], as_of="2020-06-30", out_dir=tmp_path, progress=False)
    assert outcome.folder.name == "2020-as-of-2020-06-30" and outcome.failed == []
    text = read(outcome.folder / "units" / "示例镇08.html")
    # up to 06-30: T015 (4) and T016 (1); T017 capped by 4.2; T018 and the veto come later
    assert "95（满分 100，扣 5 分）" in text and "一票否决</dt><dd>否" in text
    assert "截至 2020-06-30" in text and "2020-09-30" not in text


def test_code_is_hidden_unless_asked_for(demo):
    nb = nbformat.read(demo.folder / "units" / "示例镇08.ipynb", as_version=4)
    hidden, shown = runner.render(nb, "示例镇08", show_code=False), runner.render(nb, "示例镇08", show_code=True)
    assert "unit_deductions" not in hidden and "unit_deductions" in shown
    assert "<title>示例镇08</title>" in hidden and "T019" in hidden and "T019" in shown


@pytest.mark.parametrize(("page", "heading"), [("units/示例镇08.ipynb", "二、考核结果"), ("summary.ipynb", "二、评优名单")])
@pytest.mark.parametrize("show_code", [False, True])
def test_a_report_page_is_the_document_nbconverts_html_exporter_makes(demo, page, heading, show_code):
    """ReportExporter skips HTMLExporter's BeautifulSoup pass and its validation after every preprocessor; the
    page is still the same document, attribute for attribute (the tabindex of cells and outputs included)."""
    from bs4 import BeautifulSoup
    from nbconvert import HTMLExporter

    nb = nbformat.read(demo.folder / page, as_version=4)
    theirs, _ = HTMLExporter(template_name="kaohe", extra_template_basedirs=[str(runner.TEMPLATES)],
                             exclude_input=not show_code, exclude_input_prompt=True, exclude_output_prompt=True,
                             language_code="zh").from_notebook_node(
        nb, resources={"metadata": {"name": "标题"}, "print_header": runner.css_string("标题")})
    ours = runner.render(nb, "标题", show_code)
    assert 'tabindex="0"' in ours and heading in ours  # headings as characters, not &#20108;…
    assert not [r for r in re.findall(r"&#(\d+);", ours) if int(r) >= 0x80]
    assert BeautifulSoup(ours, "html.parser") == BeautifulSoup(theirs, "html.parser")


def test_a_units_slice_of_the_assessment_gives_the_same_report_sections():
    """kaohe run hands each unit's kernel only its slice (Assessment.per_unit): every section of every unit
    report must read the same from it as from the whole assessment."""
    a = assess(PARAMS)
    sections = [report.unit_header, report.unit_result, report.unit_composition, report.unit_waterfall,
                report.unit_indicators, report.unit_deductions, report.unit_readings, report.unit_quarters]
    slices = dict(a.per_unit())
    assert sorted(slices) == sorted(a.units)
    for unit in ("示例镇08", "示例镇17", "示例部门05"):
        part = slices[unit]
        assert len(part.evidence.findings) < len(a.evidence.findings)
        for section in sections:
            assert str(section(part, unit)) == str(section(a, unit)), (unit, section.__name__)


@pytest.mark.parametrize("params", ["hengnan-2020.yaml", "yiyang-2020.yaml", "langxi-2019.yaml"])
def test_the_summarys_slice_gives_the_same_summary_sections(params):
    """The summary's kernel gets Assessment.for_summary (totals, two levels of indicators, veto rows)."""
    a = assess(ROOT / "params" / params)
    part = a.for_summary()
    assert len(part.evidence.findings) < len(a.evidence.findings)
    for section in (report.ranking, report.excellent, report.vetoed, report.grade_chart, report.heatmap,
                    report.top_lost, report.bulletin):
        assert str(report.per_rubric(part, section)) == str(report.per_rubric(a, section)), section.__name__


def test_a_heatmap_of_many_units_draws_those_that_lost_most():
    a = assess(PARAMS)
    result = a.results["hengnan-2020-township"]
    lost = report.lost_by_top(result).sum(axis=1).sort_values(ascending=False)
    page = Page(str(report.heatmap(a, result, rows=5)))
    assert page.alts == ["各单位各指标扣分热力图（共 23 个单位，只画失分最多的 5 个），数据见下表“扣分最多的指标”"]
    assert lost.iloc[4] > lost.iloc[5]  # the five are well defined on the sample
