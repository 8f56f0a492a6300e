"""Opening a Live connection, to OpenAI or any compatible server, with openai-python's
URL and key rules (`<base_url>/live/sessions`, no query string): the socket opened,
`session.start` sent and `session.started` read before the connection is handed over."""

from __future__ import annotations

import ssl as ssl_module
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any, Literal

from .. import _compat
from ..live.client import LiveConnection
from ..transports.asgi import ASGIWebSocketTransport
from ..transports.base import Transport
from ..transports.websocket_client import WebSocketClientTransport
from .urls import api_key_from, base_url_from, http_url, realtime_url

DEFAULT_MODEL = "gpt-live-1"


def live_url(base_url: str | None = None) -> str:
    """The Live websocket under `base_url` (http -> ws, https -> wss)."""
    return realtime_url(url=base_url_from(base_url) + "/live/sessions")


@asynccontextmanager
async def connect_live(
    *,
    base_url: str | None = None,
    api_key: str | None = None,
    session: Mapping[str, Any] | None = None,
    transport: Transport | Literal["websocket", "webrtc"] | None = None,
    ssl: ssl_module.SSLContext | None = None,
) -> AsyncIterator[LiveConnection]:
    """A started Live session (`session` is `session.start`'s config; the model defaults
    to gpt-live-1); closed with `session.close` on the way out. A Live session cannot be
    resumed, so a dropped socket is not dialled again. `transport="webrtc"` makes it a
    WebRTC session (audio on the tracks, events on the data channel); a transport object
    runs it over that one, an `ASGIWebSocketTransport(app)` (an app in the same process)
    opened here."""
    _compat.apply()
    key = api_key_from(api_key)
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    start = {"model": DEFAULT_MODEL, **dict(session or {})}
    if transport == "webrtc":
        from ..live.client.webrtc import LiveWebRTCTransport

        url = http_url(base_url, "/live/sessions")
        rtc = await LiveWebRTCTransport.create(url, start, headers=headers)
        conn = LiveConnection(rtc)
        try:  # creation started the session: its `session.started` comes on the channel
            started = await conn.recv()
            if started.type != "session.started":
                raise ConnectionError(f"expected session.started, got {started.type}")
            yield conn
        finally:
            await conn.close()
        return
    if isinstance(transport, ASGIWebSocketTransport):
        await transport.open(live_url(base_url), headers)
    elif transport is None or transport == "websocket":
        ws = WebSocketClientTransport(
            live_url(base_url),
            headers=headers,
            reconnect=False,
            ssl=ssl,
        )
        await ws.open()
        transport = ws
    assert not isinstance(transport, str)
    conn = LiveConnection(transport)
    try:
        await conn.start(start)
        yield conn
    finally:
        await conn.close()
