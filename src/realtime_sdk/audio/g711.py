"""ITU-T G.711 (mu-law and A-law) as lookup tables, bit for bit ITU-T G.191's reference code.

Decoding is a 256-entry table. The encoders follow the reference's segment/bias algorithm and
run once, at import, to fill 65536-entry tables, so encoding a frame is a single gather
(tests/audio check every one of the 65536 samples against the reference written out scalar).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import numpy as np
import numpy.typing as npt

from .formats import Int16Array

__all__ = ["ALAW_DECODE", "ALAW_ENCODE", "ULAW_DECODE", "ULAW_ENCODE"]

_ULAW_BIAS: Final = 0x84
_ULAW_CLIP: Final = 32635
_ULAW_EXP_LUT: Final = np.array([max(0, i.bit_length() - 1) for i in range(256)], dtype=np.int32)
_ALAW_SEG_END: Final = np.array([0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF])


def _ulaw_encode_reference(pcm: Int16Array) -> npt.NDArray[np.uint8]:
    """mu-law: bias 0x84, clip 32635, 8 segments, inverted bits.

    Negative samples take the ones' complement (-x - 1), as ITU-T G.191's reference code does,
    so the two halves mirror each other; plain negation differs on 127 negative inputs.
    """
    x = pcm.astype(np.int32)
    negative = x < 0
    sign = np.where(negative, 0x80, 0)
    magnitude = np.minimum(np.where(negative, ~x, x), _ULAW_CLIP) + _ULAW_BIAS
    exponent = _ULAW_EXP_LUT[magnitude >> 7]
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    code: npt.NDArray[np.int32] = ~(sign | (exponent << 4) | mantissa) & 0xFF
    return code.astype(np.uint8)


def _alaw_encode_reference(pcm: Int16Array) -> npt.NDArray[np.uint8]:
    """A-law: 13-bit magnitude, 8 segments, even bits toggled with 0x55."""
    x = pcm.astype(np.int32) >> 3
    positive = x >= 0
    mask = np.where(positive, 0xD5, 0x55)
    magnitude = np.where(positive, x, -x - 1)
    segment = np.searchsorted(_ALAW_SEG_END, magnitude).astype(np.int32)
    shift = np.where(segment < 2, 1, segment)
    code = (segment << 4) | ((magnitude >> shift) & 0x0F)
    return (code ^ mask).astype(np.uint8)


def _ulaw_decode_table() -> Int16Array:
    u = ~np.arange(256, dtype=np.int32) & 0xFF
    exponent = (u >> 4) & 0x07
    magnitude = ((((u & 0x0F) << 3) + _ULAW_BIAS) << exponent) - _ULAW_BIAS
    return np.where(u & 0x80, -magnitude, magnitude).astype(np.int16)


def _alaw_decode_table() -> Int16Array:
    a = np.arange(256, dtype=np.int32) ^ 0x55
    t = (a & 0x0F) << 4
    segment = (a & 0x70) >> 4
    magnitude = np.where(segment == 0, t + 8, (t + 0x108) << np.maximum(segment - 1, 0))
    return np.where(a & 0x80, magnitude, -magnitude).astype(np.int16)


def _encode_table(
    encoder: Callable[[Int16Array], npt.NDArray[np.uint8]],
) -> npt.NDArray[np.uint8]:
    """Indexed by the sample's bit pattern as uint16."""
    every_sample = np.arange(65536, dtype=np.uint32).astype(np.uint16).view(np.int16)
    table = encoder(every_sample)
    table.flags.writeable = False
    return table


ULAW_DECODE: Final = _ulaw_decode_table()
"""mu-law code (uint8) -> int16 sample."""
ALAW_DECODE: Final = _alaw_decode_table()
"""A-law code (uint8) -> int16 sample."""
ULAW_ENCODE: Final = _encode_table(_ulaw_encode_reference)
"""int16 sample viewed as uint16 -> mu-law code."""
ALAW_ENCODE: Final = _encode_table(_alaw_encode_reference)
"""int16 sample viewed as uint16 -> A-law code."""
ULAW_DECODE.flags.writeable = False
ALAW_DECODE.flags.writeable = False
