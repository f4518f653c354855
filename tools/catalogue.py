"""The Chinese message catalogue: find what needs translating, check it, compile it.

    python -m tools.catalogue missing           # messages with no translation, as .po entries
    python -m tools.catalogue check             # every problem; exit 1 if any
    python -m tools.catalogue compile           # registry/locale/zh_CN/LC_MESSAGES/govmedia.mo

The messages are the English ids of `_()`, `N_()` and `ngettext()` in the four packages, the help
of every command and option (docstrings and `help=`, read from the command tree), and click's own
words ("Usage:", "Show this message and exit."), which click asks gettext for in our domain.

Translations live in several .po files under registry/locale/zh_CN/po/, one per area of the
program, so that work on two areas never edits the same file; `compile` merges them into the one
.mo gettext reads. Needs Babel (the `test` extra); the installed program does not.
"""

from __future__ import annotations

import argparse
import datetime as dt
import string
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("govmedia", "registry", "reports", "spiders")
LOCALE = "zh_CN"
SOURCES = ROOT / "registry" / "locale" / LOCALE / "po"
COMPILED = ROOT / "registry" / "locale" / LOCALE / "LC_MESSAGES" / "govmedia.mo"
KEYWORDS = {
    "_": None,
    "N_": None,
    "ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
    "NP_": ((1, "c"), 2),
}
# Click's words that reach gettext through a variable, which extraction cannot see (Babel before
# 2.17 picked "required" up from `_(extra["required"])` by accident; later versions do not).
CLICK_INDIRECT = ("required",)
# A fixed date, so that compiling the same sources writes the same bytes.
CATALOGUE_DATE = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class MessageId:
    """A message as gettext knows it: its id, its plural id and its context (pgettext)."""

    id: str
    plural: str | None = None
    context: str | None = None

    @classmethod
    def of(cls, message: str | tuple[str, ...] | list[str], context: str | None = None):
        if isinstance(message, str):
            return cls(message, None, context or None)
        return cls(message[0], message[1], context or None)

    @property
    def key(self) -> str:
        """gettext's own key: the context, EOT, the id."""
        return f"{self.context}\x04{self.id}" if self.context else self.id

    @property
    def ids(self) -> tuple[str, ...]:
        return (self.id,) if self.plural is None else (self.id, self.plural)

    def __str__(self) -> str:
        return f"{self.id!r} (context {self.context})" if self.context else repr(self.id)


@dataclass
class Wanted:
    """Every message the program can show, with where each is used."""

    messages: dict[MessageId, list[str]] = field(default_factory=dict)

    def add(self, msgid: MessageId, where: str) -> None:
        self.messages.setdefault(msgid, []).append(where)


def code_messages(wanted: Wanted) -> None:
    from babel.messages.extract import extract_from_dir

    for package in PACKAGES:
        for filename, lineno, message, _comments, context in extract_from_dir(
            ROOT / package, method_map=[("**.py", "python")], keywords=KEYWORDS, comment_tags=()
        ):
            wanted.add(MessageId.of(message, context), f"{package}/{filename}:{lineno}")


def help_messages(wanted: Wanted) -> None:
    """Docstrings and `help=` of the command tree (their English originals)."""
    import click

    from govmedia.cli import help_msgids, main

    def walk(command: click.Command, path: str) -> None:
        for text in help_msgids(command):
            if text:
                wanted.add(MessageId(text), f"help of `{path}`")
        for param in command.params:
            text = param.__dict__.get("help_msgid", getattr(param, "help", None))
            if text:
                option = param.opts[0] if param.opts else param.name
                wanted.add(MessageId(text), f"help of `{path} {option}`")
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                walk(sub, f"{path} {name}")

    walk(main, "govmedia")


def click_messages(wanted: Wanted) -> None:
    """Click's own words, from its installed source."""
    import click
    from babel.messages.extract import extract_from_dir

    folder = Path(click.__file__).parent
    keywords = {"_": None, "ngettext": (1, 2)}
    for filename, lineno, message, _c, _x in extract_from_dir(
        folder, method_map=[("**.py", "python")], keywords=keywords, comment_tags=()
    ):
        if filename.startswith("_winconsole"):
            continue
        wanted.add(MessageId.of(message), f"click/{filename}:{lineno}")
    for message in CLICK_INDIRECT:
        wanted.add(MessageId(message), "click (passed to gettext through a variable)")


def wanted_messages() -> Wanted:
    wanted = Wanted()
    code_messages(wanted)
    help_messages(wanted)
    click_messages(wanted)
    return wanted


@dataclass
class Sources:
    """The translations of every .po file, merged, and the problems merging found."""

    translations: dict[str, tuple[MessageId, str | tuple[str, ...], str]] = field(
        default_factory=dict
    )  # singular id -> (id, translation, file)
    problems: list[str] = field(default_factory=list)


