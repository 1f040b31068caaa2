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


def read_bytes(path: str | Path) -> bytes:
    """The file's bytes: the ones held for this recording when it was read before, else read now (and held)."""
    held = _held.get()
    key = os.path.abspath(path)
    if held is not None and key in held:
        return held[key]
    data = Path(path).read_bytes()
    if held is not None:
        held[key] = data
    return data
