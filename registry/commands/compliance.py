"""Commands of the compliance area (filled in by its issue)."""

import click

COMMANDS: list[click.Command] = []
