"""What a result was made from: input files with their sha256, and the versions of the software."""

from __future__ import annotations

import hashlib
import platform
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from . import __version__, snapshot
from .config import Run

#: Packages whose version can change a report, recorded in every report and manifest.
PACKAGES = ("pandas", "pydantic", "openpyxl", "matplotlib", "mplfonts", "papermill", "nbconvert", "nbclient",
            "nbformat", "ipykernel", "jupyter_client", "markupsafe", "pyyaml")


def sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _inputs(run: Run, rubric_files: list[Path] | None = None) -> list[tuple[str, Path]]:
    """Every file a run reads, in a fixed order: the params file, rubrics (``rubric_files`` when the
    rubrics are not the run's own, as in a comparison), roster, evidence."""
    rubrics = run.rubric_files if rubric_files is None else rubric_files
    return [("运行配置", run.path), *(("细则", p) for p in rubrics), ("单位名单", run.roster_path),
            *(("台账", p) for p in run.evidence_paths)]


def copy_names(run: Run, rubric_files: list[Path] | None = None) -> dict[str, str]:
    """Input path -> its file name in the run's ``inputs/`` folder (a repeated name gets a number)."""
    out: dict[str, str] = {}
    for i, (_, p) in enumerate(_inputs(run, rubric_files)):
        name = Path(p).name
        out[str(p)] = name if name not in out.values() else f"{i:02d}-{name}"
    return out


def input_files(run: Run, rubric_files: list[Path] | None = None) -> list[dict]:
    """Role, path, name in ``inputs/`` and sha256 of every input file: of the bytes read for scoring
    (:mod:`kaohe.snapshot`), not of the file as it may be now."""
    names = copy_names(run, rubric_files)
    return [{"role": role, "path": str(p), "name": names[str(p)],
             "sha256": hashlib.sha256(snapshot.read_bytes(p)).hexdigest()}
            for role, p in _inputs(run, rubric_files)]


def versions() -> dict[str, str]:
    return dict(_versions())


@cache  # read once per process: each report kernel inherits it from the fork server, which reads it first
def _versions() -> dict[str, str]:
    out = {"kaohe": __version__, "python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "未安装"
    return out
