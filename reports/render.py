"""The one jinja2 Environment of govmedia, and the filters every template shares.

Built once (`environment()` is cached), autoescaped, with `StrictUndefined` so that a template
naming a fact its context does not have fails loudly instead of printing a blank. Every string
from a platform or a ledger is escaped on the way out: HTML and SVG need it, Markdown shows an
entity as the character it stands for, and docxtpl's Word XML needs it too. Only plain-text
templates (`*.txt.j2`) are left unescaped.

A template renders one context: `render("weekly.html.j2", ctx)` exposes the context's fields as
top-level names (`headline`, `departments` …), nested models kept as they are.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from registry.compliance import whole_days
from registry.constants import LOCAL_TZ, VerdictStatus
from reports import charts
from reports.contexts import Context, WeekCell

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"

# CSS class per status, shared by HTML tables, badges and charts.
STATUS_CLASS: dict[VerdictStatus, str] = {
    VerdictStatus.OK: "ok",
    VerdictStatus.WARNING: "warning",
    VerdictStatus.VETO: "veto",
    VerdictStatus.ZOMBIE: "zombie",
    VerdictStatus.UNKNOWN: "unknown",
    VerdictStatus.EXEMPT: "exempt",
}


def _autoescape(name: str | None) -> bool:
    return not (name or "").endswith((".txt", ".txt.j2"))


@functools.cache
def environment() -> Environment:
    """The shared Environment (templates under reports/templates/, also used for docxtpl)."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=_autoescape,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,  # package files, loaded once per process (no stat per render)
    )
    env.filters.update(
        pct=pct,
        pp=percentage_points,
        signed=signed,
        days=days,
        when=when,
        day=day,
        cn_date=cn_date,
        safe_url=safe_url,
        md=md,
        status_class=status_class,
    )
    env.globals.update(
        trend_svg=charts.trend_svg,
        department_bars_svg=charts.department_bars_svg,
        status_class=status_class,
        week_rows=week_rows,
    )
    return env


@functools.lru_cache(maxsize=16384)
def week_row(cell: WeekCell) -> str:
    """One week row of an account page (the macro in _account_week.html.j2, escaped there),
    rendered once per distinct week cell: cells are frozen values, equal when every fact shown
    is equal, and a county's pages repeat the same few thousand of them hundreds of thousands
    of times."""
    macro = environment().get_template("_account_week.html.j2").module.week_row  # type: ignore[attr-defined]
    return str(macro(cell))


def week_rows(cells: Sequence[WeekCell]) -> Markup:
    """An account page's week rows, newest first, one line each."""
    return Markup("".join([week_row(cell) + "\n" for cell in reversed(cells)]))


def fields(context: Context) -> dict[str, Any]:
    """A context's fields as template variables (shallow: nested models stay models)."""
    return {name: getattr(context, name) for name in type(context).model_fields}


def render(template_name: str, context: Context, **extra: Any) -> str:
    """Render one template with one context."""
    template = environment().get_template(template_name)
    return template.render(**fields(context), **extra)


# ---------------------------------------------------------------------------------------------
# Filters: how numbers, times and text read in a report


def pct(rate: float | None, digits: int = 1) -> str:
    """0.9234 → '92.3%'; None → '—' (nothing was checked, so there is no rate)."""
    if rate is None:
        return "—"
    return f"{rate * 100:.{digits}f}%"


def percentage_points(delta: float | None) -> str:
    """A change of rate in Chinese: '上升1.2个百分点', '下降0.5个百分点', '持平'."""
    if delta is None:
        return "—"
    points = round(delta * 100, 1)
    if points > 0:
        return f"上升{points:.1f}个百分点"
    if points < 0:
        return f"下降{-points:.1f}个百分点"
    return "持平"


def signed(value: int | None) -> str:
    """+3 / −2 / 0 for count changes; None → '—'."""
    if value is None:
        return "—"
    if value > 0:
        return f"+{value}"
    if value < 0:
        return f"−{-value}"
    return "0"


def days(value: float | None) -> str:
    """Whole days silent (`registry.compliance.whole_days`: rounded down); None → '—'."""
    whole = whole_days(value)
    return "—" if whole is None else str(whole)


def when(value: dt.datetime | None) -> str:
    """A local time as '2026-11-28 09:05'; None → '—'."""
    if value is None:
        return "—"
    if value.tzinfo is not None:
        value = value.astimezone(LOCAL_TZ)
    return value.strftime("%Y-%m-%d %H:%M")


def day(value: dt.date | dt.datetime | None) -> str:
    """'2026-11-28'; None → '—'."""
    if value is None:
        return "—"
    if isinstance(value, dt.datetime):
        value = value.astimezone(LOCAL_TZ).date() if value.tzinfo else value.date()
    return value.isoformat()


def cn_date(value: dt.date | None) -> str:
    """'2026年11月28日', the form of official documents."""
    if value is None:
        return "—"
    return f"{value.year}年{value.month}月{value.day}日"


def safe_url(value: str | None) -> str | None:
    """Only http(s) links become links: a platform could hand us `javascript:`."""
    if value and re.match(r"^https?://[^\s\"'<>]+$", value):
        return value
    return None


_MD_SPECIAL = re.compile(r"([\\`*_\[\]{}()#+!|~])")


def md(value: object) -> str:
    """Text made inert for Markdown: specials backslash-escaped, line breaks folded.

    HTML characters are escaped afterwards by autoescape (entities read as text in Markdown)."""
    text = "" if value is None else str(value)
    text = " ".join(text.split())
    return _MD_SPECIAL.sub(r"\\\1", text)


def status_class(status: VerdictStatus | str | None) -> str:
    if status is None:
        return "none"
    return STATUS_CLASS.get(VerdictStatus(status), "none")


def markup(text: str) -> Markup:
    """Mark already-escaped text as safe (charts build their SVG with `escape`)."""
    return Markup(text)
