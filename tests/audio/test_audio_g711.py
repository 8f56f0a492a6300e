"""Behaviour of realtime_sdk.audio.g711, through decode and encode: the ITU-T reference, exactly."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from realtime_sdk.audio.codec import decode, encode
from realtime_sdk.audio.formats import PCMA, PCMU, AudioFormat

ALL_INT16 = np.arange(-32768, 32768, dtype=np.int32).astype(np.int16)
ALL_CODES = bytes(range(256))


def ulaw_reference(x: int) -> int:
    """ITU-T G.191 STL ulaw_compress for one 16-bit sample, written out scalar."""
    absno = ((~x) >> 2) + 33 if x < 0 else (x >> 2) + 33
    absno = min(absno, 0x1FFF)
    i, segno = absno >> 6, 1
    while i:
        segno, i = segno + 1, i >> 1
    code = ((8 - segno) << 4) | (15 - ((absno >> segno) & 0x0F))
    return code | 0x80 if x >= 0 else code


def alaw_reference(x: int) -> int:
    """ITU-T G.191 STL alaw_compress for one 16-bit sample, written out scalar."""
    ix = (~x) >> 4 if x < 0 else x >> 4
    if ix > 15:
        iexp = 1
        while ix > 16 + 15:
            ix, iexp = ix >> 1, iexp + 1
        ix = ix - 16 + (iexp << 4)
    if x >= 0:
        ix |= 0x80
    return ix ^ 0x55


@pytest.mark.parametrize(("fmt", "reference"), [(PCMU, ulaw_reference), (PCMA, alaw_reference)])
def test_g711_encoder_matches_itu_reference_for_every_sample(
    fmt: AudioFormat, reference: Any
) -> None:
    expected = bytes(reference(int(v)) for v in ALL_INT16)
    assert encode(ALL_INT16, fmt) == expected


def test_g711_known_values() -> None:
    codes = bytes([0x00, 0x80, 0xFF, 0x7F, 0x0F, 0x8F])
    assert decode(codes, PCMU).tolist() == [-32124, 32124, 0, 0, -16764, 16764]
    codes = bytes([0x55, 0xD5, 0x2A, 0xAA, 0x00, 0x80])
    assert decode(codes, PCMA).tolist() == [-8, 8, -32256, 32256, -5504, 5504]


@pytest.mark.parametrize("fmt", [PCMU, PCMA])
def test_g711_decode_encode_every_code(fmt: AudioFormat) -> None:
    pcm = decode(ALL_CODES, fmt)
    assert pcm.dtype == np.int16 and pcm.shape == (256,)
    back = encode(pcm, fmt)
    if fmt == PCMU:
        # mu-law has two zeros: 0x7F (-0) decodes to 0 like 0xFF (+0), and 0 encodes as 0xFF
        assert back == ALL_CODES[:0x7F] + b"\xff" + ALL_CODES[0x80:]
    else:
        assert back == ALL_CODES
    # either way, a second trip changes nothing
    assert np.array_equal(decode(back, fmt), pcm)


@pytest.mark.parametrize("fmt", [PCMU, PCMA])
def test_g711_is_monotonic_and_symmetric(fmt: AudioFormat) -> None:
    y = decode(encode(ALL_INT16, fmt), fmt).astype(np.int32)
    assert np.all(np.diff(y) >= 0)
    # ones' complement symmetry: x and -x-1 (ALL_INT16 reversed) quantize to opposite values
    assert np.array_equal(y, -y[::-1])
    assert set(np.unique(y).tolist()) == set(decode(ALL_CODES, fmt).tolist())


@pytest.mark.parametrize("fmt", [PCMU, PCMA])
def test_g711_quantization_error_bound(fmt: AudioFormat) -> None:
    """Every int16 value comes back within half a G.711 step (|x| / 32 in the log segments)."""
    x = ALL_INT16.astype(np.int64)
    err = np.abs(decode(encode(ALL_INT16, fmt), fmt).astype(np.int64) - x)
    mag = np.abs(x)
    # mu-law: half a step is at most (|x| + bias) / 32; A-law: 8 in the linear segments
    bound = (mag + 0x84) // 32 + 1 if fmt == PCMU else np.maximum(8, mag // 32 + 1)
    assert np.all(err <= bound), x[err > bound][:10]
    # the worst case is at the clip: |x| above 32635 (mu-law) or 32767 (A-law) saturates
    assert err.max() <= (644 if fmt == PCMU else 512)
    # and in the loud segment relative error is at most ~3 %
    loud = mag >= 4096
    assert np.all(err[loud] <= 0.032 * mag[loud])


@given(st.binary(max_size=4000))
@settings(max_examples=200)
def test_g711_bytes_survive_decode_encode(data: bytes) -> None:
    for fmt in (PCMU, PCMA):
        pcm = decode(data, fmt)
        assert len(pcm) == len(data)
        again = encode(pcm, fmt)
        assert np.array_equal(decode(again, fmt), pcm)
    assert encode(decode(data, PCMA), PCMA) == data
