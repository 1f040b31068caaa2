"""Fresh kernels without the start-up cost: a fork server for report kernels (POSIX).

Starting a kernel costs more than the report it runs: a new interpreter imports IPython, ipykernel,
pandas, matplotlib and kaohe (about 1.5 s of CPU on this machine) before the first cell. The fork server
is one process that imports all of that once and then only forks: each report kernel is a new child
process, forked from a server that never runs report code, so no kernel sees anything another unit
left behind — the same fresh kernel, without paying for the imports again.

Run as ``python -m kaohe.forkserver SOCKET``. A request is one JSON line on the UNIX socket
(``connection_file``, ``cwd``, ``env``); the answer is the child's pid. The server reaps its children
and writes each exit status to ``SOCKET.<pid>.exit`` for :class:`ForkedKernel` to read.

The process that runs reports keeps its one server here too (:func:`server`, :func:`release`, its socket folder):
this module imports nothing heavy, so ``kaohe run`` starts the server before it loads the runner.
"""

from __future__ import annotations

import json
import os
import random
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

#: What a report kernel imports, loaded once in the server (never anything that holds a unit's data).
PRELOAD = ("ipykernel.kernelapp", "ipykernel.ipkernel", "IPython", "pandas", "matplotlib.pyplot",
           "kaohe.report", "kaohe.assessment", "kaohe.comparison")
#: What a kernel still imported after the fork with only PRELOAD here (listed from a report kernel's sys.modules):
#: ipykernel's debugger support (debugpy, ~110 modules), IPython's magics, the Agg backend. Each is optional: one
#: that a later release renames, or a Python built without sqlite3, costs its kernels the import, nothing more.
ALSO_PRELOAD = ("ipykernel.debugger", "IPython.core.debugger", "IPython.core.completerlib",
                "IPython.extensions.storemagic", "matplotlib.backends.backend_agg", "psutil", "sqlite3",
                "tornado.platform.asyncio", "tornado.queues", "pandas.core.reshape.reshape")


def _status_file(sock: str, pid: int) -> Path:
    return Path(f"{sock}.{pid}.exit")


def serve(sock: str) -> None:  # pragma: no cover - runs in its own process; tested through the runner
    import importlib

    parent = os.getppid()  # first: a runner killed during the imports below leaves the server an orphan, which exits

    # debugpy warns about frozen modules when imported (ipykernel's own kernelspecs set this for that reason)
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    for name in PRELOAD:
        importlib.import_module(name)
    for name in ALSO_PRELOAD:
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    import PIL.Image

    PIL.Image.preinit()  # the image plugins PNG output loads on first use
    from kaohe import charts
    from kaohe.provenance import versions

    charts.setup()  # font discovery, once
    versions()  # the packages' metadata, read once (each report shows it)
    # The preloaded objects go to the collector's permanent generation: each kernel's collections would otherwise
    # walk (and, touching their headers, copy) the whole inherited heap: ~12% of a report kernel's CPU, a quarter
    # of its page faults, measured on the sample unit.
    import gc

    gc.freeze()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the runner's to handle; it stops the server
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(sock)
    server.listen(64)
    signal.signal(signal.SIGCHLD, lambda *_: _reap(sock))  # a kernel's exit is known at once
    while os.getppid() == parent:  # the runner went away: so does the server
        ready, _, _ = select.select([server], [], [], 0.5)
        _reap(sock)
        if not ready:
            continue
        conn, _ = server.accept()
        with conn:
            conn.settimeout(10)
            try:
                with conn.makefile("r", encoding="utf-8") as fh:
                    request = json.loads(fh.readline())
            except (OSError, ValueError):
                continue  # a probe (ForkServer.ready) or a broken request: nothing to start
            pid = os.fork()
            if pid == 0:
                server.close()
                conn.close()
                _become_kernel(request)
            conn.sendall(f"{pid}\n".encode())


