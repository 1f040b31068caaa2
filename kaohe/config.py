"""Run configuration (``params/<run>.yaml``): which rubrics, roster and evidence make one run."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from .ledger import Evidence, Roster, load_evidence, load_roster
from .rubric import Rubric, load_model, load_rubric, rubric_path

#: Seconds a notebook cell may run in ``kaohe run`` (nbclient's own default is no limit).
DEFAULT_TIMEOUT = 600


class RunConfig(BaseModel):
    """Paths are relative to the params file, so a run folder can be moved as a whole."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
    year: int
    title: str
    rubrics: list[str] = Field(min_length=1)
    roster: str
    evidence: list[str] = Field(min_length=1)
    as_of: str | None = None


class Run:
    """A loaded run: the config plus its rubrics, roster and evidence (not yet validated)."""

    def __init__(self, path: str | Path):
        # Absolute and normalised: notebooks run in another working directory, and messages stay readable.
        self.path = Path(os.path.abspath(path))
        self.config: RunConfig = load_model(RunConfig, self.path)
        base = self.path.parent
        self.rubric_paths = [rubric_path(r if not r.endswith((".yaml", ".yml")) else os.path.abspath(base / r))
                             for r in self.config.rubrics]
        self.rubrics: list[Rubric] = [load_rubric(p) for p in self.rubric_paths]
        self.roster_path = Path(os.path.abspath(base / self.config.roster))
        self.evidence_paths = [Path(os.path.abspath(base / e)) for e in self.config.evidence]

    def load_inputs(self) -> tuple[Roster, Evidence]:
        return load_roster(self.roster_path), load_evidence(self.evidence_paths)
