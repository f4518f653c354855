"""Feeds: an RSS or Atom document from a bridge (RSSHub, we-mp-rss), read by spiders/parsers/feed.py.

A feed is one document, so there is no paging: what the bridge serves is what is seen.
"""

from __future__ import annotations

from scrapy.http import Request, Response

from registry.constants import Source
from spiders.base import Job
from spiders.parsers import feed
from spiders.sources.web import RedirectFollowing


class FeedSpider(RedirectFollowing):
    source = Source.FEED
    accept = "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.8"

    def first_request(self, job: Job) -> Request:
        return self.fetch(job, job.target.identifier or "", self.on_feed)

    def on_feed(self, job: Job, response: Response) -> Request | None:
        redirect = self.follow(job, response, self.on_feed)
        if redirect is not None:
            return redirect
        content_type = response.headers.get("Content-Type", b"").decode("latin-1") or None
        page = feed.parse_feed(response.body, content_type=content_type, status=response.status)
        return self.next_page(job, response, page, None)
