"""Resource bombs (issue 15, item 4): inputs built to cost time and memory are refused before they are parsed.

Each hostile file is built here, small on disk: an xlsx is written part by part with zipfile, its XML streamed in,
so a sheet of 3 million cells is a few hundred KB in the zip and never a whole string in the test. Every case runs
``kaohe validate`` in a child process, which reports the exit code, the error output and how far its peak memory
rose above what importing kaohe took; a test fails on a traceback, on memory, or (a hang) at a generous timeout.
Limits too large to reach with a small file are checked in-process with the limit lowered, on both sides of it.
The small project around each file (params/run.yaml, data/名单.csv, data/台账.*) is tests/test_bad_inputs.py's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterable
from itertools import repeat
from pathlib import Path

import pytest
from openpyxl import Workbook
from test_bad_inputs import HEADER, Case, csv

from kaohe import cli, tables, yamlio
from kaohe.errors import RubricError

ROOT = Path(__file__).resolve().parent.parent
LEDGER_XLSX = "data/台账.xlsx"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
#: How far a refused input may raise the peak memory of a child process that has imported kaohe.
MAX_GROWTH_MB = 300

# --- an xlsx written part by part ---------------------------------------------------------------------------------


def cells(row: int, values: Iterable[str]) -> bytes:
    """One row of inline-text cells (A, B, …), as Excel writes them with their references."""
    return (f'<row r="{row}">' + "".join(f'<c r="{chr(65 + i)}{row}" t="inlineStr"><is><t>{v}</t></is></c>'
                                         for i, v in enumerate(values)) + "</row>").encode()


def workbook(rows: Iterable[bytes] = (), shared: Iterable[bytes] | None = None, styles: bytes | None = None,
             before: bytes = b"", after: bytes = b"", parts: dict[str, bytes] | None = None) -> Callable[[Path], None]:
    """A writer of an xlsx whose one sheet holds the header, one good record (E1, 云集镇, 1.2.1), then ``rows``
    (chunks of XML streamed into the zip), with ``before`` and ``after`` around its rows; ``shared`` streams the
    ``<si>`` items of a shared-string table, ``styles`` is a whole styles.xml, ``parts`` more parts by name."""
    def write(path: Path) -> None:
        overrides = '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-' \
                    'officedocument.spreadsheetml.sharedStrings+xml"/>' if shared is not None else ""
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("[Content_Types].xml", (
                '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
                'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
                'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName='
                '"/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.'
                'main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxml'
                f'formats-officedocument.spreadsheetml.worksheet+xml"/>{overrides}</Types>'))
            z.writestr("_rels/.rels", (
                '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
                'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'))
            z.writestr("xl/workbook.xml", f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" '
                       f'xmlns:r="{REL}"><sheets><sheet name="台账" sheetId="1" r:id="rId1"/></sheets></workbook>')
            z.writestr("xl/_rels/workbook.xml.rels", (
                '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                f'package/2006/relationships"><Relationship Id="rId1" Type="{REL}/worksheet" '
                f'Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="{REL}/sharedStrings" '
                'Target="sharedStrings.xml"/></Relationships>'))
            if styles is not None:
                z.writestr("xl/styles.xml", styles)
            for part, data in (parts or {}).items():
                z.writestr(part, data)
            with z.open("xl/worksheets/sheet1.xml", "w") as sheet:
                sheet.write(f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}">'.encode() + before
                            + b"<sheetData>")
                sheet.write(cells(1, HEADER.split(",")) + cells(2, ["E1", "云集镇", "1.2.1", "2020-03-01"]))
                for chunk in rows:
                    sheet.write(chunk)
                sheet.write(b"</sheetData>" + after + b"</worksheet>")
            if shared is not None:
                with z.open("xl/sharedStrings.xml", "w") as sst:
                    sst.write(f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}">'.encode())
                    for chunk in shared:
                        sst.write(chunk)
                    sst.write(b"</sst>")
    return write


def chunks(piece: bytes, times: int, per_chunk: int = 10_000) -> Iterable[bytes]:
    """``piece`` repeated ``times`` times, in chunks: the whole is never one string."""
    full, rest = divmod(times, per_chunk)
    yield from repeat(piece * per_chunk, full)
    yield piece * rest


def one_row(*parts: Iterable[bytes], row: int = 3) -> list[Iterable[bytes]]:
    return [[f'<row r="{row}">'.encode()], *parts, [b"</row>"]]


def flat(parts: list[Iterable[bytes]]) -> Iterable[bytes]:
    for part in parts:
        yield from part


def distinct_cells(n: int, first: int = 0) -> Iterable[bytes]:
    """``n`` empty cells with their own references (as a row formatted across, A3, B3, …): they hardly compress."""
    def letters(i: int) -> str:
        out = ""
        while i >= 0:
            i, r = divmod(i, 26)
            out, i = chr(65 + r) + out, i - 1
        return out
    yield b"".join(f'<c r="{letters(i)}3" s="0"/>'.encode() for i in range(first, first + n))


# --- running kaohe in a child process -----------------------------------------------------------------------------

CHILD = """
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))  # a regression fails with MemoryError, not the machine
import openpyxl, yaml  # noqa: F401  (imported before the baseline: they are not the input's cost)
from kaohe import cli
scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss is bytes on macOS, KiB on Linux
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
code = cli.main(sys.argv[1:])
growth = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * scale / 2**20
print(json.dumps({"code": code, "growth_mb": round(growth, 1)}))
"""


def validate_in_child(params: Path) -> tuple[int, str, float]:
    """Exit code, error output and peak memory growth (MB) of ``kaohe validate --params`` in a fresh process.
    The timeout only turns a hang (a pipe read for ever) into a failure; nothing here is timed."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, "-c", CHILD, "validate", "--params", str(params)], capture_output=True,
                          text=True, timeout=300, env=env, cwd=params.parent)
    assert "Traceback" not in proc.stderr, proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    return report["code"], proc.stderr, report["growth_mb"]


