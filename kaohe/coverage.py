"""``kaohe rubric check``: a rubric against the document it encodes.

Three questions, each answered with places a clerk can look up:

1. Is every text the rubric quotes (a rule's ``text``, a node's, a gate's, the grades'…) a verbatim span of the
   document? Compared after NFKC normalisation (全角/半角) with all whitespace removed, so a line break or a
   space the extraction put into ``扣 2 分`` does not count; nothing else is forgiven.
2. Is every scoring clause of the document a rule? A *scoring phrase* is one of :data:`PHRASES` (扣x分, 加x分,
   视情扣分, 一票否决, 取消…资格, a condition ending …的。 with no amount…); the document's part is covered when
   every scoring phrase in it lies inside some quoted text. A phrase inside quotation marks (演示“单项否决”) names
   a thing rather than stating a clause and is skipped.
3. What :func:`kaohe.lint.lint` says about the rubric itself (points that do not add up).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputError, KaoheError
from .lint import Finding, lint
from .names import simplified
from .rubric import Rubric
from .tables import decode, open_regular, read_limited

#: A source document larger than this is not a 考核细则 (the four real ones are under 100 KB as text).
MAX_SOURCE_BYTES = 20 * 2**20

_NUM = r"\d+(?:\.\d+)?"
_AMOUNT = rf"{_NUM}(?:[-~～—–至到]{_NUM})?分"

#: What states a scoring clause: (how it reads, pattern). Matched on the document normalised as for the verbatim
#: check and in simplified characters (扣/減/計 of a traditional document match too). A bare 扣完为止 or 以零分计
#: is left out: it states how a total is bounded (cap_levels, the clamp at zero), which a rubric encodes without
#: quoting it; 扣完10分为止 bounds one clause and is in.
PHRASES: tuple[tuple[str, str], ...] = (
    ("扣x分、加x分、得x分、计x分（含 1-3 分这样的区间）", rf"[扣减加得计]{_AMOUNT}"),
    ("按x分计", rf"按{_AMOUNT}计"),
    ("扣分x", rf"扣分{_NUM}"),
    ("扣完x分为止", rf"[扣减]完{_NUM}分为止"),
    ("不超过x分、以x分为限", rf"不超过{_AMOUNT}|以{_AMOUNT}为限"),
    ("视情扣分、酌情得分", r"[视酌]情况?[扣加减得]分"),
    ("一票否决、单项否决（“否决指标”“否决情形”是名称，不算）", r"(?:一票|单项)否决(?!指标|情形)"),
    ("取消…资格", r"取消[^,，。；;]{0,16}资格"),
    ("计零分、不得分", r"计零分|不得分(?=[,，。；;]|$)"),
    ("按标准计分、按比例计分", r"(?:按标准|比例)计分"),
    ("按《…》扣分、计分", r"》[^,，。；;]{0,8}(?:计分|扣分)"),
    ("……的。（只写情形、未写分值的条款）", r"的[。；;]"),
)
SCORING = re.compile("|".join(f"(?:{p})" for _, p in PHRASES))

# Punctuation need not be quoted: a rule's text may stop before the 。 that ends its clause.
_PUNCT = frozenset("。；，、,;:：.!！?？()（）[]【】“”‘’\"'《》〈〉")
# A short quoted span names something (“放管服”改革, 演示“单项否决—扣分—加分”); an unmatched quote never runs far.
_QUOTED = re.compile(r"“[^“”]{0,40}”|「[^「」]{0,40}」")
_SENTENCE_END = frozenset("。；;")


def normalise(text: str) -> str:
    """``text`` as compared: NFKC, whitespace removed (the same character by character as :class:`Document` does).

    >>> normalise("系统亮黄灯每次扣1 分，\\n（全角）")
    '系统亮黄灯每次扣1分,(全角)'
    """
    return "".join(_norm_char(c) for c in text)


def _norm_char(c: str) -> str:
    n = unicodedata.normalize("NFKC", c)
    return "".join(x for x in n if not x.isspace())


@dataclass(frozen=True)
class Line:
    """One line of the source: a text line, a paragraph, or a table cell's paragraph of a .docx, an .xlsx cell."""

    number: int  # 1-based, in reading order
    text: str
    where: str  # as a person finds it: 第 12 行, 第 5 段, 表 1 第 3 行第 2 列, 计分表!C5


