"""Closure filings rendered: the four documents of every account that must file (application,
停更公告, 关停证明, 书面报告) as Word and HTML, and the index page that lists them.

What each document says is decided in registry/filings.py (`FilingContext`, `needs_filing`); this
module only turns those contexts into files, from the built-in templates beside it
(templates/filings/) or an office's own folder (`filings.templates` in config.yaml).
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from registry.compliance import Verdict
from registry.constants import FILING_DOCUMENT_LABELS, FilingDocument
from registry.filings import FilingContext, filing_context, needs_filing
from registry.i18n import _
from registry.models import Config
from reports.files import remove_stale_temp_files, write_bytes, write_text
from reports.site import FILINGS_DIR, rebuild_index

BUILTIN_TEMPLATES = Path(__file__).resolve().parent / "templates" / "filings"


@dataclass(frozen=True)
class Rendered:
    account_id: str
    document: FilingDocument
    docx: Path
    html: Path


class FilingTemplateError(Exception):
    """A filing template cannot be rendered: it names a fact the context lacks, or is broken."""

    def __init__(self, template: str, message: str) -> None:
        super().__init__(f"{template}: {message}")
        self.template = template
        self.message = message


class FilingRenderer:
    """The templates (an override folder first, then the built-ins), loaded once."""

    def __init__(self, override: Path | None = None) -> None:
        from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

        self.folders = [p for p in (override, BUILTIN_TEMPLATES) if p is not None]
        self.html_env = Environment(
            loader=FileSystemLoader([str(p) for p in self.folders]),
            autoescape=select_autoescape(["html", "html.j2"], default_for_string=True),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        # docxtpl escapes the XML itself (autoescape=True at render time).
        self.docx_env = Environment(undefined=StrictUndefined)

    def docx_template(self, document: FilingDocument) -> Path:
        for folder in self.folders:
            path = folder / f"{document.value}.docx"
            if path.is_file():
                return path
        raise FileNotFoundError(
            _("no template {name} in {folders}").format(
                name=f"{document.value}.docx", folders=self.folders
            )
        )

    def render_docx(self, document: FilingDocument, context: FilingContext) -> bytes:
        from docxtpl import DocxTemplate
        from jinja2 import TemplateError

        path = self.docx_template(document)
        try:
            template = DocxTemplate(str(path))
            template.render(context.variables(), jinja_env=self.docx_env, autoescape=True)
        except TemplateError as exc:
            raise FilingTemplateError(str(path), exc.message or type(exc).__name__) from None
        buffer = io.BytesIO()
        template.save(buffer)
        return buffer.getvalue()

    def render_html(self, document: FilingDocument, context: FilingContext) -> str:
        from jinja2 import TemplateError

        name = f"{document.value}.html.j2"
        try:
            template = self.html_env.get_template(name)
            return template.render(
                **context.variables(),
                title=FILING_DOCUMENT_LABELS[document],
                document=document.value,
            )
        except TemplateError as exc:
            where = getattr(exc, "filename", None) or self._locate(name)
            line = getattr(exc, "lineno", None)
            raise FilingTemplateError(
                f"{where}:{line}" if line else str(where), exc.message or type(exc).__name__
            ) from None

    def _locate(self, name: str) -> str:
        for folder in self.folders:
            if (folder / name).is_file():
                return str(folder / name)
        return name

    def render_index(self, entries: Sequence[tuple[Any, list[Rendered]]], **kw: Any) -> str:
        template = self.html_env.get_template("index.html.j2")
        return template.render(entries=entries, labels=FILING_DOCUMENT_LABELS, **kw)


def file_stem(account_id: str, document: FilingDocument) -> str:
    """`wjw-weibo-application`: the account id, then the document."""
    return f"{account_id}-{document.value}"


def write_filings(
    renderer: FilingRenderer,
    contexts: Sequence[FilingContext],
    out_dir: Path,
    *,
    heading: str,
    site_index: str | None = None,
) -> list[Rendered]:
    """Render every document of every context into `out_dir`, atomically, plus index.html
    (linking back to the report site's `site_index`, relative to `out_dir`, when given).
    Temporary files a killed run left there are removed first."""
    remove_stale_temp_files(out_dir)
    written: list[Rendered] = []
    rows = _read_manifest(out_dir)
    for context in contexts:
        folder = out_dir / context.account.id
        mine: list[Rendered] = []
        for document in FilingDocument:
            stem = file_stem(context.account.id, document)
            docx_path = write_bytes(
                folder / f"{stem}.docx", renderer.render_docx(document, context)
            )
            html_path = write_text(folder / f"{stem}.html", renderer.render_html(document, context))
            mine.append(Rendered(context.account.id, document, docx_path, html_path))
        rows[context.account.id] = _manifest_row(context, mine, out_dir)
        written.extend(mine)
    # Every account rendered into this folder so far, not only this run's (`--account X`, then
    # a run for the others): the manifest remembers them while their folder exists.
    rows = {account_id: row for account_id, row in rows.items() if (out_dir / account_id).is_dir()}
    write_text(
        out_dir / MANIFEST, json.dumps(rows, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    )
    entries = [_entry(row, out_dir) for row in rows.values()]
    index = renderer.render_index(entries, heading=heading, out=out_dir, site_index=site_index)
    write_text(out_dir / "index.html", index)
    return written


# What the index lists, kept beside it: account id → what its row shows and its files.
MANIFEST = "filings.json"


def _manifest_row(
    context: FilingContext, files: Sequence[Rendered], out_dir: Path
) -> dict[str, Any]:
    return {
        "department": {"name": context.department.name},
        "account": {
            "name": context.account.name,
            "platform": context.account.platform,
            "id": context.account.id,
        },
        "stage": context.stage,
        "evidence": {"status": context.evidence.status},
        "files": {
            item.document.value: [
                item.docx.relative_to(out_dir).as_posix(),
                item.html.relative_to(out_dir).as_posix(),
            ]
            for item in files
        },
    }


def _read_manifest(out_dir: Path) -> dict[str, dict[str, Any]]:
    """The manifest in `out_dir`, or nothing (none yet, or unreadable: it is rewritten)."""
    try:
        data = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _entry(row: dict[str, Any], out_dir: Path) -> tuple[dict[str, Any], list[Rendered]]:
    """A manifest row as the index template reads it: (the context's facts, its files)."""
    files = [
        Rendered(row["account"]["id"], document, out_dir / docx, out_dir / html)
        for document in FilingDocument
        if (paths := row.get("files", {}).get(document.value))
        for docx, html in [paths]
    ]
    return row, files


def templates_folder(config: Config, base_dir: Path | None = None) -> Path | None:
    """The override folder named in config.yaml (relative to `base_dir`, config.yaml's folder),
    or None. Raises FilingTemplateError when it is named but missing."""
    named = config.filings.templates
    if not named:
        return None
    folder = Path(named)
    if not folder.is_absolute():
        folder = (base_dir or Path.cwd()) / folder
    if not folder.is_dir():
        raise FilingTemplateError(
            f"filings.templates: {folder}",
            _("no such folder; copy reports/templates/filings/ there or remove the setting"),
        )
    return folder


def render_filings(
    engine: Any,
    config: Config,
    output_root: Path,
    account_ids: Sequence[str] | None = None,
    *,
    now: dt.datetime,
    out: Path | None = None,
    verdicts: Mapping[str, Verdict] | None = None,
    base_dir: Path | None = None,
) -> list[Path]:
    """Render the closure documents, as `govmedia filings` does, into `out` (default
    `<output_root>/filings`) for `account_ids` (default: every account flagged for shutdown and
    still active, or closing). The evidence is each account's verdict at `now` (computed from
    the store unless `verdicts` are given). Returns the paths written, index.html last.

    Into the default folder, the filings are part of the report site: their index links the
    site's index.html, which is rebuilt to list them (and the weekly reports rendered from then
    on link them too).

    Raises FilingTemplateError for a missing override folder or a template that cannot render.
    """
    from registry.verdicts import evaluate

    override = templates_folder(config, base_dir)
    if verdicts is None:
        verdicts = {v.account_id: v for v in evaluate(engine, config, now)}
    wanted = set(account_ids) if account_ids is not None else None
    selected = [
        (department, account)
        for department, account in config.iter_accounts()
        if account.id in verdicts
        and (
            account.id in wanted
            if wanted is not None
            else needs_filing(account, verdicts.get(account.id))
        )
    ]
    if not selected:
        return []
    today = now.astimezone(config.tz).date()
    contexts = [
        filing_context(config, department, account, verdicts[account.id], today=today)
        for department, account in selected
    ]
    target = out or output_root / FILINGS_DIR
    in_site = target.resolve() == (output_root / FILINGS_DIR).resolve()
    written = write_filings(
        FilingRenderer(override),
        contexts,
        target,
        heading=f"{config.jurisdiction}政务新媒体账号关停材料（{today.isoformat()}）",
        site_index="../index.html" if in_site else None,
    )
    if in_site:
        rebuild_index(output_root, jurisdiction=config.jurisdiction, now=now)
    paths = [path for item in written for path in (item.docx, item.html)]
    return [*paths, target / "index.html"]
