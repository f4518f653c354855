"""The notice (通报) of a month or a quarter: who failed, what else is wrong, what must be done.

Each week of the period is judged at its monitoring time point T (Sunday 23:59:59 local, as in
the weekly report). An account checked in the period passed when it passed at every T where it
could be judged; it failed when it was veto or zombie at any T. Accounts never verifiable in the
period are counted apart, never named as failures.

The re-check (整改复查) looks at the last notice of the same kind that was issued (rendered and
recorded in the store's `reports` table), at the accounts it named (as recorded with it), and
judges each by its verdict at this period's last T: failing still is 未整改, passing is 已整改
(a later ok verdict fixes an earlier failure), unknown is 无法核验. No notice issued: no re-check.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from registry.compliance import Verdict, WeekVerdict, cadence_text, rule_condition
from registry.constants import (
    ACCOUNT_STATUS_LABELS,
    DOC_CLOSURE,
    DOC_HENAN_EXCEPTION,
    DOC_LOCAL_CADENCE,
    DOC_ONE_ACCOUNT,
    DOC_VETO,
    PLATFORM_LABELS,
    VERDICT_LABELS,
    AccountStatus,
    Platform,
    ReportKind,
    Rule,
    VerdictStatus,
)
from registry.i18n import _
from registry.models import Config
from registry.store import load_cases
from registry.weeks import IsoWeek
from reports.build import (
    CHECKED,
    FAILING,
    Evaluator,
    Ledger,
    issuer,
    load_ledger,
    pass_rate,
    policy_summary,
    verdict_detail,
    week_point,
)
from reports.contexts import NoticeContext, NoticeProblem, ProblemCount, RateRow, RecheckRow
from reports.periods import Period
from reports.render import cn_date, days
from reports.site import issued_periods, published_report

BASIS_DOCUMENTS = [
    f"《国务院办公厅关于推进政务新媒体健康有序发展的意见》（{DOC_ONE_ACCOUNT}）",
    "《国务院办公厅秘书局关于印发政府网站与政务新媒体检查指标、监管工作年度考核指标的通知》"
    f"（{DOC_VETO}）",
    f"{DOC_HENAN_EXCEPTION}文件",
]


@dataclass
class AccountPeriod:
    """One account over a period: its status at each week's T, and its weeks."""

    account_id: str
    statuses: dict[IsoWeek, Verdict] = field(default_factory=dict)
    weeks: list[WeekVerdict] = field(default_factory=list)

    def weeks_with(self, statuses: frozenset[VerdictStatus]) -> list[IsoWeek]:
        return [w for w, v in sorted(self.statuses.items()) if v.status in statuses]

    @property
    def checked(self) -> bool:
        return bool(self.weeks_with(CHECKED))

    @property
    def failed(self) -> bool:
        return bool(self.weeks_with(FAILING))

    @property
    def unknown_only(self) -> bool:
        return not self.checked and any(
            v.status is VerdictStatus.UNKNOWN for v in self.statuses.values()
        )

    @property
    def last(self) -> Verdict | None:
        return self.statuses[max(self.statuses)] if self.statuses else None

    def missed(self) -> list[IsoWeek]:
        return [w.week for w in self.weeks if w.met_cadence is False]

    def flagged(self) -> bool:
        last = self.last
        return bool((last and last.flag_shutdown) or (self.weeks and self.weeks[-1].flag_shutdown))

    def relaunched(self) -> bool:
        return any(v.relaunched for v in self.statuses.values())


def evaluate_period(
    evaluator: Evaluator, period: Period, tz: dt.tzinfo
) -> dict[str, AccountPeriod]:
    weeks = period.weeks()
    out: dict[str, AccountPeriod] = {k: AccountPeriod(k) for k in evaluator.timelines}
    for week in weeks:
        for account_id, verdict in evaluator.verdicts_at(week_point(week, tz)).items():
            out[account_id].statuses[week] = verdict
    for account_id, items in evaluator.weeks(weeks).items():
        out[account_id].weeks = items
    return out


def _week_list(weeks: Sequence[IsoWeek]) -> str:
    return "、".join(f"第{w.week}周" for w in weeks)


