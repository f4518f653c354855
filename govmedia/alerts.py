"""The alert queue: status changes become messages; messages are delivered, retried, kept.

The compliance check records each change of an account's status as its own row in
`status_changes` (old, new, when, why, flagged, relaunched). `queue_alerts` reads those rows, not
the verdict history, and turns each account's latest change into one message per channel and
recipient in `notifications`, under a dedup key: one alert per account per status change, however
often the cycle runs. Summaries for supervisors (the weekly report, a notice, a source that failed
as a whole) are queued the same way.

`deliver` sends what is pending. Each row is committed as it is sent, so a crash between queueing
and sending leaves the rest queued for the next cycle. Delivery is at least once: a crash after a
server took a message but before its row was updated sends it again (the generic webhook carries
a stable `Idempotency-Key`, so its receiver can drop the repeat). A channel that does not answer
(a timeout, a lost connection) is stopped for the cycle after its first failure: the rest of its
messages wait for the next cycle, no attempt counted. A failed send waits
`backoff_minutes · 2^(attempts−1)` (at most `max_backoff_hours`) before the next attempt, and is
given up after `max_attempts`; a refusal that retrying cannot cure is given up at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, and_, select, update

from registry.compliance import ObservationFacts, whole_days
from registry.constants import (
    ALERT_LABELS,
    LOCAL_TZ,
    OUTCOME_ADVICE,
    OUTCOME_LABELS,
    PLATFORM_LABELS,
    SOURCE_LABELS,
    VERDICT_LABELS,
    VERDICT_SEVERITY,
    AlertKind,
    Audience,
    ChannelKind,
    Outcome,
    Platform,
    Source,
    VerdictStatus,
)
from registry.models import Config, NotifyChannel
from registry.outcome_text import unknown_reason
from registry.secrets import redact
from registry.store import accounts, departments, notifications, status_changes, verdicts
from registry.verdicts import load_last_failures

log = logging.getLogger("govmedia.alerts")

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
GROUP = "group"  # the recipient of a group message that names nobody in particular

# Statuses whose arrival is told at once; UNKNOWN waits `unknown_alert_after_days`.
_FAILING = {
    VerdictStatus.WARNING: AlertKind.WARNING,
    VerdictStatus.VETO: AlertKind.VETO,
    VerdictStatus.ZOMBIE: AlertKind.ZOMBIE,
}
# A change older than this is history, not news: it is never alerted late.
LOOKBACK_DAYS = 60


@dataclass(frozen=True)
class Contact:
    """Someone to tell: an account's owner, a department's contact, a supervisor."""

    name: str
    phone: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class Change:
    """A row of `status_changes`, as the alert rules read it."""

    id: int
    account_id: str
    old_status: str | None
    new_status: str
    at: dt.datetime
    reason: str | None
    flag_shutdown: bool
    relaunched: bool


def alert_kind(
    change: Change, previous: Change | None, *, now: dt.datetime, unknown_after_days: int
) -> AlertKind | None:
    """What, if anything, an account's latest status change tells its people.

    A newly seen relaunch first (a closed account posting again), then a newly raised shutdown
    flag, then the failing status itself; unknown only once it has lasted `unknown_after_days`.
    """
    if change.relaunched and not (previous and previous.relaunched):
        return AlertKind.RELAUNCHED
    if change.flag_shutdown and not (previous and previous.flag_shutdown):
        return AlertKind.FLAGGED
    status = VerdictStatus(change.new_status)
    if status in _FAILING:
        return _FAILING[status]
    if status is VerdictStatus.UNKNOWN and now - change.at >= dt.timedelta(days=unknown_after_days):
        return AlertKind.UNKNOWN
    return None


def group_recipient(people: Iterable[Contact]) -> str:
    """The recipient of a group message: the people's phones and addresses, or `group`."""
    tokens: list[str] = []
    for person in people:
        for token in (person.phone, person.email):
            if token and token not in tokens:
                tokens.append(token)
    return ",".join(tokens) or GROUP


def recipient_tokens(recipient: str) -> tuple[str, ...]:
    return () if recipient == GROUP else tuple(t for t in recipient.split(",") if t)


