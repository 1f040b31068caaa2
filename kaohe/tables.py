"""Read the tables office staff keep (CSV from Excel or WPS, XLSX) into rows of raw cells.

Nothing is guessed: CSV text is decoded by a fixed ladder (BOM → strict UTF-8 → strict
GB18030 → error), headers are matched through an alias table, and every row keeps the
number Excel shows for it (header = row 1), so problems can name it.
"""

from __future__ import annotations

import csv
import io
import os
import re
import stat
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO
from xml.etree.ElementTree import ParseError
from xml.parsers import expat

from . import snapshot
from .errors import Problem

_SPACE = re.compile(r"[\s\u3000\ufeff]+")

# What one input file may cost (issue 15, item 4). Each limit is far above a real ledger — tens of thousands of
# rows, a few dozen columns, cells of a few thousand characters — and far below what a crafted file of a few
# hundred KB could otherwise make kaohe parse (one row of 3 million cells: 69 s and 2.9 GB). Each is checked
# before the data it guards is parsed; a file past one is a ``too_large`` problem naming the file and the limit.

#: Rows of a sheet or a CSV file (an xlsx cell at XFD1048576 in a 5 KB file otherwise costs hundreds of MiB).
MAX_ROWS = 200_000
#: Columns read from a sheet: a ledger has 12–15 of its own, plus 序号, 备注 and the like.
MAX_COLUMNS = 200
#: Cells of a sheet or a CSV file: MAX_ROWS rows of 20 columns.
MAX_CELLS = 4_000_000
#: Cells of one row: Excel's own column count (A…XFD), so no file Excel or WPS saves has more.
MAX_CELLS_PER_ROW = 16_384
#: Characters of one cell: Excel's own limit. A long 情况说明 is a few thousand.
MAX_CELL_CHARS = 32_767
#: Texts in an xlsx's shared-string table (one per distinct text): MAX_ROWS rows of 5 texts no other row repeats.
#: openpyxl keeps them all: a million cost it 13 s and 180 MB.
MAX_SHARED_STRINGS = 1_000_000
#: Size of a CSV file: MAX_ROWS rows of 300 bytes (a 100-character 情况说明 is 300 bytes of UTF-8).
MAX_CSV_BYTES = 64 * 2**20
#: Size of an xlsx file, held in memory for the run (kaohe.snapshot): a 200,000-row ledger from Excel is about 20 MB.
MAX_XLSX_BYTES = 128 * 2**20
#: Uncompressed size of one part of an xlsx (a zip of XML parts): a sheet of MAX_CELLS cells is about 180 MB.
MAX_PART_BYTES = 256 * 2**20
#: How many times a part over 1 MiB may shrink in the zip: sheets saved by Excel, WPS or openpyxl shrink 5–20
#: times, even when every row is the same; the crafted files of issue 15 shrink 200–1000 times.
MAX_RATIO = 100
#: XML that openpyxl builds in memory at once: one row, one shared string, or the rest of a part, which it keeps
#: whole (styles, workbook, the sheet outside its rows). Excel's own limit of 64,000 cell formats makes a
#: styles.xml of about 130,000 elements and 8 MB (openpyxl: 5 s, 170 MB); 200,000 elements cost it about 300 MB.
MAX_BUILT_ELEMENTS = 200_000
MAX_BUILT_BYTES = 16 * 2**20


@dataclass
class Table:
    """Rows of one file: ``rows`` holds ``(excel_row, {canonical: cell})``."""

    file: str
    headers: dict[str, str] = field(default_factory=dict)  # canonical -> header as written
    rows: list[tuple[int, dict[str, object]]] = field(default_factory=list)


def normalise_header(text: object) -> str:
    return _SPACE.sub("", str(text or "")).lower()


