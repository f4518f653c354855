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
    known = [account.id for _, account in config.iter_accounts()]
    close = difflib.get_close_matches(account_id, known, n=1, cutoff=0.6)
    return f"; did you mean {close[0]}?" if close else "; see `govmedia accounts`"


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
        _, account = config.account(report.account_id)
    except KeyError:
        raise ObservationError(
            f"no account {report.account_id!r} in the ledger"
            + suggest_account(config, report.account_id)
        ) from None
    if not report.recorded_by.strip():
        raise ObservationError("say who looked: --by NAME")
    if report.at > now + CLOCK_SKEW:
        raise ObservationError(
            f"--at {_local(report.at)} is in the future (now {_local(now)}); give the time you looked"
        )
    if report.last_post_at > report.at:
        raise ObservationError(
            f"--last-post {_local(report.last_post_at)} is after --at {_local(report.at)}: "
            "nobody can see a post before it is published"
        )
    if report.posts_this_week is not None:
        if report.posts_this_week < 0:
            raise ObservationError("--posts-this-week must be 0 or more")
        week = IsoWeek.containing(report.at)
        in_week = report.last_post_at >= week.start()
        if report.posts_this_week > 0 and not in_week:
            raise ObservationError(
                f"--posts-this-week {report.posts_this_week} but the last post "
                f"({_local(report.last_post_at)}) is before this week ({week}, from "
                f"{week.monday()}); one of them is wrong"
            )
        if report.posts_this_week == 0 and in_week:
            raise ObservationError(
                f"--posts-this-week 0 but the last post ({_local(report.last_post_at)}) is in "
                f"this week ({week}); count it, or correct --last-post"
            )
    warnings, notes = [], []
    if account.status is AccountStatus.CLOSED:
        warnings.append(
            f"{account.id} is closed in the ledger; recorded anyway. A post after its closure "
            "is a relaunch (违规复开) and will be reported"
        )
    if account.effective_source is not Source.MANUAL:
        notes.append(
            f"{account.id} is normally observed by the {account.effective_source.value} spider; "
            "this manual observation counts beside its crawls"
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
