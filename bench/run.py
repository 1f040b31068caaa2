"""The kaohe benchmark: rerun with ``make bench`` (or ``.venv/bin/python -m bench.run --help``).

Measures in one run on this machine, on synthetic townships scored by 衡南 2020 附件1 (``bench/synth.py``):

1. ``score()`` alone on parsed evidence: 100,000 and 1,000,000 rows over 2,000 units (the ratio tells
   how time grows with rows);
2. for each N (default 60 and 2000): ``kaohe run`` with its defaults — wall time per report (the whole
   run's wall time divided by N, so scoring, the summary and the index are included) and the peak memory
   of the whole process tree (kaohe, the fork server and the kernels; PSS), sampled every 0.1 s;
3. two baselines a papermill user would write, on the same notebook and the same scored data (scored once,
   pickled, passed as ``cache``):
   - the strong loop: ``papermill.execute_notebook`` and nbconvert's ``HTMLExporter(exclude_input=True)`` called
     in Python, in a process pool with one worker per core (``--strong-sample`` units of each N; the scoring's
     seconds are counted once, divided by N, as they are in ``kaohe run``'s wall time);
   - the command loop: for each unit the ``papermill`` command, then ``jupyter nbconvert --to html``, one after
     another (``--baseline-sample`` units of each N).
   Their cost per report does not depend on N, so they run on a sample of units of each N. A ``kaohe run`` under
   two minutes (60 units) is measured ``--repeat`` times (3), each followed by one strong loop; the medians are
   compared and every run is kept in the results.
4. where a report's time goes: ``kaohe run`` at the first N once more with ``KAOHE_TIMINGS=1``, its run log
   read back: per report, starting the kernel, each section's cells, stopping it, writing the notebook, the
   HTML export, writing, and waiting; per run, scoring, the summary and the final tables.
5. PDFs: ``kaohe run --pdf`` for each N of ``--pdf-units``: the printing phase per report (amortised) and what
   it adds to the whole run's wall time.

Results are printed as tables and written to ``bench/results.json``; ``--units 8 --pdf-units 8
--score-rows 1000,10000 --score-units 100`` is a quick run at small N. The layout is in notes/docs (speed).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def time_score(n_units: int, rows: int) -> float:
    from kaohe.ledger import Evidence
    from kaohe.rubric import load_rubric
    from kaohe.scoring import score

    from .synth import RUBRIC, findings

    roster, evidence = findings(n_units, rows // n_units)
    rubric = load_rubric(RUBRIC)
    score(rubric, roster, evidence)  # warm: imports, the rubric registry
    # A new Evidence: the columns the first call worked out (Evidence.columns) must not be reused.
    fresh = Evidence(list(evidence.findings), [], evidence.files, evidence.headers)
    start = time.perf_counter()
    score(rubric, roster, fresh)
    return time.perf_counter() - start


def time_robustness(n_units: int, readings: int, rows_per_unit: int = 8) -> dict:
    """``kaohe robustness`` without its notebook: ``n_units`` townships under 2**``readings`` combinations; and
    what a normal run pays for marking the units that depend on a reading (the bundled rubric's alternatives,
    each alone), against score() of the same units."""
    from kaohe.robustness import analyse, dependence
    from kaohe.scoring import score_checked

    from .synth import RUBRIC, findings, with_readings

    roster, evidence = findings(n_units, rows_per_unit)
    rubric = with_readings(readings)
    start = time.perf_counter()
    r = analyse(rubric, roster, evidence)
    r.flips(), r.influence(), r.unit_frame()
    seconds = time.perf_counter() - start
    from kaohe.rubric import load_rubric

    bundled = load_rubric(RUBRIC)
    start = time.perf_counter()
    result = score_checked(bundled, roster, evidence, None)
    scored = time.perf_counter() - start
    start = time.perf_counter()
    dependence({RUBRIC: result}, roster, evidence, None)
    return {"units": n_units, "combinations": len(r.combos), "seconds": round(seconds, 1),
            "unit_scorings": r.scored, "without_reuse": len(r.combos) * n_units,
            "run_score_seconds": round(scored, 3), "run_dependence_seconds": round(time.perf_counter() - start, 3)}


class PeakMemory:
    """Peak memory of a process and all its descendants, sampled every ``interval`` seconds, as the sum of
    their proportional set sizes (PSS: a page shared by n processes counts 1/n in each). Report kernels are
    forked from one server and share its pages; summing their RSS would count those pages once per kernel."""

    def __init__(self, pid: int, interval: float = 0.1):
        self.root, self.interval, self.peak = psutil.Process(pid), interval, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self):
        while not self._stop.is_set():
            try:
                procs = [self.root, *self.root.children(recursive=True)]
                total = 0
                for p in procs:
                    try:
                        total += _pss(p)
                    except psutil.Error:
                        pass
                self.peak = max(self.peak, total)
            except psutil.Error:
                return
            self._stop.wait(self.interval)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def _pss(p: psutil.Process) -> int:
    try:
        return p.memory_full_info().pss
    except (AttributeError, psutil.AccessDenied):  # no PSS on this platform: RSS, an upper bound
        return p.memory_info().rss


def time_run(params: Path, out: Path, *options: str, env: dict | None = None) -> tuple[float, int]:
    """``kaohe run`` with its defaults (and ``options``): wall seconds and peak tree memory in bytes."""
    start = time.perf_counter()
    proc = subprocess.Popen([str(BIN / "kaohe"), "run", str(params), "--out-dir", str(out), *options],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    peak = PeakMemory(proc.pid)
    _, err = proc.communicate()
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        tail = err.decode("utf-8", "replace").strip().splitlines()[-3:]
        raise SystemExit(f"kaohe run {' '.join(options)} 失败（退出码 {proc.returncode}）：{params}\n" + "\n".join(tail))
    return wall, peak.stop()


def run_log(out: Path) -> dict:
    """The run log ``kaohe run`` wrote into ``out`` (the newest one)."""
    logs = sorted(out.glob("*/logs/*.json"), key=lambda p: p.stat().st_mtime)
    return json.loads(logs[-1].read_text(encoding="utf-8"))


# --- the strong papermill loop: the Python API, one worker process per core -------------------------------

_exporter = None


def _quiet_worker() -> None:
    """The pool's kernels inherit the worker's stderr and warn there (TCP without encryption, shutdown noise);
    failures still come back as exceptions."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), 2)


