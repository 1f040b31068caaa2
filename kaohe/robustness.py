"""``kaohe robustness``: would any unit's grade, rank or award change under another defensible reading?

A reading (``Rubric.readings``) may list ``alternatives``, each a set of rubric changes in the form drafts use.
Every combination of options (the reading as written or one of its alternatives, per reading) is a rubric copy
(:func:`kaohe.rubric.with_changes`) scored with :func:`kaohe.scoring.score_checked` — all combinations up to
``EXHAUSTIVE``, else a seeded sample that always holds the rubric as written and every single change.

Work is reused across combinations: an alternative that only changes rules moves only the units with evidence
on those rules, so units are grouped by the readings that can move them and each group is scored once per
combination *of those readings* (most units are touched by a few). Ranks and awards, which depend on every unit,
are then worked out per combination from the units' rows (scoring's own ``_ranks`` and ``_excellent``).

Uncertainty and sensitivity follow the composite-indicator practice (OECD/JRC Handbook): each unit's rank
interval (min–max, 5–95%, median) and, per reading, the first-order share of rank variance it explains
(Var(E[rank | reading]) / Var(rank), summed over units).
"""

from __future__ import annotations

import itertools
import math
import random
import time
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import KaoheError
from .html import Fragment, join, table, tag
from .numbers import fmt
from .rubric import Reading, Rubric, with_changes
from .scoring import _excellent, _ranks, score_checked
from .validate import in_scope

#: Up to this many combinations all are scored; beyond it a seeded sample of SAMPLE combinations.
EXHAUSTIVE = 4096
CHART_UNITS = 100  # rows of the rank-interval chart; more would make a figure no one can read
SAMPLE = 1000
SEED = 2020
#: Bumped when the pickled layout changes.
CACHE_VERSION = 1


def choices(rubric: Rubric) -> list[Reading]:
    """The readings with alternatives: the dimensions of the combinations (a reading without any changes nothing)."""
    return [rd for rd in rubric.readings if rd.alternatives]


def decode(index: int, sizes: list[int]) -> tuple[int, ...]:
    """The ``index``-th combination in :func:`itertools.product` order (the last reading varies fastest)."""
    out = []
    for s in reversed(sizes):
        index, k = divmod(index, s)
        out.append(k)
    return tuple(reversed(out))


def combinations(sizes: list[int], limit: int = EXHAUSTIVE, sample: int = SAMPLE,
                 seed: int = SEED) -> tuple[np.ndarray, int, bool]:
    """(rows of option indices, how many combinations exist, sampled?). Every combination once when there are at
    most ``limit`` (or ``sample``); else ``sample`` distinct ones drawn with ``seed``: first the rubric as written and each single
    change (so a reading's effect alone is always measured), then random ones."""
    total = math.prod(sizes)
    if total <= max(limit, sample):  # a sample as large as all of them is all of them (and the draw would not end)
        rows = list(itertools.product(*(range(s) for s in sizes)))
        return np.array(rows, dtype=np.int64).reshape(len(rows), len(sizes)), total, False
    rows = [tuple(int(k) for k in row) for row in singles(sizes)]
    seen, rng = set(rows), random.Random(seed)
    while len(rows) < sample:
        combo = decode(rng.randrange(total), sizes)
        if combo not in seen:
            seen.add(combo)
            rows.append(combo)
    return np.array(rows, dtype=np.int64), total, True


def singles(sizes: list[int]) -> np.ndarray:
    """The rubric as written and each alternative alone: what a normal run checks."""
    rows = [tuple([0] * len(sizes))]
    rows += [tuple(k if j == i else 0 for j in range(len(sizes))) for i, s in enumerate(sizes) for k in range(1, s)]
    return np.array(rows, dtype=np.int64).reshape(len(rows), len(sizes))


