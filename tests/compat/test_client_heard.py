"""The tracker that says whose audio a received WebRTC frame is: events and frames in,
with made-up arrival times, no sockets (the end-to-end tests are in test_client_webrtc)."""

from __future__ import annotations

import numpy as np

from realtime_sdk.client.heard import HeardAudio, HeardEnd, HeardTracker

RATE = 48000
FRAME = RATE // 50
LOUD = np.full(FRAME, 3000, dtype=np.int16)
QUIET = np.zeros(FRAME, dtype=np.int16)
PART = {
    "type": "response.content_part.added",
    "response_id": "resp_1",
    "item_id": "item_1",
    "content_index": 0,
    "part": {"type": "audio"},
}


def started(response_id: str = "resp_1") -> dict[str, str]:
    return {"type": "output_audio_buffer.started", "response_id": response_id}


def stopped(response_id: str = "resp_1", kind: str = "stopped") -> dict[str, str]:
    return {"type": f"output_audio_buffer.{kind}", "response_id": response_id}


def feed(tracker: HeardTracker, frames: list[np.ndarray], t0: float) -> list[object]:
    out: list[object] = []
    for index, frame in enumerate(frames):
        out += tracker.frame(frame, RATE, t0 + index * 0.02)
    return out


def test_leading_silence_skipped_lag_measured_trailing_silence_dropped() -> None:
    tracker = HeardTracker()
    tracker.event(PART, 0.0)
    assert feed(tracker, [LOUD, LOUD], 0.0) == []  # before `started`: nobody's audio
    tracker.event(started(), 1.0)
    out = feed(tracker, [QUIET, QUIET, QUIET, LOUD, QUIET, LOUD, LOUD], 1.02)
    heard = [x for x in out if isinstance(x, HeardAudio)]
    # the three leading silent frames are skipped; the inner silent one is kept
    assert len(heard) == 4
    assert {(h.response_id, h.item_id, h.content_index, h.rate) for h in heard} == {
        ("resp_1", "item_1", 0, RATE)
    }
    assert tracker.lag_s is not None and abs(tracker.lag_s - 0.08) < 1e-9
    tracker.event(stopped(), 1.2)
    # frames still in flight after `stopped` belong to it, until lag + margin
    out = feed(tracker, [LOUD, QUIET, QUIET], 1.22)
    assert [type(x) for x in out] == [HeardAudio]
    out = feed(tracker, [QUIET] * 10, 1.30)
    assert out == [HeardEnd("resp_1")]  # the held trailing silence is not heard
    assert tracker.capture is None
    assert feed(tracker, [LOUD], 2.0) == []


def test_cleared_before_playing_ends_at_once_and_next_response_takes_over() -> None:
    tracker = HeardTracker()
    assert tracker.event(stopped("resp_0", "cleared"), 0.0) == [HeardEnd("resp_0")]
    tracker.event(started("resp_1"), 0.1)
    heard = feed(tracker, [LOUD, LOUD], 0.12)
    assert [h.item_id for h in heard if isinstance(h, HeardAudio)] == [None, None]  # no part yet
    # a new response starts playing: the one before is complete
    assert tracker.event(started("resp_2"), 0.2) == [HeardEnd("resp_1")]
    assert tracker.end() == [HeardEnd("resp_2")]
    assert tracker.end() == []


def test_a_reply_that_stays_silent_is_taken_as_audio_after_a_while() -> None:
    tracker = HeardTracker()
    tracker.event(started(), 0.0)
    assert feed(tracker, [QUIET] * 40, 0.02) == []  # 0.8 s: still waiting for it
    out = feed(tracker, [QUIET] * 8 + [LOUD], 0.9)  # past 1 s the silence counts
    heard = [x for x in out if isinstance(x, HeardAudio)]
    assert len(heard) >= 3 and int(np.abs(heard[0].samples).max()) == 0
