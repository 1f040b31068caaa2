"""``kaohe run``: score once, execute the report notebooks with papermill, render standalone HTML.

Choices (see README):
- Kernels run on the interpreter kaohe runs in (never whatever a ``python3`` kernelspec points at),
  with ``PYTHONHASHSEED=0``, over IPC sockets on POSIX (no open ports, no port races between kernels).
- A report is published only when its notebook ran to the end: every code cell executed, no error
  output, and the last cell showed :data:`kaohe.html.END_MARKER`. ``sys.exit(0)`` in a cell, a dead
  kernel or a cell over the time limit is a failure even when papermill returns normally.
- Files are written to a staging folder and moved into place, so a failed unit never overwrites the
  previous good report; its executed notebook is kept as ``units/<unit>.failed.ipynb``.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from queue import Empty

import nbformat
import pandas as pd
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner
from markupsafe import Markup, escape
from nbconvert import HTMLExporter
from papermill.translators import PythonTranslator, papermill_translators
from tqdm import tqdm
from traitlets import DottedObjectName, Type, default

from . import fonts, forkserver, snapshot
from .assessment import Assessment, assess
from .comparison import Comparison, compare_params
from .config import DEFAULT_TIMEOUT, Run
from .errors import KaoheError
from .files import (
    headed,
    neutralise,
    os_error_text,
    write_bytes_atomic,
    write_csv_atomic,
    write_text_atomic,
    xlsx_bytes,
)
from .forkserver import KERNEL_ENV
from .html import END_MARKER, cell, link, table, unit_files
from .numbers import fmt
from .printing import chromium, print_pdfs
from .provenance import copy_names, sha256, versions
from .rules import get_kind, shown_ids
from .scoring import scores_table
from .word import scores_document

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
TEMPLATES = Path(__file__).resolve().parent / "templates"


# --- kernels ----------------------------------------------------------------------------------------


class ForkProvisioner(LocalProvisioner):
    """Starts the kernel as a child of the fork server instead of a new interpreter."""

    async def launch_kernel(self, cmd: list[str], **kwargs):
        server = forkserver.server()
        if server is None:
            return await super().launch_kernel(cmd, **kwargs)
        cwd = str(kwargs.get("cwd") or os.getcwd())
        argv = cmd[cmd.index("ipykernel_launcher") + 1:]  # -f and nbclient's options (history in memory …)
        self.process = server.fork(argv, cwd, dict(kwargs.get("env") or os.environ))
        self.pid = self.pgid = self.process.pid  # the child calls setsid: its pid is its group
        self.cwd = cwd
        return self.connection_info


class HereKernelClient(AsyncKernelClient):
    """jupyter_client's client, less an idle fifth of a second per report.

    ``wait_for_ready`` asks for ``kernel_info`` until the kernel replies and IOPub has delivered a message (so no
    output of the first cell can be lost), as jupyter_client's does. jupyter_client's then drains IOPub until
    0.2 s pass without a message: every kernel start waited that long. Here IOPub is drained of what has already
    arrived; a status message of the ``kernel_info`` requests that comes later is not a child of any cell's
    request, and nbclient reads only those."""

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        end = time.monotonic() + (float("inf") if timeout is None else timeout)
        while True:
            self.kernel_info()
            try:
                reply = await self.shell_channel.get_msg(timeout=1)
            except Empty:
                reply = None
            if reply is not None and reply["msg_type"] == "kernel_info_reply":
                try:
                    await self.iopub_channel.get_msg(timeout=0.2)
                except Empty:
                    pass  # IOPub not connected yet: ask again
                else:
                    self._handle_kernel_info_reply(reply)
                    break
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > end:
                raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")
        while True:
            try:
                await self.iopub_channel.get_msg(timeout=0)
            except Empty:
                break


class HereKernelManager(AsyncKernelManager):
    """A kernel on this interpreter with a fixed hash seed, over an IPC socket of its own."""

    client_class = DottedObjectName("kaohe.runner.HereKernelClient")
    client_factory = Type(HereKernelClient, klass=AsyncKernelClient)

    @default("transport")
    def _transport_default(self):
        return "ipc" if os.name == "posix" else "tcp"

    @default("ip")
    def _ip_default(self):
        if self.transport != "ipc":
            return super()._ip_default()
        return str(forkserver.socket_dir() / uuid.uuid4().hex[:12])

    @property
    def kernel_spec(self) -> KernelSpec:
        if self._kernel_spec is None:
            self._kernel_spec = KernelSpec(
                argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                display_name=f"kaohe ({sys.executable})", language="python", env=dict(KERNEL_ENV))
        return self._kernel_spec

    async def _async_pre_start_kernel(self, **kw):
        if self.provisioner is None:  # a fresh child of the fork server (kaohe/forkserver.py) where there is one
            self.kernel_id = self.kernel_id or kw.pop("kernel_id", str(uuid.uuid4()))
            self.provisioner = ForkProvisioner(kernel_id=self.kernel_id, kernel_spec=self.kernel_spec, parent=self)
        return await super()._async_pre_start_kernel(**kw)

    # jupyter_client interrupts a kernel (SIGINT) before asking it to shut down. After a notebook ran to the end
    # the kernel has nothing to interrupt, but it may still be inside the handler of the request papermill has
    # just had the reply to (its closing kernel_info_request), where ipykernel lets SIGINT through: the signal
    # lands there and the kernel prints "[IPKernelApp] ERROR | KeyboardInterrupt caught in kernel." on the run's
    # stderr. So shutting down asks first; only a kernel still busy after SHUTDOWN_GRACE (a cell over its time
    # limit) is interrupted, then terminated and killed as jupyter_client does.
    _still_busy = False

    async def _async_interrupt_kernel(self) -> None:
        if not self.shutting_down or self._still_busy:
            await super()._async_interrupt_kernel()

    async def _async_finish_shutdown(self, waittime=None, pollinterval=0.1, restart=False) -> None:
        try:
            # polled often: an idle kernel exits within a few milliseconds, and jupyter_client polls every 0.1 s
            await asyncio.wait_for(self._async_wait(pollinterval=SHUTDOWN_POLL), timeout=SHUTDOWN_GRACE)
        except TimeoutError:
            if self.has_kernel:
                self._still_busy = True
                await self._async_interrupt_kernel()
        await super()._async_finish_shutdown(waittime, pollinterval, restart)


#: Seconds a kernel asked to shut down has to exit before it is interrupted (an idle one exits well within this).
SHUTDOWN_GRACE = 2.0
#: Seconds between two looks at whether a kernel asked to shut down has exited.
SHUTDOWN_POLL = 0.01


class ChineseTranslator(PythonTranslator):
    """Injected string parameters as Python literals that keep Chinese readable (not ``\\uXXXX``)."""

    @classmethod
    def translate_str(cls, val):
        return repr(val)

    @classmethod
    def comment(cls, cmt_str):
        return "# 参数（由 kaohe run 注入）" if cmt_str == "Parameters" else super().comment(cmt_str)


papermill_translators.register("python", ChineseTranslator)


# --- one notebook -----------------------------------------------------------------------------------

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def traceback_of(nb) -> str:
    """The traceback of a notebook's first error output, as plain text (IPython colours it)."""
    for c in nb.cells if nb is not None else ():
        for out in c.get("outputs", []):
            if out.get("output_type") == "error":
                return _ANSI.sub("", "\n".join(out.get("traceback", [])) or f"{out.get('ename')}: {out.get('evalue')}")
    return ""


