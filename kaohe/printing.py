"""``kaohe run --pdf``: reports printed to A4 PDF by headless Chromium, and each print checked before it is kept.

- One long-lived headless Chromium per print worker, driven over its DevTools protocol by Playwright (the
  maintained client library; only its driver is used: the browser is the system's Chromium, nothing is
  downloaded), prints page after page: starting a browser per page cost most of a second per PDF.
- Chromium runs with kaohe's own fontconfig (:func:`kaohe.fonts.environ`): it sees the bundled fonts (from
  :data:`SUBSET_FROM` pages on, copies cut to the run's characters) and no system font, so the pages are the
  same on every machine and a machine without a Chinese font prints Chinese.
- A print is kept only when every glyph on its pages is a real one (no missing-glyph box) and the running
  header of page 1 reads back as the header that was written (every page draws it with the same fonts);
  otherwise it counts as a failed PDF, as a Chromium failure does.
- A page that fails, hangs (:data:`PDF_TIMEOUT`) or crashes the browser fails alone: the browser is started
  again for the next page.
"""

from __future__ import annotations

import io
import os
import queue
import re
import shutil
import signal
import tempfile
import threading
import uuid
from pathlib import Path

from markupsafe import escape

from . import fonts
from .errors import KaoheError
from .files import write_bytes_atomic

#: Headless Chromium as this machine allows it (root, no GPU, a closed network; see the README).
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync")
#: Seconds Chromium may take to print one report (loading it and printing it).
PDF_TIMEOUT = 300
#: Seconds Chromium may take to start.
LAUNCH_TIMEOUT = 120
#: The margins of a page whose CSS names none: Chromium's own default (``--print-to-pdf`` used it); kaohe's
#: print CSS sets its own, which win.
DEFAULT_MARGIN = "1cm"
_PDF_DATE = re.compile(rb"/(CreationDate|ModDate) \(D:\d{14}[^)]*\)")
#: Glyph names a simple font's encoding gives the missing glyph (Chromium's Type 3 fonts name glyph n "g<hex n>").
_NOTDEF = {"/g0", "/.notdef"}
_SHOWN = 20  # missing characters named in a message


def chromium() -> str:
    """The Chromium to print with, or a clear error saying how to install it."""
    found = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if not found:
        raise KaoheError("--pdf 需要 Chromium：请安装（Debian/Ubuntu：apt install chromium；本仓库：make browser）")
    import importlib.util

    if importlib.util.find_spec("playwright") is None:  # a dependency of kaohe; missing from a hand-made environment
        raise KaoheError("--pdf 需要 Python 包 playwright（kaohe 的依赖）：pip install playwright；"
                         "它驱动本机的 Chromium，不要运行 playwright install")
    return found


def _launch_failure(message: str) -> str:
    """Why Chromium did not start, from Playwright's launch error: its exit code and last line on stderr."""
    code = re.findall(r"exitCode=(-?\d+)", message)
    said = re.findall(r"\]\[err\] (.*)", message)
    if code:
        return f"Chromium 退出码 {code[-1]}：{said[-1].strip() if said else ''}"
    return f"Chromium 无法启动：{message.strip().splitlines()[0] if message.strip() else ''}"


