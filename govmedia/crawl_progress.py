"""The crawl's progress bar: requests done against an estimate of the requests to come, and an ETA.

A crawl does not know in advance how many requests it will make (paging stops at the lookback
window or at what the last crawl stored), so the total is estimated from the accounts finished so
far: requests per finished account × all accounts. The ETA is the time left at the pace so far.
When requests are not seen (sources crawled in child processes), accounts stand in for them.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from registry.i18n import _


@dataclass
class CrawlProgress:
    """Counts of one crawl, and what they let us expect. Pure arithmetic; `clock` is seconds."""

    accounts_total: int
    clock: Callable[[], float] = time.monotonic
    accounts_done: int = 0
    requests_done: int = 0
    started: float = field(default=0.0)

    def __post_init__(self) -> None:
        self.started = self.clock()

    def request(self) -> None:
        self.requests_done += 1

    def account(self) -> None:
        self.accounts_done += 1

    def expected_requests(self) -> int | None:
        """All the requests the crawl should make, once an account has finished; None before."""
        if not self.accounts_done or not self.requests_done:
            return None
        per_account = self.requests_done / self.accounts_done
        return max(self.requests_done, round(per_account * self.accounts_total))

    def fraction(self) -> float | None:
        """How much of the crawl is done, 0..1; None while nothing can be said."""
        if self.accounts_total == 0:
            return 1.0
        expected = self.expected_requests()
        if expected:
            return min(1.0, self.requests_done / expected)
        if self.accounts_done:  # no requests seen (child processes): accounts stand in
            return self.accounts_done / self.accounts_total
        return None

    def eta(self) -> dt.timedelta | None:
        """Time left at the pace so far; None while nothing is done."""
        fraction = self.fraction()
        elapsed = self.clock() - self.started
        if not fraction or elapsed <= 0:
            return None
        return dt.timedelta(seconds=round(elapsed * (1 - fraction) / fraction))

    def line(self) -> str:
        """`37/~120 requests · accounts 5/28 · ETA 0:01:12`, for the bar's text column."""
        expected = self.expected_requests()
        total = f"~{expected}" if expected is not None else "?"
        eta = self.eta()
        return _(
            "{done}/{total} requests · accounts {accounts_done}/{accounts_total} · ETA {eta}"
        ).format(
            done=self.requests_done,
            total=total,
            accounts_done=self.accounts_done,
            accounts_total=self.accounts_total,
            eta=eta if eta is not None else "--:--",
        )


def progress_bar(console: Any) -> Any:
    """A rich Progress whose task shows `CrawlProgress.line()` in its `line` field."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("[bold]{task.description:<24}"),
        BarColumn(),
        TextColumn("{task.fields[line]}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )
