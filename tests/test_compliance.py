"""The pure compliance rules (registry/compliance.py): boundaries, unknown, grace, relaunch, weeks.

Time is an input: every test judges at CURRENT_TIME or at instants derived from it. Instants are
given in UTC where the week edges matter, to prove the rules read weeks in Asia/Shanghai.
"""

from __future__ import annotations

import datetime as dt
import random

import pytest

from registry.compliance import (
    AccountFacts,
    ObservationFacts,
    floor2,
    verdict_at,
    week_verdicts,
)
from registry.constants import (
    DOC_CLOSURE,
    DOC_LOCAL_CADENCE,
    DOC_VETO,
    LOCAL_TZ,
    AccountStatus,
    Outcome,
    Platform,
    Rule,
    VerdictStatus,
)
from registry.models import Policy
from registry.weeks import IsoWeek

CURRENT_TIME = dt.datetime(2026, 11, 28, 9, 0, tzinfo=LOCAL_TZ)  # a Saturday
T = CURRENT_TIME
POLICY = Policy()
DAY = dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)


def account(**kw) -> AccountFacts:
    values = dict(
        id="acc",
        department_id="dept",
        platform=Platform.WEIBO,
        status=AccountStatus.ACTIVE,
        opened_on=dt.date(2020, 1, 1),
    )
    values.update(kw)
    return AccountFacts(**values)


def ok(at: dt.datetime, latest: dt.datetime | None = None, **kw) -> ObservationFacts:
    return ObservationFacts(at=at, outcome=Outcome.OK, latest_post_at=latest, **kw)


WATCHED = [ok(T - 200 * DAY), ok(T - HOUR)]  # tracked for long, seen an hour ago


# ---------------------------------------------------------------------------------------------
# Days silent


@pytest.mark.parametrize(
    ("silent", "status", "rule", "basis"),
    [
        (dt.timedelta(days=6), VerdictStatus.OK, Rule.CADENCE_OK, DOC_LOCAL_CADENCE),
        (dt.timedelta(days=7) - dt.timedelta(seconds=1), VerdictStatus.OK, Rule.CADENCE_OK, None),
        (dt.timedelta(days=7), VerdictStatus.WARNING, Rule.CADENCE_WARNING, DOC_LOCAL_CADENCE),
        (dt.timedelta(days=13), VerdictStatus.WARNING, Rule.CADENCE_WARNING, None),
        (dt.timedelta(days=14) - dt.timedelta(microseconds=1), VerdictStatus.WARNING, None, None),
        (dt.timedelta(days=14), VerdictStatus.VETO, Rule.VETO, DOC_VETO),
        (dt.timedelta(days=89), VerdictStatus.VETO, Rule.VETO, None),
        (dt.timedelta(days=90), VerdictStatus.ZOMBIE, Rule.ZOMBIE, DOC_CLOSURE),
    ],
)
def test_days_silent_boundaries(silent, status, rule, basis):
    v = verdict_at(POLICY, account(), [T - silent], WATCHED, T)
    assert v.status is status
    assert v.days_silent == pytest.approx(silent.total_seconds() / 86400)
    if rule is not None:
        assert v.rule_key is rule
    if basis is not None:
        assert v.basis == basis


def test_thresholds_come_from_policy():
    strict = Policy(warn_after_days=3, veto_after_days=5, zombie_after_days=30)
    v = verdict_at(strict, account(), [T - 4 * DAY], WATCHED, T)
    assert v.status is VerdictStatus.WARNING
    assert "3天" in v.rule
    assert verdict_at(strict, account(), [T - 30 * DAY], WATCHED, T).status is VerdictStatus.ZOMBIE


def test_rule_and_basis_name_the_documents():
    v = verdict_at(POLICY, account(), [T - 20 * DAY], WATCHED, T)
    assert v.rule == "监测时间点前14天内无更新，单项否决"
    assert v.basis == "国办秘函〔2019〕19号"
    assert v.as_json()["basis"] == "国办秘函〔2019〕19号"