class Printer:
    """One headless Chromium printing page after page; used from one thread only (Playwright's sync API is
    bound to the thread that started it). Started on the first page, and again after a crash or a hang."""

    def __init__(self, browser: str, env: dict[str, str] | None = None):
        self.path, self.env = browser, env  # env: Chromium's environment (fonts.environ() when None)
        self.marker = f"--kaohe-printer={uuid.uuid4().hex}"  # finds this browser's process to stop it when hung
        self._playwright = self._browser = self._page = None
        self._launch_failed: list[str] = []  # why the last launches failed, since the last page printed
        self._scratch = tempfile.TemporaryDirectory(prefix="kaohe-print-")  # the page as printed, with its <base>

    def _start(self) -> None:
        from playwright.sync_api import sync_playwright

        if self._playwright is None:
            self._playwright = sync_playwright().start()
        flags = [f for f in CHROMIUM_FLAGS if f != "--headless"]  # Playwright starts it headless itself
        self._browser = self._playwright.chromium.launch(
            executable_path=self.path, args=[*flags, self.marker], env=self.env or fonts.environ(), headless=True,
            chromium_sandbox=False, timeout=LAUNCH_TIMEOUT * 1000, handle_sigint=False, handle_sigterm=False,
            handle_sighup=False)
        self._page = self._browser.new_page()

    def _kill(self) -> None:
        """Stop this printer's Chromium (a page over its time): the call waiting on it then fails."""
        self.expired = True
        for proc in Path("/proc").glob("[0-9]*"):
            try:
                if self.marker.encode() in (proc / "cmdline").read_bytes().split(b"\0"):
                    os.kill(int(proc.name), signal.SIGKILL)
            except (OSError, ValueError):
                continue

    def _restart(self) -> None:
        try:
            if self._browser is not None:
                self._browser.close()
        except Exception:  # already gone
            pass
        self._browser = self._page = None

    def pdf(self, page: Path) -> tuple[bytes | None, str | None]:
        """``page`` printed: the PDF's bytes, or why there are none."""
        from playwright.sync_api import Error

        if self._browser is None or not self._browser.is_connected():
            if len(self._launch_failed) >= 2:  # a browser that cannot start: the other pages are not kept waiting
                return None, self._launch_failed[-1]
            self._restart()
            try:
                self._start()
            except Error as exc:
                self._restart()
                self._launch_failed.append(_launch_failure(exc.message))
                return None, self._launch_failed[-1]
            self._launch_failed.clear()
        self.expired = False
        watchdog = threading.Timer(PDF_TIMEOUT, self._kill)
        watchdog.daemon = True
        watchdog.start()
        try:
            self._page.goto(page.as_uri(), timeout=PDF_TIMEOUT * 1000)
            # tagged: as Chromium's --print-to-pdf wrote them (ActualText marks the glyphs fonts share)
            return self._page.pdf(prefer_css_page_size=True, tagged=True,
                                  margin=dict.fromkeys(("top", "right", "bottom", "left"), DEFAULT_MARGIN)), None
        except Error as exc:
            timed_out = self.expired or type(exc).__name__ == "TimeoutError"
            self._restart()  # a hung or crashed page may have taken the browser with it: a fresh one for the next
            if timed_out:
                return None, f"Chromium 打印超过 {PDF_TIMEOUT} 秒，已停止"
            return None, f"Chromium 打印失败：{exc.message.strip().splitlines()[0] if exc.message.strip() else ''}"
        finally:
            watchdog.cancel()

    def close(self) -> None:
        self._restart()
        if self._playwright is not None:
            try:
                self._playwright.stop()
            except Exception:
                pass
            self._playwright = None
        self._scratch.cleanup()



def print_pdf(browser: str, html: Path, base: Path, header: str, printer: Printer | None = None) -> str | None:
    """``html`` printed to the PDF beside it: A4, the page header and footer of kaohe's print CSS (not
    Chromium's own date and address), times stamped fixed so the same report gives the same bytes. Links are
    resolved against ``base``, the folder the page will be in once the run is swapped in (Chromium writes them
    as absolute addresses; the build folder is gone by then). ``header`` is the running header every page
    must show (:func:`check_pdf`). ``printer`` is the worker's browser; without one, a browser is started for
    this page and stopped after it. Returns why it could not be printed, or None."""
    own = printer is None
    printer = printer or Printer(browser)
    try:
        pdf = html.with_suffix(".pdf")
        text = html.read_text(encoding="utf-8")
        page = Path(printer._scratch.name) / "page.html"
        page.write_text(text.replace("<head>", f'<head><base href="{escape(base.as_uri())}/">', 1), encoding="utf-8")
        data, why = printer.pdf(page)
    finally:
        if own:
            printer.close()
    if why:
        return why
    # same length, so the cross-reference offsets stay right
    data = _PDF_DATE.sub(lambda m: m.group(0)[: m.group(0).index(b"D:") + 2] + b"19800101000000"
                         + m.group(0)[m.group(0).index(b"D:") + 16:], data)
    try:
        why = check_pdf(data, header, text)
    except Exception as exc:  # a PDF pypdf cannot follow: this print fails alone, as a Chromium failure does
        why = f"无法检查生成的 PDF：{type(exc).__name__}: {exc}"
    if why:
        return why
    write_bytes_atomic(pdf, data)
    return None


