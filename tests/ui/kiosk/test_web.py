"""The patient page's server (``followup serve``) through aiohttp's test client: security headers,
no directory listing, websockets only from the page's own origin, a cap on visits with a polite
busy page, and a limit on new visits per address. A stand-in app process (it answers
textual-serve's start-up line and quits when told) keeps the tests fast."""

from __future__ import annotations

import asyncio
import re
import shlex
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from followup.ui.kiosk.web import SelfReportServer, VisitsPerAddress

STAND_IN = """
import sys
print("__GANGLION__", flush=True)
seen = b""
while b'"quit"' not in seen:
    chunk = sys.stdin.buffer.read1(4096)
    if not chunk:
        break
    seen += chunk
"""
ENDED = "ended"
PUBLIC = "https://selfreport.clinic.example"

MakeClient = Callable[..., Awaitable[tuple[TestClient, SelfReportServer]]]


def stand_in_command(started: Path) -> str:
    """A shell command that marks ``started`` (so a test sees whether a process ran) and then
    behaves enough like a Textual app for textual-serve."""
    python = f"{shlex.quote(sys.executable)} -c {shlex.quote(STAND_IN)}"
    marker = shlex.quote(str(started))
    return f"echo started >> {marker}; {python}; echo {ENDED} >> {marker}"


@pytest.fixture
async def make_client(tmp_path: Path) -> AsyncIterator[MakeClient]:
    made: list[tuple[TestClient, SelfReportServer]] = []

    async def make(**options: object) -> tuple[TestClient, SelfReportServer]:
        options.setdefault("title", "Knee questionnaire")
        server = SelfReportServer(stand_in_command(tmp_path / "started"), **options)  # type: ignore[arg-type]
        client = TestClient(TestServer(await server.make_app()))
        await client.start_server()
        made.append((client, server))
        return client, server

    yield make
    for client, server in made:
        await wait_until(lambda server=server: server.open_sessions == 0)
        await client.close()
    started = processes_started(tmp_path)
    await wait_until(lambda: processes_started(tmp_path, ENDED) == started)
    await asyncio.sleep(0.2)  # let the event loop see the processes go before it closes


def own_origin(client: TestClient) -> str:
    return f"http://{client.host}:{client.port}"


def processes_started(tmp_path: Path, what: str = "started") -> int:
    marker = tmp_path / "started"
    return marker.read_text().split().count(what) if marker.exists() else 0


async def wait_until(condition: Callable[[], bool], timeout: float = 10) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_the_page_sends_strict_security_headers(make_client: MakeClient) -> None:
    client, _ = await make_client()
    response = await client.get("/")
    assert response.status == 200
    csp = response.headers["Content-Security-Policy"]
    for rule in ("default-src 'self'", "script-src 'self'", "style-src 'self'"):
        assert rule in csp
    assert "frame-ancestors 'none'" in csp and "unsafe" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    # the static files get them too
    script = await client.get("/static/js/textual.js")
    assert script.status == 200 and script.headers["X-Frame-Options"] == "DENY"


async def test_the_page_names_no_other_host_and_no_inline_script(make_client: MakeClient) -> None:
    client, _ = await make_client()
    page = await (await client.get("/")).text()
    assert "googleapis" not in page
    addresses = re.findall(r'(?:src|href)="([^"]*)"', page)
    assert addresses and all(a.startswith("/") and not a.startswith("//") for a in addresses)
    assert "<style" not in page and "onclick" not in page.lower()
    assert re.findall(r"<script[^>]*>\s*[^<\s]", page) == []  # every script has a src, no body
    websocket = re.search(r'data-session-websocket-url="([^"]*)"', page)
    assert websocket and websocket.group(1) == f"ws://{client.host}:{client.port}/ws"


@pytest.mark.parametrize(
    ("asked", "size"),
    [("20", "20"), ("", "16"), ("200", "16"), ("２０", "16"), ("2_0", "16"), (" 20", "16")],
)
async def test_the_font_size_is_read_in_ascii_digits_only(
    make_client: MakeClient, asked: str, size: str
) -> None:
    client, _ = await make_client()
    page = await (await client.get("/", params={"fontsize": asked})).text()
    assert f'data-font-size="{size}"' in page


