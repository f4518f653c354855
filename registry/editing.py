"""Safe edits of config.yaml: register an account, record its closure.

A department's clerk should never have to hand-edit YAML. Each edit here:

1. refuses to start on a ledger that is already invalid (the problems are not the edit's);
2. edits the round-trip tree of ruamel.yaml, so comments, key order, quoting and the layout of
   every untouched part stay as they were; only the edited department's lines are read by
   ruamel.yaml (pure Python, about a minute for a 20,000-account ledger) and spliced back, the
   rest of the text is kept as it is, byte for byte;
3. validates the edited text exactly as `govmedia validate` would read it from disk;
4. replaces the file atomically (a temporary file in the same folder, then `os.replace`), keeping
   its permissions, and only if nobody changed it in the meantime.

On any error nothing is written: the file stays byte-identical.
"""

from __future__ import annotations

import datetime as dt
import difflib
import io
import os
import re
import stat
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from registry.config import ConfigError, LoadedConfig, checked_text, read_file, validate_text
from registry.constants import (
    DEFAULT_SOURCE,
    LOCAL_TZ,
    SOURCE_IDENTIFIER_FIELD,
    AccountStatus,
    DepartmentLevel,
    Platform,
    Source,
)
from registry.i18n import N_, _
from registry.models import CLOSURE_DATES, Config, Department, shown
from registry.problems import find_problems

# Keys of a new account, in the order the sample ledger writes them.
ACCOUNT_KEY_ORDER = (
    "id",
    "name",
    "platform",
    "source",
    "uid",
    "fakeid",
    "mid",
    "url",
    "selectors",
    "owner",
    "opened_on",
    "filed_on",
    "supervised",
    "exception_basis",
    "status",
    "closure",
    "note",
)
CLOSURE_KEY_ORDER = ("reason", *CLOSURE_DATES, "certificate")
# The ledger states, as the clerk reads them in a summary (`_(status.value)`).
STATUS_WORDS = (N_("active"), N_("closing"), N_("closed"))
# Values written in double quotes, as the sample does: digits that must stay text, and URLs.
QUOTED_KEYS = frozenset({"uid", "fakeid", "mid", "url", "phone"})


def join_list(items: Any) -> str:
    """Items as a list a clerk reads: "a, b, c" in English, "a、b、c" in Chinese."""
    out = ""
    for item in items:
        out = _("{items}, {item}").format(items=out, item=item) if out else str(item)
    return out


