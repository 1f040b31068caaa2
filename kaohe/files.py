"""Writing outputs atomically (never a half-written file); text made safe for Excel where people open it."""

from __future__ import annotations

import csv
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
    if isinstance(value, str) and value.startswith(_FORMULA) and not _NUMBER.match(value):
        return "'" + value
    return value


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary file beside ``path`` and rename it over ``path``."""
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; reports are shared with auditors
        os.replace(tmp, path)
    except OSError as exc:
        if tmp:
            Path(tmp).unlink(missing_ok=True)
        raise KaoheError(f"无法写出 {path}：{exc.strerror or exc}") from exc


def write_text_atomic(path: Path, text: str) -> None:
    write_bytes_atomic(path, text.encode("utf-8"))


def write_csv_atomic(path: Path, frame: pd.DataFrame) -> None:
    """UTF-8 CSV with cells exactly as given: CSV is the machine contract; the XLSX is for people and
    is the file that neutralises formula-like text (:func:`neutralise`)."""
    buf = io.StringIO()
    frame.to_csv(buf, index=False, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    write_text_atomic(path, buf.getvalue())


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