def incomplete(nb) -> str | None:
    """Why an executed notebook did not run to the end, or None when it did."""
    code = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]  # nbclient skips blank cells
    for c in code:
        for out in c.get("outputs", []):
            if out.get("output_type") == "error":
                return f"{out.get('ename')}: {out.get('evalue')}"
    skipped = [i for i, c in enumerate(code) if c.get("execution_count") is None]
    if skipped:
        return f"有 {len(skipped)} 个代码单元未运行（笔记本中途停止）"
    last = code[-1].get("outputs", []) if code else []
    if not any(END_MARKER in json.dumps(o.get("data", {}), ensure_ascii=False) for o in last):
        return "最后一个单元没有输出报告结束标记（笔记本未运行到最后）"
    return None


def _literal(path: Path) -> str:
    """``path`` for papermill, which runs ``str.format(**parameters)`` on it: braces doubled."""
    return str(path).replace("{", "{{").replace("}", "}}")


def execute(source: Path, target: Path, parameters: dict, timeout: int,
            clock: dict | None = None) -> tuple[object, str | None]:
    """Run ``source`` into ``target``; returns the executed notebook and the failure, if any. A
    ``shown_params`` entry of ``parameters`` is not passed to the notebook: it is the params path the
    published notebook names (:func:`reproducible`). ``clock`` (``KAOHE_TIMINGS=1``) receives when the
    kernel was ready, each cell started and the last one ended (:func:`phases`)."""
    import papermill as pm  # imported here: importing papermill is slow and only run needs it
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    parameters = dict(parameters)
    shown = parameters.pop("shown_params", None)

    for attempt in range(1, START_ATTEMPTS + 1):
        failure, seen = None, {}

        # nbclient's hooks: the notebook being executed (the object papermill returns, and also the one it marks a
        # cell error in before raising; kept here for a timeout or a dead kernel) and whether any cell started.
        def keep(notebook, seen=seen, **_):
            seen["nb"] = notebook
            if clock is not None:
                clock["ready"], clock["cells"] = time.perf_counter(), []

        def started(seen=seen, cell_index=None, **_):
            seen["cell"] = True
            if clock is not None:
                clock["cells"].append((cell_index, time.perf_counter()))

        def executed(**_):
            if clock is not None:
                clock["last"] = time.perf_counter()

        if clock is not None:
            clock["start"] = time.perf_counter()

        try:
            # The kernel starts in the notebook's folder through nbclient's resources; papermill's own `cwd`
            # would chdir this whole process, which breaks the relative paths of the other threads.
            # No output path: papermill writes no file (it still serialises the notebook once, to nowhere); the
            # notebook is made reproducible and written once, below, instead of written, read back and rewritten.
            # papermill formats the path with the parameters: braces in a folder or unit name are literal
            pm.execute_notebook(_literal(source), None, parameters=parameters,
                                kernel_manager_class=HereKernelManager, progress_bar=False,
                                execution_timeout=timeout, start_timeout=120, request_save_on_cell_execute=False,
                                resources={"metadata": {"path": str(source.parent)}},
                                on_notebook_start=keep, on_cell_start=started, on_cell_executed=executed)
        except pm.PapermillExecutionError:
            pass  # the error is in the executed notebook; incomplete() reads it from there
        except Exception as exc:  # any failure of one unit is reported, the others go on
            failure = _explain(exc, timeout)
            # A kernel that failed to start ran nothing: start another (a busy machine, a lost socket).
            if attempt < START_ATTEMPTS and "cell" not in seen and not isinstance(exc, (CellTimeoutError, DeadKernelError)):
                continue
        break
    if clock is not None:
        clock["checked"] = time.perf_counter()  # papermill is done; the notebook is made reproducible and written next
    nb = seen.get("nb")
    if nb is None:  # the kernel never started
        return None, failure or "笔记本未生成"
    reproducible(nb, shown)
    nbformat.write(nb, target)
    return nb, failure or incomplete(nb)


_TIMES = ("start_time", "end_time", "duration")


def reproducible(nb, shown_params: str | None = None) -> None:
    """Take out of an executed notebook what differs between two runs of the same inputs: papermill's and
    nbclient's times, papermill's random cell id and the temporary paths. The cache parameter becomes None:
    it named a temporary file, and a rerun of the published notebook with None scores from ``params``, which
    becomes ``shown_params`` (the params file relative to the project folder, not an absolute path that
    differs between machines and copies of the project)."""
    pm = nb.metadata.get("papermill", {})
    for key in (*_TIMES, "input_path", "output_path"):
        pm.pop(key, None)
    if "cache" in pm.get("parameters", {}):
        pm["parameters"]["cache"] = None
    if shown_params is not None and "params" in pm.get("parameters", {}):
        pm["parameters"]["params"] = shown_params
    for i, c in enumerate(nb.cells):
        c.metadata.pop("execution", None)
        for key in _TIMES:
            c.metadata.get("papermill", {}).pop(key, None)
        tags = c.metadata.get("tags", [])
        if "papermill-error-cell-tag" in tags:  # the cells papermill adds to point at an error
            c["id"] = f"papermill-error-{i}"
        if "injected-parameters" in tags:
            c["id"] = "injected-parameters"
            c.source = re.sub(r"^cache = .*$", "cache = None", c.source, flags=re.M)
            if shown_params is not None:
                c.source = re.sub(r"^params = .*$", lambda _: f"params = {ChineseTranslator.translate_str(shown_params)}",
                                  c.source, flags=re.M)


