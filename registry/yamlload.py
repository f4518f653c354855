"""A fast YAML 1.2 reader for config.yaml, built on libyaml's event parser.

ruamel.yaml's round-trip loader (which `govmedia register` and `close` edit with) is pure Python
and takes about a minute on a 20,000-account ledger. This module reads the same text from
libyaml's C event stream (PyYAML's `CParser`) and builds plain dicts, lists and scalars itself,
resolving plain scalars with ruamel.yaml's own YAML 1.2 rules, so both readers agree on what a
file means: `off`, `yes` and `no` are text, `010` is ten, `2019-03-01` is a date.

Line numbers cost little here, so every mapping key and sequence item keeps the line it started
on (`Lines`), and problems can point at the line to fix.

Anything outside plain data (custom or explicit non-string tags, merge keys `<<`, complex keys)
raises `Unsupported`; the caller then falls back to ruamel.yaml, which handles all of YAML.

Both readers keep an alias (`*name`) as a second reference to the anchored value, so a
"billion laughs" file costs nothing to read; what it would cost later (validating, copying) is
bounded by `repeat_problem`, which either reader's result goes through.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from typing import Any

from ruamel.yaml.resolver import implicit_resolvers as _RUAMEL_RESOLVERS
from ruamel.yaml.util import create_timestamp
from ruamel.yaml.util import timestamp_regexp as _lazy_timestamp_regexp
from yaml import MarkedYAMLError
from yaml import events as ev
from yaml.reader import ReaderError

from registry.i18n import N_, _
from registry.models import shown

try:  # the C parser ships in PyYAML's wheels; without it, ruamel.yaml reads everything
    from yaml._yaml import CParser
except ImportError:  # pragma: no cover - depends on the wheel
    CParser = None

_TAG = "tag:yaml.org,2002:"
_STR_TAGS = {None, "!", _TAG + "str"}
_MAP_TAGS = {None, "!", _TAG + "map"}
_SEQ_TAGS = {None, "!", _TAG + "seq"}

# Plain-scalar resolution exactly as ruamel.yaml does it for YAML 1.2: by first character,
# then the first matching regular expression of that character's list.
_RESOLVERS: dict[str, list[tuple[str, Any]]] = {}
for _versions, _tag, _regexp, _first in _RUAMEL_RESOLVERS:
    if (1, 2) in _versions:
        for _char in _first:
            # ruamel's RegExp compiles lazily behind a proxy; match on the compiled pattern.
            _compiled = re.compile(_regexp.pattern, _regexp.flags)
            _RESOLVERS.setdefault(_char, []).append((_tag.removeprefix(_TAG), _compiled))


timestamp_regexp = re.compile(_lazy_timestamp_regexp.pattern, _lazy_timestamp_regexp.flags)


_MISSING = object()

# Aliases may repeat at most REPEAT_FACTOR times the document's own values, and always at least
# REPEAT_FLOOR: plenty for an owner written once and reused on every account, nowhere near the
# billion values of the nine lines of a "billion laughs" file.
REPEAT_FACTOR = 10
REPEAT_FLOOR = 10_000


class Unsupported(Exception):
    """The text uses YAML this reader leaves to ruamel.yaml."""


class YAMLProblem(Exception):
    """The text is not well-formed YAML (or repeats a key). `line` is 1-based; `context_line`,
    where the parser says what it was reading began (a key whose ':' never came), if it says."""

    def __init__(self, line: int, problem: str, context_line: int | None = None) -> None:
        super().__init__(f"{line}: {problem}")
        self.line = line
        self.problem = problem
        self.context_line = context_line


# What libyaml (and ruamel.yaml, in its own words) says of malformed text, for the catalogue:
# `syntax_problem` shows them in the reader's language; any other is shown as it is.
YAML_SYNTAX_PROBLEMS = (
    N_("could not find expected ':'"),
    N_("mapping values are not allowed in this context"),
    N_("mapping values are not allowed here"),
    N_("found character that cannot start any token"),
    N_("found unexpected end of stream"),
    N_("found unknown escape character"),
    N_("did not find expected key"),
    N_("did not find expected '-' indicator"),
    N_("did not find expected ',' or ']'"),
    N_("did not find expected ',' or '}'"),
    N_("did not find expected node content"),
    N_("did not find expected alphabetic or numeric character"),
    N_("found a tab character that violates indentation"),
    N_("found a tab character where an indentation space is expected"),
    N_("block sequence entries are not allowed in this context"),
    N_("found unexpected ':'"),
    N_("invalid YAML"),
)
_EXPECTED_RE = re.compile(r"^expected (.+), but found (.+)$")


def syntax_problem(problem: str) -> str:
    """A YAML parser's description of malformed text, in the reader's language."""
    problem = " ".join(problem.split())
    match = _EXPECTED_RE.match(problem)
    if match is not None:
        return _("expected {expected}, but found {found}").format(
            expected=match.group(1), found=match.group(2)
        )
    return _(problem) if problem in YAML_SYNTAX_PROBLEMS else problem


class YAMLLimit(YAMLProblem):
    """Well-formed YAML that is no ledger: aliases that repeat too much, or form a loop."""


class Lines:
    """Where each mapping key and sequence item of a document starts (1-based lines).

    Kept beside the data, keyed by the identity of each container, so that a location such as
    ("departments", 3, "accounts", 0, "owner") finds its line without a second parse.
    """

    def __init__(self) -> None:
        self.keys: dict[int, dict[str, int]] = {}
        self.items: dict[int, list[int]] = {}
        self.root = 1

    def line_of(self, loc: Sequence[str | int], data: Any) -> int:
        """The line of the deepest part of `loc` that exists in `data`.

        A missing key points at the line of the mapping that lacks it (its key, or its `- `)."""
        line = self.root
        node = data
        for part in loc:
            if isinstance(node, dict) and isinstance(part, str) and part in node:
                line = self.keys.get(id(node), {}).get(part, line)
                node = node[part]
            elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
                lines = self.items.get(id(node))
                if lines is not None:
                    line = lines[part]
                node = node[part]
            else:
                break
        return line


def _plain_scalar(value: str) -> Any:
    """A plain (unquoted) scalar under ruamel.yaml's YAML 1.2 rules, as a plain Python value."""
    for tag, regexp in _RESOLVERS.get(value[:1], ()):
        if regexp.match(value):
            return _construct(tag, value)
    return value