def mentions_of(recipient: str) -> tuple[str, ...]:
    """The mobile numbers among a group message's recipients, for the robot to @."""
    return tuple(t for t in recipient_tokens(recipient) if MOBILE_RE.match(t.replace(" ", "")))


def local_text(instant: dt.datetime | None, *, with_time: bool = True) -> str | None:
    if instant is None:
        return None
    local = instant.astimezone(LOCAL_TZ)
    text = f"{local.year}年{local.month}月{local.day}日"
    return f"{text} {local:%H:%M}" if with_time else text


# ---------------------------------------------------------------------------------------------
# Queueing


@dataclass
class Queued:
    """What one queueing pass added (rows already queued are not counted)."""

    rows: int = 0
    alerts: int = 0
    unreachable: list[str] = field(default_factory=list)  # accounts no channel reaches


def _dedup_key(*parts: str) -> str:
    *head, recipient = parts
    if len(recipient) > 60:
        recipient = hashlib.sha1(recipient.encode()).hexdigest()[:16]
    return ":".join([*head, recipient])


def _rows_for(
    channels: Sequence[NotifyChannel],
    audience: Audience,
    people: Sequence[Contact],
    *,
    key: str,
    base: dict[str, Any],
) -> list[dict[str, Any]]:
    """One row per e-mail address on e-mail channels, one row per group channel."""
    rows: list[dict[str, Any]] = []
    for channel in channels:
        if audience not in channel.audience:
            continue
        if channel.kind is ChannelKind.EMAIL:
            recipients = list(dict.fromkeys(p.email for p in people if p.email))
        else:
            recipients = [group_recipient(people)]
        for recipient in recipients:
            rows.append(
                {
                    **base,
                    "dedup_key": _dedup_key(key, channel.id, recipient),
                    "channel": channel.id,
                    "recipient": recipient,
                }
            )
    return rows


def _insert_new(engine: Engine, rows: list[dict[str, Any]]) -> int:
    """Insert the rows whose dedup key is not queued yet; returns how many were new."""
    if not rows:
        return 0
    with engine.begin() as conn:
        keys = [row["dedup_key"] for row in rows]
        existing = set(
            conn.execute(
                select(notifications.c.dedup_key).where(notifications.c.dedup_key.in_(keys))
            ).scalars()
        )
        fresh = [row for row in rows if row["dedup_key"] not in existing]
        if fresh:
            conn.execute(notifications.insert(), fresh)
    return len(fresh)


def _contact(data: Mapping[str, Any] | None) -> Contact | None:
    if not data or not data.get("name"):
        return None
    return Contact(data["name"], data.get("phone"), data.get("email"))


def _latest_changes(engine: Engine) -> dict[str, tuple[Change, Change | None]]:
    """Each account's latest status change and the one before it."""
    out: dict[str, tuple[Change, Change | None]] = {}
    query = select(status_changes).order_by(
        status_changes.c.account_id, status_changes.c.at, status_changes.c.id
    )
    with engine.connect() as conn:
        for row in conn.execute(query):
            change = Change(
                id=row.id,
                account_id=row.account_id,
                old_status=row.old_status,
                new_status=row.new_status,
                at=row.at,
                reason=row.reason,
                flag_shutdown=bool(row.flag_shutdown),
                relaunched=bool(row.relaunched),
            )
            before = out.get(change.account_id)
            out[change.account_id] = (change, before[0] if before else None)
    return out


