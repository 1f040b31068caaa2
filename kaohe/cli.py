"""The ``kaohe`` command. Messages are Chinese; exit codes: 0 done, 1 some reports failed (``run``),
differences found (``verify``) or a rubric that does not match its document (``rubric check``), 2 invalid
input (nothing written)."""

from __future__ import annotations

import argparse
import sys
from decimal import Decimal
from pathlib import Path

import pandas as pd

from . import __version__
from .config import DEFAULT_JOBS, DEFAULT_TIMEOUT, Run
from .errors import InputError, KaoheError, warn
from .files import os_error_text, write_csv_atomic
from .ledger import load_evidence, load_roster
from .lint import lint
from .numbers import fmt
from .rubric import bundled, describe_points, load_rubric, resolve_ref, rubric_path
from .scoring import Result, parse_as_of, score_checked, scores_table
from .validate import check, missing_periods, resolve


def _without_iri_formats() -> None:
    """nbformat validates notebooks with jsonschema, which imports ``rfc3987_syntax`` for its "iri" format checks
    when that is installed (jupyterlab's jupyter_events asks for it). That import builds some 35 Lark parsers:
    about a second of every ``kaohe run``'s start, for a format no notebook schema uses (jsonschema issue 1428).
    kaohe's commands go without it. Only ``main`` does this: a program that imports kaohe keeps its jsonschema as
    it is, unless it calls ``main`` in-process before jsonschema is imported (then it has no "iri" checks)."""
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # None: the import fails, and jsonschema skips that check


