"""The supervisors' mail about a rendered report, built from that report's own context, so that
every figure in the mail is the one the report prints (合格率 included).

`render_weekly` and `render_notice` (reports/publish.py) call these and hand the result on; the
cycle queues it with the report's location (govmedia/alerts.py `queue_summary`).
"""

from __future__ import annotations

from registry.compliance import whole_days
from registry.constants import VERDICT_SEVERITY
from reports.build import FAILING
from reports.contexts import NoticeContext, WeeklyContext
from reports.notify.render import NoticeMailContext, SummaryContext, SummaryLine
from reports.render import cn_date, pct

ATTENTION = 10  # accounts named in a weekly mail; the report names them all
NAMED = 10  # accounts named in a notice mail


def weekly_mail(ctx: WeeklyContext) -> SummaryContext:
    """The weekly report's headline and its worst accounts."""
    h = ctx.headline
    order = {status: rank for rank, status in enumerate(VERDICT_SEVERITY)}
    failing = sorted(
        (a for d in ctx.departments for a in d.accounts if a.status in FAILING),
        key=lambda a: (order[a.status], -(a.days_silent or 0)),
    )
    return SummaryContext(
        kind="weekly_summary",
        jurisdiction=ctx.jurisdiction,
        period_label=ctx.week_label,
        counts={c.label: c.count for c in h.counts if c.count},
        total=h.monitored,
        flagged=h.flagged,
        attention=[
            SummaryLine(
                name=a.name,
                department=a.department_name,
                status_label=a.status_label,
                days_silent=whole_days(a.days_silent),
            )
            for a in failing[:ATTENTION]
        ],
        pass_rate=pct(h.pass_rate),
        checked=h.checked,
        passed=h.passed,
        failed=h.failed,
        unknown=h.unknown,
    )


def notice_mail(ctx: NoticeContext) -> NoticeMailContext:
    """What the notice says: its period, counts, the accounts it names and the 整改 deadline."""
    named = [
        f"{p.department_name}「{p.account_name}」（{p.platform_label}）{p.problem}"
        for p in [*ctx.veto, *ctx.others][:NAMED]
    ]
    return NoticeMailContext(
        kind="notice_ready",
        jurisdiction=ctx.jurisdiction,
        period_label=ctx.period_label,
        title=ctx.title,
        issued_on=cn_date(ctx.issued_on),
        deadline=cn_date(ctx.deadline),
        units=ctx.units,
        checked=ctx.accounts_checked,
        passed=ctx.accounts_passed,
        failed=ctx.accounts_failed,
        unknown=ctx.accounts_unknown,
        pass_rate=pct(ctx.pass_rate),
        veto=len(ctx.veto),
        others=len(ctx.others),
        named=named,
    )
