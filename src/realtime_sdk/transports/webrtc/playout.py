"""Outgoing audio for WebRTC: a buffer that knows what was played, and a paced track.

`PlayoutBuffer` is sans-I/O: audio in (tagged with its response and item), fixed-size
frames out, and the player notices (started, stopped) as they happen. It counts what
went out per item, so a barge-in can truncate the item at what the user heard.

`PacedTrack` is the aiortc track the RTP sender pulls from. It keeps the audio clock
the way aiortc's own AudioStreamTrack does: frame k leaves at start + k * 20 ms
(deadline = start + samples sent / rate), never "sleep 20 ms after each send", which
drifts behind by the time each send takes. Between replies it sends silence, as a
microphone would, so the peer's jitter buffer and our clock never restart.
"""

from __future__ import annotations

import asyncio
import fractions
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import AudioFrame

from ...audio import Int16Array, StreamingResampler
from ..base import AudioTag, PlaybackStarted, PlaybackStopped, Played

log = logging.getLogger("realtime_sdk.webrtc")

RATE = 48000  # Opus's clock; aiortc resamples for G.711 peers
FRAME_MS = 20
MAX_LATE_S = 0.2  # further behind than this (a stalled loop), restart the clock: no burst
_FORGOTTEN = 64  # how many cleared or finished response ids are remembered

Notice = PlaybackStarted | PlaybackStopped


@dataclass
class _Segment:
    tag: AudioTag | None
    samples: Int16Array
    offset: int = 0

    @property
    def left(self) -> int:
        return len(self.samples) - self.offset


@dataclass
class PlayoutBuffer:
    """Tagged audio in, `take(n)` samples out (zero-padded), notices via `notify`."""

    notify: Callable[[Notice], None]
    rate: int = RATE
    buffered: int = 0  # samples waiting to be played
    _queue: deque[_Segment] = field(default_factory=deque)
    _resampler: StreamingResampler | None = None
    _in_tag: AudioTag | None = None
    _playing: AudioTag | None = None  # the tag whose audio last went out, until stopped
    _played: int = 0  # samples of `_playing` that went out
    _finished: deque[str] = field(default_factory=lambda: deque(maxlen=_FORGOTTEN))
    _dropped: deque[str] = field(default_factory=lambda: deque(maxlen=_FORGOTTEN))

    def push(self, samples: Int16Array, rate: int, tag: AudioTag | None) -> None:
        """Queue audio; audio of a cleared response is dropped (it was already cut)."""
        if tag is not None and tag.response_id in self._dropped:
            return
        resampler = self._resampler
        if resampler is None or tag != self._in_tag or resampler.in_rate != rate:
            self._end_input()
            resampler = self._resampler = StreamingResampler(rate, self.rate)
            self._in_tag = tag
        self._append(tag, resampler.process(samples))

    def finish(self, response_id: str) -> None:
        """The response has no more audio; once its last sample is out it has stopped."""
        if response_id in self._dropped or response_id in self._finished:
            return
        if self._in_tag is not None and self._in_tag.response_id == response_id:
            self._end_input()
        self._finished.append(response_id)
        self._maybe_stopped()

    def take(self, count: int) -> Int16Array:
        """The next `count` samples to play: queued audio, then silence."""
        out = np.zeros(count, dtype=np.int16)
        filled = 0
        while filled < count and self._queue:
            segment = self._queue[0]
            n = min(count - filled, segment.left)
            out[filled : filled + n] = segment.samples[segment.offset : segment.offset + n]
            segment.offset += n
            filled += n
            self.buffered -= n
            self._went_out(segment.tag, n)
            if segment.left == 0:
                self._queue.popleft()
        self._maybe_stopped()
        return out

    def clear(self) -> Played | None:
        """Drop all unplayed audio; what was playing (or next) and how much went out."""
        if self._playing is not None:
            cut: Played | None = Played(self._playing, self._played * 1000 // self.rate)
        else:
            first = next((s.tag for s in self._queue if s.tag is not None), None)
            cut = Played(first, 0) if first is not None else None
        for tag in {s.tag for s in self._queue} | {self._in_tag, self._playing}:
            if tag is not None and tag.response_id not in self._dropped:
                self._dropped.append(tag.response_id)
        self._queue.clear()
        self.buffered = 0
        if self._resampler is not None:
            self._resampler.reset()
        self._resampler = self._in_tag = self._playing = None
        self._played = 0
        return cut

    # -- internals --------------------------------------------------------------
    def _append(self, tag: AudioTag | None, samples: Int16Array) -> None:
        if len(samples):
            self._queue.append(_Segment(tag, samples))
            self.buffered += len(samples)

    def _end_input(self) -> None:
        """The resampler holds back a few ms; flush them into the stream they belong to."""
        if self._resampler is not None:
            self._append(self._in_tag, self._resampler.flush())
        self._resampler = self._in_tag = None

    def _went_out(self, tag: AudioTag | None, count: int) -> None:
        if tag is None:
            return
        playing = self._playing
        if playing is None or playing.response_id != tag.response_id:
            if playing is not None:
                self.notify(PlaybackStopped(playing.response_id))
            self.notify(PlaybackStarted(tag.response_id))
        if tag != playing:
            self._playing, self._played = tag, 0
        self._played += count

    def _maybe_stopped(self) -> None:
        playing = self._playing
        if playing is None or playing.response_id not in self._finished:
            return
        if any(s.tag is not None and s.tag.response_id == playing.response_id for s in self._queue):
            return
        self._playing, self._played = None, 0
        self.notify(PlaybackStopped(playing.response_id))


class PacedTrack(MediaStreamTrack):
    """The outgoing audio track: 20 ms frames from a PlayoutBuffer, on the audio clock."""

    kind = "audio"

    def __init__(self, buffer: PlayoutBuffer) -> None:
        super().__init__()
        self.buffer = buffer
        self.frame_samples = buffer.rate * FRAME_MS // 1000
        self.sent = 0  # samples handed to the RTP sender since the first frame
        self.started_at: float | None = None
        self.resyncs = 0
        self.pulled = asyncio.Event()  # set after every frame: room in the buffer

    async def recv(self) -> AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        loop = asyncio.get_running_loop()
        if self.started_at is None:
            self.started_at = loop.time()
        else:
            delay = self.started_at + self.sent / self.buffer.rate - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            elif delay < -MAX_LATE_S:
                self.started_at -= delay  # late by a stall: go on from now, do not burst
                self.resyncs += 1
                log.warning("audio clock restarted, %.0f ms behind", -delay * 1000)
        samples = self.buffer.take(self.frame_samples)
        # Both channels: aiortc's Opus encoder takes stereo, and its upmix of mono costs 3 dB.
        both = np.repeat(samples, 2).reshape(1, -1)
        frame = AudioFrame.from_ndarray(both, format="s16", layout="stereo")
        frame.sample_rate = self.buffer.rate
        frame.pts = self.sent
        frame.time_base = fractions.Fraction(1, self.buffer.rate)
        self.sent += self.frame_samples
        self.pulled.set()
        return frame

    def stop(self) -> None:
        super().stop()
        self.pulled.set()  # wake writers waiting for room