def main(argv: list[str] | None = None) -> int:
    _without_iri_formats()
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return args.func(args)
    except InputError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except KaoheError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("已中断：正在运行的笔记本结束后退出，未开始的不再运行。", file=sys.stderr)
        return 130
    except OSError as exc:  # a full disk or a folder that cannot be written where no message was given yet
        if isinstance(exc, BrokenPipeError):  # `kaohe rubric show X | head`: stop quietly
            sys.stderr.close()
            return 0
        where = f" {exc.filename}" if exc.filename else ""
        print(f"错误：无法读写文件{where}：{os_error_text(exc)}。此前的输出未被改动；请腾出空间或换一个可写的目录后重试。",
              file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kaohe", description="政务公开/政务服务年度考核：校验台账、计分、排名。")
    p.add_argument("--version", action="version", version=f"kaohe {__version__}")
    sub = p.add_subparsers(metavar="命令")

    def inputs(sp):
        sp.add_argument("--params", metavar="PARAMS.yaml", help="运行配置（params/*.yaml），给出细则、单位名单和台账")
        sp.add_argument("--rubric", metavar="ID_OR_PATH", help="细则编号（如 hengnan-2020-township）或 YAML 文件")
        sp.add_argument("--roster", metavar="FILE", help="单位名单（CSV 或 XLSX）：单位, 类别")
        sp.add_argument("--evidence", metavar="FILE", action="append", help="台账（CSV 或 XLSX），可重复")
        sp.add_argument("--as-of", metavar="YYYY-MM-DD", help="只计该日（含）以前的记录，如季度通报 2020-03-31")

    def notebooks(sp):  # commands that run report notebooks
        sp.add_argument("--show-code", action="store_true", help="HTML 中保留代码（默认隐藏）")
        sp.add_argument("--out-dir", default="outputs", metavar="DIR", help="输出根目录（默认 outputs）")
        sp.add_argument("--timeout", type=int, default=DEFAULT_TIMEOUT, metavar="SEC",
                        help=f"每个单元格的运行时限，秒（默认 {DEFAULT_TIMEOUT}）")

    s = sub.add_parser("score", help="计分并写出得分表 CSV")
    inputs(s)
    s.add_argument("--out", metavar="FILE.csv", required=True, help="得分表：unit,category,total,grade,rank,vetoed,excellent，"
                   "细则有相应内容时其后依次为 disqualified,ineligible,subtotal,subtotal_max")
    s.set_defaults(func=cmd_score)

    v = sub.add_parser("validate", help="只校验输入，列出全部问题")
    inputs(v)
    v.set_defaults(func=cmd_validate)

    rr = sub.add_parser("run", help="计分并生成全部报告：单位报告、汇总、索引、通报表（HTML/XLSX/CSV）")
    rr.add_argument("params", metavar="PARAMS.yaml", help="运行配置（params/*.yaml）")
    rr.add_argument("--units", metavar="A,B", help="只生成这些单位的报告（逗号分隔）；汇总与索引照常生成")
    rr.add_argument("--jobs", type=int, default=DEFAULT_JOBS, metavar="N",
                    help=f"同时运行的笔记本数（默认为处理器核数的两倍，本机 {DEFAULT_JOBS}）")
    rr.add_argument("--as-of", metavar="YYYY-MM-DD", help="只计该日（含）以前的记录；结果写入单独的文件夹")
    rr.add_argument("--pdf", action="store_true",
                    help="同时把本次生成的单位报告和汇总打印为 PDF（A4，需要 Chromium）")
    rr.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                    help="在已有的 Dask 集群上运行笔记本（需安装 distributed；输出文件与本机运行相同）")
    notebooks(rr)
    rr.set_defaults(func=cmd_run)

    cp = sub.add_parser("compare", help="比较两个细则版本：规则改动，以及哪些单位的得分、等次、名次和评优因此改变")
    cp.add_argument("params", metavar="PARAMS.yaml", help="运行配置（params/*.yaml），给出单位名单、台账和评优名额")
    cp.add_argument("--a", required=True, metavar="ID[@N]", help="版本 A（原版本），如 hengnan-2020-township@1")
    cp.add_argument("--b", required=True, metavar="ID[@N]", help="版本 B（新版本或草案），如 hengnan-2020-township@2")
    cp.add_argument("--as-of", metavar="YYYY-MM-DD", help="只计该日（含）以前的记录；结果写入单独的文件夹")
    notebooks(cp)
    cp.set_defaults(func=cmd_compare)

    rb = sub.add_parser("robustness", help="读法稳健性：在细则各处读法的每种组合下重新计分，看哪些单位的等次、名次、评优取决于读法")
    rb.add_argument("params", metavar="PARAMS.yaml", help="运行配置（params/*.yaml），给出单位名单、台账和评优名额")
    rb.add_argument("--as-of", metavar="YYYY-MM-DD", help="只计该日（含）以前的记录；结果写入单独的文件夹")
    rb.add_argument("--limit", type=int, default=4096, metavar="N", help="组合数不超过 N 时逐一计分，否则抽样（默认 4096）")
    rb.add_argument("--sample", type=int, default=1000, metavar="N", help="抽样时的组合数（默认 1000）")
    rb.add_argument("--seed", type=int, default=2020, help="抽样的随机种子（默认 2020）；同一种子得到同样的组合")
    notebooks(rb)
    rb.set_defaults(func=cmd_robustness)

    tp = sub.add_parser("template", help="生成台账模板（Excel）：单位和规则下拉列表、日期与数值校验、规则原文与填写说明")
    tp.add_argument("rubric", metavar="ID_OR_PATH", help="细则编号（如 hengnan-2020-township）或 YAML 文件")
    tp.add_argument("--roster", required=True, metavar="FILE", help="单位名单（CSV 或 XLSX）：单位, 类别")
    tp.add_argument("--out", required=True, metavar="台账.xlsx", help="模板文件")
    tp.set_defaults(func=cmd_template)

    vf = sub.add_parser("verify", help="核验一次运行的输出：文件是否与清单的 SHA-256 一致，复制的输入能否重新算出同样的得分")
    vf.add_argument("folder", metavar="outputs/<运行名>/<年度>", help="kaohe run 的输出目录（含 manifest.json）")
    vf.add_argument("--expect", metavar="SHA256", help="应有的清单指纹（kaohe run 结束时打印、写在通报末尾的那一串）")
    vf.add_argument("--rebuild", action="store_true",
                    help="用复制的输入在临时目录中重新生成整次运行，逐字节比对每个文件（须同一版本的 kaohe；较慢）")
    vf.set_defaults(func=cmd_verify)

    r = sub.add_parser("rubric", help="查看、导出和导入细则")
    rsub = r.add_subparsers(metavar="子命令")
    rl = rsub.add_parser("list", help="列出内置细则")
    rl.set_defaults(func=cmd_rubric_list)
    rs = rsub.add_parser("show", help="显示细则的指标树、分值和原文")
    rs.add_argument("id")
    rs.set_defaults(func=cmd_rubric_show)
    rn = rsub.add_parser("lint", help="找出原文自身的不一致：分值不合计、无扣分额度、无分值的项")
    rn.add_argument("id")
    rn.add_argument("--strict", action="store_true", help="有警告时以退出码 1 结束")
    rn.set_defaults(func=cmd_rubric_lint)
    rc = rsub.add_parser("check", help="对照原文检查细则：原文逐字相符、每条计分条款都有规则、分值合计（lint）；有问题时退出码为 1")
    rc.add_argument("rubric", nargs="+", metavar="细则",
                    help="细则编号或文件；同一原文的几个细则（如附件1、附件2）可一起检查")
    rc.add_argument("--source", metavar="原文",
                    help="细则所依的原文件：.docx、.txt（或 .md）、.xlsx；不写则用细则 source.file 所写、与细则文件同目录的文件")
    rc.add_argument("--from", dest="start", metavar="文字", help="只检查原文从含这段文字的一行（如 附件1）起的部分")
    rc.add_argument("--to", dest="end", metavar="文字", help="只检查到含这段文字的一行（如 附件2）之前")
    rc.set_defaults(func=cmd_rubric_check)
    rj = rsub.add_parser("schema", help="输出细则文件的 JSON Schema，供编辑器补全与检查（# yaml-language-server: $schema=…）")
    rj.add_argument("--out", metavar="FILE.json", help="写入此文件（默认输出到屏幕）")
    rj.set_defaults(func=cmd_rubric_schema)
    rd = rsub.add_parser("draft", help="从考核文件起草细则：指标树、分值、逐条原文和计分方式，拿不准的标为待确认")
    rd.add_argument("file", metavar="文件", help="考核文件：Word（.docx）、Excel（.xlsx）或纯文本（.txt）")
    rd.add_argument("--out", required=True, metavar="草稿.xlsx",
                    help="写出的细则草稿：细则工作簿 .xlsx（待确认的原因写在「待确认」列），或 YAML（写在行尾注释中）")
    rd.add_argument("--part", metavar="附件1", help="文件有几张评分表时，只起草标题含此文字的一张")
    rd.set_defaults(func=cmd_rubric_draft)
    rx = rsub.add_parser("export", help="把细则导出为 Excel 工作簿（每个条款一行，计分方式有下拉列表），供审阅和修改")
    rx.add_argument("rubric", metavar="ID_OR_FILE", help="细则编号（如 hengnan-2020-township）或细则文件（.yaml/.xlsx）")
    rx.add_argument("--out", required=True, metavar="细则.xlsx", help="工作簿文件")
    rx.set_defaults(func=cmd_rubric_export)
    ri = rsub.add_parser("import", help="检查细则工作簿并转换为 YAML（运行配置也可以直接使用工作簿）")
    ri.add_argument("workbook", metavar="细则.xlsx", help="细则工作簿（kaohe rubric export 或 kaohe rubric draft 生成后修改的）")
    ri.add_argument("--out", required=True, metavar="细则.yaml", help="写出的 YAML 文件")
    ri.set_defaults(func=cmd_rubric_import)
    return p


