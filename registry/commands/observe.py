"""Commands of the manual-observation area (filled in by its issue)."""

import click

COMMANDS: list[click.Command] = []
