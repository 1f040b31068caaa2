"""Charts for the reports: Chinese labels that render on a fresh Linux machine, PNG embedded in HTML.

Font: the Noto Sans CJK SC that the ``mplfonts`` package ships (:mod:`kaohe.fonts`), whatever is installed, so
charts never show missing-glyph boxes and the same data gives the same PNG on every machine (an auditor's
``kaohe verify --rebuild`` included). Figures are saved without a timestamp.
"""

from __future__ import annotations

import base64
import html
import io
from decimal import Decimal

import matplotlib
from matplotlib import colormaps, font_manager
from matplotlib.figure import Figure  # not pyplot: no global figure state, no GUI backend
from matplotlib.ticker import MaxNLocator

from . import fonts

DPI = 110
_chosen: str | None = None


def cjk_font() -> str:
    """Name of the CJK font charts use: the bundled one, registered with matplotlib."""
    path = str(fonts.bundled(fonts.SANS))
    font_manager.fontManager.addfont(path)
    return font_manager.FontProperties(fname=path).get_name()


def setup() -> str:
    """Point matplotlib at the bundled CJK font (registered once per process) and return its name."""
    global _chosen
    if _chosen is None:
        _chosen = cjk_font()
    matplotlib.rcParams.update({
        "font.family": "sans-serif",
        "font.sans-serif": [_chosen, "DejaVu Sans"],
        "axes.unicode_minus": False,  # CJK fonts often lack U+2212
        # Labels are unit and indicator names: "A$_{1}$" is drawn as written, not as a subscript, and "$\frac$"
        # does not fail the report. Every Text (titles, tick and axis labels, annotations, the colorbar's label)
        # takes these when it is made, and every figure is made after this (new_figure calls setup).
        "text.parse_math": False,
        "text.usetex": False,
        "svg.hashsalt": "kaohe",
        "figure.dpi": DPI,
    })
    return _chosen


def new_figure(width: float = 7.5, height: float = 3.6,
               margins: tuple[float, float, float, float] | None = None) -> tuple[Figure, object]:
    """A figure of one axes. ``margins`` (left, right, bottom, top, in inches) fix where the axes sit: the
    charts of every unit report have labels of known size, and matplotlib's constrained layout (the default
    here, for charts whose labels vary) was about a third of a report's chart time."""
    setup()
    if margins is None:
        fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    else:
        left, right, bottom, top = margins
        fig = Figure(figsize=(width, height), dpi=DPI)
        fig.subplots_adjust(left=left / width, right=1 - right / width, bottom=bottom / height, top=1 - top / height)
    return fig, fig.add_subplot()


def to_html(fig: Figure, alt: str) -> str:
    """The figure as a standalone ``<img>`` (base64 PNG, no timestamp in its metadata)."""
    buf = io.BytesIO()
    # zlib's fastest level: half the encoding time of the default, and about the same size for flat-coloured charts
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None}, pil_kwargs={"compress_level": 1})
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return f'<img class="kaohe-chart" alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def _room_for_ticks(fig: Figure, ax) -> None:
    """The left margin of a fixed-margin chart widened to its y tick labels as they will be written (a
    1,000-point rubric's "1000", a narrow range's "102.5"): the rotated axis label must not be cut off."""
    labels = ax.yaxis.get_major_formatter().format_ticks(ax.get_yticks())
    width = fig.get_figwidth()
    left = 0.4 + 0.085 * max([len(t) for t in labels] + [3])  # inches: label and padding, then ~0.085 a digit
    fig.subplots_adjust(left=max(fig.subplotpars.left, left / width))


def _wrap(text: str, width: int = 8, lines: int = 3) -> str:
    """Long indicator names over a few short lines, so that bars keep their labels apart."""
    parts = [text[i:i + width] for i in range(0, len(text), width)]
    return "\n".join(parts[:lines]) + ("…" if len(parts) > lines else "")


def _f(x) -> float:
    return float(x) if isinstance(x, Decimal) else x


def _empty(v) -> bool:
    """No value in a cell: nothing lost (0), or no number at all (None, NaN)."""
    return v is None or v != v or v == 0