def test_days_silent_shows_rounded_down():
    v = verdict_at(POLICY, account(), [T - 14 * DAY + dt.timedelta(seconds=1)], WATCHED, T)
    assert v.status is VerdictStatus.WARNING
    assert v.as_json()["days_silent"] == 13.99
    assert floor2(None) is None


# ---------------------------------------------------------------------------------------------
# posts_7d and posts_this_week


@pytest.mark.parametrize(
    ("offset", "counted"),
    [
        (dt.timedelta(0), True),  # at T
        (7 * DAY, True),  # exactly 7 days before T: both ends inclusive
        (7 * DAY + dt.timedelta(microseconds=1), False),
        (-dt.timedelta(seconds=1), False),  # after T
    ],
)
def test_posts_7d_window_is_inclusive(offset, counted):
    posts = [T - offset, T - 30 * DAY]
    v = verdict_at(POLICY, account(), posts, WATCHED, T)
    assert v.posts_7d == (1 if counted else 0)


# Sunday 2026-11-29 23:59:59 +08:00 is 15:59:59 UTC; Monday 2026-11-30 00:00 +08:00 is 16:00 UTC.
SUNDAY_LAST = dt.datetime(2026, 11, 29, 15, 59, 59, tzinfo=dt.UTC)
MONDAY_FIRST = dt.datetime(2026, 11, 29, 16, 0, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("post", "at", "this_week"),
    [
        (SUNDAY_LAST, SUNDAY_LAST, 1),  # T on Sunday 23:59:59: the post is this week
        (SUNDAY_LAST, MONDAY_FIRST, 0),  # T on Monday 00:00: a new week has begun
        (MONDAY_FIRST, MONDAY_FIRST, 1),
        (MONDAY_FIRST - dt.timedelta(microseconds=1), MONDAY_FIRST, 0),
    ],
)
def test_posts_this_week_follows_local_iso_weeks(post, at, this_week):
    watched = [ok(at - 200 * DAY), ok(at)]
    v = verdict_at(POLICY, account(), [post], watched, at)
    assert v.posts_this_week == this_week


@pytest.mark.parametrize(
    ("post", "week"),
    [(SUNDAY_LAST, "2026-W48"), (MONDAY_FIRST, "2026-W49")],
)
def test_week_verdicts_count_posts_in_their_local_week(post, week):
    weeks = [IsoWeek.parse("2026-W48"), IsoWeek.parse("2026-W49")]
    watched = [ok(T - 200 * DAY), ok(MONDAY_FIRST + 8 * DAY)]
    result = week_verdicts(POLICY, account(), [post], watched, weeks)
    assert {str(w.week): w.posts for w in result} == {
        "2026-W48": int(week == "2026-W48"),
        "2026-W49": int(week == "2026-W49"),
    }


# ---------------------------------------------------------------------------------------------
# Unknown is not inactive


def test_silent_and_observed_is_veto_but_failing_fetches_are_unknown():
    posts = [T - 30 * DAY]
    inactive = verdict_at(POLICY, account(), posts, WATCHED, T)
    assert inactive.status is VerdictStatus.VETO

    failing = [
        ok(T - 200 * DAY),
        ok(T - 5 * DAY),
        ObservationFacts(T - 2 * HOUR, Outcome.BLOCKED, detail="HTTP 418"),
        ObservationFacts(T - HOUR, Outcome.AUTH_EXPIRED, detail="cookie expired"),
    ]
    unknown = verdict_at(POLICY, account(), posts, failing, T)
    assert unknown.status is VerdictStatus.UNKNOWN
    assert unknown.rule_key is Rule.UNKNOWN
    assert unknown.flag_shutdown is False
    assert unknown.last_failure is not None and unknown.last_failure.outcome is Outcome.AUTH_EXPIRED
    assert "登录失效" in unknown.detail and "cookie expired" in unknown.detail