class EditError(Exception):
    """An edit that cannot be made. `lines` say why, ready to print; nothing was written."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


@dataclass
class EditResult:
    """What an edit did: the text before and after, and what to tell the clerk."""

    path: Path
    before: bytes
    after: bytes
    summary: list[str]
    warnings: list[str] = field(default_factory=list)
    written: bool = False

    def unified_diff(self) -> str:
        name = str(self.path)
        return "".join(
            difflib.unified_diff(
                self.before.decode("utf-8").splitlines(keepends=True),
                self.after.decode("utf-8").splitlines(keepends=True),
                fromfile=name,
                tofile=f"{name} (edited)",
            )
        )


# ---------------------------------------------------------------------------------------------
# Reading and writing


# The head of the small document an excerpt is read as: one department under its key.
_EXCERPT_HEAD = "departments:\n"
_ITEM_RE = re.compile(r"( *)- ")


@dataclass
class Document:
    """An edit in progress: the file as read, its validation, and the round-trip tree of what the
    edit changes. The edit API (`open_document`, `load_tree`, `finish_edit`, `account_node`,
    `insert_in_order`, `keeping_trailing_comment`) serves register/close here and the table
    merge in registry/ledger_merge.py."""

    path: Path
    raw: bytes  # exactly as on disk
    loaded: LoadedConfig
    yaml: Any
    tree: Any
    bom: bool
    crlf: bool
    text: str  # as read, CRLF made LF
    # With an excerpt: the file's lines (newlines kept, CRLF made LF) and the span [start, end)
    # of the one department `tree` holds (`{"departments": [it]}`), spliced back on dump.
    lines: list[str] | None = None
    span: tuple[int, int] | None = None


def open_document(path: Path, today: dt.date | None, known: LoadedConfig | None = None) -> Document:
    """Read and validate the ledger; `load_tree` then reads what the edit changes. `known`, the
    caller's own validation of the file (for the same `today`), is reused if the file still
    holds the text it read."""
    try:
        raw = read_file(path)  # a FIFO or a device is refused, never waited on
        checked = checked_text(raw, str(path))
        if known is not None and known.text == checked and known.locate is not None:
            loaded = known
        else:
            loaded = validate_text(checked, source_name=str(path), today=today, keep_text=True)
    except ConfigError as exc:
        raise EditError(
            [
                *exc.lines,
                _(
                    "{path}: fix these problems first (govmedia validate); nothing was changed"
                ).format(path=path),
            ]
        ) from None
    text = checked.decode("utf-8")
    crlf = "\r\n" in text
    bom = raw.startswith(b"\xef\xbb\xbf")
    return Document(path, raw, loaded, None, None, bom, crlf, text.replace("\r\n", "\n"))


def load_tree(doc: Document, department: int | None) -> None:
    """Load for editing either the whole text or, given a department's position, only that
    department's lines (as `{"departments": [it]}`).

    The excerpt is a small document: a clerk's edit costs one validation of the whole ledger
    before and one after, not a pure-Python round-trip of 20,000 accounts. A layout the excerpt
    cannot be cut from (flow style, no block sequence item on the line the parser gives) falls
    back to the whole text."""
    locate, doc.loaded.locate = doc.loaded.locate, None  # it holds the parsed text: let it go
    if department is not None and locate is not None:
        lines = doc.text.splitlines(keepends=True)
        span = _department_span(lines, locate(("departments", department)))
        del locate
        if span is not None:
            start, end = span
            try:  # an alias to an anchor elsewhere in the file cannot be read alone
                yaml, tree = _round_trip(doc.path, _EXCERPT_HEAD + "".join(lines[start:end]))
            except EditError:
                yaml, tree = None, None
            wanted = doc.loaded.config.departments[department].id
            got = tree.get("departments") if isinstance(tree, Mapping) else None
            if isinstance(got, list) and len(got) == 1 and _id_of(got[0]) == wanted:
                doc.yaml, doc.tree, doc.lines, doc.span = yaml, tree, lines, span
                return
    doc.yaml, doc.tree = _round_trip(doc.path, doc.text)


def _id_of(node: Any) -> Any:
    return node.get("id") if isinstance(node, Mapping) else None


def _department_span(lines: list[str], line: int) -> tuple[int, int] | None:
    """The lines [start, end) of the block sequence item that starts on 1-based `line`: up to
    the next content line indented no deeper than its `- ` (the next department, or the key
    after `departments:`), comments and blank lines before it included. None if `line` does not
    start a block item."""
    start = line - 1
    if not 0 <= start < len(lines):
        return None
    item = _ITEM_RE.match(lines[start])
    if item is None:
        return None
    column = len(item.group(1))
    end = len(lines)
    for index in range(start + 1, len(lines)):
        stripped = lines[index].lstrip(" ")
        if not stripped.strip() or stripped.startswith("#"):
            continue
        if len(lines[index]) - len(stripped) <= column:
            end = index
            break
    return start, end


def _round_trip(path: Path, text: str) -> tuple[Any, Any]:
    """ruamel.yaml set to keep the text's layout, and its round-trip tree of `text`."""
    from ruamel.yaml import YAML
    from ruamel.yaml.util import load_yaml_guess_indent

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap a long line
    yaml.allow_unicode = True
    try:
        _text, indent, offset = load_yaml_guess_indent(text)
        yaml.indent(mapping=2, sequence=indent or 4, offset=offset if offset is not None else 2)
        tree = yaml.load(text)
    except Exception as exc:  # ruamel.yaml refuses what libyaml read: say so, change nothing
        raise EditError(
            [
                _("{path}: cannot edit this file safely ({reason})").format(
                    path=path, reason=" ".join(str(exc).split())[:200]
                )
            ]
        ) from None
    return yaml, tree


