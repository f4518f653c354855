"""The new-media figures of the annual government-information-disclosure report (政府信息公开
工作年度报告), and the paragraph that carries them.

Counting rules (a year is the local calendar year):
- accounts at year end: opened on or before 31 December (or, without an opening date, synced by
  then) and not deregistered by then; closing accounts still count;
- units: departments running at least one such account; enrolled units run at least one account
  enrolled in the national (or provincial) supervision platform;
- registrations: accounts opened during the year; closures: accounts deregistered during the year,
  each with its closure certificate (关停证明) number;
- checks run: distinct monitoring time points with stored verdicts in the year, and the verdicts
  and observations made;
- problems found: status changes into veto or zombie during the year; fixed: those followed, by
  the year's end, by a change back to ok, warning or exempt (closed).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, and_, func, select

from registry.cases import Case
from registry.constants import PLATFORM_LABELS, AccountStatus, CaseState, Platform, VerdictStatus
from registry.models import Config
from registry.store import load_cases, observations, status_changes, verdicts
from reports.build import FAILING, Ledger, LedgerAccount, load_ledger
from reports.contexts import AnnualContext, ClosureItem, PlatformCount, RegistrationItem

FIXED = frozenset({VerdictStatus.OK, VerdictStatus.WARNING, VerdictStatus.EXEMPT})


def open_at_year_end(account: LedgerAccount, year_end: dt.date, synced_on: dt.date | None) -> bool:
    opened = account.opened_on or synced_on
    if opened is None or opened > year_end:
        return False
    deregistered = account.closure_date("deregistered_on")
    closed = account.status is AccountStatus.CLOSED and (
        deregistered is None or deregistered <= year_end
    )
    return not closed


def annual_paragraph(ctx: dict[str, object], jurisdiction: str, year: int, as_of: dt.date) -> str:
    by_platform = "、".join(f"{p.label}{p.count}个" for p in ctx["by_platform"])  # type: ignore[attr-defined]
    closures = ctx["closures"]
    with_certificate = ctx["closures_with_certificate"]
    closure_text = f"关停整合账号{len(closures)}个"  # type: ignore[arg-type]
    if closures:
        closure_text += (
            "，均已取得关停证明"
            if with_certificate == len(closures)  # type: ignore[arg-type]
            else f"，其中{with_certificate}个已取得关停证明"
        )
    return (
        f"{year}年，{jurisdiction}持续加强政务新媒体规范管理。截至{as_of.year}年{as_of.month}月"
        f"{as_of.day}日，全县共有政务"
        f"新媒体账号{ctx['accounts_at_year_end']}个"
        + (f"（{by_platform}）" if by_platform else "")
        + f"，现纳入国家、省监管平台共{ctx['units_supervised']}家单位（其中纳入国家平台"
        f"{ctx['units_national']}家、省级平台{ctx['units_provincial']}家）。全年新开设政务新媒体账号"
        f"{len(ctx['registrations'])}个，{closure_text}。"  # type: ignore[arg-type]
        f"全年开展政务新媒体监测检查{ctx['monitoring_points']}次，发现不合格问题"
        f"{ctx['problems_found']}个，已整改{ctx['problems_fixed']}个"
        + (
            f"；建立整改台账跟踪问题{ctx['cases_found']}件，复核整改销号{ctx['cases_fixed']}件。"
            if ctx["cases_found"]
            else "。"
        )
    )


def case_counts(cases: Sequence[Case], year: int, year_end: dt.date, tz: Any) -> dict[str, int]:
    """Cases opened in the year, and of those the ones closed (销号) or overdue by `year_end`."""
    as_of = dt.datetime.combine(year_end + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
    found = [c for c in cases if c.opened_at.astimezone(tz).year == year and c.opened_at < as_of]
    return {
        "cases_found": len(found),
        "cases_fixed": sum(1 for c in found if c.state_at(as_of) is CaseState.CLOSED),
        "cases_overdue": sum(
            1 for c in found if c.overdue_event is not None and c.overdue_event.at < as_of
        ),
    }


def annual_context(
    *,
    config: Config,
    ledger: Ledger,
    year: int,
    synced_on: dict[str, dt.date],
    monitoring_points: int,
    verdict_count: int,
    observation_count: int,
    changes: list[tuple[str, str | None, str, dt.datetime, bool, bool]],
    now: dt.datetime,
    cases: Sequence[Case] = (),
) -> AnnualContext:
    """The figures from loaded facts (pure). `changes` are (account, old, new, at, flag,
    relaunched) status-change rows up to the year's end, oldest first; `cases` the case records
    (整改跟踪), counted as found in the year and, of those, closed by the figures' date."""
    tz = config.tz
    first_day = dt.date(year, 1, 1)
    year_end = min(dt.date(year, 12, 31), now.astimezone(tz).date())
    accounts = [a for a in ledger.accounts.values() if a.in_ledger]
    open_accounts = [a for a in accounts if open_at_year_end(a, year_end, synced_on.get(a.id))]
    per_platform: dict[Platform, int] = defaultdict(int)
    for a in open_accounts:
        per_platform[a.platform] += 1
    by_platform = [
        PlatformCount(platform=p, label=PLATFORM_LABELS[p], count=per_platform[p])
        for p in Platform
        if per_platform[p]
    ]

    def units(pred) -> int:  # noqa: ANN001
        return len({a.department_id for a in open_accounts if pred(a)})

    def dept_name(a: LedgerAccount) -> str:
        dept = ledger.departments.get(a.department_id)
        return dept.name if dept else a.department_id

    registrations = [
        RegistrationItem(
            account_id=a.id,
            name=a.name,
            department_name=dept_name(a),
            platform_label=PLATFORM_LABELS[a.platform],
            opened_on=a.opened_on,
            filed_on=a.filed_on,
        )
        for a in sorted(accounts, key=lambda a: (a.opened_on or year_end, a.id))
        if a.opened_on is not None and first_day <= a.opened_on <= year_end
    ]
    closures = []
    for a in accounts:
        deregistered = a.closure_date("deregistered_on")
        if (
            a.status is AccountStatus.CLOSED
            and deregistered
            and first_day <= deregistered <= year_end
        ):
            closures.append(
                ClosureItem(
                    account_id=a.id,
                    name=a.name,
                    department_name=dept_name(a),
                    platform_label=PLATFORM_LABELS[a.platform],
                    closed_on=deregistered,
                    certificate=a.closure.get("certificate"),
                )
            )
    closures.sort(key=lambda c: (c.closed_on, c.account_id))

    found = fixed = 0
    open_problem: dict[str, bool] = {}
    flagged: set[str] = set()
    relaunched: set[str] = set()
    for account_id, old, new, at, flag, relaunch in changes:
        in_year = at.astimezone(tz).year == year
        new_status = VerdictStatus(new)
        if in_year and flag:
            flagged.add(account_id)
        if in_year and relaunch:
            relaunched.add(account_id)
        failing_before = old is not None and VerdictStatus(old) in FAILING
        if new_status in FAILING and not failing_before:
            if in_year:
                found += 1
                open_problem[account_id] = True
        elif new_status in FIXED and open_problem.get(account_id):
            fixed += 1
            open_problem[account_id] = False

    fields: dict[str, object] = dict(
        accounts_at_year_end=len(open_accounts),
        by_platform=by_platform,
        units_total=units(lambda a: True),
        units_national=units(lambda a: a.national),
        units_provincial=units(lambda a: a.provincial),
        units_supervised=units(lambda a: a.national or a.provincial),
        accounts_national=sum(1 for a in open_accounts if a.national),
        accounts_provincial=sum(1 for a in open_accounts if a.provincial),
        registrations=registrations,
        closures=closures,
        closures_with_certificate=sum(1 for c in closures if c.certificate),
        monitoring_points=monitoring_points,
        verdicts=verdict_count,
        observations=observation_count,
        problems_found=found,
        problems_fixed=fixed,
        **case_counts(cases, year, year_end, tz),
        flagged=len(flagged),
        relaunched=len(relaunched),
    )
    return AnnualContext(
        jurisdiction=config.jurisdiction,
        year=year,
        as_of=year_end,
        paragraph=annual_paragraph(fields, config.jurisdiction, year, year_end),
        generated_at=now.astimezone(tz),
        **fields,  # type: ignore[arg-type]
    )


