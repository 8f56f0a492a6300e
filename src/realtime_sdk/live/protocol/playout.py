"""The output audio clock: back-end audio queued as wire bytes, taken one frame at a
time, silence when nothing is queued.

Live output never stops while the session is open, so the session timeline is the
output clock: `position_ms` is how much audio has gone out. The driver calls `take`
once per frame by its own clock; this holds no clock of its own.

A back-end that makes audio at real-time pace (an echo, a stream) seldom has a whole
frame queued at the moment of a tick. Padding each such partial frame with silence
would cut its audio into pieces, so a partial frame waits one tick for the rest; only
if nothing more came by then is it the tail of a reply, sent padded.
"""

from __future__ import annotations

import numpy as np

from ...audio import AudioFormat, encode


class Playout:
    def __init__(self, fmt: AudioFormat, frame_ms: int) -> None:
        self.fmt = fmt
        self.frame_ms = frame_ms
        self.frame_bytes = fmt.bytes_for_ms(frame_ms)
        self.silence = encode(np.zeros(fmt.samples_for_ms(frame_ms), dtype=np.int16), fmt)
        self._queued = bytearray()
        self._sent_bytes = 0
        self._waited = False  # a partial frame has waited one tick already

    @property
    def position_ms(self) -> int:
        """Output audio sent so far: the session timeline."""
        return self.fmt.duration_ms(self._sent_bytes)

    @property
    def queued_ms(self) -> int:
        return self.fmt.duration_ms(len(self._queued))

    @property
    def end_ms(self) -> int:
        """Where audio queued now ends on the timeline."""
        return self.fmt.duration_ms(self._sent_bytes + len(self._queued))

    def push(self, wire: bytes) -> None:
        self._queued += wire

    def take(self) -> tuple[bytes, bool]:
        """The next frame, and whether it holds back-end audio (else silence); a short
        tail is filled out with silence."""
        n = self.frame_bytes
        self._sent_bytes += n
        if not self._queued:
            return self.silence, False
        if len(self._queued) < n and not self._waited:
            self._waited = True
            return self.silence, False
        self._waited = False
        frame = bytes(self._queued[:n])
        del self._queued[:n]
        if len(frame) < n:
            frame += self.silence[len(frame) :]
        return frame, True

    def clear(self) -> int:
        """Drop what has not gone out (barge-in); returns the ms dropped."""
        dropped = self.queued_ms
        self._queued.clear()
        self._waited = False
        return dropped
