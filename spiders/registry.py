"""Which spider observes which source: the one place a new source is plugged in."""

from __future__ import annotations

from typing import TYPE_CHECKING

from registry.constants import Source

if TYPE_CHECKING:
    from spiders.base import SourceSpider

# Import paths, so that listing the spiders does not import Scrapy.
SPIDERS: dict[Source, str] = {
    Source.WEIBO: "spiders.sources.weibo.WeiboSpider",
    Source.WECHAT: "spiders.sources.wechat.WechatSpider",
    Source.BILIBILI: "spiders.sources.bilibili.BilibiliSpider",
    Source.FEED: "spiders.sources.feed.FeedSpider",
    Source.WEB: "spiders.sources.web.WebSpider",
}


def spider_class(source: Source) -> type[SourceSpider]:
    """The spider class for `source`; KeyError for a source no spider observes (manual)."""
    from importlib import import_module

    module, _, name = SPIDERS[source].rpartition(".")
    return getattr(import_module(module), name)
