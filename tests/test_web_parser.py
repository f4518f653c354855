"""The column-page parser on saved pages: every layout, encoding and date form, one field per test."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from registry.constants import LOCAL_TZ, Outcome
from spiders.parsers.common import ParsedPage, ParseError
from spiders.parsers.web import decode_page, parse_column, parse_date

PAGES = Path(__file__).parent / "pages" / "web"
CURRENT_TIME = dt.datetime(2026, 11, 28, 10, 0, tzinfo=LOCAL_TZ)
COLUMN_URL = "https://www.boai.gov.cn/zwgk/zwyw/"


def parse(name: str, **kwargs: object) -> ParsedPage:
    return parse_column((PAGES / name).read_bytes(), url=COLUMN_URL, now=CURRENT_TIME, **kwargs)


def failure(name: str, **kwargs: object) -> ParseError:
    with pytest.raises(ParseError) as info:
        parse(name, **kwargs)
    return info.value


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=LOCAL_TZ)


# ul/li rows, date after the link, a pinned old row, a dated sidebar and a dated footer ----------


@pytest.fixture(scope="module")
def ul_after() -> ParsedPage:
    return parse("ul_date_after.html")


def test_ul_after_finds_the_main_list_not_the_sidebar(ul_after: ParsedPage) -> None:
    assert len(ul_after.posts) == 5


def test_ul_after_newest_unpinned_post_is_the_24th(ul_after: ParsedPage) -> None:
    newest = max(p.published_at for p in ul_after.posts if not p.pinned)
    assert newest == local(2026, 11, 24)


def test_ul_after_pinned_row_is_marked(ul_after: ParsedPage) -> None:
    assert [p.published_at.date() for p in ul_after.posts if p.pinned] == [dt.date(2025, 1, 5)]


def test_ul_after_title_comes_from_the_full_title_attribute(ul_after: ParsedPage) -> None:
    assert ul_after.posts[1].title == "县长主持召开县政府第45次常务会议，研究部署冬季安全生产工作"


def test_title_cut_short_by_the_server_without_a_title_attribute_is_still_a_row() -> None:
    """CMS lists often cut titles to "…" server-side and give no title attribute; such a row is a
    post all the same (else the column looks older than it is)."""
    rows = [
        ("a.pdf", "关于旗下部分基金参加费率优惠活动的公告...", "2026-11-24"),
        ("b.pdf", "关于增加代销机构的公告", "2026-11-20"),
        ("c.pdf", "2026年第三季度报告提示性公告…", "2026-11-18"),
    ]
    html = "".join(
        f'<div class="list-all"><a href="{h}">{t}</a><span><span>{d}</span></span></div>'
        for h, t, d in rows
    )
    page = parse_column(
        f"<html><body><div id='list'>{html}</div></body></html>".encode(),
        url=COLUMN_URL,
        now=CURRENT_TIME,
    )
    assert [p.title for p in page.posts] == [t for _, t, _ in rows]
    assert max(p.published_at for p in page.posts) == local(2026, 11, 24)


def test_ul_after_relative_link_is_made_absolute(ul_after: ParsedPage) -> None:
    assert ul_after.posts[1].url == COLUMN_URL + "202611/t20261124_912.html"


def test_ul_after_date_in_a_title_is_not_the_publish_date(ul_after: ParsedPage) -> None:
    post = next(p for p in ul_after.posts if p.title and p.title.startswith("2026年11月17日"))
    assert post.published_at == local(2026, 11, 17)


def test_ul_after_date_only_is_midnight_shanghai(ul_after: ParsedPage) -> None:
    assert ul_after.posts[1].published_at.isoformat() == "2026-11-24T00:00:00+08:00"


# ul/li rows, [date] before the link -------------------------------------------------------------


def test_bracketed_date_before_link() -> None:
    page = parse("ul_date_before_bracket.html")
    assert [p.published_at.date().isoformat() for p in page.posts] == [
        "2026-11-26",
        "2026-11-19",
        "2026-11-03",
    ]


# table rows, 2026/11/24, GBK page declared gb2312 -----------------------------------------------


@pytest.fixture(scope="module")
def gbk_table() -> ParsedPage:
    return parse("table_gbk_declared_gb2312.html")


def test_gbk_table_rows_are_found(gbk_table: ParsedPage) -> None:
    assert len(gbk_table.posts) == 3


def test_gbk_only_characters_decode(gbk_table: ParsedPage) -> None:
    assert gbk_table.posts[2].title == "张喆、刘堃、陈赟同志任职前公示"


def test_gbk_slash_date(gbk_table: ParsedPage) -> None:
    assert gbk_table.posts[0].published_at == local(2026, 11, 25)


def test_gbk_detail_names_the_decoding(gbk_table: ParsedPage) -> None:
    assert gbk_table.detail.endswith("gb18030")


def test_gb2312_declared_page_is_decoded_as_gb18030() -> None:
    body = (PAGES / "table_gbk_declared_gb2312.html").read_bytes()
    text, encoding = decode_page(body)
    assert (encoding, "王镕" in text) == ("gb18030", True)


def test_gbk_header_overrides_nothing_when_body_is_utf8() -> None:
    text, encoding = decode_page("<p>博爱</p>".encode(), "text/html; charset=gbk")
    assert (encoding, text) == ("utf-8", "<p>博爱</p>")


# 2026年11月24日 in div rows ----------------------------------------------------------------------


def test_chinese_date_in_div_rows() -> None:
    page = parse("chinese_date_div.html")
    assert page.posts[1].published_at == local(2026, 11, 9)


# date and time inside the link -------------------------------------------------------------------


@pytest.fixture(scope="module")
def in_anchor() -> ParsedPage:
    return parse("date_in_anchor.html")


def test_date_inside_link_keeps_its_time(in_anchor: ParsedPage) -> None:
    assert in_anchor.posts[0].published_at == local(2026, 11, 25, 16, 30)


def test_date_inside_link_is_not_part_of_the_title(in_anchor: ParsedPage) -> None:
    assert in_anchor.posts[0].title == "博爱县2026年第三批次城镇建设用地征收土地公告"


# Hanweb datastore --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hanweb() -> ParsedPage:
    return parse("hanweb_datastore.html")


def test_hanweb_records_are_the_rows(hanweb: ParsedPage) -> None:
    assert len(hanweb.posts) == 3


def test_hanweb_newest_record(hanweb: ParsedPage) -> None:
    assert hanweb.posts[0].published_at == local(2026, 11, 26)


def test_hanweb_link(hanweb: ParsedPage) -> None:
    assert hanweb.posts[0].url == "https://www.boai.gov.cn/art/2026/11/26/art_18233_1290011.html"


def test_hanweb_detail_says_datastore(hanweb: ParsedPage) -> None:
    assert "Hanweb datastore" in hanweb.detail


# selectors for an odd site -----------------------------------------------------------------------

ODD_SELECTORS = {"item": "article.card", "title": "h4 a", "date": "time"}


def test_odd_site_defeats_the_layout_heuristics() -> None:
    assert failure("many_links_selectors.html").outcome is Outcome.MALFORMED


def test_odd_site_with_selectors() -> None:
    page = parse("many_links_selectors.html", selectors=ODD_SELECTORS)
    assert [(p.title, p.published_at) for p in page.posts] == [
        ("博爱县第十届竹文化节开幕", local(2026, 11, 22)),
        ("太行山下红叶正浓", local(2026, 11, 12)),
    ]


def test_selectors_matching_nothing_is_malformed_and_says_so() -> None:
    error = failure("many_links_selectors.html", selectors={"item": "li.nothing"})
    assert "selectors matched no dated rows" in error.detail


def test_unknown_selector_key_is_malformed() -> None:
    error = failure("many_links_selectors.html", selectors={"item": "article", "datum": "time"})
    assert error.outcome is Outcome.MALFORMED


# empty, blocked, malformed ------------------------------------------------------------------------


def test_empty_column_is_ok_with_no_posts() -> None:
    assert parse("empty_column.html").posts == []


def test_412_ruishu_challenge_is_blocked() -> None:
    assert failure("challenge_412.html", status=412).outcome is Outcome.BLOCKED


def test_js_cookie_challenge_is_blocked() -> None:
    # The cookie name is spelled out piece by piece, as 加速乐 does: the generic rule catches it.
    error = failure("js_cookie_challenge.html")
    assert (error.outcome, error.detail) == (
        Outcome.BLOCKED,
        "JavaScript cookie challenge instead of the column page",
    )


def test_page_without_dates_is_malformed() -> None:
    assert failure("no_dates.html").outcome is Outcome.MALFORMED


def test_page_without_dates_says_so() -> None:
    assert failure("no_dates.html").detail.startswith("no dates found on the page")


# date forms ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-24", local(2026, 11, 24)),
        ("[2026-11-24]", local(2026, 11, 24)),
        ("2026/11/24", local(2026, 11, 24)),
        ("2026年11月24日", local(2026, 11, 24)),
        ("2026.11.24", local(2026, 11, 24)),
        ("发布日期：2026-11-24 08:05", local(2026, 11, 24, 8, 5)),
        ("（2026-1-5）", local(2026, 1, 5)),
        ("11-24", local(2026, 11, 24)),
        ("12-30", local(2025, 12, 30)),  # a month-day after tomorrow is last year's
    ],
)
def test_date_forms(text: str, expected: dt.datetime) -> None:
    assert parse_date(text, CURRENT_TIME, whole=True) == expected


@pytest.mark.parametrize("text", ["2026-02-30", "第2026-11号", "2026-11-24县委常委会"])
def test_not_whole_dates(text: str) -> None:
    assert parse_date(text, CURRENT_TIME, whole=True) is None


# selectors in config.yaml --------------------------------------------------------------------------


def test_selector_typo_is_a_config_error_with_a_hint(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from govmedia.cli import main

    config = tmp_path / "config.yaml"
    config.write_text(
        "jurisdiction: 测试县\n"
        "policy: {require_exception_basis: false}\n"
        "departments:\n"
        "  - id: d\n"
        "    name: 测试单位\n"
        "    level: county\n"
        "    accounts:\n"
        "      - id: w\n"
        "        name: 图片新闻\n"
        "        platform: website\n"
        '        url: "https://www.boai.gov.cn/tpxw/"\n'
        "        owner: {name: 赵晓燕, phone: '13800000000'}\n"
        "        selectors: {itme: article.card, date: time}\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["validate", "-c", str(config)])
    assert result.exit_code == 2
    assert "selectors: unknown selector `itme`; did you mean `item`?" in result.output