def luminance(rgb) -> float:
    """Relative luminance (WCAG 2) of an sRGB colour given as 0–1 floats; alpha is ignored.

    >>> luminance((1, 1, 1)), luminance((0, 0, 0))
    (1.0, 0.0)
    """
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb[:3]]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def text_colour(rgb) -> str:
    """Black or white, whichever contrasts more with a cell of colour ``rgb`` (WCAG contrast ratio): numbers
    stay readable on the darkest cells of a heatmap as on the lightest.

    >>> text_colour((1, 1, 1)), text_colour((0.4, 0, 0.05))
    ('black', 'white')
    """
    lum = luminance(rgb)
    return "white" if (1.05 / (lum + 0.05)) > ((lum + 0.05) / 0.05) else "black"


def _whole_numbers(axis) -> None:
    """Ticks at whole numbers only: an axis of counts or ranks has no 2.5 units or rank 1.5."""
    axis.set_major_locator(MaxNLocator(integer=True))


#: The title of a unit report's chart, at the top of its axes. Its height given: otherwise matplotlib measures every
#: tick label at each draw to lift the title over top ticks that these charts do not have (a fifth of their time).
_TITLE = {"fontsize": 10, "y": 1.0}


def waterfall(points: Decimal, steps: list[tuple[str, Decimal]], total: Decimal, title: str) -> Figure:
    """Full marks, one falling bar per indicator that lost points, the score."""
    # room for three lines of 7-point tick labels below (_wrap), the axis label and 3-digit ticks left, a title
    fig, ax = new_figure(7.5, 2.4 + 0.1 * len(steps), margins=(0.65, 0.12, 0.55, 0.3))
    labels, bottoms, heights, colors = ["满分"], [0.0], [_f(points)], ["#4c72b0"]
    level = _f(points)
    for name, lost in steps:
        level -= _f(lost)
        labels.append(name)
        bottoms.append(level)
        heights.append(_f(lost))
        colors.append("#c44e52" if lost > 0 else "#55a868")  # a bonus rises
    labels.append("得分")
    bottoms.append(0.0)
    heights.append(_f(total))
    colors.append("#55a868")
    xs = range(len(labels))
    ax.bar(xs, heights, bottom=bottoms, color=colors, width=0.6)
    for x, b, h, c in zip(xs, bottoms, heights, colors):
        text = f"−{h:g}" if c == "#c44e52" else f"{h:g}"
        ax.annotate(text, (x, b + h), ha="center", va="bottom", fontsize=8)
    ax.set_xticks(list(xs), [_wrap(t) for t in labels], fontsize=7)
    # Start the axis near the score: a few points lost out of 100 must stay visible.
    floor = max(0.0, (_f(total) // 10) * 10 - 10)
    ax.set_ylim(floor, _f(points) * 1.05)
    ax.set_ylabel("分" if not floor else f"分（纵轴自 {floor:g} 分起）")
    ax.set_title(title, **_TITLE)
    _room_for_ticks(fig, ax)
    return fig


def line(labels: list[str], values: list[Decimal], top: Decimal, title: str) -> Figure:
    fig, ax = new_figure(6.5, 2.2, margins=(0.65, 0.12, 0.3, 0.3))  # one line of dates below
    ax.plot(range(len(labels)), [_f(v) for v in values], marker="o", color="#4c72b0")
    for x, v in enumerate(values):
        ax.annotate(f"{_f(v):g}", (x, _f(v)), textcoords="offset points", xytext=(0, 6), ha="center", fontsize=8)
    ax.set_xticks(range(len(labels)), labels, fontsize=8)
    ax.set_ylim(0, _f(top) * 1.08)
    ax.set_ylabel("得分")
    ax.set_title(title, **_TITLE)
    _room_for_ticks(fig, ax)
    return fig


def bars(labels: list[str], values: list[int], title: str) -> Figure:
    fig, ax = new_figure(5.5, 3.0)
    ax.bar(range(len(labels)), values, color="#4c72b0", width=0.6)
    for x, v in enumerate(values):
        ax.annotate(str(v), (x, v), ha="center", va="bottom", fontsize=9)
    ax.set_xticks(range(len(labels)), labels)
    ax.set_ylabel("单位数")
    _whole_numbers(ax.yaxis)
    ax.set_ylim(0, max([*values, 1]) * 1.2)
    ax.set_title(title, fontsize=10)
    return fig


def heatmap(rows: list[str], cols: list[str], values: list[list[Decimal]], title: str) -> Figure:
    """Points lost, units down the side and indicators across; each non-zero cell is labelled, in black or
    white by the cell's colour. An indicator where no unit lost anything (一票否决, which takes no points) is
    left out and named under the chart, unless no unit lost anything at all."""
    data = [[_f(v) for v in r] for r in values]
    kept = [j for j in range(len(cols)) if not all(_empty(r[j]) for r in data)] or list(range(len(cols)))
    dropped = [c for j, c in enumerate(cols) if j not in kept]
    cols = [cols[j] for j in kept]
    data = [[0.0 if _empty(r[j]) else r[j] for j in kept] for r in data]
    fig, ax = new_figure(max(6.0, 0.9 * len(cols) + 2.5), max(2.5, 0.28 * len(rows) + 1.5))
    top = max([v for r in data for v in r] + [1.0])
    cmap = colormaps["Reds"]
    im = ax.imshow(data, cmap=cmap, aspect="auto", vmin=0, vmax=top)
    for i, r in enumerate(data):
        for j, v in enumerate(r):
            if v:
                ax.text(j, i, f"{v:g}", ha="center", va="center", fontsize=7, color=text_colour(cmap(v / top)))
    ax.set_xticks(range(len(cols)), cols, rotation=30, ha="right", fontsize=8)
    ax.set_yticks(range(len(rows)), rows, fontsize=8)
    if dropped:
        ax.set_xlabel("无单位扣分、未画出的指标：" + "、".join(dropped), fontsize=8)
    ax.set_title(title, fontsize=10)
    fig.colorbar(im, ax=ax, label="扣分")
    return fig


def deltas(labels: list[str], values: list[Decimal], title: str) -> Figure:
    """Score change per unit (B − A), one horizontal bar each, largest gain on top."""
    fig, ax = new_figure(7.0, max(2.2, 0.3 * len(labels) + 1.2))
    ys = range(len(labels))[::-1]
    data = [_f(v) for v in values]
    ax.barh(list(ys), data, color=["#55a868" if v > 0 else "#c44e52" for v in data], height=0.6)
    for y, v in zip(ys, data):
        ax.annotate(f"{v:+g}", (v, y), textcoords="offset points", xytext=(4 if v > 0 else -4, 0),
                    ha="left" if v > 0 else "right", va="center", fontsize=8)
    ax.set_yticks(list(ys), labels, fontsize=8)
    ax.axvline(0, color="#333333", linewidth=0.8)
    span = max([abs(v) for v in data] + [0.1]) * 1.35
    ax.set_xlim(-span, span)
    ax.set_xlabel("得分变化（版本 B − 版本 A，分）")
    ax.set_title(title, fontsize=10)
    return fig


#: Inches of height per rank in the slope chart: 7-point labels on neighbouring ranks stay apart, and 40 units
#: fit in half an A4 page.
RANK_STEP = 0.16


def slope(labels: list[str], ranks_a: list[int], ranks_b: list[int], scored: set[str], title: str,
          names: tuple[str, str] = ("版本 A", "版本 B")) -> Figure:
    """Each unit's rank under A (left) and B (right). Units whose own score changed are drawn strong and
    named (units sharing a rank on one line); units that only moved because others passed them, pale."""
    n = max([*ranks_a, *ranks_b, 1])
    fig, ax = new_figure(7.0, max(2.4, RANK_STEP * n + 1.2))
    named: dict[int, list[str]] = {}
    for name, ra, rb in zip(labels, ranks_a, ranks_b):
        up = rb < ra
        if name in scored:
            color, width, z = ("#55a868" if up else "#c44e52" if rb > ra else "#4c72b0"), 1.8, 3
            named.setdefault(rb, []).append(f"{name} {ra}→{rb}")
        else:
            color, width, z = ("#bbbbbb" if ra == rb else "#e6b8b9" if rb > ra else "#b9dcc2"), 0.8, 2
        ax.plot([0, 1], [ra, rb], color=color, linewidth=width, marker="o", markersize=3, zorder=z)
    for rb, texts in named.items():
        ax.annotate("、".join(texts), (1, rb), textcoords="offset points", xytext=(6, 0), va="center", fontsize=7)
    ax.set_xlim(-0.15, 2.2)
    ax.set_ylim(n + 0.8, 0.2)  # rank 1 at the top
    ax.set_xticks([0, 1], list(names), fontsize=9)
    ax.set_ylabel("名次")
    _whole_numbers(ax.yaxis)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_title(title, fontsize=10)
    return fig
