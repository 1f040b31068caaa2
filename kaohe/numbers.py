"""Exact decimal numbers from the text office staff type, and their display.

Amounts are ``decimal.Decimal`` built from text, so 15 - 5.7 is 9.3; rounding is
四舍五入 (ROUND_HALF_UP), never banker's rounding or binary floats.
"""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

# Only the characters that mean digits or number punctuation; NFKC would also turn
# ① into 1 and ㎡ into m2, which must stay errors.
_FULLWIDTH = str.maketrans("０１２３４５６７８９．％，－＋", "0123456789.%,-+")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_GROUPED = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?")


def to_decimal(value) -> Decimal:
    """Parse a number from a cell or a YAML scalar.

    Accepts ints, floats (via their shortest repr), Decimals and text such as
    ``12.5``, ``１２．５``, ``96.5%``, ``９６．５％``, ``12,500``. A trailing percent sign is
    dropped: rates are always given in percent (96.5% means 96.5).

    Raises:
        ValueError: the value is empty or not a plain number (``①``, ``十二``, ``NaN``).

    >>> to_decimal("９６．５％")
    Decimal('96.5')
    >>> to_decimal(0.1) + to_decimal("0.2")
    Decimal('0.3')
    """
    if isinstance(value, bool):
        raise ValueError("布尔值不是数字")
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("不是有限数字")
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("不是有限数字")
        return Decimal(repr(value))
    if value is None:
        raise ValueError("为空")
    text = str(value).translate(_FULLWIDTH).strip()
    if text.endswith("%"):
        text = text[:-1].strip()
    if _GROUPED.fullmatch(text):
        text = text.replace(",", "")
    if not _NUMBER.fullmatch(text):
        raise ValueError("不是数字")
    try:
        return Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover - the regex admits only valid text
        raise ValueError("不是数字") from exc


def round_half_up(value: Decimal, places: int = 2) -> Decimal:
    """四舍五入 to ``places`` decimals: 2.675 -> 2.68, 0.125 -> 0.13."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def fmt(value: Decimal | None) -> str:
    """Shortest exact decimal text: 90.00 -> '90', 92.40 -> '92.4', None -> ''.

    >>> fmt(Decimal("92.40")), fmt(Decimal("100")), fmt(Decimal("-0"))
    ('92.4', '100', '0')
    """
    if value is None:
        return ""
    text = format(value.normalize(), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
