"""``kaohe verify``: is a run folder still what its manifest says, and do its copied inputs still give its
scores? Every difference is named: a file changed, missing or added, and the score or ledger rows whose
recorded values differ from a fresh scoring of ``inputs/``.

verify only reads, and only inside the folder: a run folder is something received from someone else. It
follows no symbolic link, rescores in memory from ``inputs/`` (no copy, no params file written), and a
manifest that names a file outside ``inputs/`` for rescoring is reported as tampering, never read.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import pandas as pd
import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError

from .assessment import assess
from .errors import InputError, KaoheError
from .files import csv_text
from .provenance import sha256
from .rubric import RUBRIC_SUFFIXES

#: Rows of one table listed before "…另有 N 处" (an auditor needs the first ones, not ten thousand).
SHOWN = 20


@dataclass(frozen=True)
class Difference:
    path: str  # relative to the run folder
    what: str  # 已修改, 缺失, 多出, 与重新计分不符, 无法重新计分
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.path}：{self.what}" + (f"——{self.detail}" if self.detail else "")


def fingerprint(folder: str | Path) -> str:
    """SHA-256 of the folder's manifest.json: what ``kaohe run`` printed and wrote into the 通报."""
    return sha256(Path(folder) / "manifest.json")


def _is_plain(value: object) -> bool:
    """A file name of this system with no folder, drive or parent part (a unit's file stem, a copy in inputs/)."""
    return (isinstance(value, str) and value not in ("", ".", "..") and "\0" not in value
            and Path(value).name == value)


def _plain_name(value: str) -> str:
    if not _is_plain(value):
        raise ValueError(f"应为不含目录的文件名：{value!r}")
    return value


class _Listed(BaseModel):
    path: str
    sha256: str


class _Input(BaseModel):
    role: str
    name: str
    sha256: str


class _Unit(BaseModel):
    file: Annotated[str, AfterValidator(_plain_name)]
    state: str
    error: str = ""
    traceback: str = ""


class _Summary(BaseModel):
    error: str = ""
    traceback: str = ""


class _RunInfo(BaseModel):
    model_config = ConfigDict(extra="allow")
    as_of: str | None = None
    params: str | None = None
    show_code: bool = False


class _Manifest(BaseModel):
    """The shape of a manifest.json as kaohe run writes it: a hand-edited one of another shape is named, not a
    traceback somewhere in verify. Fields of older manifests default."""

    model_config = ConfigDict(extra="allow")
    run: _RunInfo = _RunInfo()
    inputs: list[_Input] = []
    rescore: dict[str, str | list[str]] | None = None
    notebooks: list[_Listed] = []
    templates: list[_Listed] = []
    software: dict[str, str] = {}
    units: dict[str, _Unit] = {}
    summary: _Summary = _Summary()
    pdf_failed: dict[str, str] = {}
    fingerprinted: list[str] = []
    outputs: list[_Listed]


#: Larger than any manifest kaohe writes (about 1 KB a unit).
MAX_MANIFEST_BYTES = 64 * 2**20


def _manifest(folder: Path) -> dict:
    """The folder's manifest.json, checked for its shape. Raises KaoheError naming what is wrong."""
    from .tables import read_input

    path = folder / "manifest.json"
    if path.is_symlink():
        raise KaoheError(f"{folder} 中的 manifest.json 是符号链接：未跟随读取（可能被篡改）")
    data, problem = read_input(path, str(path), "清单", MAX_MANIFEST_BYTES)  # a pipe or a folder is refused
    if problem:
        raise KaoheError(f"{folder} 不是 kaohe run 的输出目录（{problem.message}）")
    try:
        raw = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise KaoheError(f"{folder} 不是 kaohe run 的输出目录（manifest.json 无法读取：{type(exc).__name__}: {exc}）") from None
    try:
        return _Manifest.model_validate(raw).model_dump()
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"]) or "（整个文件）"
        raise KaoheError(f"{folder} 的 manifest.json 格式不对（可能被改动过）：{where}——{first['msg']}"
                         f"（共 {exc.error_count()} 处）") from None