def _load(args):
    """Rubrics, roster, evidence from --params or from the three options; all problems at once."""
    if args.params:
        if args.rubric or args.roster or args.evidence:
            raise KaoheError("--params 与 --rubric/--roster/--evidence 不能同时使用")
        run = Run(args.params)
        roster, evidence = run.load_inputs()
        rubrics, every = run.rubrics, True
        as_of_text = args.as_of or run.config.as_of
    else:
        missing = [o for o, v in (("--rubric", args.rubric), ("--roster", args.roster), ("--evidence", args.evidence)) if not v]
        if missing:
            raise KaoheError(f"缺少参数 {' '.join(missing)}（或改用 --params PARAMS.yaml）")
        rubrics, every = [load_rubric(args.rubric)], False
        roster = load_roster(args.roster)
        evidence = resolve(rubrics, roster, load_evidence(args.evidence))
        as_of_text = args.as_of
    source = "--as-of" if args.as_of or not args.params else args.params
    as_of, problems = parse_as_of(as_of_text, rubrics, source)
    problems += check(rubrics, roster, evidence, every_category_scored=every)
    warn(missing_periods(rubrics, roster, evidence, as_of))  # a month without a row costs nothing: say which
    return rubrics, roster, evidence, as_of, problems


def cmd_validate(args) -> int:
    rubrics, roster, evidence, _, problems = _load(args)
    if problems:
        raise InputError(problems)
    print(f"校验通过：{len(roster.units)} 个单位，{len(evidence.findings)} 条台账记录，"
          f"细则 {'、'.join(r.ref for r in rubrics)}。")
    return 0


