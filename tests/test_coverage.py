"""`kaohe rubric check`: a rubric against its document — verbatim texts, every scoring clause a rule, lint."""

from pathlib import Path

import pytest
from conftest import ROOT, SEEDS

from kaohe.cli import main
from kaohe.coverage import (
    SCORING,
    Document,
    bare,
    check,
    normalise,
    not_verbatim,
    read_source,
    scoring_phrases,
    uncovered,
)
from kaohe.rubric import bundled, load_rubric

# A document of six lines, numbered by hand.
DOC = """\
一、考核办法
考核分为单项否决指标和扣分指标，具体见附件。
附件 评分细则
1.首页栏目更新不及时的，每次扣 1 分；发布信息有错别字的，每处扣0.5分。
2.未按要求报送数据的。未按统一部署汇聚数据的，每少一项扣
0.1 分。
"""


def doc() -> Document:
    return Document.from_text("细则.txt", DOC)


def phrases(text: str) -> list[str]:
    d = Document.from_text("t", text)
    return [d.flat[a:b] for a, b in scoring_phrases(d)]


class TestNormalise:
    def test_whitespace_and_width_are_ignored(self):
        assert normalise("扣 2 分，\n（全角）ＡＢ１") == "扣2分,(全角)AB1"


class TestScoringPhrases:
    @pytest.mark.parametrize(("text", "found"), [
        ("每次扣0.5分", ["扣0.5分"]), ("视完成情况扣 1-3 分", ["扣1-3分"]), ("分别加3分、2分", ["加3分"]),
        ("得5分", ["得5分"]), ("一律按59分计", ["按59分计"]), ("每次扣分0.5", ["扣分0.5"]),
        ("扣完10分为止", ["扣完10分为止"]), ("累计不超过2分", ["不超过2分"]), ("扣分以40分为限", ["以40分为限"]),
        ("工作质量有欠缺的,视情扣分", ["视情扣分"]), ("部分达到的酌情得分", ["酌情得分"]),
        ("该年绩效考核一票否决", ["一票否决"]), ("将取消年度评价资格", ["取消年度评价资格"]),
        ("未启动的计零分", ["计零分"]), ("未达到的不得分。", ["不得分"]), ("按標準計分", ["按標準計分"]),
        ("按《窗口管理办法》考核计分", ["》考核计分"]), ("未按要求上报数据的。", ["的。"]),
    ])
    def test_states_a_clause(self, text, found):
        assert phrases(text) == found

    @pytest.mark.parametrize("text", [
        "扣分指标满分100分", "扣完为止", "得分为负时以零分计", "单项否决指标", "出现单项否决情形之一的，",
        "演示“单项否决—扣分—加分”分段计分", "90 分以上为优秀", "不得分割", "评估内容和计分方法",
    ])
    def test_states_none(self, text):
        assert phrases(text) == []

    def test_a_phrase_broken_over_two_lines_is_one(self):
        assert phrases("每少一项扣\n0.1 分。") == ["扣0.1分"]

    def test_traditional_characters(self):
        assert SCORING.search("減2分") is None and phrases("未啟動的計零分") == ["計零分"]


class TestUncovered:
    def test_everything_quoted_leaves_nothing(self):
        texts = ["首页栏目更新不及时的，每次扣 1 分", "发布信息有错别字的，每处扣0.5分", "未按要求报送数据的",
                 "未按统一部署汇聚数据的，每少一项扣0.1 分"]
        assert uncovered(doc(), texts) == []

    def test_missing_clauses_are_listed_by_line_with_their_words(self):
        gaps = uncovered(doc(), ["首页栏目更新不及时的，每次扣 1 分"])
        assert [(g.where, g.phrases, g.text) for g in gaps] == [
            ("第 4 行", ("扣0.5分",), "发布信息有错别字的，每处扣0.5分。"),
            ("第 5 行", ("的。",), "2.未按要求报送数据的。"),
            ("第 5–6 行", ("扣0.1分",), "未按统一部署汇聚数据的，每少一项扣0.1 分。"),
        ]

    def test_a_rule_text_that_stops_before_the_amount_does_not_cover_it(self):
        gaps = uncovered(doc(), ["首页栏目更新不及时的，每次扣", "发布信息有错别字的，每处扣0.5分"])
        first = gaps[0]
        assert (first.where, first.phrases, first.text) == ("第 4 行", ("扣1分",), "扣 1 分；")


