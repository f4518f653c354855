"""Problems a clerk can fix: pydantic's errors turned into sentences, the checks that span the
whole ledger (duplicate ids and identifiers, dates, exception basis, one account per platform),
and the line in config.yaml each problem is at.

Every problem becomes a `Problem` with a location; registry/config.py formats them as
``config.yaml:LINE: departments[gaj].accounts[gaj-weibo].owner: message``.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from registry import yamlload
from registry.constants import (
    BOOLEAN_WORDS,
    DOC_HENAN_EXCEPTION,
    DOC_ONE_ACCOUNT,
    PLATFORM_ALIASES,
    SOURCE_IDENTIFIER_FIELD,
    AccountStatus,
    DepartmentLevel,
    Platform,
    Source,
)
from registry.i18n import N_, NP_, _, ngettext, pgettext
from registry.models import (
    CLOSURE_DATES,
    ID_PATTERN,
    QUOTE_LIMIT,
    Account,
    Config,
    Department,
    Policy,
    shown,
)

# Characters no value of the ledger may hold: C0 controls other than tab and newline, DEL, C1
# controls, lone surrogates and the noncharacters U+FFFE, U+FFFF. A YAML escape ("\x01", "\e",
# "\0", "\uffff") makes them from plain text; a clerk cannot see them, and terminals,
# spreadsheets and the XML inside .docx notices choke on them.
CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# What is escaped when a message is printed: the above, tab and newline too.
UNPRINTABLE_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def printable(text: str) -> str:
    """`text` with control characters written as escapes (\\x01), safe on any terminal."""
    return UNPRINTABLE_RE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def control_message(text: str) -> str | None:
    """What is wrong with `text` if it holds a character of CONTROL_RE, else None."""
    match = CONTROL_RE.search(text)
    if match is None:
        return None
    code = ord(match.group())
    if code >= 0xFFFE:
        message = _("contains a noncharacter (U+{code}) at position {position}; delete it")
    elif code >= 0xD800:
        message = _("contains a lone surrogate (U+{code}) at position {position}; delete it")
    else:
        message = _("contains a control character (U+{code}) at position {position}; delete it")
    return message.format(code=f"{code:04X}", position=match.start() + 1)


# The units of the number fields (models.bounded), for the catalogue: the range in a message is
# "between 1 and 365 days", in the reader's language (tests/test_validation_chinese.py checks
# that every unit of the models is here).
UNITS = (
    NP_("unit", "days"),
    NP_("unit", "seconds"),
    NP_("unit", "hours"),
    NP_("unit", "minutes"),
    NP_("unit", "weeks"),
    NP_("unit", "working days"),
    NP_("unit", "posts"),
    NP_("unit", "pages"),
    NP_("unit", "requests"),
    NP_("unit", "retries"),
    NP_("unit", "answers"),
    NP_("unit", "observations"),
    NP_("unit", "messages"),
    NP_("unit", "attempts"),
    NP_("unit", "keywords"),
    NP_("unit", "bytes"),
    NP_("unit", "files"),
)

# A date as clerks write it besides YYYY-MM-DD: 2026-11-1, 2026/11/01, 2026.11.1, 2026年11月1日
# (full-width digits and separators are folded by NFKC first), or 20261101.
DATE_LIKE_RE = re.compile(
    r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*$|^(\d{4})(\d{2})(\d{2})$"
)


def corrected_date(value: Any) -> dt.date | None:
    """The day a date written another way means (`2026/11/1` → 2026-11-01), or None."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    match = DATE_LIKE_RE.match(unicodedata.normalize("NFKC", str(value)))
    if match is None:
        return None
    year, month, day = (int(part) for part in match.groups() if part is not None)
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def meant_boolean(value: Any) -> bool | None:
    """What a yes/no word (是/否, 对/错 …, constants.BOOLEAN_WORDS) means, or None."""
    if not isinstance(value, str):
        return None
    return BOOLEAN_WORDS.get(unicodedata.normalize("NFKC", value).strip().lower())


# ---------------------------------------------------------------------------------------------
# Full-width typing: the likeliest Chinese typo. With a Chinese input method on, `owner：张三`
# (U+FF1A) or an indent of 　(U+3000) look right but are text to YAML, which then trips over
# the structure, or the models over the value. Where that happens, the line is named with a hint.

