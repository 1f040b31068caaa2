"""HTML building blocks for reports: everything is escaped unless it is :class:`Fragment` built here.

nbconvert does not sanitise what a kernel outputs, so a ledger note ``<script>…`` would run in the
auditor's browser. Every text that reaches HTML goes through :func:`markupsafe.escape`; the only
unescaped HTML is what this module and :mod:`kaohe.report` assemble from escaped parts.
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from decimal import Decimal
from urllib.parse import quote

from markupsafe import Markup, escape

from .files import NAME_BYTES, cut_to_bytes
from .ledger import visible
from .numbers import fmt

#: The class of the last thing a report shows (:func:`kaohe.report.end`): the runner publishes a notebook only when
#: its last cell shows it. Here, not in kaohe.report, so that the runner can check for it without matplotlib.
END_MARKER = "kaohe-report-complete"


class Fragment(Markup):
    """Escaped HTML that Jupyter shows as HTML (``_repr_html_``) and that ``escape`` leaves alone."""

    def _repr_html_(self) -> str:
        return str(self)


def cell(value) -> Markup:
    if isinstance(value, Markup):
        return value
    if value is None or (isinstance(value, float) and value != value):
        return Markup("")
    if isinstance(value, bool):
        return Markup("是" if value else "")
    if isinstance(value, Decimal):
        return escape(fmt(value))
    return escape(str(value))


#: Ems a printed A4 table at 9pt can take (182 mm of text width is 57, less the notebook's margins), less about one
#: per column for padding and borders.
_TABLE_EMS = 48
#: Characters a column keeps on one line at most, however few the columns.
_KEEP = 6
def _ems(text: str) -> float:
    """Width of a line of text in ems: a CJK or full-width character 1, others about half."""
    return sum(1.0 if unicodedata.east_asian_width(c) in "WF" else 0.55 for c in text)


def _min_widths(headers: Sequence[str], rows: list[Sequence]) -> list[float]:
    """The least width of each column, in ems: its widest cell, or its header over at most two lines, up to
    what the page leaves each column. A browser otherwise squeezes a short column (类别, 单位) to one
    character per line to give a long one (情况说明) more room."""
    cap = math.floor(2 * max(2.0, min(_KEEP, (_TABLE_EMS - 1.1 * len(headers)) / max(1, len(headers))))) / 2
    out = []
    for i, h in enumerate(headers):
        widest = max([_ems(Markup(cell(r[i])).striptags()) for r in rows if i < len(r)] + [0.0])
        head = min(_ems(h), max(2.0, _ems(h) / 2))  # "计算/扣分", not "计/算/扣/分"
        out.append(min(cap, math.ceil(2 * max(widest, head)) / 2))
    return out


def table(headers: Sequence[str], rows: Iterable[Sequence], cls: str = "", cols: dict[int, str] | None = None) -> Fragment:
    """A table whose cells are escaped text, or :class:`~markupsafe.Markup` built from escaped parts;
    ``cols`` gives a column (by index) a class such as ``num`` (right-aligned figures). Each header cell
    carries its column's least width (:func:`_min_widths`).

    >>> str(table(["单位"], [["<b>x</b>"]]))
    '<table class="kaohe"><thead><tr><th style="min-width:4.5em">单位</th></tr></thead><tbody><tr><td>&lt;b&gt;x&lt;/b&gt;</td></tr></tbody></table>'
    """
    cols = cols or {}
    rows = [list(r) for r in rows]
    classes = " ".join(["kaohe", *cls.split()])
    out = [f'<table class="{escape(classes)}"><thead><tr>']
    out += [f'<th style="min-width:{w:g}em">{escape(h)}</th>' for h, w in zip(headers, _min_widths(headers, rows))]
    out.append("</tr></thead><tbody>")
    for row in rows:
        out.append("<tr>")
        for i, v in enumerate(row):
            out.append(f'<td class="{cols[i]}">{cell(v)}</td>' if i in cols else f"<td>{cell(v)}</td>")
        out.append("</tr>")
    out.append("</tbody></table>")
    return Fragment("".join(out))


def tag(name: str, text, cls: str = "") -> Fragment:
    attr = f' class="{escape(cls)}"' if cls else ""
    return Fragment(f"<{name}{attr}>{cell(text)}</{name}>")


def link(href: str, text) -> Markup:
    """A relative link; the path is percent-encoded, so a file name can never close the attribute."""
    return Markup('<a href="{}">{}</a>').format(quote(href), text)


def join(parts: Iterable) -> Fragment:
    return Fragment("".join(str(cell(p)) for p in parts))


def dl(items: Iterable[tuple[str, object]]) -> Fragment:
    """A definition list: the 'who and what' of a report."""
    body = "".join(f"<dt>{escape(k)}</dt><dd>{cell(v)}</dd>" for k, v in items)
    return Fragment(f'<dl class="kaohe">{body}</dl>')


# --- file names for units -------------------------------------------------------------------------

_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*\ud800-\udfff]')
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
#: What the runner adds to a unit's stem: ``units/<stem>.html``, ``.ipynb``, ``.failed.ipynb``, ``.pdf``, and
#: ``.staging/units/<stem>.ipynb``, ``.staging/caches/<stem>.pickle``. The atomic writers' temporary names are
#: cut to fit on their own (:func:`kaohe.files.temporary_prefix`).
SUFFIXES = (".html", ".ipynb", ".failed.ipynb", ".pdf", ".pickle")
#: The longest stem in UTF-8 bytes, so that every file of a unit has a name the file system takes.
STEM_BYTES = NAME_BYTES - max(len(s.encode()) for s in SUFFIXES)
#: Hex digits of the SHA-256 of the name added to a stem that changed or collides, longer while stems still
#: collide: two names never share the whole hash.
_HASH_DIGITS = (8, 16, 64)


def unit_files(units: Iterable[str]) -> dict[str, str]:
    """A file stem per unit: inside the output folder on Linux and Windows, short enough for every file the
    runner makes of it (:data:`STEM_BYTES`), and never the same for two units, even where a file system
    ignores case or width.

    A name that had to change (characters a file name cannot hold, invisible and direction-changing
    characters, more than :data:`STEM_BYTES` bytes, a name Windows reserves), that collides with another
    after normalisation (``Ａ区``/``A区``), or that ends in ``.failed`` (the runner's suffix for a failed
    notebook) gets a short hash of the original. Stems that still collide (``区_县-5d2e6102`` is also the
    stem of ``区/县``) all get a longer hash, until none do. The stems depend only on the set of names,
    never on the roster's order.

    >>> unit_files(["示例镇01", "../../x", "Ａ区", "A区"])["示例镇01"]
    '示例镇01'
    >>> sorted(unit_files(["Ａ区", "A区"]).values()) != ["A区", "A区"]
    True
    >>> unit_files(["区/县"])
    {'区/县': '区_县-5d2e6102'}
    >>> unit_files(["区/县", "区_县-5d2e6102"])
    {'区/县': '区_县-5d2e610209dcb72f', '区_县-5d2e6102': '区_县-5d2e6102-b8f27710'}
    """
    given = list(dict.fromkeys(units))
    names = sorted(given)  # the same stems whatever the order
    base = {u: _base(u) for u in names}
    # level 0: the name itself; then each length of hash in turn
    level = {u: 0 if base[u] == u and _fits(u) and not _folded(u).endswith(".failed") else 1 for u in names}
    while True:
        stems = {u: _stem(base[u], u, level[u]) for u in names}
        by_key: dict[str, list[str]] = {}
        for u in names:
            by_key.setdefault(_folded(stems[u]), []).append(u)
        clash = [u for group in by_key.values() if len(group) > 1 for u in group]
        if not clash:
            return {u: stems[u] for u in given}
        for u in clash:  # a stem with the whole hash is never shared by two names: this ends
            level[u] = min(level[u] + 1, len(_HASH_DIGITS))


def _base(name: str) -> str:
    """The name with what a file name cannot hold replaced and what cannot be seen dropped."""
    b = _UNSAFE.sub("_", unicodedata.normalize("NFC", visible(name))).strip(" .") or "unit"
    return "_" + b if b.split(".")[0].upper() in _RESERVED else b


def _folded(stem: str) -> str:
    """The stem as a file system that ignores case (Windows, macOS) or width might compare it."""
    return unicodedata.normalize("NFKC", stem).casefold()


def _fits(stem: str) -> bool:
    return len(stem.encode("utf-8", "surrogatepass")) <= STEM_BYTES


def _stem(base: str, name: str, level: int) -> str:
    if level == 0:
        return base  # the name itself, which fits
    digits = _HASH_DIGITS[level - 1]
    mark = "-" + hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:digits]
    return cut_to_bytes(base, STEM_BYTES - len(mark)) + mark
