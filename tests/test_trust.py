"""Trust in a run's files: the same inputs give the same bytes, `kaohe verify` finds any edit, a run that is
interrupted, killed or cannot write leaves the previous run whole, and a kernel that fails to start is
started again.

The sample ledger's 示例镇08 has T018 3.1.3d "差评整改不到位每次扣 0.5 分" × 8 = 4 (row 19 of the CSV,
header row 1): written as 9 it is 4.5, so its total goes from 91 to 90.5.
"""

import errno
import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import docx
import pytest
from conftest import ROOT, sabotaged_notebooks

from kaohe import cli, forkserver, runner
from kaohe.assessment import assess
from kaohe.errors import KaoheError
from kaohe.verify import rebuild, verify
from kaohe.word import scores_docx

PARAMS = ROOT / "params" / "hengnan-2020.yaml"
LEDGER = "inputs/衡南2020-示例数据-台账.csv"


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def first(tmp_path_factory):
    """A whole run of the sample (37 units and the summary), and a copy of its files as they were."""
    out = tmp_path_factory.mktemp("out")
    outcome = runner.run(PARAMS, jobs=4, out_dir=out, progress=False)
    assert outcome.failed == [] and not outcome.summary_error
    return outcome.folder, tree(outcome.folder)


def test_a_second_run_gives_the_same_bytes_in_every_file(first, tmp_path):
    """The second run is the CLI in another process with another hash seed (set order must not show), on a
    copy of the project in another folder (no absolute path may show: issue 15, item 9)."""
    _, before = first
    project = tmp_path / "另一处" / "项目 副本"
    for part in ("params", "data"):
        shutil.copytree(ROOT / part, project / part)
    subprocess.run([sys.executable, "-m", "kaohe", "run", "params/hengnan-2020.yaml", "--out-dir", str(tmp_path / "o")],
                   check=True, capture_output=True, env={**os.environ, "PYTHONHASHSEED": "12345"}, cwd=project)
    after = tree(tmp_path / "o" / "hengnan-2020" / "2020")
    assert sorted(after) == sorted(before)
    differ = [name for name in before if before[name] != after[name]]
    assert differ == []
    kinds = {Path(n).suffix for n in before}
    assert {".html", ".ipynb", ".csv", ".xlsx", ".docx", ".json"} <= kinds


def test_run_times_go_to_a_log_beside_the_run_not_into_it(first):
    folder, files = first
    assert not any(b"duration" in data or b"start_time" in data for name, data in files.items()
                   if name.endswith(".ipynb"))
    logs = sorted((folder.parent / "logs").glob(f"{folder.name}-*.json"))
    assert logs
    log = json.loads(logs[-1].read_text(encoding="utf-8"))
    assert len(log["units"]) == 37 and all(u["state"] == "已生成" and u["seconds"] > 0 for u in log["units"].values())
    assert log["seconds"] > 0 and log["started"]


def test_a_published_notebook_names_no_temporary_file(first):
    _, files = first
    nb = json.loads(files["units/示例镇08.ipynb"])
    injected = [c for c in nb["cells"] if "injected-parameters" in c["metadata"].get("tags", [])]
    assert "cache = None" in "".join(injected[0]["source"])
    assert nb["metadata"]["papermill"]["parameters"]["cache"] is None
    assert not any(b".staging" in data or b".building" in data for data in files.values())


def test_verify_passes_on_an_untouched_run(first, capsys):
    folder, _ = first
    assert verify(folder) == []
    assert cli.main(["verify", str(folder)]) == 0
    assert "核验通过" in capsys.readouterr().out


@pytest.fixture
def copy(first, tmp_path):
    folder, _ = first
    dest = tmp_path / folder.name
    shutil.copytree(folder, dest)
    return dest


def test_verify_names_an_edited_evidence_row(copy, capsys):
    ledger = copy / LEDGER
    lines = ledger.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    assert lines[18].startswith("T018,示例镇08,3.1.3d,2020-08-19,8,")
    lines[18] = lines[18].replace(",8,", ",9,", 1)
    ledger.write_text("\ufeff" + "".join(lines), encoding="utf-8")
    found = [str(d) for d in verify(copy)]
    assert f"{LEDGER}：已修改——SHA-256 与清单不符（台账，运行时复制的输入）" in found
    assert "scores.csv：与重新计分不符——示例镇08 的 total：文件中为「91」，重新计分为「90.5」" in found
    assert any(line.startswith("ledger.csv：与重新计分不符——hengnan-2020-township@1，T018 的 计算扣分：文件中为「4」，"
                               "重新计分为「4.5」") for line in found)
    assert cli.main(["verify", str(copy)]) == 1
    assert "核验未通过" in capsys.readouterr().err


