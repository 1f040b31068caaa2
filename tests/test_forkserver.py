"""Report kernels forked from the fork server are fresh: nothing one report leaves reaches the next."""

import json
import os

import nbformat
import pytest

from kaohe import forkserver, runner

pytestmark = pytest.mark.skipif(os.name != "posix", reason="the fork server needs fork (POSIX)")


def _notebook(path):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_code_cell("import json, os, sys, kaohe\n"
                                  "leak = getattr(kaohe, '_left_by_another_report', None)\n"
                                  "kaohe._left_by_another_report = os.getpid()\n"
                                  "print(json.dumps([os.getpid(), os.getppid(), leak, 'pandas' in sys.modules,\n"
                                  "      get_ipython().history_manager.hist_file, sys.path,\n"
                                  "      sys.modules['kaohe.provenance']._versions.cache_info().currsize\n"
                                  "      if 'kaohe.provenance' in sys.modules else 0]))"),
        nbformat.v4.new_code_cell("from kaohe import report\nreport.end()"),
    ]
    nbformat.write(nb, path)
    return path


def _run(tmp_path, name):
    nb, failure = runner.execute(_notebook(tmp_path / "nb.ipynb"), tmp_path / name, {}, timeout=60)
    assert failure is None
    pid, ppid, leak, preloaded, history, path, versions_read = json.loads(nb.cells[0].outputs[0]["text"])
    # nbclient's own kernel options reach a forked kernel too: no history file shared between reports;
    # and the folder the runner started in is not on the kernel's path, as with a new interpreter
    assert history == ":memory:" and os.getcwd() not in path
    # the packages' versions a report shows: read once in the fork server, inherited by its kernels
    assert versions_read == (1 if preloaded else 0)
    return pid, ppid, leak, preloaded


def test_each_kernel_is_a_new_child_of_the_fork_server(tmp_path):
    try:
        first, second = _run(tmp_path, "a.ipynb"), _run(tmp_path, "b.ipynb")
        server = forkserver.server()
        assert server is not None and first[1] == second[1] == server.process.pid
        assert first[0] != second[0]
        assert first[2] is None and second[2] is None  # one report's module attribute never reaches the next
        assert first[3] is True  # pandas came imported from the server
    finally:
        forkserver.release()


def test_without_the_fork_server_kernels_start_as_new_interpreters(tmp_path, monkeypatch):
    monkeypatch.setenv("KAOHE_FORKSERVER", "0")
    _, ppid, leak, preloaded = _run(tmp_path, "c.ipynb")
    assert ppid == os.getpid() and leak is None and preloaded is False
    forkserver.release()


def test_a_run_stopped_before_its_reports_stops_the_server_it_started_early(tmp_path):
    """kaohe run starts the fork server before scoring (its imports overlap the scoring); a run refused after
    that (here an unknown unit) leaves no server and no socket folder behind."""
    import psutil
    from conftest import ROOT

    from kaohe.errors import KaoheError

    before = {p.pid for p in psutil.Process().children(recursive=True)}
    with pytest.raises(KaoheError, match="示例镇99"):
        runner.run(ROOT / "params" / "hengnan-2020.yaml", units=["示例镇99"], out_dir=tmp_path, progress=False)
    assert forkserver._server is None and forkserver._sockets is None
    left = [p for p in psutil.Process().children(recursive=True) if p.pid not in before and p.is_running()
            and p.status() != psutil.STATUS_ZOMBIE]
    assert left == []


# The command in a process of its own: whether the runner was imported when the server started, and what is left.
_COMMAND = """
import json, sys
from kaohe import forkserver
from kaohe.cli import main
seen = []
original = forkserver.ForkServer.__init__
def init(self, sock, env):
    seen.append("kaohe.runner" in sys.modules)
    original(self, sock, env)
forkserver.ForkServer.__init__ = init
code = main(sys.argv[1:])
print(json.dumps([code, seen, forkserver._server is None, forkserver._sockets is None]))
"""


@pytest.mark.parametrize("refused", [["--units", "示例镇99"], ["--pdf"]])
def test_kaohe_run_starts_the_server_before_the_runner_and_stops_it_when_the_run_is_refused(tmp_path, refused):
    """The command starts the fork server before it imports the runner. Refused later (an unknown unit, in run();
    --pdf on a machine without Chromium, before run() starts anything), it leaves no server and no socket folder."""
    import subprocess
    import sys

    from conftest import ROOT

    (tmp_path / "bin").mkdir()
    env = {**os.environ, "PATH": str(tmp_path / "bin"), "TMPDIR": str(tmp_path)}  # nothing on PATH: no Chromium
    done = subprocess.run([sys.executable, "-c", _COMMAND, "run", str(ROOT / "params" / "hengnan-2020.yaml"),
                           "--out-dir", str(tmp_path / "out"), *refused], capture_output=True, text=True, env=env,
                          cwd=ROOT)
    assert done.stdout.strip(), done.stderr
    code, seen, no_server, no_sockets = json.loads(done.stdout.splitlines()[-1])
    assert code == 2 and seen == [False] and no_server and no_sockets, done.stderr
    assert ("示例镇99" if "--units" in refused else "--pdf 需要 Chromium") in done.stderr
    assert not list(tmp_path.glob("kaohe-kernels-*"))  # the socket folder went with the server
