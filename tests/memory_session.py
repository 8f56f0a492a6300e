"""One session driven over a MemoryTransport pair: the scaffolding the driver and back-end
tests share.

Each test file brings its own client (what it records differs); it needs a constructor taking
the client's channel end and an async ``until(kind)``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

from realtime_sdk.realtime.protocol.ids import Ids
from realtime_sdk.realtime.protocol.session import Session
from realtime_sdk.realtime.server.driver import SessionDriver
from realtime_sdk.transports.memory import MemoryTransport


class SessionClient(Protocol):
    def __init__(self, channel: MemoryTransport) -> None: ...

    async def until(self, kind: str) -> Any: ...


C = TypeVar("C", bound=SessionClient)


async def drive(
    backend: Any,
    script: Callable[[C], Awaitable[None]],
    client: type[C],
    *,
    channel_size: int = 0,
    stop_timeout: float = 10.0,
    **session: Any,
) -> None:
    """Run `script` against a session on `backend` (ids counting from 1), then close the
    client's end and wait for the driver to finish; `channel_size` frames in flight each way
    (0: no limit), as a socket's buffers would hold."""
    client_end, server_end = MemoryTransport.pair(channel_size)
    made = Session(ids=Ids.counting(), capabilities=backend.capabilities, **session)
    driver = SessionDriver(server_end, made, backend)
    task = asyncio.create_task(driver.run())
    talker = client(client_end)
    await talker.until("session.created")
    try:
        await script(talker)
    finally:
        await client_end.close()
        await asyncio.wait_for(task, stop_timeout)
