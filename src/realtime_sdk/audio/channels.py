"""Any common audio array -> mono int16, and back out in FastRTC's frame shape.

Audio reaches us as numpy arrays of many shapes and dtypes (FastRTC's ``(C, N)``, WAV's
``(N, C)``, float models, decoded stereo Opus); every other module here takes 1-D int16 only,
so the conversion is written once, here.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import numpy.typing as npt

from .formats import Int16Array, check_rate

__all__ = ["to_fastrtc_frame", "to_mono_int16"]


def to_mono_int16(array: npt.ArrayLike, *, channel_axis: int | None = None) -> Int16Array:
    """Any common audio array -> 1-D int16.

    Shapes: ``(N,)``, ``(1, N)``, ``(N, 1)``, ``(C, N)`` (FastRTC) or ``(N, C)``; channels are
    averaged. For 2-D input the channel axis is the shorter one unless ``channel_axis`` says.
    Dtypes: int16 (kept), float in [-1, 1] (scaled by 32768 and clipped; NaN -> 0), int32 and
    uint8 as full-scale 32- and 8-bit PCM.
    """
    a = np.asarray(array)
    if a.ndim == 2:
        if a.size == 0:
            return np.zeros(0, dtype=np.int16)
        if channel_axis is None:
            rows, cols = a.shape
            channel_axis = 0 if rows == 1 or (rows <= cols and cols != 1) else 1
        if channel_axis not in (0, 1, -1, -2):
            raise ValueError(f"channel_axis must be 0 or 1 for 2-D audio, got {channel_axis}")
        if a.shape[channel_axis] == 1:
            a = a.reshape(-1)
        elif a.dtype == np.int16 and a.shape[channel_axis] == 2:
            return _mean_of_two(a, channel_axis)
        else:
            return _scale_to_int16(a.mean(axis=channel_axis, dtype=np.float64), a.dtype)
    elif a.ndim != 1:
        raise ValueError(f"audio must be 1-D or 2-D, got shape {a.shape}")
    if a.dtype == np.int16:
        return cast(Int16Array, a)
    return _scale_to_int16(a, a.dtype)


def _mean_of_two(a: npt.NDArray[np.int16], channel_axis: int) -> Int16Array:
    """Stereo int16 (every decoded Opus frame) to mono in integers: the float mean rounded
    half to even, exactly, at a fraction of its cost."""
    left, right = (a[0], a[1]) if channel_axis in (0, -2) else (a[:, 0], a[:, 1])
    total = left.astype(np.int32) + right
    half = total >> 1  # floor
    mono: Int16Array = (half + (total & half & 1)).astype(np.int16)  # .5: the even neighbour
    return mono


def _scale_to_int16(values: npt.NDArray[Any], dtype: np.dtype[Any]) -> Int16Array:
    """``values`` are in the units of ``dtype`` (maybe already averaged, so float)."""
    if np.issubdtype(dtype, np.floating):
        v = np.nan_to_num(values.astype(np.float64), nan=0.0, posinf=1.0, neginf=-1.0) * 32768.0
    elif dtype == np.int16:
        v = values.astype(np.float64, copy=False)
    elif dtype == np.int32:
        v = values.astype(np.float64, copy=False) / 65536.0
    elif dtype == np.uint8:
        v = (values.astype(np.float64, copy=False) - 128.0) * 256.0
    else:
        raise TypeError(f"unsupported audio dtype {dtype}; use int16, int32, uint8 or float")
    return np.clip(np.rint(v), -32768, 32767).astype(np.int16)


def to_fastrtc_frame(samples: npt.ArrayLike, rate: int) -> tuple[int, Int16Array]:
    """FastRTC's audio frame: ``(sample_rate, int16 array of shape (1, N))``."""
    return check_rate(rate, "rate"), to_mono_int16(samples).reshape(1, -1)
