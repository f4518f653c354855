"""Inline SVG charts: no script, no external asset, readable on paper and on a phone.

Each function turns context data into SVG markup. Every piece of text is escaped here, since the
result is marked safe for the template (department names come from the ledger).

Each chart is drawn twice: a wide one (720 units, for screens and A4 paper) and a narrow one
(`NARROW_WIDTH` units, fewer axis labels, department names on their own line) that the page's
stylesheet shows instead on a phone. An SVG scales its text with its width, so one drawing
cannot be legible at both: 12-unit text in a 720-unit chart is 6 px on a 390 px screen, while
in the narrow chart it stays at least 11 px down to a 300 px wide chart.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from reports.contexts import DepartmentSection, TrendPoint

COLOR_PASS = "#2e7d32"
COLOR_FAIL = "#c62828"
COLOR_UNKNOWN = "#9e9e9e"
COLOR_LINE = "#1565c0"
COLOR_GRID = "#e0e0e0"
COLOR_TEXT = "#333333"
FONT = "font-family=\"'Noto Sans CJK SC','Microsoft YaHei','PingFang SC',sans-serif\""
NARROW_WIDTH = 330  # units; its 12-unit text is ≥ 11 px wherever the chart is ≥ 303 px wide


@dataclass(frozen=True)
class _Trend:
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    pad: int  # keeps the first and last points clear of the axis labels
    label_gap: int  # the least distance between two week labels (every week's when wider)
    value_size: str  # font size of the rate above each point


_TREND_WIDE = _Trend(720, 230, 46, 16, 22, 40, 24, 0, "10.5")
_TREND_NARROW = _Trend(NARROW_WIDTH, 220, 38, 8, 22, 34, 16, 48, "12")


@dataclass(frozen=True)
class _Bars:
    width: int
    label_w: int  # the names' column; 0: each name on its own line above its bar
    rate_w: int
    row_h: int
    top: int
    name_chars: int  # longer names are cut, with the full name as the tooltip
    legend_step: int


_BARS_WIDE = _Bars(720, 190, 70, 24, 30, 12, 86)
_BARS_NARROW = _Bars(NARROW_WIDTH, 0, 0, 40, 28, 22, 80)


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _svg_open(kind: str, narrow: bool, width: int, height: int, title: str, align: str) -> str:
    size = "narrow" if narrow else "wide"
    return (
        f'<svg class="chart {kind} {size}" viewBox="0 0 {width} {height}" width="100%" '
        f'preserveAspectRatio="{align} meet" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg" {FONT} font-size="12">'
        f"<title>{escape(title)}</title>"
    )


def trend_svg(
    points: Sequence[TrendPoint], *, title: str = "合格率走势", narrow: bool = False
) -> Markup:
    """A line of weekly pass rates (0–100%), with gaps where a week had nothing checked.
    Narrow: the week labels and rates of every k-th week only (and always the latest)."""
    g = _TREND_NARROW if narrow else _TREND_WIDE
    width, height, left, top = g.width, g.height, g.left, g.top
    plot_w, plot_h = width - left - g.right, height - top - g.bottom
    n = max(len(points), 1)
    pad = g.pad
    step = (plot_w - 2 * pad) / max(n - 1, 1)
    every = max(1, math.ceil(g.label_gap / step)) if n > 1 else 1

    def x(i: int) -> float:
        return left + pad + (i * step if n > 1 else (plot_w - 2 * pad) / 2)

    def y(rate: float) -> float:
        return top + plot_h * (1 - rate)

    def labelled(i: int) -> bool:
        # counted back from the latest week, which is always labelled
        return (len(points) - 1 - i) % every == 0

    parts = [_svg_open("trend", narrow, width, height, title, "xMidYMid")]
    for tick in (0, 0.25, 0.5, 0.75, 1):
        ty = _num(y(tick))
        parts.append(
            f'<line x1="{left}" y1="{ty}" x2="{width - g.right}" y2="{ty}" '
            f'stroke="{COLOR_GRID}" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{ty}" dy="4" text-anchor="end" fill="{COLOR_TEXT}">'
            f"{int(tick * 100)}%</text>"
        )
    segment: list[str] = []
    segments: list[list[str]] = []
    for i, point in enumerate(points):
        if point.pass_rate is None:
            if segment:
                segments.append(segment)
            segment = []
            continue
        segment.append(f"{_num(x(i))},{_num(y(point.pass_rate))}")
    if segment:
        segments.append(segment)
    for seg in segments:
        if len(seg) > 1:
            parts.append(
                f'<polyline points="{" ".join(seg)}" fill="none" stroke="{COLOR_LINE}" '
                'stroke-width="2.5" stroke-linejoin="round"/>'
            )
    for i, point in enumerate(points):
        cx = _num(x(i))
        shown = labelled(i)
        if shown:
            parts.append(
                f'<text x="{cx}" y="{height - g.bottom + 18}" text-anchor="middle" '
                f'fill="{COLOR_TEXT}">{escape(point.label)}</text>'
            )
        if point.pass_rate is None:
            if shown:
                parts.append(
                    f'<text x="{cx}" y="{_num(y(0.5))}" text-anchor="middle" '
                    f'fill="{COLOR_UNKNOWN}">无</text>'
                )
            continue
        cy = y(point.pass_rate)
        value = f"{point.pass_rate * 100:.1f}%"
        parts.append(
            f'<circle cx="{cx}" cy="{_num(cy)}" r="3.5" fill="{COLOR_LINE}">'
            f"<title>{escape(point.week)}：{value}（{point.passed}/{point.checked}）</title>"
            "</circle>"
        )
        if shown:
            below = _in_a_dip(points, i) and cy + 18 <= top + plot_h  # clear of the line
            ty = cy + 18 if below else cy - 8
            parts.append(
                f'<text x="{cx}" y="{_num(ty)}" text-anchor="middle" '
                f'font-size="{g.value_size}" fill="{COLOR_TEXT}">{value}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def _in_a_dip(points: Sequence[TrendPoint], i: int) -> bool:
    """Whether the line reaches point `i` from above on average (its label then goes below
    the point, where the line is not), counting only the neighbours with a rate."""
    rate = points[i].pass_rate
    around = [
        p.pass_rate
        for j in (i - 1, i + 1)
        if 0 <= j < len(points) and (p := points[j]).pass_rate is not None
    ]
    return rate is not None and bool(around) and sum(around) / len(around) > rate


def _short(name: str, limit: int = 12) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


def department_bars_svg(
    departments: Sequence[DepartmentSection],
    *,
    title: str = "各单位核验结果",
    narrow: bool = False,
) -> Markup:
    """One 100% bar per department: passed, failed and unverifiable shares, and the pass rate.
    Narrow: each department's name and rate on a line of their own, above a full-width bar."""
    g = _BARS_NARROW if narrow else _BARS_WIDE
    width, label_w, row_h, top = g.width, g.label_w, g.row_h, g.top
    bar_w = width - label_w - g.rate_w - (10 if label_w else 0)
    bar_dy = 20 if narrow else 4  # the bar's top within its row
    text_dy = 14 if narrow else 15  # the baseline of the name and rate within the row
    height = top + row_h * max(len(departments), 1) + 8
    parts = [_svg_open("bars", narrow, width, height, title, "xMinYMin")]
    legend = ((COLOR_PASS, "合格"), (COLOR_FAIL, "不合格"), (COLOR_UNKNOWN, "无法核验"))
    lx = label_w
    for color, text in legend:
        parts.append(
            f'<rect x="{lx}" y="6" width="12" height="12" fill="{color}"/>'
            f'<text x="{lx + 16}" y="16" fill="{COLOR_TEXT}">{text}</text>'
        )
        lx += g.legend_step
    for i, dept in enumerate(departments):
        ry = top + i * row_h
        total = dept.passed + dept.failed + dept.unknown
        name_x, anchor = (label_w - 8, "end") if label_w else (0, "start")
        parts.append(
            f'<text x="{name_x}" y="{ry + text_dy}" text-anchor="{anchor}" fill="{COLOR_TEXT}">'
            f"<title>{escape(dept.name)}</title>{escape(_short(dept.name, g.name_chars))}</text>"
        )
        if total == 0:
            parts.append(
                f'<rect x="{label_w}" y="{ry + bar_dy}" width="{bar_w}" height="14" '
                f'fill="none" stroke="{COLOR_GRID}"/>'
                f'<text x="{label_w + 6}" y="{ry + bar_dy + 11}" fill="{COLOR_UNKNOWN}">'
                "均免检</text>"
            )
        else:
            bx = float(label_w)
            for count, color, text in (
                (dept.passed, COLOR_PASS, "合格"),
                (dept.failed, COLOR_FAIL, "不合格"),
                (dept.unknown, COLOR_UNKNOWN, "无法核验"),
            ):
                if count == 0:
                    continue
                w = bar_w * count / total
                parts.append(
                    f'<rect x="{_num(bx)}" y="{ry + bar_dy}" width="{_num(w)}" height="14" '
                    f'fill="{color}"><title>{escape(dept.name)} {text} {count}</title></rect>'
                )
                bx += w
        rate = "—" if dept.pass_rate is None else f"{dept.pass_rate * 100:.0f}%"
        parts.append(
            f'<text x="{width - 6}" y="{ry + text_dy}" text-anchor="end" fill="{COLOR_TEXT}">'
            f"{rate}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))
