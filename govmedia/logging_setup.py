"""Structured logs: one line per event, as key=value pairs or JSON, to stderr and a rotating file.

Every record passes a redacting filter on each handler, so Scrapy's records and the lines relayed
from a child crawl are covered as well as our own: the values of secret environment variables
(SMTP password, webhook URLs with their keys, signing secrets, WeChat token and cookie, Weibo
cookie) and anything shaped like `token=…`, `key=…`, `Cookie: …` or `Authorization: …` become
`***`. The same `redact()` cleans error texts before they are stored or printed.

Structured fields ride on the record: ``log.info("crawl done", extra={"accounts": 28})``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import logging.handlers
import os
import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, TextIO

from registry.config import LoadedConfig
from registry.constants import LOCAL_TZ
from registry.i18n import _
from registry.models import LoggingSettings
from registry.secrets import REDACTOR, Redactor

# Attributes every LogRecord has; anything else on a record is a structured field.
_STANDARD_ATTRS = frozenset(
    logging.LogRecord("", 0, "", 0, "", (), None).__dict__.keys()
    | {"message", "asctime", "taskName", "redacted"}
)

_HANDLER_MARK = "_govmedia_handler"


class RedactingFilter(logging.Filter):
    """Removes secrets from a record's message, its structured fields and its traceback."""

    def __init__(self, redactor: Redactor = REDACTOR) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "redacted", False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # a bad %-format in a third-party call: keep what we can
            message = str(record.msg)
        record.msg = self.redactor(message)
        record.args = ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redactor(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redactor(record.stack_info)
        for name, value in list(record.__dict__.items()):
            if name not in _STANDARD_ATTRS and isinstance(value, str):
                setattr(record, name, self.redactor(value))
        record.redacted = True
        return True


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in record.__dict__.items() if k not in _STANDARD_ATTRS}


def _timestamp(record: logging.LogRecord) -> str:
    instant = dt.datetime.fromtimestamp(record.created, LOCAL_TZ)
    return instant.isoformat(timespec="milliseconds")


def _kv_value(value: Any) -> str:
    if isinstance(value, dt.datetime | dt.date):
        value = value.isoformat()
    elif not isinstance(value, str):
        value = json.dumps(value, ensure_ascii=False, default=str)
    if value == "" or re.search(r"[\s\"=]", value):
        return json.dumps(value, ensure_ascii=False)
    return value


