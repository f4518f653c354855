"""Manual observations: what a person saw on an account no spider can reach, kept as evidence.

Douyin, Kuaishou, Toutiao and Xiaohongshu need browser-computed signatures, so an office clerk
looks at the account and reports the time of its latest post (and, if they counted, how many posts
it made this natural week). That report is an observation like a crawl's: source `manual`, outcome
`ok`, with who recorded it and a small JSON of exactly what was recorded, gzip-compressed with its
SHA-256, as crawled evidence is. The compliance rules read it like any other ok observation.

`check_manual` is pure (data and `now` in, problems out); `record_manual` writes one row.
"""

from __future__ import annotations

import datetime as dt
import difflib
import gzip
import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import Engine

from registry.constants import LOCAL_TZ, AccountStatus, Outcome, Source
from registry.i18n import _
from registry.models import Config
from registry.store import observations
from registry.weeks import IsoWeek

# How far ahead of the clock a time may be before it is "in the future": clocks of the clerk's
# PC and the server differ by a little.
CLOCK_SKEW = dt.timedelta(minutes=5)


class ObservationError(ValueError):
    """The report cannot be recorded as given; the message says what to change."""


@dataclass(frozen=True)
class ManualObservation:
    """What a person saw, and when."""

    account_id: str
    last_post_at: dt.datetime  # aware
    at: dt.datetime  # aware: when they looked
    recorded_by: str
    posts_this_week: int | None = None  # posts in the ISO week (Asia/Shanghai) containing `at`
    note: str | None = None

    def evidence(self) -> dict[str, object]:
        """The record kept as evidence: the facts as entered, in local time."""
        return {
            "kind": "manual_observation",
            "account": self.account_id,
            "last_post_at": self.last_post_at.astimezone(LOCAL_TZ).isoformat(),
            "at": self.at.astimezone(LOCAL_TZ).isoformat(),
            "posts_this_week": self.posts_this_week,
            "week": str(IsoWeek.containing(self.at)),
            "note": self.note,
            "recorded_by": self.recorded_by,
        }


def suggest_account(config: Config, account_id: str) -> str:
    """' (did you mean x?)' for an unknown account id, or '' when nothing is close."""
    known = [account.id for _department, account in config.iter_accounts()]
    close = difflib.get_close_matches(account_id, known, n=1, cutoff=0.6)
    if close:
        return _("; did you mean {id}?").format(id=close[0])
    return _("; see `govmedia accounts`")


def check_manual(
    config: Config, report: ManualObservation, *, now: dt.datetime
) -> tuple[list[str], list[str]]:
    """Problems that stop the report from being recorded (raised), then (warnings, notes).

    Raises ObservationError for: an unknown account, a time in the future, a last post after the
    moment the person looked, a negative count, or a count that contradicts the last post's week.
    A closed account is recorded with a warning: a person seeing it post again is how a relaunch
    (违规复开) is noticed, so the report must not be refused.
    """
    try:
        _department, account = config.account(report.account_id)
    except KeyError:
        raise ObservationError(
            _("no account {id!r} in the ledger").format(id=report.account_id)
            + suggest_account(config, report.account_id)
        ) from None
    if not report.recorded_by.strip():
        raise ObservationError(_("say who looked: --by NAME"))
    if report.at > now + CLOCK_SKEW:
        raise ObservationError(
            _("--at {at} is in the future (now {now}); give the time you looked").format(
                at=_local(report.at), now=_local(now)
            )
        )
    if report.last_post_at > report.at:
        raise ObservationError(
            _(
                "--last-post {last_post} is after --at {at}: "
                "nobody can see a post before it is published"
            ).format(last_post=_local(report.last_post_at), at=_local(report.at))
        )
    if report.posts_this_week is not None:
        if report.posts_this_week < 0:
            raise ObservationError(_("--posts-this-week must be 0 or more"))
        week = IsoWeek.containing(report.at)
        in_week = report.last_post_at >= week.start()
        if report.posts_this_week > 0 and not in_week:
            raise ObservationError(
                _(
                    "--posts-this-week {n} but the last post ({last_post}) is before this week "
                    "({week}, from {monday}); one of them is wrong"
                ).format(
                    n=report.posts_this_week,
                    last_post=_local(report.last_post_at),
                    week=week,
                    monday=week.monday(),
                )
            )
        if report.posts_this_week == 0 and in_week:
            raise ObservationError(
                _(
                    "--posts-this-week 0 but the last post ({last_post}) is in "
                    "this week ({week}); count it, or correct --last-post"
                ).format(last_post=_local(report.last_post_at), week=week)
            )
    warnings, notes = [], []
    if account.status is AccountStatus.CLOSED:
        warnings.append(
            _(
                "{id} is closed in the ledger; recorded anyway. A post after its closure "
                "is a relaunch (违规复开) and will be reported"
            ).format(id=account.id)
        )
    if account.effective_source is not Source.MANUAL:
        notes.append(
            _(
                "{id} is normally observed by the {source} spider; "
                "this manual observation counts beside its crawls"
            ).format(id=account.id, source=account.effective_source.value)
        )
    return warnings, notes


def evidence_blob(record: dict[str, object]) -> tuple[bytes, str]:
    """(gzip of the JSON, SHA-256 of the JSON): the same pair a crawl keeps for a response."""
    raw = json.dumps(record, ensure_ascii=False, sort_keys=True).encode("utf-8")
    return gzip.compress(raw, mtime=0), hashlib.sha256(raw).hexdigest()


def record_manual(engine: Engine, report: ManualObservation) -> int:
    """Store the observation in one transaction; returns its id."""
    evidence, sha256 = evidence_blob(report.evidence())
    with engine.begin() as conn:
        result = conn.execute(
            observations.insert().values(
                account_id=report.account_id,
                source=Source.MANUAL.value,
                crawl_id=None,
                at=report.at.astimezone(dt.UTC),
                outcome=Outcome.OK.value,
                latest_post_at=report.last_post_at.astimezone(dt.UTC),
                posts_seen=0,
                posts_this_week=report.posts_this_week,
                detail=report.note,
                http_status=None,
                url=None,
                evidence=evidence,
                evidence_sha256=sha256,
                recorded_by=report.recorded_by,
            )
        )
        return int(result.inserted_primary_key[0])


def _local(instant: dt.datetime) -> str:
    return instant.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
