"""`kaohe run --pdf`: reports printed to A4 PDF by headless Chromium, checked with poppler's pdfinfo and
pdftotext (both installed by `make test`). 示例镇08 (see test_reports): 91 分, 不合格, vetoed by T019.

Chromium prints with kaohe's own fontconfig (kaohe.fonts), which sees the bundled fonts only: these tests
give the same result on a machine with or without a Chinese system font."""

import re
import shutil
import subprocess
from pathlib import Path

import matplotlib
import pytest
from conftest import ROOT
from fontTools.ttLib import TTFont
from pypdf import PdfReader

from kaohe import cli, fonts, printing
from kaohe.rubric import load_rubric

PARAMS = ROOT / "params" / "hengnan-2020.yaml"
HEADER = "示例镇08：衡南县2020年政务公开政务服务工作考核（示例数据）（hengnan-2020-township@1）"


def tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"需要 {name}：make test 会安装 Debian 的 poppler-utils 软件包（或运行 make browser）")
    return found


@pytest.fixture(autouse=True)
def _bundled_fonts(monkeypatch):
    monkeypatch.delenv("KAOHE_FONT_DIR", raising=False)  # a developer's own setting must not change these tests


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    out = tmp_path_factory.mktemp("pdf")
    assert cli.main(["run", str(PARAMS), "--units", "示例镇08", "--pdf", "--out-dir", str(out)]) == 0
    return out / "hengnan-2020" / "2020"


