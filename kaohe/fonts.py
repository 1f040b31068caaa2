"""The Chinese fonts reports are drawn and printed with: the ones the ``mplfonts`` package ships, never a font
that happens to be installed on the machine.

- Charts register :data:`SANS` with matplotlib (:mod:`kaohe.charts`).
- Printing (:mod:`kaohe.printing`) starts Chromium with a fontconfig of its own (:func:`fontconfig`) that sees
  only the print fonts, so a PDF looks the same on every machine and cannot fall back to a font without
  Chinese glyphs. The report CSS names the same family first; desktop fonts follow it for HTML read in a
  browser elsewhere.
- Word's 宋体/仿宋/黑体 resolve to these fonts under that fontconfig (LibreOffice on a server).

One change to the bundled fonts (:func:`print_fonts`): their cmaps map the Kangxi radicals (U+2F00–) and the
CJK radicals supplement (U+2E80–) to the glyphs of ordinary ideographs, and Chromium names each glyph by its
lowest code point in the PDF, so 示 would be copied out of a PDF as ⽰ (U+2F70) and 页 as ⻚. The print copies
drop those radical code points. A radical in a ledger (usually text copied out of such a PDF) then fails the
print, and the message names the character to write instead (:func:`uncovered`, NFKC).

``KAOHE_FONT_DIR`` names a folder of fonts to print with instead (an office's own fonts; the tests' font-less
case).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import unicodedata
from functools import cache
from importlib import resources
from pathlib import Path

from markupsafe import escape

from .errors import KaoheError

SANS, SERIF, MONO = "NotoSansCJKsc-Regular.otf", "NotoSerifCJKsc-Regular.otf", "NotoSansMonoCJKsc-Regular.otf"
SANS_FAMILY, SERIF_FAMILY, MONO_FAMILY = "Noto Sans CJK SC", "Noto Serif CJK SC", "Noto Sans Mono CJK SC"
#: Code points whose glyphs are shared with ideographs (see the module docstring).
RADICALS = range(0x2E80, 0x2FE0)
#: The families documents name, and the print font each resolves to.
ALIASES = {
    SERIF_FAMILY: ("serif", "宋体", "SimSun", "宋体-简", "仿宋", "仿宋_GB2312", "FangSong", "楷体", "楷体_GB2312",
                   "KaiTi", "方正小标宋简体", "方正小标宋_GBK", "STSong", "Songti SC", "Times New Roman"),
    SANS_FAMILY: ("sans-serif", "黑体", "Microsoft YaHei", "微软雅黑", "PingFang SC", "Source Han Sans SC",
                  "WenQuanYi Micro Hei", "Arial", "Helvetica", "Calibri"),
    MONO_FAMILY: ("monospace", "Courier New"),
}
_VERSION = "2"  # bump when the derived fonts change


def bundled(name: str) -> Path:
    """Path of one of the fonts mplfonts ships."""
    path = Path(str(resources.files("mplfonts") / "fonts" / name))
    if not path.is_file():
        raise KaoheError(f"找不到随 mplfonts 安装的字体 {path}：请重新安装 kaohe（pip install -e .）")
    return path


def cache_dir() -> Path:
    """kaohe's folder in the user's cache (``$XDG_CACHE_HOME`` when absolute, else ``~/.cache``), else a folder
    of the temp folder that this user owns and nobody else may write (fonts found there are printed with)."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):  # the XDG spec: a relative path is ignored
        base = os.path.join(os.path.expanduser("~"), ".cache")
    uid = os.getuid() if hasattr(os, "getuid") else None
    for root, private in ((Path(base) / "kaohe", False), (Path(tempfile.gettempdir()) / f"kaohe-{uid or 0}", True)):
        try:
            root.mkdir(parents=True, exist_ok=True, mode=0o700)
            info = root.lstat()
            if private and uid is not None and (root.is_symlink() or info.st_uid != uid or info.st_mode & 0o022):
                continue  # made by someone else: they would choose the fonts reports are printed with
            if os.access(root, os.W_OK):
                return root.absolute()
        except OSError:
            continue
    raise KaoheError(f"无法创建字体缓存目录：{base} 与临时目录都不可写")


