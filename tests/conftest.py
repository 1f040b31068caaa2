import os
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parents[1]
# A copy of the source document travels with the repo so a clone anywhere can test the
# rubric texts; test_seed_copy_matches_shared checks it against ../shared/seeds when present.
SEEDS = Path(__file__).parent / "data" / "seeds"
SHARED_SEEDS = ROOT.parent / "shared" / "seeds"

settings.register_profile("ci", max_examples=200, deadline=None, derandomize=True)
settings.register_profile("dev", max_examples=50, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture(scope="session")
def seed_000() -> str:
    return (SEEDS / "000_0885910b71dbd345.txt").read_text(encoding="utf-8")


class Page(HTMLParser):
    """Links, sources, <script> tags and the cells of tables by class, from one HTML file."""

    def __init__(self, text: str):
        super().__init__()
        self.refs: list[str] = []
        self.alts: list[str] = []
        self.scripts = 0
        self.cells: dict[str, list[str]] = {}
        self._cls: str | None = None
        self._buf: list[str] | None = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.refs += [a[k] for k in ("href", "src") if a.get(k)]
        if tag == "img":
            self.alts.append(a.get("alt", ""))
        if tag == "script":
            self.scripts += 1
        if tag == "td":
            self._cls, self._buf = a.get("class") or "", []

    def handle_data(self, data):
        if self._buf is not None:
            self._buf.append(data)

    def handle_endtag(self, tag):
        if tag == "td" and self._buf is not None:
            for c in self._cls.split():
                self.cells.setdefault(c, []).append("".join(self._buf))
            self._buf = None


def sabotaged_notebooks(folder: Path, code: str) -> Path:
    """A copy of the report notebooks in ``folder`` whose unit report runs ``code`` after its first cells
    (to make chosen units fail in chosen ways)."""
    import nbformat

    folder.mkdir()
    for name in ("unit_report.ipynb", "summary.ipynb"):
        nb = nbformat.read(ROOT / "notebooks" / name, as_version=4)
        if name == "unit_report.ipynb":
            nb.cells.insert(4, nbformat.v4.new_code_cell(code))
        nbformat.write(nb, folder / name)
    return folder
