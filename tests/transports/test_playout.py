"""PlayoutBuffer without a network: what it plays, what it tells, what a clear cut."""

from __future__ import annotations

import asyncio

import numpy as np

from realtime_sdk.transports.base import AudioTag, PlaybackStarted, PlaybackStopped, Played
from realtime_sdk.transports.webrtc.playout import PacedTrack, PlayoutBuffer

A = AudioTag("resp_a", "item_a")
B = AudioTag("resp_b", "item_b")
FRAME = 960  # 20 ms at 48 kHz


def tone(ms: int, rate: int = 48000, value: int = 1000) -> np.ndarray:
    return np.full(rate * ms // 1000, value, dtype=np.int16)


def buffer() -> tuple[PlayoutBuffer, list[object]]:
    notices: list[object] = []
    return PlayoutBuffer(notices.append), notices


def test_started_on_the_first_frame_out_and_stopped_once_drained_and_finished() -> None:
    player, notices = buffer()
    player.push(tone(40), 48000, A)
    assert notices == []  # queued is not played
    assert player.take(FRAME).min() == 1000
    assert notices == [PlaybackStarted("resp_a")]
    player.take(FRAME)
    assert notices == [PlaybackStarted("resp_a")]  # drained, but more may come
    player.finish("resp_a")
    assert notices == [PlaybackStarted("resp_a"), PlaybackStopped("resp_a")]
    assert not player.take(FRAME).any()  # then silence


def test_stopped_waits_for_the_last_sample_when_finished_early() -> None:
    player, notices = buffer()
    player.push(tone(60, rate=24000), 24000, A)  # resampled to 48 kHz on the way in
    player.finish("resp_a")
    player.take(FRAME)
    player.take(FRAME)
    assert PlaybackStopped("resp_a") not in notices
    player.take(FRAME)
    player.take(FRAME)  # the resampler's tail
    assert notices[-1] == PlaybackStopped("resp_a")


def test_clear_says_how_much_of_the_playing_item_went_out() -> None:
    player, notices = buffer()
    player.push(tone(1000), 48000, A)
    for _ in range(10):
        player.take(FRAME)
    assert player.clear() == Played(A, 200)
    assert player.buffered == 0 and not player.take(FRAME).any()
    player.push(tone(100), 48000, A)  # late audio of the cleared response: dropped
    player.finish("resp_a")
    assert player.buffered == 0
    assert notices == [PlaybackStarted("resp_a")]  # cleared, never "stopped"
    assert player.clear() is None


def test_clear_before_playing_cuts_at_zero_and_a_new_response_plays() -> None:
    player, notices = buffer()
    player.push(tone(100), 48000, A)
    assert player.clear() == Played(A, 0)
    player.push(tone(20), 48000, B)
    player.take(FRAME)
    assert notices == [PlaybackStarted("resp_b")]


def test_the_next_response_stops_the_previous_one() -> None:
    player, notices = buffer()
    player.push(tone(20), 48000, A)
    player.push(tone(20), 48000, B)
    player.take(FRAME)
    player.take(FRAME)
    assert notices == [
        PlaybackStarted("resp_a"),
        PlaybackStopped("resp_a"),
        PlaybackStarted("resp_b"),
    ]


def test_track_frames_follow_the_clock_not_the_caller() -> None:
    """Ten frames pulled as fast as possible take 180 ms: frame k leaves at k * 20 ms."""

    async def main() -> float:
        player, _ = buffer()
        track = PacedTrack(player)
        loop = asyncio.get_running_loop()
        start = loop.time()
        for _ in range(10):
            frame = await track.recv()
            assert frame.samples == FRAME and frame.sample_rate == 48000
        track.stop()
        return loop.time() - start

    elapsed = asyncio.run(main())
    assert 0.175 <= elapsed < 0.4, elapsed  # never early; late only by a stall of the machine