def test_unknown_never_escalates_even_when_long_silent():
    posts = [T - 300 * DAY]
    failing = [ok(T - 200 * DAY), ObservationFacts(T - HOUR, Outcome.NOT_FOUND)]
    v = verdict_at(POLICY, account(), posts, failing, T)
    assert v.status is VerdictStatus.UNKNOWN
    assert v.flag_shutdown is False
    assert v.days_silent == pytest.approx(300)  # shown, not judged


@pytest.mark.parametrize(
    ("seen_before_t", "status"),
    [
        (dt.timedelta(hours=72), VerdictStatus.OK),
        (dt.timedelta(hours=72, seconds=1), VerdictStatus.UNKNOWN),
    ],
)
def test_stale_after_hours_boundary(seen_before_t, status):
    observations = [ok(T - 200 * DAY), ok(T - seen_before_t)]
    assert verdict_at(POLICY, account(), [T - DAY], observations, T).status is status


def test_an_observation_made_after_t_counts():
    past = T - 30 * DAY
    observations = [ok(T - 200 * DAY), ok(T, latest=T - DAY)]  # nothing near `past` but later
    v = verdict_at(POLICY, account(), [past - 2 * DAY, T - DAY], observations, past)
    assert v.status is VerdictStatus.OK
    assert v.days_silent == pytest.approx(2)


def test_before_tracking_began_is_unknown_not_silent():
    first_seen = T - 10 * DAY
    observations = [ok(first_seen), ok(T - HOUR)]
    past = first_seen - 5 * DAY  # no known post before it, first crawl long after it
    v = verdict_at(POLICY, account(), [T - DAY], observations, past)
    assert v.status is VerdictStatus.UNKNOWN
    assert "监测开始前" in v.detail


def test_never_observed_is_unknown():
    v = verdict_at(POLICY, account(), [], [], T)
    assert v.status is VerdictStatus.UNKNOWN
    assert v.detail == "尚无观测记录"


def test_no_post_ever_counts_from_opening_or_is_veto_without_a_date():
    v = verdict_at(POLICY, account(opened_on=dt.date(2026, 10, 1)), [], WATCHED, T)
    assert v.status is VerdictStatus.VETO
    assert v.last_post_at is None and v.days_silent == pytest.approx(58.375)
    assert "自开设日" in v.detail
    undated = verdict_at(POLICY, account(opened_on=None), [], WATCHED, T)
    assert undated.status is VerdictStatus.VETO and undated.days_silent is None


# ---------------------------------------------------------------------------------------------
# Exemptions: grace, closing, closed, relaunch


@pytest.mark.parametrize(
    ("opened_days_before", "posts", "status"),
    [
        (13, [], VerdictStatus.EXEMPT),
        (14, [], VerdictStatus.VETO),  # grace over, silent since opening
        (5, [T - DAY], VerdictStatus.OK),  # posting already: judged
        (-3, [], VerdictStatus.EXEMPT),  # not yet opened at T
    ],
)
def test_grace_for_new_accounts(opened_days_before, posts, status):
    opened_on = (T - opened_days_before * DAY).date()
    # Opened at local midnight: make T exactly N days later.
    at = dt.datetime.combine(opened_on + dt.timedelta(days=opened_days_before), dt.time(), LOCAL_TZ)
    watched = [ok(at - 200 * DAY), ok(at)]
    v = verdict_at(POLICY, account(opened_on=opened_on), posts, watched, at)
    assert v.status is status
    if status is VerdictStatus.EXEMPT:
        assert v.rule_key is Rule.GRACE


CLOSED = dict(
    status=AccountStatus.CLOSED,
    approved_on=dt.date(2026, 6, 10),
    notice_on=dt.date(2026, 6, 12),
    deregistered_on=dt.date(2026, 7, 1),
    closure_filed_on=dt.date(2026, 7, 3),
)


@pytest.mark.parametrize(
    ("post_local", "relaunched"),
    [
        (dt.datetime(2026, 7, 1, 23, 59, 59, tzinfo=LOCAL_TZ), False),  # deregistration day
        (dt.datetime(2026, 7, 2, 0, 0, tzinfo=LOCAL_TZ), True),
    ],
)
def test_relaunch_is_a_post_after_the_deregistration_day(post_local, relaunched):
    v = verdict_at(POLICY, account(**CLOSED), [post_local], WATCHED, T)
    assert v.status is VerdictStatus.EXEMPT
    assert v.relaunched is relaunched
    assert v.rule_key is (Rule.RELAUNCHED if relaunched else Rule.CLOSED)
    assert v.flag_shutdown is False
    if relaunched:
        assert "违规复开" in v.rule


