"""Run configuration (``params/<run>.yaml``): which rubrics, roster and evidence make one run."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from .errors import KaoheError
from .ledger import Evidence, Roster, load_evidence, load_roster
from .rubric import RUBRIC_SUFFIXES, Rubric, load_model, load_rubric, rubric_files, rubric_path

#: Seconds a notebook cell may run in ``kaohe run`` (nbclient's own default is no limit).
DEFAULT_TIMEOUT = 600
#: Notebooks run at once by ``kaohe run``: twice the cores, because a report kernel spends part of its life
#: waiting (start-up, messages) — measured on 2 cores, 60 reports: 2 jobs 37 s, 4 jobs 27 s, 6 jobs 27 s.
DEFAULT_JOBS = 2 * (os.cpu_count() or 1)


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
    #: Award quotas the document leaves open (益阳's 激励名单 "综合排名靠前"), by rubric id.
    quotas: dict[str, Annotated[int, Field(ge=0)]] = {}
    #: The 通报 (scores.docx) as issued: who sends it, to whom, on what day; a bracketed blank where absent.
    issuer: str | None = Field(default=None, min_length=1, description="通报的发文机关署名（落款），不写则留空白〔发文机关〕待填",
                               examples=["衡南县政务公开政务服务领导小组办公室"])
    recipients: str | None = Field(default=None, min_length=1, description="通报的主送机关，照公文写法，不写则留空白〔主送机关〕待填",
                                   examples=["各乡镇人民政府、街道办事处，县直各单位"])
    issue_date: date | None = Field(default=None, description="通报的成文日期，YYYY-MM-DD，不写则留空白〔成文日期〕待填",
                                    examples=["2021-01-15"])


class Run:
    """A loaded run: the config plus its rubrics, roster and evidence (not yet validated)."""

    def __init__(self, path: str | Path, replace: dict | None = None):
        """``replace``: fields used instead of the file's (``kaohe verify`` points a run's copied params file at
        the copies of its inputs without writing it)."""
        # Absolute and normalised: notebooks run in another working directory, and messages stay readable.
        self.path = Path(os.path.abspath(path))
        self.config: RunConfig = load_model(RunConfig, self.path)
        if replace:
            self.config = RunConfig.model_validate({**self.config.model_dump(), **replace})
        base = self.path.parent
        self.rubric_paths = [rubric_path(os.path.abspath(base / r) if _is_file(r) else r) for r in self.config.rubrics]
        self.rubrics: list[Rubric] = [self.with_quota(load_rubric(p)) for p in self.rubric_paths]
        #: Every file the rubrics are read from (a draft's base versions too), for provenance.
        self.rubric_files = list(dict.fromkeys(f for p in self.rubric_paths for f in rubric_files(p)))
        unknown = set(self.config.quotas) - {r.id for r in self.rubrics}
        if unknown:
            raise KaoheError(f"{self.path}：quotas 中的细则 {'、'.join(sorted(unknown))} 不在本次运行的细则中")
        self.roster_path = Path(os.path.abspath(base / self.config.roster))
        self.evidence_paths = [Path(os.path.abspath(base / e)) for e in self.config.evidence]
        self._inside_project([("rubrics", r, p) for r, p in zip(self.config.rubrics, self.rubric_paths) if _is_file(r)] + [("roster", self.config.roster, self.roster_path)]
                             + [("evidence", e, p) for e, p in zip(self.config.evidence, self.evidence_paths)])

    @property
    def project(self) -> Path:
        """The folder a run's files must lie in: the one holding ``params/`` (``params/x.yaml`` names
        ``../data/…``; ``params/2020/x.yaml`` names ``../../data/…``), or the params file's own folder when
        it is not in a folder called params."""
        folder = self.path.parent
        return next((f.parent for f in (folder, *folder.parents) if f.name == "params"), folder)

    def _inside_project(self, named: list[tuple[str, str, Path]]) -> None:
        """A params file may name only files inside its project (so the run can be copied and verified as a
        whole, and a params file from elsewhere cannot make kaohe read, copy and publish any file)."""
        # Paths as written, `..` folded but links not followed: a data folder linked in on purpose is inside.
        root = Path(os.path.abspath(self.project))
        outside = [f"{field}: {value}" for field, value, path in named
                   if not Path(os.path.abspath(path)).is_relative_to(root)]
        if outside:
            raise KaoheError(f"{self.path}：以下路径在项目目录 {root} 之外——{'；'.join(outside)}。"
                             "细则、单位名单和台账须放在项目目录中（运行配置在 params/ 中时为其上一级目录，否则为运行配置所在目录）")

    def with_quota(self, rubric: Rubric, strict: bool = True) -> Rubric:
        """The rubric with the params file's quota for an award the document leaves open. ``strict=False``
        (a comparison of versions) lets a version that fixes its own quota keep it."""
        award = rubric.awards.excellent
        given = self.config.quotas.get(rubric.id)
        if award is None or (award.quota is not None and given is None):
            if given is not None and strict:
                raise KaoheError(f"{self.path}：细则 {rubric.id} 没有名额待定的奖项，quotas 不适用")
            return rubric
        if award.quota is not None:
            if not strict:
                return rubric
            raise KaoheError(f"{self.path}：细则 {rubric.id} 的{award.name}名额已由文件规定为 {award.quota} 个，不能在 quotas 中更改")
        if given is None:
            raise KaoheError(f"{self.path}：细则 {rubric.id} 的{award.name}名额由运行配置给出，请在 quotas 中设置，如 quotas: {{{rubric.id}: 3}}")
        awards = rubric.awards.model_copy(update={"excellent": award.model_copy(update={"quota": given})})
        return rubric.model_copy(update={"awards": awards})

    def load_inputs(self, rubrics: list[Rubric] | None = None) -> tuple[Roster, Evidence]:
        """The roster and the evidence placed on it and on ``rubrics`` (default: the run's own)."""
        from .validate import resolve  # validate imports the rubric registry, as this module does

        roster = load_roster(self.roster_path)
        return roster, resolve(self.rubrics if rubrics is None else rubrics, roster, load_evidence(self.evidence_paths))


def _is_file(rubric: str) -> bool:
    """A rubric named by its file (``../rubrics/x.yaml``, ``细则.xlsx``) rather than by a bundled id (``x`` or ``x@2``)."""
    return rubric.lower().endswith(RUBRIC_SUFFIXES)
