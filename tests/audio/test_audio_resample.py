"""Behaviour of realtime_sdk.audio.resample: whole signals and live streams."""

from __future__ import annotations

import numpy as np
import pytest
from helpers.audio_signals import noise, peak_hz, sine, snr_db, stream, whole
from hypothesis import given, settings
from hypothesis import strategies as st

from realtime_sdk.audio.resample import StreamingResampler, resample

RATE_PAIRS = [(24000, 16000), (16000, 24000), (48000, 24000), (8000, 24000), (24000, 8000)]


@pytest.mark.parametrize(("in_rate", "out_rate"), RATE_PAIRS)
def test_sine_keeps_its_frequency(in_rate: int, out_rate: int) -> None:
    for freq in (440.0, 1000.0, 3000.0):
        y = resample(sine(freq, in_rate, 1.0), in_rate, out_rate)
        assert y.dtype == np.int16 and len(y) == out_rate
        assert abs(peak_hz(y, out_rate) - freq) <= 1.0
        # and keeps its level (no gain change in the passband)
        assert abs(np.abs(y[out_rate // 4 : -out_rate // 4]).max() - 0.5 * 32767) < 200


@pytest.mark.parametrize(("in_rate", "out_rate"), RATE_PAIRS)
def test_20ms_chunks_match_the_whole_signal(in_rate: int, out_rate: int) -> None:
    """No clicks at chunk boundaries: chunked output equals the signal resampled in one piece,
    and agrees with soxr's one-shot `resample` on audio inside both rates' band."""
    x = sine(440, in_rate, 0.5) // 2 + noise(in_rate, 0.5) // 4
    chunked = stream(StreamingResampler(in_rate, out_rate), x, [in_rate // 50])
    assert len(chunked) == len(resample(x, in_rate, out_rate))
    assert np.array_equal(chunked, whole(in_rate, out_rate, x))
    # away from the signal's two ends, where the filters' edge handling differs
    inner = slice(out_rate // 50, -out_rate // 50)
    voice = sine(440, in_rate, 0.5) // 2 + sine(2500, in_rate, 0.5) // 4  # under 4 kHz (8 kHz)
    chunked = stream(StreamingResampler(in_rate, out_rate), voice, [in_rate // 50])
    assert snr_db(chunked[inner], resample(voice, in_rate, out_rate)[inner]) > 60
    # the chunked sine has no jump larger than the one-shot sine's own largest step
    s = stream(StreamingResampler(in_rate, out_rate), sine(440, in_rate, 0.5), [in_rate // 50])
    steps = np.abs(np.diff(s[inner].astype(np.int32)))
    one_shot = resample(sine(440, in_rate, 0.5), in_rate, out_rate)
    assert steps.max() <= np.abs(np.diff(one_shot[inner].astype(np.int32))).max() + 1


@pytest.mark.parametrize(("in_rate", "out_rate"), RATE_PAIRS[:4])
@given(sizes=st.lists(st.integers(0, 2500), min_size=1, max_size=12).filter(any))
@settings(max_examples=25, deadline=None)
def test_random_chunking_changes_nothing(in_rate: int, out_rate: int, sizes: list[int]) -> None:
    x = noise(in_rate, 0.3, seed=in_rate + out_rate)
    chunked = stream(StreamingResampler(in_rate, out_rate), x, sizes)
    assert np.array_equal(chunked, whole(in_rate, out_rate, x))


@pytest.mark.parametrize(("in_rate", "out_rate"), RATE_PAIRS)
def test_live_audio_is_held_back_about_a_millisecond(in_rate: int, out_rate: int) -> None:
    """What a live call hears late at each change of rate (soxr's stream: 21 ms on average):
    half the filter, 16 samples at the lower rate."""
    r = StreamingResampler(in_rate, out_rate)
    owed = []
    for k in range(100):
        r.process(noise(in_rate, 0.02, seed=k))
        owed.append(r.pending / out_rate)
    assert max(owed) <= 16 / min(in_rate, out_rate), max(owed)


@pytest.mark.parametrize(("in_rate", "out_rate"), RATE_PAIRS)
def test_output_is_time_aligned(in_rate: int, out_rate: int) -> None:
    """Streaming delays when samples come out, not where they are: an impulse at t stays at t."""
    x = np.zeros(in_rate // 2, dtype=np.int16)
    x[in_rate // 4] = 20000
    y = stream(StreamingResampler(in_rate, out_rate), x, [in_rate // 50])
    assert int(np.argmax(y)) == out_rate // 4


def test_output_is_held_back_until_flushed() -> None:
    r = StreamingResampler(24000, 16000)
    first = r.process(sine(440, 24000, 0.02))
    assert len(first) < 320
    assert r.pending == 320 - len(first)
    total = len(first)
    for _ in range(49):
        total += len(r.process(sine(440, 24000, 0.02)))
    assert 0 < r.pending == 16000 - total
    tail = r.flush()
    assert total + len(tail) == 16000
    assert r.pending == 0


def test_flush_starts_a_fresh_signal_and_reset_drops_state() -> None:
    x = noise(24000, 0.1)
    r = StreamingResampler(24000, 16000)
    a = stream(r, x, [480])
    b = stream(r, x, [480])  # after flush, same input gives the same output
    assert np.array_equal(a, b)
    r.process(noise(24000, 0.1, seed=5))
    r.reset()
    assert r.pending == 0
    assert np.array_equal(stream(r, x, [480]), a)


def test_identity_resampler_does_not_copy() -> None:
    x = sine(440, 24000, 0.02)
    r = StreamingResampler(24000, 24000)
    assert r.is_identity
    assert r.process(x) is x
    assert len(r.flush()) == 0
    assert resample(x, 24000, 24000) is x


def test_resampling_clips_instead_of_wrapping() -> None:
    square = np.tile(np.r_[np.full(12, 32767), np.full(12, -32768)], 1000).astype(np.int16)
    for y in (
        resample(square, 24000, 16000),
        stream(StreamingResampler(24000, 16000), square, [480]),
    ):
        assert y.max() == 32767 and y.min() == -32768  # the filter overshoots; we clip
        # no wrap-around: the sign of each output follows the square's sign mostly
        assert np.mean(np.abs(y.astype(np.int32))) > 20000


def test_resampling_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="in_rate"):
        StreamingResampler(0, 16000)
    with pytest.raises(TypeError, match="1-D int16"):
        StreamingResampler(24000, 16000).process(np.zeros(10, dtype=np.float32))
    assert len(resample(np.zeros(0, dtype=np.int16), 24000, 16000)) == 0
    assert len(StreamingResampler(24000, 16000).process(np.zeros(0, dtype=np.int16))) == 0