def read_table(path: str | Path, aliases: dict[str, tuple[str, ...]], required: tuple[str, ...],
               label: str = "表") -> tuple[Table, list[Problem]]:
    """Read a CSV or XLSX file; return the table and every problem found.

    Args:
        aliases: canonical column -> accepted headers (canonical name included).
        required: canonical columns that must be present.
        label: what the file is, for messages (台账, 单位名单).
    """
    name = str(path)
    p = Path(path)
    if not p.exists():
        return Table(name), [Problem(name, None, None, None, "file_not_found", f"找不到{label}文件")]
    suffix = p.suffix.lower()
    if suffix not in (".xlsx", ".xlsm", ".csv", ".txt"):
        return Table(name), [Problem(name, None, None, suffix, "unsupported_format",
                                     f"{label}只支持 .csv 和 .xlsx 文件（.xls 请在 Excel 中另存为 .xlsx）")]
    data, problem = read_input(p, name, label, MAX_CSV_BYTES if suffix in (".csv", ".txt") else MAX_XLSX_BYTES)
    if problem:
        return Table(name), [problem]
    with io.BytesIO(data) as fh:
        grid, problems = _xlsx_grid(fh, name) if suffix in (".xlsx", ".xlsm") else _csv_grid(fh, name)
    if problems and not grid:  # the file cannot be read at all
        return Table(name), problems
    table, more = _to_table(grid, name, aliases, required, label)
    return table, problems + more


def open_regular(path: str | Path, name: str, label: str = "", limit: int | None = None
                 ) -> tuple[BinaryIO | None, Problem | None]:
    """Open ``path`` for reading in binary if it is a regular file (or a link to one) of at most ``limit`` bytes.

    A folder would fail with a traceback, a named pipe (FIFO) would wait for a writer for ever and a link to
    /dev/zero would be read until memory runs out: each is a ``not_a_file`` problem instead, found by ``os.stat``
    before anything is opened. The file is opened without blocking and checked again, so a pipe put in its
    place in between cannot hang the read either.

    Returns:
        The open file, or None and the problem (``file_not_found``, ``unreadable``, ``not_a_file``, ``too_large``).
    """
    def not_a_file(mode: int) -> tuple[None, Problem]:
        kind = ("目录" if stat.S_ISDIR(mode) else "命名管道（FIFO）" if stat.S_ISFIFO(mode)
                else "设备" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "特殊文件")
        return None, Problem(name, None, None, None, "not_a_file", f"{label}不是普通文件，而是{kind}：请指向文件本身")

    try:
        st = os.stat(path)  # follows links: a link to a regular file is fine, one to /dev/zero is a device
        if not stat.S_ISREG(st.st_mode):
            return not_a_file(st.st_mode)
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
                     | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        return None, Problem(name, None, None, None, "file_not_found", f"找不到{label}文件")
    except OSError as exc:
        return None, Problem(name, None, None, None, "unreadable", f"无法读取{label}文件：{exc.strerror or exc}")
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode) or (limit is not None and st.st_size > limit):
        os.close(fd)
        if not stat.S_ISREG(st.st_mode):  # replaced by something else since the stat
            return not_a_file(st.st_mode)
        return None, Problem(name, None, None, None, "too_large", f"{label}文件有 {st.st_size:,} 字节，超过上限 {_size(limit)}")
    return os.fdopen(fd, "rb"), None


def read_input(path: str | Path, name: str, label: str, limit: int) -> tuple[bytes, Problem | None]:
    """The bytes of an input file: a regular file of at most ``limit`` bytes (:func:`open_regular`), read once
    per run and held (:mod:`kaohe.snapshot`), so what is hashed and copied into inputs/ is what was parsed."""
    data = snapshot.held(path)
    if data is not None:
        return data, None
    fh, problem = open_regular(path, name, label, limit)
    if problem:
        return b"", problem
    with fh:
        data, problem = read_limited(fh, name, label, limit)
    if problem is None:
        snapshot.keep(path, data)
    return data, problem


def read_limited(fh: BinaryIO, name: str, label: str, limit: int) -> tuple[bytes, Problem | None]:
    """At most ``limit`` bytes of an open file: a file that grew past it since it was opened is refused too."""
    data = fh.read(limit + 1)
    if len(data) > limit:
        return b"", Problem(name, None, None, None, "too_large", f"{label}文件超过上限 {_size(limit)}")
    return data, None