#: Pages from which on a run's prints use fonts cut to its characters (:func:`kaohe.fonts.subset`, a few seconds
#: once; below this the whole fonts cost less).
SUBSET_FROM = 8
#: How check_pdf's reason for a print with missing-glyph boxes begins.
BOXED = "PDF 中有字符显示为方框"
_ASCII = re.compile(r"[\x00-\x7f]+")  # what is taken out of a page to leave its other characters


def print_pdfs(browser: str, pages: list[tuple[Path, str]], build: Path, final: Path, jobs: int) -> dict[str, str]:
    """Each page of the build folder (with its running header) printed beside it, its links resolved as in
    ``final``; a page that cannot be printed keeps its HTML and is returned (path in the run folder -> why), as a
    failed report is. ``min(jobs, cores)`` workers, each with one browser printing page after page. From
    :data:`SUBSET_FROM` pages on, the browsers print with the fonts cut to the pages' characters; the pages that
    then show a box are printed again, with the whole fonts, after the others (their verdict is that print's:
    Playwright's sync API allows one browser driver per thread)."""
    with tempfile.TemporaryDirectory(prefix="kaohe-print-fonts-") as scratch:
        cut = None
        if len(pages) >= SUBSET_FROM:
            chars: set[str] = set()
            for html, header in pages:  # ASCII (most of a page: CSS, base64) is kept in any cut
                chars.update(_ASCII.sub("", html.read_text(encoding="utf-8")), header)
            cut = fonts.subset(chars, Path(scratch))
        failed = _print_all(browser, pages, build, final, jobs, fonts.environ(cut) if cut else None)
    boxed = [(html, header) for html, header in pages if failed.get(_pdf_name(html, build), "").startswith(BOXED)]
    if cut and boxed:  # a character the cut left out (none is expected): those pages again, with the whole fonts
        for html, _ in boxed:
            del failed[_pdf_name(html, build)]
        failed.update(_print_all(browser, boxed, build, final, jobs, None))
    return failed


def _pdf_name(html: Path, build: Path) -> str:
    """A page's PDF as the run folder names it (the key of print_pdfs's failures)."""
    return html.relative_to(build).with_suffix(".pdf").as_posix()


def _print_all(browser: str, pages: list[tuple[Path, str]], build: Path, final: Path, jobs: int,
               env: dict[str, str] | None) -> dict[str, str]:
    todo: queue.SimpleQueue = queue.SimpleQueue()
    for item in pages:
        todo.put(item)
    why: dict[Path, str] = {}

    def worker() -> None:
        printer = Printer(browser, env)
        try:
            while True:
                try:
                    html, header = todo.get_nowait()
                except queue.Empty:
                    return
                try:
                    failed = print_pdf(browser, html, final / html.parent.relative_to(build), header, printer)
                except Exception as exc:  # anything else: this page fails, the worker goes on
                    failed = f"{type(exc).__name__}: {exc}"
                if failed:
                    why[html] = failed
        finally:
            printer.close()

    at_once = max(1, min(jobs, os.cpu_count() or 1, len(pages)))  # a Chromium is heavier than a kernel
    threads = [threading.Thread(target=worker, name=f"kaohe-print-{i}") for i in range(at_once)]
    for t in threads:
        t.start()
    try:
        for t in threads:
            t.join()
    except BaseException:  # Ctrl-C: the workers finish the page they are on and take no other
        while not todo.empty():
            todo.get_nowait()
        for t in threads:
            t.join()
        raise
    return {_pdf_name(html, build): why[html] for html, _ in pages if html in why}


# --- checking a print ---------------------------------------------------------------------------------