def _without_radicals(source: Path, target: Path) -> None:
    """``source`` with the radical code points dropped from its cmap; every other table copied as it is."""
    from fontTools.ttLib import TTFont
    from fontTools.ttLib.sfnt import SFNTWriter

    font = TTFont(str(source), lazy=True)
    cmap = font["cmap"]
    for sub in cmap.tables:
        for cp in [c for c in getattr(sub, "cmap", {}) if c in RADICALS]:
            del sub.cmap[cp]
    data = cmap.compile(font)
    with open(target, "wb") as out:  # only cmap is rebuilt: a whole save would recompile the 16 MB CFF
        writer = SFNTWriter(out, len(font.reader.keys()), font.reader.sfntVersion)
        for tag in font.reader.keys():
            writer[tag] = data if tag == "cmap" else font.reader[tag]
        writer.close()
    font.close()


def print_fonts() -> Path:
    """The folder of fonts printing uses: ``KAOHE_FONT_DIR`` if set, else the bundled fonts with the radicals
    dropped, built once per machine in the cache folder and moved into place whole."""
    return _print_fonts(os.environ.get("KAOHE_FONT_DIR") or None)


@cache
def _print_fonts(own: str | None) -> Path:
    if own:
        if not Path(own).is_dir():
            raise KaoheError(f"KAOHE_FONT_DIR 指向的字体目录不存在：{own}")
        return Path(own).absolute()
    sources = [bundled(n) for n in (SANS, SERIF, MONO)]
    # by the fonts' names and sizes, not their paths: every venv with the same mplfonts shares one copy
    key = hashlib.sha256(f"{_VERSION}|{[(p.name, p.stat().st_size) for p in sources]}".encode()).hexdigest()[:12]
    folder = cache_dir() / f"fonts-{key}"
    if not folder.is_dir():
        tmp = Path(tempfile.mkdtemp(prefix=".fonts-", dir=folder.parent))
        try:
            for path in sources:
                _without_radicals(path, tmp / path.name)
            try:
                tmp.rename(folder)
            except OSError:  # another process built it first
                if not folder.is_dir():
                    raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return folder


def fontconfig() -> Path:
    """A fontconfig file that sees only :func:`print_fonts` (no system font), with the usual Chinese
    document families aliased to them. Point ``FONTCONFIG_FILE`` at it."""
    return _fontconfig(print_fonts(), cache_dir())


@cache
def _fontconfig(fonts: Path, home: Path) -> Path:
    return _write_fontconfig(fonts, home)


def _write_fontconfig(fonts: Path, home: Path) -> Path:
    """The fontconfig file for the fonts in ``fonts``, written with fontconfig's own cache into ``home``."""
    aliases = "".join(f"  <alias binding=\"same\"><family>{escape(name)}</family><prefer><family>{escape(target)}"
                      f"</family></prefer></alias>\n" for target, names in ALIASES.items() for name in names)
    text = ("<?xml version=\"1.0\"?>\n<!DOCTYPE fontconfig SYSTEM \"urn:fontconfig:fonts.dtd\">\n"
            "<!-- written by kaohe: the fonts reports are printed with, and nothing else -->\n<fontconfig>\n"
            f"  <dir>{escape(str(fonts))}</dir>\n  <cachedir>{escape(str(home / 'fontconfig'))}</cachedir>\n"
            f"{aliases}</fontconfig>\n")
    path = home / f"fonts-{hashlib.sha256(text.encode()).hexdigest()[:12]}.conf"
    if not path.exists():
        from .files import write_text_atomic

        write_text_atomic(path, text)
    return path


def environ(fonts: Path | None = None) -> dict[str, str]:
    """This process's environment with :func:`fontconfig` in force, for Chromium and LibreOffice; ``fonts``: a
    folder of :func:`subset` print fonts instead (its fontconfig file and cache go into the folder above it)."""
    conf = fontconfig() if fonts is None else _write_fontconfig(fonts, fonts.parent)  # a temporary folder: uncached
    return {**os.environ, "FONTCONFIG_FILE": str(conf)}


#: Characters Chromium may draw that a page's text need not hold (list markers, an ellipsis, dashes, spaces, the
#: replacement character); a subset keeps them besides printable ASCII.
DRAWN = "•◦▪…–—\u00a0\u3000\ufffd"