def _strong_one(notebook: str, params: str, unit: str, cache: str, out: str) -> None:
    """One report as a papermill user would make it in a worker process: execute, then export without code."""
    global _exporter
    import papermill as pm
    from nbconvert import HTMLExporter

    if _exporter is None:  # one exporter per worker: building one compiles the templates
        _exporter = HTMLExporter(exclude_input=True)
    executed = Path(out) / f"{unit}.ipynb"
    nb = pm.execute_notebook(notebook, str(executed), parameters={"params": params, "unit": unit, "cache": cache},
                             cwd=str(Path(notebook).parent), progress_bar=False)
    body, _ = _exporter.from_notebook_node(nb)
    executed.with_suffix(".html").write_text(body, encoding="utf-8")


def time_strong(params: Path, units: list[str], work: Path) -> tuple[float, float]:
    """Seconds to score once (assess and pickle) and the pool's wall seconds per report for ``units``; files go
    to the new folder ``work``."""
    from kaohe.assessment import assess

    out = work / "strong"
    out.mkdir(parents=True)
    start = time.perf_counter()
    cache = work / "strong-assessment.pickle"
    assess(params).save(cache)
    scored = time.perf_counter() - start
    notebook = str(ROOT / "notebooks" / "unit_report.ipynb")
    start = time.perf_counter()
    with concurrent.futures.ProcessPoolExecutor(max_workers=os.cpu_count() or 1, initializer=_quiet_worker) as pool:
        for done in [pool.submit(_strong_one, notebook, str(params), u, str(cache), str(out)) for u in units]:
            done.result()
    return scored, (time.perf_counter() - start) / len(units)


# --- where a report's time goes ---------------------------------------------------------------------------