def test_verify_names_an_altered_report_a_missing_one_and_an_added_file(copy):
    html = copy / "units" / "示例镇08.html"
    html.write_text(html.read_text(encoding="utf-8").replace("91", "99", 1), encoding="utf-8")
    (copy / "units" / "示例镇06.ipynb").unlink()
    (copy / "units" / "extra.html").write_text("x", encoding="utf-8")
    (copy / "units" / ".hidden.html").write_text("x", encoding="utf-8")
    (copy / "units" / "manifest.json").write_text("{}", encoding="utf-8")
    assert {str(d) for d in verify(copy)} == {
        "units/示例镇08.html：已修改——SHA-256 与清单不符",
        "units/示例镇06.ipynb：缺失——清单中有此文件",
        "units/extra.html：多出——清单中没有此文件",
        "units/.hidden.html：多出——清单中没有此文件",
        "units/manifest.json：多出——清单中没有此文件",
    }


def test_verify_reports_a_table_saved_again_in_another_encoding(copy):
    """Opened and saved by Excel on Chinese Windows: GBK, not UTF-8. Named, not a crash."""
    scores = copy / "scores.csv"
    scores.write_bytes(scores.read_text(encoding="utf-8").encode("gbk"))
    found = [str(d) for d in verify(copy)]
    assert "scores.csv：已修改——SHA-256 与清单不符" in found
    assert any(line.startswith("scores.csv：与重新计分不符——无法按 UTF-8 CSV 读取") for line in found)


def test_verify_refuses_a_folder_that_is_not_a_run(tmp_path, capsys):
    with pytest.raises(KaoheError, match="不是 kaohe run 的输出目录"):
        verify(tmp_path)
    assert cli.main(["verify", str(tmp_path)]) == 2


# --- interrupted, killed, cannot write --------------------------------------------------------------

def builds(parent: Path) -> list[Path]:
    """Build folders of runs, and previous runs moved aside by a swap (the lock file stays, by design)."""
    return sorted(parent.glob(".2020.building-*")) + sorted(parent.glob(".2020.old-*"))


def _start(out: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "kaohe", "run", str(PARAMS), "--out-dir", str(out), "--jobs", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)


