"""Back-ends named on the command line by the CLI tests (`--handler helpers.cli_handlers:NAME`).

`realtime-sdk serve` imports it, in process or in a subprocess run in tests/ or with tests/
on PYTHONPATH.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from typing import Any

import numpy as np

from realtime_sdk.backends.echo import EchoBackend

try:
    import fastrtc
except ImportError:  # the tests that need it say so
    fastrtc = None

NOT_A_BACKEND = 42
echo_instance = EchoBackend()  # a native back-end instance, shared by every session


def echo_reply(audio: tuple[int, np.ndarray]) -> Iterator[tuple[int, np.ndarray]]:
    """A ReplyOnPause reply function: says back what it heard."""
    rate, samples = audio
    yield rate, samples


if fastrtc is not None:
    from realtime_sdk.backends.fastrtc import LocalPauseDetectionModel

    # a FastRTC handler instance, as a FastRTC app defines one; the local VAD model
    # keeps ReplyOnPause from downloading one
    pause_echo = fastrtc.ReplyOnPause(
        echo_reply, model=LocalPauseDetectionModel(), input_sample_rate=16000
    )

    class EchoHandler(fastrtc.StreamHandler):
        """A FastRTC handler class with a no-argument constructor."""

        def __init__(self) -> None:
            super().__init__(input_sample_rate=24000, output_sample_rate=24000)
            self.frames: deque[tuple[int, np.ndarray]] = deque()

        def receive(self, frame: tuple[int, np.ndarray]) -> None:
            self.frames.append(frame)

        def emit(self) -> Any:
            return self.frames.popleft() if self.frames else None

        def copy(self) -> EchoHandler:
            return EchoHandler()