@dataclass
class Robustness:
    """One rubric's results under each combination: rows are combinations, columns units (in roster order)."""

    rubric: Rubric
    readings: list[Reading]
    combos: np.ndarray  # [combination, reading] -> option (0 as written, k the k-th alternative)
    total: int  # how many combinations exist
    sampled: bool
    seed: int
    units: list[str]
    categories: list[str]
    scores: np.ndarray  # Decimal
    ranks: np.ndarray  # float, nan for a disqualified unit
    grades: np.ndarray  # str
    vetoed: np.ndarray  # bool
    awards: np.ndarray  # str: 是, 待定, 取消评优资格 or ""
    #: unit scorings done (groups × their combinations), against len(combos) × len(units) without reuse
    scored: int = 0

    # --- options -------------------------------------------------------------------------------------
    def option(self, i: int, k: int) -> str:
        """``R2`` as written, ``R2-1`` its first alternative."""
        return self.readings[i].id if k == 0 else f"{self.readings[i].id}-{k}"

    def option_label(self, i: int, k: int) -> str:
        rd = self.readings[i]
        return f"{self.option(i, k)}（{rd.about}：{'按细则' if k == 0 else rd.alternatives[k - 1].label}）"

    def changed(self, c: int) -> list[tuple[int, int]]:
        """(reading, alternative) pairs where combination ``c`` departs from the rubric as written."""
        return [(i, int(k)) for i, k in enumerate(self.combos[c]) if k]

    @property
    def base(self) -> int:
        return 0  # both enumerations start with the rubric as written

    def outcome(self, c: int, u: int) -> tuple[str, bool, str]:
        return self.grades[c, u], bool(self.vetoed[c, u]), self.awards[c, u]

    def describe_outcome(self, c: int, u: int) -> str:
        grade, vetoed, award = self.outcome(c, u)
        parts = [grade or "无等次"] if self.rubric.grades else []
        parts += ["一票否决"] if vetoed else []
        parts.append(self._award_text(award))
        return "，".join(p for p in parts if p) or "—"

    def _award_text(self, award: str) -> str:
        name = self.rubric.awards.excellent.name if self.rubric.awards.excellent else None
        if award == "取消评优资格":
            return award
        if name is None:
            return "保有评优资格" if self.rubric.bars_awards else ""
        return {"是": f"入选{name}", "待定": f"{name}待定（名额边界同分）"}.get(award, f"未入选{name}")

    def difference(self, c: int, u: int) -> str:
        """What differs from the rubric as written, in words: 等次由「合格」变为「不合格」."""
        (g0, v0, a0), (g1, v1, a1) = self.outcome(self.base, u), self.outcome(c, u)
        out = []
        if g0 != g1:
            out.append(f"等次由「{g0}」变为「{g1}」")
        if v0 != v1:
            out.append("被一票否决" if v1 else "不再被一票否决")
        if a0 != a1:
            out.append(f"由「{self._award_text(a0)}」变为「{self._award_text(a1)}」")
        return "，".join(out)

    # --- per unit ------------------------------------------------------------------------------------
    def differs(self) -> np.ndarray:
        """[combination, unit]: the grade, veto or award differs from the rubric as written."""
        return ((self.grades != self.grades[self.base]) | (self.vetoed != self.vetoed[self.base])
                | (self.awards != self.awards[self.base]))

    def flips(self) -> list[dict]:
        """Units whose grade, veto or award differs from the rubric as written under some combination, each with
        the smallest set of alternatives that does it (fewest changes, then the first in enumeration order)."""
        out = []
        differs, size = self.differs(), (self.combos != 0).sum(axis=1)
        for u in np.flatnonzero(differs.any(axis=0)).tolist():
            hit = np.flatnonzero(differs[:, u])
            c = int(hit[np.argmin(size[hit])])  # argmin keeps the first of equal sizes
            pairs = self.changed(c)
            out.append({"unit": self.units[u], "category": self.categories[u],
                        "as_written": self.describe_outcome(self.base, u), "other": self.describe_outcome(c, u),
                        "change": self.difference(c, u), "smallest": pairs, "share": len(hit) / len(self.combos),
                        "readings": [self.readings[i].id for i, _ in pairs],
                        "clauses": [self.readings[i].alternatives[k - 1].clause for i, k in pairs]})
        return out

    def unit_frame(self) -> pd.DataFrame:
        """robustness.csv: one row per unit."""
        rows = []
        grade_order = [b.grade for b in self.rubric.grades.bands] if self.rubric.grades else []
        for u, unit in enumerate(self.units):
            s = sorted(self.scores[:, u])
            r = self.ranks[:, u]
            r = r[~np.isnan(r)]
            seen = set(self.grades[:, u])
            grades = [g for g in grade_order if g in seen] + sorted(g for g in seen if g not in grade_order and g)
            rows.append({"单位": unit, "类别": self.categories[u], "按细则得分": fmt(self.scores[self.base, u]),
                         "最低分": fmt(s[0]), "中位分": fmt(_median(s)), "最高分": fmt(s[-1]),
                         "按细则名次": _rank_text(self.ranks[self.base, u]),
                         "最好名次": _rank_text(r.min() if len(r) else None),
                         "中位名次": _rank_text(np.median(r) if len(r) else None),
                         "最差名次": _rank_text(r.max() if len(r) else None),
                         "5%名次": _rank_text(np.percentile(r, 5) if len(r) else None),
                         "95%名次": _rank_text(np.percentile(r, 95) if len(r) else None),
                         "出现的等次": "、".join(grades), "一票否决比例": _share(self.vetoed[:, u].mean()),
                         "评优比例": _share((self.awards[:, u] == "是").mean()),
                         "评优待定比例": _share((self.awards[:, u] == "待定").mean())})
        return pd.DataFrame(rows)

    # --- per reading ---------------------------------------------------------------------------------
    def influence(self) -> list[dict]:
        """For each reading: units whose outcome (grade, veto, award) or rank moves when it alone is changed, and
        the share of rank variance it explains (first-order: Var over its options of the mean rank, summed over
        units, over the summed rank variance)."""
        base = 0
        ranks = np.nan_to_num(self.ranks, nan=len(self.units) + 1)  # a disqualified unit: after every rank
        var_total = float(ranks.var(axis=0).sum())
        out = []
        differs, size = self.differs(), (self.combos != 0).sum(axis=1)
        for i, rd in enumerate(self.readings):
            alone = np.flatnonzero((size == 1) & (self.combos[:, i] != 0))
            moved = set(np.flatnonzero(differs[alone].any(axis=0)).tolist())
            ranked = set(np.flatnonzero((ranks[alone] != ranks[base]).any(axis=0)).tolist())
            scored = set(np.flatnonzero((self.scores[alone] != self.scores[base]).any(axis=0)).tolist())
            means = [ranks[self.combos[:, i] == k].mean(axis=0) for k in range(len(rd.alternatives) + 1)
                     if (self.combos[:, i] == k).any()]
            weights = [(self.combos[:, i] == k).mean() for k in range(len(rd.alternatives) + 1)
                       if (self.combos[:, i] == k).any()]
            grand = sum(w * m for w, m in zip(weights, means))
            explained = float(sum(w * ((m - grand) ** 2) for w, m in zip(weights, means)).sum())
            out.append({"reading": rd, "alternatives": len(rd.alternatives), "outcome": len(moved), "rank": len(ranked),
                        "score": len(scored), "share": explained / var_total if var_total else 0.0,
                        "units_moved": sorted(self.units[u] for u in moved)})
        return out

    def readings_frame(self) -> pd.DataFrame:
        rows = [{"读法": x["reading"].id, "涉及的问题": x["reading"].about, "按细则的读法": x["reading"].reading,
                 "另一种读法": "；".join(f"{self.option(i, k)} {a.label}" for k, a in enumerate(x["reading"].alternatives, 1)),
                 "所涉条款": "；".join(dict.fromkeys(a.clause for a in x["reading"].alternatives)),
                 "单独改变时得分变化的单位数": x["score"], "单独改变时名次变化的单位数": x["rank"],
                 "单独改变时等次、否决或评优变化的单位数": x["outcome"], "名次方差占比": f"{x['share']:.1%}",
                 "等次、否决或评优变化的单位": "、".join(x["units_moved"])}
                for i, x in enumerate(self.influence())]
        return pd.DataFrame(rows, columns=["读法", "涉及的问题", "按细则的读法", "另一种读法", "所涉条款",
                                           "单独改变时得分变化的单位数", "单独改变时名次变化的单位数",
                                           "单独改变时等次、否决或评优变化的单位数", "名次方差占比", "等次、否决或评优变化的单位"])

    def conclusion(self) -> str:
        """The answer in plain Chinese, first in the report and on the command line."""
        n, units = len(self.combos), len(self.units)
        if not self.readings:
            return f"细则 {self.rubric.ref} 没有列出另一种读法，{units} 个单位的结果只有按细则的一种。"
        scope = (f"在全部 {n} 种读法组合下" if not self.sampled else
                 f"在 {self.total} 种读法组合中按种子 {self.seed} 抽取的 {n} 种（含按细则和每一处单独改变）下")
        flips = self.flips()
        stable = units - len(flips)
        rb = self.rubric
        what = "、".join([*(["等次"] if rb.grades else []), *(["一票否决"] if rb.can_veto else []),
                         *([rb.awards.excellent.name] if rb.awards.excellent else []),
                         *(["评优资格"] if rb.bars_awards and not rb.awards.excellent else [])])
        text = (f"{rb.ref}：{scope}，{units} 个单位中 {stable} 个的{what}结果不变" if what else
                f"{rb.ref}：本细则不定等次，也没有一票否决和评优名单；{scope}")
        if flips:
            eg = []
            for f in flips[:5]:
                via = "、".join(f"{self.readings[i].id}（{self.readings[i].about}：{self.readings[i].alternatives[k - 1].label}）"
                               for i, k in f["smallest"])
                eg.append(f"{f['unit']} 取决于读法 {via}：{f['change']}")
            text += "；" + "；".join(eg) + ("；等" if len(flips) > 5 else "")
        r = np.nan_to_num(self.ranks, nan=units + 1)
        moved = int(((r.max(axis=0) != r.min(axis=0)).sum()) if units else 0)
        text += f"{'。' if what else '，'}名次随读法变化的单位 {moved} 个"
        infl = sorted(self.influence(), key=lambda x: -x["share"])
        if infl and infl[0]["share"] > 0:
            top = infl[0]
            text += f"，影响最大的是读法 {top['reading'].id}（{top['reading'].about}，解释名次方差的 {top['share']:.0%}）"
        return text + "。"


