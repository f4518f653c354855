"""Help text wrapped for Chinese: by display width, breaking between Chinese characters.

Click wraps help with textwrap, which counts characters (a Chinese character fills two columns)
and breaks only at spaces: a Chinese paragraph, one "word" to it, is cut anywhere, inside
`Asia/Shanghai` too, and its lines run past the terminal's edge. This formatter wraps by
columns, may break between any two Chinese characters or at a space, never inside a run of
Latin letters, digits or an option, and keeps Chinese closing punctuation off a line's start.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

import click

# A chunk is one wide character, a run of spaces, or a run of anything else (a word, an option,
# a path); a line may end after any chunk.
WIDE = "\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6"
WIDE_LINE_BREAK_RE = re.compile(rf"(?<=[{WIDE}])[ \t]*\n[ \t]*(?=[{WIDE}])")
CHUNK_RE = re.compile(rf"[{WIDE}]| +|[^ {WIDE}]+")
# Punctuation that may not begin a line (it stays with the character before it).
NO_LINE_START = set("，。、；：？！）》」』】〕〉”’…—,.;:?!)")
# Punctuation that may not end a line (it moves on with the character after it).
NO_LINE_END = set("（《「『【〔〈“‘(")


def columns(text: str) -> int:
    """How many terminal columns `text` fills."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def wrap_paragraph(text: str, width: int, first: str = "", rest: str = "") -> list[str]:
    """One paragraph as lines of at most `width` columns (a chunk longer than that stands
    alone on its line), the first line indented by `first`, the others by `rest`."""
    text = WIDE_LINE_BREAK_RE.sub("", text)  # a line break between Chinese is no space
    chunks = CHUNK_RE.findall(" ".join(text.split()))
    lines: list[str] = []
    line, used, indent = "", 0, first
    for chunk in chunks:
        size = columns(chunk)
        if chunk.isspace():
            if line:
                line, used = line + " ", used + 1
            continue
        fits = columns(indent) + used + size <= width
        if not fits and line:
            carried = ""
            if chunk[0] in NO_LINE_START and len(line) > 1 and columns(line[-1]) == 2:
                line, carried = line[:-1], line[-1]  # the character goes down with its mark
            while line and line[-1] in NO_LINE_END and len(line) > 1:
                line, carried = line[:-1], line[-1] + carried
            lines.append(indent + line.rstrip())
            line, used, indent = carried, columns(carried), rest
        line, used = line + chunk, used + size
    if line:
        lines.append(indent + line.rstrip())
    return lines


def wrap_text(text: str, width: int, indent: str = "") -> str:
    """Click's `wrap_text(preserve_paragraphs=True)` by columns: paragraphs are separated by a
    blank line, one led by a `\\b` line is kept as written, indentation is kept."""
    out: list[str] = []
    for block in re.split(r"\n\s*\n", text.expandtabs().strip("\n")):
        lines = block.splitlines()
        if lines and lines[0].strip() == "\b":
            out.append("\n".join(indent + line for line in lines[1:]))
            continue
        extra = " " * (len(lines[0]) - len(lines[0].lstrip())) if lines else ""
        out.append("\n".join(wrap_paragraph(block, width, indent + extra, indent + extra)))
    return "\n\n".join(out)


class HelpFormatter(click.HelpFormatter):
    """click's formatter with `write_text` and `write_dl` wrapped by `wrap_text` above."""

    def write_text(self, text: str) -> None:
        self.write(wrap_text(text, self.width, " " * self.current_indent))
        self.write("\n")

    def write_dl(
        self, rows: Iterable[tuple[str, str]], col_max: int = 30, col_spacing: int = 2
    ) -> None:
        rows = list(rows)
        first_width = min(max((columns(first) for first, _ in rows), default=0), col_max)
        first_col = first_width + col_spacing
        for first, second in rows:
            self.write(f"{'':>{self.current_indent}}{first}")
            if not second:
                self.write("\n")
                continue
            if columns(first) <= first_width:
                self.write(" " * (first_col - columns(first)))
            else:
                self.write("\n" + " " * (first_col + self.current_indent))
            text_width = max(self.width - first_col - self.current_indent, 10)
            lines = wrap_text(second, text_width).splitlines() or [""]
            self.write(lines[0] + "\n")
            for line in lines[1:]:
                self.write(f"{'':>{first_col + self.current_indent}}{line}\n")


class Context(click.Context):
    formatter_class = HelpFormatter
