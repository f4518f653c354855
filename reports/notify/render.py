"""Messages from templates: one typed context per template, rendered once when queued.

Messages are short plain text with light Markdown (robots render it; e-mail reads it as text), so
this environment does not HTML-escape; it is built once, with `StrictUndefined`. Each template
sets `subject` at its top level and its output is the body.

E-mail also carries an HTML part: `html_body` lays the same body out (heading, items, links)
through an autoescaped template, so both parts say exactly the same.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates" / "notify"


@dataclass(frozen=True)
class AlertContext:
    """One account's status change, told to its owner and its department's contact."""

    kind: str  # AlertKind value: warning veto zombie unknown flagged relaunched
    kind_label: str
    jurisdiction: str
    department: str
    account_id: str
    account_name: str
    platform: str  # Chinese label
    status_label: str
    at_local: str  # the monitoring time point, e.g. 2026年11月28日 08:30
    last_post_local: str | None
    days_silent: int | None
    rule: str
    basis: str
    flagged: bool
    relaunched: bool
    unknown_days: int | None
    # The verdict's detail in Chinese: why unknown (registry.outcome_text.unknown_reason, never
    # the spider's English), when relaunched.
    detail: str | None
    flag_reason: str | None  # why flagged for shutdown, with its document
    warn_after_days: int
    veto_after_days: int
    zombie_after_days: int
    flag_after_weeks: int


@dataclass(frozen=True)
class SummaryLine:
    name: str
    department: str
    status_label: str
    days_silent: int | None


@dataclass(frozen=True)
class SummaryContext:
    """The week's (or period's) result, told to supervisors with where the report is."""

    kind: str  # weekly_summary | notice_ready
    jurisdiction: str
    period_label: str
    counts: dict[str, int]  # Chinese status label → number of accounts
    total: int
    flagged: int
    attention: list[SummaryLine] = field(default_factory=list)
    report: str = ""  # URL or path of the report
    # The report's own headline figures (reports/notify/summary.py), so that the mail says what
    # the report it links says; None where a summary was not built from a report.
    pass_rate: str | None = None  # e.g. 85.0%, or — when nothing was checked
    checked: int | None = None
    passed: int | None = None
    failed: int | None = None
    unknown: int | None = None


@dataclass(frozen=True)
class NoticeMailContext:
    """A notice (通报) is issued: what it says — period, counts, named accounts, the deadline for
    整改 — told to supervisors with where it is. Built from the notice's own context."""

    kind: str  # notice_ready
    jurisdiction: str
    period_label: str
    title: str
    issued_on: str  # 2026年12月1日
    deadline: str  # 整改 deadline, 2026年12月15日
    units: int
    checked: int
    passed: int
    failed: int
    unknown: int
    pass_rate: str
    veto: int  # 单项否决 and 僵尸 accounts named
    others: int  # other problems named
    named: list[str] = field(default_factory=list)  # 单位「账号」（平台）：问题, the first few
    report: str = ""


@dataclass(frozen=True)
class SourceFailedContext:
    """A whole source failed in a crawl: its accounts are unknown until someone acts."""

    kind: str
    jurisdiction: str
    source: str  # its key in config.yaml's sources
    source_label: str  # SOURCE_LABELS
    outcome: str
    outcome_label: str
    advice: str  # OUTCOME_ADVICE: what it means and what to do (the spider's detail is logged)
    accounts: int
    at_local: str


@dataclass(frozen=True)
class CaseItem:
    """One case in a case message."""

    case_id: str
    kind_label: str  # CASE_KIND_LABELS
    department: str
    account_name: str
    platform: str
    owner: str
    summary: str  # the problem, in Chinese
    opened_local: str
    deadline_local: str
    deadline_exact: bool
    fix: str  # CASE_FIX_LABELS: what proves it fixed
    responded: bool = False


@dataclass(frozen=True)
class CaseContext:
    """Cases (整改跟踪) opened, to their owner (one message for all of a cycle's new cases of one
    owner, or one digest on a group channel); or overdue, to the unit and the supervisors."""

    kind: str  # case_opened | case_overdue
    jurisdiction: str
    cases: list[CaseItem] = field(default_factory=list)


Context = AlertContext | SummaryContext | SourceFailedContext | CaseContext | NoticeMailContext

TEMPLATE_OF: dict[type, str] = {
    AlertContext: "alert.txt.j2",
    SummaryContext: "summary.txt.j2",
    SourceFailedContext: "source_failed.txt.j2",
    CaseContext: "case.txt.j2",
    NoticeMailContext: "notice_ready.txt.j2",
}


@functools.cache
def environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=False,  # plain text and robot Markdown, never HTML
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )


def render_message(context: Context) -> tuple[str, str]:
    """(subject, body) for `context`."""
    template = environment().get_template(TEMPLATE_OF[type(context)])
    values = {f.name: getattr(context, f.name) for f in dataclasses.fields(context)}
    module = template.make_module(values)
    subject = " ".join(str(module.subject).split())
    body = "\n".join(line.rstrip() for line in str(module).strip().splitlines())
    return subject, body


@functools.cache
def html_environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,  # names come from platforms and the ledger
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@dataclass(frozen=True)
class HtmlItem:
    """One `- label：text` line of a message, with a link when the text is an http(s) URL."""

    label: str
    text: str
    href: str | None


_URL = re.compile(r"^https?://[^\s\"'<>]+$")


def html_body(subject: str, body: str) -> str:
    """The HTML part of an e-mail: the message body (as `render_message` made it) laid out."""
    heading = subject
    items: list[HtmlItem] = []
    paragraphs: list[str] = []
    for line in body.splitlines():
        text = line.strip()
        if text.startswith("### "):
            heading = text[4:]
        elif text.startswith("- "):
            label, sep, rest = text[2:].partition("：")
            if not sep:
                label, rest = "", text[2:]
            href = rest if _URL.match(rest) else None
            items.append(HtmlItem(label, rest, href))
        elif text:
            paragraphs.append(text)
    template = html_environment().get_template("mail.html.j2")
    return template.render(heading=heading, items=items, paragraphs=paragraphs)
