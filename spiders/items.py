"""What spiders yield: one `ObservationItem` per account per crawl, carrying the posts it saw.

Posts ride on their observation so that the account's result is stored atomically: posts are
only ever stored from an `ok` observation, and each post row points at the observation that saw it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from registry.constants import Outcome, Source
from spiders.parsers.common import ParsedPost

# A post as stored: the parser's post; the account is the observation's.
PostItem = ParsedPost


@dataclass(slots=True)
class AccountTarget:
    """One account to observe: everything a spider needs, nothing from the ledger it does not."""

    account_id: str
    source: Source
    name: str
    identifier: str | None  # uid, fakeid, mid or url; None for a WeChat account searched by name
    selectors: dict[str, str] | None = None
    # What an earlier ok crawl already stored: every post up to `seen_until` (its fetch time), back
    # to `seen_since` (None: the whole list). Paging stops once it reaches `seen_until`.
    seen_until: dt.datetime | None = None
    seen_since: dt.datetime | None = None


@dataclass(slots=True)
class ObservationItem:
    """What one attempt to observe one account found."""

    account_id: str
    source: Source
    crawl_id: str
    at: dt.datetime
    outcome: Outcome
    detail: str = ""
    posts: list[PostItem] = field(default_factory=list)
    latest_post_at: dt.datetime | None = None  # newest non-pinned post; only when outcome is ok
    complete_since: dt.datetime | None = None  # every post since then was seen; None: all history
    http_status: int | None = None
    url: str | None = None  # of the response judged on, secrets removed
    raw: bytes | None = None  # that response's body, until EvidencePipeline compresses it
    evidence: bytes | None = None  # gzip of `raw`
    evidence_sha256: str | None = None  # SHA-256 of `raw`

    @property
    def posts_seen(self) -> int:
        return len(self.posts)
