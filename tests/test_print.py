"""Print that does not waste paper (issue 18 item 6): sections follow one another on A4, a new page starts only
where a heading would be left at the foot of a page or a table row, clause, chart or deduction cut in two.

Before, every section started a page: 示例镇07 (2 deductions) printed on 9 pages, page 1 holding only the title, and
the sample's units took 9 to 13 pages. The pages are counted in the real PDFs (`kaohe run --pdf`, Chromium).

Which units: the sample's 37 units ordered by their ledger rows (hand count from
data/sample/衡南2020-示例数据-台账.csv: 2 units with 0 rows, 5 with 1, 4 with 2, 3 with 3, 4 with 4, 5 with 5, 7
with 6, 4 with 7, one each with 9, 11 and 14), then by name, and the units at the 10th, 30th, 50th, 70th and 90th
percentile of that order (positions 4, 11, 18, 25, 32): 示例镇02 (1 row), 示例镇05 (3), 示例部门09 (5), 示例部门05 (6),
示例镇17 (7). The middle one is the sample's median unit: 5 rows, as the 19th of 37 is.
"""

import re
import shutil
import statistics
import subprocess

import pytest
from conftest import ROOT

from kaohe import cli
from kaohe.assessment import assess

PARAMS = ROOT / "params" / "hengnan-2020.yaml"
UNITS = ["示例镇02", "示例镇05", "示例部门09", "示例部门05", "示例镇17"]
SECTION = re.compile(r"^\s*(?:[一二三四五六七八九十]+、|规则 \S+：)")


def tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"需要 {name}：make test 会安装 Debian 的 poppler-utils 软件包（或运行 make browser）")
    return found


def representative(a) -> list[str]:
    rows = {}
    for r in a.results.values():
        counts = r.ledger.groupby("unit").size()
        rows.update({u: int(counts.get(u, 0)) for u in r.units["unit"]})
    order = sorted(rows, key=lambda u: (rows[u], u))
    return [order[round(q * (len(order) - 1))] for q in (0.1, 0.3, 0.5, 0.7, 0.9)]


def test_the_printed_units_are_the_samples_percentiles():
    assert representative(assess(PARAMS)) == UNITS


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    out = tmp_path_factory.mktemp("print")
    assert cli.main(["run", str(PARAMS), "--units", ",".join(UNITS), "--pdf", "--out-dir", str(out)]) == 0
    return out / "hengnan-2020" / "2020"


def pages(pdf) -> list[str]:
    text = subprocess.run([tool("pdftotext"), "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    return text.split("\f")[:-1]  # a form feed ends every page


def test_the_median_unit_fits_on_four_pages(printed):
    counts = {u: len(pages(printed / "units" / f"{u}.pdf")) for u in UNITS}
    assert statistics.median(counts.values()) <= 4, counts  # 3, 4, 4, 4, 4 pages (a page a section before: 9 and more)


def test_sections_follow_one_another_under_the_running_header(printed):
    """Page 1 holds the title and the first sections; every page keeps the unit and rubric at its head and its
    number at its foot."""
    for unit in UNITS:
        text = pages(printed / "units" / f"{unit}.pdf")
        assert "单位考核报告" in text[0] and "一、被考核单位与细则" in text[0] and "二、考核结果" in text[0], unit
        for i, page in enumerate(text, start=1):
            assert page.lstrip().startswith(f"{unit}：衡南县2020年政务公开政务服务工作考核（示例数据）")
            assert re.search(rf"\b{i} ?/ ?{len(text)}\s*$", page)  # poppler may drop the spaces


def test_no_page_ends_on_a_heading(printed):
    """A section's or a deduction's heading is kept with what follows it (break-after: avoid)."""
    for unit in [*UNITS, "summary"]:
        pdf = printed / ("summary.pdf" if unit == "summary" else f"units/{unit}.pdf")
        text = pages(pdf)
        for i, page in enumerate(text[:-1], start=1):
            lines = [line for line in page.split("\n") if line.strip()]
            last = lines[-2]  # the line above the page number
            assert not SECTION.match(last), (unit, i, last)


def test_the_evidence_tables_header_keeps_two_characters_a_line(printed):
    """Before: 计算扣分, 实际扣分 and 调整原因 printed one character per line in the squeezed right-hand columns."""
    text = "\n".join(pages(printed / "units" / "示例镇05.pdf"))
    assert re.search(r"计算\s+实际\s+调整", text)
    assert re.search(r"扣分\s+扣分\s+原因", text)
