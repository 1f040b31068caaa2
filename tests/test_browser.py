"""Hostile ledger text in a real browser: Debian's headless Chromium (installed by `make test`) loads the
rendered pages; the text is shown as text and nothing injected runs. Unit names that try to break out of
papermill's parameters or out of the run folder are data only.

Each payload, if it ran, would leave a mark a browser dump shows: a changed title, a `data-pwned`
attribute, or a console message with PWNED, which Chromium logs on stderr with --enable-logging.
"""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from kaohe import fonts, runner
from kaohe.html import unit_files
from kaohe.printing import CHROMIUM_FLAGS

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [*CHROMIUM_FLAGS, "--enable-logging=stderr", "--v=0", "--virtual-time-budget=5000"]

SCRIPT = "<script>document.title='PWNED';document.body.dataset.pwned=1;console.error('PWNED script')</script>"
IMG = "<img src=x onerror=\"document.title='PWNED';console.error('PWNED img')\">"
SVG = "<svg onload=\"console.error('PWNED svg')\"></svg>"
LINK = "javascript:console.error('PWNED link')"
MARKDOWN = "[点我](javascript:console.error('PWNED md')) **粗体** $x^2$ {{x}} </table></td>"
BREAKOUT = "x'); import os; os.system('touch {marker}')#"
NEWLINE = "甲\n乙镇"
PATHLIKE = "../../坏/单位:CON"
FORMULA = '=HYPERLINK("http://example.invalid","点我")'
DDE = "+cmd|' /C calc'!A0"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    if CHROMIUM is None:
        pytest.fail("需要 Chromium：make test 会安装 Debian 的 chromium 软件包（或运行 make browser）")
    tmp = tmp_path_factory.mktemp("hostile")
    marker = tmp / "papermill-breakout"
    breakout = BREAKOUT.format(marker=marker)
    units = [breakout, NEWLINE, PATHLIKE, "示例镇01"]

    def quote(s):
        return '"' + s.replace('"', '""') + '"'

    (tmp / "roster.csv").write_text("单位,类别\n" + "".join(f"{quote(u)},乡镇\n" for u in units), encoding="utf-8")
    rows = [f"X1,{quote(breakout)},4.2.3,2020-05-08,1,{quote(SCRIPT)},{quote(IMG)},{quote(LINK)}",
            f"X2,{quote(NEWLINE)},4.2.1,2020-06-01,1,{quote(MARKDOWN)},{quote(SVG)},a.pdf",
            f"X3,{quote(PATHLIKE)},4.2.1,2020-06-02,1,{quote(SVG)},检查记录,{quote(IMG)}",
            f"X4,示例镇01,4.2.1,2020-06-03,1,{quote(FORMULA)},{quote(DDE)},@SUM(A1)",
            "X5,示例镇01,4.2.3,2020-06-04,1,-,-,无"]
    (tmp / "ledger.csv").write_text("编号,单位,规则编号,日期,次数/数量,情况说明,依据/来源,佐证材料\n" + "\n".join(rows) + "\n",
                                    encoding="utf-8")
    (tmp / "p.yaml").write_text(f"name: hostile\nyear: 2020\ntitle: {quote(SCRIPT)}\nrubrics: [hengnan-2020-township]\n"
                                "roster: roster.csv\nevidence: [ledger.csv]\n", encoding="utf-8")
    outcome = runner.run(tmp / "p.yaml", out_dir=tmp / "out", progress=False)
    assert outcome.failed == [] and outcome.summary_error == ""
    return tmp, outcome, marker, units


def browse(page: Path, profile: Path) -> tuple[str, str]:
    """The DOM after the page has loaded and run whatever it would run, and what Chromium logged."""
    done = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--dump-dom", page.as_uri()],
                          capture_output=True, text=True, timeout=180, env=fonts.environ())
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout, done.stderr


@pytest.mark.parametrize("which", ["unit", "summary", "index"])
def test_no_injected_code_runs_in_the_browser_and_the_text_is_shown(hostile, which, tmp_path):
    _, outcome, _, units = hostile
    page = {"unit": outcome.folder / "units" / f"{unit_files(units)[units[0]]}.html",
            "summary": outcome.folder / "summary.html", "index": outcome.folder / "index.html"}[which]
    dom, log = browse(page, tmp_path / "profile")
    assert "<html" in dom
    assert "PWNED" not in log  # no console message from an injected script or handler
    assert "<title>PWNED</title>" not in dom and "data-pwned" not in dom  # what the payloads would set
    assert not re.search(r"<(img|svg|script)[^>]*(onerror|onload|PWNED)", dom)
    assert 'href="javascript' not in dom.lower()
    assert "&lt;script&gt;document.title='PWNED'" in dom  # the title of the run, shown as text
    if which == "unit":
        assert "&lt;img src=x onerror=" in dom and "javascript:console.error('PWNED link')" in dom


def test_unit_names_are_data_to_papermill_and_stay_inside_the_run_folder(hostile):
    tmp, outcome, marker, units = hostile
    assert not marker.exists()  # the name that tried to close papermill's string ran nothing
    files = unit_files(units)
    for unit in units:
        assert outcome.statuses[unit].state == "已生成"
        html = outcome.folder / "units" / f"{files[unit]}.html"
        assert html.resolve().parent == (outcome.folder / "units").resolve()
    made = {p.resolve() for p in (tmp / "out").rglob("*")}
    assert all(p.is_relative_to((tmp / "out").resolve()) for p in made)
    assert not (tmp / "坏").exists() and not (tmp.parent / "坏").exists()
    nb = (outcome.folder / "units" / f"{files[units[0]]}.ipynb").read_text(encoding="utf-8")
    assert "import os; os.system(" in nb  # kept as the text of the unit parameter, never as code


def test_the_browser_check_catches_a_page_that_runs_injected_code(hostile, tmp_path):
    """The same payloads left unescaped: the marks this test file looks for do appear."""
    page = tmp_path / "raw.html"
    page.write_text(f"<!DOCTYPE html><html><head><title>t</title></head><body>{SCRIPT}{IMG}{SVG}</body></html>",
                    encoding="utf-8")
    dom, log = browse(page, tmp_path / "profile")
    assert "<title>PWNED</title>" in dom and "data-pwned" in dom
    assert "PWNED script" in log and "PWNED img" in log and "PWNED svg" in log


def test_text_that_looks_like_a_formula_is_stored_as_text(hostile):
    """In ledger.csv the note, source and attachment keep a leading apostrophe; the amounts, numbers, do not
    (nor would text such as +1 or -3, which a spreadsheet reads as the number it is)."""
    import csv

    _, outcome, _, _ = hostile
    with open(outcome.folder / "ledger.csv", encoding="utf-8", newline="") as fh:
        row = next(r for r in csv.DictReader(fh) if r["记录编号"] == "X4")
    assert (row["情况说明"], row["依据/来源"], row["佐证材料"]) == ("'" + FORMULA, "'" + DDE, "'@SUM(A1)")
    assert row["计算扣分"] == "2"
    with open(outcome.folder / "ledger.csv", encoding="utf-8", newline="") as fh:
        dash = next(r for r in csv.DictReader(fh) if r["记录编号"] == "X5")
    assert (dash["情况说明"], dash["依据/来源"]) == ("-", "-")  # a lone dash for 无 is text already