def _wait_for_reports(out: Path, proc: subprocess.Popen, n: int = 3) -> None:
    """Until the run in progress has executed ``n`` notebooks (its staging folder holds them; the build's
    units/ is seeded with the previous run's reports before any notebook runs)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        built = list(out.glob("hengnan-2020/.2020.building-*/.staging/units/*.ipynb"))
        if len(built) >= n:
            return
        assert proc.poll() is None, proc.stderr.read().decode()
        time.sleep(0.2)
    raise AssertionError("the run wrote no report in 120 s")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])
def test_an_interrupted_run_leaves_the_previous_run_whole_and_the_next_one_runs(first, tmp_path, sig):
    folder, before = first
    out = tmp_path / "out"
    shutil.copytree(folder.parent, out / "hengnan-2020")
    proc = _start(out)
    _wait_for_reports(out, proc)
    # SIGINT as Ctrl-C sends it, to the whole group; SIGKILL to kaohe alone (its kernels end with it)
    os.killpg(proc.pid, sig) if sig == signal.SIGINT else proc.send_signal(sig)
    proc.wait(timeout=120)
    assert proc.returncode == (130 if sig == signal.SIGINT else -signal.SIGKILL)
    final = out / "hengnan-2020" / "2020"
    assert tree(final) == before
    leftovers = builds(final.parent)
    assert (leftovers == []) if sig == signal.SIGINT else leftovers  # a killed run cannot clean up
    done = runner.run(PARAMS, units=["示例镇08"], out_dir=out, progress=False)
    assert done.failed == [] and builds(final.parent) == []
    assert tree(final)["units/示例镇01.html"] == before["units/示例镇01.html"]  # kept from before


def test_a_full_disk_is_a_clear_error_and_the_previous_run_stays(first, tmp_path, monkeypatch, capsys):
    folder, before = first
    out = tmp_path / "out"
    shutil.copytree(folder.parent, out / "hengnan-2020")

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("kaohe.files.os.replace", full)
    code = cli.main(["run", str(PARAMS), "--units", "示例镇08", "--out-dir", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert "磁盘空间已满（No space left on device）" in err and "scores.csv" in err
    assert tree(out / "hengnan-2020" / "2020") == before
    assert builds(out / "hengnan-2020") == []


def test_a_folder_that_cannot_be_written_is_a_clear_error(tmp_path, monkeypatch, capsys):
    real = Path.mkdir

    def read_only(self, *args, **kwargs):
        if self.is_relative_to(tmp_path):
            raise OSError(errno.EROFS, "Read-only file system")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", read_only)
    code = cli.main(["run", str(PARAMS), "--units", "示例镇08", "--out-dir", str(tmp_path / "out")])
    assert code == 2
    assert f"无法写入输出目录 {tmp_path / 'out' / 'hengnan-2020'}：只读文件系统（Read-only file system）" \
        in capsys.readouterr().err


def test_kernels_that_fail_to_start_are_started_again(tmp_path, monkeypatch):
    """Under parallel load a kernel can fail to start; nothing ran in it, so it is started again."""
    real = runner.HereKernelManager.start_kernel
    failures = iter([RuntimeError("Kernel died before replying to kernel_info")] * 2)

    async def flaky(self, *args, **kwargs):
        exc = next(failures, None)
        if exc is not None:
            raise exc
        return await real(self, *args, **kwargs)

    monkeypatch.setattr(runner.HereKernelManager, "start_kernel", flaky)
    outcome = runner.run(PARAMS, units=["示例镇01", "示例镇02"], jobs=2, out_dir=tmp_path, progress=False)
    assert outcome.failed == [] and not outcome.summary_error
    assert next(failures, None) is None  # both failures happened


def test_a_failure_after_cells_ran_is_not_retried(tmp_path, monkeypatch):
    """Only a kernel that ran nothing is started again: a report that failed after its cells began fails once."""
    from nbclient import NotebookClient

    real, first_cell = NotebookClient.execute_cell, []

    def broken(self, cell, cell_index, *args, **kwargs):
        if cell_index == 0:
            first_cell.append(1)
        if cell_index == 3:
            raise RuntimeError("消息通道中断")  # not a cell error, not a timeout, not a dead kernel
        return real(self, cell, cell_index, *args, **kwargs)

    monkeypatch.setattr(NotebookClient, "execute_cell", broken)
    outcome = runner.run(PARAMS, units=["示例镇01"], out_dir=tmp_path, progress=False)
    assert outcome.failed == ["示例镇01"] and "消息通道中断" in outcome.statuses["示例镇01"].error
    # the unit once, no second attempt; the summary twice: written while the unit ran, then without its link
    assert first_cell == [1, 1, 1]
    assert (outcome.folder / "units" / "示例镇01.failed.ipynb").exists()


def test_a_second_run_into_the_same_folder_is_refused_while_the_first_runs(tmp_path):
    out = tmp_path / "out"
    proc = _start(out)
    try:
        _wait_for_reports(out, proc, n=1)
        with pytest.raises(KaoheError, match="另一个 kaohe run 正在写入"):
            runner.run(PARAMS, units=["示例镇08"], out_dir=out, progress=False)
        assert list(out.glob("hengnan-2020/.2020.building-*"))  # the first run's build is untouched
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=120)


def test_a_failed_report_is_the_same_bytes_in_a_second_run(tmp_path, bad_notebooks_raising):
    """papermill's error cells get fixed ids too, so a run with a failure is reproducible as well."""
    runs = [runner.run(PARAMS, units=["示例镇02"], out_dir=tmp_path / name, notebooks=bad_notebooks_raising,
                       progress=False).folder for name in ("a", "b")]
    a, b = tree(runs[0]), tree(runs[1])
    assert "units/示例镇02.failed.ipynb" in a
    assert [n for n in a if a[n] != b.get(n)] == []


@pytest.fixture
def bad_notebooks_raising(tmp_path):
    return sabotaged_notebooks(tmp_path / "notebooks", 'if unit == "示例镇02":\n    raise ValueError("故意失败")')


# --- verify only reads, and only inside the folder ----------------------------------------------------

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
_watching: list[list] = []


