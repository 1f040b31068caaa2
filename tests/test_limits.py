"""Resource bombs (issue 15, item 4): inputs built to cost time and memory are refused before they are parsed.

Every case runs ``kaohe validate`` in a child process, which reports the exit code, the error output and how far its
peak memory rose above what importing kaohe took; a test fails on a traceback, on memory, or (a hang) at a generous
timeout. Limits too large to reach with a small file are checked in-process with the limit lowered, on both sides of
it. The small project around each file (params/run.yaml, data/名单.csv, data/台账.*) is tests/test_bad_inputs.py's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from test_bad_inputs import Case, csv

from kaohe import cli, tables, yamlio
from kaohe.errors import RubricError

ROOT = Path(__file__).resolve().parent.parent
#: How far a refused input may raise the peak memory of a child process that has imported kaohe.
MAX_GROWTH_MB = 300

# --- running kaohe in a child process -----------------------------------------------------------------------------

CHILD = """
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))  # a regression fails with MemoryError, not the machine
import openpyxl, yaml  # noqa: F401  (imported before the baseline: they are not the input's cost)
from kaohe import cli
scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss is bytes on macOS, KiB on Linux
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
code = cli.main(sys.argv[1:])
growth = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * scale / 2**20
print(json.dumps({"code": code, "growth_mb": round(growth, 1)}))
"""


def validate_in_child(params: Path) -> tuple[int, str, float]:
    """Exit code, error output and peak memory growth (MB) of ``kaohe validate --params`` in a fresh process.
    The timeout only turns a hang (a pipe read for ever) into a failure; nothing here is timed."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, "-c", CHILD, "validate", "--params", str(params)], capture_output=True,
                          text=True, timeout=300, env=env, cwd=params.parent)
    assert "Traceback" not in proc.stderr, proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    return report["code"], proc.stderr, report["growth_mb"]


def refused(params: Path, expect: list[str]) -> str:
    code, err, growth = validate_in_child(params)
    assert code == 2, err
    for fragment in expect:
        assert fragment in err, f"{fragment!r} not in:\n{err}"
    assert growth < MAX_GROWTH_MB, f"peak memory rose {growth:.0f} MB:\n{err}"
    return err


# --- the bombs of issue 15, each refused before it is parsed --------------------------------------------------------

def sparse(size: int) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        with path.open("wb") as fh:
            fh.truncate(size)
    return write


BOMBS = [
    # A CSV above 64 MB (a sparse file: nothing on disk) ...
    Case("a_csv_of_64_MB_and_one_byte", ["[too_large]", "台账.csv", "台账文件有 67,108,865 字节，超过上限 64 MB"],
         {"data/台账.csv": sparse(tables.MAX_CSV_BYTES + 1)}),
    # ... 200,001 lines (blank ones: 400 KB) ...
    Case("a_csv_of_200001_lines", ["[too_large]", "台账.csv，第 200001 行", "文件超过 200000 行"],
         {"data/台账.csv": csv("E1,云集镇,1.2.1,2020-03-01,,,,") + b"\r\n" * 200_000}),
    # ... and a cell longer than csv's own limit of 131,072 characters.
    Case("a_csv_cell_of_200000_characters", ["[too_large]", "台账.csv，第 2 行", "单元格超过 32767 个字符的上限"],
         {"data/台账.csv": csv("E1,云集镇,1.2.1,2020-03-01,,,," + "x" * 200_000)}),
]


@pytest.mark.parametrize("case", BOMBS, ids=[c.name for c in BOMBS])
def test_a_bomb_is_refused_with_its_limit_in_bounded_memory(case, tmp_path):
    refused(case.write(tmp_path), case.expect)


# --- not a regular file: a folder (a traceback), a pipe (a hang), a link to /dev/zero (MemoryError) ------------------

def folder(path: Path) -> None:
    path.mkdir()


def pipe(path: Path) -> None:
    os.mkfifo(path)


def zeros(path: Path) -> None:
    path.symlink_to("/dev/zero")


KINDS = {"folder": (folder, "目录"), "pipe": (pipe, "命名管道（FIFO）"), "link_to_dev_zero": (zeros, "设备")}