def refused(params: Path, expect: list[str]) -> str:
    code, err, growth = validate_in_child(params)
    assert code == 2, err
    for fragment in expect:
        assert fragment in err, f"{fragment!r} not in:\n{err}"
    assert growth < MAX_GROWTH_MB, f"peak memory rose {growth:.0f} MB:\n{err}"
    return err


# --- the bombs of issue 15, each refused before it is parsed --------------------------------------------------------

def sparse(size: int) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        with path.open("wb") as fh:
            fh.truncate(size)
    return write


BOMBS = [
    # 3 million cells in one row: 45 MB of XML in a few tens of KB; openpyxl built the whole row (69 s, 2.9 GB).
    Case("one_row_of_3_million_cells", ["[too_large]", "台账.xlsx", "xl/worksheets/sheet1.xml", "解压后是压缩时的",
                                        "超过上限 100 倍"],
         {LEDGER_XLSX: workbook(flat(one_row(chunks(b"<c><v>1</v></c>", 3_000_000))))}),
    # 3 million shared strings: openpyxl reads them all when it opens the workbook (59 s).
    Case("3_million_shared_strings", ["[too_large]", "台账.xlsx", "xl/sharedStrings.xml", "超过上限 100 倍"],
         {LEDGER_XLSX: workbook(shared=chunks(b"<si><t>x</t></si>", 3_000_000))}),
    # One cell of 300 MB: 717 MB to read.
    Case("one_cell_of_300_MB", ["[too_large]", "台账.xlsx", "xl/worksheets/sheet1.xml", "解压后有 314,5",
                                "字节，超过上限 256 MB"],
         {LEDGER_XLSX: workbook(flat(one_row([b'<c r="H3" t="inlineStr"><is><t>'],
                                             chunks(b"x", 300 * 2**20, 2**20), [b"</t></is></c>"])))}),
    # Below the size and shrink limits, each of the others: a row of 16,385 cells with their own references
    # (400 KB, hardly compressible) ...
    Case("a_row_of_16385_cells", ["[too_large]", "台账.xlsx，第 3 行：其中的 xl/worksheets/sheet1.xml 单元格超过上限 "
                                  "16384 个（Excel 一行最多 16384 列）"],
         {LEDGER_XLSX: workbook(flat(one_row(distinct_cells(16_385))))}),
    # ... a cell of 600 KB, under 1 MB so not judged by how it shrinks: refused by the scan, never given to openpyxl
    Case("a_cell_of_600_KB", ["[too_large]", "台账.xlsx，第 3 行", "有一段文字超过上限 32767 个字符"],
         {LEDGER_XLSX: workbook(flat(one_row([b'<c r="H3" t="inlineStr"><is><t>'], chunks(b"x", 600 * 1024),
                                             [b"</t></is></c>"])))}),
    # (the other limits need files too large for a test: they are lowered in-process below). A CSV above 64 MB
    # (a sparse file: nothing on disk) ...
    Case("a_csv_of_64_MB_and_one_byte", ["[too_large]", "台账.csv", "台账文件有 67,108,865 字节，超过上限 64 MB"],
         {"data/台账.csv": sparse(tables.MAX_CSV_BYTES + 1)}),
    # ... 200,001 lines (blank ones: 400 KB) ...
    Case("a_csv_of_200001_lines", ["[too_large]", "台账.csv，第 200001 行", "文件超过 200000 行"],
         {"data/台账.csv": csv("E1,云集镇,1.2.1,2020-03-01,,,,") + b"\r\n" * 200_000}),
    # ... and a cell longer than csv's own limit of 131,072 characters.
    Case("a_csv_cell_of_200000_characters", ["[too_large]", "台账.csv，第 2 行", "单元格超过 32767 个字符的上限"],
         {"data/台账.csv": csv("E1,云集镇,1.2.1,2020-03-01,,,," + "x" * 200_000)}),
]