class Document:
    """A source document's lines, and its text normalised into one string with each character's origin."""

    def __init__(self, name: str, lines: list[Line]):
        self.name, self.lines = name, lines
        chars: list[str] = []
        self.origin: list[tuple[int, int]] = []  # normalised position -> (index into lines, position in its text)
        self.offsets: list[int] = []  # index into lines -> normalised position where the line starts
        for i, line in enumerate(lines):
            self.offsets.append(len(chars))
            for j, c in enumerate(line.text):
                for x in _norm_char(c):
                    chars.append(x)
                    self.origin.append((i, j))
        self.flat = "".join(chars)
        self._simple: str | None = None

    @classmethod
    def from_text(cls, name: str, text: str) -> Document:
        return cls(name, [Line(i, t, f"第 {i} 行") for i, t in enumerate(text.splitlines(), start=1)])

    @property
    def simple(self) -> str:
        """``flat`` in simplified characters, position for position."""
        if self._simple is None:
            s = simplified(self.flat)
            if len(s) != len(self.flat):  # a phrase conversion changed the length: convert one by one
                s = "".join(c if len(t := simplified(c)) != 1 else t for c in self.flat)
            self._simple = s
        return self._simple

    def span(self, start: int, end: int) -> str:
        """The original text (spaces and all) behind normalised positions ``start``..``end``."""
        if start >= end:
            return ""
        (li, lj), (ri, rj) = self.origin[start], self.origin[end - 1]
        if li == ri:
            return self.lines[li].text[lj:rj + 1]
        parts = [self.lines[li].text[lj:], *(self.lines[k].text for k in range(li + 1, ri)), self.lines[ri].text[:rj + 1]]
        return "".join(p.strip() for p in parts)

    def region(self, start: str | None, end: str | None) -> tuple[int, int]:
        """Indices into ``lines`` of the part from the first line containing ``start`` up to (not including) the
        next line containing ``end``; the whole document by default."""
        first, last = 0, len(self.lines)
        if start:
            first = self._line_with(start, 0, "--from")
        if end:
            last = self._line_with(end, first + 1 if start else 0, "--to")
            if last == first:
                raise KaoheError(f"--to {end!r}：原文 {self.name} 的第一行就含这段文字，要检查的部分是空的")
        return first, last

    def position(self, line: int) -> int:
        """The normalised position where ``lines[line]`` starts (the end of the text for ``len(lines)``)."""
        return self.offsets[line] if line < len(self.lines) else len(self.flat)

    def _line_with(self, marker: str, after: int, option: str) -> int:
        want = normalise(marker)
        for i in range(after, len(self.lines)):
            if want and want in normalise(self.lines[i].text):
                return i
        later = "之后" if after else ""
        raise KaoheError(f"{option} {marker!r}：原文 {self.name} 中{later}没有含这段文字的行")


def read_source(path: str | Path) -> Document:
    """A .docx (paragraphs and table cells in reading order), an .xlsx (every cell, sheet by sheet) or a text
    file (UTF-8 or GB18030) as lines."""
    path = Path(path)
    fh, problem = open_regular(path, str(path), "原文")
    if problem is None:
        with fh:
            data, problem = read_limited(fh, str(path), "原文", MAX_SOURCE_BYTES)
    if problem is not None:
        raise InputError([problem])
    suffix = path.suffix.lower()
    try:
        if suffix == ".docx":
            return Document(str(path), list(_docx_lines(data)))
        if suffix in (".xlsx", ".xlsm"):
            return Document(str(path), list(_xlsx_lines(data)))
    except Exception as exc:  # a damaged file: python-docx and openpyxl raise many kinds
        raise KaoheError(f"无法读取原文 {path}（{type(exc).__name__}）：请确认文件能用 Word/WPS 或 Excel 打开") from None
    if suffix == ".doc":
        raise KaoheError(f"原文 {path} 是旧版 Word 格式（.doc）：请在 Word/WPS 中另存为 .docx 或纯文本 .txt")
    text, problem = decode(data, str(path))
    if problem is not None:
        raise InputError([problem])
    return Document.from_text(str(path), text)


