"""Behaviour of realtime_sdk.audio.codec: PCM16 bytes, wire decoder and encoder, quiet skipping."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from helpers.audio_signals import int16_arrays, noise, peak_hz, sine, snr_db, whole
from hypothesis import given, settings
from hypothesis import strategies as st

from realtime_sdk.audio.codec import QuietSkippingDecoder, WireDecoder, WireEncoder, decode, encode
from realtime_sdk.audio.formats import PCM24K, PCMA, PCMU, AudioFormat
from realtime_sdk.audio.resample import resample


@given(int16_arrays)
@settings(max_examples=200)
def test_pcm16_round_trip(samples: np.ndarray) -> None:
    data = encode(samples, PCM24K)
    assert len(data) == 2 * len(samples)
    assert data == samples.astype("<i2").tobytes()
    back = decode(data, PCM24K)
    assert back.dtype == np.int16
    assert np.array_equal(back, samples)
    back[:1] = 1  # the caller owns the result


@given(st.binary(max_size=2000).filter(lambda b: len(b) % 2 == 0))
def test_pcm16_bytes_round_trip(data: bytes) -> None:
    assert encode(decode(data, PCM24K), PCM24K) == data


def test_pcm16_odd_byte_count_is_an_error() -> None:
    with pytest.raises(ValueError, match="3 bytes"):
        decode(b"\x00\x01\x02", PCM24K)
    assert decode(b"\x00\x01\x02", PCMU).shape == (3,)


def test_pcm16_is_little_endian() -> None:
    assert decode(b"\x01\x00\x00\x80", "pcm16").tolist() == [1, -32768]
    assert encode(np.array([258], dtype=np.int16), {"type": "audio/pcm"}) == b"\x02\x01"


@pytest.mark.parametrize(
    "bad", [np.zeros(3, dtype=np.int32), np.zeros((1, 3), dtype=np.int16), [1, 2, 3]]
)
def test_encode_refuses_non_mono_int16(bad: Any) -> None:
    with pytest.raises(TypeError, match="to_mono_int16"):
        encode(bad, PCM24K)


@pytest.mark.parametrize(
    ("fmt", "rate"), [(PCM24K, 16000), (PCMU, 16000), (PCMA, 24000), (PCM24K, 24000)]
)
def test_wire_decoder_chunked_equals_the_whole_signal(fmt: AudioFormat, rate: int) -> None:
    x = sine(300, fmt.rate, 0.4) // 2 + noise(fmt.rate, 0.4) // 8
    wire = encode(x, fmt)
    expected = whole(fmt.rate, rate, decode(wire, fmt))
    dec = WireDecoder(fmt.to_ga(), rate)
    step = fmt.bytes_for_ms(20)
    got = [dec.process(wire[i : i + step]) for i in range(0, len(wire), step)]
    got.append(dec.flush())
    assert np.array_equal(np.concatenate(got), expected)


@pytest.mark.parametrize(("rate", "fmt"), [(16000, PCM24K), (24000, PCMU), (48000, PCMA)])
def test_wire_encoder_chunked_equals_the_whole_signal(rate: int, fmt: AudioFormat) -> None:
    x = sine(500, rate, 0.4)
    expected = encode(whole(rate, fmt.rate, x), fmt)
    enc = WireEncoder(rate, fmt.to_beta())
    got = b"".join(enc.process(x[i : i + rate // 50]) for i in range(0, len(x), rate // 50))
    got += enc.flush()
    assert got == expected and len(got) == len(encode(resample(x, rate, fmt.rate), fmt))
    assert peak_hz(decode(got, fmt), fmt.rate) == pytest.approx(500, abs=2)


def test_wire_round_trip_through_a_backend_rate() -> None:
    """The session's path: 24 kHz pcm in -> 16 kHz back-end -> 24 kHz pcm out."""
    x = sine(700, 24000, 0.5)
    dec, enc = WireDecoder(PCM24K, 16000), WireEncoder(16000, PCM24K)
    mid = [dec.process(encode(x[i : i + 480], PCM24K)) for i in range(0, len(x), 480)]
    mid.append(dec.flush())
    out = decode(b"".join(enc.process(m) for m in mid) + enc.flush(), PCM24K)
    assert len(out) == len(x)
    assert np.abs(out[1000:-1000].astype(np.int32) - x[1000:-1000]).max() < 60


