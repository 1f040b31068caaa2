"""Charts and tables an auditor can read (issue 18 item 5): numbers legible on every heatmap cell, no column that
can hold nothing, whole numbers on axes that count, compare charts in Chinese and no page of level lines, short
table columns not squeezed to one character per line.

Expected values from the sample (data/sample/衡南2020-示例数据-台账.csv, seed 000 附件1): 示例镇15 loses the most in
one indicator, 30 in “放管服”改革 (T062 30 个村未办理 × 1, capped by the indicator); 示例镇02 the least, 0.5 (T001
办件超期预警 1 次). Indicator 6 一票否决 holds only vetoes, which take no points (示例镇08's T019 takes none): every
unit loses 0 there. The township grades are 14 优秀, 4 良好, 3 合格, 2 不合格 (test_reports).
"""

import re
from decimal import Decimal

import pytest
from conftest import ROOT
from matplotlib import colormaps
from matplotlib.text import Text

from kaohe import charts, report
from kaohe.assessment import assess
from kaohe.comparison import compare_params
from kaohe.html import table

PARAMS = ROOT / "params" / "hengnan-2020.yaml"


@pytest.fixture(scope="module")
def sample():
    return assess(PARAMS)


@pytest.fixture
def drawn(monkeypatch):
    """The figures a report section makes, kept instead of turned into PNG."""
    figures = []
    monkeypatch.setattr(charts, "to_html", lambda fig, alt: figures.append(fig) or "<img>")
    return figures


def texts(fig) -> dict[str, str]:
    """Each number written on the axes -> its colour."""
    fig.draw_without_rendering()
    return {t.get_text(): t.get_color() for t in fig.axes[0].texts}


class TestTextColour:
    def test_white_on_black_and_black_on_white(self):
        assert charts.text_colour((0, 0, 0)) == "white"
        assert charts.text_colour((1, 1, 1, 1)) == "black"  # alpha ignored

    def test_either_side_of_the_equal_contrast_grey(self):
        """Grey 0.45 has luminance 0.171 (contrast 4.76 with white, 4.41 with black); grey 0.47 has 0.187 (4.42
        with white, 4.75 with black). The two contrasts are equal at luminance 0.179."""
        assert charts.luminance((0.45, 0.45, 0.45)) == pytest.approx(0.1707, abs=1e-4)
        assert charts.text_colour((0.45, 0.45, 0.45)) == "white"
        assert charts.luminance((0.47, 0.47, 0.47)) == pytest.approx(0.1873, abs=1e-4)
        assert charts.text_colour((0.47, 0.47, 0.47)) == "black"

    def test_the_heatmap_colours_ends(self):
        reds = colormaps["Reds"]
        assert charts.text_colour(reds(1.0)) == "white" and charts.text_colour(reds(0.0)) == "black"


class TestHeatmap:
    def test_numbers_on_the_darkest_cells_are_white_and_on_light_ones_black(self, sample):
        r = sample.results["hengnan-2020-township"]
        m = report.lost_by_top(r)
        names = {n.id: f"{n.id} {n.name}" for n in r.rubric.indicators}
        colours = texts(charts.heatmap(list(m.index), [names[c] for c in m.columns], m.values.tolist(), "扣分"))
        assert colours["30"] == "white" and colours["22.5"] == "white"  # 示例镇15, 示例镇14 in “放管服”改革
        assert colours["0.5"] == "black" and colours["2"] == "black" and colours["10"] == "black"

    def test_the_veto_column_that_never_holds_points_is_not_drawn_but_named(self, sample, drawn):
        report.heatmap(sample, sample.results["hengnan-2020-township"])
        ax = drawn[0].axes[0]
        assert [t.get_text() for t in ax.get_xticklabels()] == [
            "1 “放管服” 改革", "2 数据资源", "3 政务服务", "4 政务公开", "5 12345 政府服务热线"]
        assert ax.get_xlabel() == "无单位扣分、未画出的指标：6 一票否决"
        assert len(ax.images[0].get_array()[0]) == 5

    def test_empty_cells_are_not_labelled_and_an_all_empty_chart_keeps_its_columns(self):
        fig = charts.heatmap(["甲镇", "乙镇"], ["一 政务服务", "二 政务公开"],
                             [[Decimal(1), None], [float("nan"), Decimal(0)]], "扣分")
        assert list(texts(fig)) == ["1"]
        assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["一 政务服务"]
        fig = charts.heatmap(["甲镇"], ["一 政务服务", "二 政务公开"], [[Decimal(0), Decimal(0)]], "扣分")
        assert len(fig.axes[0].get_xticklabels()) == 2 and fig.axes[0].get_xlabel() == ""


def whole_ticks(axis, low: float, high: float) -> list[float]:
    axis.axes.figure.draw_without_rendering()
    ticks = [t for t in axis.get_majorticklocs() if low <= t <= high]
    assert len(ticks) >= 2
    return ticks


class TestWholeNumbers:
    @pytest.mark.parametrize("counts", [[14, 4, 3, 2], [1, 0, 0, 0], [3, 2, 1, 0]])
    def test_unit_counts_have_no_half_units(self, counts):
        """Before: the township grades' axis read 0, 2.5, 5, 7.5 … 单位."""
        fig = charts.bars(["优秀", "良好", "合格", "不合格"], counts, "等次分布")
        ax = fig.axes[0]
        assert all(t == int(t) for t in whole_ticks(ax.yaxis, *ax.get_ylim()))

    def test_ranks_have_no_half_ranks(self):
        fig = charts.slope(["甲镇", "乙镇"], [1, 2], [2, 1], {"甲镇"}, "名次")
        ax = fig.axes[0]
        ticks = whole_ticks(ax.yaxis, *sorted(ax.get_ylim()))
        assert ticks == [1, 2]