def _docx_lines(data: bytes) -> Iterator[Line]:
    from io import BytesIO

    from docx import Document as open_docx
    from docx.table import Table

    n, paragraphs, tables = 0, 0, 0

    def cells(table: Table) -> Iterator[tuple[int, int, object]]:
        # A merged cell is returned once for every grid position it covers. The elements themselves are kept:
        # an id() of an lxml proxy that has been freed can come back for another cell.
        seen = set()
        for r, row in enumerate(table.rows, start=1):
            for c, cell in enumerate(row.cells, start=1):
                if cell._tc not in seen:
                    seen.add(cell._tc)
                    yield r, c, cell

    def walk(container, where_table: str | None) -> Iterator[tuple[str, str]]:
        nonlocal paragraphs, tables
        for block in container.iter_inner_content():
            if isinstance(block, Table):
                tables += 1
                t = tables
                for r, c, cell in cells(block):
                    yield from walk(cell, f"表 {t} 第 {r} 行第 {c} 列")
            elif where_table is not None:
                yield block.text, where_table
            else:
                paragraphs += 1
                yield block.text, f"第 {paragraphs} 段"

    for text, where in walk(open_docx(BytesIO(data)), None):
        for part in text.splitlines() or [""]:
            n += 1
            yield Line(n, part, where)


def _xlsx_lines(data: bytes) -> Iterator[Line]:
    from io import BytesIO

    from openpyxl import load_workbook

    wb = load_workbook(BytesIO(data), read_only=True, data_only=True)
    n = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.value is None or not hasattr(cell, "coordinate"):
                    continue
                for part in str(cell.value).splitlines():
                    n += 1
                    yield Line(n, part, f"{ws.title}!{cell.coordinate}")


@dataclass(frozen=True)
class Quote:
    """A text a rubric quotes from its document: whose (a rule or node id, or the rubric's), which field."""

    rubric: str
    owner: str
    field: str
    text: str


def quotes(rubric: Rubric) -> list[Quote]:
    """Every text of ``rubric`` that must be the document's own words, in document order."""
    out: list[Quote] = []

    def add(owner: str, name: str, text: str | None):
        if text:
            out.append(Quote(rubric.ref, owner, name, text))

    add("细则", "points_text", rubric.points_text)
    add("细则", "grades.text", rubric.grades and rubric.grades.text)
    add("细则", "awards.excellent.text", rubric.awards.excellent and rubric.awards.excellent.text)
    add("细则", "not_applicable.text", rubric.not_applicable and rubric.not_applicable.text)
    for node in rubric.nodes:
        add(node.id, "text", node.text)
        for name in ("gate", "fail", "not_applicable"):
            part = getattr(node, name)
            add(node.id, f"{name}.text", part and part.text)
        for rule in node.rules:
            add(rule.id, "text", rule.text)
    return out


@dataclass(frozen=True)
class Mismatch:
    """A quoted text that is not in the document, and how far it matches."""

    quote: Quote
    hint: str


@dataclass(frozen=True)
class Gap:
    """Scoring phrases of one stretch of the document that no quoted text covers."""

    first: Line
    last: Line
    phrases: tuple[str, ...]
    text: str  # the uncovered words around them, as written: what a missing rule's text would be

    @property
    def where(self) -> str:
        return _where(self.first, self.last)


def _where(first: Line, last: Line) -> str:
    """第 97–98 行 for text lines; the two places otherwise."""
    if first.where == last.where:
        return first.where
    if first.where == f"第 {first.number} 行" and last.where == f"第 {last.number} 行":
        return f"第 {first.number}–{last.number} 行"
    return f"{first.where} 至 {last.where}"


