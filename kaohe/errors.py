"""One exception hierarchy; every error carries the data a person needs to fix the input."""

from __future__ import annotations

from dataclasses import dataclass


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
    """

    file: str
    row: int | None
    column: str | None
    value: str | None
    code: str
    message: str
    rule: str | None = None

    def __str__(self) -> str:
        where = [f"文件 {self.file}"]
        if self.row is not None:
            where.append(f"第 {self.row} 行")
        if self.column:
            where.append(f"「{self.column}」列" if "[" not in self.column and "." not in self.column
                         else f"位置 {self.column}")
        if self.value is not None:
            where.append(f"值 {self.value!r}")
        if self.rule:
            where.append(f"规则 {self.rule}")
        return f"[{self.code}] {'，'.join(where)}：{self.message}"


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
    return (p.file, p.row if p.row is not None else -1, p.column or "", p.code, p.value or "")
