"""A FastRTC handler (the real fastrtc class) reads the client's settings from its copy's
`session_config`: the instructions and voice of the moment, after each `session.update`."""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np
from helpers.memory_session import EventClient, drive
from helpers.need import need

from realtime_sdk.backends.fastrtc import FastRTCBackend

try:
    import fastrtc
except ImportError:
    fastrtc = None


def test_a_handler_reads_the_current_instructions_and_voice() -> None:
    need(fastrtc is not None, "fastrtc is not installed (pip install 'realtime-sdk[fastrtc]')")
    seen: list[tuple[str, str]] = []

    class Reader(fastrtc.StreamHandler):  # type: ignore[misc,name-defined]
        """Notes the settings it is serving under at each frame it hears."""

        def __init__(self) -> None:
            super().__init__(input_sample_rate=24000, output_sample_rate=24000)

        def receive(self, frame: tuple[int, np.ndarray]) -> None:
            config: Any = self.session_config
            seen.append((config["instructions"], config["audio"]["output"]["voice"]))

        def emit(self) -> None:
            return None

        def copy(self) -> Reader:
            return Reader()

    async def script(client: EventClient) -> None:
        await client.update(instructions="Speak French.", audio={"output": {"voice": "marin"}})
        await client.stream(np.zeros(4800, dtype=np.int16))
        for _ in range(100):
            if seen:
                break
            await asyncio.sleep(0.02)

    asyncio.run(drive(FastRTCBackend(Reader()), script, EventClient))
    assert seen and seen[-1] == ("Speak French.", "marin")
