"""A government site's column list page (栏目列表页) → its posts and their dates.

No per-site configuration on the common layouts: every text piece that holds a date is walked up to
the nearest element that also holds a titled link (an `li`, a `tr`, a `div`…), those rows are grouped
by their place in the page (tag and class path), and the largest group is the column's list. That
covers `ul/li` rows with the date before or after the link, table rows, dates inside the link, and
the rows a Hanweb (大汉) page keeps in `<script type="text/xml"><datastore>` CDATA records. An odd site
names its rows with CSS selectors (`selectors: {item, title, link, date}`) instead.

Pages come in UTF-8 or in GBK/GB2312 (often declared gb2312 while holding GBK-only characters such
as 镕 or 珺), so GB pages decode as GB18030, the superset. A date without a time is that day at
00:00 Asia/Shanghai. 暂无信息 is an empty column (ok, no posts); a 瑞数 or JavaScript cookie challenge
is blocked; a page with no dated rows at all is malformed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from urllib.parse import urljoin

from lxml import etree

from registry.constants import LOCAL_TZ
from spiders.parsers.common import (
    Blocked,
    Malformed,
    ParsedPage,
    ParsedPost,
    looks_like_challenge,
)

# --------------------------------------------------------------------------------------------
# Decoding

_GB_NAMES = {"gb2312", "gbk", "gb18030", "x-gbk", "cp936", "euc-cn", "csgb2312", "gb_2312-80"}
_UTF8_NAMES = {"utf-8", "utf8", "unicode-1-1-utf-8"}
_META_CHARSET = re.compile(rb"""<meta[^>]{0,300}?charset\s*=\s*["']?\s*([A-Za-z0-9_:.-]+)""", re.I)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9_:.-]+)""", re.I)


def _normalise_charset(name: str | None) -> str | None:
    if not name:
        return None
    lowered = name.strip().lower()
    if lowered in _GB_NAMES:
        return "gb18030"
    if lowered in _UTF8_NAMES:
        return "utf-8"
    import codecs

    try:
        return codecs.lookup(lowered).name
    except LookupError:
        return None


def declared_charset(body: bytes, content_type: str | None) -> str | None:
    """The charset the page claims: the HTTP header first, else a `<meta>` in the first 4 KB."""
    if content_type:
        match = _HEADER_CHARSET.search(content_type)
        if match:
            return match.group(1).lower()
    match = _META_CHARSET.search(body[:4096])
    return match.group(1).decode("ascii", "replace").lower() if match else None


def decode_page(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """(text, encoding used). UTF-8 is tried first whatever the page says (GB text is almost never
    valid UTF-8, while UTF-8 bytes always "decode" as GB18030 into nonsense), then the declared
    charset with every GB name read as GB18030, then GB18030 itself."""
    if body.startswith(b"\xef\xbb\xbf"):
        return body[3:].decode("utf-8", "replace"), "utf-8"
    if body.startswith((b"\xff\xfe", b"\xfe\xff")):
        return body.decode("utf-16", "replace"), "utf-16"
    declared = _normalise_charset(declared_charset(body, content_type))
    for encoding in dict.fromkeys(("utf-8", declared or "utf-8", "gb18030")):
        try:
            return body.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError):
            continue
    return body.decode(declared or "utf-8", "replace"), f"{declared or 'utf-8'} (with errors)"


# --------------------------------------------------------------------------------------------
# Challenges and empty columns

# Markers of the anti-bot pages government sites put in front of their columns: 瑞数 (Botgate,
# `$_ts` and its `FSSBBIl1UgzbN7N80` cookies), 加速乐 (`__jsl_clearance`), 云锁 (`YunSuoAutoJump`),
# 安全狗 (`safedog`), and the generic "set a cookie in JavaScript, then reload" page.
_CHALLENGE_MARKERS = (
    ("$_ts", "瑞数 (Botgate) challenge"),
    ("FSSBBIl1UgzbN7N80", "瑞数 (Botgate) challenge"),
    ("__jsl_clearance", "加速乐 JavaScript cookie challenge"),
    ("__jsluid", "加速乐 JavaScript cookie challenge"),
    ("YunSuoAutoJump", "云锁 JavaScript challenge"),
    ("security_verify_", "云锁 JavaScript challenge"),
    ("safedog", "安全狗 challenge"),
)
_JS_COOKIE = re.compile(r"document\.cookie\s*=", re.I)
_JS_RELOAD = re.compile(r"location(?:\.href\s*=|\.replace\(|\.reload\(|\s*=)", re.I)
_EMPTY_MARKERS = ("暂无信息", "暂无数据", "暂无内容", "暂无记录", "没有相关信息", "暂无相关信息")


def challenge_kind(text: str, status: int = 200) -> str | None:
    """What kind of anti-bot challenge `text` is, or None when it is a real page."""
    head = text[:20000]
    for marker, kind in _CHALLENGE_MARKERS:
        if marker in head:
            return kind
    if status == 412:
        return "HTTP 412 challenge (瑞数)"
    if _JS_COOKIE.search(head) and _JS_RELOAD.search(head) and len(text) < 20000:
        return "JavaScript cookie challenge"
    return None


# --------------------------------------------------------------------------------------------
# Dates

_Y = r"(?P<y>(?:19|20)\d{2})"
_MD = r"(?P<m>\d{1,2})\s*(?:[-/.]|月)\s*(?P<d>\d{1,2})\s*日?"
_TIME = r"(?:\s*(?P<H>\d{1,2})[:：](?P<M>\d{2})(?:[:：](?P<S>\d{2}))?)?"
_FULL_DATE = _Y + r"\s*(?:[-/.]|年)\s*" + _MD + _TIME
DATE_RE = re.compile(r"(?<!\d)" + _FULL_DATE + r"(?!\d)")
_LABEL = r"(?:(?:发布|更新|成文|公开|发文)?(?:日期|时间)\s*[:：]\s*)?"
_OPEN, _CLOSE = r"[\[\(（【〔]?\s*", r"\s*[\]\)）】〕]?"
DATE_ONLY_RE = re.compile(r"^" + _OPEN + _LABEL + _FULL_DATE + _CLOSE + r"$")
# A bare month-day ("11-24", "[11-24]") some lists show for this year's posts.
MONTH_DAY_ONLY_RE = re.compile(
    r"^" + _OPEN + r"(?P<m>\d{1,2})\s*(?:[-/]|月)\s*(?P<d>\d{1,2})\s*日?" + _CLOSE + r"$"
)


def _instant(match: re.Match[str], year: int | None = None) -> dt.datetime | None:
    parts = match.groupdict()
    try:
        return dt.datetime(
            year if year is not None else int(parts["y"]),
            int(parts["m"]),
            int(parts["d"]),
            int(parts.get("H") or 0),
            int(parts.get("M") or 0),
            int(parts.get("S") or 0),
            tzinfo=LOCAL_TZ,
        )
    except ValueError:  # 2026-02-30, 25:00
        return None


def parse_date(
    text: str, now: dt.datetime | None = None, *, whole: bool = False
) -> dt.datetime | None:
    """The first date in `text` (or `text` as a whole date when `whole`), in Asia/Shanghai.

    A bare month-day needs `now`: it is the latest such day not after tomorrow.
    """
    text = " ".join(text.split())
    match = (DATE_ONLY_RE.match if whole else DATE_RE.search)(text)
    if match:
        return _instant(match)
    if now is not None:
        md = MONTH_DAY_ONLY_RE.match(text)
        if md:
            local_now = now.astimezone(LOCAL_TZ)
            for year in (local_now.year, local_now.year - 1):
                found = _instant(md, year)
                if found is not None and found.date() <= local_now.date() + dt.timedelta(days=1):
                    return found
    return None


# --------------------------------------------------------------------------------------------
# Rows


@dataclass
class _Row:
    element: etree._Element
    published_at: dt.datetime
    date_text: str
    origin: str  # "page" or "datastore"
    anchors: list[etree._Element]  # its titled links


_NOT_TITLES = re.compile(
    r"^(更多|more|>>|»|查看更多|详细|详情|\.\.\.|…|首页|上一页|下一页|尾页)$", re.I
)
_PIN_CLASSES = {"zhiding", "istop", "is-top", "is_top", "pinned", "settop", "top-icon", "zd"}
_DATASTORE_RECORD = re.compile(r"<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", re.S)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
_MAX_ROW_DEPTH = 5
# Plain lxml elements: lxml.html's element classes cost a third of the parse and add nothing here.
_HTML_PARSER = etree.HTMLParser(remove_comments=True, remove_pis=True, no_network=True)
_MAX_ANCHORS_PER_ROW = 3


def _is_anchor(el: etree._Element) -> bool:
    return isinstance(el.tag, str) and el.tag == "a"


def _inside_anchor(el: etree._Element) -> bool:
    node: etree._Element | None = el
    while node is not None:
        if _is_anchor(node):
            return True
        node = node.getparent()
    return False


def _anchor_title(a: etree._Element) -> str:
    """The link's visible text, or its `title` attribute when that says more. A visible text the
    server cut short ("…", "...", common on CMS lists) is still the row's title when there is no
    attribute: the row is a post all the same."""
    pieces = (p for p in a.itertext() if p.strip() and not parse_date(p, whole=True))
    text = " ".join(" ".join(pieces).split())
    title = " ".join((a.get("title") or "").split())
    if title and (len(title) >= len(text) or text.endswith(("...", "…"))):
        return title
    return text


class _Memo:
    """One page's memo. Rows are found by walking up from every date, so the same elements and
    links are looked at many times; each is worked out once. Keyed by element (which keeps
    lxml's element proxies, and so the keys, alive for the page)."""

    __slots__ = ("anchors", "titles")

    def __init__(self) -> None:
        self.anchors: dict[etree._Element, list[etree._Element]] = {}
        self.titles: dict[etree._Element, str] = {}

    def title(self, a: etree._Element) -> str:
        found = self.titles.get(a)
        if found is None:
            found = self.titles[a] = _anchor_title(a)
        return found


def _titled_anchors(el: etree._Element, memo: _Memo) -> list[etree._Element]:
    """The links in `el` that carry a title (not 更多, not a bare date)."""
    found = memo.anchors.get(el)
    if found is not None:
        return found
    anchors = [el] if _is_anchor(el) else list(el.iter("a"))
    out = []
    for a in anchors:
        if not a.get("href") and not a.get("onclick"):
            continue
        title = memo.title(a)
        if len(title) < 2 or _NOT_TITLES.match(title) or parse_date(title, whole=True):
            continue
        out.append(a)
    memo.anchors[el] = out
    return out


def _text_pieces(root: etree._Element) -> Iterator[tuple[etree._Element, str]]:
    """(element that owns the text, text) for every text and tail in `root`."""
    for el in root.iter():
        if not isinstance(el.tag, str) or el.tag in ("script", "style"):
            continue
        if el.text and el.text.strip():
            yield el, el.text
        for child in el:
            if child.tail and child.tail.strip():
                yield el, child.tail


def _row_for(el: etree._Element, memo: _Memo) -> etree._Element | None:
    """The nearest element around `el` that also holds a titled link: the list row."""
    node: etree._Element | None = el
    for _ in range(_MAX_ROW_DEPTH + 1):
        if node is None or node.tag in ("body", "html"):
            return None
        anchors = _titled_anchors(node, memo)
        if anchors:
            if len(anchors) > _MAX_ANCHORS_PER_ROW:
                return None
            if _is_anchor(node):  # a date inside the link: the row is around the link
                parent = node.getparent()
                return parent if parent is not None else node
            return node
        node = node.getparent()
    return None


def _dated_rows(
    root: etree._Element, origin: str, now: dt.datetime | None, memo: _Memo
) -> list[_Row]:
    rows: dict[etree._Element, _Row] = {}
    fallback: dict[etree._Element, _Row] = {}
    for owner, text in _text_pieces(root):
        whole = parse_date(text, now, whole=True)
        found = whole
        if found is None:
            if _inside_anchor(owner):
                continue  # a date in a title ("2026年11月24日县委常委会") is not a publish date
            found = parse_date(text)
            if found is None:
                continue
        row = _row_for(owner, memo)
        if row is None:
            continue
        target = rows if whole is not None else fallback
        if row not in target:
            target[row] = _Row(row, found, text.strip(), origin, _titled_anchors(row, memo))
    for key, row in fallback.items():
        rows.setdefault(key, row)
    return list(rows.values())


def _signature(
    el: etree._Element, cache: dict[etree._Element, tuple[tuple[str, str], ...]]
) -> tuple[tuple[str, str], ...]:
    """The row's tag and its ancestors' tags and classes: rows of one list share it. The row's
    own class is left out, since a pinned or highlighted row often carries an extra one."""
    parent = el.getparent()
    if parent is None:
        return ((str(el.tag), ""),)
    path = cache.get(parent)
    if path is None:
        path = []
        node: etree._Element | None = parent
        while node is not None:
            path.append((str(node.tag), " ".join(sorted((node.get("class") or "").split()))))
            node = node.getparent()
        path = cache[parent] = tuple(path)
    return ((str(el.tag), ""), *path)


def _is_pinned(row: etree._Element) -> bool:
    text = "".join(row.itertext())
    if "置顶" in text:
        return True
    for el in row.iter():
        if not isinstance(el.tag, str):
            continue
        if "置顶" in (el.get("alt") or "") + (el.get("title") or ""):
            return True
        if _PIN_CLASSES & set((el.get("class") or "").lower().split()):
            return True
    return False


def _post_from_row(
    row: etree._Element,
    published_at: dt.datetime,
    page_url: str,
    anchors: list[etree._Element],
    memo: _Memo,
) -> ParsedPost | None:
    if not anchors:
        return None
    anchor = max(anchors, key=lambda a: len(memo.title(a)))
    href = (anchor.get("href") or "").strip()
    url = urljoin(page_url, href) if href and not href.lower().startswith("javascript:") else None
    title = _clean_title(memo.title(anchor))
    key = url or f"{published_at.date().isoformat()}:{title}"
    return ParsedPost(
        key=key,
        published_at=published_at,
        title=title,
        url=url,
        pinned=_is_pinned(row),
    )


def _clean_title(title: str) -> str:
    return re.sub(r"^\s*[\[【]置顶[\]】]\s*", "", title).strip()


def _datastore_roots(doc: etree._Element) -> list[etree._Element]:
    """Each Hanweb `<datastore>` script's records, parsed as one HTML fragment."""
    roots = []
    for script in doc.iter("script"):
        if (script.get("type") or "").lower() != "text/xml":
            continue
        records = _DATASTORE_RECORD.findall(script.text or "")
        if records:
            html = "<div class='hanweb-datastore'>" + "".join(records) + "</div>"
            root = etree.fromstring(html, _HTML_PARSER)
            if root is not None:
                roots.append(root)
    return roots


# --------------------------------------------------------------------------------------------
# The page


SELECTOR_KEYS = ("item", "title", "link", "date")


def parse_column(
    body: bytes,
    *,
    url: str,
    now: dt.datetime,
    content_type: str | None = None,
    status: int = 200,
    selectors: Mapping[str, str] | None = None,
) -> ParsedPage:
    """Parse a column list page. Raises ParseError (blocked or malformed) when it is not one."""
    text, encoding = decode_page(body, content_type)
    challenge = challenge_kind(text, status)
    if challenge:
        raise Blocked(f"{challenge} instead of the column page")
    if not text.strip():
        raise Blocked("empty page where a column list was expected")
    try:
        doc = etree.fromstring(_XML_DECL.sub("", text, count=1), _HTML_PARSER)
    except (etree.ParserError, ValueError) as exc:
        raise Malformed(f"not an HTML page: {exc}") from None
    if doc is None:
        raise Malformed("not an HTML page: nothing to parse")
    page_title = " ".join((doc.findtext(".//title") or "").split())

    if selectors:
        posts = _by_selectors(doc, selectors, url, now)
        layout = f"selectors (item {selectors['item']!r})"
    else:
        posts, layout = _by_layout(doc, url, now)

    if not posts:
        if any(marker in text for marker in _EMPTY_MARKERS):
            return ParsedPage(posts=[], detail=f"empty column (暂无信息); {encoding}")
        if looks_like_challenge(text):
            raise Blocked("a captcha or 环境异常 page instead of the column page")
        if selectors:
            raise Malformed(
                f"selectors matched no dated rows (item {selectors['item']!r}); "
                "check the column's selectors",
            )
        raise Malformed(
            "no dates found on the page: no list row holds a link and a date such as "
            "2026-11-24, 2026/11/24 or 2026年11月24日"
            + (f" (page title {page_title!r})" if page_title else ""),
        )
    pinned = sum(1 for p in posts if p.pinned)
    detail = f"{len(posts)} rows from {layout}" + (f", {pinned} pinned" if pinned else "")
    return ParsedPage(posts=posts, detail=f"{detail}; {encoding}")


def _by_layout(doc: etree._Element, url: str, now: dt.datetime) -> tuple[list[ParsedPost], str]:
    memo = _Memo()
    rows = _dated_rows(doc, "page", now, memo)
    for root in _datastore_roots(doc):
        rows.extend(_dated_rows(root, "datastore", now, memo))
    if not rows:
        return [], "no rows"
    groups: dict[tuple[tuple[str, str], ...], list[_Row]] = {}
    signatures: dict[etree._Element, tuple[tuple[str, str], ...]] = {}
    for row in rows:
        groups.setdefault(_signature(row.element, signatures), []).append(row)
    best = max(groups.values(), key=len)  # the first largest group wins a tie
    posts = []
    seen: set[str] = set()
    for row in best:
        post = _post_from_row(row.element, row.published_at, url, row.anchors, memo)
        if post is not None and post.key not in seen:
            seen.add(post.key)
            posts.append(post)
    tag = best[0].element.tag
    where = "Hanweb datastore" if best[0].origin == "datastore" else f"<{tag}> rows"
    return posts, where


def _by_selectors(
    doc: etree._Element, selectors: Mapping[str, str], url: str, now: dt.datetime
) -> list[ParsedPost]:
    from lxml.cssselect import CSSSelector, SelectorError

    unknown = sorted(set(selectors) - set(SELECTOR_KEYS))
    if unknown or "item" not in selectors:
        raise Malformed(
            f"selectors need `item` and may have {', '.join(SELECTOR_KEYS[1:])}; "
            f"got {', '.join(sorted(selectors))}",
        )
    try:
        compiled = {k: CSSSelector(v) for k, v in selectors.items()}
    except SelectorError as exc:
        raise Malformed(f"bad CSS selector: {exc}") from None
    posts = []
    for item in compiled["item"](doc):
        date_els = compiled["date"](item) if "date" in compiled else [item]
        published = None
        for el in date_els:
            piece = " ".join(el.itertext())
            published = parse_date(piece, now, whole=True) or parse_date(piece)
            if published:
                break
        if published is None:
            continue
        link_el = (compiled["link"](item) or [None])[0] if "link" in compiled else None
        title_el = (compiled["title"](item) or [None])[0] if "title" in compiled else None
        anchor = link_el if link_el is not None else next(iter(item.iter("a")), None)
        href = (anchor.get("href") or "").strip() if anchor is not None else ""
        link = urljoin(url, href) if href and not href.startswith("javascript:") else None
        title_src = title_el if title_el is not None else anchor
        title = _anchor_title(title_src) if title_src is not None else ""
        title = _clean_title(title)
        posts.append(
            ParsedPost(
                key=link or f"{published.date().isoformat()}:{title}",
                published_at=published,
                title=title or None,
                url=link,
                pinned=_is_pinned(item),
            )
        )
    return posts
