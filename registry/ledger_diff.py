"""What a change to the ledger does, for a supervisor reviewing a department's edit.

`diff_ledgers(old, new)` compares two valid configs by account id: accounts registered, removed,
moved into closing or closed, reopened, or changed (with each changed field, old and new), then
departments and the settings outside the ledger (policy, sources, …). It is a pure function of
the two configs.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import asdict, dataclass, field
from typing import Any

from registry.constants import AccountStatus, LedgerChange
from registry.editing import join_list
from registry.i18n import N_, _
from registry.models import Account, Config, Department


@dataclass(frozen=True)
class FieldChange:
    """One field, before and after (None: absent)."""

    field: str
    old: Any
    new: Any


@dataclass
class AccountDiff:
    account: str
    change: LedgerChange
    department: str
    name: str
    platform: str
    old_status: str | None
    new_status: str | None
    fields: list[FieldChange] = field(default_factory=list)


@dataclass
class DepartmentDiff:
    department: str
    change: str  # added | removed | changed
    name: str
    fields: list[FieldChange] = field(default_factory=list)


@dataclass
class LedgerDiff:
    accounts: list[AccountDiff] = field(default_factory=list)
    departments: list[DepartmentDiff] = field(default_factory=list)
    settings: list[FieldChange] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.accounts or self.departments or self.settings)

    def to_json(self) -> dict[str, Any]:
        def fields(changes: list[FieldChange]) -> list[dict[str, Any]]:
            return [asdict(c) for c in changes]

        return {
            "accounts": [
                {
                    "account": a.account,
                    "change": a.change.value,
                    "department": a.department,
                    "name": a.name,
                    "platform": a.platform,
                    "old_status": a.old_status,
                    "new_status": a.new_status,
                    "fields": fields(a.fields),
                }
                for a in self.accounts
            ],
            "departments": [
                {
                    "department": d.department,
                    "change": d.change,
                    "name": d.name,
                    "fields": fields(d.fields),
                }
                for d in self.departments
            ],
            "settings": fields(self.settings),
        }

    def counts(self) -> dict[str, int]:
        out = {kind.value: 0 for kind in LedgerChange}
        for change in self.accounts:
            out[change.change.value] += 1
        return out


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Nested mappings as dotted keys; lists and scalars are leaves."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(_flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix: value}


def _changes(old: dict[str, Any], new: dict[str, Any]) -> list[FieldChange]:
    before, after = _flatten(old), _flatten(new)
    return [
        FieldChange(key, before.get(key), after.get(key))
        for key in sorted(before.keys() | after.keys(), key=_field_order(before, after))
        if before.get(key) != after.get(key)
    ]


def _field_order(before: dict[str, Any], after: dict[str, Any]) -> Any:
    order = {key: i for i, key in enumerate([*after, *(k for k in before if k not in after)])}
    return lambda key: order[key]


def _account_data(department: Department, account: Account) -> dict[str, Any]:
    data = account.model_dump(mode="json", exclude_none=True)
    data["department"] = department.id
    return data


def _kind(old: AccountStatus, new: AccountStatus) -> LedgerChange:
    if new is old:
        return LedgerChange.CHANGED
    if new is AccountStatus.ACTIVE:
        return LedgerChange.REOPENED
    if new is AccountStatus.CLOSED:
        return LedgerChange.CLOSED
    if old is AccountStatus.ACTIVE:
        return LedgerChange.CLOSING
    return LedgerChange.CHANGED  # closed back to closing: shown with its fields


def diff_ledgers(old: Config, new: Config) -> LedgerDiff:
    """What changed from `old` to `new`: accounts first (in the new file's order), then
    departments and settings."""
    result = LedgerDiff()
    old_accounts = {a.id: (d, a) for d, a in old.iter_accounts()}
    new_accounts = {a.id: (d, a) for d, a in new.iter_accounts()}
    for account_id, (department, account) in new_accounts.items():
        before = old_accounts.get(account_id)
        common = dict(
            account=account_id,
            department=department.id,
            name=account.name,
            platform=account.platform.value,
            new_status=account.status.value,
        )
        if before is None:
            result.accounts.append(
                AccountDiff(change=LedgerChange.REGISTERED, old_status=None, **common)
            )
            continue
        fields = _changes(_account_data(*before), _account_data(department, account))
        if not fields:
            continue
        result.accounts.append(
            AccountDiff(
                change=_kind(before[1].status, account.status),
                old_status=before[1].status.value,
                fields=fields,
                **common,
            )
        )
    for account_id, (department, account) in old_accounts.items():
        if account_id not in new_accounts:
            result.accounts.append(
                AccountDiff(
                    account=account_id,
                    change=LedgerChange.REMOVED,
                    department=department.id,
                    name=account.name,
                    platform=account.platform.value,
                    old_status=account.status.value,
                    new_status=None,
                )
            )

    old_departments = {d.id: d for d in old.departments}
    new_departments = {d.id: d for d in new.departments}

    def head(department: Department) -> dict[str, Any]:
        return department.model_dump(mode="json", exclude_none=True, exclude={"accounts"})

    for department_id, department in new_departments.items():
        before = old_departments.get(department_id)
        if before is None:
            result.departments.append(DepartmentDiff(department_id, "added", department.name))
        elif fields := _changes(head(before), head(department)):
            result.departments.append(
                DepartmentDiff(department_id, "changed", department.name, fields)
            )
    for department_id, department in old_departments.items():
        if department_id not in new_departments:
            result.departments.append(DepartmentDiff(department_id, "removed", department.name))

    def settings(config: Config) -> dict[str, Any]:
        return config.model_dump(mode="json", exclude={"departments"})

    result.settings = _changes(settings(old), settings(new))
    return result


# The words of the text diff, translated where shown: each account change, then each department's.
CHANGE_WORDS = {
    LedgerChange.REGISTERED: N_("registered"),
    LedgerChange.CHANGED: N_("changed"),
    LedgerChange.CLOSING: N_("closing"),
    LedgerChange.CLOSED: N_("closed"),
    LedgerChange.REOPENED: N_("reopened"),
    LedgerChange.REMOVED: N_("removed"),
}
DEPARTMENT_LINES = {
    "added": N_("department added: {id} ({name})"),
    "changed": N_("department changed: {id} ({name})"),
    "removed": N_("department removed: {id} ({name})"),
}


def _width(text: str) -> int:
    """Columns `text` takes on a terminal: a Chinese character takes two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def _status(value: str | None) -> str:
    """A ledger state as the clerk reads it (the words are marked in registry/editing.py)."""
    return _(value) if value else ""


def _value(value: Any) -> str:
    if value is None:
        return _("(none)")
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def render_text(diff: LedgerDiff) -> list[str]:
    """The diff as lines for a terminal: one line per account, then its fields indented."""
    if diff.empty:
        return [_("no change to the ledger")]
    lines: list[str] = []
    words = {kind: _(word) for kind, word in CHANGE_WORDS.items()}
    label_width = max(10, *(_width(w) for w in words.values()))
    width = max((len(a.account) for a in diff.accounts), default=0)
    for change in diff.accounts:
        label = f"{_pad(words[change.change], label_width)}  {change.account:<{width}}  "
        where = _("{name} ({platform}, {department})").format(
            name=change.name, platform=change.platform, department=change.department
        )
        if change.change in (LedgerChange.REGISTERED, LedgerChange.REMOVED):
            status = change.new_status if change.change is LedgerChange.REGISTERED else None
            extra = f", {_(status)}" if status and status != AccountStatus.ACTIVE.value else ""
            lines.append(f"{label}{where}{extra}")
            continue
        if change.old_status != change.new_status:
            where = _("{where}: {old} → {new}").format(
                where=where, old=_status(change.old_status), new=_status(change.new_status)
            )
        lines.append(f"{label}{where}")
        for item in change.fields:
            if item.field == "status":
                continue
            lines.append(
                f"{'':<{label_width + 2 + width}}  {item.field}: {_value(item.old)} → "
                f"{_value(item.new)}"
            )
    for department in diff.departments:
        lines.append(
            _(DEPARTMENT_LINES[department.change]).format(
                id=department.department, name=department.name
            )
        )
        for item in department.fields:
            lines.append(f"  {item.field}: {_value(item.old)} → {_value(item.new)}")
    for item in diff.settings:
        lines.append(
            _("setting {field}: {old} → {new}").format(
                field=item.field, old=_value(item.old), new=_value(item.new)
            )
        )
    counts = {LedgerChange(k): v for k, v in diff.counts().items() if v}
    if counts:
        lines.append(join_list(_(COUNT_WORDS[kind]).format(n=n) for kind, n in counts.items()))
    return lines


# "1 changed, 1 closed": the count of each kind of change, in the summary line.
COUNT_WORDS: dict[LedgerChange, str] = {
    LedgerChange.REGISTERED: N_("{n} registered"),
    LedgerChange.CHANGED: N_("{n} changed"),
    LedgerChange.CLOSING: N_("{n} closing"),
    LedgerChange.CLOSED: N_("{n} closed"),
    LedgerChange.REOPENED: N_("{n} reopened"),
    LedgerChange.REMOVED: N_("{n} removed"),
}