FULLWIDTH_COLON = "\uff1a"
FULLWIDTH_SPACE = "\u3000"
# A full-width colon where a key ends: after the indent (and any `- `) or a flow `{`/`,`, before
# any ASCII colon, quote or comment. `name: 博爱：发布` (a colon inside a value) is not one.
_KEY_COLON_RE = re.compile(
    r"(?:^[ \t\u3000]*(?:-[ \t\u3000]+)*|[{,][ \t\u3000]*)[^\s:'\"#{}\[\],][^:'\"#{}\[\],]*?\uff1a"
)
# A full-width space where YAML wants an ASCII one: in the indent, or after a colon or a `-`.
_LINE_SPACE_RE = re.compile(r"^[ \t]*\u3000|[:\uff1a-]\u3000")
# The same in a value or key the models refused (a plain scalar folds its lines into one).
_VALUE_COLON_RE = re.compile(r"(?:^|\s)[^\s:'\"]+\uff1a")
_VALUE_SPACE_RE = re.compile(r"(?:^|[\s:\uff1a-])\u3000")


def fullwidth_hint(line: str, *, colon: bool = True, space: bool = True) -> str | None:
    """What to fix in a line of config.yaml typed with a full-width colon or space where YAML
    wants an ASCII one, or None."""
    if colon and FULLWIDTH_COLON in line and _KEY_COLON_RE.search(line):
        return _(
            "this line has a full-width colon '：' (U+FF1A); write an ASCII ':' followed by a space"
        )
    if space and FULLWIDTH_SPACE in line and _LINE_SPACE_RE.search(line):
        return _("this line has a full-width space (U+3000); write ASCII spaces instead")
    return None


def fullwidth_in(text: Any) -> tuple[bool, bool]:
    """(colon, space): whether a key or value the models refused holds a full-width colon or
    space where an ASCII one was meant."""
    if not isinstance(text, str):
        return False, False
    return (
        FULLWIDTH_COLON in text and _VALUE_COLON_RE.search(text) is not None,
        FULLWIDTH_SPACE in text and _VALUE_SPACE_RE.search(text) is not None,
    )


def value_at(loc: Sequence[str | int], data: Any) -> Any:
    """The value at `loc` in plain data, or None where the path ends."""
    node = data
    for part in loc:
        found = (isinstance(node, Mapping) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        )
        if not found:
            return None
        node = node[part]
    return node


