"""Which response the audio arriving over RTP belongs to (sans-I/O).

Over WebRTC, response audio comes on the incoming track and the events that say whose
it is come on the data channel; the two do not arrive together. The server announces
`output_audio_buffer.started` when it hands the first sample to its RTP sender, so the
audio itself arrives a little later (the receiver's jitter buffer; ~70 ms on loopback),
and `stopped`/`cleared` arrive as early before the last of it. The tracker therefore:

- opens a capture at `started`, and skips the silent frames (the server sends silence
  between replies) until the first audible one, which also measures that lag;
- closes it once `stopped`/`cleared` is older than the lag plus a margin;
- holds silent frames until audio follows them, so a reply's trailing silence (or the
  silence after a cut) is not counted as heard.

The item a response's audio belongs to comes from its `response.content_part.added`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..audio import Int16Array

SILENT_PEAK = 8  # decoded digital silence is not always exactly zero
TAIL_MARGIN_S = 0.15
DEFAULT_LAG_S = 0.1
MAX_LAG_S = 1.0
MAX_LEAD_S = 1.0  # no audible frame this long after `started`: take what comes as audio


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
    ends_at: float | None = None
    audible: bool = False
    held: list[Int16Array] = field(default_factory=list)


class HeardTracker:
    """Events and received frames in (with the time they arrived), attributed audio out."""

    def __init__(self, margin_s: float = TAIL_MARGIN_S) -> None:
        self.margin_s = margin_s
        self.lag_s: float | None = None  # started event -> first audible frame, the most seen
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
            if self.capture is not None:
                out.append(self._finish())
            self.capture = _Capture(data["response_id"], now)
        elif kind in ("output_audio_buffer.stopped", "output_audio_buffer.cleared"):
            capture = self.capture
            if capture is not None and capture.response_id == data.get("response_id"):
                if capture.ends_at is None:
                    capture.ends_at = now + (self.lag_s or DEFAULT_LAG_S) + self.margin_s
            elif data.get("response_id"):
                out.append(HeardEnd(data["response_id"]))  # cut before any of it played
        return out

    def frame(self, samples: Int16Array, rate: int, now: float) -> list[Heard]:
        """One received frame (mono int16)."""
        out: list[Heard] = []
        capture = self.capture
        if capture is not None and capture.ends_at is not None and now > capture.ends_at:
            out.append(self._finish())
            capture = None
        if capture is None:
            return out
        audible = len(samples) > 0 and int(np.abs(samples).max()) > SILENT_PEAK
        if not capture.audible:
            if not audible and now - capture.started_at < MAX_LEAD_S:
                return out  # the silence before this response's audio reached us
            capture.audible = True
            lag = min(now - capture.started_at, MAX_LAG_S)
            self.lag_s = lag if self.lag_s is None else max(self.lag_s, lag)
        if not audible:
            capture.held.append(samples)
            return out
        item_id, index = self.parts.get(capture.response_id, (None, 0))
        for piece in [*capture.held, samples]:
            out.append(HeardAudio(capture.response_id, item_id, index, piece, rate))
        capture.held.clear()
        return out

    def end(self) -> list[Heard]:
        """The connection is over: whatever was being heard is complete."""
        return [self._finish()] if self.capture is not None else []

    def _finish(self) -> HeardEnd:
        assert self.capture is not None
        done = HeardEnd(self.capture.response_id)
        self.capture = None
        return done
