"""Secrets never leave the process: the values of secret environment variables (SMTP password,
webhook URLs with their keys, signing secrets, WeChat token and cookie, Weibo cookie) and anything
shaped like `token=…`, `key=…`, `Cookie: …` or `Authorization: …` become `***`.

One redactor serves every layer: the log handlers (govmedia/logging_setup.py), the crawl's
pipelines before anything is stored (spiders/pipelines.py), and error texts before they are
printed or queued.
"""

from __future__ import annotations

import functools
import os
import re
import threading
import urllib.parse
from collections.abc import Callable, Iterable

from registry.constants import SECRET_ENV_NAME_WORDS, SECRET_ENV_VARS

REDACTED = "***"
_MIN_SECRET_LENGTH = 4  # shorter values would blank out ordinary words

# Shapes of credentials in URLs, headers, cookies and JSON, whatever variable they came from.
_SECRET_PARAM = (
    r"access_token|token|appmsg_token|key|sign|secret|password|passwd|pass_ticket|"
    r"sessionid|session|cookie|SUB|SUBP|wxuin|data_ticket|bizuin|slave_sid|slave_user"
)
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?i)\b((?:set-)?cookie\s*[:=]\s*)([^\r\n]+)"), r"\1" + REDACTED),
    (re.compile(r"(?i)\b(authorization\s*[:=]\s*)([^\r\n,}]+)"), r"\1" + REDACTED),
    (re.compile(rf"(?i)([?&;\s,{{(]|^)({_SECRET_PARAM})=([^&\s;\"',)}}]+)"), r"\1\2=" + REDACTED),
    (
        re.compile(rf"(?i)(\"(?:{_SECRET_PARAM})\"\s*:\s*\")([^\"]*)(\")"),
        r"\1" + REDACTED + r"\3",
    ),
)


class Redactor:
    """Knows which environment variables hold secrets and removes their values from text."""

    def __init__(self) -> None:
        self._names: set[str] = set(SECRET_ENV_VARS)
        self._values: set[str] = set()
        self._lock = threading.Lock()
        # Counts the secrets learnt since start, so a frozen copy can tell it is out of date (a
        # crawl learns visitor cookies while it runs).
        self.generation = 0

    def add_env_names(self, names: Iterable[str]) -> None:
        with self._lock:
            self._names.update(name for name in names if name)

    def add_values(self, values: Iterable[str | None]) -> None:
        """Secrets that are not in our own environment (e.g. set only for a child process)."""
        with self._lock:
            fresh = {v for v in values if v and len(v) >= _MIN_SECRET_LENGTH} - self._values
            if fresh:
                self._values.update(fresh)
                self.generation += 1

    def secret_values(self) -> list[str]:
        """The current secret values, longest first (so a URL goes before the key inside it)."""
        with self._lock:
            names = set(self._names)
            values = set(self._values)
        for name, value in os.environ.items():
            if name in names or (
                name.startswith("GOVMEDIA_") and any(w in name for w in SECRET_ENV_NAME_WORDS)
            ):
                values.add(value)
        for value in list(values):  # a cookie's pairs may show up one by one
            if ";" in value or "=" in value:
                for part in re.split(r";\s*", value):
                    values.add(part.partition("=")[2])
        out: set[str] = set()
        for value in values:
            if len(value) < _MIN_SECRET_LENGTH:
                continue
            out.add(value)
            for encoded in (urllib.parse.quote(value, safe=""), urllib.parse.quote_plus(value)):
                out.add(encoded)
        return sorted(out, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        return self._apply(text, self.secret_values())

    def frozen(self) -> Callable[[str], str]:
        """This redactor with the secrets of this moment, for a hot path during which the
        environment does not change (a crawl redacts every observation; reading the environment
        each time was a twentieth of its CPU)."""
        return functools.partial(self._apply, secrets=self.secret_values())

    @staticmethod
    def _apply(text: str, secrets: list[str]) -> str:
        if not text:
            return text
        for value in secrets:
            if value in text:
                text = text.replace(value, REDACTED)
        for pattern, replacement in _PATTERNS:
            text = pattern.sub(replacement, text)
        return text


REDACTOR = Redactor()


def redact(text: str) -> str:
    """`text` without secrets: use on anything that is logged, stored or printed."""
    return REDACTOR(text)