@dataclass
class Report:
    source: str
    rubrics: list[str]
    region: tuple[Line, Line] | None  # None: the whole document
    phrases: int  # scoring phrases found in the part checked
    quoted: int  # texts checked for being verbatim
    mismatches: list[Mismatch] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    findings: dict[str, list[Finding]] = field(default_factory=dict)
    #: Rule texts too short to name their clause (see :func:`bare`).
    bare: list[Quote] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches and not self.gaps and not self.bare

    def text(self) -> str:
        """The report in Chinese, with a table of what does not match and what is not covered."""
        part = _where(*self.region) if self.region else "全文"
        out = [f"细则 {'、'.join(self.rubrics)} 对照原文 {self.source}（{part}）"]
        if self.mismatches:
            out.append(f"一、原文不符：{len(self.mismatches)} 处原文在原文件中找不到（已忽略空白、全角半角之别）")
            out += _table(("编号", "字段", "细则中的原文", "说明"),
                          [(m.quote.owner, m.quote.field, _cut(m.quote.text), m.hint) for m in self.mismatches])
        else:
            out.append(f"一、原文相符：{self.quoted} 处原文均逐字见于原文件。")
        if self.gaps:
            out.append(f"二、未覆盖的计分条款：{len(self.gaps)} 处（共 {self.phrases} 处计分用语），原文有而细则没有规则：")
            out += _table(("位置", "计分用语", "原文（未覆盖部分）"),
                          [(g.where, "、".join(g.phrases), _cut(g.text)) for g in self.gaps])
        else:
            out.append(f"二、计分条款：{self.phrases} 处计分用语（扣x分、加x分、一票否决……）都在规则原文之内。")
        if self.bare:
            out.append(f"原文过短：{len(self.bare)} 条规则的原文只有计分用语，在原文中出现多次，看不出对应哪一条条款；"
                       "请照录足以区分的整句（如「被市级以上通报批评的，一票否决」）：")
            out += _table(("编号", "字段", "细则中的原文"), [(q.owner, q.field, _cut(q.text)) for q in self.bare])
        out.append("三、细则自身的检查（kaohe rubric lint，供参考，不影响结论）：")
        for ref, found in self.findings.items():
            warnings = sum(f.severity == "警告" for f in found)
            out.append(f"  {ref}：{warnings} 个警告，{len(found) - warnings} 个提示" + ("。" if not found else "："))
            out += [f"    {f}" for f in found]
        if self.ok:
            out.append("结论：通过。")
        else:
            hint = ("若细则只编入原文的一部分，请用 --from/--to 指定该部分，或把同一原文的几个细则一起检查。"
                    if self.gaps else "")
            out.append(f"结论：未通过。{hint}")
        return "\n".join(out)