def test_closure_dates_roll_the_ledger_status_back_for_a_past_t():
    facts = account(**CLOSED)
    assert facts.status_on(dt.date(2026, 6, 1)) is AccountStatus.ACTIVE
    assert facts.status_on(dt.date(2026, 6, 10)) is AccountStatus.CLOSING
    assert facts.status_on(dt.date(2026, 7, 1)) is AccountStatus.CLOSED
    before = dt.datetime(2026, 6, 5, 9, tzinfo=LOCAL_TZ)
    v = verdict_at(POLICY, facts, [before - 20 * DAY], [ok(before - HOUR)], before)
    assert v.ledger_status is AccountStatus.ACTIVE
    assert v.status is VerdictStatus.VETO


def test_closing_is_exempt_once_the_notice_ran_and_never_flagged():
    closing = dict(status=AccountStatus.CLOSING, approved_on=dt.date(2026, 11, 2))
    silent = [T - 120 * DAY]
    judged = verdict_at(POLICY, account(**closing), silent, WATCHED, T)
    assert judged.status is VerdictStatus.ZOMBIE
    assert judged.flag_shutdown is False  # closing already
    noticed = account(**closing, notice_on=dt.date(2026, 11, 5))
    v = verdict_at(POLICY, noticed, silent, WATCHED, T)
    assert v.status is VerdictStatus.EXEMPT and v.rule_key is Rule.CLOSING_NOTICE


# ---------------------------------------------------------------------------------------------
# Weeks, missed runs and the shutdown flag


def weekly_posts(weeks_with_posts: list[int]) -> list[dt.datetime]:
    """One post on the Wednesday of each week N weeks before T's week (0 = T's week)."""
    this_week = IsoWeek.containing(T)
    out = []
    for n in weeks_with_posts:
        monday = this_week.monday() - dt.timedelta(weeks=n)
        out.append(dt.datetime.combine(monday + dt.timedelta(days=2), dt.time(10), LOCAL_TZ))
    return out


@pytest.mark.parametrize(
    ("posted_weeks_ago", "missed", "flag"),
    [
        ([1, 2], 0, False),
        ([2], 1, False),
        ([4], 3, False),
        ([5], 4, True),  # 4 complete weeks missed: flag_after_weeks reached
        ([0, 5], 0, False),  # this week already met: the run is broken
    ],
)
def test_missed_weeks_and_flag(posted_weeks_ago, missed, flag):
    v = verdict_at(POLICY, account(), weekly_posts(posted_weeks_ago), WATCHED, T)
    assert v.missed_weeks == missed
    assert v.flag_shutdown is flag
    if flag:
        assert "连续4周" in v.flag_reason and DOC_CLOSURE in v.flag_reason


def test_zombie_is_flagged_with_its_reason():
    v = verdict_at(POLICY, account(), [T - 100 * DAY], WATCHED, T)
    assert v.flag_shutdown is True
    assert "僵尸账号" in v.flag_reason


def test_unknown_weeks_carry_the_run_and_never_flag():
    # Watched until 6 weeks ago, then every fetch failed.
    observations = [
        ok(T - 300 * DAY),
        ok(T - 6 * 7 * DAY),
        ObservationFacts(T - HOUR, Outcome.BLOCKED),
    ]
    posts = weekly_posts([9])
    weeks = IsoWeek.containing(T).back(10)
    result = week_verdicts(POLICY, account(), posts, observations, weeks, at=T)
    kinds = [(w.met_cadence, w.missed_run, w.worst_status, w.flag_shutdown) for w in result]
    known = [k for k in kinds if k[2] is not VerdictStatus.UNKNOWN]
    unknown = [k for k in kinds if k[2] is VerdictStatus.UNKNOWN]
    assert known and unknown
    assert all(k[3] is False and k[0] is None for k in unknown)
    last_known_run = known[-1][1]
    assert all(k[1] == last_known_run for k in unknown)  # carried unchanged
    assert verdict_at(POLICY, account(), posts, observations, T).flag_shutdown is False