def _rates(groups: Mapping[str, list[AccountPeriod]], names: Mapping[str, str]) -> list[RateRow]:
    rows = []
    for key, items in groups.items():
        checked = [a for a in items if a.checked]
        failed = sum(1 for a in checked if a.failed)
        passed = len(checked) - failed
        rows.append(
            RateRow(
                key=key,
                name=names.get(key, key),
                checked=len(checked),
                passed=passed,
                failed=failed,
                pass_rate=pass_rate(passed, len(checked)),
            )
        )
    return rows


def named_failures(period: Mapping[str, AccountPeriod]) -> dict[str, str]:
    """The accounts a notice names as failing, each with its problem as the notice words it:
    what is recorded with the notice (`reports.figures["failed"]`) for the next re-check."""
    out = {}
    for k, a in period.items():
        if a.failed:
            zombie = a.weeks_with(frozenset({VerdictStatus.ZOMBIE}))
            label = VERDICT_LABELS[VerdictStatus.ZOMBIE if zombie else VerdictStatus.VETO]
            out[k] = f"{label}（{_week_list(a.weeks_with(FAILING))}）"
    return out


def recheck_result(last: Verdict | None, ledger_status: AccountStatus) -> tuple[str, bool]:
    """(复查结果, rectified) of a named account from its verdict at this period's last T."""
    ledger_now = last.ledger_status if last else ledger_status
    if ledger_now is not AccountStatus.ACTIVE:
        return ACCOUNT_STATUS_LABELS[ledger_now], True
    status = last.status if last else None
    if status in FAILING:
        return "未整改", False
    if status in CHECKED:
        return "已整改", True
    return "无法核验", False