_TOKEN = re.compile(rb"""(?P<ws>\s+|%[^\r\n]*)|(?P<dict><<|>>)|<(?P<hex>[0-9A-Fa-f\s]*)>|(?P<lit>\()
    |/(?P<name>[^\s/\[\]<>(){}%]*)|(?P<arr>[\[\]{}])|(?P<word>[^\s/\[\]<>(){}%]+)""", re.X)
_NUMBER = re.compile(rb"[+-]?(\d+\.?\d*|\.\d+)")  # compiled once: the reader meets one per drawn glyph run
_SPACE = re.compile(rb"\s")
_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_ESCAPES = {ord("n"): 10, ord("r"): 13, ord("t"): 9, ord("b"): 8, ord("f"): 12}


def _literal(data: bytes, i: int) -> tuple[bytes, int]:
    """The literal string opening at ``data[i] == b"("`` and the offset after it (nested parentheses, escapes)."""
    out, depth, i = bytearray(), 1, i + 1
    while i < len(data):
        c = data[i]
        if c == 0x5C:  # backslash
            i += 1
            m = re.match(rb"[0-7]{1,3}", data[i:i + 3])
            if m:
                out.append(int(m.group(), 8) & 0xFF)
                i += len(m.group())
                continue
            if data[i:i + 2] == b"\r\n":  # a line continuation, CR LF
                i += 2
                continue
            if i < len(data) and data[i] not in b"\r\n":
                out.append(_ESCAPES.get(data[i], data[i]))
            i += 1
            continue
        depth += (c == 0x28) - (c == 0x29)
        if depth == 0:
            return bytes(out), i + 1
        out.append(c)
        i += 1
    return bytes(out), i


def _operations(data: bytes):
    """(operands, operator) of a content stream: names as ``/Name`` str, strings as bytes, arrays as lists.

    A small reader of the operators drawing text and forms, fast enough to check every page of every print
    (pypdf's full parser takes most of a second per report); inline images are left to pypdf (:func:`_ops`)."""
    stack: list = [[]]
    pos = 0
    while pos < len(data):
        m = _TOKEN.match(data, pos)
        if m is None:
            pos += 1
            continue
        pos = m.end()
        kind = m.lastgroup
        if kind == "ws" or kind == "dict":
            continue
        if kind == "hex":
            digits = _SPACE.sub(b"", m.group("hex"))
            stack[-1].append(bytes.fromhex((digits + b"0" * (len(digits) % 2)).decode()))
        elif kind == "lit":
            value, pos = _literal(data, m.start())
            stack[-1].append(value)
        elif kind == "name":  # #xx escapes decoded: /F#34 is /F4
            name = m.group("name")
            if b"#" in name:
                name = _NAME_ESCAPE.sub(lambda e: bytes([int(e.group(1), 16)]), name)
            stack[-1].append("/" + name.decode("latin-1"))
        elif kind == "arr":
            if m.group() in (b"[", b"{"):
                stack.append([])
            elif len(stack) > 1:
                inner = stack.pop()
                stack[-1].append(inner)
        else:
            word = m.group("word")
            if _NUMBER.fullmatch(word):
                stack[-1].append(float(word))  # not bytes: a TJ kerning number is not a string of glyphs
            elif word in (b"true", b"false", b"null"):
                stack[-1].append(word.decode())
            else:
                yield stack[-1], word
                stack = [[]]


_STRING = re.compile(rb"\((?:[^()\\]|\\.)*\)", re.S)  # a literal string without nested parentheses
_GLYPH_OPS = re.compile(rb"/([^\s/\[\]<>(){}%#]+)\s+[-+]?[\d.]+\s+(Tf)\b|<([0-9A-Fa-f\s]*)>\s*(Tj)\b"
                        rb"|/([^\s/\[\]<>(){}%#]+)\s+(Do)\b")


