"""The compliance rules: pure functions from an account's posts and observations to verdicts.

Nothing here reads a clock, a file or the store: the monitoring time point `at` (T) is an input,
and so is the time zone of natural weeks (Asia/Shanghai unless the ledger says otherwise). The
store side (registry/verdicts.py) loads facts, calls these functions and stores what they return.

Public API (stable; reports, the cycle and filings call it):

- `AccountFacts`: what the ledger says about an account (lifecycle status and closure dates).
- `ObservationFacts`: one attempt to observe an account (a crawl's fetch or a person's report).
- `Verdict`: an account's status at T, with the evidence, the rule and the document it rests on.
- `WeekVerdict`: an account's natural ISO week: posts, cadence met, missed run, worst status.
- `verdict_at(policy, account, posts, observations, at, *, tz)` → `Verdict`
- `week_verdicts(policy, account, posts, observations, weeks, *, at=None, tz)` → `[WeekVerdict]`

- `Timeline(policy, account, posts, observations, tz)`: one account prepared once, then asked
  `.verdict(at)` at many time points or `.week_verdicts(WeekGrid(weeks, tz), at)`; the two
  functions above are thin wrappers. `severity(status)` sorts worst first; `floor2(days)` rounds
  days for JSON and `whole_days(days)` for people (both down, the one rounding rule);
  `rule_text(policy, rule)` gives a rule's Chinese text and its document (`rule_condition`,
  `cadence_text`, `shutdown_flag_text`: the pieces reports and notices build sentences from; no
  rule is worded anywhere else).

`posts` are the publish instants (aware datetimes) of the account's stored posts, in any order,
without pinned posts: the store leaves them out (a pinned post is often old and listed above
everything a crawl's look-back window reaches, so it never ends a silence).

How the rules read the facts (thresholds come from `policy`):

Known posts. The posts table, plus the `latest_post_at` of every ok observation (crawled or
manual), merged: a person who saw a post on 11-20 proves a post on 11-20. A manual observation's
`posts_this_week` counts for the ISO week that contains the observation when the known posts of
that week are fewer.

Coverage: what the ok observations saw completely. An ok crawl made at O with `complete_since` C
proves that every post published in [C, O] is known; a crawl that read the list to its end
(`complete_since` None) proves [first known post, O] (nothing before a list's oldest row: a column
page or a feed lists only its latest rows); a manual observation proves [its latest post, O] (a
person's observation proves what it says). The spans are merged; a span [s, e] is *covered* when
one merged span holds it, with e cut at the last ok observation (the `stale_after_hours`
allowance below). A known post proves activity whatever the coverage; a silence needs it: the
silence since the last known post L before T is judged only if [L, T] is covered. The silence
before the first known post is judged only if the account was watched then (the tracking rule in
2. below).

Ledger status at T. The ledger holds today's status; for an earlier T the closure dates say what
it was then: closed from `deregistered_on` on, closing from `approved_on` on, active before.

At T, in this order:
1. exempt: closed at T; closing with the stop-update notice published (`notice_on` ≤ T's day);
   or opened less than `new_account_grace_days` before T (from 00:00 of `opened_on`) with no
   known post up to T. A closed account with a known post after the end of its deregistration
   day is `relaunched` (已注销账号违规复开): still exempt, but the verdict carries the alert.
2. unknown: no ok observation made at or after T − `stale_after_hours` (observations made after
   T count: they show what was posted up to T). Also unknown: a T before tracking began, i.e. no
   known post up to T and the first ok observation later than T + `stale_after_hours` (a crawl
   sees only the latest posts, so it cannot prove an older silence). The last failure's outcome
   and detail are shown. Unknown never escalates and never flags.
3. by days silent = T − the last known post at or before T: below `warn_after_days` ok, from it
   warning, from `veto_after_days` veto, from `zombie_after_days` zombie; comparisons are exact
   (a post exactly 7 × 24 h before T is 7 days silent: warning). With no known post, the silence
   counts from 00:00 of `opened_on`; with no `opened_on` either the account is veto (no post in
   the 14 days before T is proven, 90 days is not) and `days_silent` is null.
   A warning, veto or zombie whose silence [L, T] is not covered is unknown instead (the detail
   says from when observations are complete): an older post is no proof that nothing followed.

`posts_7d` counts known posts with T − 7 days ≤ published ≤ T. `posts_this_week` counts known
posts from Monday 00:00 of T's ISO week up to T (or a manual count reported in that week by T).

Weeks. A week W is judged at its end (next Monday 00:00 local), or at `at` when `at` falls in it.
- exempt (the account is exempt at that point): `met_cadence` None, the missed run resets to 0;
- unknown: `met_cadence` None, the missed run is carried unchanged (an unknown week neither
  extends nor resets it), never flagged. Unknown weeks sit before tracking began (run 0), after
  the last ok observation (the run stays where the evidence left it), or where no observation
  covers the week (below);
- a week still in progress that has not met the cadence yet: `met_cadence` None, run carried;
- otherwise `met_cadence` = known posts in W ≥ `min_posts_per_week`; met resets the run, missed
  extends it.
A judged week must also be covered: from the last known post before W (the silence W starts
in) to W's end or `at`; when W holds the account's first known post, the account must have been
watched before that post. An uncovered week is unknown, except that a met cadence stands (its
posts prove it: `met_cadence` True, the run resets, the worst status unknown) and an ok worst
status after a known post stands (known gaps only overestimate silences).
`worst_status` is the worst point-in-time status during W: the status at the longest silence
inside W (just before a post in W, or at W's end). `flag_shutdown` (应申请关停) holds for an
account active at that point whose worst status is zombie or whose missed run has reached
`flag_after_weeks`. `Verdict.missed_weeks` is the same run at T: complete weeks before T's week,
reset to 0 when T's own week has already met the cadence.
"""