#: How many times a report's kernel is started when it fails before running any cell.
START_ATTEMPTS = 3


def _explain(exc: Exception, timeout: int) -> str:
    name = type(exc).__name__
    if "Timeout" in name:
        return f"{name}: 单元格运行超过 {timeout} 秒的时限，已停止"
    if name == "DeadKernelError":
        return f"{name}: 内核意外退出（可能内存不足或被终止）"
    text = str(exc).strip()
    return f"{name}: {text.splitlines()[-1] if text else ''}"


_exporters = threading.local()


class ReportExporter(HTMLExporter):
    """nbconvert's HTMLExporter less two passes that took most of a report's export (measured: about two
    thirds) and change nothing in a kaohe page:

    - after rendering, HTMLExporter parses the whole page with BeautifulSoup to give an image without alt text
      an English placeholder and the output areas a ``tabindex``, then writes the page out again (character
      references to non-ASCII characters written as the characters). Every chart kaohe draws has its alt text;
      the ``tabindex`` and the characters are written here with two regular expressions;
    - nbconvert validates the notebook after each of its preprocessors: once at the end is nbconvert's own
      ``optimistic_validation`` (the notebook was validated when it was written, too).

    ``tests/test_reports.py`` checks that a report page is the same document as HTMLExporter's."""

    def __init__(self, **kw):
        super().__init__(optimistic_validation=True, **kw)

    def from_notebook_node(self, nb, resources=None, **kw):
        from nbconvert.exporters.templateexporter import TemplateExporter
        from nbconvert.filters.highlight import Highlight2HTML
        from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

        # what HTMLExporter.from_notebook_node does before rendering (nbconvert 7)
        langinfo = nb.metadata.get("language_info", {})
        lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
        self.register_filter("highlight_code", self.filters.get("highlight_code",
                                                                Highlight2HTML(pygments_lexer=lexer, parent=self)))
        resources = self._init_resources(resources)
        self.register_filter("filter_data_type", WidgetsDataTypeFilter(notebook_metadata=self._nb_metadata,
                                                                       parent=self, resources=resources))
        body, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
        body = _NON_ASCII_REFERENCE.sub(_character, body)
        return _FOCUSABLE.sub(r'<div \1 tabindex="0"', body), resources


#: A character reference to a character outside ASCII (the markdown cells' headings come out so): written as the
#: character, as the BeautifulSoup pass did, so the page's source reads (and greps) as the text it shows.
_NON_ASCII_REFERENCE = re.compile(r"&#(\d{3,7});")


def _character(m: re.Match) -> str:
    code = int(m.group(1))
    # from U+00A0: references in 128-159 mean cp1252 characters to an HTML parser, not C1 controls
    return chr(code) if 0xA0 <= code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else m.group(0)


#: The cells' input wrappers and the output areas as the lab template opens them: HTMLExporter makes them
#: focusable (keyboard users scroll a wide table), and so does ReportExporter.
_FOCUSABLE = re.compile(r'<div ((?:id="[^"]*" )?class="(?:jp-Cell-inputWrapper|[^"]*\bjp-OutputArea-output\b[^"]*)")')


def css_string(text: str) -> str:
    """``text`` for inside a double-quoted CSS string: quotes, backslashes, line breaks and ``<`` escaped as
    CSS escapes (so it can end neither the string nor the ``<style>`` element)."""
    return "".join(f"\\{ord(ch):x} " if ch in '"\\<>&\n\r' else ch for ch in text)


def render(nb, title: str, show_code: bool) -> str:
    """The executed notebook as one standalone HTML page; ``title`` is its title and the running header of
    every printed page."""
    # One exporter per thread and setting: building one loads and compiles the templates again.
    cache = _exporters.__dict__.setdefault("by_setting", {})
    exporter = cache.get(show_code)
    if exporter is None:
        exporter = cache[show_code] = ReportExporter(
            template_name="kaohe", extra_template_basedirs=[str(TEMPLATES)], exclude_input=not show_code,
            exclude_input_prompt=True, exclude_output_prompt=True, language_code="zh")
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title},
                                                         "print_header": css_string(title)})
    return body


@dataclass
class Produced:
    """One executed notebook: its HTML when it ran to the end, the executed notebook, the failure."""

    html: str | None
    notebook: bytes | None
    failure: str | None
    seconds: float = 0.0  # executing and rendering, for the run log
    traceback: str = ""  # of a failure, for the index
    phases: dict | None = None  # with KAOHE_TIMINGS=1: where the seconds went (:func:`phases`)


def timings_asked() -> bool:
    """``KAOHE_TIMINGS=1``: each report's time split into phases, into the run log (for ``make bench``)."""
    return os.environ.get("KAOHE_TIMINGS") == "1"


#: The phase of the cells before a notebook's first section heading.
PRELUDE = "载入（参数与计分结果）"


def phases(clock: dict, nb, executed: float) -> dict:
    """Seconds per phase of one executed notebook from ``execute``'s ``clock``: starting the kernel (papermill's
    setup included), each section's cells (by the notebook's ``##`` headings) and what follows the last cell
    (papermill's closing kernel_info and serialisation, stopping the kernel); ``executed`` is when ``execute``
    returned."""
    marks = clock.get("cells", [])
    out = {"kernel_start": clock.get("ready", executed) - clock.get("start", executed), "sections": {}}
    where, heading = {}, PRELUDE
    for i, c in enumerate(nb.cells if nb is not None else ()):
        if c.cell_type == "markdown" and c.source.startswith("## "):
            heading = c.source.splitlines()[0][3:].strip()
        where[i] = heading
    ends = [t for _, t in marks[1:]] + [clock.get("last", executed)]
    for (i, t), end in zip(marks, ends):
        out["sections"][where.get(i, PRELUDE)] = out["sections"].get(where.get(i, PRELUDE), 0.0) + end - t
    out["after_cells"] = executed - (clock.get("last") or clock.get("ready") or executed)
    return out


def produce(source: Path, target: Path, parameters: dict, title: str, timeout: int, show_code: bool) -> Produced:
    """Run ``source`` into ``target`` and render it when it ran to the end (here, or on a Dask worker)."""
    start, nb = time.perf_counter(), None
    clock = {} if timings_asked() else None
    try:
        nb, failure = execute(source, target, parameters, timeout, clock)
        executed = time.perf_counter()
        html = render(nb, title, show_code) if failure is None else None
    except Exception as exc:  # rendering: this report fails, the others go on
        html, failure = None, f"{type(exc).__name__}: {exc}"
    p = Produced(html, target.read_bytes() if target.exists() else None, failure, time.perf_counter() - start,
                 traceback_of(nb) if failure else "")
    if clock is not None and nb is not None:
        p.phases = {**phases(clock, nb, clock.get("checked", executed)), "export": time.perf_counter() - executed}
        p.phases["notebook_write"] = executed - clock.get("checked", executed)
    return p