def _construct(tag: str, value: str) -> Any:
    if tag == "null":
        return None
    if tag == "bool":
        return value.lower() == "true"
    if tag == "int":
        digits = value.replace("_", "")
        sign = -1 if digits[0] == "-" else 1
        digits = digits.lstrip("+-")
        for prefix, base in (("0b", 2), ("0x", 16), ("0o", 8)):
            if digits.startswith(prefix):
                return sign * int(digits[2:], base)
        return sign * int(digits)
    if tag == "float":
        digits = value.replace("_", "").lower()
        sign = -1 if digits[0] == "-" else 1
        digits = digits.lstrip("+-")
        if digits == ".inf":
            return sign * math.inf
        if digits == ".nan":
            return math.nan
        return sign * float(digits)
    if tag == "timestamp":
        match = timestamp_regexp.match(value)
        if match is None:  # pragma: no cover - the resolver's pattern is stricter
            return value
        try:
            return create_timestamp(**match.groupdict())
        except ValueError:
            # 2019-02-30: not a day of the calendar. Left as text, the model says so in words.
            return value
    if tag == "merge":
        raise Unsupported("merge key <<")
    raise Unsupported(f"tag {tag}")  # pragma: no cover - all 1.2 implicit tags are above


def load(text: str | bytes) -> tuple[Any, Lines]:
    """Parse one YAML document into plain data and the lines of its keys and items.

    Raises YAMLProblem for malformed text or a repeated key, Unsupported for YAML features that
    ruamel.yaml should read instead.
    """
    if CParser is None:  # pragma: no cover - depends on the wheel
        raise Unsupported("libyaml is not available")
    if text.lstrip()[:1] in ("%", b"%"):
        raise Unsupported("a %YAML or %TAG directive")
    lines = Lines()
    get_event = CParser(text).get_event
    anchors: dict[str, Any] = {}
    cache: dict[str, Any] = {}  # plain scalar text → value: most values repeat
    cache_get = cache.get
    resolvers_of = _RESOLVERS.get
    scalar_event, alias_event = ev.ScalarEvent, ev.AliasEvent
    mapping_start, sequence_start = ev.MappingStartEvent, ev.SequenceStartEvent
    mapping_end, sequence_end = ev.MappingEndEvent, ev.SequenceEndEvent
    missing = _MISSING
    # The open container and its bookkeeping live in locals; enclosing ones wait on `stack`.
    root: Any = None
    container: Any = None
    is_map = False
    key: Any = missing
    key_line = 0
    key_lines: dict[str, int] = {}
    item_lines: list[int] = []
    stack: list[tuple[Any, bool, dict[str, int], list[int]]] = []
    documents = 0
    aliased = False
    try:
        while True:
            event = get_event()
            if event is None:
                break
            cls = event.__class__
            if cls is scalar_event:
                tag = event.tag
                value = event.value
                if tag is None and event.style == "":
                    resolved = cache_get(value, missing)
                    if resolved is missing:
                        resolved = value
                        if resolvers_of(value[:1]) is not None:
                            resolved = _plain_scalar(value)
                        cache[value] = resolved
                    value = resolved
                elif tag not in _STR_TAGS:
                    raise Unsupported(f"tag {tag}")
                if event.anchor is not None:
                    anchors[event.anchor] = value
            elif cls is mapping_start or cls is sequence_start:
                if event.tag not in (_MAP_TAGS if cls is mapping_start else _SEQ_TAGS):
                    raise Unsupported(f"tag {event.tag}")
                new: Any = {} if cls is mapping_start else []
                if event.anchor is not None:
                    anchors[event.anchor] = new
                if is_map:
                    if key is missing:
                        raise Unsupported("a mapping or sequence used as a key")
                    container[key] = new
                    key_lines[key] = key_line
                    key = missing
                elif container is not None:
                    container.append(new)
                    item_lines.append(event.start_mark.line + 1)
                else:
                    root = new
                stack.append((container, is_map, key_lines, item_lines))
                container = new
                is_map = cls is mapping_start
                if is_map:
                    key_lines = lines.keys[id(new)] = {}
                else:
                    item_lines = lines.items[id(new)] = []
                continue
            elif cls is mapping_end or cls is sequence_end:
                container, is_map, key_lines, item_lines = stack.pop()
                key = missing
                continue
            elif cls is alias_event:
                if event.anchor not in anchors:  # pragma: no cover - libyaml rejects it first
                    raise YAMLProblem(
                        event.start_mark.line + 1,
                        _("unknown alias *{name}").format(name=event.anchor),
                    )
                value = anchors[event.anchor]
                aliased = True
            else:
                if cls is ev.DocumentStartEvent:
                    documents += 1
                    if documents > 1:
                        raise YAMLProblem(
                            event.start_mark.line + 1,
                            _("a second document (---); config.yaml holds one"),
                        )
                continue
            # A scalar or an alias: a key, a value, an item, or the whole document.
            if is_map:
                if key is missing:
                    if value.__class__ is not str:
                        if isinstance(value, (dict, list)):
                            raise Unsupported("a mapping or sequence used as a key")
                        value = str(value)
                    if value in container:
                        raise YAMLProblem(
                            event.start_mark.line + 1,
                            _("duplicate key {key}; each key appears once in a mapping").format(
                                key=shown(value)
                            ),
                        )
                    key = value
                    key_line = event.start_mark.line + 1
                else:
                    container[key] = value
                    key_lines[key] = key_line
                    key = missing
            elif container is not None:
                container.append(value)
                item_lines.append(event.start_mark.line + 1)
            else:
                root = value
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = syntax_problem(str(exc.problem or exc.context or "invalid YAML"))
        context = exc.context_mark.line + 1 if exc.context_mark is not None else None
        raise YAMLProblem(mark.line + 1 if mark is not None else 1, problem, context) from None
    except ReaderError as exc:  # a character YAML does not allow (e.g. U+FFFF)
        before = text[: exc.position]
        line = before.count(b"\n" if isinstance(before, bytes) else "\n") + 1
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        raise YAMLProblem(
            line,
            _("a character YAML does not allow (U+{code}); delete it").format(code=f"{code:04X}"),
        ) from None
    if isinstance(root, dict):
        first = min(lines.keys[id(root)].values(), default=1)
        lines.root = first
    if aliased:
        found = repeat_problem(root)
        if found is not None:
            raise YAMLLimit(lines.line_of(found[0], root), found[1])
    return root, lines


