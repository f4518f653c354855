"""Commands of the crawl area (filled in by its issue)."""

import click

COMMANDS: list[click.Command] = []
