"""Behaviour of realtime_sdk.audio.wire: strict base64."""

from __future__ import annotations

import numpy as np
import pytest
from helpers.audio_signals import sine
from hypothesis import given
from hypothesis import strategies as st

from realtime_sdk.audio.codec import decode, encode
from realtime_sdk.audio.formats import PCM24K
from realtime_sdk.audio.wire import b64decode_audio, b64encode_audio


@given(st.binary(max_size=3000))
def test_base64_round_trip(data: bytes) -> None:
    text = b64encode_audio(data)
    assert isinstance(text, str) and "\n" not in text
    assert b64decode_audio(text) == data
    assert b64decode_audio(text.encode()) == data


@pytest.mark.parametrize(
    "text", ["AAA", "AA=A", "AAAA\n", "AA AA", "AA$A", "AAA=A", "=AAA", "AA==AA==", "é"]
)
def test_base64_errors(text: str) -> None:
    with pytest.raises(ValueError, match="invalid base64 audio"):
        b64decode_audio(text)


def test_base64_of_a_20ms_frame() -> None:
    frame = sine(440, 24000, 0.02)
    text = b64encode_audio(encode(frame, PCM24K))
    assert len(text) == 1280
    assert np.array_equal(decode(b64decode_audio(text), PCM24K), frame)
