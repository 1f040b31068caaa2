"""`kaohe run --pdf`: reports printed to A4 PDF by headless Chromium, checked with poppler's pdfinfo and
pdftotext (both installed by `make test`). 示例镇08 (see test_reports): 91 分, 不合格, vetoed by T019."""

import re
import shutil
import subprocess

import pytest
from conftest import ROOT

from kaohe import cli

PARAMS = ROOT / "params" / "hengnan-2020.yaml"
HEADER = "示例镇08：衡南县2020年政务公开政务服务工作考核（示例数据）（hengnan-2020-township@1）"


def tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"需要 {name}：make test 会安装 Debian 的 poppler-utils 软件包（或运行 make browser）")
    return found


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    out = tmp_path_factory.mktemp("pdf")
    assert cli.main(["run", str(PARAMS), "--units", "示例镇08", "--pdf", "--out-dir", str(out)]) == 0
    return out / "hengnan-2020" / "2020"


def pages(pdf) -> list[str]:
    text = subprocess.run([tool("pdftotext"), "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    return text.split("\f")[:-1]  # a form feed ends every page


def test_a_unit_report_prints_on_a4_with_its_header_page_numbers_and_sections(printed):
    pdf = printed / "units" / "示例镇08.pdf"
    info = subprocess.run([tool("pdfinfo"), str(pdf)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Page size:\s+594\.\d+ x 841\.\d+ pts \(A4\)", info)
    n = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    html = (printed / "units" / "示例镇08.html").read_text(encoding="utf-8")
    sections = len(re.findall(r"<h2[ >]", html))
    assert n >= sections + 1  # the opening page, then each section from a new page
    text = pages(pdf)
    assert len(text) == n
    for i, page in enumerate(text, start=1):
        assert page.lstrip().startswith(HEADER) and f"{i} / {n}" in page  # on every page
    whole = "\n".join(text)
    assert "91（满分 100，扣 9 分）" in whole and "T019" in whole and "不合格" in whole
    heads = [p.split("\n")[2:6] for p in text]  # each section starts its page, right under the header
    assert sum(any(re.match(r"\s*[一二三四五六七八九十]+、", line) for line in h) for h in heads) == sections


def test_the_pages_draw(printed, tmp_path):
    """poppler draws every page of the unit report: none is blank."""
    subprocess.run([tool("pdftoppm"), "-r", "30", "-png", str(printed / "units" / "示例镇08.pdf"), str(tmp_path / "p")],
                   check=True, capture_output=True)
    drawn = sorted(tmp_path.glob("p*.png"))
    assert len(drawn) == len(pages(printed / "units" / "示例镇08.pdf"))
    assert all(png.stat().st_size > 2_000 for png in drawn)


def test_the_summary_is_printed_too_and_reprinting_gives_the_same_pages(printed):
    index = (printed / "index.html").read_text(encoding="utf-8")
    assert '<a href="summary.pdf">PDF</a>' in index and 'units/%E7%A4%BA%E4%BE%8B%E9%95%8708.pdf">PDF</a>' in index
    summary = pages(printed / "summary.pdf")
    assert summary[0].lstrip().startswith("衡南县2020年政务公开政务服务工作考核（示例数据）：汇总")
    # The same pages and text; not always the same bytes: Chromium's output varies slightly under load.
    before = pages(printed / "units" / "示例镇08.pdf")
    assert cli.main(["run", str(PARAMS), "--units", "示例镇08", "--pdf", "--out-dir", str(printed.parent.parent)]) == 0
    assert pages(printed / "units" / "示例镇08.pdf") == before


def test_a_report_made_again_without_pdf_drops_its_old_print(printed):
    """The print must not outlive the report it was printed from."""
    assert (printed / "units" / "示例镇08.pdf").exists()
    assert cli.main(["run", str(PARAMS), "--units", "示例镇08", "--out-dir", str(printed.parent.parent)]) == 0
    assert not (printed / "units" / "示例镇08.pdf").exists() and (printed / "units" / "示例镇08.html").exists()


def test_a_report_chromium_cannot_print_keeps_its_html_and_fails_the_command(tmp_path, monkeypatch, capsys):
    """A print that fails is that report's failure, as a notebook error is: the run is published, exit 1."""
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\necho 'GPU process crashed' >&2\nexit 3\n", encoding="utf-8")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:{__import__('os').environ['PATH']}")
    code = cli.main(["run", str(PARAMS), "--units", "示例镇08", "--pdf", "--out-dir", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 1
    assert "2 份 PDF 未能生成（HTML 报告已生成）：units/示例镇08.pdf、summary.pdf" in err
    assert "Chromium 退出码 3：GPU process crashed" in err
    folder = tmp_path / "out" / "hengnan-2020" / "2020"
    assert (folder / "units" / "示例镇08.html").exists() and not (folder / "units" / "示例镇08.pdf").exists()