def queue_alerts(engine: Engine, config: Config, *, now: dt.datetime) -> Queued:
    """Queue one alert per account per status change, to the account's owner and its
    department's contact, on every channel that carries alerts. Idempotent."""
    result = Queued()
    channels = [c for c in config.notify.channels if Audience.ALERTS in c.audience]
    if not channels:
        return result
    horizon = now - dt.timedelta(days=max(LOOKBACK_DAYS, config.notify.unknown_alert_after_days))
    candidates: list[tuple[Change, AlertKind]] = []
    for change, previous in _latest_changes(engine).values():
        if change.at < horizon:
            continue
        kind = alert_kind(
            change,
            previous,
            now=now,
            unknown_after_days=config.notify.unknown_alert_after_days,
        )
        if kind is not None:
            candidates.append((change, kind))
    if not candidates:
        return result

    ids = [change.account_id for change, _ in candidates]
    with engine.connect() as conn:
        account_rows = {
            row.id: row
            for row in conn.execute(
                select(accounts, departments.c.name.label("department_name"), departments.c.contact)
                .select_from(
                    accounts.outerjoin(departments, departments.c.id == accounts.c.department_id)
                )
                .where(accounts.c.id.in_(ids))
            )
        }
        verdict_rows = {
            (row.account_id, row.at): row
            for row in conn.execute(
                select(verdicts).where(
                    verdicts.c.account_id.in_(ids),
                    verdicts.c.at.in_([change.at for change, _ in candidates]),
                )
            )
        }
        unknown = [c.account_id for c, _ in candidates if c.new_status == VerdictStatus.UNKNOWN]
        failures = load_last_failures(conn, unknown) if unknown else {}

    rows: list[dict[str, Any]] = []
    for change, kind in candidates:
        account = account_rows.get(change.account_id)
        if account is None or not account.in_ledger:
            continue
        people = [
            Contact(account.owner_name or "账号负责人", account.owner_phone, account.owner_email)
        ]
        contact = _contact(account.contact)
        if contact is not None and contact not in people:
            people.append(contact)
        verdict = verdict_rows.get((change.account_id, change.at))
        subject, body = _render_alert(
            config, account, change, kind, verdict, failures.get(change.account_id), now=now
        )
        base = {
            "account_id": change.account_id,
            "status_change_id": change.id,
            "kind": kind.value,
            "subject": subject,
            "body": body,
            "created_at": now,
            "attempts": 0,
        }
        key = f"alert:{change.account_id}:{change.at:%Y%m%dT%H%M%SZ}:{change.new_status}"
        account_rows_for = _rows_for(channels, Audience.ALERTS, people, key=key, base=base)
        if not account_rows_for:
            result.unreachable.append(change.account_id)
            continue
        rows.extend(account_rows_for)
        result.alerts += 1
    result.rows = _insert_new(engine, rows)
    if result.unreachable:
        log.warning(
            "alerts reach no one: the owner and the contact have no e-mail address and no group "
            "channel carries alerts",
            extra={"accounts": ",".join(result.unreachable)},
        )
    return result


def _render_alert(
    config: Config,
    account: Any,
    change: Change,
    kind: AlertKind,
    verdict: Any,
    failure: ObservationFacts | None,
    *,
    now: dt.datetime,
) -> tuple[str, str]:
    """The alert's subject and body. An unknown account's reason is told in Chinese
    (`unknown_reason`, as the reports say it); the spider's English detail stays in the store."""
    from reports.notify.render import AlertContext, render_message

    policy = config.policy
    status = VerdictStatus(change.new_status)
    days = verdict.days_silent if verdict is not None else None
    detail = (verdict.detail if verdict is not None else None) or None
    if status is VerdictStatus.UNKNOWN:
        detail = unknown_reason(detail, failure, config.tz) or None
    context = AlertContext(
        kind=kind.value,
        kind_label=ALERT_LABELS[kind],
        jurisdiction=config.jurisdiction,
        department=account.department_name or account.department_id,
        account_id=account.id,
        account_name=account.name,
        platform=PLATFORM_LABELS[Platform(account.platform)],
        status_label=VERDICT_LABELS[status],
        at_local=local_text(change.at) or "",
        last_post_local=local_text(verdict.last_post_at) if verdict is not None else None,
        days_silent=whole_days(days),
        rule=(verdict.rule if verdict is not None and verdict.rule else change.reason) or "",
        basis=(verdict.basis if verdict is not None else None) or "",
        flagged=change.flag_shutdown,
        relaunched=change.relaunched,
        unknown_days=(now - change.at).days if status is VerdictStatus.UNKNOWN else None,
        detail=detail,
        flag_reason=(verdict.flag_reason if verdict is not None else None) or None,
        warn_after_days=policy.warn_after_days,
        veto_after_days=policy.veto_after_days,
        zombie_after_days=policy.zombie_after_days,
        flag_after_weeks=policy.flag_after_weeks,
    )
    return render_message(context)