def write_produced(p: Produced, dest: Path, name: str) -> str | None:
    """Publish ``dest/<name>.html`` and the executed notebook only for a complete run; a failure keeps
    ``<name>.failed.ipynb`` and leaves the previous good report in place. Returns the failure, or None."""
    try:
        if p.failure is None:
            write_text_atomic(dest / f"{name}.html", p.html)
            write_bytes_atomic(dest / f"{name}.ipynb", p.notebook)
            (dest / f"{name}.failed.ipynb").unlink(missing_ok=True)
            (dest / f"{name}.pdf").unlink(missing_ok=True)  # an earlier print of the old report (--pdf prints anew)
        elif p.notebook is not None:
            write_bytes_atomic(dest / f"{name}.failed.ipynb", p.notebook)
        return p.failure
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"


def publish(source: Path, stage: Path, dest: Path, name: str, parameters: dict, title: str, timeout: int,
            show_code: bool) -> tuple[str | None, float, str, dict | None]:
    """Run ``source`` into ``stage/<name>.ipynb`` and publish it (:func:`write_produced`); returns the failure,
    the seconds it took, the failure's traceback and its phases (``KAOHE_TIMINGS=1``)."""
    p = produce(source, stage / f"{name}.ipynb", parameters, title, timeout, show_code)
    return _written(p, dest, name)


def _written(p: Produced, dest: Path, name: str) -> tuple[str | None, float, str, dict | None]:
    start = time.perf_counter()
    failure = write_produced(p, dest, name)
    if p.phases is not None:
        p.phases["write"] = time.perf_counter() - start
    return failure, p.seconds, p.traceback, p.phases


def on_worker(notebook: bytes, cache: bytes, parameters: dict, title: str, timeout: int, show_code: bool) -> Produced:
    """A report on a Dask worker: the notebook and the pickled assessment (the unit's slice of it) arrive as
    bytes, so the worker need not see the run's files."""
    with tempfile.TemporaryDirectory(prefix="kaohe-report-") as tmp:
        source, pickled = Path(tmp) / "report.ipynb", Path(tmp) / "assessment.pickle"
        source.write_bytes(notebook)
        pickled.write_bytes(cache)
        return produce(source, Path(tmp) / "executed.ipynb", {**parameters, "cache": str(pickled)}, title, timeout,
                       show_code)


# --- the whole run ----------------------------------------------------------------------------------

@dataclass
class UnitStatus:
    unit: str
    file: str
    state: str  # 已生成 / 失败 / 本次未生成
    error: str = ""
    traceback: str = ""


@dataclass
class RunOutcome:
    folder: Path
    statuses: dict[str, UnitStatus] = field(default_factory=dict)
    summary_error: str = ""
    summary_traceback: str = ""
    #: ``--pdf``: prints that failed (path in the run folder -> why); their HTML reports stand
    pdf_failed: dict[str, str] = field(default_factory=dict)
    #: SHA-256 of manifest.json, printed at the end of the run and written into index.html and scores.docx
    fingerprint: str = ""

    @property
    def failed(self) -> list[str]:
        return [s.unit for s in self.statuses.values() if s.state == "失败"]

    @property
    def index(self) -> Path:
        return self.folder / "index.html"


def output_folder(a: Assessment, out_dir: Path) -> Path:
    """``<out>/<run>/<year>/``; a run with an as-of date gets its own folder so it never replaces the
    full-year reports."""
    year = str(a.run.config.year) + (f"-as-of-{a.as_of.isoformat()}" if a.as_of else "")
    return out_dir / a.run.config.name / year


