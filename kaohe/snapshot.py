"""The bytes of each input file as it was read for scoring.

Within :func:`recording`, every reader of an input (:func:`read_bytes`) gets the bytes read the first time the
file was asked for, and they are kept: the hashes in the manifest and the copies in ``inputs/`` are then of the
bytes that were scored, even if someone saves the ledger again while the notebooks run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

_held: ContextVar[dict[str, bytes] | None] = ContextVar("kaohe_snapshot", default=None)


@contextmanager
def recording() -> Iterator[dict[str, bytes]]:
    """Hold the bytes of every file read through :func:`read_bytes` (absolute path -> bytes) until the end."""
    token = _held.set({})
    try:
        yield _held.get()
    finally:
        _held.reset(token)


def held(path: str | Path) -> bytes | None:
    """The bytes held for ``path`` in this recording, if it was read before."""
    found = _held.get()
    return None if found is None else found.get(os.path.abspath(path))


def keep(path: str | Path, data: bytes) -> None:
    """Hold ``data`` as what ``path`` was read as (within a recording; otherwise nothing to do)."""
    found = _held.get()
    if found is not None:
        found.setdefault(os.path.abspath(path), data)


def read_bytes(path: str | Path) -> bytes:
    """The file's bytes: the ones held for this recording when it was read before, else read now (and held).
    The readers of inputs (:mod:`kaohe.tables`, :mod:`kaohe.yamlio`) check the file and hold what they read."""
    data = held(path)
    if data is None:
        data = Path(path).read_bytes()
        keep(path, data)
    return data
