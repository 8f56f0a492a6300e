"""Two transports wired to each other in one process: text frames in and out, no socket.

`MemoryTransport.pair()` gives a client end and a server end, the way h11's tests wire two
connections together: real code on both sides. A bounded pair holds `size` frames each way,
as a socket's buffers would, so a slow reader slows the writer.
"""

from __future__ import annotations

import asyncio
import contextlib


class MemoryTransport:
    """One end of an in-memory pair; a Transport (transports.base)."""

    def __init__(self, inbox: asyncio.Queue[str | None], outbox: asyncio.Queue[str | None]) -> None:
        self._inbox = inbox
        self._outbox = outbox
        self.closed = False

    @classmethod
    def pair(cls, size: int = 0) -> tuple[MemoryTransport, MemoryTransport]:
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
            raise ConnectionError("transport closed")
        await self._outbox.put(text)

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Tell the peer, and wake our own reader, that this end is done."""
        if not self.closed:
            self.closed = True
            for queue in (self._outbox, self._inbox):
                with contextlib.suppress(asyncio.QueueFull):
                    queue.put_nowait(None)