def _audit(event, args):
    if _watching and event == "open":
        path, mode, flags = args
        if isinstance(path, (str, bytes, os.PathLike)):
            writes = (isinstance(mode, str) and any(c in mode for c in "wax+")) or bool((flags or 0) & _WRITE_FLAGS)
            _watching[-1].append((os.path.realpath(os.fsdecode(path)), writes))
    elif _watching and event in ("os.rename", "os.replace", "os.remove", "os.unlink", "os.mkdir", "os.rmdir",
                                 "shutil.copyfile", "shutil.rmtree", "os.truncate", "os.symlink", "os.chmod"):
        _watching[-1].append((str(args[0]), True))


sys.addaudithook(_audit)


def opened_by_verify(folder: Path) -> tuple[list, list[tuple[str, bool]]]:
    """verify's differences and every file it opened (real path, for writing?) or changed."""
    import kaohe.runner  # noqa: F401  imported before watching: imports read and may cache, verify itself must not

    _watching.append([])
    try:
        found = verify(folder)
    finally:
        seen = _watching.pop()
    return found, seen


def software_roots() -> list[str]:
    """What verify may read outside the run folder: the installed Python, its packages and kaohe itself."""
    import kaohe

    return [os.path.realpath(p) for p in {sys.prefix, sys.base_prefix, sys.exec_prefix, Path(kaohe.__file__).parent}]


def test_verify_writes_nothing_and_reads_only_the_folder_and_the_installed_software(first):
    folder, _ = first
    found, seen = opened_by_verify(folder)
    assert found == []
    assert [p for p, writes in seen if writes] == []
    inside = os.path.realpath(folder)
    outside = {p for p, _ in seen if not p.startswith(inside + os.sep) and p != inside
               and not any(p.startswith(r + os.sep) for r in software_roots()) and not p.startswith("/dev/")}
    assert outside == set()
    assert any(p.startswith(os.path.join(inside, "inputs") + os.sep) for p, _ in seen)  # it did rescore


