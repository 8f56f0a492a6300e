"""The websocket transport, client end, with reconnection.

A recoverable close (going away, abnormal, server error, restart, try again later)
reconnects with exponential backoff. A reconnect opens a new server session, which only
the one using the transport knows how to resume: it sets `on_reconnect` (the typed client
re-sends its last `session.update`; audio already sent is not replayed).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence

from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

log = logging.getLogger("realtime_sdk.client")

RECOVERABLE_CLOSE_CODES = frozenset({1001, 1006, 1011, 1012, 1013})
MAX_FRAME_BYTES = 16 * 1024 * 1024


class WebSocketClientTransport:
    """The client end of a websocket (`open()` dials it); a Transport (transports.base)."""

    def __init__(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        subprotocols: Sequence[str] | None = None,
        reconnect: bool = True,
        max_retries: int = 5,
        initial_delay: float = 0.5,
        max_delay: float = 8.0,
        ssl: object | None = None,
    ) -> None:
        self.url = url
        self.headers = dict(headers or {})
        self.subprotocols = list(subprotocols or [])
        self.reconnect = reconnect
        self.max_retries = max_retries
        self.initial_delay = initial_delay
        self.max_delay = max_delay
        self.ssl = ssl
        self.reconnects = 0
        # awaited after each reconnect, before frames of the new session are read
        self.on_reconnect: Callable[[], Awaitable[None]] | None = None
        self._ws: ClientConnection | None = None
        self._closed = False

    async def open(self) -> None:
        kwargs: dict[str, object] = {
            "additional_headers": self.headers,
            "max_size": MAX_FRAME_BYTES,
        }
        if self.subprotocols:
            kwargs["subprotocols"] = self.subprotocols
        if self.ssl is not None:
            kwargs["ssl"] = self.ssl
        self._ws = await ws_connect(self.url, **kwargs)  # type: ignore[arg-type]

    async def recv(self) -> str | bytes | None:
        """The next frame; None once the connection is over for good."""
        while not self._closed:
            assert self._ws is not None, "open() first"
            try:
                return await self._ws.recv()
            except ConnectionClosed as exc:
                code = exc.rcvd.code if exc.rcvd is not None else 1006
                if not (self.reconnect and code in RECOVERABLE_CLOSE_CODES):
                    return None
                if not await self._reconnect(code):
                    return None
        return None

    async def _reconnect(self, code: int) -> bool:
        delay = self.initial_delay
        for attempt in range(1, self.max_retries + 1):
            log.info("connection closed (%s); reconnecting, attempt %d", code, attempt)
            await asyncio.sleep(delay)
            try:
                await self.open()
            except (OSError, InvalidStatus) as exc:
                log.info("reconnect failed: %s", exc)
                delay = min(delay * 2, self.max_delay)
                continue
            self.reconnects += 1
            if self.on_reconnect is not None:
                await self.on_reconnect()
            return True
        return False

    async def send(self, text: str) -> None:
        if self._ws is None or self._closed:
            raise ConnectionError("not connected")
        try:
            await self._ws.send(text)
        except ConnectionClosed as exc:
            raise ConnectionError("connection closed") from exc

    async def close(self, code: int = 1000, reason: str = "") -> None:
        self._closed = True
        if self._ws is not None:
            await self._ws.close(code, reason)
