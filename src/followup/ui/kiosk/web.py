"""The patient page as ``followup serve`` puts it on the network: textual-serve's server, made fit
for the open internet behind HTTPS.

textual-serve relays one app process per websocket. On top of it this server
- accepts a websocket only from a page of its own origin (the Host the page came from, or the
  public URL), so another site cannot open visits in a patient's browser;
- caps the visits open at once (each costs a process), answering a polite "busy" page when full;
- limits new visits per client address a minute. Sign-in happens in the app process, which
  ends a visit after a few wrong codes (``FOLLOWUP_SELFREPORT_REFUSALS_PER_VISIT``), so wrong
  sign-ins from one address are bounded by both; the per-patient lock-out in the database
  stays the limit for guessing one patient's code;
- serves its own page: no directory listing, strict security headers (CSP without inline
  script, no framing, no referrer) and nothing fetched from another host (the bundled Roboto
  Mono font instead of Google's), with the keyboard in the terminal as soon as it loads.
"""

from __future__ import annotations

import ipaddress
import logging
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp_jinja2
import jinja2
from aiohttp import web
from rich.logging import RichHandler
from textual_serve.server import Server

PAGE = Path(__file__).with_name("page")
BUSY_RETRY_SECONDS = 120
WINDOW_SECONDS = 60.0
# The page's font sizes by how the query writes them (``int`` would also take "١٦" or "1_6").
FONT_SIZES = {str(size): size for size in range(8, 49)}


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of ``url``, lower case, as a browser's Origin header has it."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def websocket_origin(url: str) -> str:
    """The ws:// or wss:// origin matching an http:// or https:// URL."""
    origin = origin_of(url)
    return "wss" + origin[5:] if origin.startswith("https") else "ws" + origin[4:]


def client_address(request: web.Request) -> str:
    """The visitor's address. Behind a reverse proxy on this machine the peer is the proxy,
    so the address it saw (the last one in X-Forwarded-For) is taken; from any other peer the
    header is ignored, since a visitor could write anything in it."""
    peer = request.remote or ""
    forwarded = request.headers.get("X-Forwarded-For", "")
    try:
        behind_proxy = ipaddress.ip_address(peer).is_loopback
    except ValueError:
        behind_proxy = False
    if behind_proxy and forwarded.strip():
        return forwarded.split(",")[-1].strip()
    return peer


