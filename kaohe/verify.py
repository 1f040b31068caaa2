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
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from .assessment import assess
from .errors import InputError, KaoheError
from .files import csv_text
from .provenance import sha256

#: Rows of one table listed before "…另有 N 处" (an auditor needs the first ones, not ten thousand).
SHOWN = 20


@dataclass(frozen=True)
class Difference:
    path: str  # relative to the run folder
    what: str  # 已修改, 缺失, 多出, 与重新计分不符, 无法重新计分
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.path}：{self.what}" + (f"——{self.detail}" if self.detail else "")


def verify(folder: str | Path) -> list[Difference]:
    """Every difference between ``folder`` (``outputs/<run>/<year>``) and its manifest, then between its
    ``scores.csv`` / ``ledger.csv`` and a fresh scoring of the copies in ``inputs/``. Empty: all matches.

    Raises:
        KaoheError: the folder is not a run folder (no readable manifest).
    """
    folder = Path(folder)
    try:
        if (folder / "manifest.json").is_symlink():
            raise ValueError("manifest.json 是符号链接")
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        listed = {o["path"]: o["sha256"] for o in manifest["outputs"]}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise KaoheError(f"{folder} 不是 kaohe run 的输出目录（manifest.json 缺失或无法读取：{exc}）") from None
    roles = {f"inputs/{i['name']}": i["role"] for i in manifest.get("inputs", [])}
    out = []
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
    out += [Difference(path, "多出", "清单中没有此文件") for path in present if path not in listed]
    return out + _rescore(folder, manifest, links)


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
            # a plain name of this system (no folder, drive or parent part), as copy_names writes it
            inside = isinstance(name, str) and name not in ("", ".", "..") and "\0" not in name and Path(name).name == name
            if not inside:
                bad.append(Difference("manifest.json", "被篡改", f"rescore 的 {field} 指向 inputs/ 以外的文件：{name!r}"
                                                               "（kaohe run 只写 inputs/ 中的文件名）；未读取该文件"))
            elif f"inputs/{name}" in links or not (folder / "inputs" / name).is_file():
                bad.append(Difference("manifest.json", "无法重新计分", f"rescore 的 {field} 所指 inputs/{name} 不存在或不是普通文件"))
    if "inputs" in links:
        bad.append(Difference("manifest.json", "被篡改", "inputs/ 是符号链接；未读取"))
    return (None if bad else names), bad


def _rescore(folder: Path, manifest: dict, links: list[str]) -> list[Difference]:
    """Score ``inputs/`` again and compare the tables a run writes with the ones in the folder."""
    from .runner import ledger_frame, scores_frame

    plan = manifest.get("rescore")
    if not plan:
        return [Difference("manifest.json", "无法重新计分", "清单中没有 rescore 一项（由较早版本的 kaohe 生成）")]
    names, bad = _plan(folder, plan, links)
    if names is None:
        return bad
    try:
        # The copied params file, its paths replaced by the copies beside it (in memory: nothing is written).
        replace = {k: v for k, v in names.items() if k != "params"}
        a = assess(folder / "inputs" / names["params"], (manifest.get("run") or {}).get("as_of"), replace=replace)
    except InputError as exc:
        return [Difference("inputs/", "无法重新计分", f"复制的输入有错误：{exc}")]
    except (OSError, ValueError, KeyError, TypeError, AttributeError, yaml.YAMLError, KaoheError) as exc:
        return [Difference("inputs/", "无法重新计分", f"{type(exc).__name__}: {exc}")]
    out = []
    for name, frame, key in (("scores.csv", scores_frame(a), ["unit"]),
                             ("ledger.csv", ledger_frame(a), ["rubric", "evidence_id"])):
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
    return out


def earlier_reports(folder: str | Path) -> list[str]:
    """Unit reports the last run kept from a run before it (units not chosen with ``--units``): their hashes
    are checked, but they were made from the inputs of that earlier run, not from ``inputs/``."""
    try:
        units = json.loads((Path(folder) / "manifest.json").read_text(encoding="utf-8")).get("units", {})
    except (OSError, ValueError):
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
