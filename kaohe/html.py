"""HTML building blocks for reports: everything is escaped unless it is :class:`Fragment` built here.

nbconvert does not sanitise what a kernel outputs, so a ledger note ``<script>…`` would run in the
auditor's browser. Every text that reaches HTML goes through :func:`markupsafe.escape`; the only
unescaped HTML is what this module and :mod:`kaohe.report` assemble from escaped parts.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from decimal import Decimal
from urllib.parse import quote

from markupsafe import Markup, escape

from .numbers import fmt


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


def table(headers: Sequence[str], rows: Iterable[Sequence], cls: str = "", cols: dict[int, str] | None = None) -> Fragment:
    """A table whose cells are escaped text, or :class:`~markupsafe.Markup` built from escaped parts;
    ``cols`` gives a column (by index) a class such as ``num`` (right-aligned figures).

    >>> str(table(["单位"], [["<b>x</b>"]]))
    '<table class="kaohe"><thead><tr><th>单位</th></tr></thead><tbody><tr><td>&lt;b&gt;x&lt;/b&gt;</td></tr></tbody></table>'
    """
    cols = cols or {}
    classes = " ".join(["kaohe", *cls.split()])
    out = [f'<table class="{escape(classes)}"><thead><tr>']
    out += [f"<th>{escape(h)}</th>" for h in headers]
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

_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


def unit_files(units: Iterable[str]) -> dict[str, str]:
    """A file stem per unit that stays inside the output folder on Linux and Windows.

    A name that had to change, that collides with another after normalisation (``Ａ区``/``A区``), or
    that ends in ``.failed`` (the runner's suffix for a failed notebook) gets a short hash of the
    original, so no two units share a file whatever the roster order.

    >>> unit_files(["示例镇01", "../../x", "Ａ区", "A区"])["示例镇01"]
    '示例镇01'
    >>> sorted(unit_files(["Ａ区", "A区"]).values()) != ["A区", "A区"]
    True
    """
    units = list(units)
    base = {}
    for u in units:
        b = _UNSAFE.sub("_", unicodedata.normalize("NFC", u)).strip(" .")[:80] or "unit"
        if b.split(".")[0].upper() in _RESERVED:
            b = "_" + b
        base[u] = b
    key = {u: unicodedata.normalize("NFKC", b).casefold() for u, b in base.items()}
    shared = Counter(key.values())
    keep = {u for u, b in base.items() if b == u and shared[key[u]] == 1 and not key[u].endswith(".failed")}
    return {u: b if u in keep else f"{b}-{hashlib.sha256(u.encode()).hexdigest()[:8]}" for u, b in base.items()}
