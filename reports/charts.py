"""Inline SVG charts: no script, no external asset, readable on paper and on a phone.

Each function turns context data into SVG markup. Every piece of text is escaped here, since the
result is marked safe for the template (department names come from the ledger).
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from reports.contexts import DepartmentSection, TrendPoint

COLOR_PASS = "#2e7d32"
COLOR_FAIL = "#c62828"
COLOR_UNKNOWN = "#9e9e9e"
COLOR_LINE = "#1565c0"
COLOR_GRID = "#e0e0e0"
COLOR_TEXT = "#333333"
FONT = "font-family=\"'Noto Sans CJK SC','Microsoft YaHei','PingFang SC',sans-serif\""


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def trend_svg(points: Sequence[TrendPoint], *, title: str = "合格率走势") -> Markup:
    """A line of weekly pass rates (0–100%), with gaps where a week had nothing checked."""
    width, height = 720, 230
    left, right, top, bottom = 46, 16, 22, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max(len(points), 1)
    pad = 24  # keeps the first and last points clear of the axis labels
    step = (plot_w - 2 * pad) / max(n - 1, 1)

    def x(i: int) -> float:
        return left + pad + (i * step if n > 1 else (plot_w - 2 * pad) / 2)

    def y(rate: float) -> float:
        return top + plot_h * (1 - rate)

    parts = [
        f'<svg class="chart trend" viewBox="0 0 {width} {height}" width="100%" '
        f'preserveAspectRatio="xMidYMid meet" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg" {FONT} font-size="12">',
        f"<title>{escape(title)}</title>",
    ]
    for tick in (0, 0.25, 0.5, 0.75, 1):
        ty = _num(y(tick))
        parts.append(
            f'<line x1="{left}" y1="{ty}" x2="{width - right}" y2="{ty}" '
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
        parts.append(
            f'<text x="{cx}" y="{height - bottom + 18}" text-anchor="middle" '
            f'fill="{COLOR_TEXT}">{escape(point.label)}</text>'
        )
        if point.pass_rate is None:
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
            f'<text x="{cx}" y="{_num(cy - 8)}" text-anchor="middle" font-size="10.5" '
            f'fill="{COLOR_TEXT}">{value}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _short(name: str, limit: int = 12) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


def department_bars_svg(
    departments: Sequence[DepartmentSection], *, title: str = "各单位核验结果"
) -> Markup:
    """One 100% bar per department: passed, failed and unverifiable shares, and the pass rate."""
    width = 720
    label_w, rate_w, row_h, top = 190, 70, 24, 30
    bar_w = width - label_w - rate_w - 10
    height = top + row_h * max(len(departments), 1) + 8
    parts = [
        f'<svg class="chart bars" viewBox="0 0 {width} {height}" width="100%" '
        f'preserveAspectRatio="xMinYMin meet" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg" {FONT} font-size="12">',
        f"<title>{escape(title)}</title>",
    ]
    legend = ((COLOR_PASS, "合格"), (COLOR_FAIL, "不合格"), (COLOR_UNKNOWN, "无法核验"))
    lx = label_w
    for color, text in legend:
        parts.append(
            f'<rect x="{lx}" y="6" width="12" height="12" fill="{color}"/>'
            f'<text x="{lx + 16}" y="16" fill="{COLOR_TEXT}">{text}</text>'
        )
        lx += 86
    for i, dept in enumerate(departments):
        ry = top + i * row_h
        total = dept.passed + dept.failed + dept.unknown
        parts.append(
            f'<text x="{label_w - 8}" y="{ry + 15}" text-anchor="end" fill="{COLOR_TEXT}">'
            f"<title>{escape(dept.name)}</title>{escape(_short(dept.name))}</text>"
        )
        if total == 0:
            parts.append(
                f'<rect x="{label_w}" y="{ry + 4}" width="{bar_w}" height="14" '
                f'fill="none" stroke="{COLOR_GRID}"/>'
                f'<text x="{label_w + 6}" y="{ry + 15}" fill="{COLOR_UNKNOWN}">均免检</text>'
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
                    f'<rect x="{_num(bx)}" y="{ry + 4}" width="{_num(w)}" height="14" '
                    f'fill="{color}"><title>{escape(dept.name)} {text} {count}</title></rect>'
                )
                bx += w
        rate = "—" if dept.pass_rate is None else f"{dept.pass_rate * 100:.0f}%"
        parts.append(
            f'<text x="{width - 6}" y="{ry + 15}" text-anchor="end" fill="{COLOR_TEXT}">'
            f"{rate}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))
