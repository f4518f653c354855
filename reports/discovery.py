"""The weekly report's 排查 section (疑似未报备账号, 关停未注销) from the store's sweeps,
candidates and verifications (registry/candidates.py).

A sweep whose searches the platforms refused says so: the section then never reads "no
unregistered account found", only which searches are missing.
"""

from __future__ import annotations

from sqlalchemy import Engine

from registry.candidates import closed_reachable, latest_sweep, list_candidates, manual_checks
from registry.constants import (
    CANDIDATE_KIND_LABELS,
    OUTCOME_LABELS,
    PLATFORM_LABELS,
    SEARCH_PLATFORMS,
    CandidateState,
    Outcome,
    Platform,
    Source,
)
from registry.models import Config
from registry.weeks import IsoWeek
from reports.contexts import CandidateRow, ClosedReachable, Discovery, ManualCheck, SearchGap


def _platform_label(value: str) -> str:
    """A sweep's source (weibo…) or a manual check's platform (douyin…), in Chinese."""
    if value in {s.value for s in SEARCH_PLATFORMS}:
        return PLATFORM_LABELS[SEARCH_PLATFORMS[Source(value)]]
    if value in {p.value for p in Platform}:
        return PLATFORM_LABELS[Platform(value)]
    return value


def discovery_context(engine: Engine, config: Config, week: IsoWeek) -> Discovery:
    """What the sweeps found that nobody has decided on yet, as the report is built (a report
    is built after its week: what was found since is news for its readers), and the manual
    sweeps recorded since the week began."""
    tz = config.tz
    with engine.connect() as conn:
        sweep = latest_sweep(conn)
        found = list_candidates(conn, states=[CandidateState.NEW])
        manual = manual_checks(conn, since=week.start(tz))
        reachable = closed_reachable(conn)
    rows = sweep[1] if sweep else []
    gaps = [
        SearchGap(
            platform_label=_platform_label(r.source),
            keyword=r.keyword,
            outcome_label=OUTCOME_LABELS[Outcome(r.outcome)],
        )
        for r in rows
        if r.outcome != Outcome.OK.value
    ]
    candidates = [
        CandidateRow(
            id=c.id,
            platform_label=_platform_label(c.source),
            identifier=c.identifier,
            name=c.name,
            kind_label=CANDIDATE_KIND_LABELS[c.kind],
            reason=c.reason,
            entity=c.evidence.get("entity"),
            first_seen=c.first_seen_at.astimezone(tz).date(),
        )
        for c in found
    ]
    accounts = {a.id: (d, a) for d, a in config.iter_accounts()}
    closed = [
        ClosedReachable(
            account_id=account_id,
            name=accounts[account_id][1].name,
            department_name=accounts[account_id][0].name,
            platform_label=PLATFORM_LABELS[accounts[account_id][1].platform],
            on=row.at.astimezone(tz).date(),
            detail=row.detail,
        )
        for account_id, row in reachable.items()
        if account_id in accounts
    ]
    swept_on = rows[0].at.astimezone(tz).date() if rows else None
    return Discovery(
        swept_on=swept_on,
        searches=len(rows),
        summary=_summary(swept_on is not None, len(rows), len(gaps), len(candidates)),
        candidates=candidates,
        gaps=gaps,
        manual=[
            ManualCheck(
                platform_label=_platform_label(m.source),
                by=m.recorded_by or "",
                on=m.at.astimezone(tz).date(),
                note=m.detail,
            )
            for m in manual
        ],
        closed_reachable=closed,
    )


def _summary(swept: bool, searches: int, gaps: int, candidates: int) -> str:
    if not swept:
        return "尚未开展平台排查（govmedia discover）。"
    text = f"最近一次排查共检索{searches}次"
    if gaps:
        return (
            f"{text}，其中{gaps}次检索未获平台应答（见下表），排查不完整，"
            f"不能据此认定无未报备账号；已发现待核实账号{candidates}个。"
        )
    if candidates:
        return f"{text}，发现待核实账号{candidates}个，请相关单位核实后登记或说明。"
    return f"{text}，均获平台应答，未发现未报备账号。"
