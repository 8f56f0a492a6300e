"""How long aiortc holds received audio before handing it on.

aiortc's receiver keeps each audio packet until four more have arrived (80 ms at 20 ms
per packet) before decoding it, whatever the network does. Its buffer does not smooth
timing (a packet leaves when a later one arrives, not on a clock), and it waits at a gap
for the missing packet however many follow; the four only add delay. A server that
detects speech and answers it wants that audio now: one packet behind is all the buffer
needs to know a packet is whole. On loopback this takes a WebRTC echo's round trip from
262 to 202 ms at the server alone (bench/bench_webrtc.py), 142 with the client too.

aiortc has no setting for it, so the receiver's buffer is replaced, and only when it is
the one this was written against: anything else is left as aiortc made it.
"""

from __future__ import annotations

import logging
from typing import Any

from aiortc.jitterbuffer import JitterBuffer

log = logging.getLogger("realtime_sdk.webrtc")

AUDIO_PREFETCH = 1  # packets held after a packet before it is decoded (aiortc: 4)
_BUFFER = "_RTCRtpReceiver__jitter_buffer"  # where aiortc 1.x keeps a receiver's buffer


def hear_promptly(transceiver: Any) -> bool:
    """Give an audio transceiver's receiver a buffer that holds one packet, not four;
    False (and nothing changed) when aiortc does not keep its buffer where expected."""
    receiver = transceiver.receiver
    current = getattr(receiver, _BUFFER, None)
    if transceiver.kind != "audio" or not isinstance(current, JitterBuffer):
        log.debug("aiortc's audio jitter buffer not found: left as it is")
        return False
    setattr(receiver, _BUFFER, JitterBuffer(capacity=current.capacity, prefetch=AUDIO_PREFETCH))
    return True