@pytest.mark.skipif(not hasattr(os, "mkfifo") or not Path("/dev/zero").exists(), reason="POSIX only")
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("role", ["ledger", "roster", "params"])
def test_an_input_that_is_not_a_regular_file_is_named_and_refused(role, kind, tmp_path):
    make, what = KINDS[kind]
    if role == "params":
        params = Case(role, []).write(tmp_path)
        params.unlink()
        make(params)
        file, label = "run.yaml", ""
    else:
        file, label = {"ledger": ("data/台账.csv", "台账"), "roster": ("data/名单.csv", "单位名单")}[role]
        params = Case(role, [], {file: make}).write(tmp_path)
    refused(params, ["[not_a_file]", str(tmp_path / file) if role != "params" else "run.yaml",
                     f"{label}不是普通文件，而是{what}"])


def test_a_link_to_a_regular_file_is_read(tmp_path, capsys):
    """os.stat follows links: a ledger linked in from elsewhere is read like the file itself."""
    elsewhere = tmp_path / "elsewhere.csv"
    elsewhere.write_bytes(csv("E1,云集镇,1.2.1,2020-03-01,,,,"))
    params = Case("link", [], {"data/台账.csv": lambda path: path.symlink_to(elsewhere)}).write(tmp_path / "project")
    assert cli.main(["validate", "--params", str(params)]) == 0, capsys.readouterr().err


# --- each limit on both sides, in-process with the limit lowered where the real one needs a large file --------------

def validate(params: Path, capsys) -> tuple[int, str]:
    code = cli.main(["validate", "--params", str(params)])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


class TestCellsPerRow:
    def test_a_csv_row_of_16384_cells_is_read_and_one_more_is_refused(self, tmp_path, capsys):
        at = Case("at", [], {"data/台账.csv": csv("E1,云集镇,1.2.1,2020-03-01,,,,", "," * 16_383)}).write(tmp_path / "a")
        assert validate(at, capsys)[0] == 0
        past = Case("past", [], {"data/台账.csv": csv("E1,云集镇,1.2.1,2020-03-01,,,,", "," * 16_384)}).write(tmp_path / "b")
        assert validate(past, capsys) == (2, f"输入有 1 个问题，未生成任何结果：\n[too_large] 文件 {tmp_path}/b/data/台账.csv，"
                                            "第 3 行：一行超过 16384 个单元格\n")


class TestCellLength:
    def test_32767_characters_are_read_and_one_more_is_refused_naming_row_and_column(self, tmp_path, capsys):
        at = Case("at", [], {"data/台账.csv": csv("E1,云集镇,1.2.1,2020-03-01,,,," + "说" * 32_767)}).write(tmp_path / "a")
        assert validate(at, capsys)[0] == 0
        past = Case("past", [], {"data/台账.csv": csv("E1,云集镇,1.2.1,2020-03-01,,,," + "说" * 32_768)})
        code, err = validate(past.write(tmp_path / "b"), capsys)
        assert code == 2
        assert (f"[too_large] 文件 {tmp_path}/b/data/台账.csv，第 2 行，「情况说明」列，值 '{'说' * 20}…'："
                "单元格有 32768 个字符，超过上限 32767（Excel 单元格最多 32767 个字符）") in err


class TestLoweredLimits:
    """Limits a test cannot reach with a small file, lowered: at the limit the file is read, one past it refused."""

    def test_cells_of_a_csv(self, tmp_path, capsys, monkeypatch):
        monkeypatch.setattr(tables, "MAX_CELLS", 10)
        params = Case("past", [], {"data/台账.csv": csv("E1,云集镇,1.2.1,2020-03-01,,,,")}).write(tmp_path)
        code, err = validate(params, capsys)
        assert code == 2 and "台账.csv：文件超过 10 个单元格" in err

    def test_size_of_a_yaml_file(self, tmp_path, monkeypatch):
        params = Case("yaml", []).write(tmp_path)
        size = params.stat().st_size
        monkeypatch.setattr(yamlio, "MAX_YAML_BYTES", size)
        assert yamlio.load_yaml(params)[0]["name"] == "corpus"
        monkeypatch.setattr(yamlio, "MAX_YAML_BYTES", size - 1)
        with pytest.raises(RubricError) as caught:
            yamlio.load_yaml(params)
        assert [str(p) for p in caught.value.problems] == [
            f"[too_large] 文件 {params}：文件有 {size:,} 字节，超过上限 {size - 1} 字节"]
