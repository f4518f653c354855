"""`govmedia ledger export|import`: the ledger as an Excel workbook (台账.xlsx) for clerks.

The table's columns and how each value is shown and read back live in registry/ledger_table.py;
the merge into config.yaml in registry/ledger_merge.py. This module only reads and writes the
workbook and talks to the clerk.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from govmedia.cli import EXIT_BAD_CONFIG, config_option, load_or_exit
from registry.i18n import _, ngettext

# Rows below the accounts that still get the drop-down lists, for accounts a clerk adds.
SPARE_ROWS = 500


@click.group()
def ledger() -> None:
    """The ledger as an Excel workbook: export it, edit it, import it back.

    \b
    Example:
      govmedia ledger export --xlsx 台账.xlsx
      govmedia ledger import 台账.xlsx --dry-run
      govmedia ledger import 台账.xlsx
    """


@ledger.command("export")
@config_option
@click.option(
    "--xlsx",
    "target",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The workbook to write, e.g. 台账.xlsx.",
)
def export(config_path: Path, target: Path) -> None:
    """Write the ledger as a workbook: one row per account, Chinese headers, drop-down lists.

    \b
    Example:
      govmedia ledger export --xlsx 台账.xlsx
    """
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    from registry.ledger_table import COLUMNS, SHEET_TITLE, choices, display_row, ledger_records
    from reports.files import atomic_path
    from reports.writers import Column, SheetWriter

    config = load_or_exit(config_path, quiet_warnings=True).config
    records = ledger_records(config)
    workbook = Workbook(write_only=True)
    columns = [
        Column(c.header, (lambda row, i=i: row[i]), "date" if c.kind == "date" else "text", c.width)
        for i, c in enumerate(COLUMNS)
    ]
    sheet = SheetWriter(workbook, SHEET_TITLE, columns)
    last = len(records) + 1 + SPARE_ROWS
    for index, column in enumerate(COLUMNS, start=1):
        listed = choices(column.kind)
        if not listed:
            continue
        validation = DataValidation(
            type="list",
            formula1='"' + ",".join(listed) + '"',
            allow_blank=not column.required,
            showErrorMessage=True,
            errorTitle=column.header,
            error=f"请从下拉列表中选择：{'、'.join(listed)}",  # the workbook is Chinese
        )
        letter = get_column_letter(index)
        validation.add(f"{letter}2:{letter}{last}")
        sheet.ws.data_validations.append(validation)
    sheet.write(display_row(record) for record in records)
    with atomic_path(target) as tmp:
        workbook.save(tmp)
    click.echo(
        ngettext(
            "{path}: {n} account written", "{path}: {n} accounts written", len(records)
        ).format(path=target, n=len(records))
    )


def _cell_value(cell: Any) -> tuple[Any, str | None]:
    """A cell's value, or a problem: a formula is refused (its result is not stored)."""
    if getattr(cell, "data_type", None) == "f":
        return None, _("a formula; type the value itself")
    return cell.value, None


def cell_problem(
    path: Path, sheet: str, column: str, row: int | str, header: str | None, problem: str
) -> str:
    """A problem of the workbook, naming the sheet, the row and the column (letter and header):
    `台账.xlsx: 台账!F7 (平台): …` in English, 工作表、行、列 in Chinese."""
    return _("{path}: {sheet}!{column}{row} ({header}): {problem}").format(
        path=path, sheet=sheet, column=column, row=row, header=header or "", problem=problem
    )


