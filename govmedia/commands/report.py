"""`govmedia report`: the weekly report, the notice (通报) and the annual figures."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path

import click

from govmedia.cli import config_option, load_or_exit, parse_instant
from govmedia.login_health import credentials_file
from registry.config import output_dir, store_url
from registry.i18n import _, ngettext

FORMATS = ("html", "xlsx", "md", "csv")


def _formats(value: str | None) -> list[str] | None:
    if value is None:
        return None
    chosen = [part.strip().lower() for part in value.split(",") if part.strip()]
    bad = [f for f in chosen if f not in FORMATS]
    if bad or not chosen:
        raise click.BadParameter(
            _("{value!r} is not a format; use a comma-separated list of {formats}").format(
                value=(bad or [value])[0], formats=", ".join(FORMATS)
            ),
            param_hint="--format",
        )
    return chosen


def _out(loaded, out: Path | None) -> Path:  # noqa: ANN001
    return out if out is not None else output_dir(loaded)


def _clean(folder: Path) -> None:
    """Remove what a killed rendering left behind (its temporary files) before writing."""
    from reports.files import remove_stale_temp_files

    removed = remove_stale_temp_files(folder)
    if removed:
        click.echo(
            ngettext(
                "removed {n} temporary file left by an interrupted run",
                "removed {n} temporary files left by an interrupted run",
                len(removed),
            ).format(n=len(removed)),
            err=True,
        )


@click.group()
def report() -> None:
    """Reports for supervisors: the weekly report, the notice (通报), the annual figures.

    \b
    Example:
      govmedia report weekly
      govmedia report notice --month 2026-11
      govmedia report annual --year 2026 --json
    """


@report.command()
@config_option
@click.option("--week", "week_text", help="ISO week, e.g. 2026-W48. Default: the last closed week.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder (the report site). Default: output_dir of config.yaml.",
)
@click.option(
    "--format",
    "format_text",
    help="Comma-separated formats: html,xlsx,md,csv. Default: reports.formats (all four).",
)
@click.option("--now", "now_text", hidden=True, help="The clock, for tests (ISO date-time).")
@click.option("--json", "as_json", is_flag=True, help="Print what was written as JSON.")
def weekly(
    config_path: Path,
    week_text: str | None,
    out: Path | None,
    format_text: str | None,
    now_text: str | None,
    as_json: bool,
) -> None:
    """Render the weekly compliance report (周报) of an ISO week.

    Verdicts are taken at the week's monitoring time point, Sunday 23:59:59 Asia/Shanghai, and
    stored. The output folder is a static site: index.html lists every report, and each account
    has a page with its last 26 weeks.

    \b
    Example:
      govmedia report weekly
      govmedia report weekly --week 2026-W48 --out site --format html,xlsx
    """
    from registry.store import open_store, sync_ledger
    from registry.weeks import IsoWeek
    from reports import build
    from reports.publish import render_weekly, summary_json
    from reports.render import pct

    formats = _formats(format_text)
    now = parse_instant(now_text, option="--now")
    loaded = load_or_exit(config_path, quiet_warnings=as_json)
    config = loaded.config
    if week_text:
        try:
            week = IsoWeek.parse(week_text)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--week") from None
        if build.week_point(week, config.tz) > now:
            raise click.BadParameter(
                _("{week} has not ended yet; its report is due after Sunday {sunday}").format(
                    week=week, sunday=week.sunday()
                ),
                param_hint="--week",
            )
    else:
        week = build.last_closed_week(now, config.tz)
    _clean(_out(loaded, out))
    engine = open_store(store_url(loaded))
    sync_ledger(engine, config, now=now.astimezone(dt.UTC))
    rendered = render_weekly(
        engine,
        config,
        _out(loaded, out),
        week,
        now=now,
        formats=formats,
        logins=credentials_file(loaded),
    )
    if as_json:
        click.echo(summary_json(rendered))
        return
    figures = rendered.summary
    line = _(
        "{monitored} monitored, pass rate {rate}, {failed} failed, {unknown} unverifiable, "
        "{flagged} to apply for shutdown"
    ).format(
        monitored=figures["monitored"],
        rate=pct(figures["pass_rate"]),  # type: ignore[arg-type]
        failed=figures["failed"],
        unknown=figures["unknown"],
        flagged=figures["flagged"],
    )
    click.echo(_("weekly report {period}: {line}").format(period=rendered.period, line=line))
    _print_files(rendered.files)
    if rendered.account_pages:
        pages = ngettext("{n} account page", "{n} account pages", rendered.account_pages)
        _print_files({_("pages"): pages.format(n=rendered.account_pages)})
    _print_files({_("index"): _out(loaded, out) / "index.html"})


@report.command()
@config_option
@click.option("--month", "month_text", help="The month, e.g. 2026-11.")
@click.option("--quarter", "quarter_text", help="The quarter, e.g. 2026-Q4.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder (the report site). Default: output_dir of config.yaml.",
)
@click.option("--date", "date_text", help="Date of the notice, YYYY-MM-DD. Default: today.")
@click.option("--now", "now_text", hidden=True, help="The clock, for tests (ISO date-time).")
@click.option("--json", "as_json", is_flag=True, help="Print what was written as JSON.")
def notice(
    config_path: Path,
    month_text: str | None,
    quarter_text: str | None,
    out: Path | None,
    date_text: str | None,
    now_text: str | None,
    as_json: bool,
) -> None:
    """Render the notice (通报) of a month or a quarter, as Word and HTML, with its XLSX
    attachment 不合格政务新媒体名单.

    The period checks every natural week whose Sunday falls in it, each at Sunday 23:59:59.
    The deadline of its 工作要求 is the notice's date plus reports.notice_deadline_days.

    \b
    Example:
      govmedia report notice --month 2026-11
      govmedia report notice --quarter 2026-Q4 --date 2027-01-05
    """
    from registry.store import open_store, sync_ledger
    from reports.notice import period_point
    from reports.periods import Period
    from reports.publish import render_notice, summary_json
    from reports.render import pct

    if bool(month_text) == bool(quarter_text):
        raise click.UsageError(_("give one of --month 2026-11 or --quarter 2026-Q4"))
    try:
        period = Period.month(month_text) if month_text else Period.quarter(quarter_text or "")
    except ValueError as exc:
        raise click.BadParameter(
            str(exc), param_hint="--month" if month_text else "--quarter"
        ) from None
    issued_on = None
    if date_text:
        from registry.weeks import check_year

        try:
            issued_on = dt.date.fromisoformat(date_text)
        except ValueError:
            raise click.BadParameter(
                _("{value!r} is not a date; write it as 2026-12-05").format(value=date_text),
                param_hint="--date",
            ) from None
        try:
            check_year(issued_on.year, date_text)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--date") from None
    now = parse_instant(now_text, option="--now")
    loaded = load_or_exit(config_path, quiet_warnings=as_json)
    config = loaded.config
    end = period_point(period, config.tz)
    if end is None or end > now:
        raise click.BadParameter(
            _("{period} has not ended yet; its notice is due after {day}").format(
                period=period, day=period.last_day
            ),
            param_hint="--month" if month_text else "--quarter",
        )
    _clean(_out(loaded, out))
    engine = open_store(store_url(loaded))
    sync_ledger(engine, config, now=now.astimezone(dt.UTC))
    rendered = render_notice(
        engine, config, _out(loaded, out), period, now=now, issued_on=issued_on
    )
    if as_json:
        click.echo(summary_json(rendered))
        return
    figures = rendered.summary
    line = _(
        "{checked} checked, pass rate {rate}, {failed} failed, {others} other problems"
    ).format(
        checked=figures["checked"],
        rate=pct(figures["pass_rate"]),  # type: ignore[arg-type]
        failed=figures["failed"],
        others=figures["others"],
    )
    click.echo(_("notice {period}: {line}").format(period=rendered.period, line=line))
    _print_files(rendered.files)


@report.command()
@config_option
@click.option(
    "--year", type=int, help="The calendar year, e.g. 2026. Default: the last complete year."
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder (the report site). Default: output_dir of config.yaml.",
)
@click.option("--now", "now_text", hidden=True, help="The clock, for tests (ISO date-time).")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
def annual(
    config_path: Path, year: int | None, out: Path | None, now_text: str | None, as_json: bool
) -> None:
    """The new-media figures for the annual government-information-disclosure report
    (政府信息公开工作年度报告), with a ready paragraph (现纳入国家、省监管平台共N家单位…).

    Writes annual/YEAR/annual.json, .md and .html into the report site, and prints the
    paragraph and the figures (or, with --json, the figures as JSON).

    \b
    Example:
      govmedia report annual --year 2026
      govmedia report annual --year 2026 --json
    """
    from govmedia.commands.compliance import in_words
    from registry.constants import PLATFORM_LABELS
    from registry.store import open_store, sync_ledger
    from registry.weeks import FIRST_YEAR
    from reports.publish import annual_json, render_annual

    now = parse_instant(now_text, option="--now")
    loaded = load_or_exit(config_path, quiet_warnings=as_json)
    config = loaded.config
    this_year = now.astimezone(config.tz).year
    year = year if year is not None else this_year - 1
    if not FIRST_YEAR <= year <= this_year:
        raise click.BadParameter(
            _("{year} is not a year with figures yet").format(year=year), param_hint="--year"
        )
    _clean(_out(loaded, out))
    engine = open_store(store_url(loaded))
    sync_ledger(engine, config, now=now.astimezone(dt.UTC))
    rendered, ctx = render_annual(engine, config, _out(loaded, out), year, now=now)
    if as_json:
        click.echo(annual_json(ctx))
        return
    click.echo(ctx.paragraph)
    click.echo("")
    click.echo(_("accounts at year end: {n}").format(n=ctx.accounts_at_year_end))
    for item in ctx.by_platform:
        click.echo(f"  {_padded(in_words(item.platform, PLATFORM_LABELS), 12)} {item.count}")
    click.echo(
        _("units: {total} (national {national}, provincial {provincial}, either {either})").format(
            total=ctx.units_total,
            national=ctx.units_national,
            provincial=ctx.units_provincial,
            either=ctx.units_supervised,
        )
    )
    click.echo(_("registrations: {n}").format(n=len(ctx.registrations)))
    click.echo(
        _("closures: {n} ({certified} with a certificate)").format(
            n=len(ctx.closures), certified=ctx.closures_with_certificate
        )
    )
    click.echo(
        _(
            "checks: {points} monitoring points, {verdicts} verdicts, {observations} observations"
        ).format(points=ctx.monitoring_points, verdicts=ctx.verdicts, observations=ctx.observations)
    )
    click.echo(
        _("problems: {found} found, {fixed} fixed").format(
            found=ctx.problems_found, fixed=ctx.problems_fixed
        )
    )
    for path in rendered.files.values():
        click.echo(f"  {path}")


def _padded(text: str, width: int) -> str:
    """`text` padded to `width` terminal cells (a Chinese character takes two)."""
    from rich.cells import cell_len

    return text + " " * (width - cell_len(text))


def _print_files(files: Mapping[str, object]) -> None:
    """What was written, one a line under its label (a format's name is a file type: as is)."""
    for label, path in files.items():
        click.echo(f"  {_padded(label, 5)} {path}")


COMMANDS: list[click.Command] = [report]
