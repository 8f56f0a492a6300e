"""Behaviour of realtime_sdk.audio.channels: any array to mono int16, FastRTC frames."""

from __future__ import annotations

import numpy as np
import pytest
from helpers.audio_signals import int16_arrays
from hypothesis import given

from realtime_sdk.audio.channels import to_fastrtc_frame, to_mono_int16


@pytest.mark.parametrize(
    ("array", "expected"),
    [
        (np.array([1, -2, 3], dtype=np.int16), [1, -2, 3]),
        (np.array([[1, -2, 3]], dtype=np.int16), [1, -2, 3]),
        (np.array([[1], [-2], [3]], dtype=np.int16), [1, -2, 3]),
        (np.array([[100, 200, 300], [300, 200, -300]], dtype=np.int16), [200, 200, 0]),
        (np.array([[100, 300], [200, 200], [300, -300]], dtype=np.int16), [200, 200, 0]),
        (np.array([[32767, -32768], [32767, -32768]], dtype=np.int16), [32767, -32768]),
        (np.array([0.0, 0.5, -0.5, 1.0, -1.0, 2.0, -3.0], dtype=np.float32),
         [0, 16384, -16384, 32767, -32768, 32767, -32768]),
        (np.array([[0.5, -1.0], [0.0, 1.0]], dtype=np.float64), [8192, 0]),
        (np.array([np.nan, np.inf, -np.inf]), [0, 32767, -32768]),
        (np.array([65536, -65536, 2**31 - 1, -(2**31)], dtype=np.int32),
         [1, -1, 32767, -32768]),
        (np.array([128, 0, 255], dtype=np.uint8), [0, -32768, 32512]),
        (np.zeros((1, 0), dtype=np.float32), []),
        (np.zeros((0, 2), dtype=np.int16), []),
        (np.zeros(0, dtype=np.float32), []),
    ],
)  # fmt: skip
def test_to_mono_int16(array: np.ndarray, expected: list[int]) -> None:
    y = to_mono_int16(array)
    assert y.dtype == np.int16 and y.ndim == 1
    assert y.tolist() == expected


def test_stereo_int16_downmix_is_the_rounded_mean_exactly() -> None:
    """The integer path for two int16 channels (decoded Opus) equals the float mean, rounded
    half to even, on every value including the extremes."""
    rng = np.random.default_rng(7)
    a = rng.integers(-32768, 32768, size=(4000, 2), dtype=np.int16)
    a[:4] = [[-32768, -32768], [32767, 32767], [-32768, 32767], [1, 2]]
    a[4:8] = [[-1, -2], [3, 4], [-3, -4], [0, -1]]
    for data, axis in ((a, 1), (a.T.copy(), 0)):
        expected = np.rint(data.astype(np.float64).mean(axis=axis)).astype(np.int16)
        assert np.array_equal(to_mono_int16(data, channel_axis=axis), expected)


def test_to_mono_int16_keeps_int16_without_copy_and_honours_channel_axis() -> None:
    x = np.arange(10, dtype=np.int16)
    assert to_mono_int16(x) is x
    frame = x.reshape(1, -1)
    assert np.shares_memory(to_mono_int16(frame), x)
    stereo_rows = np.array([[0, 2], [4, 6], [8, 10]], dtype=np.int16)  # (N=3, C=2)
    assert to_mono_int16(stereo_rows).tolist() == [1, 5, 9]
    assert to_mono_int16(stereo_rows, channel_axis=0).tolist() == [4, 6]
    with pytest.raises(ValueError, match="1-D or 2-D"):
        to_mono_int16(np.zeros((1, 1, 4)))
    with pytest.raises(TypeError, match="unsupported audio dtype"):
        to_mono_int16(np.zeros(4, dtype=np.int64))


@given(int16_arrays)
def test_int16_to_float_and_back_is_exact(x: np.ndarray) -> None:
    assert np.array_equal(to_mono_int16(x.astype(np.float32) / 32768), x)


def test_to_fastrtc_frame() -> None:
    rate, frame = to_fastrtc_frame(np.array([0.5, -0.5], dtype=np.float32), 24000)
    assert rate == 24000
    assert frame.shape == (1, 2) and frame.dtype == np.int16
    assert frame.tolist() == [[16384, -16384]]
    rate, frame = to_fastrtc_frame(np.zeros((2, 480), dtype=np.int16), 48000)
    assert (rate, frame.shape) == (48000, (1, 480))