def notice_context(
    *,
    config: Config,
    ledger: Ledger,
    period: Period,
    current: Mapping[str, AccountPeriod],
    previous: Mapping[str, str] | None,
    issued_on: dt.date,
    now: dt.datetime,
    previous_period: Period | None = None,
    cases: Sequence[Any] = (),
    previous_issued_at: dt.datetime | None = None,
) -> NoticeContext:
    """The notice's context from evaluated periods (pure). `previous` holds the accounts the
    last issued notice (of `previous_period`) named, with their problem; None: none issued.
    `cases` (registry.cases.Case) give 整改率 and the re-check of the cases still open when the
    last notice was issued (at `previous_issued_at`)."""
    from reports.cases import notice_cases

    tz = config.tz
    policy = config.policy
    weeks = period.weeks()
    office = issuer(config)
    deadline = issued_on + dt.timedelta(days=config.reports.notice_deadline_days)
    in_scope = {
        k: a
        for k, a in current.items()
        if k in ledger.accounts
        and any(v.status is not VerdictStatus.EXEMPT for v in a.statuses.values())
    }
    checked = {k: a for k, a in in_scope.items() if a.checked}
    failed = {k: a for k, a in checked.items() if a.failed}
    unknown = {k: a for k, a in in_scope.items() if a.unknown_only}
    by_platform: dict[str, list[AccountPeriod]] = defaultdict(list)
    by_department: dict[str, list[AccountPeriod]] = defaultdict(list)
    for k, a in in_scope.items():
        account = ledger.accounts[k]
        by_platform[account.platform.value].append(a)
        by_department[account.department_id].append(a)
    platform_order = {p.value: i for i, p in enumerate(Platform)}
    platform_rows = sorted(
        _rates(by_platform, {p.value: PLATFORM_LABELS[p] for p in Platform}),
        key=lambda r: platform_order[r.key],
    )
    dept_names = {d.id: d.name for d in ledger.departments.values()}
    dept_rows = sorted(
        _rates(by_department, dept_names),
        key=lambda r: (r.pass_rate if r.pass_rate is not None else 2.0, r.name),
    )

    def problem(
        account_id: str, kind: str, description: str, rule: str, basis: str
    ) -> NoticeProblem:
        account = ledger.accounts[account_id]
        dept = ledger.departments.get(account.department_id)
        return NoticeProblem(
            seq=0,
            account_id=account_id,
            department_name=dept.name if dept else account.department_id,
            account_name=account.name,
            platform_label=PLATFORM_LABELS[account.platform],
            problem=kind,
            description=description,
            rule=rule,
            basis=basis,
            owner_name=account.owner_name,
            owner_phone=account.owner_phone or account.owner_email,
        )

    ledger_order = {a.id: i for i, (_, a) in enumerate(config.iter_accounts())}

    def dept_order(account_id: str) -> tuple[int, str]:
        """Ledger order: departments as in config.yaml, then their accounts."""
        return (ledger_order.get(account_id, len(ledger_order)), account_id)

    veto: list[NoticeProblem] = []
    for k in sorted(failed, key=dept_order):
        a = failed[k]
        zombie_weeks = a.weeks_with(frozenset({VerdictStatus.ZOMBIE}))
        fail_weeks = a.weeks_with(FAILING)
        worst = a.statuses[zombie_weeks[-1] if zombie_weeks else fail_weeks[-1]]
        last = a.last
        end_note = ""
        if last is not None and last.days_silent is not None:
            end_note = (
                f"；截至{cn_date(period_end_day(weeks))}已连续{days(last.days_silent)}天未更新"
            )
        elif last is not None:
            end_note = "；未发现任何更新"
        veto.append(
            problem(
                k,
                VERDICT_LABELS[VerdictStatus.ZOMBIE if zombie_weeks else VerdictStatus.VETO],
                f"{_week_list(fail_weeks)}{rule_condition(policy, Rule.VETO)}{end_note}",
                worst.rule,
                worst.basis,
            )
        )

    others: list[NoticeProblem] = []
    counts: dict[str, list[str]] = defaultdict(list)
    for k in sorted(in_scope, key=dept_order):
        a = in_scope[k]
        account = ledger.accounts[k]
        missed = a.missed()
        if missed and not a.failed:
            others.append(
                problem(
                    k,
                    "未按要求每周更新",
                    f"{_week_list(missed)}未达到{cadence_text(policy)}的要求",
                    f"{cadence_text(policy)}（最少一周更新一次）",
                    DOC_LOCAL_CADENCE,
                )
            )
            counts["cadence"].append(k)
        if a.flagged() and account.status is AccountStatus.ACTIVE:
            run = a.weeks[-1].missed_run if a.weeks else policy.flag_after_weeks
            reason = (a.last.flag_reason if a.last else None) or (
                f"连续{run}周未达到{cadence_text(policy)}的要求"
                f"（{DOC_LOCAL_CADENCE}），确属无力维护的应申请关停"
            )
            others.append(
                problem(k, "应申请关停未申请", reason, "确属无力维护的应申请关停下线", DOC_CLOSURE)
            )
            counts["flagged"].append(k)
        if account.filed_on is None and account.status is not AccountStatus.CLOSED:
            others.append(
                problem(
                    k, "未报备登记", "账号尚未报备登记", "新开设账号应及时报备登记", DOC_ONE_ACCOUNT
                )
            )
            counts["unfiled"].append(k)
        if account.status is AccountStatus.ACTIVE and not (account.national and account.provincial):
            missing = "、".join(
                n for n, ok in (("国家", account.national), ("省级", account.provincial)) if not ok
            )
            others.append(
                problem(
                    k,
                    "未纳入监管平台",
                    f"未纳入{missing}政务新媒体监管平台",
                    "账号应纳入国家、省监管平台",
                    f"{DOC_ONE_ACCOUNT}；{DOC_HENAN_EXCEPTION}",
                )
            )
            counts["unenrolled"].append(k)
    for k in sorted((k for k in current if k in ledger.accounts), key=dept_order):
        a = current[k]
        if a.relaunched():
            last = a.last
            others.append(
                problem(
                    k,
                    "已关停账号违规复开",
                    (verdict_detail(last, tz) if last else "") or "注销后仍有更新",
                    "已关停注销的账号不得继续更新",
                    DOC_CLOSURE,
                )
            )
            counts["relaunched"].append(k)
    veto = [p.model_copy(update={"seq": i}) for i, p in enumerate(veto, start=1)]
    others = [p.model_copy(update={"seq": i}) for i, p in enumerate(others, start=1)]

    n_checked = len(checked)
    share = lambda n: n / n_checked if n_checked else None  # noqa: E731
    vetoed = [k for k, a in failed.items() if not a.weeks_with(frozenset({VerdictStatus.ZOMBIE}))]
    zombies = [k for k, a in failed.items() if a.weeks_with(frozenset({VerdictStatus.ZOMBIE}))]
    labels = [
        ("veto", "单项否决", len(vetoed)),
        ("zombie", "僵尸账号", len(zombies)),
        ("cadence", "未按要求每周更新", len(counts["cadence"])),
        ("flagged", "应申请关停未申请", len(counts["flagged"])),
        ("relaunched", "已关停账号违规复开", len(counts["relaunched"])),
        ("unfiled", "未报备登记", len(counts["unfiled"])),
        ("unenrolled", "未纳入监管平台", len(counts["unenrolled"])),
    ]
    problem_counts = [
        ProblemCount(key=key, label=label, count=n, share=share(n)) for key, label, n in labels
    ]

    recheck: list[RecheckRow] = []
    for k in sorted(previous or {}, key=dept_order):
        if k not in ledger.accounts:
            continue
        account = ledger.accounts[k]
        dept = ledger.departments.get(account.department_id)
        now_period = current.get(k)
        last = now_period.last if now_period else None
        result, fixed = recheck_result(last, account.status)
        recheck.append(
            RecheckRow(
                account_id=k,
                department_name=dept.name if dept else account.department_id,
                account_name=account.name,
                platform_label=PLATFORM_LABELS[account.platform],
                previous_problem=(previous or {})[k],
                current_status=VERDICT_LABELS[last.status] if last else "—",
                result=result,
                rectified=fixed,
            )
        )
    rechecked = previous_period or period.previous()

    units = len({ledger.accounts[k].department_id for k in checked})
    platform_text = "、".join(f"{r.name}{len(by_platform[r.key])}个" for r in platform_rows)
    first_week, last_week = (weeks[0], weeks[-1]) if weeks else (None, None)
    scope_text = (
        f"本次检查范围为全县{len({ledger.accounts[k].department_id for k in in_scope})}家单位开设的"
        f"{len(in_scope)}个政务新媒体账号（{platform_text or '无'}）。检查采用系统自动监测与人工核验"
        f"相结合的方式，以{period.label()}内每周日24时为监测时间点"
        + (
            f"（共{len(weeks)}个，第{first_week.week}周至第{last_week.week}周）"
            if first_week and last_week
            else ""
        )
        + f"，逐一核查账号更新情况：{rule_condition(policy, Rule.VETO)}的为单项否决，"
        f"{rule_condition(policy, Rule.ZOMBIE)}的为僵尸账号，均判为不合格。已关停、关停中且已"
        f"发布停更公告以及新开设未满{policy.new_account_grace_days}天的账号不纳入检查；因平台限制等"
        "原因无法核验的账号单独列出，不作为不合格处理。"
    )
    basis_text = (
        f"根据{'、'.join(BASIS_DOCUMENTS[:2])}和{BASIS_DOCUMENTS[2]}要求，{office}对"
        f"{period.label()}全县政务新媒体运行情况进行了检查。现将有关情况通报如下："
    )
    requirements = [
        f"立即整改不合格账号。对本次通报的单项否决和僵尸账号，各主办单位要立即整改，于"
        f"{cn_date(deadline)}前恢复正常更新，并将整改情况书面报送{office}。",
        f"依规关停无力维护账号。连续{policy.flag_after_weeks}周未达到更新要求或成为僵尸账号、"
        f"确属无力维护的，要按程序申请关停下线，发布停更公告，并提交关停证明和书面报告"
        f"（{DOC_CLOSURE}）。已关停账号不得擅自恢复更新。",
        f"完善报备和纳管。未报备登记或未纳入国家、省监管平台的账号，请于{cn_date(deadline)}前完成"
        "报备登记和纳管工作。",
        f"落实日常管理责任。各单位要明确账号责任人，严格执行最少一周更新一次的要求，确保内容更新"
        f"及时、信息准确。{office}将持续开展监测，并在下期通报中对整改情况进行复查。",
    ]
    contact = None
    if config.reports.contact:
        person = config.reports.contact
        contact = (
            f"{person.name}，电话：{person.phone}"
            if person.phone
            else f"{person.name}，{person.email}"
        )
    return NoticeContext(
        jurisdiction=config.jurisdiction,
        period=str(period),
        period_label=period.label(),
        previous_period=str(rechecked),
        previous_period_label=rechecked.label(),
        previous_issued=previous is not None,
        named_failures={k: v for k, v in named_failures(current).items() if k in failed},
        title=f"关于{period.label()}{config.jurisdiction}政务新媒体检查情况的通报",
        issuer=office,
        authority_mark=config.notice.issuing_authority or office,
        number=notice_number(config, period),
        recipients=config.reports.recipients,
        issued_on=issued_on,
        deadline=deadline,
        first_day=period.first_day,
        last_day=period.last_day,
        weeks=[str(w) for w in weeks],
        basis_documents=BASIS_DOCUMENTS,
        basis_text=basis_text,
        scope_text=scope_text,
        units=units,
        accounts_checked=n_checked,
        accounts_passed=n_checked - len(failed),
        accounts_failed=len(failed),
        accounts_unknown=len(unknown),
        pass_rate=pass_rate(n_checked - len(failed), n_checked),
        by_platform=platform_rows,
        by_department=dept_rows,
        problem_counts=problem_counts,
        veto=veto,
        others=others,
        recheck=recheck,
        requirements=requirements,
        contact=contact,
        attachment_title="不合格政务新媒体名单",
        policy=policy_summary(config),
        generated_at=now.astimezone(tz),
        **notice_cases(
            cases,
            ledger,
            first=period.first_day,
            last=period.last_day,
            tz=tz,
            previous_issued_at=previous_issued_at,
        ),
    )