def build_annual(engine: Engine, config: Config, year: int, *, now: dt.datetime) -> AnnualContext:
    tz = config.tz
    start = dt.datetime(year, 1, 1, tzinfo=tz).astimezone(dt.UTC)
    end = dt.datetime(year + 1, 1, 1, tzinfo=tz).astimezone(dt.UTC)
    from registry.store import accounts as accounts_table

    with engine.connect() as conn:
        ledger = load_ledger(conn)
        synced_on = {
            row.id: row.first_synced_at.astimezone(tz).date()
            for row in conn.execute(select(accounts_table.c.id, accounts_table.c.first_synced_at))
        }
        in_year = and_(verdicts.c.at >= start, verdicts.c.at < end)
        points = conn.execute(
            select(func.count(func.distinct(verdicts.c.at))).where(in_year)
        ).scalar_one()
        verdict_count = conn.execute(
            select(func.count()).select_from(verdicts).where(in_year)
        ).scalar_one()
        observation_count = conn.execute(
            select(func.count())
            .select_from(observations)
            .where(observations.c.at >= start, observations.c.at < end)
        ).scalar_one()
        sc = status_changes.c
        changes = [
            (
                r.account_id,
                r.old_status,
                r.new_status,
                r.at,
                bool(r.flag_shutdown),
                bool(r.relaunched),
            )
            for r in conn.execute(
                select(
                    sc.account_id,
                    sc.old_status,
                    sc.new_status,
                    sc.at,
                    sc.flag_shutdown,
                    sc.relaunched,
                )
                .where(sc.at < end)
                .order_by(sc.at, sc.id)
            )
        ]
        cases = load_cases(conn)
    return annual_context(
        config=config,
        ledger=ledger,
        year=year,
        synced_on=synced_on,
        monitoring_points=points,
        verdict_count=verdict_count,
        observation_count=observation_count,
        changes=changes,
        now=now,
        cases=cases,
    )
