"""README.md as a guide: a Chinese quick start first, then a table of contents whose every link
reaches a heading (GitHub's anchors), then the reference; `crawl --help` agrees with it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from click.testing import CliRunner

from govmedia.cli import main

README = (Path(__file__).resolve().parent.parent / "README.md").read_text("utf-8")


def headings(text: str) -> Iterator[tuple[int, str]]:
    """(level, title) of each Markdown heading outside fenced code blocks."""
    fenced = False
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
            continue
        match = re.match(r"^(#{1,6}) (.+)$", line)
        if match and not fenced:
            yield len(match.group(1)), match.group(2).strip()


def slug(title: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")


def anchors(text: str) -> set[str]:
    seen: dict[str, int] = {}
    found = set()
    for _, title in headings(text):
        base = slug(title)
        n = seen.get(base, 0)
        seen[base] = n + 1
        found.add(base if n == 0 else f"{base}-{n}")
    return found


def label(title: str) -> str:
    """A heading as the contents list shows it: a command without its options."""
    commands = re.findall(r"`(govmedia(?: [a-z][a-z-]*)*)", title)
    return " · ".join(dict.fromkeys(f"`{c}`" for c in commands)) if commands else title


def table_of_contents(text: str) -> str:
    """The contents block as the README should hold it (`python -m tests.test_readme_guide`)."""
    lines = ["## Contents", ""]
    for level, title in headings(text):
        if level == 1 or title == "Contents":
            continue
        if level in (2, 3):
            indent = "  " if level == 3 else ""
            lines.append(f"{indent}- [{label(title)}](#{slug(title)})")
    return "\n".join(lines) + "\n"


def test_the_chinese_quick_start_comes_first():
    titles = [t for level, t in headings(README) if level == 2]
    assert titles[0] == "快速上手（中文）"
    assert titles[1] == "Contents"
    start = README.index("## 快速上手（中文）")
    guide = README[start : README.index("## Contents")]
    for step in (
        "**1. 安装**",
        "**2. 演示**",
        "**3. 把样例台账改成本县的台账**",
        "**4. 日常运行**",
    ):
        assert step in guide
    assert ". .venv/bin/activate" in guide and ".venv/bin/govmedia" in guide
    assert "govmedia ledger export --xlsx 台账.xlsx" in guide
    assert "govmedia cron --install" in guide


def test_every_link_reaches_a_heading():
    targets = anchors(README)
    links = re.findall(r"\]\(#([^)]+)\)", README)
    assert links
    assert [link for link in links if link not in targets] == []


def test_the_contents_list_every_section_and_command():
    assert table_of_contents(README) in README


def test_examples_do_not_depend_on_one_week():
    """Commands to run name no fixed week or month: they work on any date."""
    commands = [
        line
        for block in re.findall(r"```sh\n(.*?)```", README, flags=re.S)
        for line in block.splitlines()
    ]
    fixed = [c for c in commands if re.search(r"--(week|month|quarter) 20\d\d", c)]
    assert fixed == []


def test_crawl_help_and_readme_agree_on_closed_accounts():
    result = CliRunner().invoke(main, ["crawl", "--help"], terminal_width=200)
    text = " ".join(result.output.split())
    sentence = "Closed accounts are crawled too, so that one which posts again is caught as relaunched (违规复开)"
    assert sentence in text
    assert sentence in " ".join(README.split())
    assert "are not crawled" not in text.replace("manual-source accounts are left", "")


if __name__ == "__main__":
    print(table_of_contents(README))
