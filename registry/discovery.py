"""Discovery (排查) rules: which accounts found by a platform search are candidates for the ledger,
which keywords a sweep searches, and what checking a ledger account on its platform proves.

Pure functions over the ledger (`Config`) and what the platforms answered (`SearchHit`); the
spiders only parse, the store only keeps. A found account is a candidate when it is

- governmental: the platform verified an entity (Weibo `verified_type` 1 government / 7
  organisation, Bilibili `official_verify.type` 1), or, where the search shows no verification
  (WeChat), its name holds one of `discover.government_words`; a person's account never is;
- ours: its name or its verified entity names the jurisdiction (or one of `discover.aliases`);
  a department's full name names the jurisdiction too, so another county's 公安局 is not ours;
- and not in the ledger, by identifier or by exact name on the same platform; unless the ledger
  holds it as closed, which makes it a candidate of another kind: a relaunch (疑似关停后复开).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from registry.constants import (
    BILIBILI_ENTITY_OFFICIAL_TYPES,
    SEARCH_PLATFORMS,
    WEIBO_ENTITY_VERIFIED_TYPES,
    AccountStatus,
    CandidateKind,
    Outcome,
    Source,
    VerifyStatus,
)
from registry.models import Config, DiscoverSettings


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One account as a platform's search (or profile lookup) shows it."""

    source: Source
    identifier: str  # Weibo uid, WeChat fakeid, Bilibili mid
    name: str
    entity: str | None = None  # Weibo verified_reason, Bilibili official_verify.desc
    verified_type: int | None = None  # Weibo verified_type, Bilibili official_verify.type
    followers: int | None = None
    description: str | None = None  # Weibo description, WeChat signature, Bilibili usign
    alias: str | None = None  # WeChat's account id (微信号)
    service_type: int | None = None  # WeChat: 0/1 subscription (订阅号), 2 service (服务号)

    def evidence(self) -> dict[str, object]:
        """What the platform showed, as stored beside the candidate."""
        return {k: v for k, v in _fields(self).items() if v not in (None, "")}


def _fields(hit: SearchHit) -> dict[str, object]:
    return {
        "source": hit.source.value,
        "identifier": hit.identifier,
        "name": hit.name,
        "entity": hit.entity,
        "verified_type": hit.verified_type,
        "followers": hit.followers,
        "description": hit.description,
        "alias": hit.alias,
        "service_type": hit.service_type,
    }


@dataclass(frozen=True, slots=True)
class Finding:
    """A search hit that is a candidate, with why (in the report's language)."""

    hit: SearchHit
    kind: CandidateKind
    reason: str
    account_id: str | None = None  # the closed ledger account a relaunch matches


@dataclass(frozen=True, slots=True)
class LedgerAccount:
    account_id: str
    status: AccountStatus
    name: str


@dataclass
class LedgerIndex:
    """The ledger as discovery looks it up: by (source, identifier) and by (platform, name)."""

    jurisdiction_names: tuple[str, ...]
    by_identifier: dict[tuple[Source, str], LedgerAccount] = field(default_factory=dict)
    by_name: dict[tuple[Source, str], LedgerAccount] = field(default_factory=dict)

    @classmethod
    def of(cls, config: Config) -> LedgerIndex:
        names = tuple(n for n in (config.jurisdiction, *config.discover.aliases) if n.strip())
        index = cls(jurisdiction_names=tuple(normalize(n) for n in names))
        platform_source = {platform: source for source, platform in SEARCH_PLATFORMS.items()}
        for _department, account in config.iter_accounts():
            source = platform_source.get(account.platform)
            if source is None:
                continue
            entry = LedgerAccount(account.id, account.status, account.name)
            if account.identifier and account.effective_source is source:
                index.by_identifier.setdefault((source, account.identifier), entry)
            index.by_name.setdefault((source, normalize(account.name)), entry)
        return index

    def find(self, hit: SearchHit) -> LedgerAccount | None:
        """The ledger account this hit is, by identifier first, then by exact name."""
        return self.by_identifier.get((hit.source, hit.identifier)) or self.by_name.get(
            (hit.source, normalize(hit.name))
        )