def _size(n: int) -> str:
    return f"{n / 2**20:.0f} MB" if n >= 2**20 else f"{n / 1024:.0f} KB" if n >= 1024 else f"{n} 字节"


def table_from_frame(frame, aliases: dict[str, tuple[str, ...]], required: tuple[str, ...],
                     name: str = "<DataFrame>", label: str = "表") -> tuple[Table, list[Problem]]:
    """A pandas DataFrame read like a file: same aliases, same checks, rows numbered from 2."""
    import pandas as pd

    def cell(v):
        try:
            return None if pd.isna(v) else v
        except (TypeError, ValueError):  # list-like cells are left for the parser to refuse
            return v

    grid = [(1, [str(c) for c in frame.columns])]
    grid += [(i + 2, [cell(v) for v in row]) for i, row in enumerate(frame.itertuples(index=False, name=None))]
    return _to_table(grid, name, aliases, required, label)


def _lookup(aliases: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {normalise_header(a): canon for canon, names in aliases.items() for a in (canon, *names)}


def _to_table(grid, name, aliases, required, label):
    problems: list[Problem] = []
    table = Table(name)
    header_row = None
    for excel_row, cells in grid:
        if any(cell_text(c) for c in cells):
            header_row = (excel_row, cells)
            break
    if header_row is None:
        return table, [Problem(name, None, None, None, "empty_file", f"{label}为空：没有表头")]
    hrow, header = header_row
    long = _too_long(name, hrow, header, [])
    if long:
        return table, [long]
    lookup = _lookup(aliases)
    columns: dict[int, str] = {}
    for i, h in enumerate(header):
        written = cell_text(h)
        if not written:
            continue
        canon = lookup.get(normalise_header(written))
        if canon is None:
            continue  # a column kaohe does not use (备注, 序号…) is left alone
        if canon in table.headers:
            problems.append(Problem(name, hrow, written, written, "duplicate_column",
                                    f"与「{table.headers[canon]}」是同一列（{canon}），表头重复"))
            continue
        table.headers[canon] = written
        columns[i] = canon
    for canon in required:
        if canon not in table.headers:
            accepted = "、".join(a for a in aliases[canon] if not a.isascii()) or canon
            problems.append(Problem(name, hrow, aliases[canon][0] if aliases[canon] else canon, None, "missing_column",
                                    f"缺少必需的列「{accepted}」（或 {canon}）；表中的列：{'、'.join(cell_text(h) for h in header if cell_text(h))}"))
    for excel_row, cells in grid:
        if excel_row <= hrow or not any(cell_text(c) for c in cells):
            continue  # blank rows are skipped, their numbers kept
        long = _too_long(name, excel_row, cells, header)
        if long:
            problems.append(long)
            continue
        extra = [c for i, c in enumerate(cells) if i >= len(header) and cell_text(c)]
        if extra:
            problems.append(Problem(name, excel_row, None, cell_text(extra[0]), "ragged_row",
                                    f"本行有 {len(header) + len(extra)} 个以上单元格，多于表头的 {len(header)} 列（是否多了逗号？）"))
            continue
        unnamed = [c for i, c in enumerate(cells) if i < len(header) and not cell_text(header[i]) and cell_text(c)]
        if unnamed:
            problems.append(Problem(name, excel_row, None, cell_text(unnamed[0]), "unnamed_column",
                                    "没有表头的列中有数据"))
            continue
        table.rows.append((excel_row, {canon: (cells[i] if i < len(cells) else None)
                                       for i, canon in columns.items()}))
    return table, problems


def _too_long(name: str, excel_row: int, cells: list, header: list) -> Problem | None:
    """The first cell of a row longer than Excel allows (a CSV has no such limit of its own)."""
    for i, c in enumerate(cells):
        if isinstance(c, str) and len(c) > MAX_CELL_CHARS:
            column = cell_text(header[i]) if i < len(header) else ""
            return Problem(name, excel_row, column or None, c[:20] + "…", "too_large",
                           f"单元格有 {len(c)} 个字符，超过上限 {MAX_CELL_CHARS}（Excel 单元格最多 {MAX_CELL_CHARS} 个字符）")
    return None


def cell_text(cell) -> str:
    """A cell as text: codes stay strings (an xlsx 1.0 id becomes '1'); NA, 无, - stay text."""
    if cell is None or (isinstance(cell, float) and cell != cell):
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, (datetime, date)):
        return cell.isoformat()
    return str(cell).strip().strip("\u3000").strip()



