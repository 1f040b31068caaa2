"""One run scored once: the results per rubric, the year-to-date results at each quarter end, and the
evidence behind every ledger row. ``kaohe run`` builds it once and hands it to every notebook through a
pickle; a notebook opened in JupyterLab builds its own from the params file.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from .config import Run
from .errors import InputError, KaoheError, warn
from .files import load_cache, save_cache
from .ledger import Evidence, Roster
from .provenance import input_files
from .rubric import Rubric
from .rules import Finding
from .scoring import Result, parse_as_of, score_checked
from .validate import check, missing_periods

#: Bumped when the pickled layout changes, so a notebook never reads a stale cache from another version.
CACHE_VERSION = 4


@dataclass
class Assessment:
    run: Run
    roster: Roster
    evidence: Evidence
    as_of: date | None
    #: rubric id -> result, for rubrics that score at least one roster unit, in params order
    results: dict[str, Result]
    #: rubric id -> [(quarter end or as_of, year-to-date result)], oldest first; these results carry the
    #: totals, grades and ranks (``units``) only: no report reads a past quarter's nodes or ledger.
    quarters: dict[str, list[tuple[date, Result]]] = field(default_factory=dict)
    #: Every input file with its sha256, hashed once when scored (``provenance.input_files``).
    inputs: list[dict] = field(default_factory=list)
    #: unit -> how its grade, veto or award changes under a declared alternative reading (robustness.dependence)
    depends: dict[str, list[str]] = field(default_factory=dict)

    @property
    def units(self) -> list[str]:
        """Every scored unit, rubric by rubric in ranking order."""
        return [u for r in self.results.values() for u in r.units["unit"]]

    def result_of(self, unit: str) -> Result:
        for r in self.results.values():
            if unit in set(r.units["unit"]):
                return r
        raise KaoheError(f"单位「{unit}」不在本次考核的计分范围内（可选：{'、'.join(self.units)}）")

    def rubric_of(self, unit: str) -> Rubric:
        return self.result_of(unit).rubric

    def finding(self, file: str, row: int | None) -> Finding:
        return self._findings[(file, row)]

    def __post_init__(self):
        self._findings = {(f.file, f.row): f for f in self.evidence.findings}
        self._index = None

    def save(self, path: Path) -> None:
        save_cache(path, self, CACHE_VERSION)

    def per_unit(self) -> Iterator[tuple[str, Assessment]]:
        """Every unit's slice (:meth:`slice`), made one at a time."""
        for unit in self.units:
            yield unit, self.slice(unit)

    def slice(self, unit: str) -> Assessment:
        """What ``unit``'s report reads and nothing else: its own row of the totals (with how many units it
        ranks among), of each quarter's, and of the roster; its nodes, ledger rows and evidence. Its size
        does not depend on the number of units, so a kernel loads the same small pickle at 60 units or
        at 60,000."""
        if self._index is None:  # row positions by unit, worked out once for all slices
            rows: dict[str, list] = {}
            for f in self.evidence.findings:
                rows.setdefault(f.unit, []).append(f)
            self._index = {"evidence": rows, "rubric": {u: rid for rid, r in self.results.items() for u in r.units["unit"]},
                           **{rid: {t: getattr(r, t).groupby("unit", sort=False).indices
                                                      for t in ("units", "nodes", "ledger")}
                                                 for rid, r in self.results.items()},
                           **{(rid, i): q.units.groupby("unit", sort=False).indices
                              for rid, qs in self.quarters.items() for i, (_, q) in enumerate(qs)}}
        rid = self._index["rubric"][unit]
        r, at = self.results[rid], self._index[rid]

        def rows_of(frame, positions):
            return frame.iloc[positions.get(unit, [])]

        mine = replace(r, units=rows_of(r.units, at["units"]), nodes=rows_of(r.nodes, at["nodes"]),
                       ledger=rows_of(r.ledger, at["ledger"]), of=r.size)
        quarters = [(d, replace(q, units=rows_of(q.units, self._index[(rid, i)]), of=q.size))
                    for i, (d, q) in enumerate(self.quarters.get(rid, []))]
        roster = replace(self.roster, units=[u for u in self.roster.units if u.name == unit])
        evidence = Evidence(self._index["evidence"].get(unit, []), [], self.evidence.files, self.evidence.headers)
        depends = {unit: self.depends[unit]} if unit in self.depends else {}
        return replace(self, roster=roster, evidence=evidence, results={rid: mine}, quarters={rid: quarters},
                       depends=depends)

    def for_summary(self) -> Assessment:
        """What the summary reads: every unit's totals, the top two levels of indicators (heatmap, most
        points lost), and only the ledger and evidence rows of vetoes and disqualifications."""
        kept, results = set(), {}
        for rid, r in self.results.items():
            led = r.ledger[r.ledger["kind"].isin(["veto", "disqualify"])]
            kept |= set(zip(led["file"], led["row"]))
            results[rid] = replace(r, nodes=r.nodes[r.nodes["depth"] <= 1], ledger=led)
        evidence = Evidence([f for f in self.evidence.findings if (f.file, f.row) in kept], [],
                            self.evidence.files, self.evidence.headers)
        return replace(self, evidence=evidence, results=results)


