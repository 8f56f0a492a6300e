"""The tracker that says whose audio a received WebRTC frame is: events and frames in,
with made-up arrival times, no sockets (the end-to-end tests are in test_client_webrtc)."""

from __future__ import annotations

import numpy as np

from realtime_sdk.realtime.client.heard import HeardAudio, HeardEnd, HeardTracker

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


def kinds(out: list[object]) -> list[str]:
    """ "A" for an audible piece, "s" for a silent one, "end" for the end."""
    return [
        "end" if isinstance(x, HeardEnd) else "A" if np.abs(x.samples).max() else "s"  # type: ignore[attr-defined]
        for x in out
    ]


def test_first_reply_measures_the_lag_later_ones_keep_their_leading_silence() -> None:
    tracker = HeardTracker()
    tracker.event(PART, 0.0)
    assert feed(tracker, [LOUD, LOUD], 0.0) == []  # before `started`: nobody's audio
    tracker.event(started(), 1.0)
    out = feed(tracker, [QUIET, QUIET, QUIET, LOUD, QUIET, LOUD, LOUD], 1.02)
    # the first reply: its leading silence cannot be told from the gap before it
    assert kinds(out) == ["A", "s", "A", "A"]
    assert {(h.response_id, h.item_id, h.content_index, h.rate) for h in out} == {  # type: ignore[attr-defined]
        ("resp_1", "item_1", 0, RATE)
    }
    assert tracker.lag_s is not None and abs(tracker.lag_s - 0.08) < 1e-9
    tracker.event(stopped(), 1.205)
    # frames in flight after `stopped` are its own; silence one lag later is not
    out = feed(tracker, [LOUD, QUIET, QUIET, QUIET, QUIET, QUIET], 1.22)
    assert kinds(out) == ["A"]
    out = feed(tracker, [QUIET] * 10, 1.34)
    assert kinds(out) == ["s"] * 4 + ["end"]  # by stopped + lag + a frame: 1.24-1.30
    assert tracker.capture is None
    assert feed(tracker, [LOUD], 2.0) == []

    # the next reply begins one lag after its `started`, silent or not
    tracker.event(started("resp_2"), 2.995)
    out = feed(tracker, [QUIET, QUIET, QUIET, QUIET, QUIET, LOUD], 3.02)
    assert kinds(out) == ["s", "s", "s", "A"]  # from 3.06 (lag - a frame) on
    tracker.event(stopped("resp_2", "cleared"), 3.2)
    assert kinds(tracker.end()) == ["end"]


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


def test_a_first_reply_that_begins_silent_keeps_its_silence_and_measures_nothing() -> None:
    tracker = HeardTracker()
    tracker.event(started(), 0.005)
    out = feed(tracker, [QUIET] * 30 + [LOUD], 0.02)  # audible 0.6 s in: too late for a lag
    assert tracker.lag_s is None
    # its silence counts from the presumed lag (0.1 s) less a frame: 0.1 s ... 0.6 s
    assert kinds(out) == ["s"] * 26 + ["A"]
    tracker.event(started("resp_2"), 1.0)  # ends resp_1; resp_2 was not fresh
    assert feed(tracker, [LOUD], 1.02) and tracker.lag_s is None


def test_a_reply_that_stays_silent_is_all_silence() -> None:
    """No audible frame within a second: its audio is taken to be silence, from the
    presumed lag after `started` to the same lag after `stopped`."""
    tracker = HeardTracker()
    tracker.event(started(), 0.005)
    out = feed(tracker, [QUIET] * 60, 0.02)  # 0.02 ... 1.20 s
    assert out == [] and tracker.capture is not None and tracker.capture.begun
    tracker.event(stopped(), 1.305)
    out = feed(tracker, [QUIET] * 20, 1.22)  # ends after 1.305 + 0.1 + 0.15
    times = [0.02 + 0.02 * i for i in range(80)]
    kept = [t for t in times if 0.085 <= t <= 1.305 + 0.1 + 0.02]
    assert kinds(out) == ["s"] * len(kept) + ["end"]
