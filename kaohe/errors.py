"""One exception hierarchy; every error carries the data a person needs to fix the input."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

#: Severity of a :class:`Problem` that stops nothing: it is shown, and the inputs are still used.
WARNING = "警告"

#: Characters that show nothing though Python's ``repr`` prints them as they are (it escapes the control and
#: format characters): the combining grapheme joiner, Hangul fillers, the blank braille pattern, variation
#: selectors (also the Mongolian ones).
UNSEEN = frozenset(["\u034f", "\u115f", "\u1160", "\u3164", "\uffa0", "\u2800", *map(chr, range(0x180B, 0x1810)),
                    *map(chr, range(0xFE00, 0xFE10)), *map(chr, range(0xE0100, 0xE01F0))])


def shown(value: str) -> str:
    r"""``value`` quoted with every character that shows nothing escaped, so a person sees what is there.

    >>> print(shown("云集\x0b镇"), shown("宝盖\ufe0f镇"), shown("示例\u200d镇"))
    '云集\x0b镇' '宝盖\ufe0f镇' '示例\u200d镇'
    """
    return "".join((f"\\u{ord(c):04x}" if ord(c) <= 0xFFFF else f"\\U{ord(c):08x}") if c in UNSEEN else c
                   for c in repr(value))


# What a cell may not hold. XLSX and DOCX are XML 1.0, which has no place for the C0 controls other than tab,
# line feed and carriage return, nor for U+FFFE, U+FFFF and lone surrogates: openpyxl 3.1 raises
# IllegalCharacterError and python-docx 1.2 (lxml) "All strings must be XML compatible" on them, at the end of a
# run. Tab, line feed and carriage return stay, in free text and in names alike: openpyxl writes them into a cell
# as they are and python-docx turns a tab into a tab and a line feed or carriage return into a line break
# (tests/test_names.py checks both), so nothing fails on them, and a unit name with a line break runs as data
# (tests/test_browser.py). DEL and the C1 controls would be written, but no office means them in its text and
# they show nothing: they are refused too.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")
_CONTROL_NAMES = {"\x00": "空字符", "\x0b": "垂直制表符", "\x0c": "换页符", "\x1b": "转义符", "\x7f": "删除符",
                  "\ufffe": "非字符", "\uffff": "非字符"}


def control_characters(value: str) -> str | None:
    r"""Why ``value`` cannot be kept as written (it holds a control character), or None.

    >>> control_characters("云集\x0b镇")
    '含有控制字符 U+000B（垂直制表符），无法写入 Excel 和 Word 文件：请删除该字符'
    >>> control_characters("第一行\n第二行\t（制表）") is None
    True
    """
    found = list(dict.fromkeys(_CONTROL.findall(value)))
    if not found:
        return None
    named = "、".join(f"U+{ord(c):04X}" + (f"（{_CONTROL_NAMES[c]}）" if c in _CONTROL_NAMES else "")
                     for c in found[:3]) + (f" 等 {len(found)} 种" if len(found) > 3 else "")
    why = ("无法写入 Excel 和 Word 文件" if any(_NOT_XML.match(c) for c in found) else
           "这是看不见的字符，多来自从其他系统复制的文字")
    return f"含有控制字符 {named}，{why}：请删除该字符"


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with an input file, located as a person would look for it.

    Attributes:
        file: File name as given by the user.
        row: Row number as Excel or a text editor shows it (header = 1); for YAML, the line.
        column: Column header as written in the file, trimmed (or a YAML path such as
            ``indicators[3].rules[1].per``).
        value: The offending value, as text.
        code: Stable machine-readable reason, e.g. ``unknown_rule``.
        message: What is wrong and what was expected, in Chinese.
        rule: The rule id (or field id) the problem concerns, if any.
        severity: ``错误`` (the inputs are refused) or :data:`WARNING` (they are used; a person should look).
        sheet: The worksheet, for a workbook whose sheets are all read (the rubric workbook, 细则.xlsx).
    """

    file: str
    row: int | None
    column: str | None
    value: str | None
    code: str
    message: str
    rule: str | None = None
    severity: str = "错误"
    sheet: str | None = None

    def __str__(self) -> str:
        where = [f"文件 {self.file}"]
        if self.sheet:
            where.append(f"工作表「{self.sheet}」")
        if self.row is not None:
            where.append(f"第 {self.row} 行")
        if self.column:
            where.append(f"「{self.column}」列" if "[" not in self.column and "." not in self.column
                         else f"位置 {self.column}")
        if self.value is not None:
            where.append(f"值 {shown(self.value)}")
        if self.rule:
            where.append(f"规则 {self.rule}")
        said = f"{'，'.join(where)}：{self.message} [{self.code}]"  # the code last: a person reads the place first
        return f"{WARNING} {said}" if self.severity == WARNING else said


def warn(problems: list[Problem]) -> None:
    """Show warnings (problems that stop nothing) through the ``kaohe`` logger. Where nothing configures logging
    (the ``kaohe`` command), Python's last-resort handler prints each message alone on standard error, so
    ``kaohe validate`` shows them and still passes; a program using kaohe can route or silence them."""
    for p in problems:
        logging.getLogger("kaohe").warning(str(p))


class KaoheError(Exception):
    """Base class of every error kaohe raises on purpose."""


class InputError(KaoheError):
    """Invalid input files: carries every problem found, not only the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=_problem_key)
        n = len(self.problems)
        lines = "\n".join(str(p) for p in self.problems[:50])
        more = f"\n……另有 {n - 50} 个问题未列出" if n > 50 else ""
        super().__init__(f"输入有 {n} 个问题，未生成任何结果：\n{lines}{more}")


class RubricError(InputError):
    """A rubric file that does not load or does not validate."""


def _problem_key(p: Problem):
    return (p.file, p.sheet or "", p.row if p.row is not None else -1, p.column or "", p.code, p.value or "")
