"""One session driven over a MemoryTransport pair: the scaffolding the driver and back-end
tests share, and the client they drive it with.

`EventClient` is that client; a test file sets its own `timeout` (how long `until` waits
for each event) and `errors_fail` (an `error` event fails the test at once) in a subclass.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import numpy as np

from realtime_sdk.realtime.protocol.ids import Ids
from realtime_sdk.realtime.protocol.session import Session
from realtime_sdk.realtime.server.driver import SessionDriver
from realtime_sdk.transports.memory import MemoryTransport


class EventClient:
    """The client's end of the pair: events sent as JSON text, every event read kept in `seen`."""

    timeout = 10.0
    errors_fail = False
    frame = 480  # samples per append in `stream`: 20 ms at 24 kHz, as clients append

    def __init__(self, channel: MemoryTransport) -> None:
        self.channel = channel
        self.seen: list[dict[str, Any]] = []

    async def send(self, event: dict[str, Any]) -> None:
        await self.channel.send(json.dumps(event))

    async def until(
        self, kind: str, timeout: float | None = None, **match: Any
    ) -> list[dict[str, Any]]:
        """Events received up to and including the first of type `kind` (with `match`)."""
        got: list[dict[str, Any]] = []
        while True:
            frame = await asyncio.wait_for(
                self.channel.recv(), self.timeout if timeout is None else timeout
            )
            assert frame is not None, f"closed before {kind}; got {[e['type'] for e in got]}"
            event = json.loads(frame)
            got.append(event)
            self.seen.append(event)
            if self.errors_fail:
                assert event["type"] != "error", event
            if event["type"] == kind and all(event.get(k) == v for k, v in match.items()):
                return got

    async def stream(self, samples: np.ndarray) -> None:
        """Append `frame`-sample pieces, as a client streaming a microphone would."""
        for start in range(0, len(samples), self.frame):
            chunk = samples[start : start + self.frame].astype("<i2").tobytes()
            await self.send(
                {"type": "input_audio_buffer.append", "audio": base64.b64encode(chunk).decode()}
            )

    async def say(self, text: str) -> None:
        """A user text message, then `response.create`."""
        item = {
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": text}],
        }
        await self.send({"type": "conversation.item.create", "item": item})
        await self.send({"type": "response.create"})

    async def update(self, **session: Any) -> None:
        await self.send({"type": "session.update", "session": {"type": "realtime", **session}})
        await self.until("session.updated")


C = TypeVar("C", bound=EventClient)


async def drive(
    backend: Any,
    script: Callable[[C], Awaitable[None]],
    client: type[C],
    *,
    channel_size: int = 0,
    stop_timeout: float = 10.0,
    mcp: Any = None,
    **session: Any,
) -> None:
    """Run `script` against a session on `backend` (ids counting from 1), then close the
    client's end and wait for the driver to finish; `channel_size` frames in flight each way
    (0: no limit), as a socket's buffers would hold; `mcp`: the driver's McpClient."""
    client_end, server_end = MemoryTransport.pair(channel_size)
    made = Session(ids=Ids.counting(), capabilities=backend.capabilities, **session)
    driver = SessionDriver(server_end, made, backend, mcp=mcp)
    task = asyncio.create_task(driver.run())
    talker = client(client_end)
    await talker.until("session.created")
    try:
        await script(talker)
    finally:
        await client_end.close()
        await asyncio.wait_for(task, stop_timeout)