class TestNotVerbatim:
    def rubric(self, tmp_path, text):
        from test_rubric_model import GOOD

        p = tmp_path / "t.yaml"
        p.write_text(GOOD.replace("text: 每次扣0.5分", f"text: {text}"), encoding="utf-8")
        return load_rubric(p)

    def test_a_changed_amount_says_where_it_departs(self, tmp_path):
        d = Document.from_text("t", "每次扣 0.5 分；扣2分；90 分以上为优秀")
        (m,) = not_verbatim(self.rubric(tmp_path, "每次扣0.6分"), d)
        assert (m.quote.owner, m.quote.field, m.quote.text) == ("1.1.1", "text", "每次扣0.6分")
        assert m.hint == "前 5 个字相符，从「6分」起与原文件不同"

    def test_other_characters_form(self, tmp_path):
        d = Document.from_text("t", "每次扣0.5分；扣2分；90 分以上为优秀；每發現一個扣0.5分")
        (m,) = not_verbatim(self.rubric(tmp_path, "每发现一个扣0.5分"), d)
        assert m.hint == "繁简字不同：原文件用的是另一种字形，请按原文件照录"

    def test_nothing_in_common(self, tmp_path):
        d = Document.from_text("t", "每次扣0.5分；扣2分；90 分以上为优秀")
        (m,) = not_verbatim(self.rubric(tmp_path, "乙"), d)
        assert m.hint == "原文件中找不到其中任何一段开头"


class TestRegion:
    def test_from_and_to_markers(self):
        report = check([], doc(), start="附件 评分", end="2.")
        assert report.region[0].number == 3 and report.region[1].number == 4
        assert report.phrases == 2

    def test_a_marker_not_found(self):
        from kaohe.errors import KaoheError

        with pytest.raises(KaoheError, match=r"--from '附件9'：原文 细则\.txt 中没有含这段文字的行"):
            check([], doc(), start="附件9")


SEED_RUBRICS = {}
for _versions in bundled().values():
    for _v in _versions.values():
        SEED_RUBRICS.setdefault(load_rubric(_v.ref).source.file, []).append(_v.ref)


@pytest.mark.parametrize("seed", sorted(SEED_RUBRICS))
def test_every_seed_is_covered_by_the_rubrics_that_encode_it(seed):
    """All versions of the bundled rubrics of one document together: every scoring phrase of the whole
    document lies in some rule's or node's text, every text is verbatim."""
    report = check([load_rubric(r) for r in SEED_RUBRICS[seed]], read_source(SEEDS / seed))
    assert (report.mismatches, report.gaps) == ([], [])
    assert report.phrases >= 4


@pytest.mark.parametrize("folder", sorted(p.parent.name for p in (ROOT / "examples").glob("*/rubric.yaml")))
def test_every_example_passes_the_check_against_its_document(folder):
    rubric = load_rubric(ROOT / "examples" / folder / "rubric.yaml")
    report = check([rubric], read_source(ROOT / "examples" / folder / rubric.source.file))
    assert report.ok and report.phrases > 10


class TestSources:
    def test_docx_paragraphs_and_table_cells_in_order(self, tmp_path):
        from docx import Document as Docx

        d = Docx()
        d.add_paragraph("附件 评分细则")
        t = d.add_table(rows=2, cols=2)
        t.cell(0, 0).text, t.cell(0, 1).text = "信息发布", "更新不及时的，每次扣1分。"
        t.cell(1, 0).merge(t.cell(1, 1)).text = "出现严重错误的，一票否决"
        d.add_paragraph("（完）")
        d.save(tmp_path / "细则.docx")
        lines = read_source(tmp_path / "细则.docx").lines
        assert [(x.where, x.text) for x in lines] == [
            ("第 1 段", "附件 评分细则"), ("表 1 第 1 行第 1 列", "信息发布"), ("表 1 第 1 行第 2 列", "更新不及时的，每次扣1分。"),
            ("表 1 第 2 行第 1 列", "出现严重错误的，一票否决"), ("第 2 段", "（完）")]

    def test_xlsx_cells(self, tmp_path):
        from openpyxl import Workbook

        wb = Workbook()
        wb.active.title = "计分表"
        wb.active["B2"] = "每次扣1分"
        wb.save(tmp_path / "表.xlsx")
        assert [(x.where, x.text) for x in read_source(tmp_path / "表.xlsx").lines] == [("计分表!B2", "每次扣1分")]

    def test_gbk_text(self, tmp_path):
        (tmp_path / "a.txt").write_bytes("每次扣1分".encode("gbk"))
        assert read_source(tmp_path / "a.txt").lines[0].text == "每次扣1分"


