"""The typed contexts that templates render: one model per report, every field described.

A template sees nothing but its context. Contexts hold facts already chosen and labelled (local
times, Chinese labels, rates as fractions); they hold no store handles and no secrets, so any
context can be dumped to JSON, diffed in a test, or rendered again later.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from registry.constants import AccountStatus, Platform, VerdictStatus


class Context(BaseModel):
    """Strict and frozen: a template must not be able to see a misspelt or mutated fact."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# ---------------------------------------------------------------------------------------------
# Shared pieces


class PolicySummary(Context):
    """The thresholds the verdicts were computed with, printed in every report's footnote."""

    warn_after_days: int = Field(description="Days silent before a warning (预警).")
    veto_after_days: int = Field(description="Days silent before the single veto (单项否决).")
    zombie_after_days: int = Field(description="Days silent that make a zombie (僵尸账号).")
    min_posts_per_week: int = Field(description="Posts needed in each natural week.")
    flag_after_weeks: int = Field(description="Consecutive missed weeks that flag a shutdown.")


class RuleNote(Context):
    """One rule a verdict can name, with the document it rests on (the report's legend)."""

    status: VerdictStatus = Field(description="The status this rule produces.")
    label: str = Field(description="The status in Chinese, e.g. 单项否决.")
    rule: str = Field(description="The rule in one Chinese sentence.")
    basis: str = Field(description="The source document, e.g. 国办秘函〔2019〕19号.")


class AccountRow(Context):
    """One account's verdict at the monitoring time point, with its ledger facts."""

    account_id: str = Field(description="The ledger id, e.g. gaj-weibo.")
    name: str = Field(description="The account's name on its platform.")
    department_id: str = Field(description="The running unit's ledger id.")
    department_name: str = Field(description="The running unit (主办单位).")
    platform: Platform = Field(description="Where the account lives.")
    platform_label: str = Field(description="The platform in Chinese, e.g. 微信公众号.")
    ledger_status: AccountStatus = Field(description="Lifecycle state in the ledger.")
    ledger_status_label: str = Field(description="Lifecycle state in Chinese, e.g. 运营中.")
    status: VerdictStatus = Field(description="Compliance status at the monitoring time point.")
    status_label: str = Field(description="Compliance status in Chinese, e.g. 单项否决.")
    last_post_at: dt.datetime | None = Field(
        description="Latest post at or before T, in local time; None when none is known."
    )
    days_silent: float | None = Field(description="Days from the latest post to T; None: unknown.")
    posts_7d: int = Field(description="Posts in the 7 days before T.")
    posts_this_week: int = Field(description="Posts in the report's natural week.")
    missed_weeks: int = Field(description="Consecutive weeks, up to this one, below the cadence.")
    flag_shutdown: bool = Field(
        description="The department must apply to shut it down (应申请关停)."
    )
    relaunched: bool = Field(description="Closed, yet posted again (已关停账号违规复开).")
    rule: str = Field(description="The rule the verdict applied, in Chinese.")
    basis: str = Field(description="The document the rule rests on.")
    detail: str = Field(
        description="Why, in Chinese: the evidence, or for unknown the last failure and what to do."
    )
    owner_name: str | None = Field(description="The person responsible (责任人).")
    owner_phone: str | None = Field(description="The responsible person's phone.")
    owner_email: str | None = Field(description="The responsible person's e-mail.")
    opened_on: dt.date | None = Field(description="Date the account was opened.")
    filed_on: dt.date | None = Field(description="Date it was filed (报备登记); None: unfiled.")
    national: bool = Field(description="Enrolled in the national supervision platform.")
    provincial: bool = Field(description="Enrolled in the provincial supervision platform.")
    page: str = Field(description="Link to the account's own page, relative to the site root.")


class ListItem(Context):
    """An account in one of the report's lists, with what the list says about it."""

    account: AccountRow = Field(description="The account.")
    note: str = Field(description="Why it is on this list, in Chinese.")