def subset(chars, folder: Path) -> Path | None:
    """The bundled print fonts cut down to ``chars`` (and printable ASCII and :data:`DRAWN`), written into
    ``folder/fonts`` (returned); None with ``KAOHE_FONT_DIR`` (an office's own fonts are printed as they are) or
    when a cut fails (the whole fonts are printed with then).

    Chromium hands every font a page uses to its PDF writer whole, per print: a 16 MB CJK font cost about a
    tenth of a second per page, and Chromium's CPU per report went from 0.56 s to 0.39 s with fonts cut to the
    characters of the run (measured on 60 synthetic reports). The glyphs, layout features and names are those
    of the print fonts, so pages look the same; a character missing from the cut (none is expected) shows as a
    box, which :func:`kaohe.printing.check_pdf` catches, and the page is printed again with the whole fonts."""
    if os.environ.get("KAOHE_FONT_DIR"):
        return None
    import subprocess
    import sys

    unicodes = sorted({ord(c) for c in chars if ord(c) >= 0x20} | set(range(0x20, 0x7F)) | {ord(c) for c in DRAWN})
    folder = folder / "fonts"
    folder.mkdir(parents=True, exist_ok=True)
    codes = folder.parent / "unicodes.txt"
    codes.write_text(" ".join(map(str, unicodes)), encoding="ascii")
    # one process a font (fontTools is pure Python, about 2 s a font here), side by side; plain subprocesses, not
    # multiprocessing, which would import the caller's __main__ again (a notebook, a script)
    jobs: list[subprocess.Popen] = []
    try:
        for name in (SANS, SERIF, MONO):
            jobs.append(subprocess.Popen([sys.executable, "-m", "kaohe.fonts", str(print_fonts() / name),
                                          str(folder / name), str(codes)], stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL))
        for job in jobs:
            job.wait()
    finally:  # interrupted, or a process that could not start: none is left running on a folder about to go
        for job in jobs:
            if job.poll() is None:
                job.kill()
                job.wait()
    return None if any(job.returncode for job in jobs) else folder  # no cut: the whole fonts, slower, same pages


def _subset_one(source: Path, target: Path, unicodes: list[int]) -> None:
    """``source`` cut to ``unicodes`` into ``target`` (``python -m kaohe.fonts SOURCE TARGET UNICODES_FILE``)."""
    from fontTools import subset as ft_subset
    from fontTools.ttLib import TTFont

    options = ft_subset.Options(layout_features=["*"], name_IDs=["*"], name_languages=["*"], notdef_outline=True,
                                legacy_kern=True, prune_unicode_ranges=False)
    with TTFont(str(source)) as font:
        cut = ft_subset.Subsetter(options)
        cut.populate(unicodes=unicodes)
        cut.subset(font)
        font.save(str(target))


@cache
def _cmaps(folder: Path) -> tuple[frozenset[int], ...]:
    from fontTools.ttLib import TTFont

    found = []
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() in {".otf", ".ttf", ".ttc", ".otc"}:
            try:
                with TTFont(str(path), lazy=True, fontNumber=0) as font:
                    found.append(frozenset(font.getBestCmap() or {}))
            except Exception:  # not a font fontTools can read: it covers nothing here
                continue
    return tuple(found)


def uncovered(text: str) -> list[str]:
    """Characters of ``text`` (whitespace and controls aside) that no print font has a glyph for, in order."""
    cmaps = _cmaps(print_fonts())
    seen = dict.fromkeys(c for c in text if not c.isspace() and ord(c) >= 0x20)
    return [c for c in seen if not any(ord(c) in m for m in cmaps)]


def described(char: str) -> str:
    """``char`` and its code point for a message, with the character to write instead where NFKC gives one
    (a Kangxi radical copied out of a PDF: ⽰ → 示)."""
    instead = unicodedata.normalize("NFKC", char)
    return f"{char}（U+{ord(char):04X}" + (f"，应为“{instead}”" if instead != char else "") + "）"


if __name__ == "__main__":  # one font of :func:`subset`, in a process of its own
    import sys

    _subset_one(Path(sys.argv[1]), Path(sys.argv[2]), [int(c) for c in Path(sys.argv[3]).read_text().split()])