def _csv_grid(fh: BinaryIO, name: str):
    data, problem = read_limited(fh, name, "", MAX_CSV_BYTES)
    if problem:
        return [], [problem]
    text, problem = decode(data, name)
    if problem:
        return [], [problem]
    del data
    if text.count(",") >= MAX_CELLS:  # every cell but a row's first follows a comma: refused before any is built
        return [], [Problem(name, None, None, None, "too_large", f"文件超过 {MAX_CELLS} 个单元格")]
    reader = csv.reader(io.StringIO(text, newline=""))
    grid = []
    try:
        for cells in reader:
            # csv's line_num counts physical lines at the END of a record; Excel counts records.
            row = len(grid) + 1
            if row > MAX_ROWS:
                return [], [Problem(name, row, None, None, "too_large", f"文件超过 {MAX_ROWS} 行")]
            if len(cells) > MAX_CELLS_PER_ROW:
                return [], [Problem(name, row, None, None, "too_large", f"一行超过 {MAX_CELLS_PER_ROW} 个单元格")]
            grid.append((row, cells))
    except csv.Error as exc:
        if str(exc).startswith("field larger than field limit"):  # csv's own limit, 131,072 characters
            return [], [Problem(name, len(grid) + 1, None, None, "too_large",
                                f"单元格超过 {MAX_CELL_CHARS} 个字符的上限（Excel 单元格最多 {MAX_CELL_CHARS} 个字符）")]
        return [], [Problem(name, reader.line_num, None, None, "csv_syntax", f"CSV 格式错误：{exc}")]
    return grid, []


def decode(data: bytes, name: str) -> tuple[str, Problem | None]:
    """BOM → strict UTF-8 → strict GB18030; a file mixing encodings is refused by line."""
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), None
        except UnicodeDecodeError as exc:
            return "", _decode_problem(data, exc.start + 3, name, "UTF-8（带 BOM）")
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError as exc:
        return "", _decode_problem(data, exc.start, name, "UTF-8 或 GB18030/GBK")
    # A GBK file with UTF-8 lines appended decodes as GB18030 into mojibake: refuse it.
    for i, line in enumerate(data.split(b"\n"), start=1):
        if not line.isascii():
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                continue
            return "", Problem(name, i, None, None, "mixed_encoding",
                               "文件混用了两种编码：此行是 UTF-8，其他行是 GBK/GB18030。请在 Excel 中整体另存为“CSV UTF-8”")
    return text, None


def _decode_problem(data: bytes, offset: int, name: str, tried: str) -> Problem:
    line = data.count(b"\n", 0, offset) + 1
    return Problem(name, line, None, data[offset:offset + 4].hex(" "), "encoding",
                   f"无法识别的文字编码（已尝试 {tried}）。请在 Excel 中另存为“CSV UTF-8（逗号分隔）”或 .xlsx")


