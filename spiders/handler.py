"""govmedia's HTTP download handler: Scrapy's requests sent with aiohttp.

Scrapy's default handler parses HTTP in pure Python on Twisted; a crawl of thousands of small
JSON answers spends about a quarter of its CPU there. aiohttp parses with its C parser (llhttp)
on the asyncio loop Scrapy already runs (Scrapy's default asyncio reactor), and this handler does
only what a govmedia crawl needs, through Scrapy's public handler interface (`DOWNLOAD_HANDLERS`):

- one connection pool per crawler (so per source), sized by that source's concurrency;
- the URL exactly as Scrapy made it safe, never re-quoted (Bilibili's Wbi signature covers it);
- no cookies kept, no redirects followed (Scrapy's redirect middleware decides), no decompression
  (Scrapy's compression middleware does it), no headers of aiohttp's own;
- certificates verified: the API sources carry the office's login;
- a proxy from the environment (`https_proxy`, through Scrapy's proxy middleware) is used, its
  credentials sent to the proxy only;
- a body cut short keeps what arrived, flagged `dataloss` (the spiders judge it malformed, with
  the evidence kept); a body over `DOWNLOAD_MAXSIZE` is refused;
- transport failures become Scrapy's download exceptions, which the spiders map to outcomes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import aiohttp
import yarl
from scrapy.core.downloader.handlers.base import BaseDownloadHandler
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    ResponseDataLossError,
)
from scrapy.http import Headers
from scrapy.responsetypes import responsetypes

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

# aiohttp adds these unless told not to; Scrapy's middlewares set the ones a request needs.
_SKIP_AUTO_HEADERS = ("Accept", "Accept-Encoding", "Content-Type", "User-Agent")
_CHUNK = 64 * 1024


class AiohttpDownloadHandler(BaseDownloadHandler):
    """Downloads http and https requests for one crawler with one aiohttp session."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        settings = crawler.settings
        self._pool_size = settings.getint("CONCURRENT_REQUESTS")
        self._pool_per_host = settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN")
        self._maxsize = settings.getint("DOWNLOAD_MAXSIZE")
        self._fail_on_dataloss = settings.getbool("DOWNLOAD_FAIL_ON_DATALOSS")
        self._session: aiohttp.ClientSession | None = None

    def _open_session(self) -> aiohttp.ClientSession:
        # Created on first use, inside the running loop (aiohttp binds a session to its loop).
        connector = aiohttp.TCPConnector(limit=self._pool_size, limit_per_host=self._pool_per_host)
        return aiohttp.ClientSession(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),
            auto_decompress=False,
            skip_auto_headers=_SKIP_AUTO_HEADERS,
        )

    async def download_request(self, request: Request) -> Response:
        if self._session is None:
            self._session = self._open_session()
        timeout = request.meta.get("download_timeout") or None
        headers: list[tuple[str, str]] = []
        proxy_headers: dict[str, str] = {}
        tunnelled = request.url.startswith("https:")
        url = yarl.URL(request.url, encoded=True)  # as Scrapy made it safe, never re-quoted
        for name, values in request.headers.items():
            for value in values:
                pair = (name.decode("latin-1"), value.decode("latin-1"))
                # A plain-http request goes to the proxy itself; an https one only through a
                # CONNECT tunnel, whose own headers carry the proxy's credentials.
                if pair[0].lower() == "proxy-authorization" and tunnelled:
                    proxy_headers[pair[0]] = pair[1]
                else:
                    headers.append(pair)
        try:
            async with self._session.request(
                request.method,
                url,
                data=request.body or None,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=timeout),
                allow_redirects=False,
                proxy=request.meta.get("proxy"),  # Scrapy's HttpProxyMiddleware, from the env
                proxy_headers=proxy_headers or None,
            ) as answer:
                return await self._read(request, answer)
        except TimeoutError as exc:
            raise DownloadTimeoutError(
                f"Getting {request.url} took longer than {timeout} seconds."
            ) from exc
        except aiohttp.ClientConnectorDNSError as exc:
            raise CannotResolveHostError(str(exc)) from exc
        except aiohttp.ClientConnectorCertificateError as exc:
            raise DownloadFailedError(f"certificate not accepted: {exc}") from exc
        except aiohttp.ClientConnectorError as exc:
            raise DownloadConnectionRefusedError(str(exc)) from exc
        except aiohttp.ClientError as exc:
            raise DownloadFailedError(str(exc) or type(exc).__name__) from exc

    async def _read(self, request: Request, answer: aiohttp.ClientResponse) -> Response:
        maxsize = request.meta.get("download_maxsize", self._maxsize)
        if maxsize and (answer.content_length or 0) > maxsize:
            raise DownloadCancelledError(
                f"{request.url} announces {answer.content_length} bytes, over {maxsize}"
            )
        flags: list[str] = []
        chunks: list[bytes] = []
        received = 0
        try:
            while chunk := await answer.content.read(_CHUNK):
                chunks.append(chunk)
                received += len(chunk)
                if maxsize and received > maxsize:
                    raise DownloadCancelledError(f"{request.url} sent over {maxsize} bytes")
        except aiohttp.ClientPayloadError as exc:
            if request.meta.get("download_fail_on_dataloss", self._fail_on_dataloss):
                raise ResponseDataLossError(f"the body was cut off: {exc}") from exc
            flags.append("dataloss")
        body = b"".join(chunks)
        headers = Headers(list(answer.raw_headers))
        response_class = responsetypes.from_args(headers=headers, url=request.url, body=body)
        response = response_class(
            url=request.url,
            status=answer.status,
            body=body,
            flags=flags,
            protocol=f"HTTP/{answer.version.major}.{answer.version.minor}"
            if answer.version
            else None,
        )
        response.headers = headers  # given to the constructor, it would be copied key by key
        return response

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