async def test_static_folders_list_nothing(make_client: MakeClient) -> None:
    client, _ = await make_client()
    for folder in ("/static/", "/static/js/", "/static/fonts/", "/kiosk/"):
        response = await client.get(folder)
        assert response.status in (403, 404), folder
        assert "textual.js" not in await response.text()
    assert (await client.get("/kiosk/kiosk.js")).status == 200
    assert (await client.get("/download/anything")).status == 404  # no download route


async def test_a_websocket_from_another_origin_is_refused_before_any_process(
    make_client: MakeClient, tmp_path: Path
) -> None:
    client, _ = await make_client()
    for headers in ({"Origin": "https://evil.example"}, {}, {"Origin": "null"}):
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await client.ws_connect("/ws", headers=headers)
        assert refused.value.status == 403
    assert processes_started(tmp_path) == 0

    socket = await client.ws_connect("/ws", headers={"Origin": own_origin(client)})
    await wait_until(lambda: processes_started(tmp_path) == 1)
    await socket.close()


async def test_the_public_url_is_the_origin_and_the_websocket_address(
    make_client: MakeClient, tmp_path: Path
) -> None:
    client, _ = await make_client(public_url=PUBLIC)
    response = await client.get("/")
    assert (
        "connect-src 'self' wss://selfreport.clinic.example"
        in (response.headers["Content-Security-Policy"])
    )
    assert 'data-session-websocket-url="wss://selfreport.clinic.example/ws"' in (
        await response.text()
    )
    socket = await client.ws_connect("/ws", headers={"Origin": PUBLIC})
    await wait_until(lambda: processes_started(tmp_path) == 1)
    await socket.close()
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await client.ws_connect("/ws", headers={"Origin": "http://selfreport.clinic.example"})
    assert refused.value.status == 403


async def test_a_full_house_gets_the_busy_page_until_a_visit_ends(
    make_client: MakeClient, tmp_path: Path
) -> None:
    client, server = await make_client(max_sessions=1)
    origin = {"Origin": own_origin(client)}
    first = await client.ws_connect("/ws", headers=origin)
    await wait_until(lambda: processes_started(tmp_path) == 1)

    busy = await client.get("/")
    assert busy.status == 503 and busy.headers["Retry-After"] == "120"
    text = await busy.text()
    assert "Please try again in a few minutes" in text and "textual.js" not in text
    assert busy.headers["X-Frame-Options"] == "DENY"
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await client.ws_connect("/ws", headers=origin)
    assert refused.value.status == 503
    assert processes_started(tmp_path) == 1

    await first.close()
    await wait_until(lambda: server.open_sessions == 0)
    assert (await client.get("/")).status == 200
    second = await client.ws_connect("/ws", headers=origin)
    await wait_until(lambda: processes_started(tmp_path) == 2)
    await second.close()


async def test_new_visits_are_limited_per_address(make_client: MakeClient, tmp_path: Path) -> None:
    client, _ = await make_client(visits_per_minute=2)
    # behind a proxy on this machine, the address is the one the proxy saw
    first = {"Origin": own_origin(client), "X-Forwarded-For": "203.0.113.7"}
    other = {"Origin": own_origin(client), "X-Forwarded-For": "203.0.113.8"}
    for _ in range(2):
        socket = await client.ws_connect("/ws", headers=first)
        await socket.close()
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await client.ws_connect("/ws", headers=first)
    assert refused.value.status == 429
    page = await client.get("/", headers={"X-Forwarded-For": "203.0.113.7"})
    assert page.status == 429 and "Please wait a minute" in await page.text()

    socket = await client.ws_connect("/ws", headers=other)
    await socket.close()
    assert (await client.get("/", headers={"X-Forwarded-For": "203.0.113.8"})).status == 200
    await wait_until(lambda: processes_started(tmp_path) == 3)


def test_the_window_slides_and_forgets_quiet_addresses() -> None:
    now = [0.0]
    visits = VisitsPerAddress(2, window=60, clock=lambda: now[0])
    assert visits.take("a") and visits.take("a") and not visits.take("a")
    assert visits.take("b")
    now[0] = 30
    assert not visits.allows("a")
    now[0] = 60.5
    assert visits.take("a") and visits.take("a") and not visits.take("a")
    now[0] = 200
    assert visits.allows("a")
    assert len(visits._starts) == 0 or set(visits._starts) == {"a"}
