"""What the WebRTC transport does with aiortc's and aioice's internals (aiortc >=1.10,<2,
aioice >=0.9,<1).

- **The RTP audio level.** aiortc's sender puts each audio frame's level (RFC 6465, the
  `ssrc-audio-level` header extension browsers use to tell who is speaking) in its packets,
  summing the squares of the 960 samples of a 20 ms frame one `struct` unpack at a time:
  76 us a frame, about a tenth of the GIL time of a server with ten WebRTC peers (py-spy
  --gil). `audio_level_dbov` is the same sum in numpy, 4 us, and exact (the squares of int16
  samples sum to an integer well inside a float's 53 bits either way), so the level sent is
  the same to the last bit. It replaces `aiortc.rtp.compute_audio_level_dbov`, which the
  sender looks up per frame: process-wide.
- **The receive buffer.** aiortc's receiver keeps each audio packet until four more have
  arrived (80 ms) before decoding it, and after a lost packet stays 280 ms late for the rest
  of the call (see `AudioJitterBuffer`). `hear_promptly` puts our buffer where aiortc 1.x
  keeps the receiver's (`RTCRtpReceiver.__jitter_buffer`, name-mangled), per transceiver of
  ours, only when it finds aiortc's own there.
- **Host candidates.** aioice gathers from every interface but 127.0.0.1 and has no option
  to include it (`aioice.ice.get_host_addresses` skips it outright). That module function
  is wrapped once; the wrapper reads a context variable, so only the gathering run inside
  `loopback_candidates(...)` changes, and every other aioice user in the process is left
  alone. A peer that vanishes is noticed by ICE consent freshness (RFC 7675): aioice checks
  every 5 s and gives up after six checks unanswered, about 30 s;
  `REALTIME_SDK_ICE_CONSENT_TIMEOUT_S` shortens that (aioice's `CONSENT_INTERVAL`) for the
  whole process, read once, when aioice is first wrapped.

`apply()` checks the versions and sets the WebRTC transport's hooks
(`transports/webrtc/hooks.py`) to these; a server or a client runs it when it starts
(`_compat.apply()`). The process-wide patches are made by the `prepare` hook, before the
first peer connection, so that a server that never makes a call never loads aiortc: nothing
here imports it at import. tests/_compat/test_compat_aiortc.py checks every private name
used here on the installed aiortc and aioice.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import math
import os
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Final

import numpy as np

from ..transports.webrtc.hooks import AIORTC_HOOKS
from ..transports.webrtc.ice import LOOPBACK_V4, Loopback
from .versions import check_version

if TYPE_CHECKING:
    from aiortc.jitterbuffer import JitterFrame
    from aiortc.rtp import RtpPacket

__all__ = [
    "AUDIO_PREFETCH",
    "CONSENT_TIMEOUT_ENV",
    "MAX_SPAN",
    "AudioJitterBuffer",
    "aiortc_audio_level",
    "apply",
    "audio_level_dbov",
    "check_aiortc",
    "hear_promptly",
    "loopback_candidates",
]

log = logging.getLogger("realtime_sdk.webrtc")

AIORTC_LOWEST: Final = "1.10"
AIORTC_BELOW: Final = "2"
AIOICE_LOWEST: Final = "0.9"
AIOICE_BELOW: Final = "1"
CONSENT_TIMEOUT_ENV = "REALTIME_SDK_ICE_CONSENT_TIMEOUT_S"


def check_aiortc() -> tuple[str | None, str | None]:
    """The installed aiortc and aioice versions; `UnsupportedVersion` outside the ranges
    this module was written for. Reads package metadata only: loads neither."""
    return (
        check_version("aiortc", AIORTC_LOWEST, AIORTC_BELOW),
        check_version("aioice", AIOICE_LOWEST, AIOICE_BELOW),
    )


def apply() -> None:
    """Check the versions and have every WebRTC transport of this process use the patches
    here (idempotent). aiortc itself is patched before the first peer connection."""
    check_aiortc()
    AIORTC_HOOKS.prepare = _prepare
    AIORTC_HOOKS.audio_receiver = hear_promptly
    AIORTC_HOOKS.gathering = loopback_candidates


def _prepare() -> None:
    """The process-wide patch: aiortc's senders compute audio levels with numpy."""
    from aiortc import rtp

    global _aiortc_level
    if rtp.compute_audio_level_dbov is not audio_level_dbov:
        _aiortc_level = rtp.compute_audio_level_dbov
        rtp.compute_audio_level_dbov = audio_level_dbov


# -- the RTP audio level ---------------------------------------------------------------
_MAX_SAMPLE = 32767
_MIN_LEVEL = -127  # dBov, "silence" in RFC 6465
_aiortc_level: Callable[[Any], int] | None = None  # aiortc's own, once replaced


def audio_level_dbov(frame: Any) -> int:
    """RFC 6465 Appendix A, over the same bytes aiortc reads (the frame's first plane)."""
    samples = np.frombuffer(frame.planes[0], dtype=np.int16).astype(np.int64)
    total = int(np.dot(samples, samples))
    rms = math.sqrt(total / (frame.samples * _MAX_SAMPLE * _MAX_SAMPLE))
    if rms <= 0:
        return _MIN_LEVEL
    return round(min(max(20 * math.log10(rms), _MIN_LEVEL), 0))


def aiortc_audio_level(frame: Any) -> int:
    """aiortc's own level for `frame`, replaced or not (to compare ours with)."""
    from aiortc import rtp

    own = _aiortc_level if _aiortc_level is not None else rtp.compute_audio_level_dbov
    return int(own(frame))


