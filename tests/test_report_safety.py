"""Charts show Chinese without missing glyphs; hostile ledger text reaches every HTML page as text."""

import re
import warnings
from decimal import Decimal

import pytest
from conftest import Page
from matplotlib.figure import Figure

from kaohe import charts, runner
from kaohe.html import unit_files

LABELS = [("政务公开", Decimal("3.5")), ("“放管服”改革", Decimal(2)), ("12345 政府服务热线", Decimal("0.3"))]


def _draw(fig):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph … missing from font(s)" for each box it draws
        charts.to_html(fig, "图")


def test_chart_with_chinese_labels_has_no_missing_glyph():
    """Charts use the font mplfonts ships whatever is installed (the same PNG on every machine)."""
    assert charts.setup() == "Noto Sans CJK SC"
    _draw(charts.waterfall(Decimal(100), LABELS, Decimal("94.2"), "示例镇01：从满分到得分"))
    _draw(charts.heatmap(["示例镇01", "刘䶮镇"], ["一 政务服务", "二 政务公开"],
                         [[Decimal(1), Decimal(0)], [Decimal(0), Decimal("0.5")]], "各单位各指标扣分"))
    _draw(charts.line(["03-31", "06-30"], [Decimal(96), Decimal("95.5")], Decimal(100), "年内累计得分"))
    _draw(charts.bars(["优秀", "良好", "合格", "不合格"], [3, 2, 1, 0], "等次分布"))


def test_the_glyph_check_catches_a_font_without_chinese():
    fig = Figure()
    fig.add_subplot().set_title("政务公开", fontfamily="DejaVu Sans")
    with pytest.raises(UserWarning, match="missing from font"):
        _draw(fig)


def test_unit_file_names_stay_inside_and_never_collide():
    names = ["../../x", "/etc/x", "区/县", "CON", "A:B", "Ａ区", "A区", "示例镇01", "示例镇01.failed", "summary"]
    files = unit_files(names)
    assert files["示例镇01"] == "示例镇01" and files["summary"] == "summary"  # the summary is not in units/
    assert not files["示例镇01.failed"].endswith(".failed")  # would be 示例镇01's failed notebook
    assert len(set(files.values())) == len(names)
    for stem in files.values():
        assert "/" not in stem and "\\" not in stem and ":" not in stem and not stem.startswith(".")
        assert stem.split(".")[0].upper() != "CON"
    assert len({s.casefold() for s in files.values()}) == len(names)


HOSTILE_UNIT = "示例镇\"<i>99</i>'"
NOTE = "<script>alert(1)</script>"
SOURCE = "<img src=x onerror=alert(1)>"


def test_hostile_text_is_shown_as_text_in_every_page(tmp_path):
    quoted = '"' + HOSTILE_UNIT.replace('"', '""') + '"'  # as Excel writes a name with a quote in CSV
    (tmp_path / "roster.csv").write_text(f"单位,类别\n{quoted},乡镇\n示例镇01,乡镇\n", encoding="utf-8")
    (tmp_path / "ledger.csv").write_text(
        "编号,单位,规则编号,日期,次数/数量,情况说明,依据/来源,佐证材料\n"
        f'X1,{quoted},4.2.3,2020-05-08,1,"{NOTE}",{SOURCE},javascript:alert(1)\n'
        f'X2,{quoted},4.2.1,2020-06-01,1,"</table>{{{{x}}}} $x$",检查记录,a.pdf\n', encoding="utf-8")
    (tmp_path / "p.yaml").write_text(
        "name: hostile\nyear: 2020\ntitle: 测试<b>考核</b>\nrubrics: [hengnan-2020-township]\n"
        "roster: roster.csv\nevidence: [ledger.csv]\n", encoding="utf-8")
    outcome = runner.run(tmp_path / "p.yaml", out_dir=tmp_path / "out", progress=False)
    assert outcome.failed == [] and outcome.summary_error == ""
    stem = unit_files([HOSTILE_UNIT])[HOSTILE_UNIT]
    assert "<" not in stem
    pages = [outcome.folder / "units" / f"{stem}.html", outcome.folder / "summary.html", outcome.folder / "index.html"]
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert "<script" not in text and "<img src=x" not in text and "<i>99</i>" not in text, page
        assert "<b>考核</b>" not in text
        # a quote in text needs no escaping, and nbconvert re-serialises it; the tags must be text
        assert re.search(r"示例镇(&#34;|&quot;|\")&lt;i&gt;99&lt;/i&gt;", text), page
    unit = pages[0].read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in unit
    assert "&lt;img src=x onerror=alert(1)&gt;" in unit
    assert "&lt;/table&gt;{{x}} $x$" in unit
    assert 'href="javascript' not in unit
    alts = [a for a in Page(unit).alts if HOSTILE_UNIT in a]
    assert len(alts) == 2  # the waterfall and the quarter chart: the quote did not end the attribute