def test_week_worst_status_is_the_longest_silence_inside_the_week():
    # Silent 20 days, then a post on Wednesday: the week was veto until Wednesday.
    posts = [T - 40 * DAY, weekly_posts([1])[0]]
    weeks = [IsoWeek.containing(T).previous()]
    (week,) = week_verdicts(POLICY, account(), posts, WATCHED, weeks)
    assert week.met_cadence is True
    assert week.worst_status is VerdictStatus.VETO
    assert week.max_days_silent > 14


def test_manual_observations_count_as_posts_and_weekly_counts():
    seen = T - 2 * DAY
    manual = [
        ok(T - 200 * DAY),
        ok(seen, latest=T - 3 * DAY, posts_this_week=3, source="manual"),
    ]
    v = verdict_at(POLICY, account(), [], manual, T)
    assert v.status is VerdictStatus.OK
    assert v.last_post_at == (T - 3 * DAY)
    assert v.posts_this_week == 3  # the person's count beats the one known post
    (week,) = week_verdicts(POLICY, account(), [], manual, [IsoWeek.containing(T)], at=T)
    assert week.posts == 3 and week.met_cadence is True


def test_min_posts_per_week_above_one():
    policy = Policy(min_posts_per_week=3)
    posts = weekly_posts([1, 1, 2, 2, 2, 3, 3, 3])
    weeks = IsoWeek.containing(T).back(4)
    result = week_verdicts(policy, account(), posts, WATCHED, weeks, at=T)
    assert [w.met_cadence for w in result] == [True, True, False, None]
    assert verdict_at(policy, account(), posts, WATCHED, T).missed_weeks == 1


def test_aware_instants_are_required():
    with pytest.raises(ValueError, match="aware"):
        verdict_at(POLICY, account(), [], [], dt.datetime(2026, 11, 28))
    with pytest.raises(ValueError, match="aware"):
        ObservationFacts(at=dt.datetime(2026, 11, 28), outcome=Outcome.OK)


# ---------------------------------------------------------------------------------------------
# The point verdict and the weeks agree


def test_verdict_at_a_week_end_agrees_with_the_weeks():
    rng = random.Random(7)
    weeks = IsoWeek.containing(T).back(20)
    for _ in range(60):
        start = T - 200 * DAY
        posts = [start + dt.timedelta(seconds=rng.uniform(0, 200 * 86400))]
        for _ in range(rng.randint(0, 40)):
            posts.append(start + dt.timedelta(seconds=rng.uniform(0, 200 * 86400)))
        policy = Policy(min_posts_per_week=rng.choice([1, 1, 2]))
        observations = [ok(start - 10 * DAY), ok(T)]
        history = week_verdicts(policy, account(), posts, observations, weeks)
        for week_verdict in history[:-1]:
            at = week_verdict.week.end()
            v = verdict_at(policy, account(), [p for p in posts if p != at], observations, at)
            assert v.missed_weeks == week_verdict.missed_run, week_verdict.week
            # The status at the week's end is never worse than the week's worst.
            from registry.compliance import severity

            assert severity(week_verdict.worst_status) <= severity(v.status)


# ---------------------------------------------------------------------------------------------
# Coverage: a silence is judged only where an ok observation saw every post (complete_since)


def crawl(at: dt.datetime, since: dt.datetime | None, latest: dt.datetime | None = None):
    return ObservationFacts(at=at, outcome=Outcome.OK, latest_post_at=latest, complete_since=since)