class VisitsPerAddress:
    """A sliding window of visit starts per client address (in this server process only)."""

    def __init__(
        self,
        per_window: int,
        window: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_window = per_window
        self.window = window
        self.clock = clock
        self._starts: dict[str, deque[float]] = {}

    def _recent(self, address: str) -> deque[float]:
        now = self.clock()
        for key in [k for k, q in self._starts.items() if not q or q[-1] <= now - self.window]:
            del self._starts[key]  # forget addresses quiet for a whole window
        starts = self._starts.get(address, deque())
        while starts and starts[0] <= now - self.window:
            starts.popleft()
        return starts

    def allows(self, address: str) -> bool:
        """Whether ``address`` may start a visit now (without counting one)."""
        return self.per_window <= 0 or len(self._recent(address)) < self.per_window

    def take(self, address: str) -> bool:
        """Count a visit start for ``address``; False (and nothing counted) when over the limit."""
        if not self.allows(address):
            return False
        self._starts.setdefault(address, self._recent(address)).append(self.clock())
        return True


class SelfReportServer(Server):
    """textual-serve's Server with same-origin websockets, a visit cap, a per-address limit,
    its own page and security headers."""

    def __init__(
        self,
        command: str,
        *,
        host: str = "127.0.0.1",
        port: int = 8000,
        title: str,
        public_url: str | None = None,
        max_sessions: int = 20,
        visits_per_minute: int = 10,
    ) -> None:
        super().__init__(command, host=host, port=port, title=title, public_url=public_url)
        self.configured_url = public_url
        self.max_sessions = max_sessions
        self.visits = VisitsPerAddress(visits_per_minute)
        self.open_sessions = 0

    def initialize_logging(self) -> None:
        """textual-serve's logging, without local variables in tracebacks: a relay's locals
        hold what a patient typed (their ID, their code)."""
        logging.basicConfig(
            level="DEBUG" if self.debug else "INFO",
            format="%(message)s",
            datefmt="[%X]",
            handlers=[
                RichHandler(
                    show_path=False,
                    show_time=False,
                    rich_tracebacks=True,
                    tracebacks_show_locals=False,
                    console=self.console,
                )
            ],
        )

    # -- the aiohttp application ---------------------------------------------------------

    async def _make_app(self) -> web.Application:
        """The web application: the page, the websocket and static files, no download route
        (the self-report app delivers no files) and no directory listing."""
        app = web.Application()
        aiohttp_jinja2.setup(
            app, loader=jinja2.FileSystemLoader(PAGE / "templates"), autoescape=True
        )
        app.add_routes(
            [
                web.get("/", self.handle_index, name="index"),
                web.get("/ws", self.handle_websocket, name="websocket"),
                web.static("/static", self.statics_path, show_index=False, name="static"),
                web.static("/kiosk", PAGE / "static", show_index=False, name="kiosk"),
            ]
        )
        app.on_response_prepare.append(self._add_security_headers)
        app.on_startup.append(self.on_startup)
        app.on_shutdown.append(self.on_shutdown)
        return app

    async def make_app(self) -> web.Application:
        """The web application, for tests and for running it under another aiohttp runner."""
        return await self._make_app()

    @property
    def _prefix(self) -> str:
        """The path the public URL puts in front of ours (a proxy may serve us under one)."""
        if self.configured_url is None:
            return ""
        return urlsplit(self.configured_url).path.rstrip("/")

    def content_security_policy(self) -> str:
        """The page's CSP: everything from this origin only, no inline script or style, the
        websocket to this origin or the public URL's, and no framing."""
        connect = "'self'"
        if self.configured_url is not None:
            connect += f" {websocket_origin(self.configured_url)}"
        return "; ".join(
            [
                "default-src 'self'",
                "script-src 'self'",
                "style-src 'self'",
                "img-src 'self'",
                "font-src 'self'",
                f"connect-src {connect}",
                "object-src 'none'",
                "base-uri 'none'",
                "form-action 'none'",
                "frame-ancestors 'none'",
            ]
        )

    async def _add_security_headers(
        self, request: web.Request, response: web.StreamResponse
    ) -> None:
        headers = response.headers
        headers["Content-Security-Policy"] = self.content_security_policy()
        headers["X-Frame-Options"] = "DENY"
        headers["Referrer-Policy"] = "no-referrer"
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Cross-Origin-Opener-Policy"] = "same-origin"
        headers["Cross-Origin-Resource-Policy"] = "same-origin"

    # -- the page ------------------------------------------------------------------------

    def _websocket_url(self, request: web.Request) -> str:
        if self.configured_url is not None:
            return f"{websocket_origin(self.configured_url)}{self._prefix}/ws"
        return f"{websocket_origin(f'{request.scheme}://{request.host}')}/ws"

    async def handle_index(self, request: web.Request) -> web.StreamResponse:  # type: ignore[override]
        """The page with the terminal, or a polite page when the visits are all taken or this
        address has started too many visits in the last minute."""
        if self.open_sessions >= self.max_sessions:
            return self._sorry(request, "busy.j2", 503, BUSY_RETRY_SECONDS)
        if not self.visits.allows(client_address(request)):
            return self._sorry(request, "wait.j2", 429, int(WINDOW_SECONDS))
        font_size = FONT_SIZES.get(request.query.get("fontsize", ""), 16)
        context: dict[str, Any] = {
            "title": self.title,
            "prefix": self._prefix,
            "font_size": font_size,
            "websocket_url": self._websocket_url(request),
        }
        response = aiohttp_jinja2.render_template("page.j2", request, context)
        response.headers["Cache-Control"] = "no-store"
        return response

    def _sorry(self, request: web.Request, template: str, status: int, retry: int) -> web.Response:
        context = {"title": self.title, "retry_seconds": retry, "prefix": self._prefix}
        response = aiohttp_jinja2.render_template(template, request, context, status=status)
        response.headers["Retry-After"] = str(retry)
        response.headers["Cache-Control"] = "no-store"
        return response

    # -- the websocket -------------------------------------------------------------------

    def origin_allowed(self, request: web.Request) -> bool:
        """Whether the websocket comes from a page of ours: its Origin is the public URL's, or
        names the host the request was sent to (the page's own origin). No Origin, no visit."""
        origin = request.headers.get("Origin", "").strip().lower()
        if not origin or origin == "null":
            return False
        if self.configured_url is not None and origin == origin_of(self.configured_url):
            return True
        return urlsplit(origin).netloc == request.host.lower()

    async def handle_websocket(self, request: web.Request) -> web.StreamResponse:  # type: ignore[override]
        """One visit: checked (origin, capacity, this address's recent visits) before any app
        process starts; its slot is freed when the visit ends, however it ends."""
        if not self.origin_allowed(request):
            raise web.HTTPForbidden(text="This page may only be opened from its own address.")
        if self.open_sessions >= self.max_sessions:
            raise web.HTTPServiceUnavailable(
                text="All places are taken. Please try again in a few minutes.",
                headers={"Retry-After": str(BUSY_RETRY_SECONDS)},
            )
        if not self.visits.take(client_address(request)):
            raise web.HTTPTooManyRequests(
                text="Too many visits started from here. Please wait a minute.",
                headers={"Retry-After": str(int(WINDOW_SECONDS))},
            )
        self.open_sessions += 1
        try:
            return await super().handle_websocket(request)
        finally:
            self.open_sessions -= 1