def read_sources(folder: Path = SOURCES) -> Sources:
    from babel.messages.pofile import read_po

    sources = Sources()
    for path in sorted(folder.glob("*.po")):
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=LOCALE)
        for message in catalog:
            if not message.id:
                continue
            msgid = MessageId.of(message.id, message.context)
            text = message.string
            where = path.name
            if message.fuzzy:
                sources.problems.append(f"{where}: {msgid} is marked fuzzy")
            earlier = sources.translations.get(msgid.key)
            if earlier is not None and earlier[1] != text:
                sources.problems.append(
                    f"{where}: {msgid} is translated differently in {earlier[2]}"
                )
                continue
            sources.translations[msgid.key] = (msgid, text, where)
    return sources


def fields(text: str) -> set[str]:
    """The `{name}` fields of a str.format template (empty if it is not one)."""
    try:
        return {
            name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name is not None
        }
    except ValueError:
        return set()


def problems(wanted: Wanted, sources: Sources) -> Iterator[str]:
    yield from sources.problems
    for msgid, places in wanted.messages.items():
        entry = sources.translations.get(msgid.key)
        if entry is None:
            yield f"{places[0]}: no translation of {msgid}"
            continue
        texts = entry[1] if isinstance(entry[1], tuple) else (entry[1],)
        if not all(texts):
            yield f"{entry[2]}: {msgid} has an empty translation"
            continue
        ids = msgid.ids
        allowed = set().union(*(fields(i) for i in ids))
        needed = fields(ids[-1])
        for text in texts:
            if fields(text) - allowed:
                unknown = sorted(fields(text) - allowed)
                yield f"{entry[2]}: translation of {msgid} uses unknown fields {unknown}"
            if needed - fields(text):
                dropped = sorted(needed - fields(text))
                yield f"{entry[2]}: translation of {msgid} drops fields {dropped}"
    known = {m.key for m in wanted.messages}
    for gettext_key, (msgid, _text, where) in sorted(sources.translations.items()):
        if gettext_key not in known:
            yield f"{where}: {msgid} is no longer used; delete it"
    if compiled_catalog() != merged_catalog(sources):
        yield f"{COMPILED.relative_to(ROOT)} is not current; run `python -m tools.catalogue compile`"


def build_catalog(sources: Sources):
    from babel.messages.catalog import Catalog

    catalog = Catalog(
        locale=LOCALE,
        domain="govmedia",
        project="govmedia",
        creation_date=CATALOGUE_DATE,
        revision_date=CATALOGUE_DATE,
        fuzzy=False,
    )
    for _key, (msgid, text, _where) in sorted(sources.translations.items()):
        catalog.add(msgid.id if msgid.plural is None else msgid.ids, text, context=msgid.context)
    return catalog


def merged_catalog(sources: Sources) -> dict[object, str]:
    """What the .mo should hold: gettext's own view of it, without the header."""
    import gettext
    import io

    from babel.messages.mofile import write_mo

    buffer = io.BytesIO()
    write_mo(buffer, build_catalog(sources))
    buffer.seek(0)
    return _without_header(gettext.GNUTranslations(buffer))


def compiled_catalog() -> dict[object, str] | None:
    import gettext

    if not COMPILED.exists():
        return None
    with COMPILED.open("rb") as handle:
        return _without_header(gettext.GNUTranslations(handle))


def _without_header(translations) -> dict[object, str]:
    return {k: v for k, v in translations._catalog.items() if k != ""}


def compile_catalogue() -> int:
    from babel.messages.mofile import write_mo

    sources = read_sources()
    COMPILED.parent.mkdir(parents=True, exist_ok=True)
    temporary = COMPILED.with_suffix(".mo.tmp")
    with temporary.open("wb") as handle:
        write_mo(handle, build_catalog(sources))
    temporary.replace(COMPILED)
    print(f"{COMPILED.relative_to(ROOT)}: {len(sources.translations)} messages")
    return 0


def po_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def print_missing(prefixes: list[str]) -> int:
    """The messages without a translation, as .po entries to fill in (optionally only those used
    in files starting with one of `prefixes`)."""
    wanted = wanted_messages()
    sources = read_sources()
    count = 0
    for msgid, places in wanted.messages.items():
        if msgid.key in sources.translations:
            continue
        if prefixes and not any(p.startswith(tuple(prefixes)) for p in places):
            continue
        count += 1
        print("#: " + " ".join(places[:3]))
        if msgid.context:
            print(f"msgctxt {po_quote(msgid.context)}")
        if msgid.plural is None:
            print(f'msgid {po_quote(msgid.id)}\nmsgstr ""\n')
        else:
            print(
                f'msgid {po_quote(msgid.id)}\nmsgid_plural {po_quote(msgid.plural)}\nmsgstr[0] ""\n'
            )
    print(f"# {count} missing", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.catalogue",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    missing = sub.add_parser("missing", help="untranslated messages as .po entries")
    missing.add_argument("prefix", nargs="*", help="only messages used in these files")
    sub.add_parser("check", help="every problem of the catalogue")
    sub.add_parser("compile", help="write the .mo")
    args = parser.parse_args(argv)
    if args.command == "compile":
        return compile_catalogue()
    if args.command == "missing":
        return print_missing(args.prefix)
    found = list(problems(wanted_messages(), read_sources()))
    for line in found:
        print(line)
    print(f"{len(found)} problems", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