def notice_number(config: Config, period: Period) -> str:
    """The 发文字号 from `notice.number_format`: {seq} is the period's month or quarter, so a
    re-rendered notice keeps its number and the monthly ones run 1–12 within their year."""
    return config.notice.number_format.format(
        year=period.year,
        seq=period.number,
        short=config.jurisdiction[:1],
        jurisdiction=config.jurisdiction,
    )


def period_end_day(weeks: Sequence[IsoWeek]) -> dt.date | None:
    return weeks[-1].sunday() if weeks else None


def period_point(period: Period, tz: dt.tzinfo) -> dt.datetime | None:
    """T of the period's last week: when the period's evidence is complete."""
    weeks = period.weeks()
    return week_point(weeks[-1], tz) if weeks else None


def build_notice(
    engine: Engine,
    config: Config,
    period: Period,
    *,
    now: dt.datetime,
    issued_on: dt.date | None = None,
) -> NoticeContext:
    """Evaluate this period and the last one from the store, and assemble the notice."""
    tz = config.tz
    end = period_point(period, tz)
    if end is None:
        raise ValueError(_("{period} holds no complete week").format(period=period))
    last_issued = last_issued_notice(engine, period)
    named: dict[str, str] | None = None
    published = None
    if last_issued is not None:
        published = published_report(engine, ReportKind.NOTICE, str(last_issued))
        if published is not None and isinstance(published.figures.get("failed"), dict):
            named = dict(published.figures["failed"])
    earliest = (period.weeks() if named is not None or last_issued is None else [])[:1]
    if not earliest and last_issued is not None:  # issued before figures were recorded
        earliest = (last_issued.weeks() or period.weeks())[:1]
    evaluator = Evaluator.load(engine, config, upto=end, since=earliest[0].start(tz))
    current = evaluate_period(evaluator, period, tz)
    if last_issued is not None and named is None:
        named = named_failures(evaluate_period(evaluator, last_issued, tz))
    with engine.connect() as conn:
        ledger = load_ledger(conn)
        cases = load_cases(conn)
    return notice_context(
        config=config,
        ledger=ledger,
        period=period,
        current=current,
        previous=named,
        issued_on=issued_on or now.astimezone(tz).date(),
        now=now,
        previous_period=last_issued,
        cases=cases,
        previous_issued_at=published.at if published is not None else None,
    )


def last_issued_notice(engine: Engine, period: Period) -> Period | None:
    """The latest notice of the same kind (month or quarter) issued for a period before
    `period`, from the store's `reports` table."""
    parse = Period.month if period.kind == "month" else Period.quarter
    issued = []
    for text in issued_periods(engine, ReportKind.NOTICE):
        try:
            candidate = parse(text)
        except ValueError:
            continue  # the other kind
        if candidate < period:
            issued.append(candidate)
    return max(issued, default=None)