def run(params: str | Path, units: list[str] | None = None, jobs: int = 1, as_of: str | date | None = None,
        show_code: bool = False, out_dir: str | Path = "outputs", timeout: int = DEFAULT_TIMEOUT,
        notebooks: Path | None = None, progress: bool = True, log: Callable[[str], None] | None = None,
        scheduler: str | None = None, pdf: bool = False, replace: dict | None = None,
        shown_params: str | None = None) -> RunOutcome:
    """Score once, then write every report of the run. See the module docstring for the rules.

    ``scheduler`` (``tcp://host:port``) runs the notebooks on the workers of that Dask cluster instead of
    ``jobs`` local threads; the files written here are the same. ``pdf`` also prints each report made now,
    and the summary, to PDF (A4) with headless Chromium. ``replace`` and ``shown_params`` are for
    ``kaohe verify --rebuild``: the params file's fields replaced (:class:`kaohe.config.Run`), and the params
    path the reports show instead of :func:`shown_path`'s.
    """
    notebooks = notebooks or NOTEBOOKS
    marks = {"begin": time.perf_counter()}  # the run's phases, for the log (KAOHE_TIMINGS=1: per report too)
    browser = chromium() if pdf else None
    if pdf:
        fonts.print_fonts()  # a bad KAOHE_FONT_DIR is said now, not after every notebook ran
    try:
        if not scheduler:
            forkserver.start()  # the kernels' imports meanwhile (kaohe run has started it already)
        with snapshot.recording() as held:  # the inputs' bytes as scored: hashed, and copied into inputs/ at the end
            a = assess(params, as_of, replace=replace)
        marks["scored"] = time.perf_counter()
        shown = shown_params or shown_path(a.run)
        everyone = a.units
        chosen = list(dict.fromkeys(units)) if units else everyone  # a name given twice runs once
        unknown = [u for u in chosen if u not in set(everyone)]
        if unknown:
            raise KaoheError(f"--units 中的单位不在本次考核的计分范围内：{'、'.join(unknown)}")
        for name in ("unit_report.ipynb", "summary.ipynb"):
            if not (notebooks / name).exists():
                raise KaoheError(f"找不到报告笔记本 {notebooks / name}")
        final = output_folder(a, Path(out_dir).absolute())
        files = unit_files(everyone)
        started, clock = datetime.now(UTC), time.perf_counter()
        seconds: dict[str | None, float] = {}
        phases_: dict[str, dict | None] = {}
        lock = _lock(final)  # one run at a time into a folder
    except BaseException:  # no run: the server started above goes too
        forkserver.release()
        raise
    # the run is built here and swapped in whole at the end; removed if anything stops it, seeding included
    folder = final.parent / f".{final.name}.building-{os.getpid()}"
    outcome = RunOutcome(folder)
    finishing = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kaohe-finish")
    try:
        _start_build(final, lock, folder)
        # The tables and the 通报 do not depend on the reports: made while they run (the 通报's fingerprint last),
        # not after them on one core.
        tables, bulletin = finishing.submit(_write_tables, a, folder), finishing.submit(scores_document, a)
        stage = folder / ".staging"
        (stage / "units").mkdir(parents=True)
        cache = stage / "assessment.pickle"
        a.for_summary().save(cache)  # the summary's; each unit gets its own slice below
        common = {"params": str(a.run.path), "as_of": a.as_of.isoformat() if a.as_of else None, "cache": str(cache),
                  "shown_params": shown}
        # Each unit's kernel loads its own slice, written when its job is submitted: a small pickle whatever N.
        (stage / "caches").mkdir()

        def sliced(unit: str) -> str:
            path = stage / "caches" / f"{files[unit]}.pickle"
            a.slice(unit).save(path)
            return str(path)

        def title(unit: str | None) -> str:  # also each printed page's header: the unit and its rubric
            return (f"{a.run.config.title}：汇总" if unit is None else
                    f"{unit}：{a.run.config.title}（{a.rubric_of(unit).ref}）")

        def source(unit: str | None) -> Path:
            return notebooks / ("summary.ipynb" if unit is None else "unit_report.ipynb")

        if scheduler:  # the same jobs on the workers of a Dask cluster; files are written here
            from distributed import Client
            from distributed import as_completed as dask_completed

            try:
                client = Client(scheduler, set_as_default=False, timeout="30s")
            except (OSError, TimeoutError) as exc:
                raise KaoheError(f"无法连接 Dask 调度器 {scheduler}：{exc}") from None
            window = 2 * max(1, sum(client.nthreads().values()))
            blobs = {name: client.scatter((notebooks / name).read_bytes(), broadcast=True)
                     for name in ("unit_report.ipynb", "summary.ipynb")}

            def submit(unit: str | None, params_: dict):
                pickled = Path(params_["cache"]).read_bytes()
                return client.submit(on_worker, blobs[source(unit).name], pickled, params_, title(unit), timeout,
                                     show_code, pure=False, key=f"kaohe-{uuid.uuid4().hex}")

            def collect(fut, dest: Path, name: str) -> tuple[str | None, float, str, dict | None]:
                try:
                    produced = fut.result()
                except Exception as exc:  # a worker died or the task was lost: this report fails, not the run
                    produced = Produced(None, None, f"{type(exc).__name__}: {exc}")
                fut.release()  # the cluster forgets it; nothing of a written report stays in memory
                return _written(produced, dest, name)

            def first_done(fs):  # distributed.wait needs a default client; none is set
                return {next(iter(dask_completed(fs, loop=client.loop)))}
        else:
            client, pool = None, ThreadPoolExecutor(max_workers=max(1, jobs))
            window = 2 * max(1, jobs)

            def submit(unit: str | None, params_: dict):
                where, dest, name = ((stage / "units", folder / "units", files[unit]) if unit else
                                     (stage, folder, "summary"))
                return pool.submit(publish, source(unit), where, dest, name, params_, title(unit), timeout, show_code)

            def collect(fut, dest: Path, name: str) -> tuple[str | None, float, str, dict | None]:
                return fut.result()  # written by the thread: the future keeps only the failure and the time

            def first_done(fs):
                return wait(fs, return_when=FIRST_COMPLETED).done

        marks["submit"], slots = time.perf_counter(), window // 2
        bar = tqdm(total=len(chosen) + 1, desc="生成报告", unit="份", disable=not progress, file=sys.stderr)
        in_flight: dict = {}
        todo = iter(chosen)
        # The summary links only reports that exist, so it is written for the reports expected (those made now
        # and those kept from before) while the units run, and again at the end in the rare run where a unit failed
        # and no earlier report of it is kept.
        made_now = set(chosen)
        expected = [u for u in everyone if u in made_now or (folder / "units" / f"{files[u]}.html").exists()]
        summary = None
        try:
            summary = submit(None, {**common, "published": expected})
            # A few jobs ahead of the workers, not all of them: the client holds only what is in flight.
            while True:
                while len(in_flight) < window and (unit := next(todo, None)) is not None:
                    in_flight[submit(unit, {**common, "unit": unit, "cache": sliced(unit)})] = unit
                if not in_flight:
                    break
                for fut in first_done(list(in_flight)):
                    unit = in_flight.pop(fut)
                    failure, seconds[unit], trace, phases_[unit] = collect(fut, folder / "units", files[unit])
                    bar.update()
                    outcome.statuses[unit] = UnitStatus(unit, files[unit], "失败" if failure else "已生成", failure or "",
                                                        trace)
                    if failure and log:
                        log(f"失败：{unit}——{failure}")
            for u in everyone:
                outcome.statuses.setdefault(u, UnitStatus(u, files[u], "本次未生成"))
            published = [u for u in everyone if (folder / "units" / f"{files[u]}.html").exists()]
            marks["reports"] = time.perf_counter()
            failure, seconds[None], trace, _ = collect(summary, folder, "summary")
            if published != expected:  # a unit failed with no earlier report: the summary again, without its link
                for ext in ("html", "ipynb"):  # the first one's, lest it stand if this one fails
                    (folder / f"summary.{ext}").unlink(missing_ok=True)
                failure, seconds[None], trace, _ = collect(submit(None, {**common, "published": published}), folder,
                                                           "summary")
            marks["summary"] = time.perf_counter()
            outcome.summary_error, outcome.summary_traceback = failure or "", trace
        except BaseException:  # Ctrl-C: start no more notebooks
            for fut in [*in_flight, *([summary] if summary is not None else [])]:
                fut.cancel()
            if client is None:  # the running ones finish (as the CLI says) before the build is removed,
                pool.shutdown(wait=True, cancel_futures=True)  # or they would write into it as it goes
            raise
        finally:
            if client is not None:
                client.close()
            else:
                pool.shutdown(wait=False, cancel_futures=True)
        bar.update()
        bar.close()
        if outcome.summary_error and log:
            log(f"失败：汇总——{outcome.summary_error}")
        # Printed here, on the client, with --scheduler too: the workers send each report's HTML back and need no
        # browser; the client's printers (kaohe.printing) print page after page.
        if browser:
            made = [(folder / "units" / f"{files[u]}.html", title(u)) for u, s_ in outcome.statuses.items()
                    if s_.state == "已生成"]
            outcome.pdf_failed = print_pdfs(browser, made + ([(folder / "summary.html", title(None))]
                                                             if not outcome.summary_error else []), folder, final, jobs)
            for name, why in outcome.pdf_failed.items():
                if log:
                    log(f"PDF 未生成：{name}——{why}")
        marks["printed"] = time.perf_counter()
        tables.result()
        _copy_inputs(a, folder, held)
        shutil.rmtree(stage)
        outcome.fingerprint = _write_manifest(a, folder, notebooks, outcome, shown, show_code)
        # the two files that carry the manifest's fingerprint, so they are not listed in it (verify remakes them)
        write_text_atomic(folder / "index.html", index_html(a, outcome, outcome.fingerprint))
        write_bytes_atomic(folder / "scores.docx", bulletin.result()(outcome.fingerprint))
        _swap(folder, final)
        outcome.folder = final
    finally:
        try:
            finishing.shutdown(wait=True, cancel_futures=True)  # nothing writes into the folder as it is removed
        finally:  # a second Ctrl-C during that wait still cleans up
            if folder.exists():  # interrupted or failed: the previous run stays as it was
                shutil.rmtree(folder, ignore_errors=True)
            forkserver.release()
            if lock is not None:
                lock.close()  # releases the lock
    marks["end"] = time.perf_counter()
    run_phases = {name: marks[b] - marks[a] for name, a, b in (
        ("score", "begin", "scored"), ("setup", "scored", "submit"), ("reports", "submit", "reports"),
        ("summary", "reports", "summary"), ("pdf", "summary", "printed"), ("finish", "printed", "end"))}
    timings = {"slots": slots, "run": run_phases, "units": phases_} if timings_asked() else None
    _write_log(final, started, time.perf_counter() - clock, outcome, seconds, jobs, scheduler,
               run_phases["pdf"] if pdf else None, timings)
    return outcome