def _xlsx_grid(fh: BinaryIO, name: str):
    """The first visible sheet's cells. A formula counts by the value Excel or WPS saved with it (its cached
    value); a formula saved without one (written by a script, or never recalculated) cannot be read and is
    a problem naming its cell, never an empty cell read in silence."""
    parts, problem = _inspect_xlsx(fh, name)
    if problem:
        return [], [problem]
    grid, formulas, problems = _xlsx_cells(fh, name, parts, data_only=False)
    if problems or not formulas:
        return grid, problems
    cached, _, problems = _xlsx_cells(fh, name, parts, data_only=True)
    if problems:
        return [], problems
    header = next((cells for _, cells in cached if any(cell_text(c) for c in cells)), [])
    for i, j, formula in formulas:
        cells = cached[i - 1][1]
        if (cells[j] if j < len(cells) else None) is None:
            column = cell_text(header[j]) if j < len(header) else None
            problems.append(Problem(name, i, column or None, formula, "formula_without_value",
                                    "公式没有保存计算结果（由程序生成或未重新计算），无法读取：请在 Excel 或 WPS 中打开此文件、"
                                    "确认结果后保存，或把公式改为数值"))
    return cached, problems


def _xlsx_cells(fh: BinaryIO, name: str, parts: dict[str, _Part], data_only: bool):
    """(grid, formula cells as (excel row, column index, formula), problems) of the first visible sheet."""
    from openpyxl import load_workbook

    try:
        # keep_links=False: links to other workbooks are not read (their values are cached in the sheet)
        wb = load_workbook(fh, read_only=True, data_only=data_only, keep_links=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, ParseError) as exc:
        return [], [], [Problem(name, None, None, None, "bad_xlsx", f"无法打开 Excel 文件：{exc}")]
    try:
        sheets = [ws for ws in wb.worksheets if getattr(ws, "sheet_state", "visible") == "visible"]
        if not sheets:
            return [], [], [Problem(name, None, None, None, "bad_xlsx", "工作簿中没有可见的工作表")]
        ws = sheets[0]  # the first visible sheet is the ledger: a stated policy, see README
        # The sheet's own part (openpyxl keeps its name privately; without it, the largest sheet in the file).
        part = parts.get(getattr(ws, "_worksheet_path", None)) or max(parts.values(), key=lambda p: p.cells)
        if part.rows > MAX_ROWS:  # rows openpyxl would parse all of, even with the same number (<row r="1"/>…)
            return [], [], [Problem(name, None, None, None, "too_large", f"工作表超过 {MAX_ROWS} 行")]
        if part.cells > MAX_CELLS:
            return [], [], [Problem(name, None, None, None, "too_large",
                                    f"工作表超过 {MAX_CELLS} 个单元格（{MAX_ROWS} 行 × 20 列）")]
        grid, formulas = [], []
        try:
            for i, row in enumerate(ws.iter_rows(max_col=MAX_COLUMNS), start=1):
                if i > MAX_ROWS:
                    return [], [], [Problem(name, i, None, None, "too_large", f"工作表超过 {MAX_ROWS} 行")]
                cells = [_xlsx_cell(c) for c in row]
                formulas += [(i, j, c.value) for j, c in enumerate(row) if getattr(c, "data_type", None) == "f"]
                while cells and cells[-1] is None:
                    cells.pop()
                grid.append((i, cells))
        except (ParseError, ValueError) as exc:  # a sheet cut short or otherwise broken, met while reading it
            return [], [], [Problem(name, len(grid) + 1, None, None, "bad_xlsx",
                                    f"Excel 文件已损坏，无法读取（{exc}）。请在 Excel 或 WPS 中打开后另存")]
        return grid, formulas, []
    finally:
        wb.close()


# Before openpyxl reads an xlsx, every part of the zip is checked: its size and how much it shrank (from the zip's
# directory), then its XML streamed through expat, counting what openpyxl would build. openpyxl's read-only mode
# builds and drops a sheet's rows one at a time, and the shared strings one at a time (keeping every text), but
# builds everything else whole: each row, each string and the rest of each part must fit MAX_BUILT_*.

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
#: The root of the parts openpyxl streams, and the element it builds and drops one at a time in each — a sheet's
#: rows, the shared strings —, and of parts it does not read in read-only mode, whose records are counted the same
#: way so that a ledger with a pivot table or comments on many rows is not refused for them.
_ITEMS = {f"{_MAIN}}}worksheet": f"{_MAIN}}}row", f"{_MAIN}}}sst": f"{_MAIN}}}si",
          f"{_MAIN}}}pivotCacheRecords": f"{_MAIN}}}r", f"{_MAIN}}}comments": f"{_MAIN}}}comment",
          "xml": "urn:schemas-microsoft-com:vml}shape"}  # the drawing of legacy comments