@pytest.mark.parametrize("case", BOMBS, ids=[c.name for c in BOMBS])
def test_a_bomb_is_refused_with_its_limit_in_bounded_memory(case, tmp_path):
    refused(case.write(tmp_path), case.expect)


# --- not a regular file: a folder (a traceback), a pipe (a hang), a link to /dev/zero (MemoryError) ------------------

def folder(path: Path) -> None:
    path.mkdir()


def pipe(path: Path) -> None:
    os.mkfifo(path)


def zeros(path: Path) -> None:
    path.symlink_to("/dev/zero")


KINDS = {"folder": (folder, "目录"), "pipe": (pipe, "命名管道（FIFO）"), "link_to_dev_zero": (zeros, "设备")}


@pytest.mark.skipif(not hasattr(os, "mkfifo") or not Path("/dev/zero").exists(), reason="POSIX only")
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("role", ["ledger", "roster", "params"])
def test_an_input_that_is_not_a_regular_file_is_named_and_refused(role, kind, tmp_path):
    make, what = KINDS[kind]
    if role == "params":
        params = Case(role, []).write(tmp_path)
        params.unlink()
        make(params)
        file, label = "run.yaml", ""
    else:
        file, label = {"ledger": ("data/台账.csv", "台账"), "roster": ("data/名单.csv", "单位名单")}[role]
        params = Case(role, [], {file: make}).write(tmp_path)
    refused(params, ["[not_a_file]", str(tmp_path / file) if role != "params" else "run.yaml",
                     f"{label}不是普通文件，而是{what}"])


def test_a_link_to_a_regular_file_is_read(tmp_path, capsys):
    """os.stat follows links: a ledger linked in from elsewhere is read like the file itself."""
    elsewhere = tmp_path / "elsewhere.csv"
    elsewhere.write_bytes(csv("E1,云集镇,1.2.1,2020-03-01,,,,"))
    params = Case("link", [], {"data/台账.csv": lambda path: path.symlink_to(elsewhere)}).write(tmp_path / "project")
    assert cli.main(["validate", "--params", str(params)]) == 0, capsys.readouterr().err


