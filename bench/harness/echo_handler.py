"""The one FastRTC handler every frame-echo system serves: each frame back as it came.

An `AsyncStreamHandler` at 24 kHz in and out whose `emit()` awaits its own queue, the
way FastRTC's docs write an async echo. Imported by `--handler harness.echo_handler:EchoHandler`
(our server) and by the FastRTC `Stream` script.
"""

from __future__ import annotations

import asyncio

import numpy as np
from fastrtc import AsyncStreamHandler

RATE = 24000


class EchoHandler(AsyncStreamHandler):
    def __init__(self) -> None:
        super().__init__(expected_layout="mono", output_sample_rate=RATE, input_sample_rate=RATE)
        self.frames: asyncio.Queue[tuple[int, np.ndarray]] = asyncio.Queue(500)

    async def receive(self, frame: tuple[int, np.ndarray]) -> None:
        if not self.frames.full():  # a client that never reads loses frames, not memory
            self.frames.put_nowait(frame)

    async def emit(self) -> tuple[int, np.ndarray]:
        return await self.frames.get()

    def copy(self) -> EchoHandler:
        return EchoHandler()
