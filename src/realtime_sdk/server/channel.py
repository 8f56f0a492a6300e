"""The smallest thing a driver needs from a transport: text frames in and out.

`MemoryChannel.pair()` wires a client end to a server end in one process, the way
h11's tests wire two connections together: real code on both sides, no sockets.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Protocol

from ..transports.base import Inbound


class EventChannel(Protocol):
    """The driver's view of a transport (transports.base.Transport): a WebRTC one also
    gives peer audio and player notices from `recv`, and is an AudioTransport."""

    async def recv(self) -> Inbound | None:
        """The next frame, or None once the peer has gone."""
        ...

    async def send(self, text: str) -> None: ...

    async def close(self, code: int = 1000, reason: str = "") -> None: ...


class MemoryChannel:
    def __init__(self, inbox: asyncio.Queue[str | None], outbox: asyncio.Queue[str | None]) -> None:
        self._inbox = inbox
        self._outbox = outbox
        self.closed = False

    @classmethod
    def pair(cls, size: int = 0) -> tuple[MemoryChannel, MemoryChannel]:
        a: asyncio.Queue[str | None] = asyncio.Queue(size)
        b: asyncio.Queue[str | None] = asyncio.Queue(size)
        return cls(a, b), cls(b, a)

    async def recv(self) -> str | None:
        if self.closed:
            return None
        frame = await self._inbox.get()
        if frame is None:
            self.closed = True
        return frame

    async def send(self, text: str) -> None:
        if self.closed:
            raise ConnectionError("channel closed")
        await self._outbox.put(text)

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Tell the peer, and wake our own reader, that this end is done."""
        if not self.closed:
            self.closed = True
            for queue in (self._outbox, self._inbox):
                with contextlib.suppress(asyncio.QueueFull):
                    queue.put_nowait(None)