def _glyph_ops(data: bytes) -> list | None:
    """The Tf, Tj and Do operations of a content stream as Chromium writes it (each glyph run a hex string shown
    with Tj), read with one regular expression: ten times faster than :func:`_operations` on a report's pages.
    None when the stream holds anything this reading could miss (a string shown another way, a TJ array, the
    ' and " operators, an escaped name, a comment, a string with parentheses inside, an inline image): then every operation
    is read in full. Each Tf, Tj and Do in the stream (strings aside) must be one this reading found."""
    plain = _STRING.sub(b"()", data)
    bare = plain.replace(b"()", b"")  # a parenthesis left here was in a string _STRING could not take whole
    if b"(" in bare or b")" in bare or re.search(rb"TJ|['\"#%]|(^|\s)BI(\s|/)", plain):
        return None
    found = [(m.group(1), m.group(3), m.group(5)) for m in _GLYPH_OPS.finditer(plain)]
    kinds = [b"Tf" if f else b"Tj" if t is not None else b"Do" for f, t, _ in found]
    if any(plain.count(op) != kinds.count(op) for op in (b"Tf", b"Tj", b"Do")):
        return None
    ops = []
    for (font, hexdigits, form), op in zip(found, kinds):
        if op == b"Tj":
            digits = _SPACE.sub(b"", hexdigits)
            ops.append(([bytes.fromhex((digits + b"0" * (len(digits) % 2)).decode())], op))
        else:
            ops.append((["/" + (font or form).decode("latin-1")], op))
    return ops


def _ops(reader, contents, glyphs_only: bool = False):
    """(operands, operator) of a content stream; ``glyphs_only``: Tf, Tj and Do, where :func:`_glyph_ops` can
    read them (other operations may then be left out)."""
    data = contents.get_data() if hasattr(contents, "get_data") else b""
    fast = _glyph_ops(data) if glyphs_only else None
    if fast is not None:
        yield from fast
        return
    if re.search(rb"(^|\s)BI(\s|/)", data):  # inline images hold binary data: pypdf's parser knows where they end
        from pypdf.generic import ContentStream

        def raw(o):  # pypdf's text strings back to their bytes, as _operations gives them
            if isinstance(o, list):
                return [raw(x) for x in o]
            return o.original_bytes if hasattr(o, "original_bytes") else o

        for operands, op in ContentStream(contents, reader).operations:
            yield [raw(o) for o in operands], op
        return
    yield from _operations(data)


def _missing_glyphs(reader, contents, resources, seen: set, judged: dict) -> int:
    """Glyphs drawn with a font's missing glyph (glyph 0) in one content stream and the forms it draws.

    Type0 fonts with Identity-H draw glyph id = the 2-byte code; simple fonts with an encoding that names each
    code's glyph (Chromium's Type 3 fonts) are judged by that name. Fonts with a built-in encoding (LibreOffice's
    Type 1 subsets) are not judged here: the fonts they may use are checked for coverage instead.
    """
    if contents is None:
        return 0
    fonts_ = resources.get("/Font", {}) if resources else {}
    forms = resources.get("/XObject", {}) if resources else {}
    missing, notdef = 0, None
    for operands, op in _ops(reader, contents, glyphs_only=True):
        if op == b"Tf" and operands:
            font = fonts_.get(operands[0])
            key = getattr(font, "idnum", None) or id(font)  # a font is judged once per PDF, not at every Tf
            if key not in judged:
                judged[key] = _notdef_of(font, reader)
            notdef = judged[key]
        elif op in (b"Tj", b"'", b'"', b"TJ") and notdef is not None and operands:
            strings = operands[-1] if op == b"TJ" else operands[-1:]
            missing += sum(notdef(s) for s in strings if isinstance(s, bytes))
        elif op == b"Do" and operands:
            form = forms.get(operands[0])
            form = form.get_object() if form is not None else None
            if form is not None and form.get("/Subtype") == "/Form" and id(form) not in seen:
                seen.add(id(form))
                missing += _missing_glyphs(reader, form, form.get("/Resources") or resources, seen, judged)
    return missing


_RAW_FONT = re.compile(rb"\d+\s+\d+\s+obj\s*<<(?:(?!endobj).)*?/Encoding\s*<<(?:(?!>>).)*?/Differences\s*\[([^\]R#]*)\]",
                       re.S)
_DIFFERENCE = re.compile(rb"(\d+)|/([^\s/\[\]<>(){}%]+)")