def _dump(doc: Document) -> bytes:
    buffer = io.StringIO()
    doc.yaml.dump(doc.tree, buffer)
    text = buffer.getvalue()
    if doc.span is not None and doc.lines is not None:
        if not text.startswith(_EXCERPT_HEAD):  # pragma: no cover - ruamel writes the key back
            raise EditError(
                [
                    _("{path}: cannot edit this file safely ({reason})").format(
                        path=doc.path, reason="excerpt"
                    )
                ]
            )
        start, end = doc.span
        text = "".join(doc.lines[:start]) + text[len(_EXCERPT_HEAD) :] + "".join(doc.lines[end:])
    if doc.crlf:
        text = text.replace("\n", "\r\n")
    return (b"\xef\xbb\xbf" if doc.bom else b"") + text.encode("utf-8")


def finish_edit(
    doc: Document, summary: list[str], *, today: dt.date | None, dry_run: bool
) -> EditResult:
    """Validate the edited text as it would be read from disk, then write it atomically."""
    after = _dump(doc)
    try:
        loaded = validate_text(
            after.removeprefix(b"\xef\xbb\xbf"), source_name=str(doc.path), today=today
        )
    except ConfigError as exc:
        raise EditError(
            [
                *exc.lines,
                _(
                    "{path}: the edit would make the ledger invalid (lines above are those of "
                    "the edited text); nothing was written"
                ).format(path=doc.path),
            ]
        ) from None
    before_warnings = {_strip_line(w) for w in doc.loaded.warnings}
    new_warnings = [w for w in loaded.warnings if _strip_line(w) not in before_warnings]
    result = EditResult(doc.path, doc.raw, after, summary, new_warnings)
    if not dry_run and after != doc.raw:
        write_atomic(doc.path, after, expected=doc.raw)
        result.written = True
    return result


def _strip_line(problem: str) -> str:
    """A problem without its line number, to compare before and after an edit."""
    name, _colon, rest = problem.partition(":")
    return name + ":" + rest.partition(":")[2]


def write_atomic(path: Path, data: bytes, *, expected: bytes | None = None) -> None:
    """Replace `path` with `data` atomically, keeping its permissions.

    The new text goes to a temporary file in the same folder (so `os.replace` is atomic), is
    flushed to disk, takes the old file's mode, and replaces it. A symlink is followed, not
    replaced. With `expected`, the file must still hold those bytes (nobody edited it since it
    was read), or EditError is raised and nothing changes.
    """
    target = path.resolve()
    try:
        old_stat = target.stat()
    except FileNotFoundError:
        old_stat = None
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if old_stat is not None:
            os.chmod(tmp, stat.S_IMODE(old_stat.st_mode))
            if (old_stat.st_uid, old_stat.st_gid) != (os.getuid(), os.getgid()):
                with suppress(PermissionError):
                    os.chown(tmp, old_stat.st_uid, old_stat.st_gid)
        if expected is not None and target.read_bytes() != expected:
            raise EditError(
                [
                    _(
                        "{path}: changed by someone else while editing; run the command again"
                    ).format(path=path)
                ]
            )
        os.replace(tmp, target)
    except BaseException as exc:
        with suppress(FileNotFoundError):
            tmp.unlink()
        if isinstance(exc, OSError) and exc.filename is None:
            exc.filename = str(path)  # a full disk names the ledger, not a descriptor
        raise
    with suppress(OSError):  # make the rename itself durable where the platform allows
        dir_fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


# ---------------------------------------------------------------------------------------------
# Keeping the blank line (and comments) that follow a block where they belong


