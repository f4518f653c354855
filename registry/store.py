"""The store: SQLite by default, PostgreSQL given a URL, through SQLAlchemy 2 Core.

Tables hold the ledger as synced (with every change as its own event row), observations (one per
account per crawl, with the evidence it was judged on), posts (one row per platform post),
verdicts, status changes, notifications and rendered reports.

The schema is versioned: `migrate()` applies each pending step of `MIGRATIONS` in its own
transaction and records it in `schema_migrations`, so an upgrade never drops data. A new step is
appended to `MIGRATIONS`; a released step is never edited.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    Engine,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    create_engine,
    event,
    inspect,
    select,
    text,
)
from sqlalchemy.dialects.sqlite import DATETIME as SQLITE_DATETIME

from registry.bulk import bulk_allocation
from registry.constants import AccountStatus, EventKind
from registry.i18n import _
from registry.models import Config


class _SQLiteDateTime(SQLITE_DATETIME):
    """SQLite's DATETIME, written with `isoformat` (C) rather than a %-format per field: the
    same text (`2026-11-28 01:00:00.000000`), at a fraction of the cost of a crawl's many posts."""

    def bind_processor(self, dialect: Any) -> Callable[[Any], str | None]:
        def process(value: dt.datetime | None) -> str | None:
            return None if value is None else value.isoformat(" ", "microseconds")

        return process


class UTCDateTime(TypeDecorator):
    """An aware instant, stored as naive UTC (SQLite has no zones) and read back aware in UTC."""

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Any) -> Any:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(_SQLiteDateTime())
        return dialect.type_descriptor(DateTime())

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is dt.UTC:
            return value.replace(tzinfo=None)
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: store aware instants only")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if isinstance(value, str):  # SQLite without type info, e.g. through raw SQL
            value = dt.datetime.fromisoformat(value)
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


metadata = MetaData()

schema_migrations = Table(
    "schema_migrations",
    metadata,
    Column("version", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("applied_at", UTCDateTime, nullable=False),
)

departments = Table(
    "departments",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", Text, nullable=False),
    Column("level", String(16), nullable=False),
    Column("contact", JSON),
    Column("in_ledger", Boolean, nullable=False, default=True),
    Column("synced_at", UTCDateTime, nullable=False),
)

accounts = Table(
    "accounts",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("department_id", String(64), nullable=False, index=True),
    Column("name", Text, nullable=False),
    Column("platform", String(16), nullable=False),
    Column("source", String(16), nullable=False),
    Column("identifier", Text),
    Column("status", String(16), nullable=False),
    Column("opened_on", Date),
    Column("filed_on", Date),
    Column("national", Boolean, nullable=False, default=False),
    Column("provincial", Boolean, nullable=False, default=False),
    Column("owner_name", Text),
    Column("owner_phone", Text),
    Column("owner_email", Text),
    Column("data", JSON, nullable=False),  # the account as in config.yaml, for diffs and filings
    Column("in_ledger", Boolean, nullable=False, default=True),
    Column("first_synced_at", UTCDateTime, nullable=False),
    Column("synced_at", UTCDateTime, nullable=False),
)

# Each change of the ledger is its own row: registrations, edits, status changes, removals.
account_events = Table(
    "account_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account_id", String(64), nullable=False),
    Column("kind", String(24), nullable=False),
    Column("old_status", String(16)),
    Column("new_status", String(16)),
    Column("at", UTCDateTime, nullable=False),
    Column("reason", Text),
    Column("detail", JSON),
    Index("ix_account_events_account_at", "account_id", "at"),
)