_ROW, _CELL, _TEXT = f"{_MAIN}}}row", f"{_MAIN}}}c", f"{_MAIN}}}si"
#: Parts openpyxl reads whole (with lxml, which may read past where expat stops), whatever their root; relationship
#: parts, ``*.rels``, too.
_READ_WHOLE = {"[content_types].xml", "xl/workbook.xml", "xl/styles.xml", "docprops/core.xml", "docprops/custom.xml"}
#: Bytes read at a time. A block with no "<" in it is text (or a tag) longer than any cell Excel can write —
#: 32,767 characters, at most 8 bytes each even as ``&amp;`` or ``_x000D_`` — so it is refused before the next
#: block is read: no run of text longer than two blocks reaches expat or openpyxl.
_BLOCK = 256 * 1024


@dataclass
class _Part:
    """What one part holds: a sheet's rows and cells (limited for the sheet that is read), or shared texts."""

    rows: int = 0
    cells: int = 0
    texts: int = 0


class _Refused(Exception):
    def __init__(self, problem: Problem):
        self.problem = problem


def _inspect_xlsx(fh: BinaryIO, name: str) -> tuple[dict[str, _Part], Problem | None]:
    """Every part of the zip checked against the limits, before openpyxl parses any of it."""
    try:
        with zipfile.ZipFile(fh) as zf:
            infos = zf.infolist()
            for info in infos:  # the zip's own directory first: nothing is decompressed yet
                if info.file_size > MAX_PART_BYTES:
                    return {}, _too_large(name, info.filename, None, f"解压后有 {info.file_size:,} 字节，超过上限 {_size(MAX_PART_BYTES)}", odd=False)
                if info.file_size > 2**20 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                    return {}, _too_large(name, info.filename, None,
                                          f"解压后是压缩时的 {info.file_size // max(info.compress_size, 1)} 倍，超过上限 {MAX_RATIO} 倍（疑似“压缩炸弹”）")
            return {info.filename: _scan(zf, info, name) for info in infos}, None
    except _Refused as exc:
        return {}, exc.problem
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, NotImplementedError, ValueError) as exc:
        return {}, Problem(name, None, None, None, "bad_xlsx", f"无法打开 Excel 文件：{exc}")


def _too_large(name: str, part: str, row: int | None, what: str, odd: bool = True) -> Problem:
    """``odd``: past a limit no file Excel or WPS saves comes near, rather than just very large."""
    return Problem(name, row, None, None, "too_large", f"其中的 {part} {what}" + ("；Excel 或 WPS 保存的表格不会这样，请检查此文件" if odd else ""))