@pytest.mark.parametrize("where", ["relative", "absolute"])
def test_a_manifest_pointing_outside_the_folder_is_tampering_and_the_file_is_neither_read_nor_written(copy, tmp_path,
                                                                                                         where):
    """The critical case of issue 15: another project's params file named by the manifest was rewritten."""
    victim = tmp_path / "victim" / "params" / "run.yaml"
    victim.parent.mkdir(parents=True)
    original = (ROOT / "params" / "hengnan-2020.yaml").read_bytes()
    victim.write_bytes(original)
    manifest = json.loads((copy / "manifest.json").read_text(encoding="utf-8"))
    manifest["rescore"]["params"] = (os.path.relpath(victim, copy / "inputs") if where == "relative" else str(victim))
    (copy / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    found, seen = opened_by_verify(copy)
    assert [str(d) for d in found] == [
        f"manifest.json：被篡改——rescore 的 params 指向 inputs/ 以外的文件：{manifest['rescore']['params']!r}"
        "（kaohe run 只写 inputs/ 中的文件名）；未读取该文件"]
    assert victim.read_bytes() == original
    assert not any(p.startswith(str(tmp_path / "victim")) for p, _ in seen)
    assert [p for p, writes in seen if writes] == []
    assert cli.main(["verify", str(copy)]) == 1


def test_links_in_a_run_folder_are_named_and_not_followed(copy, tmp_path):
    secret = tmp_path / "secret.csv"
    secret.write_text("单位,类别\n甲,乡镇\n", encoding="utf-8")
    roster = copy / "inputs" / json.loads((copy / "manifest.json").read_text(encoding="utf-8"))["rescore"]["roster"]
    roster.unlink()
    roster.symlink_to(secret)
    (copy / "units" / "extra.html").symlink_to(secret)
    found, seen = opened_by_verify(copy)
    text = [str(d) for d in found]
    assert f"inputs/{roster.name}：符号链接——运行目录中不应有符号链接，未跟随读取（可能被篡改）" in text
    assert "units/extra.html：符号链接——运行目录中不应有符号链接，未跟随读取（可能被篡改）" in text
    assert f"manifest.json：无法重新计分——rescore 的 roster 所指 inputs/{roster.name} 不存在或不是普通文件" in text
    assert os.path.realpath(secret) not in {p for p, _ in seen}


def test_a_full_disk_anywhere_in_a_run_is_a_chinese_error_not_a_traceback(first, tmp_path, monkeypatch, capsys):
    """Issue 15, item 8: ENOSPC while the run wrote its own working files (here the pickled assessment)
    ended in a raw OSError traceback."""
    folder, before = first
    out = tmp_path / "out"
    shutil.copytree(folder.parent, out / "hengnan-2020")

    def full(path, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr("kaohe.assessment.save_cache", full)
    code = cli.main(["run", str(PARAMS), "--units", "示例镇08", "--out-dir", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert "错误：无法读写文件 " in err and "assessment.pickle：磁盘空间已满（No space left on device）。此前的输出未被改动" in err
    assert tree(out / "hengnan-2020" / "2020") == before
    assert builds(out / "hengnan-2020") == []


def test_the_kernel_socket_folder_of_a_killed_run_is_removed_by_the_next_one(tmp_path):
    """A run killed with SIGKILL cannot remove its socket folder; the next run does, and leaves alone the
    folder of a run still going (its .alive lock is held)."""
    child = subprocess.Popen([sys.executable, "-c", "from kaohe import forkserver; print(forkserver.socket_dir(), flush=True);"
                              "import time; time.sleep(120)"], stdout=subprocess.PIPE, text=True)
    killed = Path(child.stdout.readline().strip())
    child.kill()
    child.wait()
    assert killed.is_dir() and killed.name.startswith(forkserver.SOCKETS_PREFIX)
    going = Path(__import__("tempfile").mkdtemp(prefix=forkserver.SOCKETS_PREFIX))
    fd = forkserver._hold(going / ".alive")
    try:
        forkserver._remove_stale_socket_dirs()
        assert not killed.exists() and going.is_dir()
    finally:
        os.close(fd)
        shutil.rmtree(going)


# --- a run folder that proves itself: the fingerprint, and a rebuild ------------------------------------

def test_the_fingerprint_is_printed_written_into_the_bulletin_and_the_index_and_checked(first, copy, capsys):
    folder, files = first
    mark = hashlib.sha256(files["manifest.json"]).hexdigest()
    assert mark in files["index.html"].decode("utf-8")
    bulletin = docx.Document(io.BytesIO(files["scores.docx"]))
    assert bulletin.paragraphs[-1].text.startswith(f"运行清单指纹（manifest.json 的 SHA-256）：{mark}。")
    manifest = json.loads(files["manifest.json"])
    assert "index.html" not in {o["path"] for o in manifest["outputs"]} and manifest["fingerprinted"] == [
        "index.html", "scores.docx"]
    assert cli.main(["verify", str(folder), "--expect", mark]) == 0
    assert f"清单指纹（SHA-256）：{mark}，与 --expect 相符" in capsys.readouterr().out
    assert [str(d) for d in verify(folder, expect="0" * 64)] == [
        f"manifest.json：指纹不符——本目录清单的 SHA-256 为 {mark}，应为 {'0' * 64}：这不是通报上所记的那次运行（或清单被改动过）"]
    # the two fingerprinted files are made again and compared: an edit to either is found
    index = copy / "index.html"
    index.write_text(index.read_text(encoding="utf-8").replace("报告索引", "报告目录"), encoding="utf-8")
    edited = docx.Document(copy / "scores.docx")
    edited.paragraphs[0].runs[0].text = "改过的标题"
    edited.save(copy / "scores.docx")
    assert {str(d) for d in verify(copy)} == {
        "index.html：已修改——与按清单和复制的输入重新生成的内容不符（或所载指纹不是本目录清单的指纹）",
        "scores.docx：已修改——与按清单和复制的输入重新生成的内容不符（或所载指纹不是本目录清单的指纹）"}


def test_the_cli_prints_the_fingerprint_at_the_end_of_a_run(tmp_path, capsys):
    assert cli.main(["run", str(PARAMS), "--units", "示例镇08", "--out-dir", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    mark = hashlib.sha256((tmp_path / "hengnan-2020" / "2020" / "manifest.json").read_bytes()).hexdigest()
    assert f"清单指纹（manifest.json 的 SHA-256，已写入 index.html 与 scores.docx）：{mark}" in err


def test_rebuild_passes_on_a_fresh_run_and_finds_a_consistent_forgery(first, copy, capsys):
    """A forger who edits a report and its notebook, puts their hashes in the manifest and remakes the
    fingerprinted files passes a plain verify; the rebuild and the issued fingerprint both catch it."""
    folder, files = first
    fresh = rebuild(folder)
    assert fresh.differences == [] and fresh.not_compared == []
    assert {"units/示例镇08.html", "units/示例镇08.ipynb", "summary.html", "scores.csv", "ledger.csv",
            "scores.xlsx"} <= set(fresh.compared) and len(fresh.compared) == len(files) - 3  # all but the manifest,
    assert cli.main(["verify", str(folder), "--rebuild"]) == 0                      # index.html and scores.docx
    assert f"按复制的输入重新生成并逐字节比对了 {len(fresh.compared)} 个文件，全部相同" in capsys.readouterr().out
    issued = hashlib.sha256(files["manifest.json"]).hexdigest()
    for name in ("units/示例镇08.html", "units/示例镇08.ipynb"):
        path = copy / name
        path.write_text(path.read_text(encoding="utf-8").replace("91（满分 100，扣 9 分）", "99（满分 100，扣 1 分）"),
                        encoding="utf-8")
    manifest = json.loads((copy / "manifest.json").read_text(encoding="utf-8"))
    for o in manifest["outputs"]:
        if o["path"] in ("units/示例镇08.html", "units/示例镇08.ipynb"):
            o["sha256"] = hashlib.sha256((copy / o["path"]).read_bytes()).hexdigest()
    text = json.dumps(manifest, ensure_ascii=False, indent=2) + "\n"
    (copy / "manifest.json").write_text(text, encoding="utf-8")
    forged = hashlib.sha256(text.encode("utf-8")).hexdigest()
    a = assess(copy / "inputs" / manifest["rescore"]["params"], replace={k: v for k, v in manifest["rescore"].items()
                                                                        if k != "params"})
    outcome = runner.RunOutcome(copy, {u: runner.UnitStatus(u, s["file"], s["state"]) for u, s in manifest["units"].items()})
    (copy / "index.html").write_text(runner.index_html(a, outcome, forged), encoding="utf-8")
    (copy / "scores.docx").write_bytes(scores_docx(a, forged))
    assert verify(copy) == []  # consistent: the manifest, the hashes and the fingerprinted files agree
    assert [str(d) for d in rebuild(copy).differences] == [
        "units/示例镇08.html：与重新生成的不同——同样的输入、同一版本的 kaohe 得出的文件字节不同：此文件被改动过",
        "units/示例镇08.ipynb：与重新生成的不同——同样的输入、同一版本的 kaohe 得出的文件字节不同：此文件被改动过"]
    assert [d.what for d in verify(copy, expect=issued)] == ["指纹不符"]


def test_rebuild_refuses_another_kaohe_version(copy):
    manifest = json.loads((copy / "manifest.json").read_text(encoding="utf-8"))
    manifest["software"]["kaohe"] = "0.0.1"
    (copy / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(KaoheError, match=r"该次运行由 kaohe 0\.0\.1 生成，本机是 kaohe .*：--rebuild 须用同一版本"):
        rebuild(copy)


def test_a_ledger_saved_again_during_the_run_is_copied_as_it_was_scored(tmp_path, monkeypatch):
    """Issue 15, item 3: the ledger was copied into inputs/ at the end of the run, so a save while the notebooks
    ran put content that was never scored into the run, and verify of an untampered run failed."""
    project = tmp_path / "project"
    for part in ("params", "data"):
        shutil.copytree(ROOT / part, project / part)
    ledger = project / "data" / "sample" / Path(LEDGER).name.removeprefix("inputs/")
    scored = ledger.read_bytes()
    real = runner.publish

    def publish_and_save_the_ledger(*args, **kwargs):
        ledger.write_bytes(scored.replace(b",8,", b",9,", 1))  # someone edits and saves it meanwhile
        return real(*args, **kwargs)

    monkeypatch.setattr(runner, "publish", publish_and_save_the_ledger)
    outcome = runner.run(project / "params" / "hengnan-2020.yaml", units=["示例镇08"], out_dir=tmp_path / "out",
                         progress=False)
    assert ledger.read_bytes() != scored
    assert (outcome.folder / LEDGER).read_bytes() == scored
    manifest = json.loads((outcome.folder / "manifest.json").read_text(encoding="utf-8"))
    recorded = {i["name"]: i["sha256"] for i in manifest["inputs"]}
    assert recorded[Path(LEDGER).name] == hashlib.sha256(scored).hexdigest()
    assert verify(outcome.folder) == []


def test_a_report_marked_as_kept_from_an_earlier_run_is_said_not_compared_and_caught_by_the_fingerprint(first, copy,
                                                                                                      capsys):
    """A forger who also marks the unit 本次未生成 makes --rebuild skip the report (it cannot be made again from
    these inputs): the command says which files it did not compare, and the issued fingerprint catches it."""
    _, files = first
    manifest = json.loads((copy / "manifest.json").read_text(encoding="utf-8"))
    manifest["units"]["示例镇08"]["state"] = "本次未生成"
    (copy / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    found = rebuild(copy)
    assert found.differences == [] and {"units/示例镇08.html", "units/示例镇08.ipynb"} <= set(found.not_compared)
    issued = hashlib.sha256(files["manifest.json"]).hexdigest()
    assert cli.main(["verify", str(copy), "--rebuild", "--expect", issued]) == 1
    err = capsys.readouterr().err
    assert "无法重新生成比对（PDF，或以前运行保留的报告，如 units/示例镇08.html）" in err and "指纹不符" in err


@pytest.mark.parametrize("edit", [
    lambda m: m.update(inputs=["a"]),
    lambda m: m.update(units=[1]),
    lambda m: m["units"]["示例镇08"].update(state=["已生成"]),
    lambda m: m["units"]["示例镇08"].update(file="../../x"),
    lambda m: m.update(summary=[1]),
    lambda m: m.update(run=[1]),
    lambda m: m.update(software=[1]),
    lambda m: m["outputs"].append({"path": 5, "sha256": "x"}),
    lambda m: m.update(rescore={"params": ["a"], "rubrics": 1}),
    lambda m: m.pop("outputs"),
], ids=["inputs", "units", "state", "unit-file", "summary", "run", "software", "output-path", "rescore", "outputs"])
@pytest.mark.parametrize("rebuilding", [False, True], ids=["verify", "rebuild"])
def test_a_hand_edited_manifest_of_another_shape_is_named_not_a_traceback(copy, capsys, edit, rebuilding):
    manifest = json.loads((copy / "manifest.json").read_text(encoding="utf-8"))
    edit(manifest)
    (copy / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    assert cli.main(["verify", str(copy), *(["--rebuild"] if rebuilding else [])]) == 2
    err = capsys.readouterr().err
    assert "manifest.json 格式不对（可能被改动过）" in err and "Traceback" not in err


def test_a_manifest_nested_too_deep_or_that_is_a_pipe_is_refused(copy, capsys):
    (copy / "manifest.json").write_text("[" * 100_000, encoding="utf-8")
    assert cli.main(["verify", str(copy)]) == 2
    assert "manifest.json 无法读取：RecursionError" in capsys.readouterr().err
    (copy / "manifest.json").unlink()
    os.mkfifo(copy / "manifest.json")
    assert cli.main(["verify", str(copy)]) == 2  # before: waited for a writer for ever
    assert "清单不是普通文件，而是命名管道（FIFO）" in capsys.readouterr().err


def test_verify_leaves_the_users_home_untouched(first, tmp_path):
    """Not even matplotlib's font cache: verify does not load the report module (issue 15 review)."""
    folder, _ = first
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache"),
           "XDG_CONFIG_HOME": str(home / ".config")}
    env.pop("MPLCONFIGDIR", None)
    done = subprocess.run([sys.executable, "-m", "kaohe", "verify", str(folder)], capture_output=True, text=True,
                          env=env)
    assert done.returncode == 0, done.stderr
    assert list(home.rglob("*")) == []


def test_a_bundled_rubric_id_is_never_taken_for_a_file_of_that_name_in_the_working_folder(tmp_path, monkeypatch):
    from kaohe.rubric import bundled, rubric_path

    monkeypatch.chdir(tmp_path)
    (tmp_path / "yiyang-2020").mkdir()  # e.g. outputs/yiyang-2020/ when kaohe run is started from outputs/
    (tmp_path / "hengnan-2020-township").write_text("x: 1\n", encoding="utf-8")
    assert rubric_path("yiyang-2020") == bundled()["yiyang-2020"][1].path
    assert rubric_path("hengnan-2020-township") == bundled()["hengnan-2020-township"][1].path