#: Phases of one report as the breakdown names them (KAOHE_TIMINGS=1 in kaohe/runner.py).
PHASES = {"kernel_start": "内核启动", "after_cells": "内核关闭与 papermill 收尾", "notebook_write": "笔记本整理与写出",
          "export": "HTML 导出", "write": "写入文件"}
RUN_PHASES = {"score": "计分（一次）", "setup": "准备", "summary": "等待汇总报告", "pdf": "打印 PDF", "finish": "通报表、清单与索引"}


def breakdown(log: dict, n: int) -> dict:
    """Per report: the mean seconds of each phase inside its worker slot, and the slot's waiting (the slots'
    time over the reports' phase not spent on any report); per run: each phase's wall seconds."""
    t = log["timings"]
    units = [u for u in t["units"].values() if u]
    mean = {k: sum(u.get(k, 0.0) for u in units) / len(units) for k in PHASES}
    sections: dict[str, float] = {}
    for u in units:
        for name, sec in u["sections"].items():
            sections[name] = sections.get(name, 0.0) + sec / len(units)
    busy = sum(mean.values()) + sum(sections.values())
    slot = t["run"]["reports"] * t["slots"] / n
    return {"units": n, "slots": t["slots"], "wall_per_report": round(log["seconds"] / n, 3),
            "slot_seconds_per_report": round(slot, 3),
            "per_report": {**{k: round(v, 3) for k, v in mean.items()}, "waiting": round(max(0.0, slot - busy), 3)},
            "sections": {k: round(v, 3) for k, v in sections.items()},
            "run": {k: round(v, 3) for k, v in t["run"].items()}}


def breakdown_rows(b: dict) -> list[tuple[str, float]]:
    """The breakdown's rows in the order a report goes through them: (name, seconds per report in its slot)."""
    return [(PHASES["kernel_start"], b["per_report"]["kernel_start"]),
            *[(f"执行：{name}", sec) for name, sec in b["sections"].items()],
            *[(PHASES[k], b["per_report"][k]) for k in ("after_cells", "notebook_write", "export", "write")],
            ("等待（工作槽空闲：排队、提交、切片）", b["per_report"]["waiting"])]


def print_breakdown(b: dict) -> None:
    slot = b["slot_seconds_per_report"]
    print(f"\n每份报告的时间去向（kaohe run，N={b['units']}，{b['slots']} 个工作槽；每份在其工作槽内的秒数）")
    for name, sec in breakdown_rows(b):
        print(f"  {name:<32}{sec:7.3f} 秒  {100 * sec / slot if slot else 0:5.1f}%")
    print(f"  {'合计（工作槽秒数 ÷ N）':<32}{slot:7.3f} 秒；整次运行墙钟 ÷ N = {b['wall_per_report']:.3f} 秒")
    print("  整次运行（墙钟秒数）：" + "，".join(f"{RUN_PHASES.get(k, '报告')} {v:.2f}" for k, v in b["run"].items()))


def time_baseline(params: Path, units: list[str], work: Path) -> float:
    """The papermill + nbconvert command loop on the same notebook and the same pickled assessment."""
    from kaohe.assessment import assess

    cache = work / "assessment.pickle"
    assess(params).save(cache)
    notebook = ROOT / "notebooks" / "unit_report.ipynb"
    start = time.perf_counter()
    for i, unit in enumerate(units):
        executed = work / f"unit{i}.ipynb"
        subprocess.run([str(BIN / "papermill"), str(notebook), str(executed), "-p", "params", str(params),
                        "-p", "unit", unit, "-p", "cache", str(cache), "--cwd", str(notebook.parent),
                        "--no-progress-bar"], check=True, capture_output=True)
        subprocess.run([str(BIN / "jupyter"), "nbconvert", "--to", "html", str(executed)], check=True,
                       capture_output=True)
    return (time.perf_counter() - start) / len(units)


#: A ``kaohe run`` shorter than this (seconds) is measured ``--repeat`` times, each run followed by one of the strong
#: loop, and the medians are compared: on this host one 60-unit run can take 40% longer than the next. Longer runs
#: (2,000 units, ten minutes) are measured once: their length averages the host's noise out.
REPEAT_UNDER = 120.0