# One row per attempt to observe an account: a crawl's fetch, or a person's report.
observations = Table(
    "observations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account_id", String(64), nullable=False),
    Column("source", String(16), nullable=False),
    Column("crawl_id", String(64)),
    Column("at", UTCDateTime, nullable=False),  # when the observation was made
    Column("outcome", String(16), nullable=False),
    Column("latest_post_at", UTCDateTime),  # meaningful only when outcome is ok
    Column("posts_seen", Integer, nullable=False, default=0),
    Column("posts_this_week", Integer),  # manual observations may report a count
    Column("detail", Text),
    Column("http_status", Integer),
    Column("url", Text),
    Column("evidence", LargeBinary),  # gzip of the raw response the outcome was judged on
    Column("evidence_sha256", String(64)),
    Column("recorded_by", Text),  # a person's name for manual observations
    # ok observations of a crawl: every post published since then was seen (None: the whole list)
    Column("complete_since", UTCDateTime),
    Index("ix_observations_account_at", "account_id", "at"),
    # Manual observations are read whole by the rules (registry/verdicts.py); crawls are not.
    Index(
        "ix_observations_manual",
        "account_id",
        "at",
        sqlite_where=text("source = 'manual'"),
        postgresql_where=text("source = 'manual'"),
    ),
    # Each account's last failure (shown on unknown verdicts), without walking its ok crawls.
    Index(
        "ix_observations_failed",
        "account_id",
        "at",
        sqlite_where=text("outcome <> 'ok'"),
        postgresql_where=text("outcome <> 'ok'"),
    ),
)

# What the ok crawls prove, per account and complete_since, from the index alone (version 2).
ix_observations_crawled_ok = Index(
    "ix_observations_crawled_ok",
    observations.c.account_id,
    observations.c.complete_since,
    observations.c.at,
    sqlite_where=text("outcome = 'ok' AND source <> 'manual'"),
    postgresql_where=text("outcome = 'ok' AND source <> 'manual'"),
)

# One row per platform post, deduplicated by the platform's own key.
posts = Table(
    "posts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account_id", String(64), nullable=False),
    Column("post_key", String(200), nullable=False),
    Column("published_at", UTCDateTime, nullable=False),
    Column("title", Text),
    Column("url", Text),
    Column("pinned", Boolean, nullable=False, default=False),
    Column("first_seen_at", UTCDateTime, nullable=False),
    Column("observation_id", Integer),
    UniqueConstraint("account_id", "post_key", name="uq_posts_account_key"),
    Index("ix_posts_account_published", "account_id", "published_at"),
)

# The few pinned posts, which the rules leave out (version 2).
ix_posts_pinned = Index(
    "ix_posts_pinned",
    posts.c.account_id,
    posts.c.published_at,
    sqlite_where=text("pinned"),
    postgresql_where=text("pinned"),
)

# A verdict per account per monitoring time point; recomputing the same T replaces it.
verdicts = Table(
    "verdicts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account_id", String(64), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("status", String(16), nullable=False),
    Column("last_post_at", UTCDateTime),
    Column("days_silent", Float),
    Column("posts_7d", Integer, nullable=False, default=0),
    Column("posts_this_week", Integer, nullable=False, default=0),
    Column("flag_shutdown", Boolean, nullable=False, default=False),
    Column("relaunched", Boolean, nullable=False, default=False),
    Column("rule", Text),
    Column("basis", Text),
    Column("detail", Text),
    Column("computed_at", UTCDateTime, nullable=False),
    Column("missed_weeks", Integer, nullable=False, default=0),  # consecutive missed weeks
    Column("flag_reason", Text),  # why flagged for shutdown (应申请关停), with its document
    Column("rule_key", String(24)),  # registry.constants.Rule
    Column("ledger_status", String(16)),  # the lifecycle status at `at`
    UniqueConstraint("account_id", "at", name="uq_verdicts_account_at"),
    Index("ix_verdicts_at", "at"),  # the latest T, and all verdicts at one T
)

# A change of an account's compliance status is its own record (old, new, when, why).
status_changes = Table(
    "status_changes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account_id", String(64), nullable=False),
    Column("old_status", String(16)),
    Column("new_status", String(16), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("reason", Text),
    Column("flag_shutdown", Boolean, nullable=False, default=False),
    Column("relaunched", Boolean, nullable=False, default=False),
    Index("ix_status_changes_account_at", "account_id", "at"),
)

