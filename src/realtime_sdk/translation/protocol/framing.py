"""Input audio into 200 ms frames: the unit a translation engine consumes.

Appends may be any length; shorter ones wait here until a frame is full, longer ones
are split. Each frame knows where it starts on the input timeline (`elapsed_ms`), which
is how output is lined up with the speech it came from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

RATE: Final = 24000  # PCM16 mono, the only input format of the protocol
FRAME_MS: Final = 200
FRAME_BYTES: Final = RATE * FRAME_MS // 1000 * 2


@dataclass(frozen=True)
class Frame:
    """One frame of input (PCM16 LE bytes at 24 kHz) and where it starts, in ms."""

    pcm: bytes
    elapsed_ms: int

    @property
    def duration_ms(self) -> int:
        return len(self.pcm) * 1000 // (RATE * 2)


class Framer:
    """Bytes in, whole 200 ms frames out; `flush` gives the partial rest."""

    def __init__(self) -> None:
        self._held = bytearray()
        self._sent_bytes = 0  # bytes already handed out as frames

    @property
    def received_ms(self) -> int:
        """Input so far, frames handed out and held, in ms."""
        return (self._sent_bytes + len(self._held)) * 1000 // (RATE * 2)

    def push(self, pcm: bytes) -> list[Frame]:
        self._held += pcm
        frames = []
        while len(self._held) >= FRAME_BYTES:
            frames.append(self._take(FRAME_BYTES))
        return frames

    def flush(self) -> list[Frame]:
        """The held rest as a last, shorter frame (whole samples only), if any."""
        size = len(self._held) - len(self._held) % 2
        return [self._take(size)] if size else []

    def _take(self, size: int) -> Frame:
        elapsed = self._sent_bytes * 1000 // (RATE * 2)
        pcm = bytes(self._held[:size])
        del self._held[:size]
        self._sent_bytes += size
        return Frame(pcm, elapsed)