def normalize(text: str) -> str:
    """A name as compared: NFKC (full-width letters and digits as ASCII), no spaces."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def derive_keywords(config: Config) -> list[str]:
    """The sweep's keywords: the jurisdiction, each department's name, then `discover.keywords`;
    each once, in that order, at most `discover.max_keywords`."""
    seen: dict[str, None] = {}
    for keyword in (
        config.jurisdiction,
        *(d.name for d in config.departments),
        *config.discover.keywords,
    ):
        cleaned = keyword.strip()
        if cleaned:
            seen.setdefault(cleaned, None)
    return list(seen)[: config.discover.max_keywords]


def is_governmental(hit: SearchHit, settings: DiscoverSettings) -> bool:
    """The platform verified an entity, or (WeChat) the name reads like a government body."""
    if hit.source is Source.WEIBO:
        return hit.verified_type in WEIBO_ENTITY_VERIFIED_TYPES
    if hit.source is Source.BILIBILI:
        return hit.verified_type in BILIBILI_ENTITY_OFFICIAL_TYPES
    name = normalize(hit.name)
    return any(word in name for word in settings.government_words)


def in_jurisdiction(hit: SearchHit, jurisdiction_names: Iterable[str]) -> bool:
    """The hit's name, or the entity the platform verified, names the jurisdiction."""
    texts = [normalize(hit.name), normalize(hit.entity or "")]
    return any(name in text for name in jurisdiction_names for text in texts if name)


def judge(hit: SearchHit, index: LedgerIndex, settings: DiscoverSettings) -> Finding | None:
    """The candidate this hit is, or None (known to the ledger, not governmental, not ours)."""
    known = index.find(hit)
    if known is not None:
        if known.status is not AccountStatus.CLOSED:
            return None
        return Finding(
            hit,
            CandidateKind.RELAUNCH,
            f"台账中已关停的账号（{known.account_id}）在平台上仍可搜到",
            account_id=known.account_id,
        )
    if not is_governmental(hit, settings):
        return None
    if not in_jurisdiction(hit, index.jurisdiction_names):
        return None
    if hit.entity:
        reason = f"平台认证为“{hit.entity}”，台账中无此账号"
    else:
        reason = f"名称“{hit.name}”显示为本辖区政务账号，台账中无此账号"
    return Finding(hit, CandidateKind.UNREGISTERED, reason)


def findings(hits: Iterable[SearchHit], config: Config) -> list[Finding]:
    """The candidates among `hits`, each (source, identifier) once, in the order found."""
    index = LedgerIndex.of(config)
    seen: set[tuple[Source, str]] = set()
    out = []
    for hit in hits:
        key = (hit.source, hit.identifier)
        if key in seen:
            continue
        seen.add(key)
        found = judge(hit, index, config.discover)
        if found is not None:
            out.append(found)
    return out


def verify(
    *,
    status: AccountStatus,
    ledger_name: str,
    outcome: Outcome,
    found: SearchHit | None,
) -> tuple[VerifyStatus, str]:
    """What looking an account up on its platform proves, and a line that says so.

    `outcome` is how the platform answered; `found` the account under the ledger's identifier
    (None when the platform does not know it)."""
    if outcome not in (Outcome.OK, Outcome.NOT_FOUND):
        return VerifyStatus.UNKNOWN, f"平台未能核验（{outcome.value}）"
    if status is AccountStatus.CLOSED:
        if found is not None:
            return VerifyStatus.CLOSED_REACHABLE, f"已关停，但平台上仍可访问（“{found.name}”）"
        return VerifyStatus.CLOSED_GONE, "已关停，平台上已不存在"
    if found is None:
        return VerifyStatus.NOT_FOUND, "平台上找不到该账号标识"
    if normalize(found.name) != normalize(ledger_name):
        return VerifyStatus.NAME_MISMATCH, f"平台名称为“{found.name}”，台账为“{ledger_name}”"
    return VerifyStatus.OK, "账号存在，名称一致"


def sweep_due(last_at: dt.datetime | None, *, every_days: int, now: dt.datetime) -> bool:
    """Whether the cycle sweeps now (定期排查): sweeps are on (`every_days` > 0) and no sweep
    that a platform answered was stored within the last `every_days` days. Decided from the
    store, so a restart neither skips a sweep nor repeats one."""
    if every_days <= 0:
        return False
    return last_at is None or now - last_at >= dt.timedelta(days=every_days)
