"""The kaohe benchmark: rerun with ``make bench`` (or ``.venv/bin/python -m bench.run --help``).

Measures in one run on this machine, on synthetic townships scored by 衡南 2020 附件1 (``bench/synth.py``):

1. ``score()`` alone on parsed evidence: 100,000 and 1,000,000 rows over 2,000 units (the ratio tells
   how time grows with rows);
2. for each N (default 60, 500, 2000): ``kaohe run`` with its defaults — wall time per report (the whole
   run's wall time divided by N, so scoring, the summary and the index are included) and the peak memory
   of the whole process tree (kaohe, the fork server and the kernels; PSS), sampled every 0.1 s;
3. the baseline a papermill user would write, on the same notebook and the same scored data: for each
   unit the ``papermill`` command, then ``jupyter nbconvert --to html``, one after another. Its cost per
   report does not depend on N, so it runs on a sample of units (``--baseline-sample``) of each N.

Results are printed as a table and written to ``bench/results.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
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


def time_run(params: Path, out: Path) -> tuple[float, int]:
    """``kaohe run`` with its defaults: wall seconds and peak tree memory in bytes."""
    start = time.perf_counter()
    proc = subprocess.Popen([str(BIN / "kaohe"), "run", str(params), "--out-dir", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    peak = PeakMemory(proc.pid)
    proc.communicate()
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"kaohe run 失败（退出码 {proc.returncode}）：{params}")
    return wall, peak.stop()


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


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="bench.run", description="kaohe 基准测试：score() 与 kaohe run 对比 papermill 命令行循环")
    p.add_argument("--units", default="60,500,2000", help="单位数，逗号分隔（默认 60,500,2000）")
    p.add_argument("--baseline-sample", type=int, default=5, metavar="K", help="基线每个 N 只跑 K 个单位（默认 5）")
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
                                 "date": time.strftime("%Y-%m-%d")}, "score": [], "run": []}
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
        for n in (int(x) for x in args.units.split(",")):
            work = Path(tempfile.mkdtemp(prefix=f"kaohe-bench-{n}-"))
            try:
                params = write_run(work / "data", n)
                wall, peak = time_run(params, work / "outputs")
                names = unit_names(n)
                step = max(1, n // args.baseline_sample)
                sample = names[::step][:args.baseline_sample]
                base = time_baseline(params, sample, work)
                row = {"units": n, "kaohe_run_seconds": round(wall, 1), "kaohe_per_report": round(wall / n, 3),
                       "baseline_per_report": round(base, 3), "baseline_sample": len(sample),
                       "ratio": round(base / (wall / n), 1), "peak_memory_mib": round(peak / 2**20)}
                results["run"].append(row)
                print(f"N={n:>5}：kaohe run {wall:7.1f} 秒，每份 {wall / n:.3f} 秒；基线每份 {base:.2f} 秒"
                      f"（{len(sample)} 份样本）；快 {row['ratio']} 倍；峰值内存 {row['peak_memory_mib']} MiB", flush=True)
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