class ProblemList(Context):
    """One of the weekly report's lists (单项否决, 预警, 僵尸 …)."""

    key: str = Field(description="Stable identifier: veto, warning, zombie, unknown, flagged …")
    title: str = Field(description="The list's heading in Chinese.")
    rule: str = Field(description="What puts an account on this list.")
    basis: str = Field(description="The document that rule rests on.")
    items: list[ListItem] = Field(description="The accounts, worst first.")


class LedgerChange(Context):
    """An account registered or closed during the period, from the store's ledger events."""

    account_id: str = Field(description="The ledger id.")
    name: str = Field(description="The account's name.")
    department_name: str = Field(description="The running unit.")
    platform_label: str = Field(description="The platform in Chinese.")
    on: dt.date = Field(description="Local date the change was recorded (or approved).")
    note: str = Field(description="Reason, closure certificate, or filing state, in Chinese.")
    page: str = Field(description="Link to the account's page, relative to the site root.")


# ---------------------------------------------------------------------------------------------
# The weekly report


class StatusCount(Context):
    """How many accounts had one status, this week and the week before."""

    status: VerdictStatus = Field(description="The status.")
    label: str = Field(description="The status in Chinese.")
    count: int = Field(description="Accounts with this status at T.")
    previous: int | None = Field(description="The same count a week earlier; None: no data.")
    delta: int | None = Field(description="count − previous; None when previous is None.")


class Headline(Context):
    """The figures at the top of the weekly report."""

    monitored: int = Field(description="Accounts with a verdict at T (every status).")
    checked: int = Field(
        description="Accounts whose activity could be judged: ok+warning+veto+zombie."
    )
    passed: int = Field(description="合格: ok + warning (updated within the veto window).")
    failed: int = Field(description="不合格: veto + zombie.")
    unknown: int = Field(description="无法核验: not counted either way.")
    exempt: int = Field(description="免检: closed, closing after notice, or new in grace.")
    pass_rate: float | None = Field(
        description="passed / checked as a fraction; None if 0 checked."
    )
    previous_pass_rate: float | None = Field(description="The same rate a week earlier.")
    pass_rate_delta: float | None = Field(description="Change in percentage points.")
    monitored_delta: int | None = Field(description="Change in accounts monitored.")
    flagged: int = Field(description="Accounts that must apply to shut down.")
    relaunched: int = Field(description="Closed accounts that posted again.")
    counts: list[StatusCount] = Field(description="Counts by status, worst first.")


class TrendPoint(Context):
    """One week of the pass-rate trend."""

    week: str = Field(description="ISO week, e.g. 2026-W48.")
    label: str = Field(description="Short axis label, e.g. W48.")
    pass_rate: float | None = Field(description="The week's pass rate; None when nothing checked.")
    checked: int = Field(description="Accounts judged that week.")
    passed: int = Field(description="Accounts that passed that week.")


class DepartmentSection(Context):
    """One department's accounts and tallies."""

    department_id: str = Field(description="The unit's ledger id.")
    name: str = Field(description="The unit's name.")
    level_label: str = Field(description="县政府 / 县直部门 / 乡镇（街道）.")
    contact: str | None = Field(description="The unit's new-media contact and phone.")
    accounts: list[AccountRow] = Field(description="Its accounts, worst first.")
    monitored: int = Field(description="Accounts with a verdict.")
    checked: int = Field(description="Accounts judged.")
    passed: int = Field(description="Accounts passing.")
    failed: int = Field(description="Accounts failing.")
    unknown: int = Field(description="Accounts not verifiable.")
    pass_rate: float | None = Field(description="passed / checked; None if nothing checked.")


class Revision(Context):
    """A re-rendered report whose figures differ from what its first rendering published
    (修订): facts recorded later (a back-fill) changed the verdicts at its T."""

    first_rendered_at: dt.datetime = Field(description="When the report was first published.")
    changes: list[str] = Field(description="Each changed figure: 合格率 90.9% → 83.3%.")
    text: str = Field(description="The revision note, one sentence in Chinese.")


