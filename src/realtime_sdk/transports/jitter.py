"""How long aiortc holds received audio before handing it on.

aiortc's receiver keeps each audio packet until four more have arrived (80 ms at 20 ms
per packet) before decoding it, whatever the network does. Its buffer does not smooth
timing (a packet leaves when a later one arrives, not on a clock), and it waits at a gap
for the missing packet however many follow; the four only add delay. A server that
detects speech and answers it wants that audio now: one packet behind is all the buffer
needs to know a packet is whole. On loopback this takes a WebRTC echo's round trip from
262 to 202 ms at the server alone (bench/bench_webrtc.py), 142 with the client too.

A lost or reordered packet is worse: aiortc's buffer waits at a gap until sixteen later
packets have come, and hands on one frame per packet that arrives, so what queued behind
the gap stays queued for the rest of the call (280 ms late from then on after one loss,
whatever the prefetch; 20 ms more after each reordering). `AudioJitterBuffer` keeps the
newest packet at most `MAX_SPAN` packets ahead of the next one out: past that it drops the
oldest, so a loss costs a few frames of audio once instead of a delay for good.

aiortc has no setting for either, so the receiver's buffer is replaced, and only when it is
the one this was written against: anything else is left as aiortc made it.
"""

from __future__ import annotations

import logging
from typing import Any

from aiortc.jitterbuffer import JitterBuffer, JitterFrame
from aiortc.rtp import RtpPacket
from aiortc.utils import uint16_add

log = logging.getLogger("realtime_sdk.webrtc")

AUDIO_PREFETCH = 1  # packets held after a packet before it is decoded (aiortc: 4)
MAX_SPAN = 3  # packets the newest may be ahead of the next one out (60 ms: reordering room)


class AudioJitterBuffer(JitterBuffer):
    """aiortc's buffer for audio (a packet is a frame) with its backlog bounded."""

    def __init__(self, capacity: int = 16) -> None:
        super().__init__(capacity, prefetch=AUDIO_PREFETCH)
        self.dropped = 0  # packets given up (lost, or dropped to catch up)

    def add(self, packet: RtpPacket) -> tuple[bool, JitterFrame | None]:
        pli, frame = super().add(packet)
        if self._origin is None:
            return pli, frame
        span = uint16_add(packet.sequence_number, -self._origin)
        if MAX_SPAN < span < self.capacity:  # (a late packet's span wraps past capacity)
            # a gap held the queue, or reorderings left it behind: drop the oldest, so the
            # packet before this one leaves now, one behind the newest as before
            gone = span - AUDIO_PREFETCH
            self.remove(gone)
            while (
                self._origin != packet.sequence_number
                and self._packets[self._origin % self.capacity] is None
            ):  # a gap now at the front is lost too: the next frame out is a whole one
                self.remove(1)
                gone += 1
            self.dropped += gone
            if frame is None:
                frame = self._remove_frame(packet.sequence_number)
        return pli, frame


_BUFFER = "_RTCRtpReceiver__jitter_buffer"  # where aiortc 1.x keeps a receiver's buffer


def hear_promptly(transceiver: Any) -> bool:
    """Give an audio transceiver's receiver an `AudioJitterBuffer` (one packet held, the
    backlog bounded); False (and nothing changed) when aiortc does not keep its buffer
    where expected."""
    receiver = transceiver.receiver
    current = getattr(receiver, _BUFFER, None)
    if transceiver.kind != "audio" or not isinstance(current, JitterBuffer):
        log.debug("aiortc's audio jitter buffer not found: left as it is")
        return False
    setattr(receiver, _BUFFER, AudioJitterBuffer(capacity=current.capacity))
    return True