class TestCompareCharts:
    def test_no_rank_moved_is_said_in_a_sentence_not_a_page_of_level_lines(self):
        """衡南 @2 changes four clauses; 示例镇05, 17, 14 and 街道03 lose 0.05–0.4, and no rank changes."""
        c = compare_params(PARAMS, "hengnan-2020-township@1", "hengnan-2020-township@2")
        assert str(report.compare_slope_chart(c)) == "<p>名次没有变化：23 个单位在两个版本中名次相同。</p>"

    def test_the_charts_name_the_versions_in_chinese_and_the_rank_chart_fits_half_a_page(self, drawn):
        """郎溪 @2 (a draft) moves 21 of 42 units' ranks."""
        c = compare_params(ROOT / "params" / "langxi-2019.yaml", "langxi-2019@1", "langxi-2019@2")
        report.compare_delta_chart(c)
        report.compare_slope_chart(c)
        deltas, slope = drawn
        assert deltas.axes[0].get_xlabel() == "得分变化（版本 B − 版本 A，分）"
        assert deltas.axes[0].get_title() == "得分变化：版本 B（第 2 版草案）相对版本 A（第 1 版）"
        assert [t.get_text() for t in slope.axes[0].get_xticklabels()] == ["版本 A（第 1 版）", "版本 B（第 2 版草案）"]
        assert slope.axes[0].get_title() == "名次：版本 A（左）与版本 B（右）"
        for fig in drawn:
            fig.draw_without_rendering()
            words = [t.get_text() for t in fig.findobj(Text) if t.get_text()]
            assert not [w for w in words if re.search(r"[a-z]", w)], words  # no "langxi-2019@1"
        assert slope.get_figheight() == pytest.approx(0.16 * 42 + 1.2)  # 7.9 in: 20 cm, under an A4 page


class TestNarrowColumns:
    def th_widths(self, html: str) -> list[str]:
        return re.findall(r'<th style="min-width:([\d.]+)em">', html)

    def test_a_short_column_keeps_its_text_on_one_line_beside_a_long_one(self):
        """Before: the compare table's 类别 printed 乡/镇/机/关, one character per line, beside 主要原因."""
        html = str(table(["单位", "类别", "主要原因"], [["县委办(县档案馆)", "乡镇机关", "规则 A3 的分值由 9 改为 9.82；" * 8]]))
        # 3 columns leave each up to 6 ems: 县委办(县档案馆) is 7 characters and two brackets (8.1 ems)
        assert self.th_widths(html) == ["6", "4", "6"]

    def test_a_header_over_a_number_wraps_to_two_lines_at_most_and_many_columns_share_the_page(self):
        """The unit report's evidence table: ten columns leave each 3.5 ems; T018 takes 2.2; 计算扣分 over 4 keeps 2
        (计算/扣分)."""
        headers = ["记录编号", "日期", "台账数据", "情况说明", "依据/来源", "佐证材料", "台账位置", "计算扣分", "实际扣分", "调整原因"]
        row = ["T018", "2020-08-19", "次数/数量 8", "示例数据：差评整改不到位 8 次", "示例：县政务公开政务服务领导小组办公室检查记录",
               "示例佐证/T018.pdf", "衡南2020-示例数据-台账.csv 第 19 行", Decimal(4), Decimal(4), ""]
        assert self.th_widths(str(table(headers, [row]))) == ["2.5", "3.5", "3.5", "3.5", "3.5", "3.5", "3.5", "2", "2", "2"]


@pytest.mark.parametrize(("points", "steps", "total"), [
    (Decimal(100), [("1 政务公开", Decimal(3))], Decimal(97)),
    (Decimal(1000), [("1 电子政务模块", Decimal(50))], Decimal(950)),  # four-digit ticks
    (Decimal(10000), [("1 模块", Decimal(500))], Decimal(9500)),  # five-digit ticks: the margin widens
])
def test_a_unit_reports_charts_keep_every_label_inside_the_figure(points, steps, total):
    """The unit report's two charts sit on fixed margins (no layout pass): the left one is widened to the
    tick labels, so no label or axis title is cut off at the edge of the image."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    for fig in (charts.waterfall(points, steps, total, "示例镇01：从满分到得分"),
                charts.line(["03-31", "06-30", "09-30", "12-31"], [total] * 4, points, "示例镇01：年内累计得分")):
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
        box = fig.get_tightbbox(canvas.get_renderer())
        assert 0 <= box.x0 and 0 <= box.y0 and box.x1 <= fig.get_figwidth() and box.y1 <= fig.get_figheight()


def test_a_unit_reports_charts_place_their_title_where_matplotlib_would():
    """The unit charts give their title's height (charts._TITLE) so that matplotlib does not measure the tick labels
    at every draw: the picture is the one matplotlib draws when it places the title itself."""
    import hashlib

    def png(fig) -> str:
        return hashlib.sha256(charts.to_html(fig, "图").encode()).hexdigest()

    steps = [("1.1 政务公开平台建设", Decimal(2)), ("2.3 依申请公开办理", Decimal("1.5"))]
    made = [lambda: charts.waterfall(Decimal(100), steps, Decimal("96.5"), "示例镇01：从满分到得分"),
            lambda: charts.line(["03-31", "06-30"], [Decimal(98), Decimal("96.5")], Decimal(100), "示例镇01：年内累计得分")]
    for make in made:
        fig = make()
        assert fig.axes[0].title.get_position()[1] == 1.0 and fig.axes[0]._autotitlepos is False
        given = png(fig)
        fig = make()
        fig.axes[0]._autotitlepos = None  # as set_title leaves it without a height: placed at each draw
        assert png(fig) == given
