"""`kaohe run --scheduler`: the same per-unit jobs on the workers of a Dask cluster give the same files."""

from pathlib import Path

import pytest
from conftest import ROOT

from kaohe import runner

distributed = pytest.importorskip("distributed")  # installed by the test extra; kaohe[dask] for users

PARAMS = ROOT / "params" / "hengnan-2020.yaml"
UNITS = ["示例镇08", "示例镇14", "示例部门05"]


def _files(folder: Path) -> dict[str, Path]:
    return {p.relative_to(folder).as_posix(): p for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_run_on_a_local_dask_cluster_writes_the_same_files(tmp_path):
    local = runner.run(PARAMS, units=UNITS, jobs=2, out_dir=tmp_path / "local", progress=False)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        remote = runner.run(PARAMS, units=UNITS, out_dir=tmp_path / "dask", progress=False,
                            scheduler=cluster.scheduler_address)
    assert local.failed == [] and remote.failed == [] and not local.summary_error and not remote.summary_error
    a, b = _files(local.folder), _files(remote.folder)
    assert list(a) == list(b) and "units/示例镇08.html" in a and "summary.html" in a
    # Every file byte for byte: reports, executed notebooks, tables, the copied inputs and the manifest.
    assert len(a) == 2 * len(UNITS) + 3 + 4 + 5 + 1  # unit html+ipynb, summary and index, tables, inputs, manifest
    assert [n for n in a if a[n].read_bytes() != b[n].read_bytes()] == []


def test_a_failing_report_on_a_worker_is_kept_apart(tmp_path):
    bad = tmp_path / "notebooks"
    bad.mkdir()
    for name in ("unit_report.ipynb", "summary.ipynb"):
        text = (ROOT / "notebooks" / name).read_text(encoding="utf-8")
        if name == "unit_report.ipynb":  # a unit report that raises for one unit only
            text = text.replace('"report.unit_header(a, unit)"',
                                '"assert unit != \'示例镇14\', \'示例故障\'\\n",\n    "report.unit_header(a, unit)"')
        (bad / name).write_text(text, encoding="utf-8")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=True, dashboard_address=None) as cluster:
        out = runner.run(PARAMS, units=UNITS[:2], out_dir=tmp_path / "out", progress=False, notebooks=bad,
                         scheduler=cluster.scheduler_address)
    assert out.failed == ["示例镇14"] and "示例故障" in out.statuses["示例镇14"].error
    assert (out.folder / "units" / "示例镇14.failed.ipynb").exists()
    assert not (out.folder / "units" / "示例镇14.html").exists() and (out.folder / "units" / "示例镇08.html").exists()


def test_pdfs_of_a_dask_run_are_printed_by_the_client_as_in_a_local_run(tmp_path):
    """--pdf with --scheduler: the workers make the reports, the client prints them (the workers need no
    browser). The same files as locally; the PDFs with the same pages and text (Chromium's bytes may vary)."""
    from pypdf import PdfReader

    from kaohe import printing

    local = runner.run(PARAMS, units=UNITS[:1], jobs=1, out_dir=tmp_path / "local", progress=False, pdf=True)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        remote = runner.run(PARAMS, units=UNITS[:1], out_dir=tmp_path / "dask", progress=False, pdf=True,
                            scheduler=cluster.scheduler_address)
    assert local.pdf_failed == {} and remote.pdf_failed == {}
    a, b = _files(local.folder), _files(remote.folder)
    assert list(a) == list(b) and "units/示例镇08.pdf" in a and "summary.pdf" in a

    def text(pdf: Path) -> list[str]:
        return [printing.page_text(page) for page in PdfReader(pdf).pages]

    assert [n for n in a if n.endswith(".pdf") and text(a[n]) != text(b[n])] == []
    assert [n for n in a if not n.endswith((".pdf", "manifest.json", "index.html", "scores.docx"))
            and a[n].read_bytes() != b[n].read_bytes()] == []