# --- building a run beside the last one -------------------------------------------------------------

def _lock(final: Path):
    """An exclusive lock on ``.<year>.lock`` beside the run folder, held for the whole run (released when the
    process ends, however it ends). A second run into the same folder is refused rather than left to lose
    one run's reports in the swap. None where ``fcntl`` is missing (Windows): no such protection there."""
    try:
        import fcntl
    except ImportError:
        return None
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        fh = open(final.parent / f".{final.name}.lock", "w")  # held until the run ends
    except OSError as exc:
        raise KaoheError(f"无法写入输出目录 {final.parent}：{os_error_text(exc)}") from exc
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        fh.close()
        raise KaoheError(f"另一个 kaohe run 正在写入 {final}：请等它结束后再运行") from None
    return fh


def _start_build(final: Path, lock, build: Path) -> None:
    """``build``, a hidden folder beside ``final`` to build the run in, holding the previous run's unit reports (hard
    links: a report this run does not replace stays, as "上次的报告"). With the folder's lock held, any
    ``.<year>.building-*`` or ``.<year>.old-*`` left beside it is from a run that was killed: cleared, and a
    previous run caught between the two renames of a swap is put back."""
    parent = final.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        leftovers = sorted(parent.glob(f".{final.name}.building-*")) + sorted(parent.glob(f".{final.name}.old-*"))
        for left in leftovers if lock is not None else ():
            if left.name.startswith(f".{final.name}.old-") and not final.exists():
                left.rename(final)
            else:
                shutil.rmtree(left, ignore_errors=True)
        shutil.rmtree(build, ignore_errors=True)
        (build / "units").mkdir(parents=True)
        if (final / "units").is_dir():
            for f in (final / "units").iterdir():
                if f.is_file() and not f.name.startswith("."):
                    try:
                        os.link(f, build / "units" / f.name)
                    except OSError:  # a file system without hard links
                        shutil.copy2(f, build / "units" / f.name)
    except OSError as exc:
        raise KaoheError(f"无法写入输出目录 {parent}：{os_error_text(exc)}") from exc


def _swap(build: Path, final: Path) -> None:
    """Put the finished run in place of the previous one: two renames, the old folder then removed."""
    old = final.with_name(f".{final.name}.old-{os.getpid()}")
    try:
        if final.exists():
            final.rename(old)
        build.rename(final)
    except OSError as exc:
        if old.exists() and not final.exists():
            old.rename(final)
        raise KaoheError(f"无法替换输出目录 {final}：{os_error_text(exc)}") from exc
    shutil.rmtree(old, ignore_errors=True)


def _write_log(final: Path, started: datetime, wall: float, outcome: RunOutcome, seconds: dict, jobs: int,
               scheduler: str | None, pdf_seconds: float | None = None, timings: dict | None = None) -> None:
    """When the run happened and how long each report took: kept out of the reports (which must be the same
    bytes for the same inputs), in ``<out>/<run>/logs/``. A log that cannot be written never fails the run."""
    log = {"folder": final.name, "started": started.isoformat(timespec="seconds"), "interpreter": sys.executable,
           "seconds": round(wall, 3), "jobs": jobs, "scheduler": scheduler,
           "summary": {"seconds": round(seconds.get(None, 0.0), 3), "error": outcome.summary_error},
           "units": {u: {"state": outcome.statuses[u].state, "seconds": round(seconds[u], 3)}
                     for u in outcome.statuses if u in seconds}}
    if pdf_seconds is not None:
        log["pdf_seconds"] = round(pdf_seconds, 3)
    if timings is not None:
        log["timings"] = _rounded(timings)
    try:
        write_text_atomic(final.parent / "logs" / f"{final.name}-{started:%Y%m%dT%H%M%SZ}-{os.getpid()}.json",
                          json.dumps(log, ensure_ascii=False, indent=2) + "\n")
    except KaoheError:
        pass


def _rounded(value):
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value


@dataclass
class CompareOutcome:
    folder: Path
    comparison: Comparison
    error: str = ""

    @property
    def html(self) -> Path:
        return self.folder / "compare.html"


def compare_folder(c: Comparison, out_dir: Path) -> Path:
    """``<out>/<run>/compare/<A>_vs_<B>[-as-of-<date>]/``."""
    name = f"{c.a.rubric.ref}_vs_{c.b.rubric.ref}" + (f"-as-of-{c.as_of.isoformat()}" if c.as_of else "")
    return out_dir / c.run.config.name / "compare" / name