def cmd_score(args) -> int:
    rubrics, roster, evidence, as_of, problems = _load(args)
    if problems:
        raise InputError(problems)
    results = [score_checked(r, roster, evidence, as_of) for r in rubrics]
    results = [r for r in results if len(r.units)]
    write_csv_atomic(Path(args.out), scores_table(results))
    scored = {u for r in results for u in r.units["unit"]}
    skipped = [u for u in roster.units if u.name not in scored]
    if skipped:
        cats = "、".join(sorted({u.category for u in skipped}))
        print(f"提示：名单中 {len(skipped)} 个单位（类别：{cats}）不适用细则 "
              f"{'、'.join(r.ref for r in rubrics)}，未计分。", file=sys.stderr)
    _print_ranking(results, as_of)
    for r in results:
        for _, d in r.decisions.iterrows():
            print(f"注意（{r.rubric.title}）：{d['award']}——{d['reason']}：{d['units']}", file=sys.stderr)
    print(f"已写出 {args.out}", file=sys.stderr)
    return 0


def _print_ranking(results: list[Result], as_of) -> None:
    with pd.option_context("display.unicode.east_asian_width", True, "display.max_rows", None,
                           "display.width", 200):
        for r in results:
            shown = r.bulletin().map(lambda v: fmt(v) if isinstance(v, Decimal) else v)
            when = f"（截至 {as_of}）" if as_of else ""
            print(f"\n{r.rubric.title}{when}  细则 {r.rubric.ref}，{len(shown)} 个单位")
            print(shown.to_string(index=False))


def cmd_run(args) -> int:
    from . import forkserver

    if args.jobs < 1 or args.timeout < 1:
        raise KaoheError("--jobs 和 --timeout 必须是正整数")
    try:
        if not args.scheduler:
            forkserver.start()  # the kernels' fork server first: its imports overlap the runner's (below) and scoring
        return _run(args)
    finally:
        forkserver.release()  # run() has released it already, unless it never started


def _run(args) -> int:
    from .runner import run  # papermill and nbconvert load slowly; only this command needs them

    units = [u.strip() for u in args.units.split(",") if u.strip()] if args.units else None
    if args.scheduler:
        try:
            import distributed  # noqa: F401
        except ImportError:
            raise KaoheError("--scheduler 需要 Dask：请安装 distributed（pip install 'kaohe[dask]'）") from None
    outcome = run(args.params, units=units, jobs=args.jobs, as_of=args.as_of, show_code=args.show_code,
                  out_dir=args.out_dir, timeout=args.timeout, log=lambda m: print(m, file=sys.stderr),
                  scheduler=args.scheduler, pdf=args.pdf)
    if outcome.summary_error:
        print(f"汇总报告生成失败：{outcome.summary_error}", file=sys.stderr)
    if outcome.failed:
        print(f"{len(outcome.failed)} 个单位的报告生成失败：{'、'.join(outcome.failed)}", file=sys.stderr)
    if outcome.pdf_failed:
        print(f"{len(outcome.pdf_failed)} 份 PDF 未能生成（HTML 报告已生成）：{'、'.join(outcome.pdf_failed)}",
              file=sys.stderr)
    if outcome.fingerprint:
        print(f"清单指纹（manifest.json 的 SHA-256，已写入 index.html 与 scores.docx）：{outcome.fingerprint}",
              file=sys.stderr)
    print(outcome.index)
    return 1 if (outcome.failed or outcome.summary_error or outcome.pdf_failed) else 0


