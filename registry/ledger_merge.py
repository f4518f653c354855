"""Merge the rows of an edited ledger table (registry/ledger_table.py) into config.yaml.

The merge goes through registry/editing.py's machinery: the ruamel.yaml round-trip tree (comments
and layout kept), the edited text validated exactly as `govmedia validate` reads it, one atomic
write. Only what a row changes is touched, so an unchanged table leaves the file byte-identical.
An account missing from the table is not deleted unless the clerk asks (`allow_remove`, for
turning the sample into one's own ledger): otherwise it is listed and kept, and closing it is
`govmedia close`'s job (a ledger keeps closed accounts).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from registry.constants import DEFAULT_SOURCE, SOURCE_IDENTIFIER_FIELD, AccountStatus
from registry.editing import (
    ACCOUNT_KEY_ORDER,
    CLOSURE_KEY_ORDER,
    QUOTED_KEYS,
    EditResult,
    NewAccount,
    account_node,
    finish_edit,
    insert_in_order,
    keeping_trailing_comment,
    load_tree,
    open_document,
)
from registry.i18n import _
from registry.ledger_table import LedgerRecord, changed_fields, ledger_records
from registry.models import Config

DEPARTMENT_KEY_ORDER = ("id", "name", "level", "contact", "accounts")
OWNER_KEY_ORDER = ("name", "phone", "email")
# closure key in config.yaml → LedgerRecord field
CLOSURE_FIELDS = {
    "reason": "closure_reason",
    "approved_on": "approved_on",
    "notice_on": "notice_on",
    "deregistered_on": "deregistered_on",
    "filed_on": "closure_filed_on",
    "certificate": "certificate",
}


@dataclass(frozen=True)
class SheetProblem:
    """A row that cannot be merged; `header` names the column, None the whole row."""

    row: int
    header: str | None
    message: str


class MergeError(Exception):
    def __init__(self, problems: list[SheetProblem]) -> None:
        super().__init__(f"{len(problems)} problems")
        self.problems = problems


@dataclass
class MergeResult:
    edit: EditResult
    missing: list[str] = field(default_factory=list)  # account ids in the ledger, not the table


def _check(
    rows: Sequence[tuple[int, LedgerRecord]], current: Mapping[str, LedgerRecord]
) -> list[SheetProblem]:
    problems: list[SheetProblem] = []
    departments = {r.department for r in current.values()}
    departments_by_name = {r.department_name: r.department for r in current.values()}
    seen: dict[str, int] = {}
    first: dict[str, tuple[int, LedgerRecord]] = {}
    for row, record in rows:
        if record.id in seen:
            problems.append(
                SheetProblem(
                    row,
                    "账号编号",
                    _("{id} is also on row {row}").format(id=repr(record.id), row=seen[record.id]),
                )
            )
        seen.setdefault(record.id, row)
        old = current.get(record.id)
        if old is not None and old.department != record.department:
            problems.append(
                SheetProblem(
                    row,
                    "单位编号",
                    _(
                        "{id} belongs to {department}; the import does not move accounts "
                        "between departments (register it anew and close the old one)"
                    ).format(id=record.id, department=old.department),
                )
            )
        if old is None and record.department not in departments:
            same = departments_by_name.get(record.department_name)
            if same is not None and same != record.department:
                problems.append(
                    SheetProblem(
                        row,
                        "单位编号",
                        _(
                            "{name} is already in the ledger as department {id}; write {id} "
                            "(a new department needs a name of its own)"
                        ).format(name=record.department_name, id=same),
                    )
                )
        row0, other = first.setdefault(record.department, (row, record))
        for header, name in (("单位名称", "department_name"), ("单位级别", "level")):
            if getattr(record, name) != getattr(other, name):
                problems.append(
                    SheetProblem(
                        row,
                        header,
                        _(
                            "{value} differs from row {row} ({other}) for department {department}"
                        ).format(
                            value=getattr(record, name),
                            row=row0,
                            other=getattr(other, name),
                            department=record.department,
                        ),
                    )
                )
    return problems


def _set(mapping: Any, key: str, value: Any, order: tuple[str, ...]) -> None:
    """Set, insert (in the sample's key order) or, for None, remove `key`."""
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    if value is None:
        if key in mapping:
            del mapping[key]
        return
    if isinstance(value, str) and key in QUOTED_KEYS:
        value = DoubleQuotedScalarString(value)
    if key in mapping:
        mapping[key] = value
    else:
        insert_in_order(mapping, key, value, order)


def _apply(node: Any, old: LedgerRecord | None, new: LedgerRecord, changes: set[str]) -> None:
    """Write the changed fields of one account into its round-trip node."""
    from ruamel.yaml.comments import CommentedMap

    if "name" in changes:
        _set(node, "name", new.name, ACCOUNT_KEY_ORDER)
    if "platform" in changes:
        _set(node, "platform", new.platform.value, ACCOUNT_KEY_ORDER)
    if changes & {"platform", "source"}:
        default = DEFAULT_SOURCE[new.platform]
        _set(node, "source", None if new.source is default else new.source.value, ACCOUNT_KEY_ORDER)
    id_field = SOURCE_IDENTIFIER_FIELD[new.source]
    if id_field and changes & {"platform", "source", "identifier"}:
        _set(node, id_field, new.identifier, ACCOUNT_KEY_ORDER)
    owner_changes = changes & {"owner_name", "phone", "email"}
    if owner_changes:
        owner = node["owner"]
        for key, name in (("name", "owner_name"), ("phone", "phone"), ("email", "email")):
            if name in owner_changes:
                _set(owner, key, getattr(new, name), OWNER_KEY_ORDER)
    for key in ("opened_on", "filed_on", "exception_basis", "note"):
        if key in changes:
            _set(node, key, getattr(new, key), ACCOUNT_KEY_ORDER)
    if changes & {"national", "provincial"}:
        supervised = node.get("supervised")
        if isinstance(supervised, Mapping):
            supervised["national"] = new.national
            supervised["provincial"] = new.provincial
        else:
            supervised = CommentedMap(national=new.national, provincial=new.provincial)
            supervised.fa.set_flow_style()
            _set(node, "supervised", supervised, ACCOUNT_KEY_ORDER)
    if "status" in changes and not (new.status is AccountStatus.ACTIVE and "status" not in node):
        _set(node, "status", new.status.value, ACCOUNT_KEY_ORDER)
    closure_changes = {k for k, name in CLOSURE_FIELDS.items() if name in changes}
    if closure_changes:
        closure = node.get("closure")
        if not isinstance(closure, CommentedMap):
            closure = CommentedMap()
            _set(node, "closure", closure, ACCOUNT_KEY_ORDER)
        for key in CLOSURE_KEY_ORDER:
            if key in closure_changes:
                _set(closure, key, getattr(new, CLOSURE_FIELDS[key]), CLOSURE_KEY_ORDER)
        if not closure:
            del node["closure"]


def _new_account(record: LedgerRecord) -> Any:
    id_field = SOURCE_IDENTIFIER_FIELD[record.source]
    new = NewAccount(
        department=record.department,
        id=record.id,
        name=record.name,
        platform=record.platform.value,
        source=record.source.value,
        owner_name=record.owner_name,
        owner_phone=record.phone,
        owner_email=record.email,
        opened_on=record.opened_on,
        filed_on=record.filed_on,
        national=record.national,
        provincial=record.provincial,
        exception_basis=record.exception_basis,
        note=record.note,
    )
    if id_field and record.identifier:
        setattr(new, id_field, record.identifier)
    node = account_node(new)
    later = {"status"} | set(CLOSURE_FIELDS.values())
    _apply(node, None, record, {f for f in later if getattr(record, f) is not None})
    return node


def merge_records(
    path: Path,
    rows: Sequence[tuple[int, LedgerRecord]],
    *,
    today: dt.date | None = None,
    dry_run: bool = False,
    allow_remove: bool = False,
    loaded: Config | None = None,
) -> MergeResult:
    """Apply the table's rows (row number, record) to config.yaml; see the module docstring.

    `loaded`, the ledger as just validated from `path`, lets a table that changes nothing be
    answered without the (slow, at 20,000 accounts) round-trip parse and dump.
    Raises MergeError (rows that cannot be merged) or EditError (the ledger, before or after,
    is invalid); in both cases nothing is written.
    """
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if loaded is not None:
        current = {r.id: r for r in ledger_records(loaded)}
        problems = _check(rows, current)
        if problems:
            raise MergeError(problems)
        missing = _missing(rows, current)
        if not _changes_anything(rows, current) and not (allow_remove and missing):
            raw = path.read_bytes()
            return MergeResult(EditResult(path, raw, raw, []), missing)
    doc = open_document(path, today)
    load_tree(doc, None)  # a sheet may touch any department: edit the whole text
    current = {r.id: r for r in ledger_records(doc.loaded.config)}
    problems = _check(rows, current)
    if problems:
        raise MergeError(problems)
    tree = doc.tree
    summary: list[str] = []
    departments = tree.get("departments")
    if departments is None:
        departments = tree["departments"] = CommentedSeq()
    by_id = {d.get("id"): d for d in departments if isinstance(d, Mapping)}
    levels = {r.department: r.level for r in current.values()}
    nodes = {
        a.get("id"): a
        for d in by_id.values()
        for a in (d.get("accounts") or [])
        if isinstance(a, Mapping)
    }
    for _row, record in rows:
        node = by_id.get(record.department)
        if node is None:
            node = CommentedMap()
            node["id"] = record.department
            node["name"] = record.department_name
            node["level"] = record.level.value
            node["accounts"] = CommentedSeq()
            with keeping_trailing_comment(tree):
                departments.append(node)
            by_id[record.department] = node
            summary.append(
                _("new department {id} ({name})").format(
                    id=record.department, name=record.department_name
                )
            )
            continue
        if node.get("name") != record.department_name:
            node["name"] = record.department_name
        known = levels.get(record.department)
        if known is not None and known is not record.level:
            _set(node, "level", record.level.value, DEPARTMENT_KEY_ORDER)
    for _row, record in rows:
        old = current.get(record.id)
        if old is None:
            department = by_id[record.department]
            accounts = department.get("accounts")
            account = _new_account(record)
            if not isinstance(accounts, CommentedSeq) or not accounts:
                with keeping_trailing_comment(department):
                    department["accounts"] = CommentedSeq([account])
            else:
                with keeping_trailing_comment(department):
                    accounts.append(account)
            summary.append(
                _("registered {id}: {name} on {platform}").format(
                    id=record.id, name=record.name, platform=record.platform.value
                )
            )
            continue
        changes = set(changed_fields(old, record)) - {"department", "department_name", "level"}
        if not changes:
            continue
        node = nodes[record.id]
        with keeping_trailing_comment(node):
            _apply(node, old, record, changes)
        summary.append(
            _("changed {id}: {fields}").format(id=record.id, fields=", ".join(sorted(changes)))
        )
    missing = _missing(rows, current)
    if allow_remove and missing:
        summary += _remove(tree, departments, set(missing), {r.department for _row, r in rows})
        missing = []
    return MergeResult(finish_edit(doc, summary, today=today, dry_run=dry_run), missing)


def _missing(
    rows: Sequence[tuple[int, LedgerRecord]], current: Mapping[str, LedgerRecord]
) -> list[str]:
    listed = {record.id for _row, record in rows}
    return [account_id for account_id in current if account_id not in listed]


def _changes_anything(
    rows: Sequence[tuple[int, LedgerRecord]], current: Mapping[str, LedgerRecord]
) -> bool:
    """Whether any row registers an account or changes one (its department's name or level
    included)."""
    for _row, record in rows:
        old = current.get(record.id)
        if old is None or old != record:
            return True
    return False


def _remove(tree: Any, departments: Any, gone: set[str], in_table: set[str]) -> list[str]:
    """Delete the accounts `gone`, then the departments left without accounts that the table
    does not name either. Returns what was done, for the summary."""
    summary = []
    for index in reversed(range(len(departments))):
        department = departments[index]
        if not isinstance(department, Mapping):
            continue
        accounts = department.get("accounts") or []
        for position in reversed(range(len(accounts))):
            account = accounts[position]
            if isinstance(account, Mapping) and account.get("id") in gone:
                del accounts[position]
                summary.append(_("removed {id}").format(id=account.get("id")))
        if not accounts and department.get("id") not in in_table:
            del departments[index]
            summary.append(_("removed department {id}").format(id=department.get("id")))
    return summary