# --- each limit on both sides, in-process with the limit lowered where the real one needs a large file --------------

def validate(params: Path, capsys) -> tuple[int, str]:
    code = cli.main(["validate", "--params", str(params)])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


class TestCellsPerRow:
    def test_16384_cells_in_a_row_are_read(self, tmp_path, capsys):
        """A row formatted across the whole sheet (A3…XFD3, empty): Excel's own width, read as a blank row
        (16,385 are among the bombs above)."""
        params = Case("at", [], {LEDGER_XLSX: workbook(flat(one_row(distinct_cells(16_384))))}).write(tmp_path)
        assert validate(params, capsys)[0] == 0

    def test_a_csv_row_of_16384_cells_is_read_and_one_more_is_refused(self, tmp_path, capsys):
        at = Case("at", [], {"data/台账.csv": csv("E1,云集镇,1.2.1,2020-03-01,,,,", "," * 16_383)}).write(tmp_path / "a")
        assert validate(at, capsys)[0] == 0
        past = Case("past", [], {"data/台账.csv": csv("E1,云集镇,1.2.1,2020-03-01,,,,", "," * 16_384)}).write(tmp_path / "b")
        assert validate(past, capsys) == (2, f"输入有 1 个问题，未生成任何结果：\n文件 {tmp_path}/b/data/台账.csv，"
                                            "第 3 行：一行超过 16384 个单元格 [too_large]\n")


class TestCellLength:
    @pytest.mark.parametrize("ledger", ["data/台账.csv", LEDGER_XLSX])
    def test_32767_characters_are_read_and_one_more_is_refused_naming_row_and_column(self, ledger, tmp_path, capsys):
        def write(note: str):
            if ledger.endswith(".csv"):
                return csv(f"E1,云集镇,1.2.1,2020-03-01,,,,{note}")
            return workbook([cells(3, ["E2", "宝盖镇", "1.2.1", "2020-03-02", "", "", "", note])])
        at = Case("at", [], {ledger: write("说" * 32_767)}).write(tmp_path / "a")
        assert validate(at, capsys)[0] == 0
        past = Case("past", [], {ledger: write("说" * 32_768)}).write(tmp_path / "b")
        code, err = validate(past, capsys)
        row = 2 if ledger.endswith(".csv") else 3
        assert code == 2
        assert (f"文件 {tmp_path}/b/{ledger}，第 {row} 行，「情况说明」列，值 '{'说' * 20}…'："
                "单元格有 32768 个字符，超过上限 32767（Excel 单元格最多 32767 个字符） [too_large]") in err