def _become_kernel(request: dict) -> None:  # pragma: no cover - the child process
    code = 1
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the server's reaper is not the kernel's
        os.setsid()  # its own process group: the runner signals the kernel and whatever it starts
        signal.signal(signal.SIGINT, signal.default_int_handler)
        if sys.path and Path(sys.path[0] or ".") == Path.cwd():
            del sys.path[0]  # the server's folder; IPython puts the kernel's own back, as ipykernel_launcher does
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        random.seed()  # a kernel of its own draws its own random numbers, not the server's sequence
        if "numpy" in sys.modules:
            sys.modules["numpy"].random.seed()
        # Its parent is this server, which exits with the runner: the kernel then exits too (ipykernel's poller).
        # Given on the command line: ipykernel read JPY_PARENT_PID when the server imported it.
        sys.argv = ["ipykernel_launcher", *request["argv"], f"--IPKernelApp.parent_handle={os.getppid()}"]
        from ipykernel.kernelapp import launch_new_instance

        launch_new_instance()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 0
    finally:
        os._exit(code)


def _reap(sock: str) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        try:
            _status_file(sock, pid).write_text(str(os.waitstatus_to_exitcode(status)))
        except OSError:  # the runner removed the folder on its way out
            return


class ForkedKernel:
    """The Popen-like handle jupyter_client's provisioner keeps for a forked kernel."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int, sock: str):
        self.pid, self.sock, self.returncode = pid, sock, None

    def poll(self) -> int | None:
        path = _status_file(self.sock, self.pid)
        if self.returncode is None and path.exists():
            text = path.read_text()
            if text:
                self.returncode = int(text)
                path.unlink(missing_ok=True)
        if self.returncode is None:
            try:
                os.kill(self.pid, 0)  # gone without a status: the server died and init reaped it
            except ProcessLookupError:
                self.returncode = -signal.SIGKILL
            except PermissionError:
                pass
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        end = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if end is not None and time.monotonic() > end:
                raise subprocess.TimeoutExpired(["kernel"], timeout)
            time.sleep(0.02)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            try:
                os.kill(self.pid, signum)
            except ProcessLookupError:  # exited meanwhile, as Popen.send_signal tolerates
                pass

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


class ForkServer:
    """The runner's handle on one fork server process."""

    def __init__(self, sock: Path, env: dict[str, str]):
        self.sock = str(sock)
        # a session of its own: a Ctrl-C while it imports (kaohe run starts it before scoring) is the runner's to
        # handle, not a traceback of the server's on the terminal; it exits when the runner does
        self.process = subprocess.Popen([sys.executable, "-m", "kaohe.forkserver", self.sock], env=env,
                                        stdin=subprocess.DEVNULL, start_new_session=True)

    def ready(self, timeout: float = 60) -> bool:
        """Whether the server accepts connections (it has imported everything by then)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end and self.process.poll() is None:
            try:
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
                    probe.connect(self.sock)
                return True
            except OSError:
                time.sleep(0.02)
        return False

    def fork(self, argv: list[str], cwd: str, env: dict[str, str]) -> ForkedKernel:
        """A new kernel: ``argv`` is what follows ``ipykernel_launcher`` in the kernel's command."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(30)
            conn.connect(self.sock)
            conn.sendall((json.dumps({"argv": argv, "cwd": cwd, "env": env}) + "\n").encode())
            with conn.makefile("r") as fh:
                pid = int(fh.readline())
        return ForkedKernel(pid, self.sock)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()


# --- this process's server ----------------------------------------------------------------------------
# Here, not in kaohe.runner: this module imports nothing heavy, so `kaohe run` starts the server before it loads
# the runner (papermill, nbconvert) and scores.

_sockets_lock = threading.Lock()
_sockets: Path | None = None
_sockets_alive: int | None = None  # an fd holding a lock on the folder's .alive file while this process lives
SOCKETS_PREFIX = "kaohe-kernels-"
_ALIVE = ".alive"


