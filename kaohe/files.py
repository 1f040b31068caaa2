"""Writing outputs atomically (never a half-written file); text made safe for Excel where people open it."""

from __future__ import annotations

import csv
import errno
import io
import os
import pickle
import re
import tempfile
from pathlib import Path

import pandas as pd

from .errors import KaoheError

# Excel and WPS run text starting with these as a formula (CSV injection); a number stays a number.
_FORMULA = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")


def neutralise(value):
    """Text that a spreadsheet would run as a formula gets a leading apostrophe.

    >>> neutralise("=HYPERLINK(1)"), neutralise("-3"), neutralise("示例镇01")
    ("'=HYPERLINK(1)", '-3', '示例镇01')
    """
    # a lone sign (a "-" for 无) is shown as text by every spreadsheet
    if isinstance(value, str) and len(value) > 1 and value.startswith(_FORMULA) and not _NUMBER.match(value):
        return "'" + value
    return value


_ERRNO_TEXT = {errno.ENOSPC: "磁盘空间已满", errno.EDQUOT: "超出磁盘配额", errno.EROFS: "只读文件系统",
               errno.EACCES: "没有写入权限", errno.EPERM: "没有写入权限", errno.ENOENT: "路径不存在"}


def os_error_text(exc: OSError) -> str:
    """An OS error as a user reads it: 磁盘空间已满, 没有写入权限… with the system's own words after it."""
    said = exc.strerror or str(exc)
    return f"{_ERRNO_TEXT[exc.errno]}（{said}）" if exc.errno in _ERRNO_TEXT else said


#: The longest file name: 255 bytes of UTF-8 on Linux (ext4, XFS, btrfs) and macOS (APFS); NTFS allows 255
#: UTF-16 units, never fewer than the UTF-8 bytes of the same name. A CJK character is 3 bytes of UTF-8.
NAME_BYTES = 255
#: What ``tempfile.mkstemp`` adds around the name of a temporary file: ``.`` + name + ``.`` + 8 random
#: characters + ``.tmp``; 32 leaves room should Python make the random part longer.
_TEMP_BYTES = 32


def cut_to_bytes(text: str, limit: int) -> str:
    """The longest start of ``text`` whose UTF-8 takes at most ``limit`` bytes: cut between characters.

    >>> cut_to_bytes("示例镇01", 7), cut_to_bytes("示例镇01", 8), cut_to_bytes("ab", 5)
    ('示例', '示例', 'ab')
    """
    data = text.encode("utf-8", "surrogatepass")
    return text if len(data) <= limit else data[:limit].decode("utf-8", "ignore")


def temporary_prefix(path: Path) -> str:
    """The start of the name of a temporary file beside ``path``: hidden, naming ``path`` (cut so that the whole
    name fits in :data:`NAME_BYTES` whatever the length of ``path``'s name)."""
    return f".{cut_to_bytes(path.name, NAME_BYTES - _TEMP_BYTES)}."


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary file beside ``path`` and rename it over ``path``."""
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=temporary_prefix(path), suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; reports are shared with auditors
        os.replace(tmp, path)
    except OSError as exc:
        if tmp:
            Path(tmp).unlink(missing_ok=True)
        raise KaoheError(f"无法写出 {path}：{os_error_text(exc)}") from exc


def write_text_atomic(path: Path, text: str) -> None:
    write_bytes_atomic(path, text.encode("utf-8"))


def csv_text(frame: pd.DataFrame) -> str:
    """The CSV kaohe writes: UTF-8 text, ``\\n`` line ends, minimal quoting, no index. Text a spreadsheet
    would run as a formula gets a leading apostrophe (:func:`neutralise`): a CSV is opened in Excel or WPS
    as often as it is read by a program. Numbers, negative ones included, are written as they are."""
    text = frame.apply(lambda col: col.map(neutralise) if (pd.api.types.is_object_dtype(col)
                                                            or pd.api.types.is_string_dtype(col)) else col)
    buf = io.StringIO()
    text.to_csv(buf, index=False, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    return buf.getvalue()


def headed(frame: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """The columns of ``frame`` named in ``columns`` (canonical name -> the header a user reads), in its
    order, under the new headers: a CSV a clerk opens (ledger.csv, compare.csv …) is in Chinese while the
    frames the notebooks and the report read keep their canonical names."""
    return frame[list(columns)].rename(columns=columns)


def write_csv_atomic(path: Path, frame: pd.DataFrame) -> None:
    write_text_atomic(path, csv_text(frame))


#: The time stamped into files whose format wants one (zip entries, XLSX properties): a constant, so the
#: same inputs give the same bytes. The run's own times go to its log (outputs/<run>/logs/).
FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can carry


def fixed_zip(data: bytes) -> bytes:
    """The zip archive ``data`` with every entry stamped :data:`FIXED_TIME` (zipfile stamps the time of
    writing), entries, their order and compression unchanged."""
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME)
            entry.compress_type, entry.external_attr = info.compress_type, info.external_attr
            dst.writestr(entry, src.read(info))
    return out.getvalue()


def xlsx_bytes(workbook) -> bytes:
    """An openpyxl workbook saved with :data:`FIXED_TIME` as its created and modified times and on every zip
    entry (``Workbook.save`` stamps "now" on both)."""
    import zipfile
    from datetime import datetime

    from openpyxl.writer.excel import ExcelWriter

    workbook.properties.created = workbook.properties.modified = datetime(*FIXED_TIME)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(workbook, archive).save()
    return fixed_zip(buf.getvalue())


def save_cache(path: Path, obj, version: int) -> None:
    """Pickle what ``kaohe run`` or ``kaohe compare`` computed once, for its notebooks to load."""
    with open(path, "wb") as fh:
        pickle.dump((version, obj), fh, protocol=pickle.HIGHEST_PROTOCOL)


def load_cache(path: str | Path, version: int, command: str):
    """What :func:`save_cache` wrote; a cache from another kaohe layout is refused, never half-read."""
    with open(path, "rb") as fh:
        written, obj = pickle.load(fh)  # written by this kaohe for this run only, in a private staging folder
    if written != version:
        raise KaoheError(f"缓存 {path} 来自另一版本的 kaohe，请重新运行 {command}")
    return obj