def cmd_template(args) -> int:
    from .template import write_template

    if not args.out.lower().endswith(".xlsx"):
        raise KaoheError(f"--out 应为 .xlsx 文件：{args.out}")
    rubric = load_rubric(args.rubric)
    roster = load_roster(args.roster)
    if roster.problems:
        raise InputError(roster.problems)
    units = [u for u in roster.units if u.category in rubric.applies_to]
    if not units:
        raise KaoheError(f"名单 {args.roster} 中没有细则 {rubric.ref} 适用的单位（适用类别：{'、'.join(rubric.applies_to)}）")
    out = write_template(rubric, roster, args.out)
    print(f"已生成台账模板：{out}（{len(units)} 个单位，{len(rubric.rules)} 条规则）")
    return 0


def cmd_verify(args) -> int:
    from .verify import earlier_reports, fingerprint, rebuild, verify

    differences = verify(args.folder, expect=args.expect)
    rebuilt = rebuild(args.folder, progress=True) if args.rebuild else None
    if rebuilt:
        differences += rebuilt.differences
    for d in differences:
        print(d, file=sys.stderr)
    kept = earlier_reports(args.folder)
    if kept:
        print(f"提示：{len(kept)} 份单位报告是以前的运行生成的（本次未生成，如 {kept[0]}），只核对了文件本身，"
              "未按本次复制的输入核对", file=sys.stderr)
    if rebuilt and rebuilt.not_compared:
        print(f"提示：{len(rebuilt.not_compared)} 个文件无法重新生成比对（PDF，或以前运行保留的报告，如 {rebuilt.not_compared[0]}），"
              "只核对了清单中的 SHA-256；请同时用 --expect 核对通报上的清单指纹", file=sys.stderr)
    if differences:
        print(f"核验未通过：{len(differences)} 处不符（{args.folder}）", file=sys.stderr)
        return 1
    done = (f"按复制的输入重新生成并逐字节比对了 {len(rebuilt.compared)} 个文件，全部相同" if rebuilt
            else "按复制的输入重新计分结果相同")
    print(f"核验通过：全部文件与清单一致，{done}（{args.folder}）")
    print(f"清单指纹（SHA-256）：{fingerprint(args.folder)}" + ("，与 --expect 相符" if args.expect else ""))
    return 0


def cmd_compare(args) -> int:
    from .report import compare_counts
    from .runner import compare  # papermill and nbconvert load slowly; only this command and run need them

    if args.timeout < 1:
        raise KaoheError("--timeout 必须是正整数")
    out = compare(args.params, args.a, args.b, as_of=args.as_of, show_code=args.show_code, out_dir=args.out_dir,
                  timeout=args.timeout)
    c = out.comparison
    print(f"{c.a.rubric.ref} → {c.b.rubric.ref}：{compare_counts(c)}", file=sys.stderr)
    for _, m in c.moved.iterrows():
        print(f"  {m['unit']}：{fmt(m['total_a']) if m['total_a'] is not None else '—'} → "
              f"{fmt(m['total_b']) if m['total_b'] is not None else '—'}；{m['reason']}", file=sys.stderr)
    if out.error:
        print(f"比较报告生成失败：{out.error}（见 {out.folder / 'compare.failed.ipynb'}）；CSV 已写出。", file=sys.stderr)
        return 1
    print(out.html)
    return 0


def cmd_robustness(args) -> int:
    from .robustness import write  # papermill and nbconvert load slowly

    if args.timeout < 1 or args.limit < 1 or args.sample < 1:
        raise KaoheError("--timeout、--limit 和 --sample 必须是正整数")
    out = write(args.params, args.as_of, limit=args.limit, sample=args.sample, seed=args.seed,
                show_code=args.show_code, out_dir=args.out_dir, timeout=args.timeout)
    print(out.study.conclusion(), file=sys.stderr)
    if out.error:
        print(f"稳健性报告生成失败：{out.error}（见 {out.folder / 'robustness.failed.ipynb'}）；CSV 已写出。", file=sys.stderr)
        return 1
    print(out.html)
    return 0


def cmd_rubric_list(args) -> int:
    for rid, versions in bundled().items():
        default = resolve_ref(rid).version
        for v in versions.values():
            r = load_rubric(v.ref)
            how = "默认" if v.version == default else f"用 {v.ref} 选用"
            status = "草案，" if r.status == "draft" else ""
            print(f"{rid}\t第 {r.version} 版（{status}{how}）\t{fmt(r.points)} 分\t{r.title}（{r.source.doc_no}）")
    return 0


