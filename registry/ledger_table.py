"""The ledger as a table with Chinese headers: one row per account, for clerks who work in Excel.

`ledger_records(config)` turns the ledger into typed rows; `display_row` shows a row as a clerk
reads it (platforms and states in Chinese, 是/否, real dates); `parse_row` reads an edited row
back, accepting the Chinese label or the English value, and says which column is wrong. Nothing
here touches a file or a spreadsheet library: the command (govmedia/commands/ledger_xlsx.py)
reads and writes the workbook, registry/ledger_merge.py applies the rows to config.yaml.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, fields
from typing import Any

from registry.constants import (
    ACCOUNT_STATUS_LABELS,
    DEFAULT_SOURCE,
    DEPARTMENT_LEVEL_LABELS,
    PLATFORM_ALIASES,
    PLATFORM_LABELS,
    SOURCE_IDENTIFIER_FIELD,
    SOURCE_LABELS,
    AccountStatus,
    DepartmentLevel,
    Platform,
    Source,
)
from registry.editing import join_list
from registry.i18n import N_, _
from registry.models import ID_PATTERN, Account, Config, Department

SHEET_TITLE = "台账"
YES, NO = "是", "否"


@dataclass(frozen=True)
class LedgerRecord:
    """One account as a row of the table; None is an empty cell."""

    department: str
    department_name: str
    level: DepartmentLevel
    id: str
    name: str
    platform: Platform
    source: Source
    identifier: str | None
    owner_name: str
    phone: str | None
    email: str | None
    opened_on: dt.date | None
    filed_on: dt.date | None
    national: bool
    provincial: bool
    exception_basis: str | None
    status: AccountStatus
    closure_reason: str | None
    approved_on: dt.date | None
    notice_on: dt.date | None
    deregistered_on: dt.date | None
    closure_filed_on: dt.date | None
    certificate: str | None
    note: str | None


@dataclass(frozen=True)
class TableColumn:
    """A column: its Chinese header, the record field, how it is shown and read, its width."""

    header: str
    field: str
    kind: str  # text | id | date | bool | platform | source | status | level
    width: int
    required: bool = False


COLUMNS: tuple[TableColumn, ...] = (
    TableColumn("单位编号", "department", "id", 12, True),
    TableColumn("单位名称", "department_name", "text", 24, True),
    TableColumn("单位级别", "level", "level", 12),
    TableColumn("账号编号", "id", "id", 18, True),
    TableColumn("账号名称", "name", "text", 22, True),
    TableColumn("平台", "platform", "platform", 14, True),
    TableColumn("观测方式", "source", "source", 18),
    TableColumn("标识", "identifier", "text", 36),
    TableColumn("负责人", "owner_name", "text", 10, True),
    TableColumn("电话", "phone", "text", 15),
    TableColumn("邮箱", "email", "text", 24),
    TableColumn("开设日期", "opened_on", "date", 12),
    TableColumn("报备日期", "filed_on", "date", 12),
    TableColumn("纳入国家平台", "national", "bool", 12),
    TableColumn("纳入省级平台", "provincial", "bool", 12),
    TableColumn("开设依据", "exception_basis", "text", 36),
    TableColumn("状态", "status", "status", 10),
    TableColumn("关停原因", "closure_reason", "text", 24),
    TableColumn("关停批准日期", "approved_on", "date", 12),
    TableColumn("停更公告日期", "notice_on", "date", 12),
    TableColumn("注销日期", "deregistered_on", "date", 12),
    TableColumn("关停报备日期", "closure_filed_on", "date", 12),
    TableColumn("关停证明编号", "certificate", "text", 20),
    TableColumn("备注", "note", "text", 30),
)
COLUMN_BY_HEADER = {c.header: c for c in COLUMNS}
assert {f.name for f in fields(LedgerRecord)} == {c.field for c in COLUMNS}


def choices(kind: str) -> list[str]:
    """The Chinese values a clerk picks from (the workbook's drop-down lists)."""
    labels: Mapping[Any, str] = {
        "platform": PLATFORM_LABELS,
        "source": SOURCE_LABELS,
        "status": ACCOUNT_STATUS_LABELS,
        "level": DEPARTMENT_LEVEL_LABELS,
    }.get(kind, {})
    if kind == "bool":
        return [YES, NO]
    return list(labels.values())


# ---------------------------------------------------------------------------------------------
# Ledger → rows


def record_of(department: Department, account: Account) -> LedgerRecord:
    """The row of one account."""
    source = account.effective_source
    id_field = SOURCE_IDENTIFIER_FIELD[source]
    closure = account.closure
    return LedgerRecord(
        department=department.id,
        department_name=department.name,
        level=department.level,
        id=account.id,
        name=account.name,
        platform=account.platform,
        source=source,
        identifier=getattr(account, id_field) if id_field else None,
        owner_name=account.owner.name,
        phone=account.owner.phone,
        email=account.owner.email,
        opened_on=account.opened_on,
        filed_on=account.filed_on,
        national=account.supervised.national,
        provincial=account.supervised.provincial,
        exception_basis=account.exception_basis,
        status=account.status,
        closure_reason=closure.reason if closure else None,
        approved_on=closure.approved_on if closure else None,
        notice_on=closure.notice_on if closure else None,
        deregistered_on=closure.deregistered_on if closure else None,
        closure_filed_on=closure.filed_on if closure else None,
        certificate=closure.certificate if closure else None,
        note=account.note,
    )


def ledger_records(config: Config) -> list[LedgerRecord]:
    """Every account of the ledger, in ledger order."""
    return [record_of(department, account) for department, account in config.iter_accounts()]


def display_value(column: TableColumn, value: Any) -> Any:
    """A record value as the clerk sees it in a cell (None stays an empty cell)."""
    if value is None:
        return None
    if column.kind == "bool":
        return YES if value else NO
    if column.kind == "platform":
        return PLATFORM_LABELS[value]
    if column.kind == "source":
        return SOURCE_LABELS[value]
    if column.kind == "status":
        return ACCOUNT_STATUS_LABELS[value]
    if column.kind == "level":
        return DEPARTMENT_LEVEL_LABELS[value]
    return value


def display_row(record: LedgerRecord) -> list[Any]:
    return [display_value(c, getattr(record, c.field)) for c in COLUMNS]


# ---------------------------------------------------------------------------------------------
# Rows → records


class CellProblem(Exception):
    """A cell that cannot be read: the message names the value and says what is expected."""


def _text(value: Any) -> str | None:
    """A text cell; a number typed into it (a phone, a uid) is its digits; blank is None."""
    if value is None:
        return None
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (dt.datetime, dt.date)):
        raise CellProblem(_("{value} is a date; this column holds text").format(value=value))
    text = str(value).strip()
    return text or None


