"""Names across traditional and simplified characters, for matching only."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def _t2s():
    import opencc  # loaded on first use: only names that differ in form need it

    return opencc.OpenCC("t2s")


def simplified(name: str) -> str:
    """The name in simplified characters (衡陽縣 -> 衡阳县); never written back to a ledger.

    >>> simplified("衡陽縣")
    '衡阳县'
    """
    return _t2s().convert(name)
