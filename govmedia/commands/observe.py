"""Manual observations: `govmedia observe ID --last-post ISO …` records what a person saw."""

from __future__ import annotations

import datetime as dt
import getpass
import os
import sys
from pathlib import Path

import click

from govmedia.cli import EXIT_BAD_CONFIG, config_option, load_or_exit, parse_instant
from registry.config import store_url
from registry.constants import LOCAL_TZ
from registry.i18n import _


def _default_observer() -> str | None:
    """Who is recording when --by is not given: the login name, if there is one."""
    for name in ("USER", "LOGNAME", "USERNAME"):
        value = os.environ.get(name, "").strip()
        if value:
            return value
    try:
        return getpass.getuser() or None
    except (KeyError, OSError):
        return None


@click.command()
@config_option
@click.argument("account_id", metavar="ID")
@click.option(
    "--last-post",
    "last_post",
    required=True,
    help="When the latest post you saw was published (ISO; no offset means Asia/Shanghai).",
)
@click.option("--at", "at", help="When you looked (ISO). Default: now.")
@click.option(
    "--posts-this-week",
    "posts_this_week",
    type=int,
    help="Posts you counted in this natural week (Monday–Sunday) up to --at.",
)
@click.option("--note", help="What you saw, in your words (kept as the observation's detail).")
@click.option("--by", "recorded_by", help="Who looked. Default: your login name ($USER).")
def observe(
    config_path: Path,
    account_id: str,
    last_post: str,
    at: str | None,
    posts_this_week: int | None,
    note: str | None,
    recorded_by: str | None,
) -> None:
    """Record what a person saw on an account: the time of its latest post.

    For accounts no spider can reach (Douyin, Kuaishou, Toutiao, Xiaohongshu), or to back up a
    blocked crawl. The observation is kept with who recorded it, as evidence like a crawl's, and
    counts in `govmedia check` like any successful observation. A closed account is recorded
    with a warning: seeing it post again is how a relaunch is found. Exit 0 recorded, 2 refused.

    \b
    Example:
      govmedia observe xzf-toutiao --last-post 2026-11-27T18:30 --posts-this-week 3 --by 李明
      govmedia observe nyncj-toutiao --last-post 2026-11-20 --at 2026-11-28T09:00 \\
          --note "置顶为旧视频，最新一条11月20日"
    """
    from registry.observing import ManualObservation, ObservationError, check_manual, record_manual
    from registry.store import open_store

    loaded = load_or_exit(config_path, quiet_warnings=True)
    now = dt.datetime.now(LOCAL_TZ)
    looked_at = parse_instant(at, option="--at") if at else now
    last_post_at = parse_instant(last_post, option="--last-post")
    observer = (recorded_by or "").strip() or _default_observer()
    if not observer:
        if sys.stdin.isatty():
            observer = click.prompt(_("Who looked (name)")).strip()
        if not observer:
            raise click.UsageError(_("say who looked: --by NAME"))
    report = ManualObservation(
        account_id=account_id,
        last_post_at=last_post_at,
        at=looked_at,
        recorded_by=observer,
        posts_this_week=posts_this_week,
        note=note.strip() if note and note.strip() else None,
    )
    try:
        warnings, notes = check_manual(loaded.config, report, now=now)
    except ObservationError as exc:
        click.echo(_("error: {error}; nothing was recorded.").format(error=exc), err=True)
        sys.exit(EXIT_BAD_CONFIG)
    for line in warnings:
        click.echo(_("warning: {warning}").format(warning=line), err=True)
    for line in notes:
        click.echo(_("note: {note}").format(note=line), err=True)
    observation_id = record_manual(open_store(store_url(loaded)), report)
    week = (
        _(", {n} posts this week").format(n=posts_this_week) if posts_this_week is not None else ""
    )
    click.echo(
        _(
            "recorded observation {id}: {account} last post {last_post}{week}, seen {seen} by "
            "{observer}"
        ).format(
            id=observation_id,
            account=account_id,
            last_post=f"{last_post_at.astimezone(LOCAL_TZ):%Y-%m-%d %H:%M}",
            week=week,
            seen=f"{looked_at.astimezone(LOCAL_TZ):%Y-%m-%d %H:%M}",
            observer=observer,
        )
    )


COMMANDS: list[click.Command] = [observe]
