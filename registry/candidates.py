"""The store's side of discovery: sweeps as searched, candidates and their state changes, and
verifications. Which hits are candidates is decided by registry/discovery.py; here they are kept.

A candidate's state is its latest `candidate_events` row (new → registered | dismissed): each
change is its own row, with who and why. A dismissed candidate found again stays dismissed (its
`last_seen_at` moves on): a sweep never brings it back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, func, select

from registry.constants import CandidateKind, CandidateState, Outcome, SweepKind, VerifyStatus
from registry.discovery import Finding
from registry.i18n import _
from registry.store import candidate_events, candidates, sweeps, verifications


@dataclass(frozen=True)
class SweepRow:
    """One search of one keyword on one source, as a sweep's spider answered it."""

    source: str
    keyword: str
    outcome: Outcome
    detail: str = ""
    requests: int = 0
    hits: int = 0
    url: str | None = None
    kind: SweepKind = SweepKind.SEARCH
    recorded_by: str | None = None


@dataclass(frozen=True)
class Candidate:
    id: int
    source: str
    identifier: str
    name: str
    kind: CandidateKind
    account_id: str | None
    reason: str
    evidence: dict[str, Any]
    first_seen_at: dt.datetime
    last_seen_at: dt.datetime
    state: CandidateState
    state_at: dt.datetime
    state_by: str | None
    state_reason: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "source": self.source,
            "identifier": self.identifier,
            "name": self.name,
            "kind": self.kind.value,
            "account_id": self.account_id,
            "reason": self.reason,
            "evidence": self.evidence,
            "first_seen_at": self.first_seen_at.isoformat(),
            "last_seen_at": self.last_seen_at.isoformat(),
            "state": self.state.value,
            "state_by": self.state_by,
            "state_reason": self.state_reason,
        }


class CandidateError(ValueError):
    """No such candidate, or a change its state does not allow."""


@dataclass(frozen=True)
class SweepStored:
    new: list[int]  # candidate ids found for the first time
    seen_again: list[int]
    dismissed_seen: list[int]  # found again, but dismissed: not listed


def record_sweep(
    engine: Engine,
    *,
    sweep_id: str,
    rows: Sequence[SweepRow],
    found: Sequence[tuple[Finding, str]],
    now: dt.datetime,
) -> SweepStored:
    """Store a sweep's searches and its findings (each with the keyword that found it), in one
    transaction."""
    new: list[int] = []
    again: list[int] = []
    dismissed: list[int] = []
    with engine.begin() as conn:
        if rows:
            conn.execute(
                sweeps.insert(),
                [
                    {
                        "sweep_id": sweep_id,
                        "kind": row.kind.value,
                        "source": row.source,
                        "keyword": row.keyword,
                        "outcome": row.outcome.value,
                        "detail": row.detail,
                        "requests": row.requests,
                        "hits": row.hits,
                        "at": now,
                        "recorded_by": row.recorded_by,
                        "url": row.url,
                    }
                    for row in rows
                ],
            )
        states = _states(conn)
        for finding, keyword in found:
            hit = finding.hit
            evidence = {**hit.evidence(), "keyword": keyword}
            existing = conn.execute(
                select(candidates.c.id).where(
                    candidates.c.source == hit.source.value,
                    candidates.c.identifier == hit.identifier,
                )
            ).scalar_one_or_none()
            if existing is None:
                candidate_id = conn.execute(
                    candidates.insert().values(
                        source=hit.source.value,
                        identifier=hit.identifier,
                        name=hit.name,
                        kind=finding.kind.value,
                        account_id=finding.account_id,
                        reason=finding.reason,
                        evidence=evidence,
                        first_seen_at=now,
                        last_seen_at=now,
                    )
                ).inserted_primary_key[0]
                conn.execute(
                    candidate_events.insert().values(
                        candidate_id=candidate_id, state=CandidateState.NEW.value, at=now
                    )
                )
                new.append(candidate_id)
                continue
            conn.execute(
                candidates.update()
                .where(candidates.c.id == existing)
                .values(
                    name=hit.name,
                    kind=finding.kind.value,
                    account_id=finding.account_id,
                    reason=finding.reason,
                    evidence=evidence,
                    last_seen_at=now,
                )
            )
            state = states.get(existing, (CandidateState.NEW,))[0]
            (dismissed if state is CandidateState.DISMISSED else again).append(existing)
    return SweepStored(new, again, dismissed)


def _states(
    conn: Connection, ids: Iterable[int] | None = None
) -> dict[int, tuple[CandidateState, dt.datetime, str | None, str | None]]:
    """Each candidate's latest state change: (state, at, by, reason)."""
    ev = candidate_events
    latest = select(ev.c.candidate_id, func.max(ev.c.id).label("id")).group_by(ev.c.candidate_id)
    if ids is not None:
        latest = latest.where(ev.c.candidate_id.in_(list(ids)))
    sub = latest.subquery()
    query = select(ev.c.candidate_id, ev.c.state, ev.c.at, ev.c.by, ev.c.reason).join(
        sub, ev.c.id == sub.c.id
    )
    return {
        row.candidate_id: (CandidateState(row.state), row.at, row.by, row.reason)
        for row in conn.execute(query)
    }


