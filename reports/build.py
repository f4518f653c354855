"""Context builders: read the store, ask the compliance rules, and choose the facts a report says.

Each builder returns one typed context (reports/contexts.py); nothing here writes a file.

The monitoring time point of a week (T) is its last second, Sunday 23:59:59 local time: the
verdict at T then sees the whole natural week (`posts_this_week` is that week's count, not the
next one's, as it would be at Monday 00:00), and the 14-day veto window ends with the week.

合格率 (pass rate), after 国办秘函〔2019〕19号: an account passes at T when it posted within the
veto window (ok, or warning — the county's one-week rule is an early alert, not a failure), and
fails when it is veto (单项否决) or zombie. Unknown (无法核验) and exempt (免检) accounts are
counted and listed but are neither passes nor failures: 合格率 = (ok + warning) ÷ (ok + warning +
veto + zombie). The trend uses the same definition at each week's T.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, and_, func, or_, select

from registry.bulk import bulk_allocation
from registry.compliance import (
    Timeline,
    Verdict,
    WeekGrid,
    WeekVerdict,
    rule_condition,
    rule_text,
    shutdown_flag_text,
)
from registry.constants import (
    ACCOUNT_STATUS_LABELS,
    DEPARTMENT_LEVEL_LABELS,
    DOC_CLOSURE,
    DOC_HENAN_EXCEPTION,
    DOC_ONE_ACCOUNT,
    DOC_VETO,
    LOCAL_TZ,
    PLATFORM_LABELS,
    VERDICT_LABELS,
    VERDICT_SEVERITY,
    AccountStatus,
    DepartmentLevel,
    EventKind,
    Platform,
    ReportKind,
    Rule,
    VerdictStatus,
)
from registry.models import Config
from registry.outcome_text import unknown_reason
from registry.store import account_events, accounts, departments, load_cases, posts
from registry.weeks import IsoWeek
from reports.contexts import (
    AccountPageContext,
    AccountRow,
    DepartmentSection,
    Headline,
    LedgerChange,
    ListItem,
    PolicySummary,
    ProblemList,
    Revision,
    RuleNote,
    StatusCount,
    TrendPoint,
    WeekCell,
    WeeklyContext,
)
from reports.render import STATUS_CLASS, pct, when
from reports.render import days as whole_days
from reports.site import Published, account_page, published_report
from reports.source_status import source_statuses

PASSING = frozenset({VerdictStatus.OK, VerdictStatus.WARNING})
FAILING = frozenset({VerdictStatus.VETO, VerdictStatus.ZOMBIE})
CHECKED = PASSING | FAILING
SEVERITY = {status: rank for rank, status in enumerate(VERDICT_SEVERITY)}

LEVEL_LABELS = DEPARTMENT_LEVEL_LABELS

PASS_RATE_DEFINITION = (
    "合格率＝合格账号数÷有效核验账号数。监测时间点前{veto}天内有更新的账号为合格（含“预警”："
    "{warning}但未满{veto}天，按本县最少一周更新一次的要求提醒，不计为不合格）；"
    "{veto_condition}（单项否决，{doc_veto}）或{zombie_condition}（僵尸账号）的为不合格；"
    "无法核验（采集失败，不作为未更新处理）和免检（已关停、关停中已发停更公告、新开设未满"
    "{grace}天）的账号不计入分母。"
)


def week_point(week: IsoWeek, tz: ZoneInfo) -> dt.datetime:
    """T of a week: Sunday 23:59:59 local (aware)."""
    return week.end(tz) - dt.timedelta(seconds=1)


def last_closed_week(now: dt.datetime, tz: ZoneInfo) -> IsoWeek:
    """The latest week that has ended at `now` (the default of `report weekly`)."""
    return IsoWeek.containing(now, tz).previous()


def pass_rate(passed: int, checked: int) -> float | None:
    return passed / checked if checked else None


def policy_summary(config: Config) -> PolicySummary:
    p = config.policy
    return PolicySummary(
        warn_after_days=p.warn_after_days,
        veto_after_days=p.veto_after_days,
        zombie_after_days=p.zombie_after_days,
        min_posts_per_week=p.min_posts_per_week,
        flag_after_weeks=p.flag_after_weeks,
    )


def pass_rate_definition(config: Config) -> str:
    p = config.policy
    return PASS_RATE_DEFINITION.format(
        veto=p.veto_after_days,
        warning=rule_condition(p, Rule.CADENCE_WARNING),
        veto_condition=rule_condition(p, Rule.VETO),
        zombie_condition=rule_condition(p, Rule.ZOMBIE),
        grace=p.new_account_grace_days,
        doc_veto=DOC_VETO,
    )


def rule_notes(config: Config) -> list[RuleNote]:
    p = config.policy
    notes = [
        (VerdictStatus.OK, *rule_text(p, Rule.CADENCE_OK)),
        (VerdictStatus.WARNING, *rule_text(p, Rule.CADENCE_WARNING)),
        (VerdictStatus.VETO, *rule_text(p, Rule.VETO)),
        (VerdictStatus.ZOMBIE, *rule_text(p, Rule.ZOMBIE)),
        (VerdictStatus.UNKNOWN, *rule_text(p, Rule.UNKNOWN)),
        (VerdictStatus.EXEMPT, "已关停、关停中且已发布停更公告，或新开设暂无更新", DOC_CLOSURE),
    ]
    return [
        RuleNote(status=s, label=VERDICT_LABELS[s], rule=rule, basis=basis)
        for s, rule, basis in notes
    ]


def issuer(config: Config) -> str:
    return config.reports.issuer or f"{config.jurisdiction}人民政府办公室"


# ---------------------------------------------------------------------------------------------
# The ledger as stored


@dataclass(frozen=True)
class LedgerAccount:
    """An account row of the store, with the parts of its config data reports need."""

    id: str
    department_id: str
    name: str
    platform: Platform
    identifier: str | None
    status: AccountStatus
    opened_on: dt.date | None
    filed_on: dt.date | None
    national: bool
    provincial: bool
    owner_name: str | None
    owner_phone: str | None
    owner_email: str | None
    in_ledger: bool
    exception_basis: str | None = None
    closure: Mapping[str, Any] = field(default_factory=dict)

    def closure_date(self, name: str) -> dt.date | None:
        value = self.closure.get(name)
        return dt.date.fromisoformat(value) if isinstance(value, str) else value


@dataclass(frozen=True)
class LedgerDepartment:
    id: str
    name: str
    level: DepartmentLevel
    contact: Mapping[str, Any] | None
    in_ledger: bool


@dataclass(frozen=True)
class Ledger:
    departments: dict[str, LedgerDepartment]
    accounts: dict[str, LedgerAccount]


def load_ledger(conn: Connection) -> Ledger:
    """Departments and accounts as last synced (removed ones kept, marked not in the ledger)."""
    depts = {
        row.id: LedgerDepartment(
            id=row.id,
            name=row.name,
            level=DepartmentLevel(row.level),
            contact=row.contact,
            in_ledger=bool(row.in_ledger),
        )
        for row in conn.execute(select(departments))
    }
    accts: dict[str, LedgerAccount] = {}
    a = accounts.c
    columns = (
        a.id,
        a.department_id,
        a.name,
        a.platform,
        a.identifier,
        a.status,
        a.opened_on,
        a.filed_on,
        a.national,
        a.provincial,
        a.owner_name,
        a.owner_phone,
        a.owner_email,
        a.in_ledger,
        a.data,
    )  # not the sync instants: a county's worth of timestamps parsed for nothing
    for row in conn.execute(select(*columns)):
        data = row.data or {}
        accts[row.id] = LedgerAccount(
            id=row.id,
            department_id=row.department_id,
            name=row.name,
            platform=Platform(row.platform),
            identifier=row.identifier,
            status=AccountStatus(row.status),
            opened_on=row.opened_on,
            filed_on=row.filed_on,
            national=bool(row.national),
            provincial=bool(row.provincial),
            owner_name=row.owner_name,
            owner_phone=row.owner_phone,
            owner_email=row.owner_email,
            in_ledger=bool(row.in_ledger),
            exception_basis=data.get("exception_basis"),
            closure=data.get("closure") or {},
        )
    return Ledger(depts, accts)


@dataclass(frozen=True)
class LedgerEvent:
    account_id: str
    kind: EventKind
    old_status: str | None
    new_status: str | None
    at: dt.datetime
    reason: str | None
    initial: bool  # part of the store's first sync: the ledger's import, not news


def load_events(conn: Connection, start: dt.datetime, end: dt.datetime) -> list[LedgerEvent]:
    """Registrations and status changes recorded in [start, end)."""
    first = conn.execute(
        select(account_events.c.at)
        .where(account_events.c.kind == EventKind.REGISTERED.value)
        .order_by(account_events.c.at)
        .limit(1)
    ).scalar()
    rows = conn.execute(
        select(account_events)
        .where(
            and_(
                account_events.c.at >= start,
                account_events.c.at < end,
                account_events.c.kind.in_(
                    [EventKind.REGISTERED.value, EventKind.STATUS_CHANGED.value]
                ),
            )
        )
        .order_by(account_events.c.at, account_events.c.id)
    )
    return [
        LedgerEvent(
            account_id=row.account_id,
            kind=EventKind(row.kind),
            old_status=row.old_status,
            new_status=row.new_status,
            at=row.at,
            reason=row.reason,
            initial=row.kind == EventKind.REGISTERED.value and row.at == first,
        )
        for row in rows
    ]


def load_recent_posts(
    conn: Connection, at: dt.datetime, limit: int = 5
) -> dict[str, list[tuple[dt.datetime, str | None, str | None]]]:
    """Each account's latest `limit` posts at or before `at`, newest first, in one statement
    (the index on account and publish time serves each account's inner query)."""
    inner = (
        select(posts.c.id)
        .where(and_(posts.c.account_id == accounts.c.id, posts.c.published_at <= at))
        .order_by(posts.c.published_at.desc())
        .limit(limit)
        .correlate(accounts)
        .scalar_subquery()
    )
    query = (
        select(posts.c.account_id, posts.c.published_at, posts.c.title, posts.c.url)
        .select_from(accounts.join(posts, posts.c.id.in_(inner)))
        .order_by(posts.c.account_id, posts.c.published_at.desc())
    )
    out: dict[str, list[tuple[dt.datetime, str | None, str | None]]] = defaultdict(list)
    for account_id, published_at, title, url in conn.execute(query):
        out[account_id].append((published_at, title, url))
    return out


# ---------------------------------------------------------------------------------------------
# Assembly: pure functions of the facts


def _local(value: dt.datetime | None, tz: ZoneInfo) -> dt.datetime | None:
    return value.astimezone(tz) if value is not None else None


def verdict_detail(verdict: Verdict, tz: ZoneInfo) -> str:
    """The verdict's detail in the words of a report (Simplified Chinese throughout).

    An unknown verdict's detail, worded by the rules for `check`, quotes the spider's English
    text: a report says `registry.outcome_text.unknown_reason` instead (`failure_note`). Other
    details (the rules' own Chinese) are kept as they are."""
    if verdict.status is VerdictStatus.UNKNOWN:
        return unknown_reason(verdict.detail, verdict.last_failure, tz)
    return verdict.detail or ""


def account_row(
    verdict: Verdict,
    account: LedgerAccount,
    department: LedgerDepartment | None,
    tz: ZoneInfo,
    *,
    missed_weeks: int | None = None,
    flag_shutdown: bool | None = None,
) -> AccountRow:
    detail = verdict_detail(verdict, tz)
    flag_reason = getattr(verdict, "flag_reason", None)
    flag = verdict.flag_shutdown if flag_shutdown is None else flag_shutdown
    if flag and flag_reason and flag_reason not in detail:
        detail = f"{detail}；{flag_reason}" if detail else flag_reason
    return AccountRow(
        account_id=account.id,
        name=account.name,
        department_id=account.department_id,
        department_name=department.name if department else account.department_id,
        platform=account.platform,
        platform_label=PLATFORM_LABELS[account.platform],
        ledger_status=account.status,
        ledger_status_label=ACCOUNT_STATUS_LABELS[account.status],
        status=verdict.status,
        status_label=VERDICT_LABELS[verdict.status],
        last_post_at=_local(verdict.last_post_at, tz),
        days_silent=verdict.days_silent,
        posts_7d=verdict.posts_7d,
        posts_this_week=verdict.posts_this_week,
        missed_weeks=verdict.missed_weeks if missed_weeks is None else missed_weeks,
        flag_shutdown=flag,
        relaunched=verdict.relaunched,
        rule=verdict.rule,
        basis=verdict.basis,
        detail=detail,
        owner_name=account.owner_name,
        owner_phone=account.owner_phone,
        owner_email=account.owner_email,
        opened_on=account.opened_on,
        filed_on=account.filed_on,
        national=account.national,
        provincial=account.provincial,
        page=account_page(account.id),
    )


def _worst_first(row: AccountRow) -> tuple[int, bool, float, str]:
    return (
        SEVERITY[row.status],
        not row.flag_shutdown,
        -(row.days_silent or 0.0),
        row.account_id,
    )


def tally(statuses: Iterable[VerdictStatus]) -> Counter[VerdictStatus]:
    return Counter(statuses)


def rate_of(counts: Mapping[VerdictStatus, int]) -> tuple[int, int, float | None]:
    passed = sum(counts.get(s, 0) for s in PASSING)
    checked = sum(counts.get(s, 0) for s in CHECKED)
    return passed, checked, pass_rate(passed, checked)


def headline(rows: Sequence[AccountRow], previous: Mapping[VerdictStatus, int] | None) -> Headline:
    """The figures at the top; `previous`: accounts by status at the last week's T (None: the
    last week was never checked, so there is nothing to compare with)."""
    counts = tally(r.status for r in rows)
    passed, checked, rate = rate_of(counts)
    prev_counts = previous
    prev_rate = rate_of(prev_counts)[2] if prev_counts is not None else None
    return Headline(
        monitored=len(rows),
        checked=checked,
        passed=passed,
        failed=sum(counts.get(s, 0) for s in FAILING),
        unknown=counts.get(VerdictStatus.UNKNOWN, 0),
        exempt=counts.get(VerdictStatus.EXEMPT, 0),
        pass_rate=rate,
        previous_pass_rate=prev_rate,
        pass_rate_delta=(rate - prev_rate) if rate is not None and prev_rate is not None else None,
        monitored_delta=len(rows) - sum(previous.values()) if previous is not None else None,
        flagged=sum(1 for r in rows if r.flag_shutdown),
        relaunched=sum(1 for r in rows if r.relaunched),
        counts=[
            StatusCount(
                status=s,
                label=VERDICT_LABELS[s],
                count=counts.get(s, 0),
                previous=prev_counts.get(s, 0) if prev_counts is not None else None,
                delta=counts.get(s, 0) - prev_counts.get(s, 0) if prev_counts is not None else None,
            )
            for s in VERDICT_SEVERITY
        ],
    )


def trend_point(week: IsoWeek, counts: Mapping[VerdictStatus, int]) -> TrendPoint:
    passed, checked, rate = rate_of(counts)
    return TrendPoint(
        week=str(week), label=f"W{week.week:02d}", pass_rate=rate, checked=checked, passed=passed
    )


def department_sections(
    rows: Sequence[AccountRow], ledger: Ledger, order: Sequence[str]
) -> list[DepartmentSection]:
    """One section per department in ledger order, accounts worst first."""
    grouped: dict[str, list[AccountRow]] = defaultdict(list)
    for row in rows:
        grouped[row.department_id].append(row)
    known = [d for d in order if d in grouped] + sorted(set(grouped) - set(order))
    sections = []
    for dept_id in known:
        items = sorted(grouped[dept_id], key=_worst_first)
        counts = tally(r.status for r in items)
        passed, checked, rate = rate_of(counts)
        dept = ledger.departments.get(dept_id)
        contact = None
        if dept and dept.contact:
            contact = " ".join(
                str(v) for v in (dept.contact.get("name"), dept.contact.get("phone")) if v
            )
        sections.append(
            DepartmentSection(
                department_id=dept_id,
                name=dept.name if dept else dept_id,
                level_label=LEVEL_LABELS[dept.level] if dept else "—",
                contact=contact or None,
                accounts=items,
                monitored=len(items),
                checked=checked,
                passed=passed,
                failed=sum(counts.get(s, 0) for s in FAILING),
                unknown=counts.get(VerdictStatus.UNKNOWN, 0),
                pass_rate=rate,
            )
        )
    return sections


def _silence_note(row: AccountRow) -> str:
    if row.days_silent is None:
        return "未发现任何更新"
    return f"已连续{whole_days(row.days_silent)}天未更新"


def problem_lists(rows: Sequence[AccountRow], ledger: Ledger, config: Config) -> list[ProblemList]:
    """The weekly report's lists, each worst first."""
    p = config.policy
    ordered = sorted(rows, key=_worst_first)

    def rule(key: Rule) -> dict[str, str]:
        """The rule's text and document, from the one place the rules are worded."""
        text, basis = rule_text(p, key)
        return {"rule": text, "basis": basis}

    def items(pred: Any, note: Any) -> list[ListItem]:
        return [ListItem(account=r, note=note(r)) for r in ordered if pred(r)]

    def with_detail(r: AccountRow) -> str:
        return f"{_silence_note(r)}；{r.detail}" if r.detail else _silence_note(r)

    def unenrolled_note(r: AccountRow) -> str:
        missing = [n for n, ok in (("国家", r.national), ("省级", r.provincial)) if not ok]
        return f"未纳入{'、'.join(missing)}监管平台"

    active = {AccountStatus.ACTIVE, AccountStatus.CLOSING}
    return [
        ProblemList(
            key="veto",
            title="单项否决",
            **rule(Rule.VETO),
            items=items(lambda r: r.status is VerdictStatus.VETO, with_detail),
        ),
        ProblemList(
            key="warning",
            title="更新预警",
            **rule(Rule.CADENCE_WARNING),
            items=items(lambda r: r.status is VerdictStatus.WARNING, with_detail),
        ),
        ProblemList(
            key="zombie",
            title="僵尸账号",
            **rule(Rule.ZOMBIE),
            items=items(lambda r: r.status is VerdictStatus.ZOMBIE, with_detail),
        ),
        ProblemList(
            key="unknown",
            title="无法核验",
            **rule(Rule.UNKNOWN),
            items=items(
                lambda r: r.status is VerdictStatus.UNKNOWN, lambda r: r.detail or "原因不明"
            ),
        ),
        ProblemList(
            key="flagged",
            title="应申请关停",
            **dict(zip(("rule", "basis"), shutdown_flag_text(p), strict=True)),
            items=items(
                lambda r: r.flag_shutdown,
                lambda r: (
                    f"连续{r.missed_weeks}周未达标；{_silence_note(r)}"
                    + (f"；{r.detail}" if r.detail else "")
                ),
            ),
        ),
        ProblemList(
            key="relaunched",
            title="已关停账号违规复开",
            **rule(Rule.RELAUNCHED),
            items=items(lambda r: r.relaunched, lambda r: r.detail or "注销后仍有更新"),
        ),
        ProblemList(
            key="unfiled",
            title="未报备登记",
            rule="账号开设后应报备登记（全国政务新媒体信息报送系统）",
            basis=DOC_ONE_ACCOUNT,
            items=items(
                lambda r: r.filed_on is None and r.ledger_status in active,
                lambda r: (
                    f"开设于{r.opened_on.isoformat()}，尚未报备" if r.opened_on else "尚未报备"
                ),
            ),
        ),
        ProblemList(
            key="unenrolled",
            title="未纳入监管平台",
            rule="账号应纳入国家、省政务新媒体监管平台",
            basis=f"{DOC_ONE_ACCOUNT}；{DOC_HENAN_EXCEPTION}",
            items=items(
                lambda r: (
                    r.ledger_status is AccountStatus.ACTIVE and not (r.national and r.provincial)
                ),
                unenrolled_note,
            ),
        ),
    ]


def ledger_changes(
    events: Sequence[LedgerEvent],
    ledger: Ledger,
    week: IsoWeek,
    tz: ZoneInfo,
) -> tuple[list[LedgerChange], list[LedgerChange]]:
    """Accounts registered and accounts closed during the week.

    Registered: a `registered` ledger event in the week (the store's first sync is the ledger's
    import, not news). Closed: a status change to closed recorded in the week, or a
    deregistration date (closure.deregistered_on) inside the week."""
    registered: dict[str, LedgerChange] = {}
    closed: dict[str, LedgerChange] = {}

    def change(account: LedgerAccount, on: dt.date, note: str) -> LedgerChange:
        dept = ledger.departments.get(account.department_id)
        return LedgerChange(
            account_id=account.id,
            name=account.name,
            department_name=dept.name if dept else account.department_id,
            platform_label=PLATFORM_LABELS[account.platform],
            on=on,
            note=note,
            page=account_page(account.id),
        )

    def closure_note(account: LedgerAccount, reason: str | None) -> str:
        certificate = account.closure.get("certificate")
        parts = [reason or account.closure.get("reason") or "已关停"]
        parts.append(f"关停证明：{certificate}" if certificate else "尚无关停证明编号")
        return "；".join(str(p) for p in parts)

    for event in events:
        account = ledger.accounts.get(event.account_id)
        if account is None:
            continue
        day = event.at.astimezone(tz).date()
        if event.kind is EventKind.REGISTERED and not event.initial:
            filed = (
                f"已于{account.filed_on.isoformat()}报备" if account.filed_on else "尚未报备登记"
            )
            opened = f"开设于{account.opened_on.isoformat()}；" if account.opened_on else ""
            registered[account.id] = change(account, day, opened + filed)
        if event.new_status == AccountStatus.CLOSED.value:
            on = account.closure_date("deregistered_on") or day
            closed[account.id] = change(account, on, closure_note(account, event.reason))
    monday, sunday = week.monday(), week.sunday()
    for account in ledger.accounts.values():
        deregistered = account.closure_date("deregistered_on")
        if (
            account.status is AccountStatus.CLOSED
            and deregistered is not None
            and monday <= deregistered <= sunday
            and account.id not in closed
        ):
            closed[account.id] = change(account, deregistered, closure_note(account, None))
    by_day = lambda c: (c.on, c.department_name, c.account_id)  # noqa: E731
    return sorted(registered.values(), key=by_day), sorted(closed.values(), key=by_day)


# ---------------------------------------------------------------------------------------------
# Facts from the compliance area


class Evaluator:
    """Every account's timeline, loaded once from the store, asked at many time points.

    A weekly report loads its facts once: the verdicts at its T (stored, as `check` stores them),
    the trend's points never checked, the week's runs and the site's weeks all come from the same
    load, so no part of a report can disagree with another. The trend's earlier points and the
    weeks are computed without storing anything: a report never writes history it did not
    witness."""

    def __init__(self, config: Config, timelines: dict[str, Timeline]) -> None:
        self.config = config
        self.timelines = timelines

    @classmethod
    def load(
        cls, engine: Engine, config: Config, *, upto: dt.datetime, since: dt.datetime
    ) -> Evaluator:
        """Facts for time points in [since, upto] (`since`: the earliest week start needed)."""
        from registry.verdicts import load_facts

        with bulk_allocation():
            with engine.connect() as conn:
                facts = load_facts(
                    conn,
                    config.policy,
                    upto=upto.astimezone(dt.UTC),
                    since=since.astimezone(dt.UTC),
                )
            timelines = {
                account.id: Timeline(
                    config.policy,
                    account,
                    facts.posts.get(account.id, ()),
                    facts.observations.get(account.id, ()),
                    config.tz,
                    presorted=True,
                )
                for account in facts.accounts
            }
        return cls(config, timelines)

    def statuses_at(self, at: dt.datetime) -> dict[str, VerdictStatus]:
        return {account_id: t.verdict(at).status for account_id, t in self.timelines.items()}

    def verdicts_at(self, at: dt.datetime) -> dict[str, Verdict]:
        return {account_id: t.verdict(at) for account_id, t in self.timelines.items()}

    def weeks(
        self, weeks: Sequence[IsoWeek], accounts: Iterable[str] | None = None
    ) -> dict[str, list[WeekVerdict]]:
        """The natural weeks of every account (or of `accounts`, those with a timeline)."""
        grid = WeekGrid(sorted(weeks), self.config.tz)
        timelines = self.timelines
        ids = timelines if accounts is None else [a for a in accounts if a in timelines]
        with bulk_allocation():
            return {
                account_id: timelines[account_id].week_verdicts(grid, None) for account_id in ids
            }


def store_report_verdicts(engine: Engine, verdicts: Sequence[Verdict], at: dt.datetime) -> None:
    """The report's verdicts at T, stored as `registry.verdicts.check` stores them (upserted,
    status changes recorded). They are computed from the report's own facts instead of a second
    load: `load_facts` is exact for any point in [since, upto], so they are the verdicts `check`
    would compute (tests/test_report_weekly.py checks that `check` then finds nothing to change).
    """
    from registry.verdicts import store_verdicts

    store_verdicts(engine, verdicts, at.astimezone(dt.UTC), now=dt.datetime.now(dt.UTC))


@dataclass
class ComplianceFacts:
    """What the compliance rules said: verdicts at T, at the trend's points, and weeks."""

    at: dt.datetime
    verdicts: dict[str, Verdict]
    previous: Mapping[VerdictStatus, int] | None  # accounts by status at the last week's T
    trend: list[tuple[IsoWeek, Mapping[VerdictStatus, int]]]  # accounts by status at each T
    history: dict[str, list[WeekVerdict]]


def weekly_context(
    *,
    config: Config,
    ledger: Ledger,
    week: IsoWeek,
    facts: ComplianceFacts,
    events: Sequence[LedgerEvent],
    now: dt.datetime,
    cases: Sequence[Any] = (),
) -> WeeklyContext:
    """The weekly report's context from facts already loaded (pure: no store, no clock).
    `cases` (registry.cases.Case) are listed open or overdue as they stand at `now`."""
    from reports.cases import open_and_overdue

    tz = config.tz
    cases_open, cases_overdue = open_and_overdue(cases, ledger, now, tz)
    rows = []
    for account_id, verdict in facts.verdicts.items():
        account = ledger.accounts.get(account_id)
        if account is None:
            continue
        this_week = _week_of(facts.history.get(account_id, ()), week)
        rows.append(
            account_row(
                verdict,
                account,
                ledger.departments.get(account.department_id),
                tz,
                missed_weeks=this_week.missed_run if this_week else None,
                flag_shutdown=(verdict.flag_shutdown or this_week.flag_shutdown)
                if this_week
                else None,
            )
        )
    order = [d.id for d in config.departments]
    registered, closed = ledger_changes(events, ledger, week, tz)
    return WeeklyContext(
        jurisdiction=config.jurisdiction,
        title=f"{config.jurisdiction}政务新媒体监测周报",
        week=str(week),
        week_label=week.label(),
        period_start=week.monday(),
        period_end=week.sunday(),
        at=facts.at.astimezone(tz),
        generated_at=now.astimezone(tz),
        issuer=issuer(config),
        site_url=config.reports.site_url,
        policy=policy_summary(config),
        pass_rate_definition=pass_rate_definition(config),
        rules=rule_notes(config),
        headline=headline(rows, facts.previous),
        trend=[trend_point(w, counts) for w, counts in facts.trend],
        departments=department_sections(rows, ledger, order),
        lists=problem_lists(rows, ledger, config),
        registered=registered,
        closed=closed,
        cases_open=cases_open,
        cases_overdue=cases_overdue,
    )


def _week_of(history: Sequence[WeekVerdict], week: IsoWeek) -> WeekVerdict | None:
    for item in reversed(history):  # the report's week is the last one computed
        if item.week == week:
            return item
    return None


def iter_account_pages(
    ctx: WeeklyContext,
    ledger: Ledger,
    history: Mapping[str, Sequence[WeekVerdict]],
    recent: Mapping[str, Sequence[tuple[dt.datetime, str | None, str | None]]],
    weeks: Sequence[IsoWeek],
    tz: ZoneInfo,
    rows: Iterable[AccountRow] | None = None,
) -> Iterator[AccountPageContext]:
    """One page context per account of the report (or per row of `rows`), with its weeks
    (oldest first), one at a time: a county's pages are written as they are built, never all
    held at once."""
    # Tens of thousands of pages × 26 weeks: a week cell is an immutable value, and most accounts
    # share most of theirs (same week, count and status), so equal cells are one shared object.
    weeks = sorted(weeks)
    labels = [(str(w), f"W{w.week:02d}", w.monday()) for w in weeks]
    cells: dict[tuple[Any, ...], WeekCell] = {}

    def cell(index: int, wv: WeekVerdict | None) -> WeekCell:
        key = (
            (index, wv.posts, wv.met_cadence, wv.worst_status, wv.missed_run, wv.flag_shutdown)
            if wv
            else (index,)
        )
        found = cells.get(key)
        if found is None:
            name, label, monday = labels[index]
            found = cells[key] = (
                WeekCell(
                    week=name,
                    label=label,
                    monday=monday,
                    posts=wv.posts,
                    met_cadence=wv.met_cadence,
                    status=wv.worst_status,
                    status_label=VERDICT_LABELS[wv.worst_status],
                    css=STATUS_CLASS[wv.worst_status],
                    missed_run=wv.missed_run,
                    flag_shutdown=wv.flag_shutdown,
                )
                if wv
                else WeekCell(
                    week=name,
                    label=label,
                    monday=monday,
                    posts=0,
                    met_cadence=None,
                    status=None,
                    status_label="无数据",
                    css="none",
                    missed_run=0,
                    flag_shutdown=False,
                )
            )
        return found

    indexes = range(len(weeks))
    for row in report_rows(ctx) if rows is None else rows:
        account = ledger.accounts[row.account_id]
        items = history.get(row.account_id, [])
        if len(items) == len(weeks):  # the usual case: one verdict per week, in order
            aligned: Sequence[WeekVerdict | None] = items
        else:
            by_week = {w.week: w for w in items}
            aligned = [by_week.get(w) for w in weeks]
        yield AccountPageContext(
            jurisdiction=ctx.jurisdiction,
            account=row,
            identifier=account.identifier,
            exception_basis=account.exception_basis,
            weeks=[cell(i, wv) for i, wv in zip(indexes, aligned, strict=True)],
            recent_posts=[  # validated into PostRow by the page's own validation
                {"published_at": at.astimezone(tz), "title": title, "url": url}
                for at, title, url in recent.get(row.account_id, ())
            ],
            report_week=ctx.week,
            root="../",
            generated_at=ctx.generated_at,
        )


def report_rows(ctx: WeeklyContext) -> list[AccountRow]:
    """Every account of the report, department by department."""
    return [row for dept in ctx.departments for row in dept.accounts]


def account_pages(
    ctx: WeeklyContext,
    ledger: Ledger,
    history: Mapping[str, Sequence[WeekVerdict]],
    recent: Mapping[str, Sequence[tuple[dt.datetime, str | None, str | None]]],
    weeks: Sequence[IsoWeek],
    tz: ZoneInfo,
) -> list[AccountPageContext]:
    """Every account's page context (`iter_account_pages`, as a list)."""
    return list(iter_account_pages(ctx, ledger, history, recent, weeks, tz))


# ---------------------------------------------------------------------------------------------
# The weekly report from the store


@dataclass
class WeeklyBuild:
    """The weekly report's context and what the site's account pages need beside it."""

    context: WeeklyContext
    ledger: Ledger
    history: dict[str, list[WeekVerdict]]  # the report's week
    history_weeks: list[IsoWeek]  # the site's weeks for each account page, oldest first
    # The report's facts, kept (with `site_weeks`) for the account pages' weeks; `site_history`
    # releases them.
    evaluator: Evaluator | None = None
    unstored: list[Verdict] | None = None  # the verdicts at T, when built with store=False

    def store(self, engine: Engine) -> None:
        """Store the verdicts at T that `build_weekly(store=False)` left unstored."""
        if self.unstored is not None:
            store_report_verdicts(engine, self.unstored, self.context.at)  # T
            self.unstored = None


def stored_counts(
    engine: Engine, points: Sequence[dt.datetime]
) -> dict[dt.datetime, Counter[VerdictStatus]]:
    """Accounts by status at each of these time points, as earlier weekly reports or checks
    stored them (counted by the database: the trend needs no single verdict)."""
    from registry.store import verdicts as verdicts_table

    wanted = {p.astimezone(dt.UTC).replace(tzinfo=None): p for p in points}
    out: dict[dt.datetime, Counter[VerdictStatus]] = {}
    v, a = verdicts_table.c, accounts.c
    first_sync = select(func.min(a.first_synced_at)).scalar_subquery()
    with engine.connect() as conn:
        rows = conn.execute(
            select(v.at, v.status, func.count())
            .join(accounts, a.id == v.account_id)
            .where(
                v.at.in_([p.astimezone(dt.UTC) for p in points]),
                # The ledger at that T (see `registered_after`).
                or_(a.first_synced_at <= v.at, a.first_synced_at <= first_sync),
            )
            .group_by(v.at, v.status)
        )
        for at, status, count in rows:
            key = wanted.get(at.astimezone(dt.UTC).replace(tzinfo=None) if at.tzinfo else at)
            if key is not None:
                out.setdefault(key, Counter())[VerdictStatus(status)] += count
    return out


# What a weekly report's figures are called, in the order a revision note lists them.
FIGURE_LABELS: dict[str, str] = {
    "pass_rate": "合格率",
    "monitored": "监测账号",
    "checked": "有效核验",
    "passed": "合格",
    "failed": "不合格",
    "unknown": "无法核验",
    "exempt": "免检",
    "flagged": "应申请关停",
    "relaunched": "已关停复开",
}


def weekly_figures(headline: Headline) -> dict[str, Any]:
    """What a weekly report said, as recorded with it (`reports.figures`)."""
    return {key: getattr(headline, key) for key in FIGURE_LABELS}


def revision(published: Published | None, figures: Mapping[str, Any]) -> Revision | None:
    """修订: how `figures` differ from what the report first published, or None if they agree
    (pure). A rate is compared as printed (to 0.1%), so float noise is never a revision."""
    if published is None:
        return None
    changes = []
    for key, label in FIGURE_LABELS.items():
        if key not in published.figures:
            continue
        old, new = published.figures[key], figures.get(key)
        if key == "pass_rate":
            if pct(old) != pct(new):
                changes.append(f"{label} {pct(old)} → {pct(new)}")
        elif old != new:
            changes.append(f"{label} {old}个 → {new}个")
    if not changes:
        return None
    first = published.at.astimezone(LOCAL_TZ)
    text = (
        f"本周报于{when(first)}首次发布；此后补充采集的观测记录改变了本周监测时间点的核验结果："
        f"{'；'.join(changes)}。本版为修订版，以本版为准。"
    )
    return Revision(first_rendered_at=first, changes=changes, text=text)


def registered_after(conn: Connection, at: dt.datetime) -> set[str]:
    """Accounts not yet in the ledger at `at`: first synced into the store after it. The ledger
    the store began with is the baseline, for earlier weeks too (a store set up today reports
    last week), so accounts of the first sync always count. A week's figures are those of its
    own T: an account registered later never enters them."""
    a = accounts.c
    first = conn.execute(select(func.min(a.first_synced_at))).scalar()
    if first is None:
        return set()
    cut = max(at.astimezone(dt.UTC), first)
    return set(conn.execute(select(a.id).where(a.first_synced_at > cut)).scalars())


def build_weekly(
    engine: Engine,
    config: Config,
    week: IsoWeek,
    *,
    now: dt.datetime,
    site_weeks: bool = False,
    store: bool = True,
    logins: Path | None = None,
) -> WeeklyBuild:
    """Check at the week's T (stored), then gather the trend and the week's runs, and assemble.

    The facts are loaded once: the verdicts at T, the trend's points never checked and the
    week's runs all come from them; with `site_weeks` they reach back far enough for every
    account's last `reports.history_weeks` weeks too, and are kept for the site's account pages
    (`site_history`). The trend reads the counts
    stored at each earlier week's T (what that week's report said); a week never checked is
    computed now, from the same rules, without storing anything. With `store=False` the
    verdicts at T are left for the caller to store (`WeeklyBuild.store`), after it has started
    the writers that need only the context."""
    tz = config.tz
    at = week_point(week, tz)
    trend_weeks = week.back(config.reports.trend_weeks)
    earlier = [w for w in trend_weeks if w != week]
    if week.previous() not in earlier:
        earlier.append(week.previous())
    stored = stored_counts(engine, [week_point(w, tz) for w in earlier])
    missing = [w for w in earlier if week_point(w, tz) not in stored]
    site = week.back(config.reports.history_weeks)
    first = min([*(site if site_weeks else [week]), *missing])
    # Facts from a week before the earliest point computed here: enough for every silence,
    # run and count those points need (the loader keeps each account's earlier edges).
    evaluator = Evaluator.load(
        engine, config, upto=at, since=first.start(tz) - dt.timedelta(days=7)
    )
    every = evaluator.verdicts_at(at)  # stored whole, as `check --at T` stores them
    if store:
        store_report_verdicts(engine, list(every.values()), at)
    with engine.connect() as conn:
        later = registered_after(conn, at)
        later_at = {w: registered_after(conn, week_point(w, tz)) for w in missing}
    verdicts = {k: v for k, v in every.items() if k not in later}
    for w in missing:
        statuses = evaluator.statuses_at(week_point(w, tz))
        stored[week_point(w, tz)] = tally(s for k, s in statuses.items() if k not in later_at[w])
    history = evaluator.weeks([week])
    trend = [
        (
            w,
            tally(v.status for v in verdicts.values()) if w == week else stored[week_point(w, tz)],
        )
        for w in trend_weeks
    ]
    previous = stored[week_point(week.previous(), tz)]
    with engine.connect() as conn:
        ledger = load_ledger(conn)
        events = load_events(conn, week.start(tz), week.end(tz))
        cases = load_cases(conn)
    facts = ComplianceFacts(
        at=at, verdicts=verdicts, previous=previous, trend=trend, history=history
    )
    context = weekly_context(
        config=config, ledger=ledger, week=week, facts=facts, events=events, now=now, cases=cases
    )
    revised = revision(
        published_report(engine, ReportKind.WEEKLY, str(week)), weekly_figures(context.headline)
    )
    if revised is not None:
        context = context.model_copy(update={"revision": revised})
    context = context.model_copy(
        update={"sources": source_statuses(engine, config, now=now, logins=logins)}
    )
    from reports.discovery import discovery_context

    context = context.model_copy(update={"discovery": discovery_context(engine, config, week)})
    return WeeklyBuild(
        context,
        ledger,
        history,
        site,
        evaluator if site_weeks else None,
        None if store else list(every.values()),
    )


@dataclass
class SiteInputs:
    """What the site's account pages need beside the report, read from the store before any
    worker process starts: a worker computes its share of the pages from these alone and never
    touches the store."""

    context: WeeklyContext
    ledger: Ledger
    evaluator: Evaluator  # the report's own facts (or, for an older build, loaded for the site)
    recent: dict[str, list[tuple[dt.datetime, str | None, str | None]]]
    weeks: list[IsoWeek]
    tz: ZoneInfo

    def shard(self, index: int, count: int) -> list[AccountRow]:
        """Every `count`-th account of the report from `index`: shares of equal work."""
        return report_rows(self.context)[index::count]

    def pages(self, rows: Sequence[AccountRow] | None = None) -> Iterator[AccountPageContext]:
        """The page contexts of `rows` (default: every account), their weeks computed here."""
        rows = report_rows(self.context) if rows is None else rows
        history = self.evaluator.weeks(self.weeks, [r.account_id for r in rows])
        return iter_account_pages(
            self.context, self.ledger, history, self.recent, self.weeks, self.tz, rows
        )


def site_inputs(engine: Engine, config: Config, built: WeeklyBuild) -> SiteInputs:
    """The report's facts when the build kept them (taken from the build: they hold every post
    read), else facts loaded here for the site's weeks; and each account's latest posts."""
    weeks = built.history_weeks
    evaluator, built.evaluator = built.evaluator, None
    if evaluator is None:
        since = weeks[0].start(config.tz) - dt.timedelta(days=7)
        evaluator = Evaluator.load(engine, config, upto=built.context.at, since=since)
    with engine.connect() as conn:
        recent = load_recent_posts(conn, built.context.at)
    return SiteInputs(built.context, built.ledger, evaluator, recent, weeks, config.tz)


def build_account_pages(
    engine: Engine, config: Config, built: WeeklyBuild
) -> list[AccountPageContext]:
    """Every account's page context, as a list."""
    return list(site_inputs(engine, config, built).pages())