class KeyValueFormatter(logging.Formatter):
    """`ts=… level=info logger=govmedia.cycle msg="crawl done" accounts=28`."""

    def format(self, record: logging.LogRecord) -> str:
        parts = {
            "ts": _timestamp(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
            **_fields(record),
        }
        line = " ".join(f"{key}={_kv_value(value)}" for key, value in parts.items())
        exc = self._exception_text(record)
        return f"{line} exc={json.dumps(exc, ensure_ascii=False)}" if exc else line

    def _exception_text(self, record: logging.LogRecord) -> str | None:
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        return record.exc_text or None


class JsonFormatter(KeyValueFormatter):
    """One JSON object per line, the same keys as the key=value form."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": _timestamp(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        out.update(_fields(record))
        exc = self._exception_text(record)
        if exc:
            out["exc"] = exc
        return json.dumps(out, ensure_ascii=False, default=str)


# A parent process (the cycle) sets these for its child crawl, whose stderr it relays into its
# own log: the child then writes JSON lines to stderr and no file of its own.
ENV_LOG_FILE = "GOVMEDIA_LOG_FILE"  # a path, or "-" for stderr only
ENV_LOG_FORMAT = "GOVMEDIA_LOG_FORMAT"  # kv | json


def log_path(loaded: LoadedConfig) -> Path | None:
    """The log file, relative to config.yaml unless absolute; None when logs go to stderr only."""
    name = os.environ.get(ENV_LOG_FILE) or loaded.config.logging.file
    if not name or name == "-":
        return None
    path = Path(name)
    return path if path.is_absolute() else loaded.base_dir / path


def configure_logging(
    loaded: LoadedConfig | None = None,
    *,
    level: str | None = None,
    stream: TextIO | None = None,
    stderr_level: str | None = None,
    secret_env_names: Iterable[str] = (),
) -> Path | None:
    """Send every logger's records, redacted, to stderr and (given a config) its rotating file.

    `stderr_level` quietens stderr alone (cron: warnings only; the file keeps everything).
    Calling it again replaces the handlers it installed before. Returns the log file's path.
    """
    settings = loaded.config.logging if loaded is not None else LoggingSettings()
    names = list(secret_env_names)
    if loaded is not None:
        for channel in loaded.config.notify.channels:
            names.extend(channel.secret_envs)
    REDACTOR.add_env_names(names)
    form = os.environ.get(ENV_LOG_FORMAT) or settings.format
    formatter: logging.Formatter = JsonFormatter() if form == "json" else KeyValueFormatter()
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, _HANDLER_MARK, False):
            root.removeHandler(handler)
            handler.close()
    root_level = (level or settings.level).upper()
    # The level is set on each handler too: a library that sets its own loggers to DEBUG (Scrapy
    # does, while it starts) must not get its chatter past the level asked for.
    console = logging.StreamHandler(stream or sys.stderr)
    console.setLevel(max(_level_number(root_level), _level_number(stderr_level or root_level)))
    handlers: list[logging.Handler] = [console]
    path = log_path(loaded) if loaded is not None else None
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handlers.append(
                _LogFile(
                    path,
                    maxBytes=settings.max_bytes,
                    backupCount=settings.backup_count,
                    encoding="utf-8",
                )
            )
        except OSError as exc:
            from govmedia.interrupt import os_reason

            print(
                _("warning: cannot write the log file {path}: {reason}").format(
                    path=path, reason=os_reason(exc)
                ),
                file=sys.stderr,
            )
            path = None
    for handler in handlers:
        if handler is not console:
            handler.setLevel(root_level)
        handler.addFilter(RedactingFilter())
        handler.setFormatter(formatter)
        setattr(handler, _HANDLER_MARK, True)
        root.addHandler(handler)
    root.setLevel(root_level)
    return path


class _LogFile(logging.handlers.RotatingFileHandler):
    """The log file; when the disk refuses it, one line says so (not a traceback per record),
    and the log goes on to stderr only. The command then exits non-zero (`log_file_failed`)."""

    failed: str | None = None  # class-wide: the command's one log file

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 (logging's name)
        exc = sys.exc_info()[1]
        if not isinstance(exc, OSError):
            super().handleError(record)
            return
        if _LogFile.failed is None:
            from govmedia.interrupt import os_reason

            _LogFile.failed = _("cannot write the log file {path}: {reason}").format(
                path=self.baseFilename, reason=os_reason(exc)
            )
            print(
                _("error: {line}; logging to stderr only").format(line=_LogFile.failed),
                file=sys.stderr,
            )
        logging.getLogger().removeHandler(self)
        with contextlib.suppress(OSError):
            self.close()


def log_file_failed() -> str | None:
    """Why the log file could not be written in this process, if it could not."""
    return _LogFile.failed


def forget_log_file_failure() -> None:
    """A new command starts (several run in one process under tests)."""
    _LogFile.failed = None


def _level_number(name: str) -> int:
    return logging.getLevelNamesMapping()[name.upper()]


def fields(**values: Any) -> Mapping[str, Any]:
    """`extra=` for a structured record, skipping None values."""
    return {key: value for key, value in values.items() if value is not None}


_LEVELS = {"debug": 10, "info": 20, "warning": 30, "error": 40, "critical": 50}
_SCRAPY_LINE = re.compile(r"\[(?P<logger>[\w.]+)\] (?P<level>DEBUG|INFO|WARNING|ERROR|CRITICAL):")


def relay_line(line: str, *, default_logger: str = "govmedia.child") -> None:
    """Log one line a child process wrote to stderr, as if it were ours (redacted on the way).

    A JSON log line keeps its logger, level, message and fields; any other line (a Scrapy line,
    a traceback) is logged as it is, at the level it names, else as a warning.
    """
    line = line.rstrip("\r\n")
    if not line.strip():
        return
    data: Any = None
    if line.startswith("{"):
        try:
            data = json.loads(line)
        except ValueError:
            data = None
    if isinstance(data, dict) and "msg" in data:
        level = _LEVELS.get(str(data.get("level", "info")).lower(), logging.INFO)
        logger = logging.getLogger(str(data.get("logger") or default_logger))
        extra = {
            key: value
            for key, value in data.items()
            if key not in {"ts", "level", "logger", "msg"} and key not in _STANDARD_ATTRS
        }
        extra.setdefault("child", True)
        logger.log(level, "%s", data["msg"], extra=extra)
        return
    match = _SCRAPY_LINE.search(line)
    if match:
        logger = logging.getLogger(match.group("logger"))
        logger.log(_LEVELS[match.group("level").lower()], "%s", line, extra={"child": True})
        return
    logging.getLogger(default_logger).warning("%s", line, extra={"child": True})
