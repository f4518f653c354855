"""Login commands: `login wechat` (the MP platform's QR login) and `login status`."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import click

from govmedia.cli import EXIT_PARTIAL, config_option, load_or_exit, parse_instant
from registry.constants import LOCAL_TZ, Source
from registry.i18n import _


@click.group()
def login() -> None:
    """Platform logins: log in to the WeChat MP platform by QR code, or show every source's.

    \b
    Example:
      govmedia login wechat
      govmedia login status --json
    """


def _when(value: dt.datetime | None) -> str:
    return f"{value.astimezone(LOCAL_TZ):%Y-%m-%d %H:%M}" if value else _("unknown")


@login.command("wechat")
@config_option
@click.option(
    "--qr",
    "qr_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the QR code image here (default: next to the store).",
)
@click.option("--timeout", default=300.0, show_default=True, help="Seconds to wait for the scan.")
@click.option("--poll", default=2.0, hidden=True, help="Seconds between status checks.")
@click.option("--now", "now_text", hidden=True, help="The clock, for tests (ISO date-time).")
def login_wechat(
    config_path: Path, qr_path: Path | None, timeout: float, poll: float, now_text: str | None
) -> None:
    """Log in to the WeChat MP platform (公众平台) by scanning a QR code with WeChat.

    The QR code is drawn in the terminal and written as an image (its path is printed: copy it
    from a remote server). Once the phone confirms, the session (token and cookies) is stored in
    credentials.json next to the store, mode 0600, never in config.yaml; the next crawl uses it,
    also in a running `govmedia schedule`. Sessions last about 3–4 days. Logging in again with
    the same account replaces its session; another account's login is added (the crawl spreads
    accounts across them). GOVMEDIA_WECHAT_TOKEN and GOVMEDIA_WECHAT_COOKIE, when set, win.

    \b
    Example:
      govmedia login wechat -c /srv/govmedia/config.yaml
    """
    from govmedia.login_health import credentials_file
    from govmedia.qrlogin import LoginFailed, QrLogin, terminal_qr
    from registry import credentials

    loaded = load_or_exit(config_path)
    config = loaded.config
    base = config.sources.for_source(Source.WECHAT).base_url or "https://mp.weixin.qq.com"
    store = credentials_file(loaded)
    client = QrLogin(base_url=base, user_agent=config.crawl.user_agent)
    try:
        client.start()
        image, content_type = client.qr_image()
        suffix = ".png" if image.startswith(b"\x89PNG") else ".jpg"
        target = qr_path or store.parent / f"wechat-login-qr{suffix}"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(image)
        drawn = terminal_qr(image)
        if drawn:
            click.echo(drawn)
        click.echo(_("QR code written to {path}").format(path=target))
        click.echo(
            _("Scan it with WeChat (an administrator of the account) within {seconds} s.").format(
                seconds=f"{timeout:.0f}"
            )
        )
        sys.stdout.flush()
        client.wait(
            timeout=timeout,
            poll=poll,
            on_scanned=lambda: click.echo(_("scanned: confirm the login on the phone")),
        )
        now = parse_instant(now_text, option="--now") if now_text else dt.datetime.now(dt.UTC)
        session = client.finish(now)
    except LoginFailed as exc:
        click.echo(_("error: {error}").format(error=exc), err=True)
        sys.exit(EXIT_PARTIAL)
    credentials.store_wechat(store, session)
    click.echo(
        _(
            "logged in as {account}; session stored in {path} (expires {expires} Asia/Shanghai)"
        ).format(account=session.account, path=store, expires=_when(session.expires_at))
    )


@login.command("status")
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array, one object per login.")
@click.option("--no-test", is_flag=True, help="Do not ask the platforms (no live test request).")
@click.option("--now", "now_text", hidden=True, help="The clock, for tests (ISO date-time).")
def login_status(config_path: Path, as_json: bool, no_test: bool, now_text: str | None) -> None:
    """Each source's login: where it comes from, who, its expiry, and a live test request
    (ok / expired / blocked).

    Exit 0 when every login works (or was not tested), 1 when one is expired, blocked or
    missing.

    \b
    Example:
      govmedia login status
      govmedia login status --json
    """
    from govmedia.login_health import OK, UNTESTED, live_test, source_credentials
    from registry.credentials import CredentialsError

    loaded = load_or_exit(config_path, quiet_warnings=as_json)
    now = parse_instant(now_text, option="--now") if now_text else dt.datetime.now(dt.UTC)
    try:
        found = source_credentials(loaded, now)
    except CredentialsError as exc:
        click.echo(_("error: {error}").format(error=exc), err=True)
        sys.exit(EXIT_PARTIAL)
    for credential in found:
        if not no_test and credential.state == UNTESTED:
            live_test(loaded, credential)
    if as_json:
        click.echo(json.dumps([c.to_json() for c in found], ensure_ascii=False, indent=2))
    else:
        for c in found:
            who = f" {c.account}" if c.account else ""
            line = _("{source} {state}{who}  from {origin}; expires {expires}").format(
                source=f"{c.source.value:<7}",
                state=f"{c.state:<8}",
                who=who,
                origin=c.origin,
                expires=_when(c.expires_at),
            )
            click.echo(line + (_("; {detail}").format(detail=c.detail) if c.detail else ""))
    if any(c.state not in (OK, UNTESTED) for c in found):
        sys.exit(EXIT_PARTIAL)


COMMANDS: list[click.Command] = [login]
