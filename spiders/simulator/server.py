"""The simulated platforms over real HTTP on 127.0.0.1: a threaded server with its own clock.

Every answer carries a `Date` header from the simulator's clock, which tests set. A platform module
answers a `SimRequest` with a `SimResponse`; the server adds the shared bad cases a profile asks
for (slow answers, 5xx, empty bodies, captcha pages) through `fault_response`.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import threading
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from spiders.simulator.world import Profile, SimAccount, World


class Clock:
    """The simulator's clock: frozen at a set instant, or the system clock when unset."""

    def __init__(self, now: dt.datetime | None = None) -> None:
        self._now = now
        self._lock = threading.Lock()

    def now(self) -> dt.datetime:
        with self._lock:
            return self._now if self._now is not None else dt.datetime.now(dt.UTC)

    def set(self, now: dt.datetime | None) -> None:
        if now is not None and now.tzinfo is None:
            raise ValueError("the simulator's clock takes aware instants")
        with self._lock:
            self._now = now


@dataclass
class SimRequest:
    """One request as a platform module sees it."""

    path: str
    query: dict[str, str]
    headers: dict[str, str]
    now: dt.datetime
    world: World
    server: SimulatorServer
    method: str = "GET"
    form: dict[str, str] = field(default_factory=dict)  # a POST's urlencoded body

    def param(self, name: str, default: str = "") -> str:
        return self.query.get(name, default)

    def first_time(self, key: str) -> bool:
        """True the first time `key` is asked of this server (for flaky answers)."""
        return self.server.first_time(key)

    def cookie(self, name: str) -> str:
        """The value of one cookie the client sent ("" when absent)."""
        for pair in self.headers.get("cookie", "").split(";"):
            key, _, value = pair.strip().partition("=")
            if key == name:
                return value
        return ""

    def value(self, name: str) -> str:
        """A POST form field, else the query parameter of that name."""
        return self.form.get(name, self.query.get(name, ""))


@dataclass
class SimResponse:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering
    cookies: list[str] = field(default_factory=list)  # Set-Cookie header values, one each

    @classmethod
    def json(cls, payload: Any, status: int = 200) -> SimResponse:
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return cls(status=status, body=body)

    @classmethod
    def html(cls, text: str, status: int = 200) -> SimResponse:
        return cls(
            status=status, body=text.encode("utf-8"), content_type="text/html; charset=utf-8"
        )


Handler = Callable[[SimRequest], SimResponse]

CAPTCHA_PAGE = (
    "<!DOCTYPE html><html><head><title>安全验证</title></head><body>"
    "<p>您的访问环境异常，请完成验证码验证后继续访问。</p></body></html>"
)


def fault_response(request: SimRequest, account: SimAccount) -> SimResponse | None:
    """The shared bad cases a profile asks for, or None to answer normally."""
    profile = account.profile
    if profile is Profile.EMPTY_BODY:
        return SimResponse(body=b"")
    if profile is Profile.CAPTCHA:
        return SimResponse.html(CAPTCHA_PAGE)
    if profile is Profile.SERVER_ERROR:
        return SimResponse.html("<h1>502 Bad Gateway</h1>", status=502)
    if profile is Profile.FILE_REDIRECT:
        return SimResponse(
            status=302, headers={"Location": "file:///etc/passwd"}, content_type="text/html"
        )
    if profile is Profile.FLAKY and request.first_time(request.path + "?" + _sorted_query(request)):
        return SimResponse.html("<h1>503 Service Unavailable</h1>", status=503)
    return None


def _sorted_query(request: SimRequest) -> str:
    return "&".join(f"{k}={v}" for k, v in sorted(request.query.items()))


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body leave in one write, without Nagle's delay (keep-alive clients wait on it).
    wbufsize = -1
    disable_nagle_algorithm = True
    server: SimulatorServer

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.server.answer(self)

    def do_POST(self) -> None:  # noqa: N802 (the visitor passport and the MP login are POSTs)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        self.server.answer(self, method="POST", body=body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        return  # quiet: tests and benchmarks read `requests` instead


class SimulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(
        self,
        address: tuple[str, int],
        world: World,
        clock: Clock,
        routes: dict[str, Handler],
        latency: float = 0.0,
        reuse_port: bool = False,
    ) -> None:
        # SO_REUSEPORT: several simulator processes share one port and the kernel spreads the
        # connections over them (the benchmark serves a big world from more than one core).
        self.allow_reuse_port = reuse_port
        super().__init__(address, _RequestHandler)
        self.world = world
        self.clock = clock
        self.routes = routes
        self.latency = latency
        self.stopping = threading.Event()
        self.requests: deque[str] = deque(maxlen=200_000)
        self.hits: Counter[str] = Counter()
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def first_time(self, key: str) -> bool:
        with self._lock:
            if key in self._seen:
                return False
            self._seen.add(key)
            return True

    def route(self, path: str) -> Handler | None:
        handler = self.routes.get(path)
        if handler is not None:
            return handler
        prefixes = [p for p in self.routes if p.endswith("/") and path.startswith(p)]
        return self.routes[max(prefixes, key=len)] if prefixes else None

    def answer(self, http: _RequestHandler, method: str = "GET", body: bytes = b"") -> None:
        parts = urlsplit(http.path)
        with self._lock:
            self.requests.append(http.path)
            self.hits[parts.path] += 1
        now = self.clock.now()
        query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        request = SimRequest(
            path=parts.path,
            query=query,
            headers={k.lower(): v for k, v in http.headers.items()},
            now=now,
            world=self.world,
            server=self,
            method=method,
            form={
                k: v[0]
                for k, v in parse_qs(
                    body.decode("utf-8", "replace"), keep_blank_values=True
                ).items()
            },
        )
        handler = self.route(parts.path)
        if handler is None:
            response = SimResponse.html("<h1>404 Not Found</h1>", status=404)
        else:
            try:
                response = handler(request)
            except Exception as exc:  # a simulator bug shows as a 500, with its reason
                response = SimResponse.html(f"<pre>simulator error: {exc!r}</pre>", status=500)
        wait = response.delay + self.latency
        if wait > 0 and self.stopping.wait(wait):
            return  # shutting down: drop the answer
        try:
            http.send_response_only(response.status)  # our own Date, not the system clock's
            http.send_header("Server", "govmedia-simulator")
            http.send_header(
                "Date", email.utils.format_datetime(now.astimezone(dt.UTC), usegmt=True)
            )
            http.send_header("Content-Type", response.content_type)
            http.send_header("Content-Length", str(len(response.body)))
            for name, value in response.headers.items():
                http.send_header(name, value)
            for cookie in response.cookies:
                http.send_header("Set-Cookie", cookie)
            http.end_headers()
            http.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test)


class RunningSimulator:
    """A started simulator: its `url`, its `world`, its clock and what it was asked."""

    def __init__(self, server: SimulatorServer, thread: threading.Thread) -> None:
        self.server = server
        self.thread = thread
        host, port = server.server_address[:2]
        self.url = f"http://{host}:{port}"

    @property
    def world(self) -> World:
        return self.server.world

    def now(self) -> dt.datetime:
        return self.server.clock.now()

    def set_now(self, now: dt.datetime | None) -> None:
        """Move the clock (None: follow the system clock)."""
        self.server.clock.set(now)

    def requests(self, contains: str = "") -> list[str]:
        """The request paths (with queries) served so far that contain `contains`."""
        with self.server._lock:
            return [r for r in self.server.requests if contains in r]

    def stop(self) -> None:
        self.server.stopping.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def __enter__(self) -> RunningSimulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_simulator(
    world: World,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    now: dt.datetime | None = None,
    latency: float = 0.0,
    reuse_port: bool = False,
) -> RunningSimulator:
    """Serve `world` on host:port (0: any free port) in a background thread.

    The clock starts at `now` (default: the world's anchor); `latency` seconds are added to every
    answer, as a real network would (the benchmark uses it). With `reuse_port`, other processes
    may serve the same port (SO_REUSEPORT; Linux spreads connections over them).
    """
    from spiders.simulator.routes import route_table

    clock = Clock(now or world.anchor)
    server = SimulatorServer((host, port), world, clock, route_table(), latency, reuse_port)
    thread = threading.Thread(target=server.serve_forever, name="govmedia-simulator", daemon=True)
    thread.start()
    return RunningSimulator(server, thread)
