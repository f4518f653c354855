"""The language people read: Simplified Chinese by default, English on request.

Messages are written in English in the code, as gettext message ids: `_("…")` for a sentence,
`ngettext(singular, plural, n)` for a count, `N_("…")` to mark a constant translated where it
is shown. The Chinese catalogue is compiled from the .po files under registry/locale/zh_CN/po/
into registry/locale/zh_CN/LC_MESSAGES/govmedia.mo (`python -m tools.catalogue compile`;
tests/test_catalogue.py checks that every message has its translation and that the .mo is
current). English needs no catalogue: it is the message ids themselves.

The command line picks the language once, before it parses anything (`use_language`), from
`--lang`, else from the locale variables (LC_ALL, LC_MESSAGES, LANG: the first one set): a locale
starting with "en" is English, anything else (zh_CN, C, POSIX, unset) is Chinese, the language
of the offices that run govmedia. Logs stay English: only what a person reads is translated.
"""

from __future__ import annotations

import gettext
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

Language = Literal["zh", "en"]
LANGUAGES: tuple[Language, ...] = ("zh", "en")
DEFAULT_LANGUAGE: Language = "zh"
DOMAIN = "govmedia"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
# The gettext locale name of each language's catalogue (English has none: its ids are the text).
CATALOGUE_LOCALE = {"zh": "zh_CN", "en": "en"}
LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")

_translations: gettext.NullTranslations = gettext.NullTranslations()
_language: Language = "en"


def pick_language(
    requested: str | None = None, environ: Mapping[str, str] | None = None
) -> Language:
    """The language asked for by `--lang` (zh, en, zh_CN, en_US.UTF-8 …), else by the locale."""
    if requested:
        return "en" if requested.strip().lower().startswith("en") else "zh"
    environ = os.environ if environ is None else environ
    for name in LOCALE_VARIABLES:
        value = environ.get(name, "")
        if value:
            return "en" if value.lower().startswith("en") else DEFAULT_LANGUAGE
    return DEFAULT_LANGUAGE


def catalogue(language: Language) -> gettext.NullTranslations:
    """The translations of `language`; English (or a missing catalogue) is the ids themselves."""
    if language == "en":
        return gettext.NullTranslations()
    return gettext.translation(
        DOMAIN, LOCALE_DIR, languages=[CATALOGUE_LOCALE[language]], fallback=True
    )


def use_language(language: Language) -> None:
    """Make `language` the one `_` and `ngettext` answer in, for this process.

    Click translates its own words ("Usage:", "Show this message and exit.") through the standard
    `gettext.gettext`, which reads the domain set by `textdomain` and the language from LANGUAGE;
    both are set here, so that click speaks the same language as govmedia (our catalogue holds
    click's messages too). LANGUAGE then reaches child processes, which is what they want."""
    global _translations, _language
    _translations = catalogue(language)
    _language = language
    gettext.bindtextdomain(DOMAIN, str(LOCALE_DIR))
    gettext.textdomain(DOMAIN)
    os.environ["LANGUAGE"] = CATALOGUE_LOCALE[language]


def current_language() -> Language:
    return _language


def _(message: str) -> str:
    """`message` in the current language."""
    return _translations.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form for `n`, in the current language (Chinese has one form)."""
    return _translations.ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """`message` in the current language, where the same English word means two things (a
    column heading "days" and the unit "days" are 天数 and 天)."""
    return _translations.pgettext(context, message)


def NP_(context: str, message: str) -> str:
    """Marks `message` in `context` for the catalogue without translating it."""
    return message


def N_(message: str) -> str:
    """Marks `message` for the catalogue without translating it (a constant, translated where
    it is shown with `_(constant)`)."""
    return message