def _raw(font, reader) -> bytes | None:
    """The bytes of an indirect object as the file has them (up to ``endobj``), or None when the reader cannot
    tell where it is. Reading Chromium's fonts this way skips pypdf's parse of each whole font dictionary
    (widths, glyph procedures), which took most of the check's time."""
    idnum = getattr(font, "idnum", None)
    offset = (getattr(reader, "xref", None) or {}).get(getattr(font, "generation", 0), {}).get(idnum)
    if offset is None or not hasattr(reader, "stream"):
        return None
    reader.stream.seek(offset)
    head = reader.stream.read(65536)
    end = head.find(b"endobj")
    if end < 0 or not re.match(rb"\s*%d\s" % idnum, head):
        return None
    return head[:end]


def _differences(font, reader) -> dict[int, str] | None:
    """A simple font's /Differences (code -> glyph name) read straight from the file's bytes (:func:`_raw`), or
    None when the font is not written the plain way Chromium writes its Type 3 fonts (then pypdf reads it)."""
    head = _raw(font, reader)
    m = _RAW_FONT.match(head) if head is not None else None
    if m is None or b"/Type0" in head[:m.start(1)]:
        return None
    names, code = {}, 0
    for number, name in _DIFFERENCE.findall(m.group(1)):
        if number:
            code = int(number)
        else:
            names[code], code = "/" + name.decode("latin-1"), code + 1
    return names


def _notdef_of(font, reader=None):
    """A function counting the missing glyphs in a string shown with ``font``, or None if it cannot tell."""
    names = _differences(font, reader) if reader is not None and font is not None else None
    if names is not None:
        return lambda b: sum(1 for c in b if names.get(c) in _NOTDEF)
    font = font.get_object() if font is not None else None
    if font is None:
        return None
    if font.get("/Subtype") == "/Type0":
        if font.get("/Encoding") != "/Identity-H":
            return None
        return lambda b: sum(1 for i in range(0, len(b) - 1, 2) if b[i] == 0 and b[i + 1] == 0)
    encoding = font.get("/Encoding")
    encoding = encoding.get_object() if encoding is not None else None
    if not hasattr(encoding, "get") or "/Differences" not in encoding:
        return None
    names, code = {}, 0
    for item in encoding["/Differences"]:
        if isinstance(item, int):
            code = int(item)
        else:
            names[code], code = str(item), code + 1
    return lambda b: sum(1 for c in b if names.get(c) in _NOTDEF)


_RAW_TO_UNICODE = re.compile(rb"/ToUnicode\s+(\d+)\s+(\d+)\s+R")


def _text_map(font, reader) -> tuple[int, dict[int, str]]:
    """A font's code width in bytes (2 for Type0 fonts) and its ToUnicode map; the font dictionary read from the
    file's bytes where Chromium wrote it the plain way (:func:`_raw`), else through pypdf."""
    head = _raw(font, reader) if font is not None else None
    m = _RAW_TO_UNICODE.search(head) if head is not None else None
    if m is not None:
        from pypdf.generic import IndirectObject

        stream = IndirectObject(int(m.group(1)), int(m.group(2)), reader).get_object()
        return (2 if re.search(rb"/Subtype\s*/Type0", head) else 1), _unicode_map(stream)
    font = font.get_object() if font is not None else None
    if font is None:
        return 1, {}
    stream = font.get("/ToUnicode")
    return (2 if font.get("/Subtype") == "/Type0" else 1), _unicode_map(stream.get_object()) if stream else {}


def _unicode_map(stream) -> dict[int, str]:
    """A ToUnicode CMap stream as code -> text (the bfchar and bfrange sections PDF writers use)."""
    data = stream.get_data()

    def text(hexdigits: bytes) -> str:
        raw = bytes.fromhex(re.sub(rb"\s", b"", hexdigits).decode())
        return raw.decode("utf-16-be", "replace")

    out: dict[int, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", data, re.S):
        for src, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f\s]*)>", block):
            out[int(src, 16)] = text(dst)
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", data, re.S):
        for lo, hi, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*(<[0-9A-Fa-f\s]*>|\[[^\]]*\])", block):
            lo, hi = int(lo, 16), int(hi, 16)
            if dst.startswith(b"["):
                for i, each in enumerate(re.findall(rb"<([0-9A-Fa-f\s]*)>", dst)):
                    out[lo + i] = text(each)
            else:
                first = text(dst[1:-1])
                for i in range(min(hi - lo + 1, 0x10000)):
                    out[lo + i] = first[:-1] + chr(ord(first[-1]) + i) if first else ""
    return out