def report_location(config: Config, report_path: Path, output_dir: Path) -> str:
    """The report's URL under `reports.site_url` (where output_dir is published), else its path
    on this machine."""
    base = config.reports.site_url
    if base:
        base = base.rstrip("/") + "/"
        try:
            relative = report_path.resolve().relative_to(output_dir.resolve())
        except ValueError:
            return str(report_path)
        return base + relative.as_posix()
    return str(report_path)


def latest_verdicts(engine: Engine, *, as_of: dt.datetime) -> list[Any]:
    """Each in-ledger account's latest verdict at or before `as_of`."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(verdicts, accounts.c.name, departments.c.name.label("department_name"))
            .select_from(
                verdicts.join(accounts, accounts.c.id == verdicts.c.account_id).outerjoin(
                    departments, departments.c.id == accounts.c.department_id
                )
            )
            .where(verdicts.c.at <= as_of, accounts.c.in_ledger.is_(True))
            .order_by(verdicts.c.account_id, verdicts.c.at)
        ).all()
    latest: dict[str, Any] = {}
    for row in rows:
        latest[row.account_id] = row
    return list(latest.values())


def _supervisors(config: Config) -> list[Contact]:
    return [Contact(p.name, p.phone, p.email) for p in config.notify.supervisors]


def queue_summary(
    engine: Engine,
    config: Config,
    *,
    kind: AlertKind,
    period: str,
    period_label: str,
    report: str,
    as_of: dt.datetime,
    now: dt.datetime,
    mail: Any = None,
) -> int:
    """Queue the summary of a rendered weekly report or notice for the supervisors (once).

    `mail` is the summary the rendering built from the report's own context (Rendered.mail), so
    the mail's figures are the report's; without it, the latest verdicts are summarised."""
    import dataclasses

    from reports.notify.render import SummaryContext, SummaryLine, render_message

    channels = [c for c in config.notify.channels if Audience.SUMMARY in c.audience]
    if not channels:
        return 0
    if mail is not None:
        return _queue_summary_rows(
            engine,
            config,
            channels,
            kind=kind,
            period=period,
            message=render_message(dataclasses.replace(mail, report=report)),
            now=now,
        )
    latest = latest_verdicts(engine, as_of=as_of)
    counts = {
        VERDICT_LABELS[status]: sum(1 for v in latest if v.status == status.value)
        for status in VERDICT_SEVERITY
    }
    order = {status.value: i for i, status in enumerate(VERDICT_SEVERITY)}
    failing = sorted(
        (v for v in latest if v.status in {s.value for s in _FAILING}),
        key=lambda v: (order[v.status], -(v.days_silent or 0)),
    )
    context = SummaryContext(
        kind=kind.value,
        jurisdiction=config.jurisdiction,
        period_label=period_label,
        counts={label: n for label, n in counts.items() if n},
        total=len(latest),
        flagged=sum(1 for v in latest if v.flag_shutdown),
        attention=[
            SummaryLine(
                name=v.name,
                department=v.department_name or "",
                status_label=VERDICT_LABELS[VerdictStatus(v.status)],
                days_silent=whole_days(v.days_silent),
            )
            for v in failing[:10]
        ],
        report=report,
    )
    return _queue_summary_rows(
        engine, config, channels, kind=kind, period=period, message=render_message(context), now=now
    )


def _queue_summary_rows(
    engine: Engine,
    config: Config,
    channels: list[Any],
    *,
    kind: AlertKind,
    period: str,
    message: tuple[str, str],
    now: dt.datetime,
) -> int:
    subject, body = message
    base = {
        "account_id": None,
        "status_change_id": None,
        "kind": kind.value,
        "subject": subject,
        "body": body,
        "created_at": now,
        "attempts": 0,
    }
    rows = _rows_for(
        channels, Audience.SUMMARY, _supervisors(config), key=f"{kind.value}:{period}", base=base
    )
    return _insert_new(engine, rows)


def queue_source_failure(
    engine: Engine,
    config: Config,
    *,
    source: str,
    outcome: Outcome,
    accounts_failed: int,
    now: dt.datetime,
) -> int:
    """Tell the supervisors, once a day, that a whole source failed (e.g. the login expired).

    The message says the outcome in Chinese with what it means and what to do (OUTCOME_ADVICE);
    the spider's English detail goes to the log (the cycle's "source failed as a whole")."""
    from reports.notify.render import SourceFailedContext, render_message

    channels = [c for c in config.notify.channels if Audience.SUMMARY in c.audience]
    if not channels:
        return 0
    context = SourceFailedContext(
        kind=AlertKind.SOURCE_FAILED.value,
        jurisdiction=config.jurisdiction,
        source=source,
        source_label=SOURCE_LABELS.get(Source(source), source),
        outcome=outcome.value,
        outcome_label=OUTCOME_LABELS[outcome],
        advice=OUTCOME_ADVICE[outcome],
        accounts=accounts_failed,
        at_local=local_text(now) or "",
    )
    subject, body = render_message(context)
    base = {
        "account_id": None,
        "status_change_id": None,
        "kind": AlertKind.SOURCE_FAILED.value,
        "subject": subject,
        "body": body,
        "created_at": now,
        "attempts": 0,
    }
    day = now.astimezone(LOCAL_TZ).date().isoformat()
    key = f"{AlertKind.SOURCE_FAILED.value}:{source}:{outcome.value}:{day}"
    rows = _rows_for(channels, Audience.SUMMARY, _supervisors(config), key=key, base=base)
    return _insert_new(engine, rows)


# ---------------------------------------------------------------------------------------------
# Delivery


@dataclass
class Delivery:
    """What one delivery pass did."""

    sent: int = 0
    failed: int = 0  # attempts that failed this pass (the rows stay queued unless given up)
    given_up: int = 0  # rows that reached max_attempts, or were refused for good, this pass
    waiting: int = 0  # pending rows not tried this pass (backing off, over the cap, no channel)
    errors: list[str] = field(default_factory=list)


def next_attempt_at(
    attempts: int,
    last_attempt_at: dt.datetime | None,
    *,
    backoff_minutes: float,
    max_backoff_hours: float,
) -> dt.datetime | None:
    """When a row may be tried again; None means now (never tried)."""
    if attempts <= 0 or last_attempt_at is None:
        return None
    minutes = min(backoff_minutes * 2 ** (attempts - 1), max_backoff_hours * 60)
    return last_attempt_at + dt.timedelta(minutes=minutes)


def pending(engine: Engine, *, max_attempts: int) -> list[Any]:
    """Rows not sent and not given up, oldest first."""
    with engine.connect() as conn:
        return conn.execute(
            select(notifications)
            .where(notifications.c.sent_at.is_(None), notifications.c.attempts < max_attempts)
            .order_by(notifications.c.created_at, notifications.c.id)
        ).all()


def _record(engine: Engine, row_id: int, **values: Any) -> None:
    with engine.begin() as conn:
        conn.execute(update(notifications).where(notifications.c.id == row_id).values(**values))


def deliver(
    engine: Engine,
    config: Config,
    *,
    now: dt.datetime,
    env: Mapping[str, str] | None = None,
) -> Delivery:
    """Send the pending rows that are due, channel by channel, recording each outcome."""
    from reports.notify import ChannelNotReady, Message, SendError, build_sender

    env = os.environ if env is None else env
    retry = config.notify.retry
    result = Delivery()
    rows = pending(engine, max_attempts=retry.max_attempts)
    by_channel: dict[str, list[Any]] = {}
    for row in rows:
        by_channel.setdefault(row.channel, []).append(row)
    configured = {channel.id: channel for channel in config.notify.channels}
    for channel_id, channel_rows in by_channel.items():
        channel = configured.get(channel_id)
        if channel is None:
            result.waiting += len(channel_rows)
            log.warning(
                "messages wait for a channel that is no longer configured",
                extra={"channel": channel_id, "messages": len(channel_rows)},
            )
            continue
        due = [
            row
            for row in channel_rows
            if (
                when := next_attempt_at(
                    row.attempts,
                    row.last_attempt_at,
                    backoff_minutes=retry.backoff_minutes,
                    max_backoff_hours=retry.max_backoff_hours,
                )
            )
            is None
            or when <= now
        ]
        batch = due[: channel.max_per_cycle]
        result.waiting += len(channel_rows) - len(batch)
        if not batch:
            continue
        try:
            sender = build_sender(channel, env)
        except ChannelNotReady as exc:
            result.waiting += len(batch)
            result.errors.append(redact(str(exc)))
            log.error("channel not ready: %s", redact(str(exc)), extra={"channel": channel.id})
            continue

        def failed(row: Any, error: str, *, retryable: bool, channel_id: str = channel.id) -> None:
            _failed(
                engine,
                result,
                row,
                error,
                retryable=retryable,
                channel_id=channel_id,
                max_attempts=retry.max_attempts,
                now=now,
            )

        try:
            with sender:
                for position, row in enumerate(batch):
                    message = Message(
                        subject=row.subject,
                        body=row.body,
                        recipient=row.recipient,
                        mentions=mentions_of(row.recipient),
                        to=recipient_tokens(row.recipient) or (row.recipient,),
                        kind=row.kind,
                        account_id=row.account_id,
                        key=message_key(row.dedup_key),
                    )
                    try:
                        sender.send(message)
                    except SendError as exc:
                        failed(row, redact(str(exc)), retryable=exc.retryable)
                        if exc.stop_channel:  # a hung channel costs one timeout, not one each
                            rest = len(batch) - position - 1
                            result.waiting += rest
                            result.errors.append(
                                f"{channel.id}: {redact(str(exc))}; "
                                f"{rest} more wait for the next cycle"
                            )
                            log.warning(
                                "channel stopped for this cycle",
                                extra={"channel": channel.id, "waiting": rest},
                            )
                            break
                        continue
                    # Recorded first, before anything else can fail: a message the receiver
                    # took is never sent again.
                    _record(
                        engine,
                        row.id,
                        sent_at=now,
                        attempts=row.attempts + 1,
                        last_attempt_at=now,
                        last_error=None,
                    )
                    result.sent += 1
                    log.info(
                        "sent",
                        extra={
                            "channel": channel.id,
                            "notification": row.id,
                            "kind": row.kind,
                            "account": row.account_id,
                        },
                    )
        except SendError as exc:  # the channel could not be opened: every row of the batch
            error = redact(str(exc))
            result.errors.append(f"{channel.id}: {error}")
            for row in batch:
                if _unsent(engine, row.id):
                    failed(row, error, retryable=exc.retryable)
        except ChannelNotReady as exc:  # e.g. the SMTP login was refused
            result.waiting += len(batch)
            result.errors.append(redact(str(exc)))
            log.error("channel not ready: %s", redact(str(exc)), extra={"channel": channel.id})
    return result


def message_key(dedup_key: str) -> str:
    """A stable id for a queued message, for receivers that deduplicate (no personal data)."""
    return "govmedia-" + hashlib.sha256(dedup_key.encode("utf-8")).hexdigest()[:32]


def _failed(
    engine: Engine,
    result: Delivery,
    row: Any,
    error: str,
    *,
    retryable: bool,
    channel_id: str,
    max_attempts: int,
    now: dt.datetime,
) -> None:
    """Record a failed attempt; a refusal that retrying cannot cure gives the row up at once."""
    attempts = row.attempts + 1 if retryable else max(max_attempts, row.attempts + 1)
    _record(engine, row.id, attempts=attempts, last_attempt_at=now, last_error=error[:1000])
    result.failed += 1
    gave_up = attempts >= max_attempts
    if gave_up:
        result.given_up += 1
    log.warning(
        "send failed",
        extra={
            "channel": channel_id,
            "notification": row.id,
            "kind": row.kind,
            "attempt": row.attempts + 1,
            "error": error,
            "gave_up": gave_up,
        },
    )


def _unsent(engine: Engine, row_id: int) -> bool:
    with engine.connect() as conn:
        return (
            conn.execute(
                select(notifications.c.id).where(
                    and_(notifications.c.id == row_id, notifications.c.sent_at.is_(None))
                )
            ).first()
            is not None
        )