class TestCommand:
    def run(self, capsys, *argv):
        code = main(["rubric", "check", *argv])
        out = capsys.readouterr()
        return code, out.out, out.err

    def test_passes(self, capsys):
        code, out, _ = self.run(capsys, "hengnan-2020-township", "--source", str(SEEDS / "000_0885910b71dbd345.txt"),
                                "--from", "附件1", "--to", "附件2")
        assert code == 0
        assert "（第 43–143 行）" in out and "二、计分条款：46 处计分用语" in out and out.endswith("结论：通过。\n")

    def test_an_uncovered_clause_and_a_changed_text_fail_with_a_table(self, capsys, tmp_path):
        text = (ROOT / "kaohe/rubrics/hengnan-2020-township.yaml").read_text(encoding="utf-8")
        text = text.replace("          - {id: 1.3.3d, kind: per_count, per: 2, text: 亮红灯每次扣 2 分}\n", "")
        text = text.replace("标识标牌设置不到位扣2分}", "标识标牌设置不到位扣3分}")
        (tmp_path / "t.yaml").write_text(text, encoding="utf-8")
        code, out, _ = self.run(capsys, str(tmp_path / "t.yaml"), "--source", str(SEEDS / "000_0885910b71dbd345.txt"),
                                "--from", "附件1", "--to", "附件2")
        assert code == 1
        assert ("| 1.2.2 | text | 窗口设置不规范、标识标牌设置不到位扣3分 | 前 18 个字相符，从「3分」起与原文件不同 |"
                in out.splitlines())
        assert "二、未覆盖的计分条款：2 处（共 46 处计分用语），原文有而细则没有规则：" in out
        # the lost ② survives as U+F082 (seeds README)
        assert "| 第 63 行 | 扣2分 | \uf082窗口设置不规范、标识标牌设置不到位扣2分。 |" in out.splitlines()
        assert "| 第 74 行 | 扣2分 | 亮红灯每次扣 2 分。 |" in out.splitlines()
        assert "结论：未通过。" in out

    def test_the_source_the_rubric_names_beside_it(self, capsys):
        code, out, _ = self.run(capsys, str(ROOT / "examples/staged-website/rubric.yaml"))
        assert code == 0 and "示例文件.md（全文）" in out.splitlines()[0]

    def test_no_source_given_or_beside(self, capsys):
        code, _, err = self.run(capsys, "hengnan-2020-township")
        assert code == 2
        assert "请用 --source 指定细则所依的原文件（细则写的是 000_0885910b71dbd345.txt，" in err

    def test_a_missing_source_is_an_input_error(self, capsys, tmp_path):
        code, _, err = self.run(capsys, "hengnan-2020-township", "--source", str(tmp_path / "无.docx"))
        assert code == 2 and "找不到原文文件" in err

    def test_an_old_word_file_is_refused_with_what_to_do(self, capsys, tmp_path):
        Path(tmp_path / "a.doc").write_bytes(b"\xd0\xcf\x11\xe0")
        code, _, err = self.run(capsys, "hengnan-2020-township", "--source", str(tmp_path / "a.doc"))
        assert code == 2 and "另存为 .docx" in err


def test_a_short_text_covers_one_occurrence_not_every_clause_with_the_same_words():
    # A rubric that quotes only the heading 「一票否决」 leaves the two veto clauses below it uncovered: the
    # heading's text may not stand for them (the draft once turned such a heading into a rule).
    d = Document.from_text("细则.txt", "一票否决\n被市级以上通报批评的，一票否决。\n发生泄密事件的，一票否决。\n")
    gaps = uncovered(d, ["一票否决"])
    assert [g.text for g in gaps] == ["被市级以上通报批评的，一票否决。", "发生泄密事件的，一票否决。"]


def test_a_rule_text_that_is_only_its_phrase_and_repeats_fails_the_check(tmp_path):
    # 4.1 and 4.2 both quoting 「一票否决」, which the document says three times: neither names its clause
    text = "一票否决\n被市级以上通报批评的，一票否决。\n发生泄密事件的，一票否决。\n"
    d = Document.from_text("细则.txt", text)
    twice = Document.from_text("t", "扣0.5分；又扣0.5分")
    assert bare("一票否决", d, 0, len(d.flat)) and bare("扣0.5分", twice, 0, len(twice.flat))
    assert not bare("被市级以上通报批评的，一票否决", d, 0, len(d.flat))  # a whole clause names itself
    assert not bare("发生泄密事件的，一票否决", d, 0, len(d.flat))