def test_an_old_post_before_the_crawls_window_never_makes_the_past_silent():
    # A daily account first crawled at T: the crawl saw every post since T − 100 days, and one
    # older post (e.g. pinned) from T − 200 days. Nothing proves the silence in between.
    daily = [T - 100 * DAY + n * DAY for n in range(100)]
    posts = [T - 200 * DAY, *daily]
    observations = [crawl(T, T - 100 * DAY, daily[-1])]
    past = T - 120 * DAY  # 80 days after the old post, before the crawl's window
    v = verdict_at(POLICY, account(), posts, observations, past)
    assert v.status is VerdictStatus.UNKNOWN and v.flag_shutdown is False
    assert v.rule_key is Rule.UNCOVERED and "未经完整观测" in v.detail
    later = T - 150 * DAY + 100 * DAY  # inside the window: judged
    assert verdict_at(POLICY, account(), posts, observations, later).status is VerdictStatus.OK
    weeks = IsoWeek.containing(T).back(26)
    result = week_verdicts(POLICY, account(), posts, observations, weeks, at=T)
    window_start = T - 100 * DAY
    for week in result:
        if week.week.start() < window_start:
            assert week.worst_status in (VerdictStatus.UNKNOWN, VerdictStatus.OK), week
            assert week.flag_shutdown is False and week.met_cadence is not False, week
        else:
            assert week.worst_status is VerdictStatus.OK, week
    assert all(w.missed_run == 0 for w in result)


def test_a_silence_inside_the_covered_span_is_judged():
    posts = [T - 200 * DAY, T - 30 * DAY]
    v = verdict_at(POLICY, account(), posts, [crawl(T - HOUR, T - 40 * DAY)], T)
    assert v.status is VerdictStatus.VETO  # the crawl saw every post since T − 40 days
    v = verdict_at(POLICY, account(), posts, [crawl(T - HOUR, T - 20 * DAY)], T)
    assert v.status is VerdictStatus.UNKNOWN  # the post at T − 30 days may not be the last


def test_coverage_of_crawls_with_one_complete_since_is_joined():
    # Daily crawls chained to the first one (same complete_since); a later crawl after a gap
    # longer than its window starts a new span: the weeks in the hole are unknown.
    posts = [T - 100 * DAY, T - 60 * DAY]
    first = [crawl(T - 90 * DAY + n * DAY, T - 100 * DAY) for n in range(20)]  # to T − 71 d
    later = crawl(T - HOUR, T - 10 * DAY)
    mid = T - 65 * DAY  # 35 days after the post at T − 100: seen by no crawl completely
    v = verdict_at(POLICY, account(), posts, [*first, later], mid)
    assert v.status is VerdictStatus.UNKNOWN
    inside = T - 75 * DAY  # 25 days after it, proven by the first span
    v = verdict_at(POLICY, account(), posts, [*first, later], inside)
    assert v.status is VerdictStatus.VETO


def test_the_first_known_week_is_unknown_unless_watched_before_its_first_post():
    week = IsoWeek.containing(T).previous()
    post = dt.datetime.combine(week.monday() + dt.timedelta(days=4), dt.time(10), LOCAL_TZ)
    # First seen after the post, the list read to its end: the days before it are not proven.
    (unwatched,) = week_verdicts(POLICY, account(), [post], [crawl(T, None)], [week])
    assert unwatched.worst_status is VerdictStatus.UNKNOWN and unwatched.met_cadence is True
    (watched,) = week_verdicts(
        POLICY, account(), [post], [crawl(T - 300 * DAY, None), ok(T)], [week]
    )
    assert watched.worst_status is VerdictStatus.ZOMBIE  # silent from opening until Friday


def test_a_manual_observation_proves_its_own_span():
    seen = T - 2 * DAY
    person = ok(seen, latest=T - 20 * DAY, source="manual")
    v = verdict_at(POLICY, account(), [T - 20 * DAY], [person], T)
    assert v.status is VerdictStatus.VETO  # nothing after the post they saw, up to their look
    posts = [T - 40 * DAY, T - 20 * DAY]
    past = T - 25 * DAY  # 15 days after the older post: no one saw that span
    assert verdict_at(POLICY, account(), posts, [person], past).status is VerdictStatus.UNKNOWN