def _cut(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[:n] + "……"


def _table(header: tuple[str, ...], rows: Iterable[tuple[str, ...]]) -> list[str]:
    def row(cells):
        return "| " + " | ".join(str(c).replace("|", "｜").replace("\n", " ") for c in cells) + " |"

    return [row(header), row(["---"] * len(header)), *(row(r) for r in rows)]


def not_verbatim(rubric: Rubric, doc: Document) -> list[Mismatch]:
    """The texts of ``rubric`` that are not spans of ``doc`` (normalised as :func:`normalise` says)."""
    return [Mismatch(q, _hint(q.text, doc)) for q in quotes(rubric) if normalise(q.text) not in doc.flat]


def _hint(text: str, doc: Document) -> str:
    want = normalise(text)
    if simplified(want) in doc.simple:
        return "繁简字不同：原文件用的是另一种字形，请按原文件照录"
    lo, hi = 0, len(want)  # the longest prefix found: a prefix of a found prefix is found
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if want[:mid] in doc.flat:
            lo = mid
        else:
            hi = mid - 1
    if lo == 0:
        return "原文件中找不到其中任何一段开头"
    return f"前 {lo} 个字相符，从「{_cut(want[lo:], 12)}」起与原文件不同"


def scoring_phrases(doc: Document, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Normalised spans of the scoring phrases in ``doc.flat[start:end]``."""
    end = len(doc.flat) if end is None else end
    text = _QUOTED.sub(lambda m: "\0" * len(m[0]), doc.simple[start:end])
    return [(start + m.start(), start + m.end()) for m in SCORING.finditer(text)]


def covered_mask(doc: Document, texts: Iterable[str], start: int = 0, end: int | None = None) -> bytearray:
    """1 at every normalised position of ``doc`` that one of ``texts`` quotes. Each text quotes one occurrence
    (the first not yet covered, inside ``start``–``end`` first), longest texts first: a short text such as
    「一票否决」 must not cover every other clause that holds the same words."""
    mask = bytearray(len(doc.flat))
    end = len(doc.flat) if end is None else end
    for t in sorted((normalise(t) for t in texts), key=len, reverse=True):
        spots, i = [], doc.flat.find(t) if t else -1
        while i >= 0:
            spots.append(i)
            i = doc.flat.find(t, i + 1)
        spots.sort(key=lambda k: not (start <= k and k + len(t) <= end))  # stable: in document order within
        free = next((k for k in spots if not all(mask[k:k + len(t)])), None)
        if free is not None:
            mask[free:free + len(t)] = b"\1" * len(t)
    return mask


def uncovered(doc: Document, texts: Iterable[str], start: int = 0, end: int | None = None) -> list[Gap]:
    """The scoring phrases of ``doc`` (between normalised positions ``start`` and ``end``) not inside any of
    ``texts``, grouped by the stretch of uncovered words they sit in."""
    mask = covered_mask(doc, texts, start, end)
    flat = doc.flat
    end = len(flat) if end is None else end
    gaps: dict[tuple[int, int], list[str]] = {}
    for a, b in scoring_phrases(doc, start, end):
        if all(mask[k] or flat[k] in _PUNCT for k in range(a, b)):
            continue
        # widen to the uncovered words around, within the phrase's lines: what a missing rule would quote
        lo, hi = max(start, doc.position(doc.origin[a][0])), min(end, doc.position(doc.origin[b - 1][0] + 1))
        lo = max([lo, *(k + 1 for k in range(lo, a) if mask[k] or flat[k] in _SENTENCE_END)])
        hi = min([hi, *(k for k in range(b, hi) if mask[k]), *(k + 1 for k in range(b - 1, hi) if flat[k] in _SENTENCE_END)])
        while lo < a and flat[lo] in ",、;:。":  # normalised ，；：
            lo += 1
        gaps.setdefault((lo, hi), []).append(flat[a:b])
    return [Gap(doc.lines[doc.origin[lo][0]], doc.lines[doc.origin[hi - 1][0]], tuple(dict.fromkeys(ps)),
                doc.span(lo, hi)) for (lo, hi), ps in sorted(gaps.items())]


def check(rubrics: list[Rubric], doc: Document, start: str | None = None, end: str | None = None) -> Report:
    """``rubrics`` (one, or several encoding parts of one document) against ``doc``: texts not verbatim, scoring
    phrases of the part between the ``start`` and ``end`` markers that no text covers, and lint findings."""
    first, last = doc.region(start, end)
    lo, hi = doc.position(first), doc.position(last)
    texts = [q.text for r in rubrics for q in quotes(r)]
    region = (doc.lines[first], doc.lines[last - 1]) if (start or end) and last > first else None
    return Report(
        source=doc.name, rubrics=[r.ref for r in rubrics], region=region,
        phrases=len(scoring_phrases(doc, lo, hi)), quoted=len(texts),
        mismatches=[m for r in rubrics for m in not_verbatim(r, doc)],
        gaps=uncovered(doc, texts, lo, hi),
        findings={r.ref: lint(r) for r in rubrics},
        bare=[q for r in rubrics for q in quotes(r) if q.owner in r.rules and bare(q.text, doc, lo, hi)],
    )


def bare(text: str, doc: Document, start: int, end: int) -> bool:
    """A rule text that is hardly more than its scoring phrase (「一票否决」, 「扣0.5分」) and occurs more than once in
    the part checked: it cannot say which clause it stands for, so it cannot show that clause is covered."""
    t = normalise(text)
    if not t or doc.flat.count(t, start, end) < 2:
        return False
    d = Document.from_text("t", text)
    said = sum(b - a for a, b in scoring_phrases(d))
    return len(d.flat) - said <= BARE_WORDS


#: Characters beside its scoring phrase below which a rule text does not name its clause.
BARE_WORDS = 4