def verify(folder: str | Path, expect: str | None = None) -> list[Difference]:
    """Every difference between ``folder`` (``outputs/<run>/<year>``) and its manifest, then between its
    ``scores.csv`` / ``ledger.csv`` and a fresh scoring of the copies in ``inputs/``; the files that carry the
    manifest's fingerprint (``index.html``, ``scores.docx``) are made again from the rescoring and the manifest
    and compared byte for byte. ``expect``: the fingerprint the folder must have (from the issued 通报).
    Empty: all matches.

    Raises:
        KaoheError: the folder is not a run folder (no readable manifest).
    """
    folder = Path(folder)
    manifest = _manifest(folder)
    listed = {o["path"]: o["sha256"] for o in manifest["outputs"]}
    roles = {f"inputs/{i['name']}": i["role"] for i in manifest["inputs"]}
    fingerprinted = manifest["fingerprinted"]
    out = []
    mark = fingerprint(folder)
    if expect is not None and mark != expect.strip().lower():
        out.append(Difference("manifest.json", "指纹不符", f"本目录清单的 SHA-256 为 {mark}，应为 {expect.strip()}："
                                                       "这不是通报上所记的那次运行（或清单被改动过）"))
    # every file, hidden ones too: only the manifest itself is not listed in it; links are named, not followed
    present, links = _files(folder)
    out += [Difference(path, "符号链接", "运行目录中不应有符号链接，未跟随读取（可能被篡改）") for path in links]
    for path, digest in listed.items():
        role = f"（{roles[path]}，运行时复制的输入）" if path in roles else ""
        if path in links:
            continue
        if path not in present:
            out.append(Difference(path, "缺失", f"清单中有此文件{role}"))
        elif sha256(present[path]) != digest:
            out.append(Difference(path, "已修改", f"SHA-256 与清单不符{role}"))
    out += [Difference(path, "多出", "清单中没有此文件") for path in present
            if path not in listed and path not in fingerprinted]
    out += _unit_states(manifest, listed)
    differences, a = _rescore(folder, manifest, links)
    out += differences
    if a is not None:
        out += _remade(folder, manifest, a, fingerprinted, present, mark)
    return out


def _unit_states(manifest: dict, listed: dict) -> list[Difference]:
    """Each unit's recorded state against the files listed: a report made has its HTML and notebook, a failed
    one its failed notebook."""
    out = []
    for unit, u in (manifest.get("units") or {}).items():
        if not isinstance(u, dict):
            continue
        needed = {"已生成": [f"units/{u.get('file')}.html", f"units/{u.get('file')}.ipynb"],
                  "失败": [f"units/{u.get('file')}.failed.ipynb"]}.get(u.get("state"), [])
        out += [Difference("manifest.json", "与文件不符", f"单位 {unit} 记为「{u.get('state')}」，但清单中没有 {p}")
                for p in needed if p not in listed]
    return out


def _remade(folder: Path, manifest: dict, a, fingerprinted: list[str], present: dict, mark: str) -> list[Difference]:
    """index.html and scores.docx made again from the rescored assessment, the manifest and its fingerprint."""
    from .runner import RunOutcome, UnitStatus, index_html
    from .word import scores_docx

    outcome = RunOutcome(folder, summary_error=(manifest.get("summary") or {}).get("error", ""),
                         summary_traceback=(manifest.get("summary") or {}).get("traceback", ""),
                         pdf_failed=manifest.get("pdf_failed") or {})
    for unit, u in (manifest.get("units") or {}).items():
        outcome.statuses[unit] = UnitStatus(unit, u.get("file", ""), u.get("state", ""), u.get("error", ""),
                                            u.get("traceback", ""))
    makers = {"index.html": lambda: index_html(a, outcome, mark).encode("utf-8"),
              "scores.docx": lambda: scores_docx(a, mark)}
    out = []
    for path in fingerprinted:
        if path not in makers:
            out.append(Difference("manifest.json", "被篡改", f"fingerprinted 中有未知文件 {path!r}"))
        elif path not in present:
            out.append(Difference(path, "缺失", "带清单指纹的文件"))
        else:
            try:
                same = present[path].read_bytes() == makers[path]()
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                out.append(Difference(path, "无法重新生成", f"{type(exc).__name__}: {exc}"))
                continue
            if not same:
                out.append(Difference(path, "已修改", "与按清单和复制的输入重新生成的内容不符（或所载指纹不是本目录清单的指纹）"))
    return out


def _files(folder: Path) -> tuple[dict[str, Path], list[str]]:
    """Regular files under ``folder`` (relative path -> path, manifest.json aside) and the symbolic links,
    walked without following any link."""
    files, links = {}, []
    for root, dirs, names in os.walk(folder, followlinks=False):
        here = Path(root)
        for name in sorted(dirs) + sorted(names):
            path = here / name
            rel = path.relative_to(folder).as_posix()
            if path.is_symlink():
                links.append(rel)
            elif name in names and path.is_file() and path != folder / "manifest.json":
                files[rel] = path
        dirs[:] = [d for d in dirs if not (here / d).is_symlink()]
    return dict(sorted(files.items())), sorted(links)


