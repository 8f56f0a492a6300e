"""Opening a connection: `connect()` to OpenAI or any compatible server, over a websocket, a
WebRTC call or a transport given, and `create_client_secret()` for an `ek_` key."""

from __future__ import annotations

import ssl as ssl_module
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import httpx

from .. import _compat
from ..realtime.client.connection import RealtimeConnection
from ..transports.asgi import ASGIWebSocketTransport
from ..transports.base import AudioTransport, Transport
from ..transports.webrtc.ice import IceConfig
from ..transports.websocket_client import WebSocketClientTransport
from .urls import api_key_from, calls_url, http_url, realtime_url


@asynccontextmanager
async def connect(
    *,
    url: str | None = None,
    base_url: str | None = None,
    api_key: str | None = None,
    model: str | None = "gpt-realtime",
    transport: str | Transport = "websocket",
    headers: Mapping[str, str] | None = None,
    query: Mapping[str, str] | None = None,
    dialect: str = "ga",
    reconnect: bool = True,
    ssl: ssl_module.SSLContext | None = None,
    session: Mapping[str, Any] | None = None,
    ice: IceConfig | None = None,
) -> AsyncIterator[RealtimeConnection]:
    """Open a realtime connection; the URL rules and key lookup are openai-python's.

    `transport="webrtc"` makes a call: the offer goes to `<base_url>/realtime/calls`
    (or to `url`), with `session` as the multipart `session` part when given; `ice`
    sets STUN/TURN servers and the loopback policy. Over websocket a `session` is
    sent as the first `session.update`. `api_key` may be an `ek_` client secret.

    `transport` may also be a Transport (transports.base) to run over as it is. An
    `ASGIWebSocketTransport(app)` is opened here with the URL and headers a websocket
    would get, so that `connect(transport=ASGIWebSocketTransport(create_app(config)))`
    talks to that app in this process, with no socket and no server.
    """
    _compat.apply()
    key = api_key_from(api_key)
    all_headers = {**({"Authorization": f"Bearer {key}"} if key else {}), **(headers or {})}
    if dialect == "beta":
        all_headers.setdefault("OpenAI-Beta", "realtime=v1")
    channel: Transport
    if isinstance(transport, ASGIWebSocketTransport):
        await transport.open(
            realtime_url(url=url, base_url=base_url, model=model, query=query), all_headers
        )
        channel = transport
    elif not isinstance(transport, str):
        channel = transport
    elif transport == "webrtc":
        if dialect != "ga":
            raise ValueError("WebRTC calls speak the GA dialect")
        call_session = None
        if session is not None:
            call_session = {"type": "realtime", **session}
            if model is not None:
                call_session.setdefault("model", model)
        # the model goes in the session part when there is one, else in the query
        offer_url = calls_url(
            url=url, base_url=base_url, model=None if session is not None else model, query=query
        )
        # aiortc and PyAV load with the first call
        from ..transports.webrtc.client import WebRTCClientTransport

        channel = await WebRTCClientTransport.dial(
            offer_url,
            headers=all_headers,
            session=call_session,
            ice=ice,
            verify=ssl if ssl is not None else True,
        )
    elif transport == "websocket":
        ws = WebSocketClientTransport(
            realtime_url(url=url, base_url=base_url, model=model, query=query),
            headers=all_headers,
            reconnect=reconnect,
            ssl=ssl,
        )
        await ws.open()
        channel = ws
    else:
        raise ValueError(f"transport {transport!r}: use 'websocket' or 'webrtc', or a Transport")
    conn = RealtimeConnection(channel, dialect=dialect)
    try:
        # a call takes its session with the offer; over a socket it is the first update
        if session is not None and not isinstance(channel, AudioTransport):
            await conn.session.update(session={"type": "realtime", **session})
        yield conn
    finally:
        await conn.close()


async def create_client_secret(
    *,
    base_url: str | None = None,
    api_key: str | None = None,
    session: Mapping[str, Any] | None = None,
    expires_after_seconds: int | None = None,
    verify: Any = True,
) -> dict[str, Any]:
    """An ephemeral `ek_` key (POST /realtime/client_secrets), safe to hand to a browser."""
    body: dict[str, Any] = {"session": dict(session or {"type": "realtime"})}
    if expires_after_seconds is not None:
        body["expires_after"] = {"anchor": "created_at", "seconds": expires_after_seconds}
    return await post_for_secret("/realtime/client_secrets", body, base_url, api_key, verify)


async def post_for_secret(
    path: str, body: dict[str, Any], base_url: str | None, api_key: str | None, verify: Any = True
) -> dict[str, Any]:
    """POST `body` to a client-secrets route with the API key; the JSON answer."""
    key = api_key_from(api_key)
    async with httpx.AsyncClient(verify=verify) as client:
        reply = await client.post(
            http_url(base_url, path),
            json=body,
            headers={"Authorization": f"Bearer {key}"} if key else {},
        )
        reply.raise_for_status()
        result: dict[str, Any] = reply.json()
        return result
