"""An RSS 2.0 or Atom 1.0 feed (a self-hosted RSSHub or we-mp-rss bridge) → its posts.

- RSS `pubDate` is RFC 822: `+0800`, `GMT`, or no zone at all, which is read as Asia/Shanghai
  (bridges that format local time often leave the zone out). `dc:date` stands in when there is no
  pubDate; RSS 1.0 (RDF) items carry only `dc:date`.
- Atom: `<published>` is the publish time; `<updated>` is used only when `<published>` is missing.
- Unparsable or truncated XML is malformed. An HTML page where a feed was expected is a challenge
  (blocked) when it looks like one, else malformed.

lxml parses with entities and network access off: a feed is untrusted input.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re

from lxml import etree

from registry.constants import LOCAL_TZ
from spiders.parsers.common import (
    Blocked,
    Malformed,
    ParsedPage,
    ParsedPost,
    looks_like_challenge,
)
from spiders.parsers.web import challenge_kind, decode_page
from spiders.parsers.web import parse_date as parse_loose_date

ATOM_NS = "http://www.w3.org/2005/Atom"
DC_NS = "http://purl.org/dc/elements/1.1/"
RSS1_NS = "http://purl.org/rss/1.0/"
RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"

_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=False
)
_CHINESE_WEEKDAY = re.compile(r"^\s*(星期|周)[一二三四五六日天]\s*,?\s*")


def parse_rfc822(value: str) -> dt.datetime | None:
    """An RFC 822 date; a date with no zone (or `-0000`) is Asia/Shanghai."""
    text = _CHINESE_WEEKDAY.sub("", value.strip())
    try:
        parsed = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        parsed = None
    if parsed is None:
        return parse_iso(text)
    return parsed.replace(tzinfo=LOCAL_TZ) if parsed.tzinfo is None else parsed


def parse_iso(value: str) -> dt.datetime | None:
    """An RFC 3339 / ISO 8601 instant (Atom); a naive one is Asia/Shanghai."""
    text = value.strip()
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return parse_loose_date(text)
    return parsed.replace(tzinfo=LOCAL_TZ) if parsed.tzinfo is None else parsed


def _text(el: etree._Element | None) -> str | None:
    if el is None:
        return None
    value = "".join(el.itertext()).strip()
    return value or None


def parse_feed(body: bytes, *, content_type: str | None = None, status: int = 200) -> ParsedPage:
    """Parse an RSS or Atom document. Raises ParseError when it is not a usable feed."""
    if not body.strip():
        raise Blocked("empty body where a feed was expected")
    head = body[:512].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")):
        text, _ = decode_page(body, content_type)
        challenge = challenge_kind(text, status)
        if challenge:
            raise Blocked(f"{challenge} instead of the feed")
        if looks_like_challenge(text):
            raise Blocked("a captcha or 环境异常 page instead of the feed")
        raise Malformed("got an HTML page where an RSS or Atom feed was expected")
    body = _gb_as_utf8(body)
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError as exc:
        line = f"line {exc.lineno}: " if exc.lineno else ""
        raise Malformed(f"feed XML does not parse ({line}{exc.msg}); truncated or broken") from None
    if root is None:
        raise Malformed("feed XML is empty")
    tag = etree.QName(root).localname
    if tag == "rss":
        posts, undated, title = _rss(root)
    elif tag == "feed" and etree.QName(root).namespace == ATOM_NS:
        posts, undated, title = _atom(root)
    elif tag == "RDF":
        posts, undated, title = _rdf(root)
    else:
        raise Malformed(f"not an RSS or Atom feed (root element <{tag}>)")
    if undated and not posts:
        raise Malformed(f"{undated} feed items, none with a date that parses")
    name = f"{title!r}: " if title else ""
    detail = f"{name}{len(posts)} items" + (
        f", {undated} without a date skipped" if undated else ""
    )
    return ParsedPage(posts=posts, detail=detail)


_XML_ENCODING = re.compile(rb"""^(\s*<\?xml[^>]*encoding\s*=\s*["'])([A-Za-z0-9_-]+)(["'])""", re.I)
_GB_NAMES = (b"gb2312", b"gbk", b"gb18030", b"x-gbk", b"cp936", b"euc-cn")


def _gb_as_utf8(body: bytes) -> bytes:
    """A feed declared gb2312/gbk is re-encoded from GB18030 to UTF-8: libxml2 reads gb2312
    strictly and would reject the GBK-only characters such feeds often hold."""
    match = _XML_ENCODING.match(body)
    if not match or match.group(2).lower() not in _GB_NAMES:
        return body
    try:
        text = body.decode("gb18030")
    except UnicodeDecodeError:
        return body
    return _XML_ENCODING.sub(rb"\g<1>utf-8\g<3>", text.encode("utf-8"), count=1)


def _rss(root: etree._Element) -> tuple[list[ParsedPost], int, str | None]:
    channel = root.find("channel")
    if channel is None:
        raise Malformed("RSS feed has no <channel>")
    posts, undated = [], 0
    for item in channel.iter("item"):
        raw = _text(item.find("pubDate")) or _text(item.find(f"{{{DC_NS}}}date"))
        published = parse_rfc822(raw) if raw else None
        if published is None:
            undated += 1
            continue
        link = _text(item.find("link"))
        title = _text(item.find("title"))
        guid = _text(item.find("guid"))
        posts.append(
            ParsedPost(
                key=guid or link or f"{published.isoformat()}:{title}",
                published_at=published,
                title=title,
                url=link,
            )
        )
    return posts, undated, _text(channel.find("title"))


def _atom(root: etree._Element) -> tuple[list[ParsedPost], int, str | None]:
    ns = {"a": ATOM_NS}
    posts, undated = [], 0
    for entry in root.iterfind("a:entry", ns):
        raw = _text(entry.find("a:published", ns)) or _text(entry.find("a:updated", ns))
        published = parse_iso(raw) if raw else None
        if published is None:
            undated += 1
            continue
        link = None
        for candidate in entry.iterfind("a:link", ns):
            if candidate.get("rel", "alternate") == "alternate":
                link = candidate.get("href")
                break
        title = _text(entry.find("a:title", ns))
        entry_id = _text(entry.find("a:id", ns))
        posts.append(
            ParsedPost(
                key=entry_id or link or f"{published.isoformat()}:{title}",
                published_at=published,
                title=title,
                url=link,
            )
        )
    return posts, undated, _text(root.find("a:title", ns))


def _rdf(root: etree._Element) -> tuple[list[ParsedPost], int, str | None]:
    ns = {"r": RSS1_NS, "dc": DC_NS}
    posts, undated = [], 0
    for item in root.iterfind("r:item", ns):
        raw = _text(item.find("dc:date", ns))
        published = parse_iso(raw) if raw else None
        if published is None:
            undated += 1
            continue
        link = _text(item.find("r:link", ns))
        title = _text(item.find("r:title", ns))
        about = item.get(f"{{{RDF_NS}}}about")
        posts.append(
            ParsedPost(
                key=about or link or f"{published.isoformat()}:{title}",
                published_at=published,
                title=title,
                url=link,
            )
        )
    channel = root.find("r:channel", ns)
    return posts, undated, _text(channel.find("r:title", ns)) if channel is not None else None