def _last_entry(node: Any) -> tuple[Any, Any, int] | None:
    """Where ruamel.yaml keeps the comment that follows `node`: its deepest last block entry,
    as (container, key or index, position in the comment list)."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    found = None
    while isinstance(node, (CommentedMap, CommentedSeq)) and len(node):
        if isinstance(node, CommentedMap):
            key = next(reversed(node))
            found = (node, key, 2)
        else:
            key = len(node) - 1
            found = (node, key, 0)
        child = node[key]
        if not isinstance(child, (CommentedMap, CommentedSeq)) or child.fa.flow_style():
            break
        node = child
    return found


@contextmanager
def keeping_trailing_comment(node: Any) -> Iterator[None]:
    """Detach the blank lines and comment lines that follow `node`'s last entry, let the caller
    add entries at its end, then re-attach them after the new last entry."""
    from ruamel.yaml.error import CommentMark
    from ruamel.yaml.tokens import CommentToken

    moved = ""
    entry = _last_entry(node)
    if entry is not None:
        container, key, pos = entry
        slots = container.ca.items.get(key)
        token = slots[pos] if slots and len(slots) > pos else None
        value = getattr(token, "value", None)
        if isinstance(value, str) and "\n" in value:
            cut = value.index("\n") + 1
            keep, moved = value[:cut], value[cut:]
            if keep.strip():
                token.value = keep
            else:
                slots[pos] = None
    yield
    if not moved:
        return
    entry = _last_entry(node)
    if entry is None:
        return
    container, key, pos = entry
    slots = container.ca.items.setdefault(key, [None, None, None, None])
    while len(slots) <= pos:
        slots.append(None)
    token = slots[pos]
    if token is not None and isinstance(getattr(token, "value", None), str):
        token.value = token.value + moved
    else:
        slots[pos] = CommentToken("\n" + moved, CommentMark(0), None)


# ---------------------------------------------------------------------------------------------
# Register


@dataclass
class NewAccount:
    """What `govmedia register` was told; None means not given."""

    department: str | None = None
    id: str | None = None
    name: str | None = None
    platform: str | None = None
    source: str | None = None
    uid: str | None = None
    fakeid: str | None = None
    mid: str | None = None
    url: str | None = None
    selectors: dict[str, str] | None = None
    owner_name: str | None = None
    owner_phone: str | None = None
    owner_email: str | None = None
    opened_on: dt.date | None = None
    filed_on: dt.date | None = None
    national: bool | None = None
    provincial: bool | None = None
    exception_basis: str | None = None
    note: str | None = None
    department_name: str | None = None  # for a department not yet in the ledger
    level: str | None = None


def needed_fields(new: NewAccount, config: Config) -> list[str]:
    """The fields still needed before `new` can be registered, as attribute names, in the order
    a clerk would be asked for them."""
    missing = []
    department = next((d for d in config.departments if d.id == new.department), None)
    for name in ("department", "platform", "name", "id"):
        if not getattr(new, name):
            missing.append(name)
    source = source_of(new)
    identifier = SOURCE_IDENTIFIER_FIELD[source] if source else None
    if identifier and source is not Source.WECHAT and not getattr(new, identifier):
        missing.append(identifier)
    if not new.owner_name:
        missing.append("owner_name")
    if not new.owner_phone and not new.owner_email:
        missing.append("owner_phone")
    level = (
        department.level
        if department is not None
        else _level(new.level)
        if new.level
        else DepartmentLevel.DEPARTMENT
    )
    if (
        config.policy.require_exception_basis
        and level is not DepartmentLevel.COUNTY
        and not new.exception_basis
    ):
        missing.append("exception_basis")
    return missing


def close_departments(config: Config, value: str) -> list[Department]:
    """The departments a clerk who typed `value` probably meant: close ids (a typo), else those
    whose name holds it (公安 for gaj, 博爱县公安局)."""
    by_id = {d.id: d for d in config.departments}
    close = difflib.get_close_matches(value, list(by_id), n=1, cutoff=0.6)
    if close:
        return [by_id[i] for i in close]
    text = value.strip()
    return [d for d in config.departments if text and (text in d.name or d.name in text)][:3]


def department_label(department: Department) -> str:
    """`gaj (博爱县公安局)`: a department as a clerk recognises it."""
    return _("{id} ({name})").format(id=department.id, name=department.name)


def unknown_department(config: Config, value: str) -> str:
    """The sentence for a department id the ledger does not hold, with the one meant."""
    close = close_departments(config, value)
    if close:
        return _("no department {value}; did you mean {suggestion}?").format(
            value=shown(value), suggestion=join_list(department_label(d) for d in close)
        )
    return _("no department {value}; the ledger has: {known}").format(
        value=shown(value), known=join_list(d.id for d in config.departments)
    )


def department_problems(new: NewAccount, config: Config) -> list[str]:
    """Why `new.department` cannot be used: an unknown id is never added as a new department
    unless the clerk asked for one by name (`--new-department NAME`), and a new department may
    not take the name of one the ledger already has (a typo of its id)."""
    if not new.department:
        return []
    known = {d.id: d for d in config.departments}
    if new.department in known:
        return []
    if not new.department_name:
        return [
            unknown_department(config, new.department),
            _(
                "to add a new department, give its full name: --new-department NAME "
                "(and --level county|department|township)"
            ),
        ]
    same = next((d for d in config.departments if d.name == new.department_name.strip()), None)
    if same is not None:
        return [
            _("{name} is already in the ledger as department {id}; write --department {id}").format(
                name=same.name, id=same.id
            )
        ]
    return []


# The path of each NewAccount field in an account of config.yaml.
FIELD_PATHS: dict[str, tuple[str, ...]] = {
    "owner_name": ("owner", "name"),
    "owner_phone": ("owner", "phone"),
    "owner_email": ("owner", "email"),
    "national": ("supervised", "national"),
    "provincial": ("supervised", "provincial"),
}
# Stand-ins for the fields not answered yet, so that one answer can be checked on its own.
_STAND_INS: dict[str, Any] = {
    "id": "x-pending-new-account",
    "name": "x-pending",
    "platform": Platform.OTHER.value,
    "owner_name": "x-pending",
    "uid": "0",
    "mid": "0",
    "url": "https://pending.invalid/",
}


def answer_problems(
    new: NewAccount, field_name: str, config: Config, today: dt.date | None = None
) -> list[str]:
    """What the ledger's own validation (registry/problems.py, as `govmedia validate`) says of
    one field of `new`, as a clerk types it: the account answered so far, with stand-ins for the
    fields not asked yet, is checked beside the accounts it could clash with (its department's,
    and any other with its id, name or identifier); only the problems of `field_name` are kept."""
    today = today or dt.datetime.now(LOCAL_TZ).date()
    given = {k: v for k, v in vars(new).items() if v not in (None, "")}
    filled = dict(given)
    for key, value in _STAND_INS.items():
        if key != field_name and key not in filled:
            filled[key] = value
    if (
        "owner_phone" not in filled
        and "owner_email" not in filled
        and field_name
        not in (
            "owner_phone",
            "owner_email",
        )
    ):
        filled["owner_phone"] = "13800000000"
    if field_name != "exception_basis":
        filled.setdefault("exception_basis", "x-pending")
    candidate = NewAccount(**filled)
    source = source_of(candidate)
    needed = SOURCE_IDENTIFIER_FIELD[source] if source else None
    for key in ("uid", "mid", "url"):
        if key != needed and key not in given:
            setattr(candidate, key, None)
    account = _plain(account_node(candidate))
    identifiers = {getattr(candidate, k) for k in ("uid", "fakeid", "mid", "url")} - {None}
    others, own = [], None
    for department in config.departments:
        if department.id == candidate.department:
            own = department
            continue
        clashing = [
            a
            for a in department.accounts
            if a.id == candidate.id or a.name == candidate.name or a.identifier in identifiers
        ]
        if clashing:
            others.append(_department_plain(department, clashing))
    if own is not None:
        target = _department_plain(own, own.accounts)
    else:
        target = {
            "id": candidate.department or "x-pending",
            "name": candidate.department_name or "x-pending",
            "level": candidate.level or DepartmentLevel.DEPARTMENT.value,
            "accounts": [],
        }
    target["accounts"].append(account)
    plain = {
        "jurisdiction": config.jurisdiction,
        "policy": config.policy.model_dump(mode="json"),
        "departments": [*others, target],
    }
    where = ("departments", len(others), "accounts", len(target["accounts"]) - 1)
    path = FIELD_PATHS.get(field_name, (field_name,))
    wanted = {path, path[:1]} if path[0] == "owner" else {path}
    _config, problems = find_problems(plain, today)
    return [
        p.message
        for p in problems
        if p.severity == "error" and p.loc[:4] == where and tuple(p.loc[4:]) in wanted
    ]


def _plain(node: Any) -> Any:
    """A ruamel.yaml tree as plain dicts and lists."""
    if isinstance(node, Mapping):
        return {k: _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return str(node) if isinstance(node, str) else node


def _department_plain(department: Department, accounts: list[Any]) -> dict[str, Any]:
    return {
        "id": department.id,
        "name": department.name,
        "level": department.level.value,
        "accounts": [a.model_dump(mode="json", exclude_none=True) for a in accounts],
    }


def source_of(new: NewAccount) -> Source | None:
    """How `new` will be observed: its --source, else its platform's default (None if unknown)."""
    try:
        if new.source:
            return Source(new.source)
        return DEFAULT_SOURCE[Platform(new.platform)] if new.platform else None
    except ValueError:
        return None