def _plan(folder: Path, plan: dict, links: list[str]) -> tuple[dict | None, list[Difference]]:
    """The manifest's rescoring plan as paths inside ``inputs/``, or why it cannot be followed: each entry must
    be the plain name of a regular file copied into ``inputs/`` (what ``kaohe run`` writes)."""
    try:
        names = {"params": plan["params"], "rubrics": list(plan["rubrics"]), "roster": plan["roster"],
                 "evidence": list(plan["evidence"])}
    except (KeyError, TypeError) as exc:
        return None, [Difference("manifest.json", "无法重新计分", f"rescore 一项不完整：{exc}")]
    bad = []
    for field, value in names.items():
        for name in value if isinstance(value, list) else [value]:
            if not _is_plain(name):  # as copy_names writes it
                bad.append(Difference("manifest.json", "被篡改", f"rescore 的 {field} 指向 inputs/ 以外的文件：{name!r}"
                                                               "（kaohe run 只写 inputs/ 中的文件名）；未读取该文件"))
            elif field == "params" and not name.lower().endswith((".yaml", ".yml")):
                bad.append(Difference("manifest.json", "被篡改", f"rescore 的 {field} 应为 inputs/ 中的 YAML 文件：{name!r}"))
            elif field == "rubrics" and not name.lower().endswith(RUBRIC_SUFFIXES):  # YAML or the rubric workbook
                bad.append(Difference("manifest.json", "被篡改", f"rescore 的 {field} 应为 inputs/ 中的 YAML 文件或细则工作簿：{name!r}"))
            elif f"inputs/{name}" in links or not (folder / "inputs" / name).is_file():
                bad.append(Difference("manifest.json", "无法重新计分", f"rescore 的 {field} 所指 inputs/{name} 不存在或不是普通文件"))
    if "inputs" in links:
        bad.append(Difference("manifest.json", "被篡改", "inputs/ 是符号链接；未读取"))
    return (None if bad else names), bad


def _rescore(folder: Path, manifest: dict, links: list[str]) -> tuple[list[Difference], object]:
    """Score ``inputs/`` again and compare the tables a run writes with the ones in the folder; returns the
    differences and the fresh assessment (None when the inputs could not be scored)."""
    from .runner import LEDGER_CSV_KEY, ledger_frame, scores_frame

    plan = manifest.get("rescore")
    if not plan:
        return [Difference("manifest.json", "无法重新计分", "清单中没有 rescore 一项（由较早版本的 kaohe 生成）")], None
    names, bad = _plan(folder, plan, links)
    if names is None:
        return bad, None
    try:
        # The copied params file, its paths replaced by the copies beside it (in memory: nothing is written).
        replace = {k: v for k, v in names.items() if k != "params"}
        a = assess(folder / "inputs" / names["params"], (manifest.get("run") or {}).get("as_of"), replace=replace)
    except InputError as exc:
        return [Difference("inputs/", "无法重新计分", f"复制的输入有错误：{exc}")], None
    except (OSError, ValueError, KeyError, TypeError, AttributeError, yaml.YAMLError, KaoheError) as exc:
        return [Difference("inputs/", "无法重新计分", f"{type(exc).__name__}: {exc}")], None
    out = []
    for name, frame, key in (("scores.csv", scores_frame(a), ["unit"]),
                             ("ledger.csv", ledger_frame(a), LEDGER_CSV_KEY)):
        written = folder / name
        fresh = csv_text(frame)
        if name in links or not written.exists() or written.read_bytes() == fresh.encode("utf-8"):
            continue  # a missing file is already listed
        try:
            table = pd.read_csv(io.StringIO(written.read_bytes().decode("utf-8-sig")), dtype=str, keep_default_na=False)
        except (UnicodeDecodeError, ValueError) as exc:
            out.append(Difference(name, "与重新计分不符", f"无法按 UTF-8 CSV 读取（可能被另存为其他编码或格式）：{exc}"))
            continue
        out += _rows_that_differ(name, table, pd.read_csv(io.StringIO(fresh), dtype=str, keep_default_na=False), key)
    return out, a


def earlier_reports(folder: str | Path) -> list[str]:
    """Unit reports the last run kept from a run before it (units not chosen with ``--units``): their hashes
    are checked, but they were made from the inputs of that earlier run, not from ``inputs/``."""
    try:
        units = _manifest(Path(folder))["units"]
    except KaoheError:
        return []
    return [f"units/{u['file']}.html" for u in units.values()
            if u.get("state") == "本次未生成" and (Path(folder) / "units" / f"{u['file']}.html").exists()]


