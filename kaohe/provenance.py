"""What a result was made from: input files with their sha256, and the versions of the software."""

from __future__ import annotations

import hashlib
import platform
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from . import __version__
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


def input_files(run: Run) -> list[dict]:
    """Every file a run reads, in a fixed order: the params file, rubrics, roster, evidence."""
    files = [("运行配置", run.path)]
    files += [("细则", p) for p in run.rubric_paths]
    files += [("单位名单", run.roster_path)]
    files += [("台账", p) for p in run.evidence_paths]
    return [{"role": role, "path": str(p), "name": Path(p).name, "sha256": sha256(p)} for role, p in files]


def versions() -> dict[str, str]:
    out = {"kaohe": __version__, "python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "未安装"
    return out
