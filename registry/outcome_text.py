"""Why an account could not be checked, in the words of the people we write to.

Reports, owners' alerts and the supervisors' source-failure message all say it with these
functions: the outcome's label (OUTCOME_LABELS) and what it means for the office and what to do
(OUTCOME_ADVICE), in Simplified Chinese. The spider's own detail (e.g. "base_resp.ret 200003") is
English, for `check`, the logs and the store: never in these words.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from registry.compliance import ObservationFacts
from registry.constants import OUTCOME_ADVICE, OUTCOME_LABELS, Outcome

_FAILED = tuple(outcome for outcome in Outcome if outcome is not Outcome.OK)


def outcome_note(outcome: Outcome) -> str:
    """A failed outcome as people read it: its label, then what it means and what to do."""
    return f"{OUTCOME_LABELS[outcome]}。{OUTCOME_ADVICE[outcome]}"


def failure_note(failure: ObservationFacts, tz: ZoneInfo) -> str:
    """A failed observation: when, what, and what the office should do."""
    at = failure.at.astimezone(tz)
    return f"最近一次观测失败（{at:%Y-%m-%d %H:%M}）：{outcome_note(failure.outcome)}"


def quoted_outcome(detail: str | None) -> Outcome | None:
    """The failed outcome a rules' detail quotes by name (`check`'s wording), if any."""
    if not detail:
        return None
    return next((outcome for outcome in _FAILED if outcome.value in detail), None)


def unknown_reason(detail: str | None, failure: ObservationFacts | None, tz: ZoneInfo) -> str:
    """Why an account is unknown (无法核验), in Chinese throughout.

    The rules word an unknown verdict's detail for `check`: it quotes the last failure's outcome
    and the spider's English text. That becomes `failure_note` (or, without the failure at hand,
    the quoted outcome's note); the rules' own Chinese details (监测开始前…, 尚无观测记录) are kept.
    """
    quoted = quoted_outcome(detail)
    if failure is not None and (
        quoted is not None or not detail or bool(failure.detail and failure.detail in detail)
    ):
        return failure_note(failure, tz)
    if quoted is not None:
        return f"最近一次观测失败：{outcome_note(quoted)}"
    return detail or ""


__all__ = ["failure_note", "outcome_note", "quoted_outcome", "unknown_reason"]