def cmd_rubric_show(args) -> int:
    r = load_rubric(args.id)
    print(f"{r.title}\n{r.source.issuer} {r.source.doc_no}  {r.source.part or ''}\n"
          f"细则 {r.ref}，满分 {fmt(r.points)} 分，考核期 {r.period.start} 至 {r.period.end}，适用：{'、'.join(r.applies_to)}")

    points = r.effective_points

    def show(nodes, depth):
        for n in nodes:
            pad = "  " * depth
            p = points[n.id]
            shown = describe_points(n) if n.points is not None or p is None else f"{fmt(p)} 分，下级合计"
            extra = [f"权重 {fmt(n.weight)}%" if n.weight is not None else "", "可不列入" if n.optional else "",
                     f"低于 {fmt(n.eligibility_min)} 分取消评优资格" if n.eligibility_min is not None else "",
                     "得分制：从 0 分起计所得" if n.start == "zero" else "", "得分为下级得分之和" if n.combine == "sum" else "",
                     "下级按权重合成" if n.combine == "weighted" else "",
                     f"须{n.gate.describe(r.nodes_by_id[n.gate.node].name)}才评分" if n.gate else "",
                     f"低于 {fmt(n.fail.below)} 分判定为「{n.fail.grade}」" if n.fail else "",
                     f"不适用时：{n.not_applicable.describe()}" if n.not_applicable else "",
                     "扣分不以本项分值为限" if n.points is not None and not r.caps(n) else ""]
            shown = "，".join([shown, *(x for x in extra if x)])
            print(f"{pad}{n.id} {n.name}（{shown}）")
            for said in (n.gate, n.fail, n.not_applicable):
                if said is not None and said.text:
                    print(f"{pad}  原文：{said.text}")
            for rule in n.rules:
                print(f"{pad}  [{rule.id}] {rule.kind}：{rule.describe()}\n{pad}      原文：{rule.text}")
            show(n.children, depth + 1)

    show(r.indicators, 0)
    if r.points_text:
        print(f"总分：{r.points_text}")
    if r.aggregate == "weighted":
        print("合成：总分 = Σ 权重 × 环节得分 ÷ 环节满分 × 满分")
    elif r.rescaled:
        print(f"合成：适用模块得分之和 ÷ 适用模块满分之和 × {fmt(r.scale or r.points)}（按比例折合）")
    elif r.aggregate == "sum":
        print("合成：总分为各部分得分之和（可超过满分）")
    if r.not_applicable:
        print(f"不适用时：{r.not_applicable.describe()}" + (f"。原文：{r.not_applicable.text}" if r.not_applicable.text else ""))
    if r.cap_levels:
        print(f"扣分上限：只在第 {'、'.join(map(str, r.cap_levels))} 级指标封顶，其余各级扣分可超过本项分值")
    if r.grades:
        print("等次：" + "；".join(f"{b.grade} ≥{fmt(b.min)}" if b.min is not None else b.grade for b in r.grades.bands))
        print(f"等次读法：{r.grades.reading}")
    if r.awards.excellent:
        e = r.awards.excellent
        floor = f"得分 ≥{fmt(e.min_score)} 且" if e.min_score is not None else ""
        quota = f"前 {e.quota} 名" if e.quota is not None else "前 N 名（N 由运行配置 quotas 给出）"
        print(f"{e.name}：{floor}未被否决或取消资格的{quota}。{e.reading or ''}")
    for rd in r.readings:
        print(f"读法 {rd.id}（{rd.about}）：{rd.reading}")
    return 0


def cmd_rubric_lint(args) -> int:
    r = load_rubric(args.id)
    found = lint(r)
    for f in found:
        print(f)
    warnings = sum(f.severity == "警告" for f in found)
    errors = sum(f.severity == "错误" for f in found)
    print(f"{r.ref}：{errors} 个错误，{warnings} 个警告，{len(found) - warnings - errors} 个提示。", file=sys.stderr)
    return 1 if errors or (args.strict and warnings) else 0


