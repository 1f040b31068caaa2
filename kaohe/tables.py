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
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO

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
#: Cells of a CSV file: MAX_ROWS rows of 20 columns.
MAX_CELLS = 4_000_000
#: Cells of one row: Excel's own column count (A…XFD), so no file Excel or WPS saves has more.
MAX_CELLS_PER_ROW = 16_384
#: Characters of one cell: Excel's own limit. A long 情况说明 is a few thousand.
MAX_CELL_CHARS = 32_767
#: Size of a CSV file: MAX_ROWS rows of 300 bytes (a 100-character 情况说明 is 300 bytes of UTF-8).
MAX_CSV_BYTES = 64 * 2**20


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
    fh, problem = open_regular(p, name, label, MAX_CSV_BYTES if suffix in (".csv", ".txt") else None)
    if problem:
        return Table(name), [problem]
    with fh:
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
    grid, formulas, problems = _xlsx_cells(fh, name, data_only=False)
    if problems or not formulas:
        return grid, problems
    cached, _, problems = _xlsx_cells(fh, name, data_only=True)
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


def _xlsx_cells(fh: BinaryIO, name: str, data_only: bool):
    """(grid, formula cells as (excel row, column index, formula), problems) of the first visible sheet."""
    import zipfile

    from openpyxl import load_workbook

    try:
        wb = load_workbook(fh, read_only=True, data_only=data_only)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        return [], [], [Problem(name, None, None, None, "bad_xlsx", f"无法打开 Excel 文件：{exc}")]
    try:
        sheets = [ws for ws in wb.worksheets if getattr(ws, "sheet_state", "visible") == "visible"]
        if not sheets:
            return [], [], [Problem(name, None, None, None, "bad_xlsx", "工作簿中没有可见的工作表")]
        ws = sheets[0]  # the first visible sheet is the ledger: a stated policy, see README
        grid, formulas = [], []
        for i, row in enumerate(ws.iter_rows(max_col=MAX_COLUMNS), start=1):
            if i > MAX_ROWS:
                return [], [], [Problem(name, i, None, None, "too_large", f"工作表超过 {MAX_ROWS} 行")]
            cells = [_xlsx_cell(c) for c in row]
            formulas += [(i, j, c.value) for j, c in enumerate(row) if getattr(c, "data_type", None) == "f"]
            while cells and cells[-1] is None:
                cells.pop()
            grid.append((i, cells))
        return grid, formulas, []
    finally:
        wb.close()


def _xlsx_cell(cell):
    value = getattr(cell, "value", None)
    if isinstance(value, datetime) and value.time() == datetime.min.time():
        return value.date()  # a date cell; openpyxl gives midnight datetimes
    if isinstance(value, (int, float)) and not isinstance(value, bool) \
            and "%" in (getattr(cell, "number_format", "") or ""):
        # Typed as 96.5% in Excel, stored as 0.965: kaohe rates are in percent.
        return Decimal(repr(value)) * 100
    return value