def quiet_spans(rate: int) -> np.ndarray:
    """Sound, digital silence, sound, a -66 dBFS hiss, sound: 1.5 s."""
    hiss = np.clip(np.random.default_rng(1).normal(0, 16, rate // 4), -100, 100).astype(np.int16)
    sound = [sine(330, rate, 0.25) // 2 + noise(rate, 0.25, seed=k) // 8 for k in range(3)]
    silence = np.zeros(rate // 2, dtype=np.int16)
    return np.concatenate([sound[0], silence, sound[1], hiss, sound[2]])


@pytest.mark.parametrize(("fmt", "rate"), [(PCM24K, 16000), (PCMU, 16000), (PCM24K, 8000)])
@pytest.mark.parametrize("chunk_ms", [10, 20, 50])
def test_quiet_chunks_skip_the_resampler_and_keep_the_timeline(
    fmt: AudioFormat, rate: int, chunk_ms: int
) -> None:
    """Quiet chunks come out as zeros of the length the resampler gives; the output keeps its
    length after every chunk and its sound where the resampler puts it."""
    wire = encode(quiet_spans(fmt.rate), fmt)
    step = fmt.bytes_for_ms(chunk_ms)
    chunks = [wire[i : i + step] for i in range(0, len(wire), step)]
    plain, skipping = WireDecoder(fmt, rate), QuietSkippingDecoder(fmt, rate)
    expected, got = [], []
    for chunk in chunks:
        expected.append(plain.process(chunk))
        got.append(skipping.process(chunk))
        # apart by at most the resampler's hold-back (16 samples at the lower rate): a quiet
        # chunk gives all it owes, the resampler holds some back
        lag = sum(map(len, expected)) - sum(map(len, got))
        assert abs(lag) <= 16 * rate // min(rate, fmt.rate), lag
    quiet_ms = 500 + 250  # the silence and the hiss
    assert skipping.skipped >= quiet_ms // chunk_ms - 2
    y, ref = np.concatenate(got), np.concatenate(expected)
    at = lambda t: int(t * rate)  # noqa: E731
    edge = chunk_ms / 1000 + 0.01  # a chunk across an edge is not quiet; the filter's own reach
    for start, end in ((0.25, 0.75), (1.0, 1.25)):  # the silence and the hiss: zeros
        assert not y[at(start + edge) : at(end - edge)].any()
    for start, end in ((0, 0.25), (0.75, 1.0), (1.25, 1.5)):  # the sound: where it was
        inner = slice(at(start + 0.01), min(at(end - 0.01), len(y), len(ref)))
        assert snr_db(y[inner], ref[inner]) > 40


def test_loud_audio_decodes_as_the_plain_decoder_does() -> None:
    x = sine(440, 24000, 0.5) // 2 + noise(24000, 0.5) // 4
    wire = encode(x, PCM24K)
    plain, skipping = WireDecoder(PCM24K, 16000), QuietSkippingDecoder(PCM24K, 16000)
    for i in range(0, len(wire), 960):
        assert np.array_equal(skipping.process(wire[i : i + 960]), plain.process(wire[i : i + 960]))
    assert skipping.skipped == 0


def test_quiet_audio_at_the_models_own_rate_is_passed_through() -> None:
    x = np.zeros(1600, dtype=np.int16)
    x[::7] = 3
    dec = QuietSkippingDecoder(AudioFormat("pcm", 16000), 16000)
    assert np.array_equal(dec.process(encode(x, AudioFormat("pcm", 16000))), x)