def cmd_rubric_check(args) -> int:
    from .coverage import check, read_source

    rubrics = [load_rubric(r) for r in args.rubric]
    source = args.source
    if not source:  # the file the rubric names, beside it (examples/*/rubric.yaml and 示例文件.md)
        beside = [rubric_path(a).parent / r.source.file for a, r in zip(args.rubric, rubrics)]
        source = next((p for p in beside if p.is_file()), None)
        if source is None:
            raise KaoheError(f"请用 --source 指定细则所依的原文件（细则写的是 {rubrics[0].source.file}，"
                             f"{beside[0].parent} 中没有这个文件）")
    report = check(rubrics, read_source(source), start=args.start, end=args.end)
    print(report.text())
    return 0 if report.ok else 1


def cmd_rubric_schema(args) -> int:
    import json

    from .files import write_text_atomic
    from .reference import schema

    text = json.dumps(schema(), ensure_ascii=False, indent=2) + "\n"
    if not args.out:
        sys.stdout.write(text)
        return 0
    write_text_atomic(Path(args.out), text)
    print(f"已写出 {args.out}。在细则文件第一行写  # yaml-language-server: $schema={Path(args.out).name}"
          "（路径相对于细则文件），编辑器即按它提示字段和说明。", file=sys.stderr)
    return 0


def cmd_rubric_draft(args) -> int:
    from .draft import count, draft, to_yaml
    from .files import write_text_atomic
    from .workbook import write

    out = Path(args.out)
    if out.suffix.lower() not in (".yaml", ".yml", ".xlsx"):
        raise KaoheError(f"--out 应为 .xlsx（细则工作簿）或 .yaml 文件：{args.out}")
    data, pending = draft(args.file, part=args.part)
    if out.suffix.lower() == ".xlsx":  # the workbook a clerk corrects in Excel, then imports
        write(data, out, pending)
    else:
        write_text_atomic(out, to_yaml(data, pending))
    nodes, rules = count(data)
    for ident, why in pending.items():
        print(f"待确认 {ident}：{why}", file=sys.stderr)
    then = (f"在 Excel 或 WPS 中改完、清空「待确认」后用 kaohe rubric import {out.name} --out 细则.yaml 检查"
            if out.suffix.lower() == ".xlsx" else "改完后用 kaohe rubric show 查看")
    print(f"已起草 {out}：{nodes} 个指标，{rules} 条规则，{len(pending)} 项待确认。请逐条核对计分方式和分值，{then}。",
          file=sys.stderr)
    return 0


def cmd_rubric_export(args) -> int:
    from .rubric import _raw, rubric_path
    from .workbook import write

    if not args.out.lower().endswith(".xlsx"):
        raise KaoheError(f"--out 应为 .xlsx 文件：{args.out}")
    path = rubric_path(args.rubric)
    data, _ = _raw(path, ())  # a draft over a base version is exported whole
    out = write(data, args.out)
    try:
        r = load_rubric(path)
    except InputError as exc:  # exported as it is, so that it can be mended in the workbook
        print(f"提示：细则 {args.rubric} 尚未通过校验，已按原样导出；请在工作簿中改正后用 kaohe rubric import 检查。\n{exc}",
              file=sys.stderr)
        print(f"已导出细则工作簿：{out}")
        return 0
    print(f"已导出细则工作簿：{out}（{r.ref}，{len(r.nodes)} 个指标，{len(r.rules)} 条规则）")
    return 0


def cmd_rubric_import(args) -> int:
    from .files import write_text_atomic
    from .rubric import Rubric
    from .workbook import SUFFIXES, read, yaml_text
    from .yamlio import parse_yaml

    source = Path(args.workbook)
    if source.suffix.lower() not in SUFFIXES:
        raise KaoheError(f"细则工作簿应为 .xlsx 文件：{args.workbook}")
    if not args.out.lower().endswith((".yaml", ".yml")):
        raise KaoheError(f"--out 应为 .yaml 文件：{args.out}")
    r = load_rubric(source)  # every problem, located by sheet, row and column
    data, _ = read(source)
    text = yaml_text(data, source.name, r.effective_points)
    again, _ = parse_yaml(text, args.out)
    if Rubric.model_validate(again) != r:  # pragma: no cover - the YAML is the workbook's data; a bug if not
        raise KaoheError("转换后的 YAML 与工作簿不一致（kaohe 的缺陷，请报告）；未写出文件")
    write_text_atomic(Path(args.out), text)
    print(f"已写出 {args.out}：{r.title}（{r.ref}，{len(r.nodes)} 个指标，{len(r.rules)} 条规则）")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