def pages(pdf) -> list[str]:
    text = subprocess.run([tool("pdftotext"), "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    return text.split("\f")[:-1]  # a form feed ends every page


def test_a_unit_report_prints_on_a4_with_its_header_page_numbers_and_sections(printed):
    pdf = printed / "units" / "示例镇08.pdf"
    info = subprocess.run([tool("pdfinfo"), str(pdf)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Page size:\s+594\.\d+ x 841\.\d+ pts \(A4\)", info)
    n = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    html = (printed / "units" / "示例镇08.html").read_text(encoding="utf-8")
    sections = re.findall(r"<h2[^>]*>([一二三四五六七八九十]+、[^<]*)<", html)
    assert n < len(sections)  # sections follow one another on the page, not one a page (tests/test_print.py)
    text = pages(pdf)
    assert len(text) == n
    for i, page in enumerate(text, start=1):
        assert page.lstrip().startswith(HEADER) and re.search(rf"\b{i} ?/ ?{n}\s*$", page)  # on every page
    whole = "\n".join(text)
    assert "91（满分 100，扣 9 分）" in whole and "T019" in whole and "不合格" in whole
    assert all(title in whole for title in sections)


def test_the_fonts_read_straight_from_the_file_agree_with_pypdf(printed):
    """check_pdf reads Chromium's Type 3 fonts' /Differences from the file's bytes (pypdf's parse of every whole
    font took most of the check's time): for every font of the unit report, each code is a missing glyph or
    not exactly as pypdf reads the same font."""
    reader = PdfReader(printed / "units" / "示例镇08.pdf")
    seen = 0
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            fast, slow = printing._differences(font, reader), printing._notdef_of(font)
            assert fast is not None and slow is not None
            assert [fast.get(c) in printing._NOTDEF for c in range(256)] == [bool(slow(bytes([c]))) for c in range(256)]
            seen += 1
    assert seen > 10


def test_the_quick_readings_of_a_print_agree_with_the_full_ones(printed):
    """check_pdf reads Chromium's pages with one regular expression (printing._glyph_ops) and the fonts' ToUnicode
    maps straight from the file's bytes (printing._text_map): on every page of the unit report the quick reading
    is taken and finds the same glyph runs as the full reader, and every font maps its codes as pypdf reads it."""
    reader = PdfReader(printed / "units" / "示例镇08.pdf")
    runs = 0
    for page in reader.pages:
        data = page.get_contents().get_data()
        quick = printing._glyph_ops(data)
        assert quick is not None
        full = [([o[0]], op) for o, op in printing._operations(data) if op in (b"Tf", b"Tj", b"Do")]
        assert quick == full
        runs += sum(op == b"Tj" for _, op in quick)
        for font in page["/Resources"]["/Font"].values():
            assert printing._RAW_TO_UNICODE.search(printing._raw(font, reader))  # the quick reading applies
            assert printing._text_map(font, reader) == printing._text_map(font, None)
    assert runs > 1000


@pytest.mark.parametrize("stream", [
    b"BT /F4 12 Tf (ab) Tj ET",  # a literal string shown
    b"BT /F4 12 Tf [<0001> -250 <0002>] TJ ET",
    b"BT /F#34 12 Tf <0001> Tj ET",
    b"BT /F4 12 Tf <01> Tj (a(b)c) Tj ET",
    b"BT /F4 12 Tf <01> Tj T* <02> ' ET",
    b"q BI /W 1 /H 1 ID \x00Tj EI Q",
])
def test_the_quick_reading_leaves_any_other_stream_to_the_full_reader(stream):
    assert printing._glyph_ops(stream) is None


def test_the_pages_draw(printed, tmp_path):
    """poppler draws every page of the unit report: none is blank."""
    subprocess.run([tool("pdftoppm"), "-r", "30", "-png", str(printed / "units" / "示例镇08.pdf"), str(tmp_path / "p")],
                   check=True, capture_output=True)
    drawn = sorted(tmp_path.glob("p*.png"))
    assert len(drawn) == len(pages(printed / "units" / "示例镇08.pdf"))
    assert all(png.stat().st_size > 2_000 for png in drawn)


def test_the_summary_is_printed_too_and_reprinting_gives_the_same_pages(printed):
    index = (printed / "index.html").read_text(encoding="utf-8")
    assert '<a href="summary.pdf">PDF</a>' in index and 'units/%E7%A4%BA%E4%BE%8B%E9%95%8708.pdf">PDF</a>' in index
    summary = pages(printed / "summary.pdf")
    assert summary[0].lstrip().startswith("衡南县2020年政务公开政务服务工作考核（示例数据）：汇总")
    # The same pages and text; not always the same bytes: Chromium's output varies slightly under load.
    before = pages(printed / "units" / "示例镇08.pdf")
    assert cli.main(["run", str(PARAMS), "--units", "示例镇08", "--pdf", "--out-dir", str(printed.parent.parent)]) == 0
    assert pages(printed / "units" / "示例镇08.pdf") == before


def test_a_report_made_again_without_pdf_drops_its_old_print(printed):
    """The print must not outlive the report it was printed from."""
    assert (printed / "units" / "示例镇08.pdf").exists()
    assert cli.main(["run", str(PARAMS), "--units", "示例镇08", "--out-dir", str(printed.parent.parent)]) == 0
    assert not (printed / "units" / "示例镇08.pdf").exists() and (printed / "units" / "示例镇08.html").exists()


def test_a_report_chromium_cannot_print_keeps_its_html_and_fails_the_command(tmp_path, monkeypatch, capsys):
    """A print that fails is that report's failure, as a notebook error is: the run is published, exit 1."""
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\necho 'GPU process crashed' >&2\nexit 3\n", encoding="utf-8")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:{__import__('os').environ['PATH']}")
    code = cli.main(["run", str(PARAMS), "--units", "示例镇08", "--pdf", "--out-dir", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 1
    assert "2 份 PDF 未能生成（HTML 报告已生成）：units/示例镇08.pdf、summary.pdf" in err
    assert "Chromium 退出码 3：GPU process crashed" in err
    folder = tmp_path / "out" / "hengnan-2020" / "2020"
    assert (folder / "units" / "示例镇08.html").exists() and not (folder / "units" / "示例镇08.pdf").exists()


# --- fonts: a machine without a Chinese font prints Chinese; a print that lost a glyph is not kept ---------

def test_prints_see_only_the_bundled_fonts():
    """Chromium prints under kaohe's fontconfig, which names the print fonts' folder and nothing else (no system
    fonts, no include of /etc/fonts), so the tests in this file pass or fail the same on every machine."""
    conf = fonts.fontconfig().read_text(encoding="utf-8")
    assert re.findall(r"<dir>(.*?)</dir>", conf) == [str(fonts.print_fonts())]
    assert "<include" not in conf
    assert sorted(p.name for p in fonts.print_fonts().iterdir()) == sorted([fonts.SANS, fonts.SERIF, fonts.MONO])
    assert fonts.uncovered("示例镇〔2019〕①⑤衡陽縣計分（）：；") == []
    # The radical ⽰ (U+2F70) is dropped from every print font: its glyph is 示's, which would then read back as ⽰.
    assert fonts.uncovered("⽰𗀀") == ["⽰", "𗀀"]
    with TTFont(fonts.bundled(fonts.SERIF), lazy=True) as serif:
        assert serif.getBestCmap()[0x2F70] == serif.getBestCmap()[0x793A]


def print_page(tmp_path, text: str, header: str) -> tuple[Path, str | None]:
    """``text`` on an A4 page under a running header, as kaohe prints; no language or font named, so Chromium
    picks among the print fonts by itself."""
    html = tmp_path / "page.html"
    html.write_text(f'<html><head><meta charset="utf-8"><style>@page {{ size: A4; @top-left {{ content: "{header}"; }} }}'
                    f'</style></head><body><p>{text}</p></body></html>', encoding="utf-8")
    return html.with_suffix(".pdf"), printing.print_pdf(printing.chromium(), html, tmp_path, header)


def test_a_run_of_many_pages_prints_with_fonts_cut_to_its_characters_and_the_same_text(tmp_path, monkeypatch):
    """From printing.SUBSET_FROM pages on, Chromium prints with the print fonts cut to the run's characters: the
    same run (the unit and the summary) printed with the whole fonts and with the threshold lowered to 2 pages
    reads the same page for page, the cut fonts are the three print fonts, and the file is smaller."""
    def printed_with(threshold: int, out: Path) -> Path:
        monkeypatch.setattr(printing, "SUBSET_FROM", threshold)
        assert cli.main(["run", str(PARAMS), "--units", "示例镇08", "--pdf", "--out-dir", str(out)]) == 0
        return out / "hengnan-2020" / "2020" / "units" / "示例镇08.pdf"

    cuts, real = [], fonts.subset

    def cut_fonts(chars, folder):
        made = real(chars, folder)
        cuts.append(sorted(p.name for p in made.iterdir()))  # the folder goes with the print phase
        return made

    monkeypatch.setattr(fonts, "subset", cut_fonts)
    whole = printed_with(3, tmp_path / "whole")
    assert cuts == []
    cut = printed_with(2, tmp_path / "cut")
    assert cuts == [sorted([fonts.SANS, fonts.SERIF, fonts.MONO])]
    assert pages(cut) == pages(whole)
    assert cut.stat().st_size < whole.stat().st_size


def test_a_character_left_out_of_the_cut_fonts_is_printed_with_the_whole_fonts(tmp_path, monkeypatch):
    """A page whose character the cut fonts lack (here 示, left out on purpose) shows a box; it is printed again
    with the whole fonts, which have it, and kept."""
    real, passes = fonts.subset, []
    monkeypatch.setattr(fonts, "subset", lambda chars, folder: real(set(chars) - {"示"}, folder))
    monkeypatch.setattr(printing, "SUBSET_FROM", 1)
    each = printing._print_all

    def spied(browser, pages, build, final, jobs, env):
        failed = each(browser, pages, build, final, jobs, env)
        passes.append((env is None, dict(failed)))
        return failed

    monkeypatch.setattr(printing, "_print_all", spied)
    html = tmp_path / "page.html"
    html.write_text('<html><head><meta charset="utf-8"><style>@page { size: A4; @top-left { content: "页眉"; } }'
                    '</style></head><body><p>示例镇08</p></body></html>', encoding="utf-8")
    assert printing.print_pdfs(printing.chromium(), [(html, "页眉")], tmp_path, tmp_path, jobs=1) == {}
    # the cut fonts' print showed a box; the whole fonts' print passed
    assert [whole for whole, _ in passes] == [False, True]
    assert passes[0][1]["page.pdf"].startswith(printing.BOXED) and passes[1][1] == {}
    assert printing.page_text(PdfReader(html.with_suffix(".pdf")).pages[0]) == "页眉示例镇08"


def test_a_long_run_of_chinese_prints_and_reads_back_exactly(tmp_path):
    """A whole clause of 衡南's rubric, 〔〕 and ①–⑤, and a clause of 衡阳's in traditional characters: the text
    read back from the PDF (by pypdf and by poppler) is the source text, character for character."""
    clause = load_rubric("hengnan-2020-township").rules["1.1.1a"].text
    traditional = next(r.text for r in load_rubric("hengyang-2018-county").rules.values() if "計分" in r.text)
    source = f"{clause}〔2019〕①②③④⑤{traditional}"
    assert "（" in source and "項" not in source and "時" in source and " " not in source
    pdf, why = print_page(tmp_path, source, "示例页眉：衡南县")
    assert why is None
    by_pypdf = PdfReader(pdf).pages[0].extract_text().split("\n")
    assert by_pypdf[0] == "示例页眉：衡南县" and "".join(by_pypdf[1:]) == source
    assert printing.page_text(PdfReader(pdf).pages[0]) == "示例页眉：衡南县" + source
    by_poppler = [line for line in pages(pdf)[0].split("\n") if line.strip()]
    assert by_poppler[0].strip() == "示例页眉：衡南县" and "".join(line.strip() for line in by_poppler[1:]) == source


def test_a_character_the_fonts_lack_fails_the_print_and_names_it(tmp_path):
    """𗀀 (U+17000, Tangut) is in no print font, nor the radical ⽰ copied out of some PDF: Chromium draws
    missing-glyph boxes, and the print is refused, saying what to write instead of the radical."""
    pdf, why = print_page(tmp_path, "⽰例镇08𗀀", "示例页眉")
    assert why is not None and not pdf.exists()
    assert why.startswith("PDF 中有字符显示为方框（打印字体缺字：第 1 页 2 处），缺字：⽰（U+2F70，应为“示”）、𗀀（U+17000）；"
                          "打印字体目录：")


def test_a_run_printing_without_any_chinese_font_fails_its_pdfs(tmp_path, capsys, monkeypatch):
    """KAOHE_FONT_DIR pointing at a folder with DejaVu Sans only (from matplotlib): every character of the
    header and the report is a box, so both PDFs fail, their HTML stands, and the command exits 1."""
    latin = tmp_path / "latin-only"
    latin.mkdir()
    shutil.copy(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf", latin)
    monkeypatch.setenv("KAOHE_FONT_DIR", str(latin))
    code = cli.main(["run", str(PARAMS), "--units", "示例镇08", "--pdf", "--out-dir", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 1
    assert "2 份 PDF 未能生成（HTML 报告已生成）：units/示例镇08.pdf、summary.pdf" in err
    assert "PDF 未生成：units/示例镇08.pdf——PDF 中有字符显示为方框（打印字体缺字：第 1 页" in err
    assert "缺字：示（U+793A）、例（U+4F8B）、镇（U+9547）" in err
    folder = tmp_path / "out" / "hengnan-2020" / "2020"
    assert (folder / "units" / "示例镇08.html").exists() and not list(folder.rglob("*.pdf"))


def test_the_print_fonts_are_built_once_whole_in_the_cache(tmp_path, monkeypatch):
    """On a new machine the print copies are made in the user's cache: the three fonts, radicals dropped, every
    other code point kept; a second call reuses the folder."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    fonts._print_fonts.cache_clear()
    try:
        folder = fonts.print_fonts()
        assert folder.parent == tmp_path / "kaohe" and sorted(p.name for p in folder.iterdir()) == sorted(
            [fonts.SANS, fonts.SERIF, fonts.MONO])
        with TTFont(fonts.bundled(fonts.SANS), lazy=True) as before, TTFont(folder / fonts.SANS, lazy=True) as after:
            kept = {c: g for c, g in before.getBestCmap().items() if c not in fonts.RADICALS}
            assert after.getBestCmap() == kept and len(kept) < len(before.getBestCmap())
        fonts._print_fonts.cache_clear()
        assert fonts.print_fonts() == folder and [p.name for p in (tmp_path / "kaohe").iterdir()] == [folder.name]
    finally:
        fonts._print_fonts.cache_clear()


def test_full_width_dashes_and_slashes_in_a_header_read_back_as_written(tmp_path):
    """－ ～ ／ 〈〉 and the ideographic space share glyphs with − 〜 ∕ 〈〉 and an em space in the fonts; Chromium
    names them with an ActualText, which the check honours (pypdf's own extraction does not)."""
    header = "衡南县2019－2020年度考核～示例／第一批〈试行〉　附件"
    pdf, why = print_page(tmp_path, "正文２０２０－１２", header)
    assert why is None
    assert printing.page_text(PdfReader(pdf).pages[0]) == header + "正文２０２０－１２"
    assert "".join(pages(pdf)[0].split("\n")[0].split()) == "".join(header.split())  # poppler: U+3000 as a space


@pytest.mark.parametrize("stream", [
    b"BT /F4 12 Tf (a\\)b(c)d) Tj [<00 01> -250.5 <0002>] TJ ET",
    b"/Span <</ActualText <FEFFFF0D> /MCID 3>> BDC BT /F#34 9 Tf <8B> Tj ET EMC % a comment (\n q Q",
    b"BT /F1 1 Tf (line\\\r\ncontinued \\101\\(x) Tj 0 -1.5 Td (\\n) ' ET",
])
def test_the_content_stream_reader_agrees_with_pypdf(stream):
    """printing._operations (fast enough for every page of every print) against pypdf's full parser."""
    from pypdf.generic import ContentStream, DecodedStreamObject

    obj = DecodedStreamObject()
    obj.set_data(stream)
    theirs = ContentStream(obj, None).operations

    def plain(o):
        if isinstance(o, list):
            return [plain(x) for x in o]
        if hasattr(o, "original_bytes"):
            return o.original_bytes
        if isinstance(o, (int, float)) and not isinstance(o, bool):
            return float(o)
        return o if isinstance(o, bytes) else str(o)

    ours = [(list(o), op) for o, op in printing._operations(stream) if op not in (b"BDC",)]
    theirs = [([plain(x) for x in o], op) for o, op in theirs if op not in (b"BDC",)]
    assert ours == theirs


def test_a_print_that_cannot_be_checked_fails_alone(tmp_path, monkeypatch, capsys):
    """An unexpected error while reading a print back fails that PDF (exit 1, HTML kept), not the whole run."""
    def broken(*args, **kwargs):
        raise KeyError("/Font")

    monkeypatch.setattr(printing, "check_pdf", broken)
    code = cli.main(["run", str(PARAMS), "--units", "示例镇08", "--pdf", "--out-dir", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 1 and "PDF 未生成：units/示例镇08.pdf——无法检查生成的 PDF：KeyError: '/Font'" in err
    assert (tmp_path / "out" / "hengnan-2020" / "2020" / "units" / "示例镇08.html").exists()


def test_a_hung_page_fails_alone_and_the_next_page_prints_on_a_fresh_browser(tmp_path, monkeypatch):
    """One worker prints both pages: the first never finishes loading (a script that loops for ever), is
    stopped at the time limit, and its browser is started again for the second, which prints."""
    monkeypatch.setattr(printing, "PDF_TIMEOUT", 3)
    build = tmp_path / "build"
    build.mkdir()
    hung, good = build / "hung.html", build / "good.html"
    hung.write_text('<html><head><meta charset="utf-8"></head><body><script>for (;;) {}</script></body></html>',
                    encoding="utf-8")
    good.write_text('<html><head><meta charset="utf-8"><style>@page { size: A4; @top-left { content: "示例页眉"; } }'
                    "</style></head><body><p>示例正文</p></body></html>", encoding="utf-8")
    failed = printing.print_pdfs(printing.chromium(), [(hung, "示例页眉"), (good, "示例页眉")], build, tmp_path / "final",
                                 jobs=1)
    assert failed == {"hung.pdf": "Chromium 打印超过 3 秒，已停止"}
    assert not hung.with_suffix(".pdf").exists()
    assert printing.page_text(PdfReader(good.with_suffix(".pdf")).pages[0]) == "示例页眉示例正文"
