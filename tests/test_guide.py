"""docs/编写细则.md, the guide a clerk reads: its generated tables are current (``python -m kaohe.reference --guide``),
it names every 计分方式 and every way a total is formed, its links resolve, and the results it shows for the worked
example are what kaohe scores."""

import re
from pathlib import Path

from kaohe.config import Run
from kaohe.reference import GUIDE, phrase_rows, update_guide
from kaohe.scoring import score
from kaohe.workbook import ENUMS, kind_names

ROOT = Path(__file__).resolve().parents[1]
TEXT = (ROOT / GUIDE).read_text(encoding="utf-8")


def test_the_generated_tables_are_current():
    """Regenerate with: python -m kaohe.reference --guide"""
    assert update_guide(TEXT) == TEXT


def test_every_phrasing_the_draft_reads_becomes_a_rule():
    from kaohe.draft import PHRASES

    rows = phrase_rows()
    assert len(rows) >= len(PHRASES)
    assert [r for r in rows if r[1] in ("", "不计分")] == []


def test_every_kind_and_way_of_forming_a_total_is_named():
    assert [name for name in kind_names() if f"| {name} |" not in TEXT] == []
    assert [word for word in ENUMS["aggregate"].values() if word not in TEXT] == []


def test_links_resolve():
    links = re.findall(r"\]\(([^)#]+)\)", TEXT)
    assert links and [x for x in links if not (ROOT / "docs" / x).resolve().exists()] == []


def test_the_results_shown_are_what_kaohe_scores():
    shown = re.findall(r"^\| (\d) \| (示例县\S+) \| ([\d.]+) \| (\S+) \|", TEXT, re.M)
    run = Run(ROOT / "examples" / "county-from-document" / "params.yaml")
    roster, evidence = run.load_inputs()
    result = score(run.rubrics[0], roster, evidence)
    u = result.units.sort_values("rank")
    assert shown == [(str(int(r)), n, f"{t.normalize():f}", g) for r, n, t, g in zip(u["rank"], u["unit"], u["total"], u["grade"])]
