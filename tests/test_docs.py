"""The README and the documentation site: the README is a short front door whose links resolve, the site builds
with ``mkdocs build --strict`` (broken links, anchors and pages missing from the nav fail), its search indexes
Chinese words, and every command shown in an ``sh`` block of the README or a page runs on the sample as shown.

The commands run in the order the README and the nav show them, in one copy of the project (params, data,
examples, the seeds, the docs) with this interpreter's ``bin`` linked in as ``.venv/bin``, and must exit 0.
What the test changes, and why, is all in the tables below:

- one full ``kaohe run`` of the 衡南 sample is shared (``SHARED``); the other runs of a sample make one unit's
  report (``FEWER``: ``--units``), the flag they show still exercised;
- placeholders a reader fills in (``SUBSTITUTE``): the fingerprint printed on the 通报, the Dask scheduler's
  address (a free port, no dashboard, one worker process on this 2-core machine);
- servers (``BACKGROUND``) run in the background until the page's block ends;
- ``make`` targets run as the commands ``make -n`` prints, except the suite itself, JupyterLab and the long
  benchmark (``DRY_RUN``), which are only dry-run;
- a command shown twice is run once.
"""

import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from conftest import ROOT

BIN = Path(sys.executable).parent
ENV = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
TIMEOUT = 1200

SHARED = "kaohe run params/hengnan-2020.yaml --jobs 2"
FEWER = {"kaohe run params/hengnan-2020.yaml": "--units 示例镇01", "kaohe run params/yiyang-2020.yaml": "--units 示例区县01"}
BACKGROUND = ("dask scheduler", "dask worker")
DRY_RUN = {"test", "lab", "bench"}
#: Pages whose commands are written for another folder (the guide: "在放文件的文件夹中运行").
CWD = {"docs/编写细则.md": "examples/county-from-document"}
COPIED = ["params", "data", "examples", "tests/data/seeds", "docs", "mkdocs.yml", "ARCHITECTURE.md", "Makefile",
          "pyproject.toml"]


def pages() -> list[str]:
    """The README, then every page in the order of the site's nav."""
    def walk(items):
        for item in items:
            value = next(iter(item.values())) if isinstance(item, dict) else item
            yield from walk(value) if isinstance(value, list) else [f"docs/{value}"]

    nav = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))["nav"]
    return ["README.md", *walk(nav)]


def blocks(page: str) -> list[list[tuple[int, str]]]:
    """The command lines of each ``sh`` block, with their line numbers; comments are not commands."""
    out, block = [], None
    for n, line in enumerate((ROOT / page).read_text(encoding="utf-8").splitlines(), 1):
        if block is None and re.match(r"\s*```(sh|bash|console)\s*$", line):
            block = []
        elif block is not None and re.match(r"\s*```", line):
            out.append(block)
            block = None
        elif block is not None:
            command = re.split(r"\s+#\s", line.strip(), maxsplit=1)[0].strip()
            if command and not command.startswith("#"):
                block.append((n, command))
    return out


def test_readme_is_a_short_front_door():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(text.encode("utf-8")) < 12 * 1024
    for words in ["make demo", "make test", "分析人员", "审核人员", "细则编写", "比较与稳健性", "For developers"]:
        assert words in text
    links = [x.split("#")[0] for x in re.findall(r"\]\(([^)]+)\)", text) if not re.match(r"[a-z]+:", x)]
    assert links and [x for x in links if not (ROOT / x).exists()] == []
    # every page the README points to is in the site's nav
    shown = set(pages())
    assert [x for x in links if x.startswith("docs/") and x.endswith(".md") and x not in shown] == []


def test_the_readmes_speed_figures_are_those_of_the_benchmark_run():
    """The README's speed section quotes bench/results.json (one `make bench` run on this machine) as
    `python -m bench.tables` prints it: each N's per-report seconds and both ratios, the strong one first, every
    row of the breakdown, and the PDF figures."""
    import json

    from bench.tables import tables

    results = json.loads((ROOT / "bench" / "results.json").read_text(encoding="utf-8"))
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    speed = text[text.index("## 速度"):]
    speed = speed[:speed.index("\n## ", 1)]
    assert results["run"] and results["breakdown"] and results["pdf"]
    for table in tables(results):
        assert table in speed, table
    assert "**强基线**" in speed.split("| 单位数 |")[0]  # the strong loop is explained before the first table


def test_the_site_builds_strict_and_searches_chinese(tmp_path):
    done = subprocess.run([BIN / "mkdocs", "build", "--strict", "--site-dir", tmp_path / "site"], cwd=ROOT, env=ENV,
                          capture_output=True, text=True, timeout=TIMEOUT)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "site" / "index.html").exists()
    index = (tmp_path / "site" / "search" / "search_index.json").read_text(encoding="utf-8")
    assert "\\u200b" in index or "\u200b" in index  # jieba cut the Chinese text into words