def repeat_problem(root: Any) -> tuple[tuple[Any, ...], str] | None:
    """Where aliases make the document too big (more values repeated than REPEAT_FACTOR times
    its own, and more than REPEAT_FLOOR) or a loop (an alias inside its own anchor): the
    location of the biggest such alias and what is wrong, or None.

    Works on plain data and on ruamel.yaml trees alike (an alias is a second reference to the
    same list or dict), in one pass over the document's own values: a repeated container's
    size is remembered, never walked again."""
    if not isinstance(root, (dict, list)):
        return None
    sizes: dict[int, int] = {}  # id of a finished container → its values, aliases expanded
    walking = {id(root)}
    own = 1
    repeated = 0
    biggest: tuple[int, tuple[Any, ...]] = (0, ())
    # (container, its location, its remaining children, its size so far)
    stack: list[tuple[Any, tuple[Any, ...], Any, list[int]]] = [(root, (), _children(root), [1])]
    while stack:
        _node, loc, children, size = stack[-1]
        for key, child in children:
            if not isinstance(child, (dict, list)):
                own += 1
                size[0] += 1
                continue
            if id(child) in sizes:  # a second reference: an alias
                repeated += sizes[id(child)]
                size[0] += sizes[id(child)]
                if sizes[id(child)] > biggest[0]:
                    biggest = (sizes[id(child)], (*loc, key))
                continue
            if id(child) in walking:
                return (*loc, key), _(
                    "this alias is inside the value it names (a loop); write the values out"
                )
            own += 1
            walking.add(id(child))
            stack.append((child, (*loc, key), _children(child), [1]))
            break
        else:
            node, _loc, _children_left, size = stack.pop()
            walking.discard(id(node))
            sizes[id(node)] = size[0]
            if stack:
                stack[-1][3][0] += size[0]
    limit = max(REPEAT_FLOOR, REPEAT_FACTOR * own)
    if repeated <= limit:
        return None
    return biggest[1], _(
        "aliases (*name) would repeat {repeated} values, more than the {limit} allowed "
        "(ten times the file's own {own}); the biggest is here; write the values out instead"
    ).format(repeated=f"{repeated:,}", limit=f"{limit:,}", own=f"{own:,}")


def _children(node: Any) -> Any:
    return iter(node.items()) if isinstance(node, dict) else enumerate(node)


def plain(node: Any) -> Any:
    """ruamel.yaml round-trip nodes as the plain values `load` returns for the same text."""
    from ruamel.yaml.scalarbool import ScalarBoolean

    if isinstance(node, dict):
        return {str(k): plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain(v) for v in node]
    if node is None or isinstance(node, bool):
        return node
    if isinstance(node, ScalarBoolean):
        return bool(node)
    if isinstance(node, str):
        return str(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, dt.datetime):
        return dt.datetime(
            node.year,
            node.month,
            node.day,
            node.hour,
            node.minute,
            node.second,
            node.microsecond,
            tzinfo=node.tzinfo,
        )
    return node
