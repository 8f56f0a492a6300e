"""FastRTC's pause-detection contract on the real Silero model: `LocalPauseDetectionModel`.

Fixtures are espeak-ng speech at 16 kHz (tests/fixtures/audio/README.md says how they were made);
where speech is, by an independent measure, comes from each file's energy envelope (test_vad).
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
import pytest
import soxr  # type: ignore[import-untyped]
from helpers.speech_fixtures import RATE, TOLERANCE_MS, energy_regions, load

from realtime_sdk.backends.fastrtc import LocalPauseDetectionModel, PauseOptions, speech_chunks

# --- speech_chunks: FastRTC's span rules on scripted probabilities ------------------------------

W = 512


def spans(probs: list[float], **options: float) -> list[tuple[int, int]]:
    found = speech_chunks(probs, len(probs) * W, PauseOptions(**options))  # type: ignore[arg-type]
    return [(c["start"], c["end"]) for c in found]


def test_a_span_is_padded_and_clamped_to_the_audio() -> None:
    probs = [0.0] * 20 + [0.9] * 20 + [0.0] * 80
    # Speech in windows 20..40, padded by 400 ms = 6400 samples each side.
    assert spans(probs) == [(20 * W - 6400, 40 * W + 6400)]
    assert spans([0.0] * 5 + [0.9] * 20) == [(0, 25 * W)]


def test_spans_shorter_than_min_speech_are_dropped() -> None:
    probs = [0.0] * 10 + [0.9] * 7 + [0.0] * 80  # 7 windows = 224 ms < 250 ms
    assert spans(probs) == []
    assert spans(probs, min_speech_duration_ms=200) != []


def test_silences_shorter_than_min_silence_do_not_split() -> None:
    probs = [0.9] * 20 + [0.0] * 40 + [0.9] * 20 + [0.0] * 100  # a 1.28 s gap
    assert len(spans(probs)) == 1
    assert len(spans(probs, min_silence_duration_ms=500)) == 2


def test_close_spans_share_the_gap_between_them() -> None:
    probs = [0.9] * 20 + [0.0] * 20 + [0.9] * 20 + [0.0] * 100  # gap 20 windows < 2 paddings
    (a_start, a_end), (b_start, b_end) = spans(probs, min_silence_duration_ms=300)
    assert a_end == b_start == 30 * W
    assert (a_start, b_end) == (0, 60 * W + 6400)


def test_in_between_probabilities_keep_a_span_open() -> None:
    probs = [0.9] * 20 + [0.4] * 200
    assert spans(probs) == [(0, 220 * W)]


def test_overlong_speech_is_split_at_its_last_long_silence() -> None:
    probs = [0.9] * 40 + [0.0] * 5 + [0.9] * 40  # 5 windows = 160 ms > 98 ms
    found = spans(probs, max_speech_duration_s=1.5, speech_pad_ms=0)
    assert found[0] == (0, 40 * W)
    assert found[1][0] == 45 * W


def test_overlong_speech_without_a_silence_is_cut() -> None:
    found = spans([0.9] * 100, max_speech_duration_s=1.0, speech_pad_ms=0)
    # Cut at the first window more than 1 s - one window (15488 samples) past the start.
    assert found[0] == (0, 31 * W)
    assert found[1] == (32 * W, 63 * W)  # the cut window itself belongs to neither span


# --- LocalPauseDetectionModel: FastRTC's PauseDetectionModel ------------------------------------


@dataclass
class FastRTCSileroVadOptions:
    """A stand-in with the fields and defaults of fastrtc.SileroVadOptions (not installed here)."""

    threshold: float = 0.5
    min_speech_duration_ms: int = 250
    max_speech_duration_s: float = float("inf")
    min_silence_duration_ms: int = 2000
    window_size_samples: int = 1024
    speech_pad_ms: int = 400


def test_speech_duration_and_spans_for_hello_world() -> None:
    audio = load("hello_world_16k.wav")
    [(region_start, region_end)] = energy_regions(audio)
    model = LocalPauseDetectionModel()
    duration, chunks = model.vad((RATE, audio), None)
    [chunk] = chunks
    assert set(chunk) == {"start", "end"}
    assert all(isinstance(v, int) for v in chunk.values())
    assert duration == (chunk["end"] - chunk["start"]) / RATE
    # 400 ms of padding before the onset; the 0.6 s of trailing silence is shorter than the
    # default 2 s minimum, so the span runs to the end of the audio.
    assert abs(chunk["start"] * 1000 / RATE - (region_start - 400)) <= TOLERANCE_MS
    assert chunk["end"] == len(audio)
    # With a shorter minimum silence the span closes 400 ms after the speech.
    [short] = model.vad((RATE, audio), PauseOptions(min_silence_duration_ms=300))[1]
    assert abs(short["end"] * 1000 / RATE - (region_end + 400)) <= TOLERANCE_MS


def test_the_defaults_are_fastrtcs() -> None:
    audio = load("two_utterances_16k.wav")
    model = LocalPauseDetectionModel()
    assert model.vad((RATE, audio), None) == model.vad((RATE, audio), FastRTCSileroVadOptions())
    assert model.vad((RATE, audio), PauseOptions()) == model.vad((RATE, audio), None)
    # 2 s of min silence joins the two utterances; 500 ms splits them. Any object with the
    # fields works, as FastRTC passes its own options class through untouched.
    assert len(model.vad((RATE, audio), None)[1]) == 1
    assert len(model.vad((RATE, audio), SimpleNamespace(min_silence_duration_ms=500))[1]) == 2


def test_spans_count_16khz_samples_whatever_the_input_rate() -> None:
    audio = load("hello_world_16k.wav")
    at_48k = soxr.resample(audio, RATE, 48000).astype(np.int16)
    model = LocalPauseDetectionModel()
    duration, chunks = model.vad((48000, at_48k.reshape(1, -1)), None)
    reference, reference_chunks = model.vad((RATE, audio), None)
    assert abs(duration - reference) <= 0.064
    assert chunks[0]["end"] <= len(audio) + 1
    as_float = (at_48k / 32768).astype(np.float32)
    assert model.vad((48000, as_float), None) == (duration, chunks)
    assert len(reference_chunks) == 1


def test_stereo_either_way_round_is_averaged_to_mono() -> None:
    audio = load("hello_world_16k.wav")
    model = LocalPauseDetectionModel()
    mono = model.vad((RATE, audio), None)
    stereo = np.stack((audio, audio))
    assert model.vad((RATE, stereo), None) == mono
    assert model.vad((RATE, stereo.T.copy()), None) == mono


@pytest.mark.parametrize("rate", [16000, 24000, 48000])
def test_silence_is_no_speech(rate: int) -> None:
    assert LocalPauseDetectionModel().vad((rate, np.zeros(rate, dtype=np.int16)), None) == (0.0, [])


def test_empty_audio_is_no_speech() -> None:
    assert LocalPauseDetectionModel().vad((48000, np.zeros(0, dtype=np.int16)), None) == (0.0, [])


def test_failures_read_as_speech_like_fastrtcs_model() -> None:
    bad = np.array(["not", "audio"])
    assert LocalPauseDetectionModel().vad((RATE, bad), None) == (math.inf, [])


def test_warmup_and_concurrent_calls_from_handler_copies() -> None:
    audio = load("two_utterances_16k.wav")
    model = LocalPauseDetectionModel()
    model.warmup()
    expected = model.vad((RATE, audio), None)
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: model.vad((RATE, audio), None), range(32)))
    assert all(r == expected for r in results)


def test_reply_on_pause_algorithm_sees_talking_then_a_pause() -> None:
    """FastRTC's ReplyOnPause loop with its AlgoOptions defaults, at its 48 kHz input rate.

    It buffers 0.6 s, asks vad() for the speech duration, starts talking above 0.2 s and replies
    once a buffer holds under 0.1 s of speech.
    """
    speech = soxr.resample(load("hello_world_16k.wav"), RATE, 48000).astype(np.int16)
    stream = np.concatenate((speech, np.zeros(48000 * 2, dtype=np.int16)))
    model = LocalPauseDetectionModel()
    buffer = np.zeros(0, dtype=np.int16)
    started_at = paused_at = None
    for i in range(0, len(stream), 960):  # 20 ms frames
        buffer = np.concatenate((buffer, stream[i : i + 960]))
        if len(buffer) / 48000 < 0.6:
            continue
        duration, _ = model.vad((48000, buffer), None)
        buffer = np.zeros(0, dtype=np.int16)
        if started_at is None and duration > 0.2:
            started_at = i / 48
        elif started_at is not None and duration < 0.1:
            paused_at = i / 48
            break
    [(_, region_end)] = energy_regions(load("hello_world_16k.wav"))
    assert started_at is not None and paused_at is not None
    assert region_end < paused_at <= region_end + 1800