from __future__ import annotations

import datetime as dt
import math
from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from registry.constants import (
    DOC_CLOSURE,
    DOC_LOCAL_CADENCE,
    DOC_LOCAL_RULES,
    DOC_VETO,
    LOCAL_TZ,
    OUTCOME_LABELS,
    AccountStatus,
    Outcome,
    Platform,
    Rule,
    Source,
    VerdictStatus,
)
from registry.weeks import IsoWeek

if TYPE_CHECKING:
    from registry.models import Account, Policy

UTC = dt.UTC
DAY = dt.timedelta(days=1)
WEEK = dt.timedelta(days=7)

# Statuses that count as "judged on activity" (not exempt, not unknown).
JUDGED = frozenset(
    {VerdictStatus.OK, VerdictStatus.WARNING, VerdictStatus.VETO, VerdictStatus.ZOMBIE}
)
_SEVERITY_RANK = {
    status: rank
    for rank, status in enumerate(
        (
            VerdictStatus.ZOMBIE,
            VerdictStatus.VETO,
            VerdictStatus.WARNING,
            VerdictStatus.UNKNOWN,
            VerdictStatus.OK,
            VerdictStatus.EXEMPT,
        )
    )
}


def severity(status: VerdictStatus) -> int:
    """Sort key, worst first (zombie 0 … exempt 5); unknown ranks below proven failures."""
    return _SEVERITY_RANK[status]


# ---------------------------------------------------------------------------------------------
# Facts in


@dataclass(frozen=True, slots=True)
class AccountFacts:
    """What the ledger says about one account: enough for the rules, nothing more."""

    id: str
    department_id: str
    platform: Platform
    status: AccountStatus  # the ledger's status now
    opened_on: dt.date | None = None
    filed_on: dt.date | None = None
    approved_on: dt.date | None = None  # closure approved
    notice_on: dt.date | None = None  # stop-update notice (停更公告) published
    deregistered_on: dt.date | None = None  # deregistered on the platform (注销)
    closure_filed_on: dt.date | None = None  # closure filed in the national filing system

    @classmethod
    def from_ledger(cls, department_id: str, account: Account) -> AccountFacts:
        closure = account.closure
        return cls(
            id=account.id,
            department_id=department_id,
            platform=account.platform,
            status=account.status,
            opened_on=account.opened_on,
            filed_on=account.filed_on,
            approved_on=closure.approved_on if closure else None,
            notice_on=closure.notice_on if closure else None,
            deregistered_on=closure.deregistered_on if closure else None,
            closure_filed_on=closure.filed_on if closure else None,
        )

    def status_on(self, day: dt.date) -> AccountStatus:
        """The lifecycle status on a local day: today's ledger status, rolled back by its dates."""
        if self.status is AccountStatus.ACTIVE:
            return AccountStatus.ACTIVE
        if self.status is AccountStatus.CLOSED and (
            self.deregistered_on is None or day >= self.deregistered_on
        ):
            return AccountStatus.CLOSED
        if self.approved_on is None or day >= self.approved_on:
            return AccountStatus.CLOSING
        return AccountStatus.ACTIVE


@dataclass(frozen=True, slots=True)
class ObservationFacts:
    """One attempt to observe an account. Only an ok outcome says anything about activity."""

    at: dt.datetime  # when it was made (aware)
    outcome: Outcome
    latest_post_at: dt.datetime | None = None  # meaningful only when ok
    posts_this_week: int | None = None  # a person's count for the ISO week containing `at`
    detail: str | None = None
    source: str | None = None
    # A crawl's: every post published from then up to `at` was seen (None: the list was read to
    # its end). Manual observations ignore it: a person proves their latest post up to `at`.
    complete_since: dt.datetime | None = None

    def __post_init__(self) -> None:
        _require_aware(self.at, "ObservationFacts.at")
        if self.latest_post_at is not None:
            _require_aware(self.latest_post_at, "ObservationFacts.latest_post_at")
        if self.complete_since is not None:
            _require_aware(self.complete_since, "ObservationFacts.complete_since")


# ---------------------------------------------------------------------------------------------
# Verdicts out


