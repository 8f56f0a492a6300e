"""A copy of every event a call sends, for a sideband websocket attached to the call."""

from __future__ import annotations

import asyncio


class Listener:
    """A copy of every event sent (a sideband socket); dropped if it falls behind."""

    def __init__(self, size: int) -> None:
        self._queue: asyncio.Queue[str | None] = asyncio.Queue(size)
        self.ended = False

    def offer(self, text: str | None) -> bool:
        try:
            self._queue.put_nowait(text)
        except asyncio.QueueFull:
            self.ended = True
            return False
        return True

    async def next(self) -> str | None:
        """The next event, or None once the call ended or this listener fell behind."""
        if self._queue.empty() and self.ended:
            return None
        return await self._queue.get()