def _labelled(value: str, enum: type[Any], labels: Mapping[Any, str], what: str) -> Any:
    """The member written as its value or its label; `what` is the message (N_) for another
    value, "{value} is not a platform"."""
    for member in enum:
        if value == member.value or value == labels[member]:
            return member
    folded = value.casefold()
    for member in enum:
        if folded == member.value.casefold():
            return member
    hint = None
    if enum is Platform and folded in PLATFORM_ALIASES:
        hint = PLATFORM_ALIASES[folded].value
    if hint is None:
        candidates = [m.value for m in enum] + list(labels.values())
        close = difflib.get_close_matches(value, candidates, n=1, cutoff=0.5)  # as validate
        hint = close[0] if close else None
    if hint:
        tail = _("; did you mean {hint}?").format(hint=hint)
    else:
        tail = _("; one of: {choices}").format(choices=join_list(labels.values()))
    raise CellProblem(_(what).format(value=repr(value)) + tail)


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _text(value)
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text.replace("/", "-").replace(".", "-"))
    except ValueError:
        raise CellProblem(
            _("{value} is not a date; write it as 2026-11-28").format(value=repr(text))
        ) from None


def _bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    text = _text(value)
    if text is None:
        return None
    if text in (YES, "true", "True", "TRUE", "1"):
        return True
    if text in (NO, "false", "False", "FALSE", "0"):
        return False
    raise CellProblem(_("{value} is not {yes} or {no}").format(value=repr(text), yes=YES, no=NO))


_ID = re.compile(ID_PATTERN)


def _id(value: Any) -> str | None:
    text = _text(value)
    if text is not None and not _ID.match(text):
        raise CellProblem(
            _("{value} is not an id: lowercase letters, digits and '-'").format(value=repr(text))
        )
    return text


READERS: dict[str, Callable[[Any], Any]] = {
    "text": _text,
    "id": _id,
    "date": _date,
    "bool": _bool,
    "platform": lambda v: _maybe(v, Platform, PLATFORM_LABELS, N_("{value} is not a platform")),
    "source": lambda v: _maybe(v, Source, SOURCE_LABELS, N_("{value} is not a way of observing")),
    "status": lambda v: _maybe(
        v, AccountStatus, ACCOUNT_STATUS_LABELS, N_("{value} is not a ledger state")
    ),
    "level": lambda v: _maybe(
        v, DepartmentLevel, DEPARTMENT_LEVEL_LABELS, N_("{value} is not a level")
    ),
}


def _maybe(value: Any, enum: type[Any], labels: Mapping[Any, str], what: str) -> Any:
    text = _text(value)
    return None if text is None else _labelled(text, enum, labels, what)


@dataclass(frozen=True)
class RowProblem:
    """A problem in one cell (header) of a row, or of the whole row (header None)."""

    header: str | None
    message: str


def parse_row(
    cells: Mapping[str, Any], known_levels: Mapping[str, DepartmentLevel]
) -> LedgerRecord | list[RowProblem]:
    """A record from the cells of one row (header → value), or the problems, one per cell.

    Blank optional cells take the ledger's defaults: the platform's usual source, 否, 运营中, and
    the level the department already has (a new department is a 县直部门 unless the cell says so).
    """
    values: dict[str, Any] = {}
    problems: list[RowProblem] = []
    for column in COLUMNS:
        raw = cells.get(column.header)
        try:
            value = READERS[column.kind](raw)
        except CellProblem as exc:
            problems.append(RowProblem(column.header, str(exc)))
            continue
        if value is None and column.required:
            problems.append(RowProblem(column.header, _("empty; this column is required")))
        values[column.field] = value
    if problems:
        return problems
    platform: Platform = values["platform"]
    if values["source"] is None:
        values["source"] = DEFAULT_SOURCE[platform]
    if values["level"] is None:
        values["level"] = known_levels.get(values["department"], DepartmentLevel.DEPARTMENT)
    for flag in ("national", "provincial"):
        values[flag] = bool(values[flag])
    if values["status"] is None:
        values["status"] = AccountStatus.ACTIVE
    if values["identifier"] and SOURCE_IDENTIFIER_FIELD[values["source"]] is None:
        label = SOURCE_LABELS[values["source"]]
        return [
            RowProblem(
                "标识",
                _("an account observed by {source} has no identifier; clear it").format(
                    source=label
                ),
            )
        ]
    return LedgerRecord(**values)


def changed_fields(old: LedgerRecord, new: LedgerRecord) -> Iterator[str]:
    """The record fields that differ, in column order."""
    for column in COLUMNS:
        if getattr(old, column.field) != getattr(new, column.field):
            yield column.field