class SourceStatus(Context):
    """One source's crawling health for the report's 数据源状态 (reports/source_status.py)."""

    source: str = Field(description="Source id, e.g. wechat.")
    label: str = Field(description="The source in Chinese.")
    last_ok: dt.datetime | None = Field(description="Last successful crawl (local), if any.")
    login: str = Field(description="Login state in Chinese: 有效, 即将过期, 已过期, 登录失效 …")
    login_from: str = Field(description="Where the login comes from, in Chinese.")
    expires_at: dt.datetime | None = Field(description="When the login expires (local), if known.")
    attention: bool = Field(description="True when the login needs a person.")


class CaseLine(Context):
    """A case (整改跟踪) as the reports list it."""

    id: str = Field(description="The case id, e.g. 20261128-gaj-weibo-veto.")
    kind: str = Field(description="registry.constants.CaseKind.")
    kind_label: str = Field(description="The problem's kind in Chinese.")
    department_id: str = Field(description="The running unit's id.")
    department_name: str = Field(description="The running unit.")
    account_id: str = Field(description="The ledger id.")
    account_name: str = Field(description="The account's name.")
    owner: str = Field(description="The owner (责任人) when the case opened.")
    summary: str = Field(description="The problem, in Chinese.")
    opened_on: dt.date = Field(description="Day the case opened (local).")
    deadline: dt.date = Field(description="Day by which it must be fixed.")
    state: str = Field(description="open | responded | overdue | closed.")
    state_label: str = Field(description="The state in Chinese.")
    response: str | None = Field(description="The owner's latest answer, if any.")
    closed_note: str | None = Field(description="What closed it (复核销号 or the reason).")


class WeeklyContext(Context):
    """Everything the weekly report (周报) says, in every format."""

    kind: Literal["weekly"] = Field("weekly", description="Report kind, as in the reports table.")
    jurisdiction: str = Field(description="The county, e.g. 博爱县.")
    title: str = Field(description="The report's title.")
    week: str = Field(description="ISO week, e.g. 2026-W48.")
    week_label: str = Field(description="The week in Chinese with its dates.")
    period_start: dt.date = Field(description="Monday of the week.")
    period_end: dt.date = Field(description="Sunday of the week.")
    at: dt.datetime = Field(description="The monitoring time point T (local), Sunday 23:59:59.")
    generated_at: dt.datetime = Field(description="When the report was built (local).")
    issuer: str = Field(description="The office that issues the report (发文单位).")
    site_url: str | None = Field(description="Public URL of the report site, when configured.")
    policy: PolicySummary = Field(description="Thresholds in force.")
    pass_rate_definition: str = Field(description="How 合格率 is computed, printed as a footnote.")
    rules: list[RuleNote] = Field(description="Legend: each status's rule and source document.")
    headline: Headline = Field(description="The figures at the top.")
    trend: list[TrendPoint] = Field(description="Pass rate of the last weeks, oldest first.")
    departments: list[DepartmentSection] = Field(description="Per-department tables.")
    lists: list[ProblemList] = Field(description="单项否决, 预警, 僵尸, 无法核验, 应申请关停 …")
    registered: list[LedgerChange] = Field(description="Accounts registered this week.")
    closed: list[LedgerChange] = Field(description="Accounts closed this week.")
    revision: Revision | None = Field(
        None, description="修订: how this rendering differs from the one first published."
    )
    sources: list[SourceStatus] = Field(
        default_factory=list, description="数据源状态: each source's last crawl and login."
    )
    discovery: Discovery | None = Field(
        None, description="排查: accounts found that the ledger lacks; closed but reachable."
    )
    cases_open: list[CaseLine] = Field(
        default_factory=list, description="Cases not closed and within their deadline."
    )
    cases_overdue: list[CaseLine] = Field(
        default_factory=list, description="Cases past their deadline, not fixed."
    )


# ---------------------------------------------------------------------------------------------
# The account page and the site index