def _level(value: str) -> DepartmentLevel | None:
    try:
        return DepartmentLevel(value)
    except ValueError:
        return None


def account_node(new: NewAccount) -> Any:
    """The round-trip mapping of a new account, keys in ledger order."""
    from ruamel.yaml.comments import CommentedMap
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    def quoted(value: str) -> Any:
        return DoubleQuotedScalarString(value)

    values: dict[str, Any] = {
        "id": new.id,
        "name": new.name,
        "platform": new.platform,
    }
    platform_default = None
    with suppress(ValueError, KeyError, TypeError):
        platform_default = DEFAULT_SOURCE[Platform(new.platform)].value
    if new.source and new.source != platform_default:
        values["source"] = new.source
    for key in ("uid", "fakeid", "mid", "url"):
        if getattr(new, key):
            values[key] = quoted(getattr(new, key))
    if new.selectors:
        selectors = CommentedMap(new.selectors.items())
        values["selectors"] = selectors
    owner = CommentedMap(name=new.owner_name)
    if new.owner_phone:
        owner["phone"] = quoted(new.owner_phone)
    if new.owner_email:
        owner["email"] = new.owner_email
    owner.fa.set_flow_style()
    values["owner"] = owner
    if new.opened_on:
        values["opened_on"] = new.opened_on
    if new.filed_on:
        values["filed_on"] = new.filed_on
    if new.national is not None or new.provincial is not None:
        supervised = CommentedMap(national=bool(new.national), provincial=bool(new.provincial))
        supervised.fa.set_flow_style()
        values["supervised"] = supervised
    if new.exception_basis:
        values["exception_basis"] = new.exception_basis
    if new.note:
        values["note"] = new.note
    account = CommentedMap()
    for key in ACCOUNT_KEY_ORDER:
        if key in values:
            account[key] = values[key]
    return account


