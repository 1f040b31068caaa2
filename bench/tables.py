"""The README's speed tables from a benchmark run: ``.venv/bin/python -m bench.tables [bench/results.json]``.

Prints the three Markdown tables of the README's 速度 section (reports against both baselines, where a report's
time goes, ``--pdf``), so that the README quotes the run exactly; ``tests/test_docs.py`` checks that it does.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .run import breakdown_rows

RESULTS = Path(__file__).resolve().parent / "results.json"


def runs(results: dict) -> str:
    rows = ["| 单位数 | kaohe run 每份 | 强基线每份 | 倍数 | 命令行基线每份 | 倍数 | 峰值内存 |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in results["run"]:
        rows.append(f"| {r['units']:,} | {r['kaohe_per_report']:.3f} 秒 | {r['strong_per_report']:.3f} 秒 | "
                    f"**{r['strong_ratio']}×** | {r['baseline_per_report']:.2f} 秒 | {r['ratio']}× | "
                    f"{r['peak_memory_mib']} MiB |")
    return "\n".join(rows)


def breakdown(results: dict) -> str:
    b = results["breakdown"]
    total = b["slot_seconds_per_report"]
    rows = ["| 阶段 | 秒 | 占比 |", "| --- | ---: | ---: |"]
    rows += [f"| {name} | {s:.3f} | {100 * s / total:.1f}% |" for name, s in breakdown_rows(b)]
    rows.append(f"| 合计（工作槽秒数 ÷ N） | {total:.3f} | 100% |")
    return "\n".join(rows)


def pdfs(results: dict) -> str:
    rows = ["| 单位数 | 不打印 | `--pdf` | 打印阶段 | 每份打印（含汇总） | 打印为其余部分的 | 峰值内存 |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in results["pdf"]:
        rows.append(f"| {r['units']:,} | {r['run_seconds']:.1f} 秒 | {r['run_pdf_seconds']:.1f} 秒 | "
                    f"{r['pdf_phase_seconds']:.1f} 秒 | {r['pdf_per_report']:.3f} 秒 | +{r['pdf_added_percent']}% | "
                    f"{r['peak_memory_mib']} MiB |")
    return "\n".join(rows)


def tables(results: dict) -> list[str]:
    return [runs(results), breakdown(results), pdfs(results)]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0]) if args else RESULTS
    print("\n\n".join(tables(json.loads(path.read_text(encoding="utf-8")))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