class WeekCell(Context):
    """One natural week of an account's history."""

    week: str = Field(description="ISO week, e.g. 2026-W48.")
    label: str = Field(description="Short label, e.g. W48.")
    monday: dt.date = Field(description="Monday of the week.")
    posts: int = Field(description="Posts published that week.")
    met_cadence: bool | None = Field(description="Posts ≥ the minimum; None when unknown.")
    status: VerdictStatus | None = Field(description="The week's worst status; None: no data.")
    status_label: str = Field(description="That status in Chinese, or 无数据.")
    css: str = Field(description="The status's CSS class (ok, veto … or none).")
    missed_run: int = Field(description="Consecutive missed weeks up to this one.")
    flag_shutdown: bool = Field(description="Flagged for shutdown that week.")


class PostRow(Context):
    """A recent post, as the platform titled it (platform text: always escaped)."""

    published_at: dt.datetime = Field(description="Publish time, local.")
    title: str | None = Field(description="The post's title as the platform gave it.")
    url: str | None = Field(description="Link to the post; only http(s) links are shown.")


class AccountPageContext(Context):
    """One account's page in the site: its current verdict and its last 26 weeks."""

    kind: Literal["account"] = Field("account", description="Page kind.")
    jurisdiction: str = Field(description="The county.")
    account: AccountRow = Field(description="The account at the latest report's T.")
    identifier: str | None = Field(
        description="uid, fakeid, mid or URL the account is observed by."
    )
    exception_basis: str | None = Field(description="Why a department or township runs it.")
    weeks: list[WeekCell] = Field(description="The last weeks, oldest first.")
    recent_posts: list[PostRow] = Field(
        description="The latest posts at or before T, newest first."
    )
    report_week: str = Field(description="The weekly report this page was built with.")
    root: str = Field(description="Relative path from the page to the site root, e.g. '../'.")
    generated_at: dt.datetime = Field(description="When the page was built (local).")


class FormatLink(Context):
    """One file of a rendered report."""

    label: str = Field(description="HTML, Excel, Markdown, CSV, Word …")
    href: str = Field(description="Link relative to the site root.")


class IndexEntry(Context):
    """One rendered report in the site index."""

    kind: str = Field(description="weekly, notice or annual.")
    period: str = Field(description="2026-W48, 2026-11, 2026-Q4 or 2026.")
    label: str = Field(description="The period in Chinese.")
    href: str = Field(description="The main file, relative to the site root.")
    files: list[FormatLink] = Field(description="Every file of this report.")
    rendered_at: dt.datetime | None = Field(description="When it was rendered (local).")
    summary: str | None = Field(description="One line of figures, e.g. 合格率 92.3%.")


class IndexContext(Context):
    """The site's front page: every report present in the output folder."""

    kind: Literal["index"] = Field("index", description="Page kind.")
    jurisdiction: str = Field(description="The county.")
    weekly: list[IndexEntry] = Field(description="Weekly reports, newest first.")
    notices: list[IndexEntry] = Field(description="Notices, newest first.")
    annual: list[IndexEntry] = Field(description="Annual figures, newest first.")
    accounts_href: str | None = Field(description="The account list page, when present.")
    filings_href: str | None = Field(
        None, description="The closure filings' index (filings/index.html), when present."
    )
    filings_accounts: int = Field(0, description="Accounts with closure filings in that folder.")
    generated_at: dt.datetime = Field(description="When the index was rebuilt (local).")


class AccountLink(Context):
    """One line of the account list page."""

    account_id: str = Field(description="The ledger id.")
    name: str = Field(description="The account's name.")
    department_name: str = Field(description="The running unit.")
    platform_label: str = Field(description="The platform in Chinese.")
    status: VerdictStatus = Field(description="Status at the latest report's T.")
    status_label: str = Field(description="That status in Chinese.")
    href: str = Field(description="The account's page, relative to the site root.")