class TestLoweredLimits:
    """Limits a test cannot reach with a small file, lowered: at the limit the file is read, one past it refused."""

    def test_cells_of_the_sheet(self, tmp_path, capsys, monkeypatch):
        monkeypatch.setattr(tables, "MAX_CELLS", 12)  # header 8 cells + record 4 cells
        params = Case("at", [], {LEDGER_XLSX: workbook()}).write(tmp_path / "a")
        assert validate(params, capsys)[0] == 0
        monkeypatch.setattr(tables, "MAX_CELLS", 11)
        code, err = validate(params, capsys)
        assert code == 2 and "[too_large]" in err and "工作表超过 11 个单元格" in err

    def test_rows_of_the_sheet_even_with_one_number(self, tmp_path, capsys, monkeypatch):
        """Row elements repeating one number are parsed by openpyxl but yield one row: counted as written."""
        monkeypatch.setattr(tables, "MAX_ROWS", 4)
        at = Case("at", [], {LEDGER_XLSX: workbook([b'<row r="2"/>'] * 2)}).write(tmp_path / "a")
        assert validate(at, capsys)[0] == 0
        past = Case("past", [], {LEDGER_XLSX: workbook([b'<row r="2"/>'] * 3)}).write(tmp_path / "b")
        code, err = validate(past, capsys)
        assert code == 2 and "工作表超过 4 行" in err

    def test_shared_strings(self, tmp_path, capsys, monkeypatch):
        monkeypatch.setattr(tables, "MAX_SHARED_STRINGS", 3)
        at = Case("at", [], {LEDGER_XLSX: workbook(shared=[b"<si><t>a</t></si>" * 3])}).write(tmp_path / "a")
        assert validate(at, capsys)[0] == 0
        past = Case("past", [], {LEDGER_XLSX: workbook(shared=[b"<si><t>a</t></si>" * 4])}).write(tmp_path / "b")
        code, err = validate(past, capsys)
        assert code == 2 and "其中的 xl/sharedStrings.xml 共享文字超过上限 3 条" in err

    @pytest.mark.filterwarnings("ignore:Workbook contains no default style")
    def test_elements_of_a_part_read_whole(self, tmp_path, capsys, monkeypatch):
        """styles.xml is built whole by openpyxl: 3 million ``<xf/>`` in 10 MB cost it 56 s and 1 GB."""
        monkeypatch.setattr(tables, "MAX_BUILT_ELEMENTS", 50)
        styles = f'<styleSheet xmlns="{MAIN}"><cellXfs count="{{n}}">{{xf}}</cellXfs></styleSheet>'
        at = Case("at", [], {LEDGER_XLSX: workbook(styles=styles.format(n=48, xf="<xf/>" * 48).encode())})
        assert validate(at.write(tmp_path / "a"), capsys)[0] == 0
        past = Case("past", [], {LEDGER_XLSX: workbook(styles=styles.format(n=49, xf="<xf/>" * 49).encode())})
        code, err = validate(past.write(tmp_path / "b"), capsys)
        assert code == 2 and "其中的 xl/styles.xml XML 元素超过上限 50 个" in err

    def test_elements_of_one_row(self, tmp_path, capsys, monkeypatch):
        """A row is built whole before openpyxl sees its cells: one cell of many rich-text runs counts them all."""
        monkeypatch.setattr(tables, "MAX_BUILT_ELEMENTS", 50)
        runs = b"<r><t>x</t></r>" * 30  # 60 elements in one cell
        params = Case("past", [], {LEDGER_XLSX: workbook(flat(one_row(
            [b'<c r="H3" t="inlineStr"><is>', runs, b"</is></c>"])))}).write(tmp_path)
        code, err = validate(params, capsys)
        assert code == 2 and "第 3 行：其中的 xl/worksheets/sheet1.xml XML 元素超过上限 50 个" in err

    def test_elements_of_the_sheet_outside_its_rows(self, tmp_path, capsys, monkeypatch):
        """mergeCells, hyperlinks, validations… are built whole: 60 merged ranges past a limit of 50."""
        monkeypatch.setattr(tables, "MAX_BUILT_ELEMENTS", 50)
        merged = b'<mergeCells count="60">' + b"".join(b'<mergeCell ref="J%d:K%d"/>' % (i, i) for i in range(3, 63))
        params = Case("past", [], {LEDGER_XLSX: workbook(after=merged + b"</mergeCells>")}).write(tmp_path)
        code, err = validate(params, capsys)
        assert code == 2 and "其中的 xl/worksheets/sheet1.xml XML 元素超过上限 50 个" in err

    def test_cells_of_a_csv(self, tmp_path, capsys, monkeypatch):
        monkeypatch.setattr(tables, "MAX_CELLS", 10)
        params = Case("past", [], {"data/台账.csv": csv("E1,云集镇,1.2.1,2020-03-01,,,,")}).write(tmp_path)
        code, err = validate(params, capsys)
        assert code == 2 and "台账.csv：文件超过 10 个单元格" in err

    def test_size_of_a_yaml_file(self, tmp_path, monkeypatch):
        params = Case("yaml", []).write(tmp_path)
        size = params.stat().st_size
        monkeypatch.setattr(yamlio, "MAX_YAML_BYTES", size)
        assert yamlio.load_yaml(params)[0]["name"] == "corpus"
        monkeypatch.setattr(yamlio, "MAX_YAML_BYTES", size - 1)
        with pytest.raises(RubricError) as caught:
            yamlio.load_yaml(params)
        assert [str(p) for p in caught.value.problems] == [
            f"文件 {params}：文件有 {size:,} 字节，超过上限 {size - 1} 字节 [too_large]"]


