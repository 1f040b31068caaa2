"""Report kernels end quietly: a successful run's stderr carries no kernel noise, and a stuck kernel still stops.

papermill's last request to a kernel is a kernel_info_request; it shuts the kernel down as soon as it has the
reply, while the kernel may still be inside that request's handler, where ipykernel lets SIGINT through.
jupyter_client's shutdown used to start with SIGINT, which the kernel then caught and logged as
"[IPKernelApp] ERROR | KeyboardInterrupt caught in kernel." (0-14 times a sample run). The notebook below
widens that window on purpose: its kernel stays in the handler for half a second after the reply.
"""

import json
import os

import nbformat
import pytest

from kaohe import forkserver, runner

# Installed by the notebook's first cell: kernel_info_request sends its reply, then stays in the handler.
SLOW_LAST_REPLY = """\
import inspect, time
kernel = get_ipython().kernel
answer = kernel.shell_handlers["kernel_info_request"]

async def answer_then_linger(*args):
    result = answer(*args)
    if inspect.isawaitable(result):
        await result
    time.sleep(0.5)

kernel.shell_handlers["kernel_info_request"] = answer_then_linger
"""


def _notebook(path, *cells):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    nbformat.write(nb, path)
    return path


@pytest.fixture(params=["forked", "new interpreter"])
def kernels(request, monkeypatch):
    """Each way a kernel starts, with this test's stderr (a fork server started here writes to it)."""
    if os.name != "posix" and request.param == "forked":
        pytest.skip("the fork server needs fork (POSIX)")
    if request.param == "new interpreter":
        monkeypatch.setenv("KAOHE_FORKSERVER", "0")
    forkserver.release()
    yield request.param
    forkserver.release()


def test_a_kernel_still_in_its_last_handler_is_shut_down_without_an_error_on_stderr(tmp_path, kernels, capfd):
    # What a kernel itself writes to stderr still reaches the user: nothing is filtered, the noise is not made.
    said = "import os\nos.write(2, '内核写到标准错误的一行\\n'.encode())"
    source = _notebook(tmp_path / "nb.ipynb", SLOW_LAST_REPLY, said, "from kaohe import report\nreport.end()")
    for name in ("a.ipynb", "b.ipynb"):
        _, failure = runner.execute(source, tmp_path / name, {}, timeout=60)
        assert failure is None
    err = capfd.readouterr().err
    assert err.count("内核写到标准错误的一行") == 2
    assert not [line for line in err.splitlines() if any(w in line for w in ("ERROR", "Traceback", "KeyboardInterrupt"))], err


def test_a_kernel_over_the_time_limit_is_still_stopped(tmp_path, kernels):
    source = _notebook(tmp_path / "nb.ipynb", "import json, os, time\nprint(json.dumps(os.getpid()), flush=True)\n"
                       "time.sleep(600)")
    nb, failure = runner.execute(source, tmp_path / "slow.ipynb", {}, timeout=3)
    assert failure == "CellTimeoutError: 单元格运行超过 3 秒的时限，已停止"
    pid = json.loads(nb.cells[0].outputs[0]["text"])
    with pytest.raises(ProcessLookupError):  # gone (and reaped), not left sleeping
        os.kill(pid, 0)


def test_a_kernel_is_ready_once_it_answered_and_its_output_channel_delivers(kernels):
    """HereKernelClient.wait_for_ready ends when the kernel has replied and IOPub works, without waiting for IOPub to
    fall silent as jupyter_client's does (a fifth of a second per report). A kernel that keeps talking on IOPub
    would hold jupyter_client's wait for ever; here it does not, and the first cell's output still arrives."""
    import asyncio

    chatty = ("import threading, time\n"
              "def talk():\n"
              "    while True:\n"
              "        print('…', flush=True)\n"
              "        time.sleep(0.02)\n"
              "threading.Thread(target=talk, daemon=True).start()")

    async def scenario():
        km = runner.HereKernelManager()
        assert km.client_factory is runner.HereKernelClient
        await km.start_kernel()
        kc = km.client()
        kc.start_channels()
        try:
            await kc.wait_for_ready(timeout=60)
            first = await kc.execute_interactive("print('第一行')", timeout=30, output_hook=lambda m: seen.append(m))
            assert first["content"]["status"] == "ok"
            await kc.execute_interactive(chatty, timeout=30, output_hook=lambda m: None)
            await asyncio.wait_for(kc.wait_for_ready(timeout=60), timeout=10)  # jupyter_client's: still waiting
        finally:
            kc.stop_channels()
            await km.shutdown_kernel(now=True)

    seen: list = []
    asyncio.run(scenario())
    assert [m["content"]["text"] for m in seen if m["msg_type"] == "stream"] == ["第一行\n"]