class AccountListContext(Context):
    """The list of account pages."""

    kind: Literal["accounts"] = Field("accounts", description="Page kind.")
    jurisdiction: str = Field(description="The county.")
    week: str = Field(description="The weekly report the statuses come from.")
    accounts: list[AccountLink] = Field(description="Every account, by department.")
    generated_at: dt.datetime = Field(description="When the list was built (local).")


# ---------------------------------------------------------------------------------------------
# The notice (通报)


class RateRow(Context):
    """Pass figures for one platform or one department over the notice's period."""

    key: str = Field(description="Platform value or department id.")
    name: str = Field(description="The platform or department in Chinese.")
    checked: int = Field(description="Accounts judged in the period.")
    passed: int = Field(description="Accounts that passed every week judged.")
    failed: int = Field(description="Accounts that failed at least one week.")
    pass_rate: float | None = Field(description="passed / checked; None if 0 checked.")


class ProblemCount(Context):
    """How many accounts had one kind of problem."""

    key: str = Field(description="veto, zombie, cadence, flagged, relaunched, unfiled, unenrolled.")
    label: str = Field(description="The problem in Chinese.")
    count: int = Field(description="Accounts with it.")
    share: float | None = Field(description="count / accounts checked.")


class NoticeProblem(Context):
    """One named account in the notice's problem lists and its XLSX attachment."""

    seq: int = Field(description="Row number, from 1.")
    account_id: str = Field(description="The ledger id.")
    department_name: str = Field(description="The running unit.")
    account_name: str = Field(description="The account's name.")
    platform_label: str = Field(description="The platform in Chinese.")
    problem: str = Field(description="The kind of problem in Chinese, e.g. 单项否决.")
    description: str = Field(description="What was found, with weeks and days silent.")
    rule: str = Field(description="The rule that was broken.")
    basis: str = Field(description="The document it rests on.")
    owner_name: str | None = Field(description="The person responsible.")
    owner_phone: str | None = Field(description="Their phone.")


class RecheckRow(Context):
    """A failure of the last period and how the account stands now (整改情况复查)."""

    account_id: str = Field(description="The ledger id.")
    department_name: str = Field(description="The running unit.")
    account_name: str = Field(description="The account's name.")
    platform_label: str = Field(description="The platform in Chinese.")
    previous_problem: str = Field(description="What the last notice found.")
    current_status: str = Field(description="Status at the end of this period, in Chinese.")
    result: str = Field(description="已整改 / 未整改 / 已关停 / 无法核验.")
    rectified: bool = Field(description="True when the problem is gone.")