# -- the receive buffer ----------------------------------------------------------------
AUDIO_PREFETCH = 1  # packets held after a packet before it is decoded (aiortc: 4)
MAX_SPAN = 3  # packets the newest may be ahead of the next one out (60 ms: reordering room)
_BUFFER = "_RTCRtpReceiver__jitter_buffer"  # where aiortc 1.x keeps a receiver's buffer


class AudioJitterBuffer:
    """aiortc's buffer for audio (a packet is a frame), holding one packet, its backlog bounded.

    aiortc's buffer does not smooth timing (a packet leaves when a later one arrives, not on
    a clock), and waits at a gap for the missing packet however many follow; its four
    packets of prefetch only add delay. A server that detects speech and answers it wants
    that audio now: one packet behind is all the buffer needs to know a packet is whole. On
    loopback this takes a WebRTC echo's round trip from 262 to 202 ms at the server alone
    (bench/bench_webrtc.py), 142 with the client too.

    A lost or reordered packet is worse: aiortc's buffer waits at a gap until sixteen later
    packets have come, and hands on one frame per packet that arrives, so what queued behind
    the gap stays queued for the rest of the call (280 ms late from then on after one loss,
    whatever the prefetch; 20 ms more after each reordering). This one keeps the newest
    packet at most `MAX_SPAN` packets ahead of the next one out: past that it drops the
    oldest, so a loss costs a few frames of audio once instead of a delay for good.

    It wraps aiortc's own `JitterBuffer` and reaches into its `_origin`, `_packets` and
    `_remove_frame`; the receiver only calls `add`.
    """

    def __init__(self, capacity: int = 16) -> None:
        from aiortc.jitterbuffer import JitterBuffer

        self._buffer = JitterBuffer(capacity, prefetch=AUDIO_PREFETCH)
        self.dropped = 0  # packets given up (lost, or dropped to catch up)

    @property
    def capacity(self) -> int:
        return int(self._buffer.capacity)

    def add(self, packet: RtpPacket) -> tuple[bool, JitterFrame | None]:
        buffer = self._buffer
        pli, frame = buffer.add(packet)
        if buffer._origin is None:
            return pli, frame
        span = (packet.sequence_number - buffer._origin) & 0xFFFF  # aiortc's uint16_add
        if MAX_SPAN < span < buffer.capacity:  # (a late packet's span wraps past capacity)
            # a gap held the queue, or reorderings left it behind: drop the oldest, so the
            # packet before this one leaves now, one behind the newest as before
            gone = span - AUDIO_PREFETCH
            buffer.remove(gone)
            while (
                buffer._origin != packet.sequence_number
                and buffer._packets[buffer._origin % buffer.capacity] is None
            ):  # a gap now at the front is lost too: the next frame out is a whole one
                buffer.remove(1)
                gone += 1
            self.dropped += gone
            if frame is None:
                frame = buffer._remove_frame(packet.sequence_number)
        return pli, frame


def hear_promptly(transceiver: Any) -> bool:
    """Give an audio transceiver's receiver an `AudioJitterBuffer` (one packet held, the
    backlog bounded); False (and nothing changed) when aiortc does not keep its buffer
    where expected."""
    from aiortc.jitterbuffer import JitterBuffer

    receiver = transceiver.receiver
    current = getattr(receiver, _BUFFER, None)
    if transceiver.kind != "audio" or not isinstance(current, JitterBuffer):
        log.debug("aiortc's audio jitter buffer not found: left as it is")
        return False
    setattr(receiver, _BUFFER, AudioJitterBuffer(capacity=current.capacity))
    return True


# -- host candidates -------------------------------------------------------------------
_mode: contextvars.ContextVar[Loopback] = contextvars.ContextVar(
    "realtime_sdk_loopback", default="never"
)
_original: Any = None  # aioice's own get_host_addresses, once wrapped


def _host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
    """aioice's host addresses, with 127.0.0.1 added (or alone) as the context asks."""
    mode = _mode.get()
    if mode == "only":
        return [LOOPBACK_V4] if use_ipv4 else []
    addresses: list[str] = _original(use_ipv4, use_ipv6)
    wanted = mode == "include" or (mode == "auto" and not addresses)
    if wanted and use_ipv4 and LOOPBACK_V4 not in addresses:
        addresses.append(LOOPBACK_V4)
    return addresses


def _wrap_host_addresses() -> None:
    """Idempotent; outside `loopback_candidates` the wrapper returns what aioice would."""
    global _original
    import aioice.ice

    if aioice.ice.get_host_addresses is not _host_addresses:
        _original = aioice.ice.get_host_addresses
        aioice.ice.get_host_addresses = _host_addresses
        _consent_timeout(os.environ.get(CONSENT_TIMEOUT_ENV))


def _consent_timeout(value: str | None) -> None:
    """aioice's consent check interval, so that its six failures take about `value` s."""
    if not value:
        return
    import aioice.ice

    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if seconds <= 0:
        log.warning("%s=%r is not a number of seconds: ignored", CONSENT_TIMEOUT_ENV, value)
        return
    # an int in aioice (5), used as a float: it is multiplied by a random factor
    aioice.ice.CONSENT_INTERVAL = seconds / aioice.ice.CONSENT_FAILURES  # type: ignore[assignment]


@contextlib.contextmanager
def loopback_candidates(mode: Loopback) -> Iterator[None]:
    """Gather with this loopback policy: wrap the `setLocalDescription` call in it
    (aiortc gathers there, in the calling task, so the context variable is seen)."""
    _wrap_host_addresses()
    token = _mode.set(mode)
    try:
        yield
    finally:
        _mode.reset(token)