# Every message govmedia means to send, and what became of it: the retry queue.
notifications = Table(
    "notifications",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("dedup_key", String(300), nullable=False, unique=True),
    Column("account_id", String(64)),
    Column("status_change_id", Integer, ForeignKey("status_changes.id")),
    Column("kind", String(32), nullable=False),
    Column("channel", String(32), nullable=False),
    Column("recipient", Text, nullable=False),
    Column("subject", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_attempt_at", UTCDateTime),  # the retry backoff counts from here
    Column("last_error", Text),
)

# Rendered reports and notices, so the cycle knows from the store what is due.
reports = Table(
    "reports",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),  # weekly | notice | annual
    Column("period", String(16), nullable=False),  # 2026-W48, 2026-11, 2026-Q4, 2026
    Column("path", Text, nullable=False),
    Column("rendered_at", UTCDateTime, nullable=False),
    # What the report said (its headline figures, or the accounts a notice named), and what its
    # first rendering said and when: a re-rendering compares with it (修订). Version 2.
    Column("figures", JSON),
    Column("first_rendered_at", UTCDateTime),
    Column("first_figures", JSON),
    UniqueConstraint("kind", "period", name="uq_reports_kind_period"),
)

# Cases (整改跟踪, version 4): one row per problem found, never edited; every change of its state
# is its own row in `case_events` (who, when, why, and the verdict that proved a fix). The state
# is the last event's `to_state`, read from the events: there is no state column to drift.
cases = Table(
    "cases",
    metadata,
    Column("id", String(160), primary_key=True),  # 20261128-gaj-weibo-veto
    Column("kind", String(24), nullable=False),  # registry.constants.CaseKind
    Column("account_id", String(64), nullable=False),
    Column("department_id", String(64), nullable=False),
    Column("owner", JSON, nullable=False),  # name, phone, email when the case opened
    Column("opened_at", UTCDateTime, nullable=False),
    Column("deadline", Date, nullable=False),
    Column("deadline_exact", Boolean, nullable=False, default=True),
    Column("evidence", JSON, nullable=False),
    Index("ix_cases_account_kind", "account_id", "kind"),
)

case_events = Table(
    "case_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_id", String(160), ForeignKey("cases.id"), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("action", String(16), nullable=False),  # registry.constants.CaseAction
    Column("from_state", String(16)),
    Column("to_state", String(16), nullable=False),  # registry.constants.CaseState
    Column("by", Text, nullable=False),  # a person's name, or govmedia
    Column("note", Text),  # the response, the reason, or what proved the fix
    Column("verdict_at", UTCDateTime),  # with the case's account: the verdict that proved it
    Column("verdict_status", String(16)),
    Index("ix_case_events_case", "case_id", "id"),
)

# Version 1 tables, frozen: when a table changes, append a migration step; never edit this list.
_V1_TABLES = (
    schema_migrations,
    departments,
    accounts,
    account_events,
    observations,
    posts,
    verdicts,
    status_changes,
    notifications,
    reports,
)


def _v1(conn: Connection) -> None:
    metadata.create_all(conn, tables=list(_V1_TABLES))


def _v2(conn: Connection) -> None:
    """Indexes for the coverage of ok crawls and for pinned posts; what each report said
    (`reports.figures`, `first_rendered_at`, `first_figures`). A new store has them all from
    version 1's `create_all` (today's table definitions), hence the checks."""
    ix_observations_crawled_ok.create(conn, checkfirst=True)
    ix_posts_pinned.create(conn, checkfirst=True)
    present = {column["name"] for column in inspect(conn).get_columns("reports")}
    for name in ("figures", "first_rendered_at", "first_figures"):
        if name not in present:
            column = reports.c[name]
            kind = column.type.compile(dialect=conn.dialect)
            conn.exec_driver_sql(f"ALTER TABLE reports ADD COLUMN {name} {kind}")