@dataclass(frozen=True, slots=True)
class Verdict:
    """An account's compliance status at a monitoring time point, with its evidence."""

    account_id: str
    at: dt.datetime
    status: VerdictStatus
    last_post_at: dt.datetime | None
    days_silent: float | None
    posts_7d: int
    posts_this_week: int
    flag_shutdown: bool
    relaunched: bool
    missed_weeks: int
    rule: str  # the rule, in Chinese, with its thresholds
    basis: str  # the document it rests on
    detail: str | None = None  # e.g. the last failure, for unknown
    rule_key: Rule = Rule.CADENCE_OK
    ledger_status: AccountStatus = AccountStatus.ACTIVE  # the lifecycle status at T
    flag_reason: str | None = None  # why flagged (应申请关停), with its document
    last_failure: ObservationFacts | None = None

    def as_json(self) -> dict[str, Any]:
        """The `check --json` object (DESIGN.md): instants ISO-8601 with their offset."""
        return {
            "account": self.account_id,
            "status": self.status.value,
            "last_post_at": self.last_post_at.isoformat() if self.last_post_at else None,
            "days_silent": floor2(self.days_silent),
            "posts_7d": self.posts_7d,
            "posts_this_week": self.posts_this_week,
            "flag_shutdown": self.flag_shutdown,
            "rule": self.rule,
            "basis": self.basis,
        }

    def state(self) -> tuple[VerdictStatus, bool, bool]:
        """What a status change compares: status, shutdown flag, relaunch."""
        return (self.status, self.flag_shutdown, self.relaunched)


@dataclass(frozen=True, slots=True)
class WeekVerdict:
    """An account's natural ISO week (Monday–Sunday, local time)."""

    account_id: str
    week: IsoWeek
    posts: int  # known posts in the week (up to `at` for a week in progress)
    met_cadence: bool | None  # None: exempt, unknown, or in progress and not met yet
    missed_run: int  # consecutive missed weeks ending with this one
    worst_status: VerdictStatus
    flag_shutdown: bool
    max_days_silent: float | None = None  # the longest silence inside the week
    complete: bool = True  # False: judged at `at`, before the week ended


def floor2(days: float | None) -> float | None:
    """Days for JSON, rounded down to 2 decimals so that 13.999 never shows as 14."""
    return None if days is None else math.floor(days * 100) / 100


def whole_days(days: float | None) -> int | None:
    """Days silent for people, the one rounding rule of every report, notice, sheet, alert,
    filing and table: whole days, rounded down (13.99 days is not yet 14; never 15 beside a
    sentence that says 14)."""
    return None if days is None else math.floor(days)


# ---------------------------------------------------------------------------------------------
# Entry points


def verdict_at(
    policy: Policy,
    account: AccountFacts,
    posts: Iterable[dt.datetime],
    observations: Iterable[ObservationFacts],
    at: dt.datetime,
    *,
    tz: ZoneInfo = LOCAL_TZ,
) -> Verdict:
    """The account's verdict at T = `at` (see the module docstring for the rules)."""
    _require_aware(at, "at")
    return Timeline(policy, account, posts, observations, tz).verdict(at)


def week_verdicts(
    policy: Policy,
    account: AccountFacts,
    posts: Iterable[dt.datetime],
    observations: Iterable[ObservationFacts],
    weeks: Sequence[IsoWeek],
    *,
    at: dt.datetime | None = None,
    tz: ZoneInfo = LOCAL_TZ,
) -> list[WeekVerdict]:
    """One `WeekVerdict` per week in `weeks` (sorted), oldest first.

    Weeks that start after `at` are left out; the week holding `at` is judged at `at`.
    """
    if at is not None:
        _require_aware(at, "at")
    grid = WeekGrid(weeks, tz)
    return Timeline(policy, account, posts, observations, tz).week_verdicts(grid, at)


# ---------------------------------------------------------------------------------------------
# The machinery. Inside, instants are naive datetimes in UTC: comparing and subtracting them is
# the cheapest thing Python does with time, and a year of 20,000 accounts is 3M of them.

_EPOCH_UTC = dt.datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_NAIVE = dt.datetime(1970, 1, 1)
_ONE_US = dt.timedelta(microseconds=1)
_ZERO = dt.timedelta(0)