class NoticeContext(Context):
    """Everything the monthly or quarterly notice (通报) says."""

    kind: Literal["notice"] = Field("notice", description="Report kind, as in the reports table.")
    jurisdiction: str = Field(description="The county.")
    period: str = Field(description="2026-11 or 2026-Q4.")
    period_label: str = Field(description="2026年11月 or 2026年第四季度.")
    previous_period: str = Field(description="The period before, e.g. 2026-10.")
    previous_period_label: str = Field(description="That period in Chinese.")
    previous_issued: bool = Field(
        True, description="A notice was issued before (the re-checked one, previous_period)."
    )
    named_failures: dict[str, str] = Field(
        default_factory=dict,
        description="Account id → its problem (僵尸账号（第45周…）), recorded for the re-check.",
    )
    title: str = Field(description="The notice's title.")
    issuer: str = Field(description="发文单位.")
    authority_mark: str = Field(
        "", description="发文机关标志 (notice.issuing_authority or issuer)."
    )
    number: str = Field("", description="发文字号, e.g. 博政办〔2026〕11号.")
    recipients: str = Field(description="主送: who the notice is addressed to.")
    issued_on: dt.date = Field(description="Date of the notice.")
    deadline: dt.date = Field(description="Date by which problems must be rectified.")
    first_day: dt.date = Field(description="First day of the period.")
    last_day: dt.date = Field(description="Last day of the period.")
    weeks: list[str] = Field(description="ISO weeks checked (those whose Sunday is in the period).")
    basis_documents: list[str] = Field(description="The documents the notice rests on.")
    basis_text: str = Field(description="The opening paragraph citing those documents.")
    scope_text: str = Field(description="Scope and method, one paragraph.")
    units: int = Field(description="Departments with at least one account checked.")
    accounts_checked: int = Field(description="Accounts judged in at least one week.")
    accounts_passed: int = Field(description="Accounts that passed every week judged.")
    accounts_failed: int = Field(description="Accounts that failed at least one week.")
    accounts_unknown: int = Field(description="Accounts never verifiable in the period.")
    pass_rate: float | None = Field(description="passed / checked.")
    by_platform: list[RateRow] = Field(description="Pass rate by platform.")
    by_department: list[RateRow] = Field(description="Pass rate by department, worst first.")
    problem_counts: list[ProblemCount] = Field(description="Counts and shares of each problem.")
    veto: list[NoticeProblem] = Field(description="单项否决 and 僵尸 accounts, named.")
    others: list[NoticeProblem] = Field(description="Other problems, named.")
    recheck: list[RecheckRow] = Field(description="Last period's failures, re-checked.")
    requirements: list[str] = Field(description="工作要求, one paragraph each.")
    contact: str | None = Field(description="联系人及电话, from reports.contact.")
    attachment_title: str = Field(description="不合格政务新媒体名单.")
    policy: PolicySummary = Field(description="Thresholds in force.")
    generated_at: dt.datetime = Field(description="When the notice was built (local).")
    cases_due: int = Field(0, description="Cases whose deadline fell in the period.")
    cases_fixed: int = Field(0, description="Of those, closed by the period's end.")
    rectification_rate: float | None = Field(
        None, description="整改率 = cases_fixed / cases_due (None: no case was due)."
    )
    silent_units: list[str] = Field(
        default_factory=list, description="Units that did not respond to a case due, named."
    )
    late_twice: list[str] = Field(
        default_factory=list, description="Accounts whose cases went overdue twice or more."
    )
    case_recheck: list[CaseLine] = Field(
        default_factory=list, description="Cases open when the last notice was issued, now."
    )
    cases_text: str = Field("", description="整改跟踪: the paragraph with 整改率, in Chinese.")


# ---------------------------------------------------------------------------------------------
# The annual figures


class PlatformCount(Context):
    """Accounts on one platform."""

    platform: Platform = Field(description="The platform.")
    label: str = Field(description="The platform in Chinese.")
    count: int = Field(description="Accounts.")


class ClosureItem(Context):
    """An account closed during the year, with its certificate."""

    account_id: str = Field(description="The ledger id.")
    name: str = Field(description="The account's name.")
    department_name: str = Field(description="The running unit.")
    platform_label: str = Field(description="The platform in Chinese.")
    closed_on: dt.date = Field(description="Deregistration date (or approval, if not yet).")
    certificate: str | None = Field(description="关停证明 number; None: missing.")


class RegistrationItem(Context):
    """An account opened during the year."""

    account_id: str = Field(description="The ledger id.")
    name: str = Field(description="The account's name.")
    department_name: str = Field(description="The running unit.")
    platform_label: str = Field(description="The platform in Chinese.")
    opened_on: dt.date = Field(description="Opening date.")
    filed_on: dt.date | None = Field(description="Filing date; None: unfiled.")