def _scan(zf: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> _Part:
    """Stream one part through expat; raise _Refused at the first limit it passes."""
    part, counts = info.filename, _Part()
    lower = part.lower()
    with zf.open(info) as stream:
        block = stream.read(_BLOCK)
        start = block[3:] if block.startswith(b"\xef\xbb\xbf") else block
        if not (start.lstrip()[:1] == b"<" or start[:2] in (b"\xff\xfe", b"\xfe\xff")):
            # Not XML (a picture, an embedded file): openpyxl does not parse it. The theme it keeps as bytes.
            if lower.endswith((".xml", ".rels")) and info.file_size > MAX_BUILT_BYTES:
                raise _Refused(_too_large(name, part, None, f"超过上限 {_size(MAX_BUILT_BYTES)}"))
            return counts
        parser = expat.ParserCreate(namespace_separator="}")
        parser.ordered_attributes = True
        whole = lower in _READ_WHOLE or lower.endswith(".rels")
        item_tag: str | None = None  # set at the root: the element built and dropped one at a time, if any
        item: list[int] | None = None  # the open one: [first byte, elements, cells, depth inside it, row]
        kept = in_items = row = 0  # elements kept; bytes in closed items; the last row number

        def past(elements: int, size: int, at: int | None) -> None:
            if elements > MAX_BUILT_ELEMENTS:
                raise _Refused(_too_large(name, part, at, f"XML 元素超过上限 {MAX_BUILT_ELEMENTS} 个"))
            if size > MAX_BUILT_BYTES:
                raise _Refused(_too_large(name, part, at, f"超过上限 {_size(MAX_BUILT_BYTES)}"))

        def begin(tag: str, attrs: list[str]) -> None:
            nonlocal item_tag, item, kept, row
            if item is not None:
                item[1] += 1
                item[3] += 1
                if tag == _CELL:
                    item[2] += 1
                    counts.cells += 1
                    if item[2] > MAX_CELLS_PER_ROW:
                        raise _Refused(_too_large(name, part, item[4], f"单元格超过上限 {MAX_CELLS_PER_ROW} 个（Excel 一行最多 {MAX_CELLS_PER_ROW} 列）"))
                if item[1] > MAX_BUILT_ELEMENTS or parser.CurrentByteIndex - item[0] > MAX_BUILT_BYTES:
                    past(item[1], parser.CurrentByteIndex - item[0], item[4])
                return
            if item_tag is None:
                item_tag = "" if whole else _ITEMS.get(tag, "")
            if tag == item_tag:
                if tag == _ROW:
                    r = next((attrs[i + 1] for i in range(0, len(attrs), 2) if attrs[i] == "r"), "")
                    row = int(r) if r.isdigit() else row + 1
                    counts.rows += 1
                elif tag == _TEXT:
                    counts.texts += 1
                    if counts.texts > MAX_SHARED_STRINGS:
                        raise _Refused(_too_large(name, part, None, f"共享文字超过上限 {MAX_SHARED_STRINGS} 条", odd=False))
                item = [parser.CurrentByteIndex, 1, 0, 0, row if tag == _ROW else None]
                return
            kept += 1
            past(kept, parser.CurrentByteIndex - in_items, None)

        def end(tag: str) -> None:
            nonlocal item, in_items
            if item is None:
                past(kept, parser.CurrentByteIndex - in_items, None)
            elif item[3]:
                item[3] -= 1
                if parser.CurrentByteIndex - item[0] > MAX_BUILT_BYTES:
                    past(item[1], parser.CurrentByteIndex - item[0], item[4])
            else:
                past(item[1], parser.CurrentByteIndex - item[0], item[4])
                in_items += parser.CurrentByteIndex - item[0]
                item = None

        parser.StartElementHandler, parser.EndElementHandler = begin, end
        try:
            while block:
                parser.Parse(block, False)
                if len(block) == _BLOCK and b"<" not in block:
                    raise _Refused(_too_large(name, part, item[4] if item else None,
                                              f"有一段文字超过上限 {MAX_CELL_CHARS} 个字符（Excel 单元格最多 {MAX_CELL_CHARS} 个字符）"))
                block = stream.read(_BLOCK)
            parser.Parse(b"", True)
        except expat.ExpatError as exc:
            # openpyxl streams with expat too, and stops where this did; a part it never reads (the drawing of
            # legacy comments is often not XML) is no concern. lxml, which reads the other parts, may go further.
            if whole:
                raise _Refused(Problem(name, None, None, None, "bad_xlsx",
                                       f"Excel 文件已损坏：其中的 {part} 不是有效的 XML（{exc}）。请在 Excel 或 WPS 中打开后另存")) from None
    return counts


def _xlsx_cell(cell):
    value = getattr(cell, "value", None)
    if isinstance(value, datetime) and value.time() == datetime.min.time():
        return value.date()  # a date cell; openpyxl gives midnight datetimes
    if isinstance(value, (int, float)) and not isinstance(value, bool) \
            and "%" in (getattr(cell, "number_format", "") or ""):
        # Typed as 96.5% in Excel, stored as 0.965: kaohe rates are in percent.
        return Decimal(repr(value)) * 100
    return value