def _median(values: list[Decimal]) -> Decimal:
    n = len(values)
    return values[n // 2] if n % 2 else (values[n // 2 - 1] + values[n // 2]) / 2


def _rank_text(r) -> str:
    if r is None or (isinstance(r, float) and math.isnan(r)):
        return "取消资格"
    r = float(r)
    return str(int(r)) if r == int(r) else f"{r:.1f}"


def _share(x: float) -> str:
    return f"{x:.1%}"


# --- scoring every combination ------------------------------------------------------------------------

def _touched(rubric: Rubric, readings: list[Reading], units: list[str], evidence) -> list[set[int] | None]:
    """For each reading, the units its alternatives can move (None: all). A change of a rule moves only units
    with evidence on that rule (a rule without rows adds nothing); the award list is worked out per combination
    from all units, so a change of awards.excellent moves no unit's row; anything else (a node's points or weight,
    the grades, the veto) may move every unit."""
    at = {u: i for i, u in enumerate(units)}
    by_rule: dict[str, set[int]] = {}
    for f in evidence.findings:
        if f.unit in at:
            by_rule.setdefault(f.rule, set()).add(at[f.unit])
    out: list[set[int] | None] = []
    for rd in readings:
        hit: set[int] | None = set()
        for alt in rd.alternatives:
            for ch in alt.changes:
                if ch.id == "awards.excellent":
                    continue
                if ch.id in rubric.rules:
                    hit |= by_rule.get(ch.id, set())
                else:
                    hit = None
                    break
            if hit is None:
                break
        out.append(hit)
    return out


def analyse(rubric: Rubric, roster, evidence, as_of: date | None = None, combos: np.ndarray | None = None,
            limit: int = EXHAUSTIVE, sample: int = SAMPLE, seed: int = SEED, base: pd.DataFrame | None = None) -> Robustness:
    """Score ``rubric`` under every combination of its readings' alternatives (or ``combos``, rows of option
    indices starting with the rubric as written) on inputs :func:`kaohe.validate.check` has passed. ``base``: the
    units table the run already scored with the rubric as written (not scored again)."""
    readings = choices(rubric)
    sizes = [len(rd.alternatives) + 1 for rd in readings]
    if combos is None:
        combos, total, sampled = combinations(sizes, limit, sample, seed)
    else:
        total, sampled = math.prod(sizes), len(combos) < math.prod(sizes)
    units = in_scope(rubric, roster)
    n, m = len(combos), len(units)
    variants: dict[tuple, Rubric] = {}

    def variant(key: tuple) -> Rubric:
        if key not in variants:
            changes = [ch for i, k in enumerate(key) if k for ch in readings[i].alternatives[k - 1].changes]
            try:
                variants[key] = with_changes(rubric, changes) if changes else rubric
            except ValueError as exc:
                names = "、".join(f"{readings[i].id}-{k}" for i, k in enumerate(key) if k)
                raise KaoheError(f"细则 {rubric.ref} 的读法组合 {names} 无法应用：{exc}（先运行 kaohe rubric lint {rubric.id}）") from None
        return variants[key]

    touched = _touched(rubric, readings, units, evidence)
    groups: dict[tuple[int, ...], list[int]] = {}
    for u in range(m):
        key = tuple(i for i, t in enumerate(touched) if t is None or u in t)
        groups.setdefault(key, []).append(u)
    # Each (group, combination of its readings) needs the rubric with just those alternatives: units of every group
    # needing the same rubric copy are scored together, once.
    needs: dict[tuple, list[tuple[list[int], np.ndarray]]] = {}
    for key, members in groups.items():
        cols = list(key)
        proj = combos[:, cols] if cols else np.zeros((n, 0), dtype=np.int64)
        distinct, which = np.unique(proj, axis=0, return_inverse=True)
        which = np.asarray(which).reshape(-1)
        for d, options in enumerate(distinct):
            full = [0] * len(readings)
            for i, k in zip(cols, options.tolist()):
                full[i] = k
            needs.setdefault(tuple(full), []).append((members, np.flatnonzero(which == d)))
    by_name = {x.name: x for x in roster.units}
    scores = np.empty((n, m), dtype=object)
    grades = np.empty((n, m), dtype=object)
    vetoed = np.zeros((n, m), dtype=bool)
    disq = np.zeros((n, m), dtype=bool)
    inel = np.zeros((n, m), dtype=bool)
    scored = 0
    for full, parts in needs.items():
        everyone = sorted(u for members, _ in parts for u in members)
        if base is not None and not any(full):  # the run already scored the rubric as written
            res = base.set_index("unit")
        else:
            sub = replace(roster, units=[by_name[units[u]] for u in everyone])
            res = score_checked(variant(full), sub, evidence, as_of).units.set_index("unit")
            scored += len(everyone)
        for members, rows in parts:
            got = res.loc[[units[u] for u in members]]
            idx = np.ix_(rows, members)
            scores[idx] = got["total"].to_numpy(dtype=object)[None, :]
            grades[idx] = got["grade"].to_numpy(dtype=object)[None, :]
            vetoed[idx] = got["vetoed"].to_numpy(dtype=bool)[None, :]
            disq[idx] = got["disqualified"].to_numpy(dtype=bool)[None, :]
            inel[idx] = got["ineligible"].to_numpy(dtype=bool)[None, :]
    ranks = np.full((n, m), np.nan)
    awards = np.full((n, m), "", dtype=object)
    category = roster.category_of()
    cats = [category[u] for u in units]
    award_readings = [i for i, rd in enumerate(readings)
                      if any(ch.id == "awards.excellent" for a in rd.alternatives for ch in a.changes)]
    for c in range(n):
        frame = pd.DataFrame({"unit": units, "category": cats, "total": scores[c], "vetoed": vetoed[c],
                              "disqualified": disq[c], "ineligible": inel[c]})
        ranks[c] = [np.nan if r is None else r for r in _ranks(frame)]
        if rubric.awards.excellent is not None:
            key = tuple(int(k) if i in award_readings else 0 for i, k in enumerate(combos[c]))
            done, _ = _excellent(variant(key), frame)
            awards[c] = np.where(done["excellent_pending"], "待定", np.where(done["excellent"], "是", ""))
        awards[c] = np.where(inel[c] & (awards[c] == ""), "取消评优资格", awards[c])
    return Robustness(rubric, readings, combos, total, sampled, seed, units, cats, scores, ranks, grades, vetoed,
                      awards, scored)


# --- the run's reports: which units depend on a reading ---------------------------------------------------

def dependence(results: dict, roster, evidence, as_of: date | None) -> dict[str, list[str]]:
    """unit -> sentences: each alternative that alone changes the unit's grade, veto or award (a normal run checks
    single changes only, so its cost is one rescoring of the touched units per alternative)."""
    out: dict[str, list[str]] = {}
    for result in results.values():
        readings = choices(result.rubric)
        if not readings:
            continue
        s = analyse(result.rubric, roster, evidence, as_of, combos=singles([len(rd.alternatives) + 1 for rd in readings]),
                    base=result.units)
        for c in range(1, len(s.combos)):
            (i, k), = s.changed(c)
            alt = s.readings[i].alternatives[k - 1]
            for u, unit in enumerate(s.units):
                if s.outcome(c, u) != s.outcome(0, u):
                    out.setdefault(unit, []).append(
                        f"读法 {s.readings[i].id}（{s.readings[i].about}）改为「{alt.label}」时，"
                        f"{s.difference(c, u)}（条款：“{alt.clause}”）")
    return out


# --- the whole analysis of a run -------------------------------------------------------------------------

@dataclass
class Study:
    """``kaohe robustness``: every rubric of a run under its readings' combinations."""

    run: object  # kaohe.config.Run
    as_of: date | None
    results: dict[str, Robustness]
    inputs: list[dict] = field(default_factory=list)
    seconds: float = 0.0

    def conclusion(self) -> str:
        return "\n".join(r.conclusion() for r in self.results.values())

    def save(self, path: Path) -> None:
        from .files import save_cache

        save_cache(path, self, CACHE_VERSION)


def study(params, as_of=None, limit: int = EXHAUSTIVE, sample: int = SAMPLE, seed: int = SEED) -> Study:
    """Score a params file's rubrics under every combination (or the declared sample) of their readings."""
    from .assessment import assess
    from .lint import alternative_findings

    start = time.perf_counter()
    a = assess(params, as_of)
    bad = [f"{r.rubric.ref} {f}" for r in a.results.values() for f in alternative_findings(r.rubric) if f.severity == "错误"]
    if bad:
        raise KaoheError("细则的另一种读法有错误，无法分析：\n" + "\n".join(bad))
    results = {rid: analyse(r.rubric, a.roster, a.evidence, a.as_of, limit=limit, sample=sample, seed=seed)
               for rid, r in a.results.items()}
    return Study(a.run, a.as_of, results, a.inputs, time.perf_counter() - start)


def load(params, as_of=None, cache=None, limit: int = EXHAUSTIVE, sample: int = SAMPLE, seed: int = SEED) -> Study:
    """The study: from ``cache`` when ``kaohe robustness`` made one, else worked out here."""
    if cache and Path(cache).exists():
        from .files import load_cache

        return load_cache(cache, CACHE_VERSION, "kaohe robustness")
    return study(params, as_of, limit, sample, seed)


# --- report sections (notebooks/robustness.ipynb) --------------------------------------------------------

def header(s: Study) -> Fragment:
    """The plain-Chinese conclusion first, then what was compared."""
    paras = [tag("p", r.conclusion(), "kaohe-summary") for r in s.results.values()]
    facts = []
    for r in s.results.values():
        how = (f"全部 {len(r.combos)} 种组合逐一计分" if not r.sampled else
               f"共 {r.total} 种组合，多于逐一计分的上限，按种子 {r.seed} 抽取 {len(r.combos)} 种（含按细则和每一处单独改变）")
        facts.append([r.rubric.ref, len(r.readings), len(r.units), how])
    return join([*paras, table(["细则", "有另一种读法的条款", "单位数", "组合"], facts, "kaohe-robust-facts", {1: "num", 2: "num"})])


def readings_table(s: Study) -> Fragment:
    """Each reading as written and its alternatives, with the clause quoted and why it is defensible."""
    parts = []
    for r in s.results.values():
        rows = []
        for i, rd in enumerate(r.readings):
            rows.append([r.option(i, 0), rd.about, "按细则", rd.reading, ""])
            rows += [[r.option(i, k), rd.about, a.label, a.reason, f"“{a.clause}”"] for k, a in enumerate(rd.alternatives, 1)]
        parts += [tag("h3", r.rubric.ref), table(["编号", "涉及的问题", "读法", "说明", "所涉条款"], rows, "kaohe-robust-readings")
                  if rows else tag("p", "本细则没有列出另一种读法。")]
    return join(parts)


def interval_chart(r: Robustness) -> str:
    """Units on the vertical axis (best median rank on top): a dot at the median rank, a thick bar over the
    5–95% range, a thin line over min–max, and a cross at the rank as written."""
    from . import charts  # matplotlib only where a chart is drawn: a run's dependence check and verify need none

    ranks = np.nan_to_num(r.ranks, nan=len(r.units) + 1)
    med = np.median(ranks, axis=0)
    shown = range(len(r.units))
    if len(r.units) > CHART_UNITS:  # a readable figure: the units whose rank moves most; all of them are in the CSV
        flipped = {f["unit"] for f in r.flips()}
        spread = ranks.max(axis=0) - ranks.min(axis=0)
        shown = sorted(shown, key=lambda u: (r.units[u] not in flipped, -spread[u], med[u]))[:CHART_UNITS]
    order = sorted(shown, key=lambda u: (med[u], ranks[0, u], r.units[u]))
    fig, ax = charts.new_figure(7.5, max(2.4, 0.24 * len(order) + 1.4))
    ys = np.arange(len(order))[::-1]
    for y, u in zip(ys, order):
        col = ranks[:, u]
        lo, hi = col.min(), col.max()
        p5, p95 = np.percentile(col, 5), np.percentile(col, 95)
        ax.plot([lo, hi], [y, y], color="#9db4d6", linewidth=1.2, zorder=1)
        ax.plot([p5, p95], [y, y], color="#4c72b0", linewidth=4, solid_capstyle="butt", zorder=2)
        ax.plot([med[u]], [y], "o", color="#1f3b63", markersize=4, zorder=3)
        ax.plot([col[0]], [y], "x", color="#c44e52", markersize=5, zorder=4)
    ax.set_yticks(list(ys), [r.units[u] for u in order], fontsize=7)
    flipped = {f["unit"] for f in r.flips()}  # units whose grade, veto or award depends on a reading: red labels
    for label in ax.get_yticklabels():
        if label.get_text() in flipped:
            label.set_color("#c44e52")  # colour only: the bundled CJK font has no bold face
    ax.set_xlim(0.5, len(r.units) + 1.5)
    ax.set_xlabel("名次（1 为第一）\n点：中位名次；粗线：5%—95% 区间；细线：最好—最差；×：按细则的名次；"
                  "红字单位：等次、否决或评优取决于读法", fontsize=8)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_title(f"{r.rubric.ref}：各读法组合下的名次区间" + (
        f"\n（共 {len(r.units)} 个单位，只画出名次变动最大的 {CHART_UNITS} 个，全部见 robustness.csv）"
        if len(order) < len(r.units) else ""), fontsize=10)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    alt = f"{r.rubric.ref} 名次区间：" + "；".join(f"{r.units[u]} 中位 {_rank_text(med[u])}，{_rank_text(ranks[:, u].min())}—"
                                                   f"{_rank_text(ranks[:, u].max())}" for u in order)
    return charts.to_html(fig, alt)


def intervals(s: Study) -> Fragment:
    parts = []
    for r in s.results.values():
        parts.append(tag("h3", r.rubric.ref))
        parts.append(Fragment(interval_chart(r)))
    return join(parts)


def flips_table(s: Study) -> Fragment:
    parts = []
    for r in s.results.values():
        parts.append(tag("h3", r.rubric.ref))
        rows = [[f["unit"], f["as_written"], f["change"],
                 "、".join(r.option_label(i, k) for i, k in f["smallest"]),
                 "；".join(f"“{c}”" for c in f["clauses"]), _share(f["share"])] for f in r.flips()]
        parts.append(table(["单位", "按细则", "改变", "最少需改变的读法", "所涉条款", "结果不同的组合比例"], rows,
                           "kaohe-robust-flips", {5: "num"}) if rows else
                     tag("p", "在所有读法组合下，没有单位的等次、一票否决或评优结果改变。"))
    return join(parts)


def influence_table(s: Study) -> Fragment:
    parts = []
    for r in s.results.values():
        parts.append(tag("h3", r.rubric.ref))
        rows = [[x["reading"].id, x["reading"].about, x["alternatives"], x["score"], x["rank"], x["outcome"],
                 f"{x['share']:.1%}"] for x in r.influence()]
        parts.append(table(["读法", "涉及的问题", "另一种读法数", "得分变化的单位", "名次变化的单位",
                            "等次、否决或评优变化的单位", "名次方差占比"], rows, "kaohe-robust-influence",
                           {2: "num", 3: "num", 4: "num", 5: "num", 6: "num"}) if rows else tag("p", "本细则没有列出另一种读法。"))
    return join(parts)


def units_table(s: Study) -> Fragment:
    parts = []
    for r in s.results.values():
        f = r.unit_frame()
        parts += [tag("h3", r.rubric.ref), table(list(f.columns), f.itertuples(index=False), "kaohe-robust-units",
                                                  {i: "num" for i in range(2, 12)})]
    return join(parts)


def method(s: Study) -> Fragment:
    reused = sum(r.scored for r in s.results.values())
    plain = sum(len(r.combos) * len(r.units) for r in s.results.values())
    return tag("p", f"每种组合是细则的一个副本（按读法的更改改写，再经同样的校验），用与 kaohe run 相同的计分函数计分。"
                    f"只改规则的读法只影响在这些规则上有台账记录的单位，因此这些单位按组只重算一次：共计分 {reused} 个单位次"
                    f"（逐组合全部重算需 {plain} 个单位次）。名次和评优名单在每种组合下按全部单位重新确定。")


def tables(s: Study) -> dict[str, pd.DataFrame]:
    units = pd.concat([r.unit_frame().assign(细则=r.rubric.ref) for r in s.results.values()], ignore_index=True)
    units = units[["细则", *[c for c in units.columns if c != "细则"]]]
    readings = pd.concat([r.readings_frame().assign(细则=r.rubric.ref) for r in s.results.values()], ignore_index=True)
    readings = readings[["细则", *[c for c in readings.columns if c != "细则"]]] if len(readings) else readings
    return {"robustness.csv": units, "readings.csv": readings}


# --- kaohe robustness: the report folder ---------------------------------------------------------------------

@dataclass
class Outcome:
    folder: Path
    study: Study
    error: str = ""

    @property
    def html(self) -> Path:
        return self.folder / "robustness.html"


def folder_of(s: Study, out_dir: Path) -> Path:
    """``<out>/<run>/robustness[-as-of-<date>]/``."""
    return out_dir / s.run.config.name / ("robustness" + (f"-as-of-{s.as_of.isoformat()}" if s.as_of else ""))


def write(params, as_of=None, limit: int = EXHAUSTIVE, sample: int = SAMPLE, seed: int = SEED,
          show_code: bool = False, out_dir="outputs", timeout: int | None = None, notebooks: Path | None = None) -> Outcome:
    """Study once, run ``robustness.ipynb`` on it, write its HTML, the CSV files and a manifest."""
    from .runner import DEFAULT_TIMEOUT, NOTEBOOKS, report_folder, shown_path

    source = (notebooks or NOTEBOOKS) / "robustness.ipynb"
    if not source.exists():
        raise KaoheError(f"找不到报告笔记本 {source}")
    s = study(params, as_of, limit, sample, seed)
    folder = folder_of(s, Path(out_dir).absolute())
    parameters = {"params": str(s.run.path), "as_of": s.as_of.isoformat() if s.as_of else None, "cache": None,
                  "limit": limit, "sample": sample, "seed": seed, "shown_params": shown_path(s.run)}
    about = {"robustness": {"run": s.run.config.name, "as_of": s.as_of.isoformat() if s.as_of else None,
                            "rubrics": {rid: {"readings": [rd.id for rd in r.readings], "combinations": len(r.combos),
                                              "of": r.total, "sampled": r.sampled,
                                              **({"seed": r.seed} if r.sampled else {})}
                                        for rid, r in s.results.items()}}}
    error = report_folder(source, folder, "robustness", s.save, "robustness.pickle", parameters,
                          f"读法稳健性：{s.run.config.title}", timeout or DEFAULT_TIMEOUT, show_code,
                          lambda: tables(s), about, s.inputs)
    return Outcome(folder, s, error)
