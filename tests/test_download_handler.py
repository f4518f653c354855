"""spiders/handler.py over real sockets on 127.0.0.1: what reaches the spiders for answers the
simulated platforms never give (a body cut short of its length, an oversized body, a closed port).
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from scrapy import Request
from scrapy.exceptions import (
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    ResponseDataLossError,
)
from scrapy.http import TextResponse
from scrapy.settings import Settings

from spiders.handler import AiohttpDownloadHandler


class RawServer:
    """Answers each connection with fixed bytes, then closes it; keeps what it was sent."""

    def __init__(self, answer: bytes, *, hold: threading.Event | None = None) -> None:
        self.answer = answer
        self.hold = hold
        self.received: list[bytes] = []
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                self.received.append(data)
                if self.hold is not None:
                    self.hold.wait(10)
                    continue
                conn.sendall(self.answer)

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def serve() -> Iterator[list[RawServer]]:
    servers: list[RawServer] = []
    yield servers
    for server in servers:
        server.close()


def download(request: Request, **settings: object) -> object:
    crawler = SimpleNamespace(
        settings=Settings(
            {
                "CONCURRENT_REQUESTS": 2,
                "CONCURRENT_REQUESTS_PER_DOMAIN": 2,
                "DOWNLOAD_MAXSIZE": 1024,
                "DOWNLOAD_FAIL_ON_DATALOSS": False,
                **settings,
            }
        )
    )

    async def run() -> object:
        handler = AiohttpDownloadHandler(crawler)  # type: ignore[arg-type]
        try:
            return await handler.download_request(request)
        finally:
            await handler.close()

    return asyncio.run(run())


def test_answer_status_headers_and_body(serve: list[RawServer]) -> None:
    body = '{"ok": 1, "msg": "正常"}'.encode()
    server = RawServer(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\n"
        b"Set-Cookie: a=1\r\nSet-Cookie: b=2\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
    )
    serve.append(server)
    request = Request(
        f"{server.url}/api?x=1",
        headers={"User-Agent": "govmedia-test", "Cookie": "SUB=abc"},
        meta={"download_timeout": 5},
    )
    response = download(request)
    assert isinstance(response, TextResponse)
    assert response.status == 200
    assert response.body == body
    assert response.headers.getlist("Set-Cookie") == [b"a=1", b"b=2"]
    assert response.flags == []
    sent = server.received[0].decode("latin-1")
    assert sent.startswith("GET /api?x=1 HTTP/1.1\r\n")
    assert "User-Agent: govmedia-test\r\n" in sent
    assert "Cookie: SUB=abc\r\n" in sent
    assert "Accept-Encoding" not in sent  # only what Scrapy's middlewares set


def test_url_is_sent_as_scrapy_made_it(serve: list[RawServer]) -> None:
    """A signed query (Bilibili's Wbi) must reach the platform byte for byte."""
    server = RawServer(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    serve.append(server)
    download(Request(f"{server.url}/x?q=%7E&s=a%2Fb&w=%E5%8E%BF", meta={"download_timeout": 5}))
    assert server.received[0].startswith(b"GET /x?q=%7E&s=a%2Fb&w=%E5%8E%BF HTTP/1.1\r\n")


def test_body_cut_short_is_kept_and_flagged(serve: list[RawServer]) -> None:
    server = RawServer(b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"ok": 1, "da')
    serve.append(server)
    response = download(Request(server.url, meta={"download_timeout": 5}))
    assert response.flags == ["dataloss"]  # type: ignore[attr-defined]
    assert response.body == b'{"ok": 1, "da'  # type: ignore[attr-defined]


def test_body_cut_short_fails_when_asked_to(serve: list[RawServer]) -> None:
    server = RawServer(b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"ok": 1, "da')
    serve.append(server)
    request = Request(server.url, meta={"download_timeout": 5, "download_fail_on_dataloss": True})
    with pytest.raises(ResponseDataLossError):
        download(request)


def test_oversized_body_is_refused(serve: list[RawServer]) -> None:
    server = RawServer(b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n" + b"x" * 5000)
    serve.append(server)
    with pytest.raises(DownloadCancelledError, match="over 1024"):
        download(Request(server.url, meta={"download_timeout": 5}))


def test_closed_port_is_connection_refused() -> None:
    with socket.create_server(("127.0.0.1", 0)) as sock:
        port = sock.getsockname()[1]
    with pytest.raises(DownloadConnectionRefusedError):
        download(Request(f"http://127.0.0.1:{port}/", meta={"download_timeout": 5}))


def test_no_answer_is_a_timeout(serve: list[RawServer]) -> None:
    release = threading.Event()
    server = RawServer(b"", hold=release)
    serve.append(server)
    try:
        with pytest.raises(DownloadTimeoutError, match="longer than 0.3 seconds"):
            download(Request(server.url, meta={"download_timeout": 0.3}))
    finally:
        release.set()


def test_proxy_from_meta_gets_the_credentials(serve: list[RawServer]) -> None:
    proxy = RawServer(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
    serve.append(proxy)
    request = Request(
        "http://platform.test/api?uid=1",
        headers={"Proxy-Authorization": "Basic dXNlcjpwdw=="},
        meta={"download_timeout": 5, "proxy": proxy.url},
    )
    response = download(request)
    assert response.body == b"ok"  # type: ignore[attr-defined]
    sent = proxy.received[0].decode("latin-1")
    assert sent.startswith("GET http://platform.test/api?uid=1 HTTP/1.1\r\n")
    assert "Proxy-Authorization: Basic dXNlcjpwdw==\r\n" in sent


def test_proxy_credentials_never_go_through_a_tunnel(serve: list[RawServer]) -> None:
    proxy = RawServer(b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n")
    serve.append(proxy)
    request = Request(
        "https://platform.test/api?uid=1",
        headers={"Proxy-Authorization": "Basic dXNlcjpwdw=="},
        meta={"download_timeout": 5, "proxy": proxy.url},
    )
    with pytest.raises(DownloadFailedError, match="407"):
        download(request)
    sent = proxy.received[0].decode("latin-1")
    assert sent.startswith("CONNECT platform.test:443 HTTP/1.1\r\n")
    assert "Proxy-Authorization: Basic dXNlcjpwdw==\r\n" in sent