def report_folder(source: Path, folder: Path, stem: str, save, pickle_name: str, parameters: dict, title: str,
                  timeout: int, show_code: bool, tables, about: dict, inputs: list[dict]) -> str:
    """One notebook's report folder (``kaohe compare``, ``kaohe robustness``): the analysis pickled by ``save``
    into a staging folder (its path fills ``parameters["cache"]``), the notebook published as ``stem``.html,
    the CSV files of ``tables()`` and a manifest headed by ``about``. Returns the notebook's error, if any."""
    folder.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".staging-", dir=folder))
    try:
        cache = stage / pickle_name
        save(cache)
        parameters = {**parameters, "cache": str(cache)}
        error = publish(source, stage, folder, stem, parameters, title, timeout, show_code)[0] or ""
        for name, frame in tables().items():
            write_csv_atomic(folder / name, frame)
        manifest = {**about, "inputs": [{k: f[k] for k in ("role", "name", "sha256")} for f in inputs],
                    "notebooks": _listing(folder, [source]), "software": versions(),  # no path of this machine
                    "outputs": _listing(folder, _outputs(folder))}
        write_text_atomic(folder / "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
    finally:
        shutil.rmtree(stage, ignore_errors=True)
        forkserver.release()
    return error


def compare(params: str | Path, a: str, b: str, as_of: str | date | None = None, show_code: bool = False,
            out_dir: str | Path = "outputs", timeout: int = DEFAULT_TIMEOUT, notebooks: Path | None = None) -> CompareOutcome:
    """``kaohe compare``: compare once, run ``compare.ipynb`` on the result, write its HTML, the CSV files
    and a manifest. Input problems raise before anything is written."""
    source = (notebooks or NOTEBOOKS) / "compare.ipynb"
    if not source.exists():
        raise KaoheError(f"找不到报告笔记本 {source}")
    c = compare_params(params, a, b, as_of)
    folder = compare_folder(c, Path(out_dir).absolute())
    parameters = {"params": str(c.run.path), "a": c.selectors[0], "b": c.selectors[1],
                  "as_of": c.as_of.isoformat() if c.as_of else None, "cache": None, "shown_params": shown_path(c.run)}
    about = {"compare": {"a": c.a.rubric.ref, "b": c.b.rubric.ref, "run": c.run.config.name,
                         "as_of": c.as_of.isoformat() if c.as_of else None}}
    error = report_folder(source, folder, "compare", c.save, "comparison.pickle", parameters,
                          f"细则版本比较：{c.a.rubric.ref} 与 {c.b.rubric.ref}（{c.run.config.title}）", timeout, show_code,
                          c.tables, about, c.inputs)
    return CompareOutcome(folder, c, error)


# --- tables, inputs, index, manifest ----------------------------------------------------------------

def scores_frame(a: Assessment) -> pd.DataFrame:
    return scores_table(list(a.results.values()))


#: ledger.csv's columns: Result.ledger's (and the evidence row's own words) under the headers a clerk reads.
LEDGER_CSV = {"rubric": "细则", "unit": "单位", "category": "类别", "node": "指标编号", "rule": "规则编号",
              "kind": "计分方式", "evidence_id": "记录编号", "date": "日期", "raw": "计算扣分", "applied": "实际扣分",
              "working": "计算过程", "capped_by": "调整依据", "reason": "调整原因", "note": "情况说明",
              "source": "依据/来源", "attachment": "佐证材料", "file": "台账文件", "row": "台账行号"}
#: The columns that name a row of ledger.csv (kaohe verify compares row by row).
LEDGER_CSV_KEY = [LEDGER_CSV["rubric"], LEDGER_CSV["evidence_id"]]


def ledger_frame(a: Assessment) -> pd.DataFrame:
    """ledger.csv: every evidence row that reached a rule, in Chinese: the rule as the template names it (一票否决),
    the kind by its Chinese name, the amounts and the computation in words."""
    frames = []
    names = copy_names(a.run)
    for r in a.results.values():
        led = r.ledger.copy()
        found = [a.finding(f, row) for f, row in zip(led["file"], led["row"])]
        led.insert(0, "rubric", r.rubric.ref)
        for col in ("note", "source", "attachment"):
            led[col] = [getattr(f, col) for f in found]
        led["file"] = [names[f] for f in led["file"]]  # as copied into inputs/
        for col in ("raw", "applied"):
            led[col] = led[col].map(fmt)
        led["date"] = led["date"].map(date.isoformat)
        shown = shown_ids(r.rubric.rules.values())
        led["rule"] = led["rule"].map(shown)
        led["capped_by"] = [shown.get(x, x) for x in led["capped_by"]]
        led["kind"] = led["kind"].map(lambda k: get_kind(k).model.label)
        frames.append(led)
    return headed(pd.concat(frames, ignore_index=True), LEDGER_CSV)


def _write_tables(a: Assessment, folder: Path) -> None:
    write_csv_atomic(folder / "scores.csv", scores_frame(a))
    write_csv_atomic(folder / "ledger.csv", ledger_frame(a))
    write_bytes_atomic(folder / "scores.xlsx", scores_xlsx(a))


def _width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def scores_xlsx(a: Assessment) -> bytes:
    """The 通报 table: one sheet per rubric, Chinese headers, header row frozen, columns fitted."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    wb.remove(wb.active)
    for r in a.results.values():
        name = (r.rubric.source.part or r.rubric.id)
        for ch in "[]:*?/\\":
            name = name.replace(ch, " ")
        ws = wb.create_sheet(name[:31])
        table_ = r.bulletin()
        ws.append(list(table_.columns))
        for row in table_.itertuples(index=False):
            ws.append([neutralise(v) for v in row])  # numbers stay numbers; text cannot become a formula
        for c in ws[1]:
            c.font = Font(bold=True)
            c.alignment = Alignment(horizontal="center")
        for row in ws.iter_rows(min_row=2, min_col=4, max_col=5):
            for c in row:
                c.number_format = "0.###"
        ws.freeze_panes = "A2"
        for col in ws.columns:
            letter = col[0].column_letter
            ws.column_dimensions[letter].width = max(_width(str(c.value or "")) for c in col) + 4
    return xlsx_bytes(wb)


def _copy_inputs(a: Assessment, folder: Path, held: dict[str, bytes]) -> None:
    """The inputs as they were read for scoring (a ledger saved again during the run is not what was scored)."""
    for path, name in copy_names(a.run).items():
        data = held.get(os.path.abspath(path))
        write_bytes_atomic(folder / "inputs" / name, data if data is not None else Path(path).read_bytes())


#: Files that carry the manifest's fingerprint: written after manifest.json and not listed in it.
FINGERPRINTED = ("index.html", "scores.docx")


def shown_path(run: Run) -> str:
    """The params file as reports and the published notebooks name it: relative to the project folder, so the
    same inputs give the same bytes wherever the project lives."""
    return Path(os.path.relpath(run.path, run.project)).as_posix()


def index_html(a: Assessment, outcome: RunOutcome, fingerprint: str = "") -> str:
    css = (TEMPLATES / "kaohe" / "kaohe.css").read_text(encoding="utf-8")
    title = f"{a.run.config.title}：报告索引"
    when = f"计分截至 {a.as_of}" if a.as_of else "全年"
    parts = [f'<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8"><title>{escape(title)}</title>'
             f'<style>{css}</style></head><body class="kaohe-index"><h1>{escape(title)}</h1>'
             f"<p>{escape(when)}。汇总：{link('summary.html', '汇总报告') if not outcome.summary_error else '汇总生成失败'}"
             f"{Markup('（{}）').format(link('summary.pdf', 'PDF')) if (outcome.folder / 'summary.pdf').exists() else ''}；"
             f"通报表：{link('scores.docx', 'scores.docx')}、{link('scores.xlsx', 'scores.xlsx')}、"
             f"{link('scores.csv', 'scores.csv')}；"
             f"扣分台账：{link('ledger.csv', 'ledger.csv')}；清单：{link('manifest.json', 'manifest.json')}。</p>"]
    if fingerprint:
        parts.append(f'<p class="kaohe-fingerprint">清单指纹（manifest.json 的 SHA-256）：<code>{escape(fingerprint)}</code>'
                     "。核验：kaohe verify 本目录 --expect 此指纹。</p>")
    if outcome.summary_error:
        parts.append(f'<div class="kaohe-failed">汇总报告生成失败（见 {link("summary.failed.ipynb", "summary.failed.ipynb")}）：'
                     f"{_failure(outcome.summary_error, outcome.summary_traceback)}</div>")
    if outcome.failed:
        parts.append(f'<p class="kaohe-failed">{len(outcome.failed)} 个单位的报告生成失败：'
                     f"{escape('、'.join(outcome.failed))}</p>")
    for r in a.results.values():
        bulletin = r.bulletin()
        rows = []
        for values in bulletin.itertuples(index=False):
            s = outcome.statuses[values[1]]
            if s.state == "已生成":
                report, state = link(f"units/{s.file}.html", "报告"), cell("已生成")
                if (outcome.folder / "units" / f"{s.file}.pdf").exists():  # printed with --pdf
                    report = Markup("{}（{}）").format(report, link(f"units/{s.file}.pdf", "PDF"))
                nb = link(f"units/{s.file}.ipynb", "笔记本")
            elif s.state == "失败":
                report, state = cell(""), _failure(s.error, s.traceback)
                nb = link(f"units/{s.file}.failed.ipynb", "出错的笔记本")
            else:
                exists = (outcome.folder / "units" / f"{s.file}.html").exists()
                report = link(f"units/{s.file}.html", "上次的报告") if exists else cell("")
                state, nb = cell("本次未生成"), cell("")
            rows.append([*values, state, report, nb])
        parts.append(f"<h2>{escape(r.rubric.source.part or r.rubric.title)}（{escape(r.rubric.ref)}）</h2>")
        parts.append(str(table([*bulletin.columns, "状态", "报告", "笔记本"], rows, "kaohe-index",
                               {0: "num", 3: "num", 4: "num"})))
    parts.append("</body></html>\n")
    return "".join(parts)


def _failure(error: str, traceback: str) -> Markup:
    """A failure as the index shows it: the one-line reason, and the traceback folded under it."""
    if not traceback:
        return Markup("失败：{}").format(error)
    return Markup("失败：{}<details><summary>错误详情</summary><pre>{}</pre></details>").format(error, traceback)


def _listing(folder: Path, paths) -> list[dict]:
    return [{"path": p.relative_to(folder).as_posix() if p.is_relative_to(folder) else p.name, "sha256": sha256(p)}
            for p in paths]


def _outputs(folder: Path) -> list[Path]:
    """Every file in the folder but the manifest itself, the fingerprinted files and hidden (staging) files."""
    return sorted(p for p in folder.rglob("*") if p.is_file() and p != folder / "manifest.json"
                  and p.relative_to(folder).as_posix() not in FINGERPRINTED
                  and not any(part.startswith(".") for part in p.relative_to(folder).parts))


def _write_manifest(a: Assessment, folder: Path, notebooks: Path, outcome: RunOutcome, shown: str,
                    show_code: bool) -> str:
    """Write manifest.json; returns its SHA-256 (the run's fingerprint)."""
    outputs = _outputs(folder)
    names = copy_names(a.run)
    manifest = {
        "run": {"name": a.run.config.name, "year": a.run.config.year, "title": a.run.config.title,
                "as_of": a.as_of.isoformat() if a.as_of else None, "rubrics": [r.rubric.ref for r in a.results.values()],
                "params": shown, "show_code": show_code},
        "inputs": [{k: f[k] for k in ("role", "name", "sha256")} for f in a.inputs],
        # What `kaohe verify` rescores from: the copies in inputs/ standing for the params file's paths.
        "rescore": {"params": names[str(a.run.path)], "rubrics": [names[str(p)] for p in a.run.rubric_paths],
                    "roster": names[str(a.run.roster_path)], "evidence": [names[str(p)] for p in a.run.evidence_paths]},
        "notebooks": _listing(folder, [notebooks / "unit_report.ipynb", notebooks / "summary.ipynb"]),
        "templates": _listing(folder, sorted((TEMPLATES / "kaohe").iterdir())),
        "software": versions(),  # the interpreter's path is in the run log: it differs between machines
        # in the run's order, not the order the reports happened to finish in; what the index shows of each
        "units": {u: {"file": s.file, "state": s.state, "error": s.error, "traceback": s.traceback}
                  for u in a.units if (s := outcome.statuses.get(u)) is not None},
        "summary": {"error": outcome.summary_error, "traceback": outcome.summary_traceback},
        "pdf_failed": outcome.pdf_failed,
        "fingerprinted": list(FINGERPRINTED),
        "outputs": _listing(folder, outputs),
    }
    text = json.dumps(manifest, ensure_ascii=False, indent=2) + "\n"
    write_text_atomic(folder / "manifest.json", text)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