# ---------------------------------------------------------------------------------------------
# Problems


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or worth a warning) in config.yaml, at a location in its data."""

    loc: tuple[str | int, ...]
    message: str
    severity: Literal["error", "warning"] = "error"


def _model_fields(model: type[BaseModel]) -> list[str]:
    return list(model.model_fields)


def _unwrap(annotation: Any) -> Any:
    """`X | None` and `Annotated[X, …]` as X."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _unwrap(get_args(annotation)[0])
    if origin in (Union, UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return _unwrap(args[0])
    return annotation


def _annotation_at(loc: Sequence[str | int]) -> Any:
    """The declared type of the value at `loc`, following models, lists and dicts."""
    annotation: Any = Config
    for part in loc:
        annotation = _unwrap(annotation)
        origin = get_origin(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            info = annotation.model_fields.get(str(part))
            if info is None:
                return None
            annotation = info.annotation
        elif origin in (list, tuple, set, frozenset, Sequence):
            annotation = get_args(annotation)[0] if get_args(annotation) else None
        elif origin in (dict, Mapping):
            args = get_args(annotation)
            annotation = args[1] if len(args) == 2 else None
        else:
            return None
    return _unwrap(annotation)


def _model_at(loc: Sequence[str | int]) -> type[BaseModel] | None:
    """The model class that holds the mapping at `loc` (for 'did you mean')."""
    annotation = _annotation_at(loc)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _field_description(loc: Sequence[str | int]) -> str | None:
    """The field's description, in the reader's language (required fields mark theirs N_)."""
    model = _model_at(loc[:-1])
    info = model.model_fields.get(str(loc[-1])) if model else None
    if info is None or not info.description:
        return None
    text = _(info.description).rstrip(".。")
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def _bounds(loc: Sequence[str | int], got: Any) -> str | None:
    """ "must be between 0 and 60 seconds, got 61": the range of the number field at `loc`
    (see models.bounded), or None when it has no two bounds."""
    model = _model_at(loc[:-1]) if loc else None
    info = model.model_fields.get(str(loc[-1])) if model else None
    if info is None:
        return None
    lo = next((m.ge for m in info.metadata if hasattr(m, "ge")), None)
    hi = next((m.le for m in info.metadata if hasattr(m, "le")), None)
    if lo is None or hi is None:
        return None
    extra = info.json_schema_extra
    unit = extra.get("unit") if isinstance(extra, dict) else None
    if unit:
        return _("must be between {lo} and {hi} {unit}, got {got}").format(
            lo=lo, hi=hi, unit=pgettext("unit", unit), got=shown(got)
        )
    return _("must be between {lo} and {hi}, got {got}").format(lo=lo, hi=hi, got=shown(got))


def _pydantic_message(error: Mapping[str, Any]) -> str:
    """One sentence for one pydantic error, saying what to write instead, in the reader's
    language: every kind of error the models can raise has its own; pydantic's English
    ("Input should be …") is never shown."""
    kind = error["type"]
    loc = error["loc"]
    got = error.get("input")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        about = _field_description(loc)
        if about:
            return _("missing; add `{key}:` ({about})").format(key=loc[-1], about=about)
        return _("missing; add `{key}:`").format(key=loc[-1])
    if kind == "extra_forbidden":
        allowed = _model_fields(_model_at(loc[:-1]) or Config)
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=0.6)
        if close:
            return _("unknown key; did you mean `{key}`?").format(key=close[0])
        return _("unknown key; allowed here: {keys}").format(keys=", ".join(allowed))
    if kind in ("enum", "literal_error"):
        options = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        text = got if isinstance(got, str) else shown(got)
        alias = PLATFORM_ALIASES.get(text.strip().lower())
        if alias is not None and alias.value in options:
            close = [alias.value]
        else:
            close = difflib.get_close_matches(text, options, n=1, cutoff=0.5)
        if close:
            return _("{got} is not one of {options}; did you mean {close}?").format(
                got=shown(got), options=", ".join(options), close=close[0]
            )
        return _("{got} is not one of {options}").format(got=shown(got), options=", ".join(options))
    if kind.startswith("date_") or kind.startswith("datetime_"):
        quoted = got.isoformat(" ") if isinstance(got, dt.datetime) else shown(got)
        fixed = corrected_date(got)
        if fixed is not None:
            return _("not a date: {got}; write {date}").format(got=quoted, date=fixed.isoformat())
        if isinstance(got, str) and DATE_LIKE_RE.match(unicodedata.normalize("NFKC", got)):
            return _("{got} is not a day of the calendar; check the month and the day").format(
                got=quoted
            )
        return _("not a date: {got}; write it as YYYY-MM-DD").format(got=quoted)
    if kind == "string_pattern_mismatch":
        if ctx.get("pattern") == ID_PATTERN:
            return _("{got}: use lowercase letters, digits and '-' only (e.g. gaj-weibo)").format(
                got=shown(got)
            )
        return _("{got} does not match the pattern {pattern}").format(
            got=shown(got), pattern=ctx.get("pattern")
        )
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        between = _bounds(loc, got)
        if between is not None:
            return between
        sign = {
            "greater_than_equal": "≥",
            "greater_than": ">",
            "less_than_equal": "≤",
            "less_than": "<",
        }[kind]
        bound = next(iter(ctx.values()), "")
        return _("must be {sign} {bound}, got {got}").format(sign=sign, bound=bound, got=shown(got))
    if kind == "finite_number":
        return _bounds(loc, got) or _("must be a number")
    if kind in ("int_parsing", "int_type", "int_from_float", "int_parsing_size"):
        return _("{got} is not a whole number").format(got=shown(got))
    if kind in ("float_parsing", "float_type", "float_parsing_size"):
        return _("{got} is not a number").format(got=shown(got))
    if kind in ("bool_parsing", "bool_type"):
        meant = meant_boolean(got)
        if meant is not None:
            return _("{got} is not true or false; write {value}").format(
                got=shown(got), value="true" if meant else "false"
            )
        return _("{got} is not true or false").format(got=shown(got))
    if kind == "string_too_short":
        return _("must not be empty")
    if kind == "too_short":
        n = ctx.get("min_length", 1)
        return ngettext("needs at least {n} item", "needs at least {n} items", n).format(n=n)
    if kind in ("string_too_long", "too_long"):
        return _("too long: at most {n}").format(n=ctx.get("max_length"))
    if kind in ("string_type", "string_sub_type", "string_unicode"):
        return _("must be text, got {got}; put it in quotes").format(got=shown(got))
    if kind in ("model_type", "model_attributes_type", "dict_type", "mapping_type"):
        return _("must be a mapping (key: value), got {got}").format(got=shown(got))
    if kind in ("list_type", "tuple_type", "set_type", "iterable_type"):
        return _("must be a list (items start with '- '), got {got}").format(got=shown(got))
    if kind == "recursion_loop":
        return _("this value contains itself (an alias loop); write the values out")
    if kind in ("value_error", "assertion_error"):
        # The models' own validators: their messages are already in the reader's language.
        message = str(error["msg"])
        return message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    return _("{got} is not a valid value here").format(got=shown(got))


@dataclass
class _Unit:
    """A department and those of its accounts that passed their own validation."""

    index: int
    id: str
    name: str
    level: DepartmentLevel
    accounts: list[tuple[int, Account]]


def _units(config: Config) -> list[_Unit]:
    return [
        _Unit(i, d.id, d.name, d.level, list(enumerate(d.accounts)))
        for i, d in enumerate(config.departments)
    ]


def _partial_units(plain: Mapping[str, Any]) -> tuple[Policy, list[_Unit]]:
    """When the file as a whole fails, the parts that pass on their own, so that the checks
    across the ledger (duplicates, dates) still run and every problem is reported at once."""
    try:
        policy = Policy.model_validate(plain.get("policy") or {})
    except ValidationError:
        policy = Policy()
    units: list[_Unit] = []
    departments = plain.get("departments")
    if not isinstance(departments, list):
        return policy, units
    for d_index, raw in enumerate(departments):
        if not isinstance(raw, dict):
            continue
        try:
            head = Department.model_validate({**raw, "accounts": []})
        except ValidationError:
            continue
        accounts: list[tuple[int, Account]] = []
        raw_accounts = raw.get("accounts")
        for a_index, raw_account in enumerate(
            raw_accounts if isinstance(raw_accounts, list) else []
        ):
            try:
                accounts.append((a_index, Account.model_validate(raw_account)))
            except ValidationError:
                continue
        units.append(_Unit(d_index, head.id, head.name, head.level, accounts))
    return policy, units


def _identifier_key(account: Account) -> tuple[str, str, str] | None:
    """What tells this account apart on its source: (source, field, value)."""
    source = account.effective_source
    field_name = SOURCE_IDENTIFIER_FIELD[source]
    value = getattr(account, field_name) if field_name else None
    if value:
        normal = value.rstrip("/") if field_name == "url" else value
        return (source.value, field_name, normal)
    if source is Source.WECHAT:  # no fakeid: the account is searched for by its exact name
        return (source.value, "name", account.name)
    return None


def _ledger_problems(config: Config, today: dt.date) -> Iterable[Problem]:
    """Rules across the whole ledger that one model cannot see."""
    return _cross_checks(_units(config), config.policy, today)


# What a department's or township's own account lacks without `exception_basis:`.
EXCEPTION_BASIS_NEEDED = {
    DepartmentLevel.DEPARTMENT: N_(
        "a department's own account needs `exception_basis:`, why it may run one ({doc})"
    ),
    DepartmentLevel.TOWNSHIP: N_(
        "a township's own account needs `exception_basis:`, why it may run one ({doc})"
    ),
}


def _cross_checks(units: list[_Unit], policy: Policy, today: dt.date) -> Iterator[Problem]:
    seen_identifiers: dict[tuple[str, str, str], str] = {}
    for unit in units:
        d_loc: tuple[str | int, ...] = ("departments", unit.index)
        per_platform: dict[Platform, str] = {}
        for a_index, account in unit.accounts:
            a_loc = (*d_loc, "accounts", a_index)
            yield from _date_problems(a_loc, account, today)
            if account.status is AccountStatus.CLOSED:
                if account.closure and not account.closure.certificate:
                    yield Problem(
                        (*a_loc, "closure"),
                        _(
                            "closed without a certificate number (关停证明); "
                            "add closure.certificate"
                        ),
                        "warning",
                    )
                continue
            key = _identifier_key(account)
            if key is not None:
                if key in seen_identifiers:
                    message = (
                        _(
                            "{value} is already registered as account {account} "
                            "(searched by name: add fakeid:); one account, one entry"
                        )
                        if key[1] == "name"
                        else _(
                            "{value} is already registered as account {account}; "
                            "one account, one entry"
                        )
                    )
                    yield Problem(
                        (*a_loc, key[1]),
                        message.format(value=shown(key[2]), account=shown(seen_identifiers[key])),
                    )
                seen_identifiers.setdefault(key, account.id)
            if account.filed_on is None:
                yield Problem(
                    (*a_loc, "filed_on"), _("not filed yet (未报备登记); add filed_on"), "warning"
                )
            if (
                policy.require_exception_basis
                and unit.level is not DepartmentLevel.COUNTY
                and not account.exception_basis
            ):
                yield Problem(
                    (*a_loc, "exception_basis"),
                    _(EXCEPTION_BASIS_NEEDED[unit.level]).format(doc=DOC_HENAN_EXCEPTION),
                )
            if account.platform in per_platform and policy.one_account_per_platform != "off":
                yield Problem(
                    (*a_loc, "platform"),
                    _(
                        "{unit} already runs {account} on {platform} "
                        "(one unit, one account per platform, {doc})"
                    ).format(
                        unit=unit.name,
                        account=shown(per_platform[account.platform]),
                        platform=account.platform.value,
                        doc=DOC_ONE_ACCOUNT,
                    ),
                    "error" if policy.one_account_per_platform == "error" else "warning",
                )
            per_platform.setdefault(account.platform, account.id)


def _duplicate_ids(plain: Mapping[str, Any]) -> Iterator[Problem]:
    """Ids used twice, read from the data itself so that it works whatever else is wrong."""
    departments = plain.get("departments")
    seen_departments: set[str] = set()
    seen_accounts: dict[str, str] = {}
    for d_index, department in enumerate(departments if isinstance(departments, list) else []):
        if not isinstance(department, dict):
            continue
        d_id = department.get("id")
        if isinstance(d_id, str):
            if d_id in seen_departments:
                yield Problem(
                    ("departments", d_index, "id"),
                    _("duplicate department id {id}; ids are unique").format(id=shown(d_id)),
                )
            seen_departments.add(d_id)
        accounts = department.get("accounts")
        for a_index, account in enumerate(accounts if isinstance(accounts, list) else []):
            a_id = account.get("id") if isinstance(account, dict) else None
            if not isinstance(a_id, str):
                continue
            if a_id in seen_accounts:
                yield Problem(
                    ("departments", d_index, "accounts", a_index, "id"),
                    _(
                        "duplicate account id {id} (also in department {department}); "
                        "ids are unique across the file"
                    ).format(id=shown(a_id), department=shown(seen_accounts[a_id])),
                )
            seen_accounts.setdefault(a_id, d_id if isinstance(d_id, str) else str(d_index))


def _date_problems(
    a_loc: tuple[str | int, ...], account: Account, today: dt.date
) -> Iterator[Problem]:
    """Dates in the future, and dates out of the order things happen in."""
    dated: list[tuple[tuple[str, ...], dt.date]] = [
        ((name,), getattr(account, name))
        for name in ("opened_on", "filed_on")
        if getattr(account, name) is not None
    ]
    closure = account.closure
    if closure is not None:
        dated += [
            (("closure", name), getattr(closure, name))
            for name in CLOSURE_DATES
            if getattr(closure, name) is not None
        ]
    for path, value in dated:
        if value > today:
            yield Problem(
                (*a_loc, *path),
                _("{date} is in the future (today is {today}); fix the date").format(
                    date=value, today=today
                ),
            )
    before = _("{date} is before {other} ({other_date})")
    if account.opened_on and account.filed_on and account.filed_on < account.opened_on:
        yield Problem(
            (*a_loc, "filed_on"),
            before.format(date=account.filed_on, other="opened_on", other_date=account.opened_on),
        )
    if closure is not None and closure.approved_on is not None:
        if account.opened_on and closure.approved_on < account.opened_on:
            yield Problem(
                (*a_loc, "closure", "approved_on"),
                before.format(
                    date=closure.approved_on, other="opened_on", other_date=account.opened_on
                ),
            )
        for name in CLOSURE_DATES[1:]:
            value = getattr(closure, name)
            if value is not None and value < closure.approved_on:
                yield Problem(
                    (*a_loc, "closure", name),
                    before.format(
                        date=value,
                        other="closure.approved_on",
                        other_date=closure.approved_on,
                    ),
                )


def _control_problems(plain: Any) -> Iterator[Problem]:
    """Every key and text value holding a control character (CONTROL_RE), wherever it is."""
    seen: set[int] = set()  # a list or mapping reached again through an alias: checked once
    stack: list[tuple[tuple[str | int, ...], Any]] = [((), plain)]
    while stack:
        loc, node = stack.pop()
        if isinstance(node, str):
            message = control_message(node)
            if message is not None:
                yield Problem(loc, message)
        elif isinstance(node, (dict, list)) and id(node) not in seen:
            seen.add(id(node))
            if isinstance(node, list):
                stack.extend(((*loc, i), item) for i, item in enumerate(node))
                continue
            for key, value in node.items():
                message = control_message(key) if isinstance(key, str) else None
                if message is not None:
                    yield Problem((*loc, key), _("the key {message}").format(message=message))
                else:
                    stack.append(((*loc, key), value))


def _store_problems(plain: Mapping[str, Any]) -> Iterator[Problem]:
    store = plain.get("store")
    if isinstance(store, str) and re.match(r"^[a-z0-9+]+://[^/@]*:[^/@]*@", store):
        yield Problem(
            ("store",),
            _("remove the password from the URL; set it in the environment (PGPASSWORD) instead"),
        )


# ---------------------------------------------------------------------------------------------
# Locating problems in the YAML text


def display_path(loc: Sequence[str | int], data: Any) -> str:
    """`departments[gaj].accounts[gaj-weibo].owner`: list items by their id where they have one.

    An id or key longer than QUOTE_LIMIT is cut (…), as quoted values are."""

    def cut(text: str) -> str:
        return text if len(text) <= QUOTE_LIMIT else text[: QUOTE_LIMIT - 1] + "…"

    out = ""
    node = data
    for part in loc:
        if isinstance(part, int):
            label: str | int = part
            if isinstance(node, list) and 0 <= part < len(node):
                item = node[part]
                if isinstance(item, Mapping) and isinstance(item.get("id"), str) and item["id"]:
                    label = cut(item["id"])
                node = item
            else:
                node = None
            out += f"[{label}]"
        else:
            out += f".{cut(str(part))}" if out else cut(str(part))
            node = node.get(part) if isinstance(node, Mapping) else None
    return out or _("(top level)")


def line_of(loc: Sequence[str | int], node: Any) -> int:
    """The 1-based line of the deepest part of `loc` found in a ruamel.yaml round-trip tree.

    A missing key points at the mapping that lacks it."""
    line = 1
    lc = getattr(node, "lc", None)
    if lc is not None and lc.line is not None:
        line = lc.line + 1
    for part in loc:
        lc = getattr(node, "lc", None)
        if lc is None:
            break
        try:
            if isinstance(part, int) and isinstance(node, list) and 0 <= part < len(node):
                line = lc.item(part)[0] + 1
                node = node[part]
            elif isinstance(node, Mapping) and part in node:
                line = lc.key(part)[0] + 1
                node = node[part]
            else:
                break
        except (KeyError, IndexError, TypeError):
            break
    return line


def to_plain(node: Any) -> Any:
    """Round-trip YAML nodes as the plain dicts, lists and scalars the fast reader gives."""
    return yamlload.plain(node)


def sorted_lines(lines: Iterable[str]) -> list[str]:
    """Problems in file order (by line number), duplicates dropped."""

    def key(line: str) -> tuple[int, str]:
        match = re.match(r"^.*?:(\d+):", line)
        return (int(match.group(1)) if match else 0, line)

    return sorted(set(lines), key=key)


def find_problems(
    plain: dict[str, Any], today: dt.date, *, check_controls: bool = True
) -> tuple[Config | None, list[Problem]]:
    """Validate plain config data: the config (None when the models refuse it) and every
    problem found, errors and warnings, whole-ledger checks included.

    `check_controls=False` skips the search for control characters, for a caller that knows
    none can be there (registry/config.py: the text has neither raw ones nor escapes)."""
    config: Config | None
    try:
        config = Config.model_validate(plain)
    except ValidationError as exc:
        config = None
        problems = [Problem(tuple(e["loc"]), _pydantic_message(e)) for e in exc.errors()]
        policy, units = _partial_units(plain)
        problems += _cross_checks(units, policy, today)
    else:
        problems = list(_ledger_problems(config, today))
    problems += _duplicate_ids(plain)
    problems += _store_problems(plain)
    controls = list(_control_problems(plain)) if check_controls else []
    if controls:  # what else is said of a value with a control character in it is noise
        bad = {p.loc for p in controls}
        problems = [
            p for p in problems if not any(p.loc[:n] in bad for n in range(1, len(p.loc) + 1))
        ] + controls
        config = None
    return config, problems