def socket_dir() -> Path:
    """A private folder (mkdtemp: 0700, unpredictable name) for this process's kernel sockets. The folders
    of runs that were killed (their lock no longer held) are removed first."""
    global _sockets, _sockets_alive
    with _sockets_lock:
        if _sockets is None or not _sockets.exists():
            _remove_stale_socket_dirs()
            _sockets = Path(tempfile.mkdtemp(prefix=SOCKETS_PREFIX))
            _sockets_alive = _hold(_sockets / _ALIVE)
        return _sockets


def _hold(path: Path) -> int | None:
    """An exclusive lock on ``path`` for as long as this process (or a child it forked) lives; None without
    ``fcntl`` (Windows, where kernels do not use socket files)."""
    try:
        import fcntl
    except ImportError:
        return None
    fd = os.open(path, os.O_CREAT | os.O_RDWR | getattr(os, "O_CLOEXEC", 0), 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return fd


def _remove_stale_socket_dirs(grace: float = 3600) -> None:
    """Socket folders in the temp folder whose run is gone: ours, and either their ``.alive`` lock can be taken
    (its process died) or, with no lock file (an older kaohe), untouched for ``grace`` seconds."""
    try:
        import fcntl
    except ImportError:
        return
    for folder in Path(tempfile.gettempdir()).glob(f"{SOCKETS_PREFIX}*"):
        try:
            if folder.is_symlink() or not folder.is_dir() or folder.stat().st_uid != os.getuid():
                continue
            alive = folder / _ALIVE
            if not alive.exists():
                stale = time.time() - folder.stat().st_mtime > grace
            else:
                fd = os.open(alive, os.O_RDWR | getattr(os, "O_CLOEXEC", 0))
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    stale = True
                except BlockingIOError:
                    stale = False  # a run is using it
                finally:
                    os.close(fd)
            if stale:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue  # another process removed it meanwhile, or it is not ours to look into


_server: ForkServer | None = None
_server_ready = False
_server_failed = False


def server(wait: bool = True) -> ForkServer | None:
    """This process's fork server (started on first use), or None where kernels start the slow way:
    no ``fork`` (Windows), ``KAOHE_FORKSERVER=0``, or a server that did not come up. ``wait=False`` only starts
    it: ``kaohe run`` does so before it imports the runner and scores, so that the server's imports (a second
    and a half) overlap those."""
    global _server, _server_ready, _server_failed
    if os.name != "posix" or os.environ.get("KAOHE_FORKSERVER") == "0" or _server_failed:
        return None
    sockets = socket_dir()
    with _sockets_lock:
        if _server is None or _server.process.poll() is not None:
            env = {**os.environ, **KERNEL_ENV}
            _server, _server_ready = ForkServer(sockets / f"fork-{uuid.uuid4().hex[:8]}", env), False
        if wait and not _server_ready:
            if not _server.ready():
                _server.stop()
                _server, _server_failed = None, True
            else:
                _server_ready = True
        return _server


def start() -> None:
    """Start this process's server without waiting for its imports (``server(wait=False)``); where it cannot
    start now (no socket folder), the first kernel tries again, or starts the usual way."""
    try:
        server(wait=False)
    except OSError:
        pass


def release() -> None:
    """Stop this process's fork server and remove its socket folder (each run does so as it ends)."""
    global _sockets, _server, _sockets_alive
    with _sockets_lock:
        if _server is not None:
            _server.stop()
            _server = None
        if _sockets is not None:
            shutil.rmtree(_sockets, ignore_errors=True)
            _sockets = None
        if _sockets_alive is not None:
            os.close(_sockets_alive)
            _sockets_alive = None


#: Set for every report kernel: a fixed hash seed, no GUI backend, one BLAS thread (kernels run in parallel).
KERNEL_ENV = {"PYTHONHASHSEED": "0", "MPLBACKEND": "Agg", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}


if __name__ == "__main__":  # pragma: no cover
    serve(sys.argv[1])