def list_candidates(
    conn: Connection, *, states: Iterable[CandidateState] | None = None
) -> list[Candidate]:
    """Candidates (all, or those in `states`), oldest found first."""
    wanted = set(states) if states is not None else None
    current = _states(conn)
    out = []
    for row in conn.execute(select(candidates).order_by(candidates.c.id)):
        state, at, by, reason = current.get(
            row.id, (CandidateState.NEW, row.first_seen_at, None, None)
        )
        if wanted is not None and state not in wanted:
            continue
        out.append(
            Candidate(
                id=row.id,
                source=row.source,
                identifier=row.identifier,
                name=row.name,
                kind=CandidateKind(row.kind),
                account_id=row.account_id,
                reason=row.reason,
                evidence=dict(row.evidence or {}),
                first_seen_at=row.first_seen_at,
                last_seen_at=row.last_seen_at,
                state=state,
                state_at=at,
                state_by=by,
                state_reason=reason,
            )
        )
    return out


def get_candidate(conn: Connection, candidate_id: int) -> Candidate:
    for candidate in list_candidates(conn):
        if candidate.id == candidate_id:
            return candidate
    raise CandidateError(
        _("no candidate {id}; see `govmedia discover --list` for the candidates").format(
            id=candidate_id
        )
    )


def change_state(
    engine: Engine,
    candidate_id: int,
    state: CandidateState,
    *,
    by: str | None,
    reason: str | None,
    now: dt.datetime,
) -> Candidate:
    """Record a candidate's new state (registered or dismissed). Only a new candidate changes."""
    with engine.begin() as conn:
        candidate = get_candidate(conn, candidate_id)
        if candidate.state is not CandidateState.NEW:
            if candidate.state_by:
                message = _("candidate {id} is already {state} (by {by})")
            else:
                message = _("candidate {id} is already {state}")
            raise CandidateError(
                message.format(id=candidate_id, state=candidate.state.value, by=candidate.state_by)
            )
        conn.execute(
            candidate_events.insert().values(
                candidate_id=candidate_id, state=state.value, at=now, by=by, reason=reason
            )
        )
        return get_candidate(conn, candidate_id)


def latest_sweep(
    conn: Connection, *, kind: SweepKind = SweepKind.SEARCH
) -> tuple[str, list[Any]] | None:
    """The latest sweep of this kind: its id and its rows."""
    newest = conn.execute(
        select(sweeps.c.sweep_id)
        .where(sweeps.c.kind == kind.value)
        .order_by(sweeps.c.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if newest is None:
        return None
    rows = conn.execute(
        select(sweeps).where(sweeps.c.sweep_id == newest).order_by(sweeps.c.id)
    ).all()
    return newest, list(rows)


def last_answered_sweep_at(conn: Connection) -> dt.datetime | None:
    """When the latest search sweep that a platform answered (one search ok) was stored; a sweep
    every search of which was refused does not count (the next cycle tries again)."""
    return conn.execute(
        select(func.max(sweeps.c.at)).where(
            sweeps.c.kind == SweepKind.SEARCH.value, sweeps.c.outcome == Outcome.OK.value
        )
    ).scalar_one_or_none()


def manual_checks(conn: Connection, *, since: dt.datetime | None = None) -> list[Any]:
    query = select(sweeps).where(sweeps.c.kind == SweepKind.MANUAL.value).order_by(sweeps.c.at)
    if since is not None:
        query = query.where(sweeps.c.at >= since)
    return list(conn.execute(query))


def record_verifications(
    engine: Engine, sweep_id: str, results: Sequence[dict[str, Any]], now: dt.datetime
) -> None:
    """Store each account's verification (account_id, outcome, status, found_name, detail)."""
    if not results:
        return
    with engine.begin() as conn:
        conn.execute(
            verifications.insert(), [{**r, "sweep_id": sweep_id, "at": now} for r in results]
        )


def latest_verifications(conn: Connection) -> dict[str, Any]:
    """Each account's latest verification row."""
    v = verifications
    sub = select(v.c.account_id, func.max(v.c.id).label("id")).group_by(v.c.account_id).subquery()
    rows = conn.execute(select(v).join(sub, v.c.id == sub.c.id))
    return {row.account_id: row for row in rows}


def closed_reachable(conn: Connection) -> dict[str, Any]:
    """Closed accounts whose latest verification found them still on the platform (关停未注销)."""
    return {
        account_id: row
        for account_id, row in latest_verifications(conn).items()
        if row.status == VerifyStatus.CLOSED_REACHABLE.value
    }
