"""Resource bombs (issue 15, item 4): inputs built to cost time and memory are refused before they are parsed.

Every case runs ``kaohe validate`` in a child process, which reports the exit code, the error output and how far its
peak memory rose above what importing kaohe took; a test fails on a traceback, on memory, or (a hang) at a generous
timeout. The small project around each file (params/run.yaml, data/名单.csv, data/台账.*) is
tests/test_bad_inputs.py's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_bad_inputs import Case, csv

from kaohe import cli

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
