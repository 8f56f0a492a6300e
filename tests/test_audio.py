"""Behaviour of realtime_sdk.audio: formats, codecs, base64, resampling, shapes, WAV."""

from __future__ import annotations

import io
import wave
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from realtime_sdk import audio
from realtime_sdk._generated.ga import client_events as ga
from realtime_sdk.audio import (
    PCM24K,
    PCMA,
    PCMU,
    AudioFormat,
    QuietSkippingDecoder,
    StreamingResampler,
    WireDecoder,
    WireEncoder,
    b64decode_audio,
    b64encode_audio,
    decode,
    encode,
    read_wav,
    resample,
    to_fastrtc_frame,
    to_mono_int16,
    write_wav,
)

ALL_INT16 = np.arange(-32768, 32768, dtype=np.int32).astype(np.int16)
ALL_CODES = bytes(range(256))
RATE_PAIRS = [(24000, 16000), (16000, 24000), (48000, 24000), (8000, 24000), (24000, 8000)]
int16_arrays = hnp.arrays(np.int16, st.integers(0, 2000))


def sine(freq: float, rate: int, seconds: float, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return np.rint(amplitude * 32767 * np.sin(2 * np.pi * freq * t)).astype(np.int16)


def noise(rate: int, seconds: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.clip(rng.normal(0, 6000, int(rate * seconds)), -32768, 32767).astype(np.int16)


def stream(resampler: StreamingResampler, x: np.ndarray, sizes: list[int]) -> np.ndarray:
    """Feed ``x`` in chunks of the given sizes (cycled), then flush."""
    out, i, k = [], 0, 0
    while i < len(x):
        n = sizes[k % len(sizes)]
        out.append(resampler.process(x[i : i + n]))
        i, k = i + n, k + 1
    out.append(resampler.flush())
    return np.concatenate(out)


def peak_hz(x: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(x.astype(np.float64) * np.hanning(len(x))))
    return float(np.fft.rfftfreq(len(x), 1 / rate)[np.argmax(spectrum)])


# --------------------------------------------------------------------------- formats

GA_FORMS: list[tuple[Any, AudioFormat]] = [
    ({"type": "audio/pcm", "rate": 24000}, PCM24K),
    ({"type": "audio/pcm"}, PCM24K),
    ({"type": "audio/pcmu"}, PCMU),
    ({"type": "audio/pcma"}, PCMA),
    ({"type": "audio/pcmu", "rate": 8000}, PCMU),
    ({"type": "audio/pcm", "rate": 16000}, AudioFormat("pcm", 16000)),
    (ga.AudioFormatsAudioPcm(rate=24000), PCM24K),
    (ga.AudioFormatsAudioPcm(), PCM24K),  # the spec leaves `type` optional: PCM
    (ga.AudioFormatsAudioPcmu(type="audio/pcmu"), PCMU),
    (ga.AudioFormatsAudioPcma(type="audio/pcma"), PCMA),
    ({"rate": 24000}, PCM24K),
    (SimpleNamespace(type="audio/pcm", rate=None), PCM24K),
    (SimpleNamespace(type="audio/pcma"), PCMA),
]


@pytest.mark.parametrize(("value", "expected"), GA_FORMS)
def test_parses_ga_forms(value: Any, expected: AudioFormat) -> None:
    assert AudioFormat.from_ga(value) == expected
    assert AudioFormat.parse(value) == expected


@pytest.mark.parametrize(
    ("name", "expected"), [("pcm16", PCM24K), ("g711_ulaw", PCMU), ("g711_alaw", PCMA)]
)
def test_parses_beta_forms_and_round_trips(name: str, expected: AudioFormat) -> None:
    fmt = AudioFormat.from_beta(name)
    assert fmt == expected
    assert AudioFormat.parse(name) == expected
    assert fmt.to_beta() == name
    assert AudioFormat.from_ga(fmt.to_ga()) == fmt
    assert AudioFormat.parse(fmt) is fmt


def test_to_ga_shapes() -> None:
    assert PCM24K.to_ga() == {"type": "audio/pcm", "rate": 24000}
    assert PCMU.to_ga() == {"type": "audio/pcmu"}
    assert PCMA.to_ga() == {"type": "audio/pcma"}
    # what to_ga gives is what the generated models accept
    assert ga.AudioFormatsAudioPcm(**PCM24K.to_ga()).rate == 24000
    ga.AudioFormatsAudioPcmu(**PCMU.to_ga())


def test_formats_are_hashable_and_frozen() -> None:
    assert len({PCM24K, AudioFormat("pcm", 24000), PCMU, PCMA}) == 3
    with pytest.raises(AttributeError):
        PCM24K.rate = 16000  # type: ignore[misc]


@pytest.mark.parametrize(
    ("value", "match"),
    [
        ({"type": "audio/opus"}, "audio/opus"),
        ({"type": 3}, "3"),
        ({"type": "audio/pcm", "rate": 0}, "positive integer"),
        ({"type": "audio/pcm", "rate": "24000"}, "positive integer"),
        ({"type": "audio/pcm", "rate": True}, "positive integer"),
        ({"type": "audio/pcmu", "rate": 16000}, "8000 Hz only"),
        ("pcm", "'pcm'"),
        ("g711", "'g711'"),
        ("audio/pcm", "beta"),
        (None, "None"),
    ],
)
def test_unknown_formats_are_refused(value: Any, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        AudioFormat.parse(value)


def test_constructor_validation() -> None:
    with pytest.raises(ValueError, match="8000 Hz only"):
        AudioFormat("pcmu", 24000)
    with pytest.raises(ValueError, match="unknown audio encoding"):
        AudioFormat("opus", 48000)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="24000 Hz only"):
        AudioFormat("pcm", 16000).to_beta()


@pytest.mark.parametrize(
    ("fmt", "frame_bytes"),
    [(PCM24K, 960), (AudioFormat("pcm", 16000), 640), (AudioFormat("pcm", 48000), 1920),
     (PCMU, 160), (PCMA, 160)],
)  # fmt: skip
def test_twenty_ms_frames(fmt: AudioFormat, frame_bytes: int) -> None:
    assert fmt.bytes_for_ms(20) == frame_bytes
    assert fmt.duration_ms(frame_bytes) == 20
    assert fmt.samples_in(frame_bytes) == fmt.rate // 50
    assert fmt.duration_ms(frame_bytes * 50) == 1000
    # floored, as the protocol counts: one sample short of 20 ms is 19 ms
    assert fmt.duration_ms(frame_bytes - fmt.bytes_per_sample) == 19
    assert fmt.ms_for_samples(fmt.samples_for_ms(20)) == 20


def test_duration_is_exact_integer_arithmetic() -> None:
    # 100 ms (the commit minimum) at 24 kHz is 4800 bytes; 4798 bytes is 99 ms
    assert PCM24K.duration_ms(4800) == 100
    assert PCM24K.duration_ms(4798) == 99
    assert PCM24K.duration_ms(48 * 10**9) == 10**9
    assert AudioFormat("pcm", 44100).duration_ms(441 * 2) == 10
    with pytest.raises(ValueError):
        PCM24K.duration_ms(-2)


# --------------------------------------------------------------------------- G.711


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


# --------------------------------------------------------------------------- base64


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


# --------------------------------------------------------------------------- resampling


@pytest.mark.parametrize(("in_rate", "out_rate"), RATE_PAIRS)
def test_sine_keeps_its_frequency(in_rate: int, out_rate: int) -> None:
    for freq in (440.0, 1000.0, 3000.0):
        y = resample(sine(freq, in_rate, 1.0), in_rate, out_rate)
        assert y.dtype == np.int16 and len(y) == out_rate
        assert abs(peak_hz(y, out_rate) - freq) <= 1.0
        # and keeps its level (no gain change in the passband)
        assert abs(np.abs(y[out_rate // 4 : -out_rate // 4]).max() - 0.5 * 32767) < 200


def whole(in_rate: int, out_rate: int, x: np.ndarray) -> np.ndarray:
    """``x`` through a streaming resampler in one piece."""
    r = StreamingResampler(in_rate, out_rate)
    return np.concatenate([r.process(x), r.flush()])


def snr_db(y: np.ndarray, reference: np.ndarray) -> float:
    ref = reference.astype(np.float64)
    error = float(np.sum((y.astype(np.float64) - ref) ** 2))
    return float("inf") if error == 0 else float(10 * np.log10(np.sum(ref**2) / error))


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


# --------------------------------------------------------------------------- numpy shapes


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


# --------------------------------------------------------------------------- WAV


def test_wav_round_trip_path_and_bytes(tmp_path: Path) -> None:
    x = sine(440, 16000, 0.25)
    path = tmp_path / "a.wav"
    write_wav(path, 16000, x)
    rate, y = read_wav(path)
    assert rate == 16000 and np.array_equal(y, x)
    rate, y = read_wav(path.read_bytes())
    assert rate == 16000 and np.array_equal(y, x)
    buffer = io.BytesIO()
    write_wav(buffer, 24000, x.reshape(1, -1))
    rate, y = read_wav(io.BytesIO(buffer.getvalue()))
    assert rate == 24000 and np.array_equal(y, x)
    rate, y = read_wav(str(path))
    assert rate == 16000 and np.array_equal(y, x)


def _wav_bytes(rate: int, channels: int, width: int, frames: bytes) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(frames)
    return buffer.getvalue()


def test_wav_stereo_is_downmixed_on_read_and_write() -> None:
    left, right = sine(440, 8000, 0.1), np.zeros(800, dtype=np.int16)
    interleaved = np.column_stack([left, right]).astype("<i2").tobytes()
    rate, y = read_wav(_wav_bytes(8000, 2, 2, interleaved))
    expected = np.rint((left.astype(np.float64) + right) / 2).astype(np.int16)
    assert rate == 8000 and np.array_equal(y, expected)
    buffer = io.BytesIO()
    write_wav(buffer, 8000, np.vstack([left, right]))
    assert np.array_equal(read_wav(buffer.getvalue())[1], expected)
    # a single stereo frame is one sample, not two
    assert read_wav(_wav_bytes(8000, 2, 2, b"\x10\x00\x30\x00"))[1].tolist() == [32]


def test_wav_other_sample_widths() -> None:
    assert read_wav(_wav_bytes(8000, 1, 1, bytes([128, 0, 255])))[1].tolist() == [0, -32768, 32512]
    pcm24 = bytes([0x00, 0x00, 0x40, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x80])
    assert read_wav(_wav_bytes(8000, 1, 3, pcm24))[1].tolist() == [16384, 0, -32768]
    pcm32 = np.array([2**30, -(2**31)], dtype="<i4").tobytes()
    assert read_wav(_wav_bytes(8000, 1, 4, pcm32))[1].tolist() == [16384, -32768]
    with pytest.raises(ValueError, match="not a PCM WAV"):
        read_wav(b"RIFF....WAVEjunk")


def test_module_imports_nothing_of_ours() -> None:
    """audio sits under protocol in the import graph: numpy and soxr only (and itself)."""
    for path in Path(audio.__file__).parent.glob("*.py"):
        source = path.read_text()
        assert "from realtime_sdk" not in source and "from .." not in source, path.name
        assert "import realtime_sdk" not in source, path.name