def _sample(names: list[str], k: int) -> list[str]:
    """``k`` units spread over the run (all of them when there are no more)."""
    step = max(1, len(names) // max(1, k))
    return names[::step][:k]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="bench.run", description="kaohe 基准测试：score()、kaohe run 对比 papermill 的两种做法（强基线与命令行循环）、每份报告的时间去向、--pdf")
    p.add_argument("--units", default="60,2000", help="单位数，逗号分隔（默认 60,2000）")
    p.add_argument("--baseline-sample", type=int, default=5, metavar="K", help="命令行基线每个 N 只跑 K 个单位（默认 5）")
    p.add_argument("--strong-sample", type=int, default=60, metavar="K",
                   help="强基线（papermill Python API + 进程池）每个 N 跑 K 个单位（默认 60，N 更小时全跑）")
    p.add_argument("--repeat", type=int, default=3, metavar="R",
                   help=f"不到 {REPEAT_UNDER:.0f} 秒的 kaohe run 与强基线交替各测 R 次，取中位数（默认 3）")
    p.add_argument("--pdf-units", default="60,2000", help="kaohe run --pdf 的单位数，逗号分隔（默认 60,2000；空为不测）")
    p.add_argument("--skip-baseline", action="store_true", help="不跑命令行基线")
    p.add_argument("--score-rows", default="100000,1000000", help="score() 的台账行数，逗号分隔")
    p.add_argument("--score-units", type=int, default=2000)
    p.add_argument("--skip-score", action="store_true")
    p.add_argument("--skip-run", action="store_true")
    p.add_argument("--robust-units", type=int, default=2000, help="kaohe robustness 的单位数（默认 2000）")
    p.add_argument("--robust-readings", type=int, default=10, help="基准读法数，组合数为 2 的该次方（默认 10，即 1024 种）")
    p.add_argument("--skip-robustness", action="store_true")
    p.add_argument("--out", default=str(ROOT / "bench" / "results.json"))
    args = p.parse_args(argv)

    from .synth import unit_names, write_run

    results: dict = {"machine": {"cores": os.cpu_count(), "python": platform.python_version(),
                                 "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
                                 "date": time.strftime("%Y-%m-%d")}, "score": [], "run": [], "pdf": []}
    walls: dict[int, float] = {}
    if not args.skip_robustness:
        row = results["robustness"] = time_robustness(args.robust_units, args.robust_readings)
        print(f"kaohe robustness：{row['units']} 个单位 × {row['combinations']} 种读法组合  {row['seconds']:.1f} 秒"
              f"（计分 {row['unit_scorings']:,} 个单位次，逐组合全算需 {row['without_reuse']:,}）；kaohe run 中标出取决于读法的单位"
              f" {row['run_dependence_seconds']:.2f} 秒（score() {row['run_score_seconds']:.2f} 秒）", flush=True)
    if not args.skip_score:
        for rows in (int(x) for x in args.score_rows.split(",")):
            seconds = time_score(args.score_units, rows)
            results["score"].append({"rows": rows, "units": args.score_units, "seconds": round(seconds, 3)})
            print(f"score()：{rows:>9,} 行 / {args.score_units} 个单位  {seconds:6.2f} 秒", flush=True)
    if not args.skip_run:
        for k, n in enumerate(int(x) for x in args.units.split(",")):
            work = Path(tempfile.mkdtemp(prefix=f"kaohe-bench-{n}-"))
            try:
                params = write_run(work / "data", n)
                names = unit_names(n)
                strong_units = _sample(names, args.strong_sample)
                kaohe_walls: list[float] = []
                strongs: list[float] = []
                peak = 0
                while True:  # kaohe run, then the strong loop, alternately: a slow spell of the host hits both
                    k_run = len(kaohe_walls) + 1
                    wall, peak_run = time_run(params, work / f"outputs-{k_run}")
                    kaohe_walls.append(wall)
                    peak = max(peak, peak_run)
                    scored, strong = time_strong(params, strong_units, work / f"strong-{k_run}")
                    strongs.append(strong + scored / n)  # scoring once per run, as kaohe run's wall time has it
                    if len(kaohe_walls) >= (args.repeat if kaohe_walls[0] < REPEAT_UNDER else 1):
                        break
                wall, strong = statistics.median(kaohe_walls), statistics.median(strongs)
                walls[n] = wall
                row = {"units": n, "kaohe_run_seconds": round(wall, 1), "kaohe_per_report": round(wall / n, 3),
                       "strong_per_report": round(strong, 3), "strong_sample": len(strong_units),
                       "strong_ratio": round(strong / (wall / n), 1), "peak_memory_mib": round(peak / 2**20),
                       "kaohe_runs_seconds": [round(w, 1) for w in kaohe_walls],
                       "strong_runs_per_report": [round(x, 3) for x in strongs]}
                runs = "" if len(kaohe_walls) == 1 else f"（{len(kaohe_walls)} 次的中位数）"
                line = (f"N={n:>5}：kaohe run {wall:7.1f} 秒{runs}，每份 {wall / n:.3f} 秒；强基线每份 {strong:.3f} 秒"
                        f"（{len(strong_units)} 份{runs}），快 {row['strong_ratio']} 倍")
                if not args.skip_baseline:
                    sample = _sample(names, args.baseline_sample)
                    base = time_baseline(params, sample, work)
                    row.update({"baseline_per_report": round(base, 3), "baseline_sample": len(sample),
                                "ratio": round(base / (wall / n), 1)})
                    line += f"；命令行基线每份 {base:.2f} 秒（{len(sample)} 份），快 {row['ratio']} 倍"
                results["run"].append(row)
                print(f"{line}；峰值内存 {row['peak_memory_mib']} MiB", flush=True)
                if k == 0:  # the breakdown, from one more run of the first N with timings on
                    timed = work / "timed"
                    time_run(params, timed, env={**os.environ, "KAOHE_TIMINGS": "1"})
                    results["breakdown"] = breakdown(run_log(timed), n)
                    print_breakdown(results["breakdown"])
            finally:
                shutil.rmtree(work, ignore_errors=True)
    for n in (int(x) for x in args.pdf_units.split(",") if x.strip()):
        work = Path(tempfile.mkdtemp(prefix=f"kaohe-bench-pdf-{n}-"))
        try:
            params = write_run(work / "data", n)
            if n not in walls:
                walls[n] = time_run(params, work / "plain")[0]
            wall, peak = time_run(params, work / "outputs", "--pdf")
            printing = run_log(work / "outputs")["pdf_seconds"]
            row = {"units": n, "run_seconds": round(walls[n], 1), "run_pdf_seconds": round(wall, 1),
                   "pdf_phase_seconds": round(printing, 1), "pdf_per_report": round(printing / (n + 1), 3),
                   # the printing phase over the rest of the same run (the run without it), and the whole run
                   # against the separate run without --pdf (that one includes a cold start at the first N)
                   "pdf_added_percent": round(100 * printing / (wall - printing), 1),
                   "vs_plain_run_percent": round(100 * (wall - walls[n]) / walls[n], 1),
                   "peak_memory_mib": round(peak / 2**20)}
            results["pdf"].append(row)
            print(f"PDF N={n:>5}：kaohe run --pdf {wall:7.1f} 秒；打印阶段 {printing:.1f} 秒，为其余部分的 "
                  f"{row['pdf_added_percent']}%；每份 {row['pdf_per_report']:.3f} 秒（{n} 份报告与汇总）；"
                  f"对比单独一次不打印的运行（{walls[n]:.1f} 秒）多 {row['vs_plain_run_percent']}%；"
                  f"峰值内存 {row['peak_memory_mib']} MiB", flush=True)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    rows = results["score"]
    if len(rows) >= 2:
        a, b = rows[0], rows[-1]
        results["score_scaling"] = {"rows_ratio": b["rows"] / a["rows"], "time_ratio": round(b["seconds"] / a["seconds"], 2)}
        print(f"score()：行数 ×{b['rows'] / a['rows']:g}，时间 ×{b['seconds'] / a['seconds']:.2f}")
    Path(args.out).write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"结果已写入 {args.out}（{os.cpu_count()} 核）")
    return 0


if __name__ == "__main__":
    sys.exit(main())
