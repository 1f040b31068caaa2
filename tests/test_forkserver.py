"""Report kernels forked from the fork server are fresh: nothing one report leaves reaches the next."""

import os

import nbformat
import pytest

from kaohe import runner

pytestmark = pytest.mark.skipif(os.name != "posix", reason="the fork server needs fork (POSIX)")


def _notebook(path):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_code_cell("import os, sys, kaohe\n"
                                  "leak = getattr(kaohe, '_left_by_another_report', None)\n"
                                  "kaohe._left_by_another_report = os.getpid()\n"
                                  "print(os.getpid(), os.getppid(), leak, 'pandas' in sys.modules)"),
        nbformat.v4.new_code_cell("from kaohe import report\nreport.end()"),
    ]
    nbformat.write(nb, path)
    return path


def _run(tmp_path, name):
    nb, failure = runner.execute(_notebook(tmp_path / "nb.ipynb"), tmp_path / name, {}, timeout=60)
    assert failure is None
    pid, ppid, leak, preloaded = nb.cells[0].outputs[0]["text"].split()
    return int(pid), int(ppid), leak, preloaded


def test_each_kernel_is_a_new_child_of_the_fork_server(tmp_path):
    try:
        first, second = _run(tmp_path, "a.ipynb"), _run(tmp_path, "b.ipynb")
        server = runner._fork_server()
        assert server is not None and first[1] == second[1] == server.process.pid
        assert first[0] != second[0]
        assert first[2] == second[2] == "None"  # the first report's module attribute never reaches the second
        assert first[3] == "True"  # pandas came imported from the server
    finally:
        runner._drop_socket_dir()


def test_without_the_fork_server_kernels_start_as_new_interpreters(tmp_path, monkeypatch):
    monkeypatch.setenv("KAOHE_FORKSERVER", "0")
    _, ppid, leak, preloaded = _run(tmp_path, "c.ipynb")
    assert ppid == os.getpid() and leak == "None" and preloaded == "False"
    runner._drop_socket_dir()