@pytest.mark.parametrize(("dimension", "expect"), [
    (b"", "台账.xlsx：无法打开 Excel 文件：mismatched tag"),  # openpyxl reads the whole sheet to find its size
    (b'<dimension ref="A1:H3"/>', "台账.xlsx，第 3 行：Excel 文件已损坏，无法读取（mismatched tag")])
def test_a_sheet_cut_short_is_a_broken_file_not_a_traceback(dimension, expect, tmp_path, capsys):
    cut = workbook([b'<row r="3"><c r="A3" t="inlineStr"><is><t>E2'], before=dimension)
    code, err = validate(Case("cut", [], {LEDGER_XLSX: cut}).write(tmp_path), capsys)
    assert code == 2 and "[bad_xlsx]" in err and expect in err


def test_parts_openpyxl_does_not_read_are_not_refused_for_their_records_or_their_syntax(tmp_path, capsys, monkeypatch):
    """A pivot table's cached records and the drawing of legacy comments (VML, often not XML: ``<br>``) are not
    read in read-only mode: 60 records pass a lowered limit of 50 elements, and the broken VML is no error."""
    monkeypatch.setattr(tables, "MAX_BUILT_ELEMENTS", 50)
    records = f'<pivotCacheRecords xmlns="{MAIN}" count="60">'.encode() + b'<r><x v="0"/></r>' * 60 \
        + b"</pivotCacheRecords>"
    vml = b'<xml xmlns:v="urn:schemas-microsoft-com:vml"><v:shape><div>a<br>b</div></v:shape></xml>'
    params = Case("unread", [], {LEDGER_XLSX: workbook(parts={"xl/pivotCache/pivotCacheRecords1.xml": records,
                                                              "xl/drawings/vmlDrawing1.vml": vml})}).write(tmp_path)
    assert validate(params, capsys)[0] == 0


# --- real ledgers are not refused -------------------------------------------------------------------------------------

def test_the_sample_ledger_validates_as_csv_as_xlsx_and_repeated_to_20000_rows(tmp_path, capsys):
    """The bundled 衡南 sample as it is; its ledger saved as xlsx by openpyxl; and its rows repeated to 20,000 rows,
    a large county's year, as xlsx (after the first copy only the records without a 数值, each with its own id: a
    unit measures a rule once a day): all pass every limit."""
    assert cli.main(["validate", "--params", str(ROOT / "params" / "hengnan-2020.yaml")]) == 0, capsys.readouterr().err
    sample = ROOT / "data" / "sample"
    lines = (sample / "衡南2020-示例数据-台账.csv").read_text(encoding="utf-8-sig").splitlines()
    header, records = lines[0].split(","), [line.split(",") for line in lines[1:]]
    for name, n in (("sample", len(records)), ("large", 20_000)):
        wb = Workbook(write_only=True)
        ws = wb.create_sheet("台账")
        ws.append(header)
        counted = [r for r in records if not r[header.index("数值")]]
        for i in range(n):
            record = records[i] if i < len(records) else counted[i % len(counted)]
            ws.append([f"{record[0]}-{i}", *record[1:]])
        folder = tmp_path / name
        (folder / "data").mkdir(parents=True)
        wb.save(folder / "data" / "台账.xlsx")
        (folder / "data" / "名单.csv").write_bytes((sample / "衡南2020-示例数据-单位名单.csv").read_bytes())
        params = folder / "run.yaml"
        params.write_text("name: sample\nyear: 2020\ntitle: 示例\nrubrics: [hengnan-2020-township, hengnan-2020-department]\n"
                          "roster: data/名单.csv\nevidence: [data/台账.xlsx]\n", encoding="utf-8")
        assert cli.main(["validate", "--params", str(params)]) == 0, capsys.readouterr().err