def page_text(page) -> str:
    """The text a page draws, in drawing order, as a PDF reader copies it: each glyph through its font's
    ToUnicode map, and a span marked with an ActualText (Chromium's way of naming －, ～ or ／, whose glyphs
    its fonts share with −, 〜 and ∕) as that text. pypdf's extract_text ignores ActualText."""
    resources = page.get("/Resources") or {}
    fonts_ = resources.get("/Font", {})
    maps: dict = {}
    out: list[str] = []
    width, table = 1, {}
    marks: list[bool] = []  # per open marked-content span: does it carry an ActualText (then glyphs are skipped)?
    for operands, op in _ops(page.pdf, page.get_contents()):
        if op == b"Tf" and operands:
            font = fonts_.get(operands[0])
            key = getattr(font, "idnum", None) or id(font)
            if key not in maps:
                maps[key] = _text_map(font, page.pdf)
            width, table = maps[key]
        elif op in (b"BDC", b"BMC"):
            actual = next((operands[i + 1] for i, o in enumerate(operands[:-1]) if o == "/ActualText"),
                          next((o.get("/ActualText") for o in operands if hasattr(o, "get")), None))
            actual = getattr(actual, "original_bytes", actual)  # through pypdf's parser (inline images)
            if isinstance(actual, bytes):
                out.append(actual[2:].decode("utf-16-be", "replace") if actual[:2] == b"\xfe\xff"
                           else actual.decode("latin-1"))
            marks.append(isinstance(actual, bytes))
        elif op == b"EMC" and marks:
            marks.pop()
        elif op in (b"Tj", b"'", b'"', b"TJ") and operands and not any(marks):
            strings = operands[-1] if op == b"TJ" else operands[-1:]
            for s in strings:
                if isinstance(s, bytes):
                    out += [table.get(int.from_bytes(s[i:i + width], "big"), "")
                            for i in range(0, len(s) - width + 1, width)]
    return "".join(out)


def check_pdf(data: bytes, header: str, html: str = "") -> str | None:
    """Why a printed report is not a faithful copy, or None: a page shows a missing-glyph box (a character no
    print font has), or the running header on page 1 does not read back as ``header`` (:func:`page_text`).
    ``html`` (the page printed) lets the message name the characters the fonts lack."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = list(reader.pages)
    except (PdfReadError, ValueError) as exc:
        return f"Chromium 生成的 PDF 无法读取：{exc}"
    if not pages:
        return "Chromium 生成的 PDF 没有页面"
    judged: dict = {}
    boxed = [(i, n) for i, page in enumerate(pages, start=1)
             if (n := _missing_glyphs(reader, page.get_contents(), page.get("/Resources"), set(), judged))]
    if boxed:
        lacking = fonts.uncovered(html)
        named = "、".join(fonts.described(c) for c in lacking[:_SHOWN]) + (f" 等 {len(lacking)} 个" if
                                                                          len(lacking) > _SHOWN else "")
        where = "、".join(f"第 {i} 页 {n} 处" for i, n in boxed[:5]) + ("等" if len(boxed) > 5 else "")
        return (f"{BOXED}（打印字体缺字：{where}）" + (f"，缺字：{named}" if named else "")
                + f"；打印字体目录：{fonts.print_fonts()}")
    # Every page's header is drawn with the same font objects, so the first page's tells for all of them.
    want = "".join(header.split())
    got = "".join(page_text(pages[0]).replace("\x01", " ").split())  # Chromium maps the space to U+0001
    if want not in got:
        return f"第 1 页的页眉读出为“{got[:len(want) + 10]}”，应为“{header}”：打印字体缺字或字符映射有误"
    return None