def _rows_that_differ(name: str, written: pd.DataFrame, fresh: pd.DataFrame, key: list[str]) -> list[Difference]:
    """Row by row, keyed by ``key``: values that differ, rows only one side has."""
    if list(written.columns) != list(fresh.columns) or any(k not in written for k in key):
        return [Difference(name, "与重新计分不符", f"列不同：{'、'.join(written.columns)}")]
    w, f = written.set_index(key), fresh.set_index(key)
    lines = []
    for k in w.index.union(f.index, sort=False):
        label = "，".join(str(x) for x in (k if isinstance(k, tuple) else (k,)))
        if k not in f.index:
            lines.append(f"{label}：重新计分中没有此行")
        elif k not in w.index:
            lines.append(f"{label}：文件中缺少此行")
        else:
            a, b = w.loc[k], f.loc[k]
            if isinstance(a, pd.DataFrame) or isinstance(b, pd.DataFrame):  # a key written twice
                if not a.equals(b):
                    lines.append(f"{label}：重复的行与重新计分不同")
                continue
            lines += [f"{label} 的 {c}：文件中为「{a[c]}」，重新计分为「{b[c]}」" for c in w.columns if a[c] != b[c]]
    shown = [Difference(name, "与重新计分不符", line) for line in lines[:SHOWN]]
    if len(lines) > SHOWN:
        shown.append(Difference(name, "与重新计分不符", f"……另有 {len(lines) - SHOWN} 处不同"))
    return shown or [Difference(name, "与重新计分不符", "内容相同但字节不同（如行尾或编码）")]


@dataclass
class Rebuilt:
    """What ``kaohe verify --rebuild`` found: the differences, the files compared byte for byte, and the files
    it could not compare (their hashes are checked against the manifest only; ``--expect`` anchors those)."""

    differences: list[Difference]
    compared: list[str]
    not_compared: list[str]


def rebuild(folder: str | Path, progress: bool = False) -> Rebuilt:
    """The run made again from ``inputs/`` in a private temporary folder, with the kaohe version, notebooks
    and templates it recorded, and every output compared byte for byte (same inputs, same bytes). PDFs cannot
    be (Chromium's bytes are not stable), nor reports kept from an earlier run (``本次未生成``): made from other
    inputs. Those are returned as not compared, so nobody reads a pass as covering them.

    Raises:
        KaoheError: not a run folder, or this installation cannot make the same bytes (another kaohe version,
            other notebooks or templates): said, with what to install.
    """
    from . import __version__
    from .runner import NOTEBOOKS, TEMPLATES, run

    folder = Path(folder)
    manifest = _manifest(folder)
    recorded = (manifest.get("software") or {}).get("kaohe")
    if recorded != __version__:
        raise KaoheError(f"该次运行由 kaohe {recorded} 生成，本机是 kaohe {__version__}：--rebuild 须用同一版本"
                         f"（pip install kaohe=={recorded}），否则同样的输入也可能得出不同的文件")
    installed = [NOTEBOOKS / "unit_report.ipynb", NOTEBOOKS / "summary.ipynb", *(TEMPLATES / "kaohe").iterdir()]
    mine = {p.name: sha256(p) for p in installed}  # named as _write_manifest lists them
    theirs = {o["path"]: o["sha256"] for o in [*manifest["notebooks"], *manifest["templates"]]}
    changed = sorted(n for n, digest in theirs.items() if mine.get(n) != digest)
    if changed:
        raise KaoheError(f"本机 kaohe 的报告笔记本或模板与该次运行不同（{'、'.join(changed)}）：--rebuild 须用生成该次运行的"
                         f"同一份 kaohe {recorded}")
    present, links = _files(folder)
    names, bad = _plan(folder, manifest.get("rescore") or {}, links)
    if names is None:
        return Rebuilt(bad, [], [])
    run_ = manifest.get("run") or {}
    with tempfile.TemporaryDirectory(prefix="kaohe-rebuild-") as tmp:
        inputs = Path(tmp) / "inputs"
        inputs.mkdir()
        for name in {names["params"], names["roster"], *names["rubrics"], *names["evidence"]}:
            (inputs / name).write_bytes((folder / "inputs" / name).read_bytes())
        try:
            made = run(inputs / names["params"], as_of=run_.get("as_of"), show_code=bool(run_.get("show_code")),
                       out_dir=Path(tmp) / "out", progress=progress,
                       replace={k: v for k, v in names.items() if k != "params"}, shown_params=run_.get("params"))
        except InputError as exc:
            return Rebuilt([Difference("inputs/", "无法重新生成", f"复制的输入有错误：{exc}")], [], [])
        kept = {f"units/{u['file']}.{ext}" for u in manifest["units"].values() if u["state"] == "本次未生成"
                for ext in ("html", "ipynb", "pdf")}
        out, compared, skipped = [], [], []
        for path in sorted(o["path"] for o in manifest["outputs"]):
            if path not in present or path in links:
                continue  # named by verify
            if path in kept or path.endswith(".pdf"):
                skipped.append(path)
                continue
            compared.append(path)
            again = made.folder / path
            if not again.is_file():
                out.append(Difference(path, "重新生成时没有此文件"))
            elif again.read_bytes() != present[path].read_bytes():
                out.append(Difference(path, "与重新生成的不同", "同样的输入、同一版本的 kaohe 得出的文件字节不同：此文件被改动过"))
        # the fingerprinted files carry the folder's own fingerprint: verify makes them again itself
        return Rebuilt(out, compared, skipped)