def register_account(
    path: Path,
    new: NewAccount,
    *,
    today: dt.date | None = None,
    dry_run: bool = False,
    loaded: LoadedConfig | None = None,
) -> EditResult:
    """Add an account (and, if need be, its department) to config.yaml. `loaded`: the caller's
    validation of the file, reused if the file is unchanged."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    doc = open_document(path, today, loaded)
    problems = department_problems(new, doc.loaded.config)
    if problems:
        raise EditError(problems)
    missing = needed_fields(new, doc.loaded.config)
    if missing:
        raise EditError(
            [
                _(
                    "missing: {options}; pass them as options (govmedia register --help), or run "
                    "it on a terminal to be asked"
                ).format(options=join_list(option_name(m) for m in missing))
            ]
        )
    # The department's own lines; a new department goes after the last one's.
    positions = {d.id: i for i, d in enumerate(doc.loaded.config.departments)}
    load_tree(doc, positions.get(new.department, len(positions) - 1) if positions else None)
    tree = doc.tree
    summary: list[str] = []
    departments = tree.get("departments")
    if departments is None:
        departments = tree["departments"] = CommentedSeq()
    department = next(
        (d for d in departments if isinstance(d, Mapping) and d.get("id") == new.department),
        None,
    )
    account = account_node(new)
    if department is None:
        department = CommentedMap()
        department["id"] = new.department
        department["name"] = new.department_name
        department["level"] = new.level or DepartmentLevel.DEPARTMENT.value
        department["accounts"] = CommentedSeq([account])
        with keeping_trailing_comment(tree):
            departments.append(department)
        summary.append(
            _("new department {id} ({name})").format(id=new.department, name=new.department_name)
        )
    else:
        accounts = department.get("accounts")
        if not isinstance(accounts, CommentedSeq) or (not accounts and accounts.fa.flow_style()):
            with keeping_trailing_comment(department):
                department["accounts"] = CommentedSeq([account])
        else:
            with keeping_trailing_comment(department):
                accounts.append(account)
    summary.append(
        _("registered {id}: {name} on {platform}, department {department}").format(
            id=new.id, name=new.name, platform=new.platform, department=new.department
        )
    )
    return finish_edit(doc, summary, today=today, dry_run=dry_run)


def option_name(field_name: str) -> str:
    """The command-line option that gives a NewAccount field."""
    if field_name == "owner_phone":
        return _("--owner-phone or --owner-email")
    if field_name == "department_name":
        return "--new-department"
    return "--" + field_name.replace("_", "-")


# ---------------------------------------------------------------------------------------------
# Close


@dataclass
class ClosureUpdate:
    """What `govmedia close` was told; None means not given."""

    reason: str | None = None
    approved_on: dt.date | None = None
    notice_on: dt.date | None = None
    deregistered_on: dt.date | None = None
    filed_on: dt.date | None = None
    certificate: str | None = None

    def given(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


def close_account(
    path: Path,
    account_id: str,
    update: ClosureUpdate,
    *,
    today: dt.date | None = None,
    dry_run: bool = False,
    loaded: LoadedConfig | None = None,
) -> EditResult:
    """Record an account's closure: closing once approved, closed once deregistered and filed.

    Calling it again adds the later dates; a date given again with another value corrects it.
    `loaded`: the caller's validation of the file, reused if the file is unchanged.
    """
    from ruamel.yaml.comments import CommentedMap

    doc = open_document(path, today, loaded)
    config = doc.loaded.config
    try:
        holder, current = config.account(account_id)
    except KeyError:
        raise EditError([unknown_account(config, account_id, path)]) from None
    given = update.given()
    if not given:
        raise EditError(
            [_("nothing to record: pass --reason and --approved-on, or the later dates")]
        )
    existing = current.closure.model_dump(exclude_none=True) if current.closure else {}
    merged = {**existing, **given}
    problems = []
    if not merged.get("reason"):
        problems.append(_("add --reason TEXT (why the account is closed)"))
    if not merged.get("approved_on"):
        problems.append(_("add --approved-on DATE (the day the closure was approved)"))
    if problems:
        raise EditError([f"{account_id}: {p}" for p in problems])
    closed = merged.get("deregistered_on") is not None and merged.get("filed_on") is not None
    new_status = AccountStatus.CLOSED if closed else AccountStatus.CLOSING
    if current.status is AccountStatus.CLOSED:
        new_status = AccountStatus.CLOSED

    load_tree(doc, next(i for i, d in enumerate(config.departments) if d is holder))
    node = _find_account(doc.tree, account_id)
    summary = []
    with keeping_trailing_comment(node):
        if new_status is not current.status:
            if "status" in node:
                node["status"] = new_status.value
            else:
                insert_in_order(node, "status", new_status.value, ACCOUNT_KEY_ORDER)
        closure = node.get("closure")
        if not isinstance(closure, CommentedMap):
            closure = CommentedMap()
            insert_in_order(node, "closure", closure, ACCOUNT_KEY_ORDER)
        for key in CLOSURE_KEY_ORDER:
            if key not in given:
                continue
            value = given[key]
            old = existing.get(key)
            if old == value:
                continue
            if old is not None:
                summary.append(f"{account_id}: closure.{key} {old} → {value}")  # keys, dates
            if key in closure:
                closure[key] = value
            else:
                insert_in_order(closure, key, value, CLOSURE_KEY_ORDER)
    if new_status is not current.status:
        summary.insert(
            0,
            _("{id}: {old} → {new}").format(
                id=account_id, old=_(current.status.value), new=_(new_status.value)
            ),
        )
    elif not summary and all(existing.get(k) == v for k, v in given.items()):
        summary.append(_("{id}: already recorded; nothing changed").format(id=account_id))
    else:
        summary.insert(
            0,
            _("{id}: {status}, closure updated").format(id=account_id, status=_(new_status.value)),
        )
    if new_status is AccountStatus.CLOSING:
        waiting = [option_name(k) for k in ("deregistered_on", "filed_on") if merged.get(k) is None]
        summary.append(
            _("{id} becomes closed once these are recorded: {options}").format(
                id=account_id, options=join_list(waiting)
            )
        )
    return finish_edit(doc, summary, today=today, dry_run=dry_run)


def closure_problems(
    config: Config,
    account_id: str,
    update: ClosureUpdate,
    field_name: str,
    today: dt.date | None = None,
) -> list[str]:
    """What the ledger's own validation says of one closure field of `update`, as a clerk types
    it (a date in the future, or before the approval or the opening): the account with its
    closure so far, alone in its department, checked as `govmedia validate` would."""
    today = today or dt.datetime.now(LOCAL_TZ).date()
    department, account = config.account(account_id)
    data = account.model_dump(mode="json", exclude_none=True)
    closure = {**data.get("closure", {}), **update.given()}
    closure.setdefault("reason", "x-pending")
    closure.setdefault(
        "approved_on", closure.get(field_name) if field_name.endswith("_on") else today
    )
    data.update(status=AccountStatus.CLOSING.value, closure=closure)
    plain = {
        "jurisdiction": config.jurisdiction,
        "policy": config.policy.model_dump(mode="json"),
        "departments": [{**_department_plain(department, []), "accounts": [data]}],
    }
    where = ("departments", 0, "accounts", 0, "closure", field_name)
    _config, problems = find_problems(plain, today)
    return [p.message for p in problems if p.severity == "error" and tuple(p.loc) == where]


def close_accounts(config: Config, value: str) -> list[Any]:
    """The accounts a clerk who typed `value` probably meant: close ids, else those whose name
    holds it."""
    by_id = {a.id: a for _department, a in config.iter_accounts()}
    close = difflib.get_close_matches(value, list(by_id), n=1, cutoff=0.6)
    if close:
        return [by_id[i] for i in close]
    text = value.strip()
    return [a for a in by_id.values() if text and text in a.name][:3]


def unknown_account(config: Config, value: str, path: Path | str) -> str:
    """The sentence for an account id the ledger does not hold, with the one meant."""
    close = close_accounts(config, value)
    if close:
        suggestion = join_list(_("{id} ({name})").format(id=a.id, name=a.name) for a in close)
        return _("no account {value} in {path}; did you mean {suggestion}?").format(
            value=shown(value), path=path, suggestion=suggestion
        )
    return _("no account {value} in {path}; see govmedia accounts").format(
        value=shown(value), path=path
    )


def _find_account(tree: Any, account_id: str) -> Any:
    for department in tree.get("departments") or []:
        for account in department.get("accounts") or []:
            if isinstance(account, Mapping) and account.get("id") == account_id:
                return account
    raise KeyError(account_id)  # pragma: no cover - the validated config has it


def insert_in_order(mapping: Any, key: str, value: Any, order: tuple[str, ...]) -> None:
    """Insert `key` after the last key that precedes it in `order` (unknown keys stay put)."""
    rank = order.index(key)
    position = 0
    for index, existing in enumerate(mapping):
        if existing in order and order.index(existing) < rank:
            position = index + 1
    if position >= len(mapping):
        mapping[key] = value
    else:
        mapping.insert(position, key, value)