def quarter_ends(rubric: Rubric, as_of: date | None) -> list[date]:
    """Calendar quarter ends inside the rubric's period, up to ``as_of``; ``as_of`` itself last when it
    falls between quarter ends (a bulletin in May shows Q1 and May).

    >>> from kaohe.rubric import load_rubric
    >>> [d.isoformat() for d in quarter_ends(load_rubric("hengnan-2020-township"), date(2020, 5, 15))]
    ['2020-03-31', '2020-05-15']
    """
    end = as_of or rubric.period.end  # may pass the period's end for records made after it (郎溪's 互评)
    out = []
    for year in range(rubric.period.start.year, end.year + 1):
        for month, day in ((3, 31), (6, 30), (9, 30), (12, 31)):
            d = date(year, month, day)
            if rubric.period.start <= d <= min(end, rubric.period.end):
                out.append(d)
    if not out or out[-1] != end:
        out.append(end)
    return out


def assess(params: str | Path, as_of: str | date | None = None, replace: dict | None = None) -> Assessment:
    """Load, check and score a params file; ``as_of`` overrides the file's own, ``replace`` its fields
    (:class:`kaohe.config.Run`).

    Raises:
        InputError: every problem of the inputs at once; nothing is scored.
    """
    run = Run(params, replace)
    roster, evidence = run.load_inputs()
    given = as_of if as_of not in (None, "") else run.config.as_of
    when, problems = parse_as_of(given, run.rubrics, "--as-of" if as_of not in (None, "") else str(run.path))
    problems += check(run.rubrics, roster, evidence, every_category_scored=True)
    if problems:
        raise InputError(problems)
    warn(missing_periods(run.rubrics, roster, evidence, when))  # a month without a row costs nothing: say which
    results, quarters = {}, {}
    for rubric in run.rubrics:
        result = score_checked(rubric, roster, evidence, when)
        if not len(result.units):
            continue
        results[rubric.id] = result
        quarters[rubric.id] = [(d, _totals(result if d == (when or rubric.period.end) else
                                           score_checked(rubric, roster, evidence, d))) for d in quarter_ends(rubric, when)]
    from .robustness import dependence  # it scores rubric copies with scoring, as this module does

    return Assessment(run, roster, evidence, when, results, quarters, input_files(run),
                      dependence(results, roster, evidence, when))


def _totals(r: Result) -> Result:
    """A result without its nodes and ledger rows: what a quarter's bulletin needs."""
    return replace(r, nodes=r.nodes.iloc[0:0], ledger=r.ledger.iloc[0:0])


def load(params: str | Path, as_of: str | date | None = None, cache: str | Path | None = None) -> Assessment:
    """The run's assessment: from ``cache`` when ``kaohe run`` made one, else scored here (also when a
    published notebook is rerun after the run removed its cache)."""
    if cache and Path(cache).exists():
        return load_cache(cache, CACHE_VERSION, "kaohe run")
    return assess(params, as_of)