# Discovery (排查, registry/discovery.py): each sweep's searches, the accounts found that the
# ledger does not hold, each one's state changes (new, registered, dismissed: who, when, why) and
# what checking ledger accounts on their platforms found. Version 3.
sweeps = Table(
    "sweeps",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sweep_id", String(64), nullable=False, index=True),
    Column("kind", String(16), nullable=False),  # a SweepKind: search | manual
    Column("source", String(16), nullable=False),  # a Source, or a Platform for a manual check
    Column("keyword", Text, nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("detail", Text, nullable=False, default=""),
    Column("requests", Integer, nullable=False, default=0),
    Column("hits", Integer, nullable=False, default=0),
    Column("at", UTCDateTime, nullable=False, index=True),
    Column("recorded_by", Text),  # manual checks: who swept
    Column("url", Text),  # the answer judged on, secrets removed
)

candidates = Table(
    "candidates",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(16), nullable=False),
    Column("identifier", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("kind", String(16), nullable=False),  # a CandidateKind
    Column("account_id", String(64)),  # the closed ledger account a relaunch matches
    Column("reason", Text, nullable=False),
    Column("evidence", JSON, nullable=False),  # what the platform showed, the keyword
    Column("first_seen_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
    UniqueConstraint("source", "identifier", name="uq_candidates_source_identifier"),
)

candidate_events = Table(
    "candidate_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("candidate_id", Integer, ForeignKey("candidates.id"), nullable=False, index=True),
    Column("state", String(16), nullable=False),  # a CandidateState
    Column("at", UTCDateTime, nullable=False),
    Column("by", Text),
    Column("reason", Text),
)

verifications = Table(
    "verifications",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sweep_id", String(64), nullable=False),
    Column("account_id", String(64), nullable=False, index=True),
    Column("at", UTCDateTime, nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("status", String(24), nullable=False),  # a VerifyStatus
    Column("found_name", Text),
    Column("detail", Text, nullable=False, default=""),
)


def _v3_discovery(conn: Connection) -> None:
    """The discovery tables (sweeps, candidates, candidate_events, verifications)."""
    metadata.create_all(
        conn, tables=[sweeps, candidates, candidate_events, verifications], checkfirst=True
    )


def _v4_cases(conn: Connection) -> None:
    """Cases (整改跟踪) and their events, append-only."""
    metadata.create_all(conn, tables=[cases, case_events], checkfirst=True)


MIGRATIONS: list[tuple[int, str, Callable[[Connection], None]]] = [
    (1, "initial schema", _v1),
    (2, "coverage and pinned-post indexes, report figures", _v2),
    (3, "discovery: sweeps, candidates, candidate events, verifications", _v3_discovery),
    (4, "cases and case events", _v4_cases),
]


class StoreError(Exception):
    """The store cannot be used as it is (e.g. written by a newer govmedia)."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for `url`; a SQLite file's folder is created, and WAL lets readers run beside
    a crawl that writes."""
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, future=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def schema_version(conn: Connection) -> int:
    if not inspect(conn).has_table("schema_migrations"):
        return 0
    versions = conn.execute(select(schema_migrations.c.version)).scalars().all()
    return max(versions, default=0)


def migrate(engine: Engine, *, now: dt.datetime | None = None) -> list[int]:
    """Apply pending migration steps, each in its own transaction. Returns the versions applied."""
    applied: list[int] = []
    known = max(version for version, _, _ in MIGRATIONS)
    with engine.connect() as conn:
        current = schema_version(conn)
    if current > known:
        raise StoreError(
            _(
                "the store is at schema version {version}, newer than this govmedia knows "
                "({known}); upgrade govmedia"
            ).format(version=current, known=known)
        )
    for version, name, step in MIGRATIONS:
        with engine.begin() as conn:
            if conn.dialect.name == "sqlite":
                # The sqlite3 module opens a transaction only before DML, so a step's DDL would
                # commit as it goes. Open it here: the step rolls back whole on failure, as on
                # PostgreSQL, and a second process migrating at once waits for this one.
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            if schema_version(conn) >= version:
                continue
            step(conn)
            conn.execute(
                schema_migrations.insert().values(
                    version=version, name=name, applied_at=now or dt.datetime.now(dt.UTC)
                )
            )
            applied.append(version)
    return applied


def open_store(url: str) -> Engine:
    """An engine on an up-to-date schema."""
    engine = make_engine(url)
    migrate(engine)
    return engine


@contextmanager
def transaction(engine: Engine) -> Iterator[Connection]:
    with engine.begin() as conn:
        yield conn


# ---------------------------------------------------------------------------------------------
# Ledger sync


@dataclass(frozen=True)
class SyncSummary:
    registered: int = 0
    changed: int = 0
    status_changed: int = 0
    removed: int = 0
    unchanged: int = 0


def _account_row(department_id: str, account: Any, now: dt.datetime) -> dict[str, Any]:
    data = account.model_dump(mode="json", exclude_none=True)
    return {
        "id": account.id,
        "department_id": department_id,
        "name": account.name,
        "platform": account.platform.value,
        "source": account.effective_source.value,
        "identifier": account.identifier,
        "status": account.status.value,
        "opened_on": account.opened_on,
        "filed_on": account.filed_on,
        "national": account.supervised.national,
        "provincial": account.supervised.provincial,
        "owner_name": account.owner.name,
        "owner_phone": account.owner.phone,
        "owner_email": account.owner.email,
        "data": data,
        "in_ledger": True,
        "first_synced_at": now,
        "synced_at": now,
    }


_COMPARED = (
    "department_id",
    "name",
    "platform",
    "source",
    "identifier",
    "status",
    "opened_on",
    "filed_on",
    "national",
    "provincial",
    "owner_name",
    "owner_phone",
    "owner_email",
    "data",
    "in_ledger",
)


def sync_ledger(engine: Engine, config: Config, *, now: dt.datetime) -> SyncSummary:
    """Write the ledger into the store in one transaction, recording each change as an event.

    Running it twice on the same ledger records nothing the second time.
    """
    counts = dict.fromkeys(("registered", "changed", "status_changed", "removed", "unchanged"), 0)
    with bulk_allocation(), engine.begin() as conn:
        stored = {row.id: row._mapping for row in conn.execute(select(accounts))}
        stored_departments = {row.id: row._mapping for row in conn.execute(select(departments))}
        new_rows: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        department_rows: list[dict[str, Any]] = []
        department_updates: list[dict[str, Any]] = []
        for department in config.departments:
            d_row = {
                "id": department.id,
                "name": department.name,
                "level": department.level.value,
                "contact": department.contact.model_dump(exclude_none=True)
                if department.contact
                else None,
                "in_ledger": True,
                "synced_at": now,
            }
            old_d = stored_departments.get(department.id)
            if old_d is None:
                department_rows.append(d_row)
            elif any(old_d[k] != d_row[k] for k in ("name", "level", "contact", "in_ledger")):
                department_updates.append({**d_row, "b_id": department.id})
        seen_departments = {d.id for d in config.departments}
        for d_id, old_d in stored_departments.items():
            if d_id not in seen_departments and old_d["in_ledger"]:
                department_updates.append(
                    {**dict(old_d), "in_ledger": False, "synced_at": now, "b_id": d_id}
                )

        seen: set[str] = set()
        for department, account in config.iter_accounts():
            seen.add(account.id)
            row = _account_row(department.id, account, now)
            reason = account.closure.reason if account.closure else None
            old = stored.get(account.id)
            if old is None:
                new_rows.append(row)
                events.append(
                    _event(account.id, EventKind.REGISTERED, None, row["status"], now, reason)
                )
                counts["registered"] += 1
                continue
            changed = [k for k in _COMPARED if old[k] != row[k]]
            if not changed:
                counts["unchanged"] += 1
                continue
            row["first_synced_at"] = old["first_synced_at"]
            updates.append({**row, "b_id": account.id})
            fields = sorted(
                {k for k in changed if k not in ("data", "in_ledger")} | _data_changes(old, row)
            )
            if not old["in_ledger"]:  # removed earlier, back in the ledger now
                events.append(
                    _event(
                        account.id,
                        EventKind.REGISTERED,
                        None,
                        row["status"],
                        now,
                        reason,
                        {"returned": True, "fields": fields},
                    )
                )
                counts["registered"] += 1
            elif "status" in changed:
                events.append(
                    _event(
                        account.id,
                        EventKind.STATUS_CHANGED,
                        old["status"],
                        row["status"],
                        now,
                        reason,
                        {"fields": fields, "closure": row["data"].get("closure")},
                    )
                )
                counts["status_changed"] += 1
            else:
                events.append(
                    _event(
                        account.id,
                        EventKind.CHANGED,
                        row["status"],
                        row["status"],
                        now,
                        None,
                        {"fields": fields},
                    )
                )
                counts["changed"] += 1
        for account_id, old in stored.items():
            if account_id not in seen and old["in_ledger"]:
                updates.append(
                    {**dict(old), "in_ledger": False, "synced_at": now, "b_id": account_id}
                )
                events.append(_event(account_id, EventKind.REMOVED, old["status"], None, now, None))
                counts["removed"] += 1

        if department_rows:
            conn.execute(departments.insert(), department_rows)
        if department_updates:
            conn.execute(
                departments.update().where(departments.c.id == _bind("b_id")), department_updates
            )
        if new_rows:
            conn.execute(accounts.insert(), new_rows)
        if updates:
            conn.execute(accounts.update().where(accounts.c.id == _bind("b_id")), updates)
        if events:
            conn.execute(account_events.insert(), events)
    return SyncSummary(**counts)


def _bind(name: str) -> Any:
    from sqlalchemy import bindparam

    return bindparam(name)


def _data_changes(old: Any, row: dict[str, Any]) -> set[str]:
    before, after = old["data"] or {}, row["data"] or {}
    return {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}


def _event(
    account_id: str,
    kind: EventKind,
    old_status: str | None,
    new_status: str | None,
    at: dt.datetime,
    reason: str | None,
    detail: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "account_id": account_id,
        "kind": kind.value,
        "old_status": old_status,
        "new_status": new_status,
        "at": at,
        "reason": reason,
        "detail": detail,
    }


def ledger_status(value: str) -> AccountStatus:
    return AccountStatus(value)


# ---------------------------------------------------------------------------------------------
# Observations from a crawl


def record_observations(
    engine: Engine, rows: list[dict[str, Any]], posts_of: list[list[dict[str, Any]]]
) -> list[int]:
    """Insert a batch of observations and the posts each saw, in one transaction.

    `posts_of[i]` are the post rows of `rows[i]` (without `observation_id`, which is filled in,
    in place).
    A post already stored for the account (same `post_key`) is kept as first seen. Returns the
    new observations' ids, in order.
    """
    if not rows:
        return []
    if engine.dialect.name == "sqlite" and _same_keys(rows) and _scalar_defaults():
        return _record_sqlite(engine, rows, posts_of)
    with engine.begin() as conn:
        inserted = conn.execute(
            observations.insert().returning(observations.c.id, sort_by_parameter_order=True),
            rows,
        )
        ids = [row[0] for row in inserted]
        post_rows = []
        for obs_id, batch in zip(ids, posts_of, strict=True):
            for post in batch:
                post["observation_id"] = obs_id
            post_rows.extend(batch)
        if post_rows:
            conn.execute(_insert_ignoring_duplicates(engine, posts), post_rows)
    return ids


def _scalar_defaults() -> bool:
    """The driver path fills defaults itself: only plain values (no SQL or Python callables)."""
    return all(
        c.default is None or getattr(c.default, "is_scalar", False)
        for table in (observations, posts)
        for c in table.c
        if not c.primary_key
    )


def _same_keys(rows: list[dict[str, Any]]) -> bool:
    keys = rows[0].keys()
    return all(row.keys() == keys for row in rows)


def _utc_text(value: dt.datetime | None) -> str | None:
    """An instant as UTCDateTime binds it on SQLite (naive UTC text with microseconds)."""
    naive = _UTC_BINDER.process_bind_param(value, None)
    return None if naive is None else naive.isoformat(" ", "microseconds")


_UTC_BINDER = UTCDateTime()  # one, not one per value: a crawl binds ~20 instants per account


def _sqlite_insert(table: Table, keys: list[str], suffix: str = "") -> tuple[str, list[Any]]:
    """A plain INSERT of `keys` into `table`, and per key how SQLite binds its value (what the
    column's type does), so a crawl's rows skip SQLAlchemy's per-row statement building."""
    binders: list[Any] = []
    for key in keys:
        column_type = table.c[key].type
        if isinstance(column_type, UTCDateTime):
            binders.append(_utc_text)
        elif isinstance(column_type, Boolean):
            binders.append(lambda v: None if v is None else int(bool(v)))
        else:
            binders.append(None)
    sql = (
        f"INSERT INTO {table.name} ({', '.join(keys)}) VALUES ({', '.join('?' * len(keys))})"
        f"{suffix}"
    )
    return sql, binders


def _keys_and_defaults(table: Table, row: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
    """The columns to insert for rows shaped like `row`: its own, then those it leaves out that
    have a default, with those defaults (plain values: see `_scalar_defaults`)."""
    keys = [key for key in row if key in table.c]
    defaults = {}
    for column in table.c:
        default = column.default
        if column.key not in row and default is not None and not column.primary_key:
            defaults[column.key] = default.arg  # type: ignore[attr-defined]
            keys.append(column.key)
    return keys, defaults


def _bound(row: dict[str, Any], keys: list[str], binders: list[Any]) -> tuple[Any, ...]:
    return tuple(
        row[key] if bind is None else bind(row[key])
        for key, bind in zip(keys, binders, strict=True)
    )


def _record_sqlite(
    engine: Engine, rows: list[dict[str, Any]], posts_of: list[list[dict[str, Any]]]
) -> list[int]:
    """`record_observations` on SQLite through the driver: one INSERT per observation for its
    id (what SQLAlchemy does there too, at several times the cost), one executemany for the
    posts. Columns a row leaves out take their defaults, as through SQLAlchemy."""
    keys, defaults = _keys_and_defaults(observations, rows[0])
    sql, binders = _sqlite_insert(observations, keys)
    ids: list[int] = []
    with engine.begin() as conn:
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            for row in rows:
                cursor.execute(sql, _bound({**defaults, **row}, keys, binders))
                ids.append(cursor.lastrowid)
            post_rows = []
            for obs_id, batch in zip(ids, posts_of, strict=True):
                for post in batch:
                    post["observation_id"] = obs_id
                post_rows.extend(batch)
            if post_rows and _same_keys(post_rows):
                post_keys, post_defaults = _keys_and_defaults(posts, post_rows[0])
                post_sql, post_binders = _sqlite_insert(posts, post_keys, " ON CONFLICT DO NOTHING")
                cursor.executemany(
                    post_sql,
                    [_bound({**post_defaults, **p}, post_keys, post_binders) for p in post_rows],
                )
            elif post_rows:
                conn.execute(_insert_ignoring_duplicates(engine, posts), post_rows)
        finally:
            cursor.close()
    return ids


def _insert_ignoring_duplicates(engine: Engine, table: Table) -> Any:
    if engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing()
    if engine.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table).on_conflict_do_nothing()
    return table.insert().prefix_with("IGNORE")


def prune_evidence(engine: Engine, *, before: dt.datetime) -> int:
    """Drop the raw responses of observations made before `before`; their SHA-256 stays."""
    from sqlalchemy import update

    with engine.begin() as conn:
        result = conn.execute(
            update(observations)
            .where(observations.c.at < before, observations.c.evidence.is_not(None))
            .values(evidence=None)
        )
    return result.rowcount or 0


# ---------------------------------------------------------------------------------------------
# Cases (整改跟踪): rows are only ever inserted


def load_cases(conn: Connection) -> list[Any]:
    """Every case with its events (oldest first), as `registry.cases.Case`."""
    from registry.cases import Case, CaseEvent
    from registry.constants import CaseAction, CaseKind, CaseState

    events: dict[str, list[CaseEvent]] = {}
    for row in conn.execute(select(case_events).order_by(case_events.c.id)):
        events.setdefault(row.case_id, []).append(
            CaseEvent(
                case_id=row.case_id,
                at=row.at,
                action=CaseAction(row.action),
                from_state=CaseState(row.from_state) if row.from_state else None,
                to_state=CaseState(row.to_state),
                by=row.by,
                note=row.note,
                verdict_at=row.verdict_at,
                verdict_status=row.verdict_status,
            )
        )
    return [
        Case(
            id=row.id,
            kind=CaseKind(row.kind),
            account_id=row.account_id,
            department_id=row.department_id,
            owner=row.owner or {},
            opened_at=row.opened_at,
            deadline=row.deadline,
            deadline_exact=bool(row.deadline_exact),
            evidence=row.evidence or {},
            events=tuple(events.get(row.id, ())),
        )
        for row in conn.execute(select(cases).order_by(cases.c.opened_at, cases.c.id))
    ]


def _case_event_row(event: Any) -> dict[str, Any]:
    return {
        "case_id": event.case_id,
        "at": event.at,
        "action": event.action.value,
        "from_state": event.from_state.value if event.from_state else None,
        "to_state": event.to_state.value,
        "by": event.by,
        "note": event.note,
        "verdict_at": event.verdict_at,
        "verdict_status": event.verdict_status,
    }


def record_cases(engine: Engine, opened: Sequence[Any], events: Sequence[Any]) -> list[Any]:
    """Insert new cases (with their own events) and the events of existing ones, in one
    transaction. Nothing is updated or deleted: a change of state is a new row. An event whose
    `from_state` is no longer the case's state (a person closed or answered it since the rules
    read it) is stale and left out. Returns the events of existing cases that were recorded."""
    rows = [
        {
            "id": case.id,
            "kind": case.kind.value,
            "account_id": case.account_id,
            "department_id": case.department_id,
            "owner": dict(case.owner),
            "opened_at": case.opened_at,
            "deadline": case.deadline,
            "deadline_exact": case.deadline_exact,
            "evidence": dict(case.evidence),
        }
        for case in opened
    ]
    if not rows and not events:
        return []
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        elif events:
            ids = sorted({e.case_id for e in events})
            conn.execute(select(cases.c.id).where(cases.c.id.in_(ids)).with_for_update())
        current: dict[str, str] = {}
        if events:
            ids = sorted({e.case_id for e in events})
            query = (
                select(case_events.c.case_id, case_events.c.to_state)
                .where(case_events.c.case_id.in_(ids))
                .order_by(case_events.c.id)
            )
            current = {case_id: state for case_id, state in conn.execute(query)}
        fresh = [
            e
            for e in events
            if e.from_state is not None and current.get(e.case_id) == e.from_state.value
        ]
        if rows:
            conn.execute(cases.insert(), rows)
        event_rows = [_case_event_row(e) for case in opened for e in case.events]
        event_rows += [_case_event_row(e) for e in fresh]
        if event_rows:
            conn.execute(case_events.insert(), event_rows)
    return fresh


def append_case_event(engine: Engine, case_id: str, make: Callable[[Any], Any]) -> Any:
    """Record one event of a case, decided by `make(case)` from the case as it stands inside the
    write transaction (a cycle closing it meanwhile is seen). KeyError: no such case; `make`'s
    ValueError (e.g. responding to a closed case) records nothing."""
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.execute(select(cases.c.id).where(cases.c.id == case_id).with_for_update())
        found = [c for c in load_cases(conn) if c.id == case_id]
        if not found:
            raise KeyError(case_id)
        event = make(found[0])
        conn.execute(case_events.insert(), [_case_event_row(event)])
    return event
