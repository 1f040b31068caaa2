"""Safe YAML loading that remembers where every value came from.

PyYAML's ``safe_load`` silently keeps the last of two duplicate keys and forgets line
numbers; rubric errors must name the file and line, so we compose the node tree
ourselves and build Python objects from it with the safe constructor. Aliases are
refused: a few hundred bytes of nested aliases expand to gigabytes.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from .errors import Problem, RubricError, control_characters
from .tables import read_input

#: Size of a params or rubric file: the largest bundled rubric is 15 KB. PyYAML builds a node for every
#: value before kaohe sees any of them (a megabyte of one-word list items is 260,000 nodes: 8 s, 130 MB).
MAX_YAML_BYTES = 2**20

_PLAIN_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}
Loc = tuple  # a path into the data: ("indicators", 3, "rules", 1, "per")


def load_yaml(path: Path) -> tuple[object, dict[Loc, int]]:
    """Load one YAML file safely.

    Returns:
        The data and a map from each location to its 1-based line number.

    Raises:
        RubricError: unreadable file, YAML syntax error, unsafe tag or duplicate key.
    """
    name = str(path)
    data, problem = read_input(Path(path), name, "", MAX_YAML_BYTES)  # a folder, a pipe or /dev/zero is refused
    if problem:
        raise RubricError([problem])
    try:
        text = data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")  # as read_text's universal newlines
    except UnicodeDecodeError as exc:
        raise RubricError([Problem(name, None, None, None, "unreadable", f"无法读取文件（应为 UTF-8 编码的 YAML）：{exc}")]) from exc
    return parse_yaml(text, name)


def parse_yaml(text: str, name: str) -> tuple[object, dict[Loc, int]]:
    """YAML text (``name`` for messages) with the checks of :func:`load_yaml`: the rubric workbook's
    其他参数 cells are read this way, so a duplicate key or a tag is refused there too."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise RubricError([Problem(name, line, None, None, "yaml_syntax", f"YAML 语法错误：{getattr(exc, 'problem', exc)}")]) from exc
    lines: dict[Loc, int] = {}
    problems: list[Problem] = []
    constructor = yaml.SafeLoader("")  # only its construct_object is used, for scalars

    seen: set[int] = set()  # an alias is the same node met again: refused, so "billion laughs" stays small

    def build(n, loc: Loc):
        lines[loc] = n.start_mark.line + 1
        if id(n) in seen:
            problems.append(Problem(name, n.start_mark.line + 1, dotted(loc), None, "yaml_alias",
                                    "不允许使用 YAML 别名（&锚点 / *引用）：请把内容直接写出"))
            return None
        seen.add(id(n))
        if not isinstance(n, yaml.ScalarNode) and n.tag not in _PLAIN_TAGS:
            problems.append(Problem(name, n.start_mark.line + 1, dotted(loc), n.tag, "unsafe_yaml",
                                    f"不允许的 YAML 标签 {n.tag}（只接受普通数据）"))
            return None
        if isinstance(n, yaml.MappingNode):
            out = {}
            for key_node, value_node in n.value:
                key = build_scalar(key_node, loc)
                if key in out:
                    problems.append(Problem(name, key_node.start_mark.line + 1, dotted((*loc, key)), str(key),
                                            "duplicate_key", f"键 {key!r} 重复出现（YAML 会静默保留后一个值）"))
                    continue
                out[key] = build(value_node, (*loc, key))
            return out
        if isinstance(n, yaml.SequenceNode):
            return [build(item, (*loc, i)) for i, item in enumerate(n.value)]
        return build_scalar(n, loc)

    def build_scalar(n, loc: Loc):
        if not isinstance(n, yaml.ScalarNode):
            problems.append(Problem(name, n.start_mark.line + 1, dotted(loc), None, "bad_key", "键必须是简单文字"))
            return None
        try:
            value = constructor.construct_object(n, deep=True)
        except yaml.YAMLError as exc:
            problems.append(Problem(name, n.start_mark.line + 1, dotted(loc), n.value, "unsafe_yaml",
                                    f"不允许的 YAML 标签 {n.tag}（只接受普通数据）：{getattr(exc, 'problem', exc)}"))
            return None
        except ValueError:  # 2021-02-30 has a date's form but is none: left as text, the model refuses it at its line
            return n.value
        why = control_characters(value) if isinstance(value, str) else None
        if why:  # a title or clause written with a YAML escape ("\v") would fail scores.xlsx/docx at the end of a run
            problems.append(Problem(name, n.start_mark.line + 1, dotted(loc), value, "control_character", why))
        return value

    if node is None:
        raise RubricError([Problem(name, None, None, None, "empty", "文件为空")])
    data = build(node, ())
    if problems:
        raise RubricError(problems)
    return data, lines


def dotted(loc: Loc) -> str:
    """``("indicators", 3, "rules", 1, "per")`` -> ``indicators[3].rules[1].per``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out