class AnnualContext(Context):
    """The new-media figures of the annual government-information-disclosure report."""

    kind: Literal["annual"] = Field("annual", description="Report kind, as in the reports table.")
    jurisdiction: str = Field(description="The county.")
    year: int = Field(description="The calendar year.")
    as_of: dt.date = Field(description="The figures' date: 31 December, or today in that year.")
    accounts_at_year_end: int = Field(description="Accounts open on 31 December.")
    by_platform: list[PlatformCount] = Field(description="Those accounts by platform.")
    units_total: int = Field(description="Units running at least one open account.")
    units_national: int = Field(description="Units with an account in the national platform.")
    units_provincial: int = Field(description="Units with an account in the provincial platform.")
    units_supervised: int = Field(description="Units in the national or provincial platform.")
    accounts_national: int = Field(description="Open accounts enrolled nationally.")
    accounts_provincial: int = Field(description="Open accounts enrolled provincially.")
    registrations: list[RegistrationItem] = Field(description="Accounts opened in the year.")
    closures: list[ClosureItem] = Field(description="Accounts closed in the year.")
    closures_with_certificate: int = Field(description="Closures with a certificate number.")
    monitoring_points: int = Field(description="Monitoring time points checked in the year.")
    verdicts: int = Field(description="Account verdicts computed in the year.")
    observations: int = Field(description="Observations (crawls and manual checks) made.")
    problems_found: int = Field(description="Turns into veto or zombie recorded in the year.")
    problems_fixed: int = Field(description="Of those, later back to ok/warning or closed.")
    cases_found: int = Field(0, description="Cases (整改跟踪) opened in the year.")
    cases_fixed: int = Field(0, description="Of those, closed (销号) by the figures' date.")
    cases_overdue: int = Field(0, description="Of those, past their deadline unfixed once.")
    flagged: int = Field(description="Accounts flagged for shutdown during the year.")
    relaunched: int = Field(description="Closed accounts found posting again.")
    paragraph: str = Field(description="The paragraph for the annual report, in Chinese.")
    generated_at: dt.datetime = Field(description="When the figures were computed (local).")


# ---------------------------------------------------------------------------------------------
# Discovery (排查), in the weekly report


class CandidateRow(Context):
    """An account found on a platform that the ledger does not hold (or holds as closed)."""

    id: int = Field(description="The candidate's id (`register --from-candidate ID`).")
    platform_label: str = Field(description="The platform in Chinese.")
    identifier: str = Field(description="uid, fakeid or mid.")
    name: str = Field(description="The name the platform shows.")
    kind_label: str = Field(description="疑似未报备 or 疑似关停后复开.")
    reason: str = Field(description="Why it is a candidate, in Chinese.")
    entity: str | None = Field(description="The entity the platform verified, if any.")
    first_seen: dt.date = Field(description="Local date it was first found.")


class SearchGap(Context):
    """A search of the latest sweep that the platform did not answer."""

    platform_label: str = Field(description="The platform in Chinese.")
    keyword: str = Field(description="The keyword searched.")
    outcome_label: str = Field(description="The outcome in Chinese (被平台拦截 …).")


class ManualCheck(Context):
    """A person's sweep of a platform no spider searches (Douyin, Toutiao …)."""

    platform_label: str = Field(description="The platform in Chinese.")
    by: str = Field(description="Who swept.")
    on: dt.date = Field(description="Local date.")
    note: str = Field(description="What was searched and found.")


class ClosedReachable(Context):
    """A closed account that its platform still shows (关停未注销)."""

    account_id: str = Field(description="The ledger id.")
    name: str = Field(description="The ledger's name.")
    department_name: str = Field(description="The running unit.")
    platform_label: str = Field(description="The platform in Chinese.")
    on: dt.date = Field(description="Local date of the verification that found it.")
    detail: str = Field(description="What the platform showed.")


class Discovery(Context):
    """The weekly report's 疑似未报备账号 section."""

    swept_on: dt.date | None = Field(description="Local date of the latest sweep; None: never.")
    searches: int = Field(description="Searches in the latest sweep.")
    summary: str = Field(description="One sentence on the sweep, in Chinese.")
    candidates: list[CandidateRow] = Field(description="Candidates nobody has decided on.")
    gaps: list[SearchGap] = Field(description="Searches the platforms did not answer.")
    manual: list[ManualCheck] = Field(description="Manual sweeps recorded during the week.")
    closed_reachable: list[ClosedReachable] = Field(description="关停未注销 accounts.")


WeeklyContext.model_rebuild()