def _require_aware(value: dt.datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got naive {value!r}")


def naive_utc(instant: dt.datetime) -> dt.datetime:
    """An aware instant as a naive UTC datetime (the inside representation)."""
    return (instant - _EPOCH_UTC) + _EPOCH_NAIVE


def aware(instant: dt.datetime, tz: ZoneInfo | dt.tzinfo = UTC) -> dt.datetime:
    """A naive UTC instant, aware again and shown in `tz`."""
    utc = (instant - _EPOCH_NAIVE) + _EPOCH_UTC
    return utc if tz is UTC else utc.astimezone(tz)


@lru_cache(maxsize=100_000)
def local_midnight(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    """00:00 of a local day, as a naive UTC instant."""
    return naive_utc(dt.datetime.combine(day, dt.time(), tzinfo=tz))


def local_day(instant: dt.datetime, tz: ZoneInfo) -> dt.date:
    """The local date of a naive UTC instant."""
    return aware(instant, tz).date()


class WeekGrid:
    """Consecutive weeks covering the requested ones, with bounds as naive UTC instants and their
    local Mondays and Sundays, built once and shared by every account of a history."""

    __slots__ = ("weeks", "wanted", "starts", "ends", "mondays", "sundays", "tz")

    def __init__(self, weeks: Sequence[IsoWeek], tz: ZoneInfo = LOCAL_TZ) -> None:
        self.tz = tz
        wanted = frozenset(weeks)
        all_weeks: list[IsoWeek] = []
        if weeks:
            first, last = min(weeks), max(weeks)
            week = first
            while week <= last:
                all_weeks.append(week)
                week = week.next()
        self.weeks = all_weeks
        self.wanted = [w in wanted for w in all_weeks]
        self.mondays = [w.monday() for w in all_weeks]
        self.sundays = [w.sunday() for w in all_weeks]
        self.starts = [local_midnight(m, tz) for m in self.mondays]
        self.ends = [local_midnight(s + DAY, tz) for s in self.sundays]


class Limits:
    """What a policy means in time spans and words, computed once per policy."""

    __slots__ = ("policy", "stale", "warn", "veto", "zombie", "grace", "min_posts", "texts")

    _cache: dict[int, Limits] = {}

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.stale = dt.timedelta(hours=policy.stale_after_hours)
        self.warn = dt.timedelta(days=policy.warn_after_days)
        self.veto = dt.timedelta(days=policy.veto_after_days)
        self.zombie = dt.timedelta(days=policy.zombie_after_days)
        self.grace = dt.timedelta(days=policy.new_account_grace_days)
        self.min_posts = policy.min_posts_per_week
        self.texts = {rule: rule_text(policy, rule) for rule in Rule}

    @classmethod
    def of(cls, policy: Policy) -> Limits:
        cached = cls._cache.get(id(policy))
        if cached is None or cached.policy is not policy:
            if len(cls._cache) > 64:
                cls._cache.clear()
            cached = cls._cache[id(policy)] = cls(policy)
        return cached


# What a week is, for the cadence (see the module docstring).
_EXEMPT, _UNKNOWN, _MET, _MISSED, _OPEN = "exempt", "unknown", "met", "missed", "open"


class Timeline:
    """One account's known posts and observations, prepared once for many time points.

    `posts` given with `presorted=True` must be naive UTC datetimes in ascending order (the store
    side's fast path); otherwise any aware datetimes, in any order.
    """

    __slots__ = (
        "policy",
        "limits",
        "account",
        "tz",
        "posts",
        "first_ok",
        "last_ok",
        "failures",
        "manual",
        "manual_at",
        "grace_end",
        "opened",
        "relaunch_after",
        "always_active",
        "cov_starts",
        "cov_ends",
        "cov_all",
    )

    def __init__(
        self,
        policy: Policy,
        account: AccountFacts,
        posts: Iterable[dt.datetime],
        observations: Iterable[ObservationFacts],
        tz: ZoneInfo = LOCAL_TZ,
        *,
        presorted: bool = False,
    ) -> None:
        self.policy = policy
        self.limits = limits = Limits.of(policy)
        self.account = account
        self.tz = tz
        if presorted:
            known = posts if isinstance(posts, list) else list(posts)
        else:
            known = []
            for p in posts:
                _require_aware(p, "post published_at")
                known.append(naive_utc(p))
            known.sort()
        first_ok: dt.datetime | None = None
        last_ok: dt.datetime | None = None
        failures: list[ObservationFacts] = []
        manual: list[tuple[dt.datetime, int]] = []
        spans: list[tuple[dt.datetime | None, dt.datetime]] = []  # None: from the first post
        copied = not presorted
        manual_source = Source.MANUAL.value
        for obs in observations:
            if obs.outcome is not Outcome.OK:
                failures.append(obs)
                continue
            at = naive_utc(obs.at)
            if obs.source == manual_source:
                seen = obs.latest_post_at
                spans.append((min(naive_utc(seen), at) if seen is not None else at, at))
            elif obs.complete_since is not None:
                spans.append((min(naive_utc(obs.complete_since), at), at))
            else:
                spans.append((None, at))
            if first_ok is None or at < first_ok:
                first_ok = at
            if last_ok is None or at > last_ok:
                last_ok = at
            if obs.latest_post_at is not None:
                latest = naive_utc(obs.latest_post_at)
                i = bisect_left(known, latest)
                if i == len(known) or known[i] != latest:
                    if not copied:  # never change the caller's list
                        known, copied = list(known), True
                    insort(known, latest)
            if obs.posts_this_week is not None:
                manual.append((at, obs.posts_this_week))
        manual.sort(key=lambda item: item[0])
        failures.sort(key=lambda o: o.at)
        self.posts = known
        self.cov_starts, self.cov_ends = _merge_spans(spans, known[0] if known else None)
        # One span from the first known post (or earlier) on: every check below passes.
        self.cov_all = len(self.cov_starts) == 1 and bool(known) and self.cov_starts[0] <= known[0]
        self.first_ok = first_ok
        self.last_ok = last_ok
        self.failures = failures
        self.manual = manual
        self.manual_at = [at for at, _ in manual]
        self.opened = local_midnight(account.opened_on, tz) if account.opened_on else None
        self.grace_end = self.opened + limits.grace if self.opened is not None else None
        self.relaunch_after = (
            local_midnight(account.deregistered_on + DAY, tz) if account.deregistered_on else None
        )
        self.always_active = account.status is AccountStatus.ACTIVE

    # -- facts at a point ---------------------------------------------------------------------

    def last_post_upto(self, at: dt.datetime) -> dt.datetime | None:
        i = bisect_right(self.posts, at)
        return self.posts[i - 1] if i else None

    def count(self, lo: dt.datetime, hi: dt.datetime) -> int:
        """Known posts with lo ≤ published ≤ hi."""
        return max(0, bisect_right(self.posts, hi) - bisect_left(self.posts, lo))

    def manual_count(self, lo: dt.datetime, hi: dt.datetime, *, hi_inclusive: bool) -> int:
        """The largest manual weekly count reported by an ok observation made in [lo, hi)
        (or [lo, hi])."""
        if not self.manual:
            return 0
        ats = self.manual_at
        right = (bisect_right if hi_inclusive else bisect_left)(ats, hi)
        return max((self.manual[i][1] for i in range(bisect_left(ats, lo), right)), default=0)

    def known(self, at: dt.datetime, *, has_post: bool) -> bool:
        """Enough ok observations to judge the account at `at` (see the module docstring)."""
        stale = self.limits.stale
        if self.last_ok is None or self.last_ok < at - stale:
            return False
        return has_post or (self.first_ok is not None and self.first_ok <= at + stale)

    def covered(self, start: dt.datetime, end: dt.datetime) -> bool:
        """Every post in [start, end] is known: one coverage span holds the whole of it. `end`
        past the last ok observation is cut there (the `stale_after_hours` allowance)."""
        last_ok = self.last_ok
        if last_ok is None:
            return False
        if end > last_ok:
            end = last_ok
        if start >= end or self.cov_all:
            return True
        i = bisect_right(self.cov_starts, start) - 1
        return i >= 0 and self.cov_ends[i] >= end

    def silence_proven(self, lo: int, hi: int, start: dt.datetime, probe: dt.datetime) -> bool:
        """The silences of the week [start, …] up to `probe` are proven: posts[lo:hi] are its
        known posts. With no post yet the tracking rule has decided (`known`); with the first
        known post inside the week, the silence before it is proven only if the account was
        watched before that post; otherwise from the last post before the week on."""
        if hi == 0:
            return True
        if lo == 0:
            first_ok = self.first_ok
            return first_ok is not None and self.posts[0] >= first_ok - self.limits.stale
        return self.covered(self.posts[lo - 1], probe)

    def coverage_detail(self, last: dt.datetime) -> str:
        """Why a silence since `last` is not proven, for an unknown verdict."""
        start = self.cov_starts[-1] if self.cov_starts else None
        text = f"最近一条已知更新（{_local(last, self.tz)}）之后的更新未经完整观测，无法证明未更新"
        if start is not None and start > last:
            text += f"（完整观测自{_local(start, self.tz)}起）"
        return text

    def exemption(
        self, at: dt.datetime, day: dt.date, ledger: AccountStatus, has_post: bool
    ) -> Rule | None:
        if ledger is AccountStatus.CLOSED:
            return Rule.CLOSED
        notice_on = self.account.notice_on
        if ledger is AccountStatus.CLOSING and notice_on is not None and notice_on <= day:
            return Rule.CLOSING_NOTICE
        if self.grace_end is not None and not has_post and at < self.grace_end:
            return Rule.GRACE
        return None

    def judge_silence(self, silence: dt.timedelta | None) -> tuple[VerdictStatus, Rule]:
        limits = self.limits
        if silence is None:
            # No post known and no opening date: no post in the veto window is proven, 90 days
            # are not.
            return VerdictStatus.VETO, Rule.VETO
        if silence >= limits.zombie:
            return VerdictStatus.ZOMBIE, Rule.ZOMBIE
        if silence >= limits.veto:
            return VerdictStatus.VETO, Rule.VETO
        if silence >= limits.warn:
            return VerdictStatus.WARNING, Rule.CADENCE_WARNING
        return VerdictStatus.OK, Rule.CADENCE_OK

    def silence_at(
        self, at: dt.datetime, last: dt.datetime | None
    ) -> tuple[dt.timedelta | None, bool]:
        """(silence, counted from opening) at `at` given the last known post up to it."""
        if last is not None:
            return at - last, False
        if self.opened is not None:
            return max(at - self.opened, _ZERO), True
        return None, False

    def unknown_detail(self, at: dt.datetime) -> tuple[str, ObservationFacts | None]:
        failure = self.failures[-1] if self.failures else None
        tz = self.tz
        if self.last_ok is not None and self.last_ok >= at - self.limits.stale and self.first_ok:
            # Known recently, but T lies before tracking began.
            return f"监测开始前（首次成功观测：{_local(self.first_ok, tz)}）", failure
        if failure is not None:
            text = f"最近一次观测失败：{OUTCOME_LABELS[failure.outcome]}（{failure.outcome.value}）"
            if failure.detail:
                text += f"：{failure.detail}"
            return text + f"，{_local(naive_utc(failure.at), tz)}", failure
        if self.last_ok is not None:
            return f"最近一次成功观测：{_local(self.last_ok, tz)}", None
        return "尚无观测记录", None

    # -- the verdict at T ----------------------------------------------------------------------

    def verdict(self, at: dt.datetime) -> Verdict:
        account, tz, limits = self.account, self.tz, self.limits
        t = naive_utc(at)
        day = at.astimezone(tz).date()
        ledger = account.status_on(day)
        last = self.last_post_upto(t)
        monday = day - dt.timedelta(days=day.weekday())
        week_start = local_midnight(monday, tz)
        posts_7d = self.count(t - WEEK, t)
        posts_week = self.count(week_start, t)
        if self.manual:
            posts_week = max(posts_week, self.manual_count(week_start, t, hi_inclusive=True))
        relaunched = (
            ledger is AccountStatus.CLOSED
            and last is not None
            and self.relaunch_after is not None
            and last >= self.relaunch_after
        )
        # Exempt and unknown verdicts show the silence since the last known post only; the
        # silence since opening is a judgment, made only for accounts that are judged.
        days = (t - last).total_seconds() / 86400 if last is not None else None
        missed = 0
        if limits.min_posts > 0 and posts_week < limits.min_posts:
            missed = self.run_before(monday)
        last_local = aware(last, tz) if last is not None else None

        def unjudged(
            status: VerdictStatus,
            rule_key: Rule,
            detail: str | None,
            failure: ObservationFacts | None = None,
        ) -> Verdict:
            """An exempt or unknown verdict: shown with its rule, never flagged."""
            rule, basis = limits.texts[rule_key]
            return Verdict(
                account.id,
                at,
                status,
                last_local,
                days,
                posts_7d,
                posts_week,
                False,
                relaunched,
                missed,
                rule,
                basis,
                detail,
                rule_key,
                ledger,
                None,
                failure,
            )

        exempt = self.exemption(t, day, ledger, last is not None)
        if exempt is not None:
            detail = None
            if relaunched and last is not None:
                exempt = Rule.RELAUNCHED
                detail = f"{account.deregistered_on} 注销后仍有更新，最近一条：{_local(last, tz)}"
            return unjudged(VerdictStatus.EXEMPT, exempt, detail)
        if not self.known(t, has_post=last is not None):
            detail, failure = self.unknown_detail(t)
            return unjudged(VerdictStatus.UNKNOWN, Rule.UNKNOWN, detail, failure)
        silence, from_opening = self.silence_at(t, last)
        status, rule_key = self.judge_silence(silence)
        if last is not None and status is not VerdictStatus.OK and not self.covered(last, t):
            # A known post proves activity; a silence needs every post since `last` seen.
            return unjudged(VerdictStatus.UNKNOWN, Rule.UNCOVERED, self.coverage_detail(last))
        if silence is not None:
            days = silence.total_seconds() / 86400
        rule, basis = limits.texts[rule_key]
        detail = None
        if last is None:
            detail = (
                f"未发现任何更新，自开设日（{account.opened_on}）起计"
                if from_opening
                else "未发现任何更新，台账未登记开设日期"
            )
        flag_reason = self.flag_reason(status, missed) if ledger is AccountStatus.ACTIVE else None
        return Verdict(
            account.id,
            at,
            status,
            last_local,
            days,
            posts_7d,
            posts_week,
            flag_reason is not None,
            relaunched,
            missed,
            rule,
            basis,
            detail,
            rule_key,
            ledger,
            flag_reason,
        )

    def flag_reason(self, status: VerdictStatus, missed: int) -> str | None:
        policy = self.policy
        if status is VerdictStatus.ZOMBIE:
            return (
                f"连续{policy.zombie_after_days}天以上未更新（僵尸账号），"
                f"确属无力维护的应申请关停（{DOC_CLOSURE}）"
            )
        if policy.min_posts_per_week > 0 and missed >= policy.flag_after_weeks:
            return (
                f"连续{missed}周未达到每周至少更新{policy.min_posts_per_week}条的要求"
                f"（{DOC_LOCAL_CADENCE}），应申请关停（{DOC_CLOSURE}）"
            )
        return None

    # -- weeks ---------------------------------------------------------------------------------

    def classify_week(
        self,
        start: dt.datetime,
        end: dt.datetime,
        sunday: dt.date,
        point: dt.datetime | None = None,
    ) -> tuple[str, int, AccountStatus]:
        """(kind, posts, ledger status) of the week [start, end), judged at its end or, for a
        week in progress, at `point` (posts counted up to and including it)."""
        posts = self.posts
        lo = bisect_left(posts, start)
        if point is None:
            hi = bisect_left(posts, end)
            n = hi - lo
            if self.manual:
                n = max(n, self.manual_count(start, end, hi_inclusive=False))
            day = sunday
            probe = end - _ONE_US  # the week's last instant
        else:
            hi = bisect_right(posts, point)
            n = hi - lo
            if self.manual:
                n = max(n, self.manual_count(start, point, hi_inclusive=True))
            day = local_day(point, self.tz)
            probe = point
        has_post = hi > 0
        ledger = AccountStatus.ACTIVE if self.always_active else self.account.status_on(day)
        if self.exemption(probe, day, ledger, has_post) is not None:
            return _EXEMPT, n, ledger
        if not self.known(probe, has_post=has_post):
            return _UNKNOWN, n, ledger
        if n >= self.limits.min_posts:
            return _MET, n, ledger
        if not self.silence_proven(lo, hi, start, probe):
            return _UNKNOWN, n, ledger
        return (_MISSED if point is None else _OPEN), n, ledger

    def run_before(self, monday: dt.date) -> int:
        """The missed run of the complete weeks before the week of local `monday`."""
        if self.limits.min_posts <= 0 or self.last_ok is None:
            return 0
        run = 0
        tz = self.tz
        posts = self.posts
        first_ok = self.first_ok
        stale = self.limits.stale
        end = local_midnight(monday, tz)
        while True:
            if not (posts and posts[0] < end) and (first_ok is None or first_ok > end + stale):
                return run  # before tracking began: every earlier week is unknown too
            sunday = monday - DAY
            monday = monday - WEEK
            start = local_midnight(monday, tz)
            kind, _, _ = self.classify_week(start, end, sunday)
            if kind is _EXEMPT or kind is _MET:
                return run
            if kind is _MISSED:
                run += 1
            end = start

    def week_verdicts(self, grid: WeekGrid, at: dt.datetime | None) -> list[WeekVerdict]:
        """The weeks of `grid` (one pass: post indexes by bisect, silences from the gaps)."""
        weeks = grid.weeks
        if not weeks:
            return []
        t = naive_utc(at) if at is not None else None
        starts, ends = grid.starts, grid.ends
        n_weeks = len(weeks) if t is None else bisect_right(starts, t)
        if not n_weeks:
            return []
        account_id = self.account.id
        limits = self.limits
        min_posts = limits.min_posts
        flag_weeks = self.policy.flag_after_weeks
        posts = self.posts
        opened = self.opened
        gaps = [b - a for a, b in zip(posts, posts[1:], strict=False)]
        # gaps[i - 1] is the silence just before posts[i]; before the very first known post the
        # silence counts from opening only if the account was already watched then (otherwise
        # older posts may simply be unseen).
        first_gap = _ZERO
        if (
            posts
            and opened is not None
            and self.first_ok is not None
            and posts[0] >= self.first_ok - limits.stale
        ):
            first_gap = max(posts[0] - opened, _ZERO)
        gaps.insert(0, first_gap)
        bounds = [bisect_left(posts, s) for s in starts[:n_weeks]]
        bounds.append(bisect_left(posts, ends[n_weeks - 1]))
        run = self.run_before(grid.mondays[0])
        out: list[WeekVerdict] = []
        wanted, sundays = grid.wanted, grid.sundays
        stale, grace_end = limits.stale, self.grace_end
        warn, veto, zombie = limits.warn, limits.veto, limits.zombie
        first_ok, last_ok = self.first_ok, self.last_ok
        cov_all, silence_proven = self.cov_all, self.silence_proven
        notice_on = self.account.notice_on
        status_on = self.account.status_on
        active, closed, closing = AccountStatus.ACTIVE, AccountStatus.CLOSED, AccountStatus.CLOSING
        st_exempt, st_unknown = VerdictStatus.EXEMPT, VerdictStatus.UNKNOWN
        st_ok, st_warning, st_veto, st_zombie = (
            VerdictStatus.OK,
            VerdictStatus.WARNING,
            VerdictStatus.VETO,
            VerdictStatus.ZOMBIE,
        )
        # The same decisions as `classify_week`, inlined: this loop runs a million times for a
        # year of 20,000 accounts.
        for w in range(n_weeks):
            end = ends[w]
            lo = bounds[w]
            complete = t is None or end <= t
            if complete:
                hi = bounds[w + 1]
                point = end
                probe = end - _ONE_US  # the week's last instant
                day = sundays[w]
            else:
                hi = bisect_right(posts, t)
                point = probe = t
                day = local_day(t, self.tz)
            n = hi - lo
            if self.manual:
                n = max(n, self.manual_count(starts[w], point, hi_inclusive=not complete))
            has_post = hi > 0
            ledger = active if self.always_active else status_on(day)
            met: bool | None = None
            flag = False
            max_days: float | None = None
            if (
                ledger is closed
                or (ledger is closing and notice_on is not None and notice_on <= day)
                or (grace_end is not None and not has_post and probe < grace_end)
            ):
                worst = st_exempt
                run = 0
            elif (
                last_ok is None
                or last_ok < probe - stale
                or not (has_post or (first_ok is not None and first_ok <= probe + stale))
            ):
                worst = st_unknown  # the run is carried, neither extended nor reset
            else:
                if n >= min_posts:
                    met, run = True, 0
                elif complete:
                    met, run = False, run + 1
                if hi:
                    silence = point - posts[hi - 1]
                    if hi > lo:
                        longest = max(gaps[lo:hi])
                        if longest > silence:
                            silence = longest
                elif opened is not None:
                    silence = max(point - opened, _ZERO)
                else:
                    silence = None
                if silence is None:
                    worst = st_veto
                else:
                    max_days = silence.total_seconds() / 86400
                    if silence >= zombie:
                        worst = st_zombie
                    elif silence >= veto:
                        worst = st_veto
                    elif silence >= warn:
                        worst = st_warning
                    else:
                        worst = st_ok
                if hi and (lo == 0 or not cov_all) and not silence_proven(lo, hi, starts[w], probe):
                    # Not covered: a met cadence stands (its posts prove it), a miss does not;
                    # the silences are upper bounds only after a known post (ok stays ok).
                    if met is False:
                        met, run = None, run - 1
                    if lo == 0 or worst is not st_ok:
                        worst, max_days = st_unknown, None
                    flag = False
                else:
                    flag = ledger is active and (
                        worst is st_zombie or (min_posts > 0 and run >= flag_weeks)
                    )
            if wanted[w]:
                out.append(
                    WeekVerdict(account_id, weeks[w], n, met, run, worst, flag, max_days, complete)
                )
        return out


def _merge_spans(
    spans: list[tuple[dt.datetime | None, dt.datetime]], first_post: dt.datetime | None
) -> tuple[list[dt.datetime], list[dt.datetime]]:
    """The coverage spans [start, end] of the ok observations, merged: (starts, ends), sorted and
    disjoint. A span starting at None (a list read to its end) starts at the first known post,
    or at its own end when it saw none: nothing before a list's oldest row is proven by it."""
    resolved = []
    for start, end in spans:
        if start is None:
            start = first_post if first_post is not None and first_post <= end else end
        resolved.append((start, end))
    resolved.sort()
    starts: list[dt.datetime] = []
    ends: list[dt.datetime] = []
    for start, end in resolved:
        if ends and start <= ends[-1]:
            if end > ends[-1]:
                ends[-1] = end
        else:
            starts.append(start)
            ends.append(end)
    return starts, ends


def rule_condition(policy: Policy, rule: Rule) -> str:
    """What a silence rule looks at, with its threshold: "监测时间点前14天内无更新". Reports and
    notices build their sentences from these (…的为单项否决), so each rule is worded once."""
    p = policy
    conditions = {
        Rule.CADENCE_OK: f"最近{p.warn_after_days}天内有更新",
        Rule.CADENCE_WARNING: f"连续{p.warn_after_days}天以上未更新",
        Rule.VETO: f"监测时间点前{p.veto_after_days}天内无更新",
        Rule.ZOMBIE: f"连续{p.zombie_after_days}天以上未更新",
    }
    return conditions[rule]


def rule_text(policy: Policy, rule: Rule) -> tuple[str, str]:
    """A rule in Chinese with its thresholds from `policy`, and the document it rests on."""
    p = policy
    texts: dict[Rule, tuple[str, str]] = {
        Rule.CLOSED: ("账号已关停注销，不再监测", DOC_CLOSURE),
        Rule.RELAUNCHED: ("已关停注销的账号在注销后仍有更新（违规复开）", DOC_CLOSURE),
        Rule.CLOSING_NOTICE: ("账号关停中，已发布停更公告，不再监测", DOC_CLOSURE),
        Rule.GRACE: (
            f"新开设账号（开设未满{p.new_account_grace_days}天且尚无更新），暂不监测",
            DOC_LOCAL_RULES,
        ),
        Rule.UNKNOWN: (
            f"最近{p.stale_after_hours}小时内无成功观测，无法核验（不作为未更新处理）",
            DOC_LOCAL_RULES,
        ),
        Rule.UNCOVERED: (
            "最近一条已知更新之后的更新未经完整观测，无法核验（不作为未更新处理）",
            DOC_LOCAL_RULES,
        ),
        Rule.CADENCE_OK: (
            f"{rule_condition(p, Rule.CADENCE_OK)}（最少一周更新一次）",
            DOC_LOCAL_CADENCE,
        ),
        Rule.CADENCE_WARNING: (
            f"{rule_condition(p, Rule.CADENCE_WARNING)}（最少一周更新一次）",
            DOC_LOCAL_CADENCE,
        ),
        Rule.VETO: (f"{rule_condition(p, Rule.VETO)}，单项否决", DOC_VETO),
        Rule.ZOMBIE: (f"{rule_condition(p, Rule.ZOMBIE)}（僵尸账号）", DOC_CLOSURE),
    }
    return texts[rule]


def cadence_text(policy: Policy) -> str:
    """The county's cadence rule with its threshold: 每周至少更新1条."""
    return f"每周至少更新{policy.min_posts_per_week}条"


def shutdown_flag_text(policy: Policy) -> tuple[str, str]:
    """When an account must apply to shut down (应申请关停), and the documents it rests on."""
    return (
        f"连续{policy.flag_after_weeks}周未达到{cadence_text(policy)}的要求，或成为僵尸账号；"
        "应申请关停下线，并提交关停证明和书面报告",
        f"{DOC_CLOSURE}；{DOC_LOCAL_CADENCE}",
    )


def _local(instant: dt.datetime, tz: ZoneInfo) -> str:
    """A naive UTC instant as local text for details: 2026-11-28 09:00."""
    return aware(instant, tz).strftime("%Y-%m-%d %H:%M")
