"""Commands of the report area (filled in by its issue)."""

import click

COMMANDS: list[click.Command] = []