def read_workbook(
    path: Path, known_levels: dict[str, Any]
) -> tuple[list[tuple[int, Any]], list[str]]:
    """The workbook's rows as (row number, record), and the problems as printable lines naming
    the sheet, row, column letter and header."""
    import zipfile

    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

    from registry.ledger_table import COLUMN_BY_HEADER, COLUMNS, SHEET_TITLE, parse_row

    try:
        workbook = load_workbook(path, read_only=True)
    except (OSError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        reason = " ".join(str(exc).split())[:200]
        return [], [
            _("{path}: not an Excel workbook (.xlsx) this can read ({reason})").format(
                path=path, reason=reason
            )
        ]
    if SHEET_TITLE not in workbook.sheetnames:
        return [], [
            _("{path}: no sheet {sheet} (sheets: {sheets})").format(
                path=path, sheet=repr(SHEET_TITLE), sheets=", ".join(workbook.sheetnames)
            )
        ]
    sheet = workbook[SHEET_TITLE]
    rows = sheet.iter_rows()
    header_row = next(rows, ())
    where: dict[str, int] = {}
    for index, cell in enumerate(header_row, start=1):
        text = str(cell.value).strip() if cell.value is not None else ""
        if text in COLUMN_BY_HEADER and text not in where:
            where[text] = index
    absent = [c.header for c in COLUMNS if c.required and c.header not in where]
    if absent:
        return [], [
            _("{path}: {sheet}!1: missing column(s) {columns}").format(
                path=path, sheet=SHEET_TITLE, columns=", ".join(absent)
            )
        ]
    records: list[tuple[int, Any]] = []
    problems: list[str] = []
    for number, row in enumerate(rows, start=2):
        cells: dict[str, Any] = {}
        by_index = {getattr(c, "column", i): c for i, c in enumerate(row, start=1)}
        for header, index in where.items():
            cell = by_index.get(index)
            if cell is None:
                continue
            value, problem = _cell_value(cell)
            if problem:
                problems.append(
                    cell_problem(
                        path, SHEET_TITLE, get_column_letter(index), number, header, problem
                    )
                )
            cells[header] = value
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in cells.values()):
            continue  # a blank row
        parsed = parse_row(cells, known_levels)
        if isinstance(parsed, list):
            for item in parsed:
                letter = get_column_letter(where[item.header]) if item.header in where else ""
                problems.append(
                    cell_problem(path, SHEET_TITLE, letter, number, item.header, item.message)
                )
            continue
        records.append((number, parsed))
    workbook.close()
    return records, problems


@ledger.command("import")
@config_option
@click.argument("workbook", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option(
    "--allow-remove",
    is_flag=True,
    help="Delete the accounts missing from the sheet (and departments left empty), e.g. the "
    "sample's; without it they are listed and kept.",
)
def import_(config_path: Path, workbook: Path, dry_run: bool, allow_remove: bool) -> None:
    """Merge an edited workbook into config.yaml: new rows are registered, changed cells update
    their account; the result is validated like `govmedia validate`, shown, then written.

    An account missing from the sheet is NOT removed: it is listed, and stays in the ledger
    (close it with `govmedia close`; a closed account stays in the ledger). Only with
    --allow-remove are such accounts deleted — for replacing the sample's accounts with your
    own. On any problem (each named by sheet, cell and header) nothing is written and the
    command exits 2.

    \b
    Example:
      govmedia ledger import 台账.xlsx --dry-run
      govmedia ledger import 台账.xlsx
      govmedia ledger import 我县台账.xlsx --allow-remove
    """
    from govmedia.commands.ledger import edit_state
    from registry.config import validate_text
    from registry.editing import EditError
    from registry.ledger_diff import LedgerDiff, diff_ledgers, render_text
    from registry.ledger_merge import MergeError, merge_records

    loaded = load_or_exit(config_path, quiet_warnings=True)
    levels = {d.id: d.level for d in loaded.config.departments}
    records, problems = read_workbook(workbook, levels)
    if not problems:
        try:
            result = merge_records(
                config_path,
                records,
                dry_run=dry_run,
                allow_remove=allow_remove,
                loaded=loaded.config,
            )
        except MergeError as exc:
            from openpyxl.utils import get_column_letter

            from registry.ledger_table import COLUMNS, SHEET_TITLE

            letters = {c.header: get_column_letter(i) for i, c in enumerate(COLUMNS, start=1)}
            problems = [
                cell_problem(
                    workbook,
                    SHEET_TITLE,
                    letters.get(p.header or "", ""),
                    p.row,
                    p.header,
                    p.message,
                )
                for p in exc.problems
            ]
        except EditError as exc:
            problems = exc.lines
    if problems:
        for line in problems:
            click.echo(line, err=True)
        n = len(problems)
        click.echo(
            ngettext(
                "{path}: {n} problem; {config} was not changed",
                "{path}: {n} problems; {config} was not changed",
                n,
            ).format(path=workbook, n=n, config=config_path),
            err=True,
        )
        sys.exit(EXIT_BAD_CONFIG)
    edit = result.edit
    if edit.after == edit.before:
        change = LedgerDiff()
    else:
        new_config = validate_text(
            edit.after.removeprefix(b"\xef\xbb\xbf"), source_name=str(config_path)
        ).config
        change = diff_ledgers(loaded.config, new_config)
    for line in render_text(change):
        click.echo(line)
    for line in edit.warnings:
        click.echo(_("warning: ") + line, err=True)
    if result.missing:
        click.echo(
            _("warning: ")
            + _(
                "{n} account(s) of {config} are not in the sheet and were kept (close one with "
                "govmedia close): {ids}"
            ).format(n=len(result.missing), config=config_path, ids=", ".join(result.missing)),
            err=True,
        )
    click.echo(edit_state(config_path, edit.written, dry_run and edit.after != edit.before))


COMMANDS: list[click.Command] = [ledger]