def test_a_broken_link_fails_the_strict_build(tmp_path):
    project = tmp_path / "p"
    for name in ["docs", "mkdocs.yml", "ARCHITECTURE.md", "examples"]:
        (shutil.copytree if (ROOT / name).is_dir() else shutil.copy)(ROOT / name, project / name)
    page = project / "docs" / "analyst" / "print.md"
    page.write_text(page.read_text(encoding="utf-8") + "\n[无此页](无此页.md) [无此文件](../../examples/无此文件.md)\n",
                    encoding="utf-8")
    done = subprocess.run([BIN / "mkdocs", "build", "--strict", "--site-dir", tmp_path / "site"], cwd=project, env=ENV,
                          capture_output=True, text=True, timeout=TIMEOUT)
    assert done.returncode != 0
    assert "无此页.md" in done.stderr and "无此文件.md" in done.stderr


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A copy of the project with the shared full run of the sample done; ``ran`` holds the commands run."""
    root = tmp_path_factory.mktemp("project")
    for name in COPIED:
        (shutil.copytree if (ROOT / name).is_dir() else shutil.copy)(ROOT / name, root / name)
    (root / ".venv").mkdir()
    (root / ".venv" / "bin").symlink_to(BIN)
    (root / ".venv" / ".installed").touch()
    ran: set[str] = set()
    _run(SHARED, root)
    ran.add(SHARED)
    return root, ran


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _substitutions(folder: Path) -> dict[str, str]:
    port = _free_port()
    manifest = folder / "outputs" / "hengnan-2020" / "2020" / "manifest.json"
    return {
        "<通报上的指纹>": "$(sha256sum " + shlex.quote(str(manifest)) + " | cut -d' ' -f1)",
        "dask scheduler": f"dask scheduler --port {port} --no-dashboard",
        "dask worker": "dask worker --no-dashboard",
        "--nworkers 4": "--nworkers 1",
        "tcp://调度机:8786": f"tcp://127.0.0.1:{port}",
    }


def _listening(command: str, server: subprocess.Popen, where: str):
    """Wait until a server started with ``--port N`` accepts connections (its clients time out otherwise)."""
    port = re.search(r"--port (\d+)", command)
    for _ in range(240):
        assert server.poll() is None, f"{where}: {command} stopped"
        if not port:
            return
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", int(port.group(1)))) == 0:
                return
        time.sleep(0.5)
    raise AssertionError(f"{where}: {command} does not listen")


def _run(command: str, cwd: Path):
    done = subprocess.run(["bash", "-c", command], cwd=cwd, env=ENV, capture_output=True, text=True,
                          timeout=TIMEOUT)
    assert done.returncode == 0, f"{command}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"


def _make(target: str, folder: Path) -> list[str]:
    """The commands ``make TARGET`` runs (the install step is taken as done)."""
    # under `make test` the outer make's MAKELEVEL/MAKEFLAGS would have this one print "make[1]: Entering directory"
    env = {k: v for k, v in ENV.items() if k not in ("MAKELEVEL", "MAKEFLAGS", "MFLAGS")}
    done = subprocess.run(["make", "-n", "--no-print-directory", "-o", ".venv/.installed", target], cwd=folder,
                          env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return [] if target in DRY_RUN else [x for x in done.stdout.splitlines() if x.strip()]


def _plain(command: str) -> str:
    return re.sub(r"^(\.venv/bin/|python -m )", "", re.sub(r"\s+", " ", command))


@pytest.mark.parametrize("page", pages())
def test_every_command_shown_runs(page, project):
    root, ran = project
    cwd = root / CWD.get(page, ".")
    for block in blocks(page):
        subs = _substitutions(root)
        background = []
        try:
            for n, shown in block:
                commands = _make(shown.split()[1], root) if shown.startswith("make ") else [shown]
                for command in commands:
                    plain = _plain(command)
                    if plain in ran:
                        continue
                    for placeholder, value in subs.items():
                        command = command.replace(placeholder, value)
                    assert not re.search(r"<[^<>]+>", command), f"{page}:{n}: placeholder without a value: {command}"
                    for prefix, more in FEWER.items():
                        if plain.startswith(prefix) and "--units" not in plain:
                            command += f" {more}"
                    if plain.startswith(BACKGROUND):
                        background.append(subprocess.Popen(["bash", "-c", f"exec {command}"], cwd=cwd, env=ENV,
                                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
                        _listening(command, background[-1], f"{page}:{n}")
                    else:
                        try:
                            _run(command, cwd)
                        except AssertionError as e:
                            raise AssertionError(f"{page}:{n}: {e}") from None
                    ran.add(plain)
        finally:
            for p in background:
                p.terminate()
                p.wait(timeout=60)
