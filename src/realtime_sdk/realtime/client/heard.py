"""Which response the audio arriving over RTP belongs to (sans-I/O).

Over WebRTC, response audio comes on the incoming track and the events that say whose
it is come on the data channel; the two do not arrive together. The server announces
`output_audio_buffer.started` when it hands the first sample to its RTP sender, so the
audio itself arrives a little later (the receiver's jitter buffer; ~70 ms on loopback),
and `stopped`/`cleared` arrive as early before the last of it. So the tracker learns
that lag and shifts the events by it:

- until the lag is known, a response's audio begins with its first audible frame
  (the server sends silence between replies): when that comes soon enough after
  `started`, it measures the lag; once known, a response begins one lag after its
  `started` (or at an audible frame, if one comes sooner), so a reply's own leading
  silence is kept;
- a response's audio ends one lag after its `stopped`/`cleared`: silent frames that
  arrive later are not its own (audible ones, still in flight, are, until a margin);
- the item a response's audio belongs to comes from its `response.content_part.added`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ...audio import Int16Array

SILENT_PEAK = 8  # decoded digital silence is not always exactly zero
FRAME_S = 0.02  # the frame length both ends use; timing is trusted to within one
TAIL_MARGIN_S = 0.15  # how much later than the usual lag audible frames may still come
DEFAULT_LAG_S = 0.1  # until one has been measured
MAX_PLAUSIBLE_LAG_S = 0.4  # a first audible frame later than this: the reply began silent
MAX_LEAD_S = 1.0  # until the lag is known, how long to wait for an audible first frame


@dataclass(frozen=True)
class HeardAudio:
    """A piece of response audio as received: mono int16 at `rate`, and whose it is
    (`item_id` is None until the events have named the response's audio part)."""

    response_id: str
    item_id: str | None
    content_index: int
    samples: Int16Array
    rate: int


@dataclass(frozen=True)
class HeardEnd:
    """Nothing more of this response's audio will arrive."""

    response_id: str


Heard = HeardAudio | HeardEnd


@dataclass
class _Capture:
    response_id: str
    started_at: float
    fresh: bool  # nothing else was being heard when it started: its lag can be measured
    stopped_at: float | None = None
    begun: bool = False
    held: list[tuple[Int16Array, int, float]] = field(default_factory=list)  # silent frames


class HeardTracker:
    """Events and received frames in (with the time they arrived), attributed audio out."""

    def __init__(self, margin_s: float = TAIL_MARGIN_S) -> None:
        self.margin_s = margin_s
        self.lag_s: float | None = None  # started event -> first audible frame, least seen
        self.max_lag_s: float | None = None  # and the most
        self.parts: dict[str, tuple[str, int]] = {}  # response -> its audio part
        self.capture: _Capture | None = None

    def event(self, data: dict[str, Any], now: float) -> list[Heard]:
        """One server event (only the playback-related ones matter)."""
        kind = data.get("type")
        out: list[Heard] = []
        if kind == "response.content_part.added":
            part = data.get("part") or {}
            if part.get("type") in ("audio", "output_audio"):
                self.parts[data["response_id"]] = (data["item_id"], data.get("content_index", 0))
        elif kind == "output_audio_buffer.started":
            fresh = self.capture is None
            if self.capture is not None:
                out += self._finish()
            self.capture = _Capture(data["response_id"], now, fresh)
        elif kind in ("output_audio_buffer.stopped", "output_audio_buffer.cleared"):
            capture = self.capture
            if capture is not None and capture.response_id == data.get("response_id"):
                if capture.stopped_at is None:
                    capture.stopped_at = now
            elif data.get("response_id"):
                out.append(HeardEnd(data["response_id"]))  # cut before any of it played
        return out

    def frame(self, samples: Int16Array, rate: int, now: float) -> list[Heard]:
        """One received frame (mono int16)."""
        out: list[Heard] = []
        capture = self.capture
        if capture is not None and capture.stopped_at is not None:
            last_lag = self.max_lag_s if self.max_lag_s is not None else DEFAULT_LAG_S
            if now > capture.stopped_at + last_lag + self.margin_s:
                out += self._finish()
                capture = None
        if capture is None:
            return out
        audible = len(samples) > 0 and int(np.abs(samples).max()) > SILENT_PEAK
        if not capture.begun and not self._begins(capture, audible, now):
            if self.lag_s is None:  # it may be this reply's own leading silence
                capture.held.append((samples, rate, now))
            return out
        if not audible:
            capture.held.append((samples, rate, now))
            return out
        out += self._release(capture, len(capture.held))
        out.append(self._piece(capture, samples, rate))
        return out

    def _begins(self, capture: _Capture, audible: bool, now: float) -> bool:
        """Whether the capture's audio begins with this frame; if so, which of the
        silent frames held before it were its own."""
        waited = now - capture.started_at
        measured = audible and capture.fresh and waited <= MAX_PLAUSIBLE_LAG_S
        if not audible:
            if self.lag_s is not None and waited < self.lag_s - FRAME_S:
                return False  # its audio has not reached us yet
            if self.lag_s is None and waited < MAX_LEAD_S:
                return False
        capture.begun = True
        if measured:  # the first audible frame came one lag after `started`
            self._measured(waited)
            capture.held.clear()
        else:  # audio began in silence: from one (presumed) lag after `started`
            start = capture.started_at + (self.lag_s or DEFAULT_LAG_S) - FRAME_S
            capture.held[:] = [h for h in capture.held if h[2] >= start]
        return True

    def end(self) -> list[Heard]:
        """The connection is over: whatever was being heard is complete."""
        return self._finish() if self.capture is not None else []

    def _measured(self, lag: float) -> None:
        self.lag_s = lag if self.lag_s is None else min(self.lag_s, lag)
        self.max_lag_s = lag if self.max_lag_s is None else max(self.max_lag_s, lag)

    def _piece(self, capture: _Capture, samples: Int16Array, rate: int) -> HeardAudio:
        item_id, index = self.parts.get(capture.response_id, (None, 0))
        return HeardAudio(capture.response_id, item_id, index, samples, rate)

    def _release(self, capture: _Capture, count: int) -> list[Heard]:
        """The first `count` held silent frames, as this response's audio."""
        out: list[Heard] = [self._piece(capture, s, rate) for s, rate, _ in capture.held[:count]]
        del capture.held[:count]
        return out

    def _finish(self) -> list[Heard]:
        """The capture is complete: its held silence up to one lag after it stopped is
        its own (the end of the reply, or up to the cut); what came after is not."""
        capture = self.capture
        assert capture is not None
        self.capture = None
        out: list[Heard] = []
        if capture.begun and capture.stopped_at is not None:
            until = capture.stopped_at + (self.lag_s or DEFAULT_LAG_S) + FRAME_S
            out += self._release(capture, sum(1 for *_, at in capture.held if at <= until))
        out.append(HeardEnd(capture.response_id))
        return out
