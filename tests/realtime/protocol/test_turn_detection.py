"""ServerVad's rules, driven by a scripted speech model (the state machine is what is tested).

The fake model reads each frame's probability from the audio itself (every sample of a frame holds
round(p * 1000)), so a script is just audio, and any chunking of it must give the same events.
Most tests use 10-sample frames at 1 kHz, so one frame is 10 ms and times read plainly.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from realtime_sdk.realtime.protocol.turn_detection import (
    SEMANTIC_SILENCE_MS,
    IdleTimeout,
    ServerVad,
    VadConfig,
    VadConfigError,
    VadEvent,
    VadSpeechStarted,
    VadSpeechStopped,
)


class ScriptedModel:
    """A SpeechModel whose probability is written in the frame: sample value / 1000."""

    def __init__(self, sample_rate: int = 1000, frame_samples: int = 10) -> None:
        self.sample_rate = sample_rate
        self.frame_samples = frame_samples
        self.frames_seen = 0
        self.resets = 0

    def probability(self, frame: npt.NDArray[np.int16]) -> float:
        assert frame.dtype == np.int16 and frame.shape == (self.frame_samples,)
        assert (frame == frame[0]).all(), "a frame straddles two scripted frames"
        self.frames_seen += 1
        return int(frame[0]) / 1000

    def reset(self) -> None:
        self.resets += 1


def script(*runs: tuple[float, int], frame: int = 10) -> npt.NDArray[np.int16]:
    """Audio for runs of (probability, number of frames)."""
    return np.concatenate(
        [np.full(frame * n, round(p * 1000), dtype=np.int16) for p, n in runs]
        or [np.zeros(0, dtype=np.int16)]
    )


def vad(config: VadConfig | None = None, **model: int) -> ServerVad:
    return ServerVad(ScriptedModel(**model), VadConfig() if config is None else config)


def feed_in(
    detector: ServerVad, audio: npt.NDArray[np.int16], cuts: Sequence[int]
) -> list[VadEvent]:
    events: list[VadEvent] = []
    edges = [0, *sorted(cuts), len(audio)]
    for a, b in pairwise(edges):
        events += detector.feed(audio[a:b])
    return events


# --- configuration ------------------------------------------------------------------------------


def test_defaults_are_what_the_service_sends() -> None:
    config = VadConfig()
    assert (config.threshold, config.prefix_padding_ms, config.silence_duration_ms) == (
        0.5,
        300,
        200,
    )
    assert config.create_response and config.interrupt_response
    assert config.idle_timeout_ms is None
    assert config.type == "server_vad"
    assert config.neg_threshold == pytest.approx(0.35)


def test_wire_objects_map_onto_configs() -> None:
    wire = {
        "type": "server_vad",
        "threshold": 0.7,
        "prefix_padding_ms": 100,
        "silence_duration_ms": None,
        "idle_timeout_ms": 6000,
        "create_response": False,
    }
    assert VadConfig.from_turn_detection(wire) == VadConfig(
        threshold=0.7, prefix_padding_ms=100, idle_timeout_ms=6000, create_response=False
    )
    assert VadConfig.from_turn_detection(None) is None
    assert VadConfig.from_turn_detection({"type": "server_vad"}) == VadConfig()


@pytest.mark.parametrize(
    ("eagerness", "silence_ms"), [("low", 1600), ("medium", 800), ("auto", 800), ("high", 400)]
)
def test_semantic_vad_is_server_vad_with_eagerness_dependent_silence(
    eagerness: str, silence_ms: int
) -> None:
    config = VadConfig.from_turn_detection({"type": "semantic_vad", "eagerness": eagerness})
    assert config is not None
    assert config.type == "semantic_vad"
    assert config.silence_duration_ms == silence_ms == SEMANTIC_SILENCE_MS[eagerness]
    assert (config.threshold, config.prefix_padding_ms, config.idle_timeout_ms) == (0.5, 300, None)
    assert VadConfig.from_turn_detection({"type": "semantic_vad"}) == VadConfig.semantic("auto")


@pytest.mark.parametrize(
    ("settings_", "param"),
    [
        ({"idle_timeout_ms": 4999}, "idle_timeout_ms"),
        ({"idle_timeout_ms": 30001}, "idle_timeout_ms"),
        ({"threshold": 1.5}, "threshold"),
        ({"threshold": -0.1}, "threshold"),
        ({"prefix_padding_ms": -1}, "prefix_padding_ms"),
        ({"silence_duration_ms": -1}, "silence_duration_ms"),
    ],
)
def test_refused_settings_name_the_parameter(settings_: dict[str, float], param: str) -> None:
    with pytest.raises(VadConfigError) as caught:
        VadConfig(**settings_)  # type: ignore[arg-type]
    assert caught.value.param == param
    assert param in str(caught.value)


@pytest.mark.parametrize(
    ("wire", "param"),
    [
        ({"type": "server_vad", "threshold": "high"}, "threshold"),
        ({"type": "server_vad", "create_response": 1}, "create_response"),
        ({"type": "semantic_vad", "eagerness": "eager"}, "eagerness"),
        ({"type": "client_vad"}, "type"),
    ],
)
def test_refused_wire_objects_name_the_parameter(wire: dict[str, object], param: str) -> None:
    with pytest.raises(VadConfigError) as caught:
        VadConfig.from_turn_detection(wire)
    assert caught.value.param == param


def test_idle_timeout_bounds_are_inclusive() -> None:
    assert VadConfig(idle_timeout_ms=5000).idle_timeout_ms == 5000
    assert VadConfig(idle_timeout_ms=30000).idle_timeout_ms == 30000


def test_server_vad_with_defaults_is_on_unless_told_otherwise() -> None:
    assert ServerVad(ScriptedModel()).config == VadConfig()


# --- onset and prefix padding -------------------------------------------------------------------


def test_onset_is_the_first_frame_at_threshold_minus_prefix_padding() -> None:
    detector = vad()
    assert detector.feed(script((0.0, 50), (0.49, 10))) == []
    assert detector.feed(script((0.5, 1))) == [
        VadSpeechStarted(audio_start_ms=300, speech_start_ms=600)
    ]
    assert detector.speaking


def test_prefix_padding_never_reaches_before_the_session_start() -> None:
    detector = vad()
    events = detector.feed(script((0.0, 12), (0.9, 1)))
    assert events == [VadSpeechStarted(audio_start_ms=0, speech_start_ms=120)]


def test_prefix_padding_never_reaches_before_the_buffer_start() -> None:
    detector = vad()
    detector.feed(script((0.0, 100)))
    detector.reset()  # input_audio_buffer.clear at 1000 ms
    assert detector.buffer_start_ms == 1000
    events = detector.feed(script((0.0, 10), (0.9, 1)))
    assert events == [VadSpeechStarted(audio_start_ms=1000, speech_start_ms=1100)]


def test_milliseconds_come_from_samples_at_the_models_rate() -> None:
    # Silero's shape: 512-sample frames at 16 kHz are 32 ms each.
    detector = vad(sample_rate=16000, frame_samples=512)
    events = detector.feed(script((0.0, 20), (0.9, 5), (0.0, 7), frame=512))
    assert events == [
        VadSpeechStarted(audio_start_ms=340, speech_start_ms=640),
        VadSpeechStopped(audio_end_ms=1000, speech_end_ms=800),
    ]
    assert detector.received_ms == 32 * 32
    detector.feed(np.zeros(100, dtype=np.int16))
    assert detector.received_samples == 32 * 512 + 100
    assert detector.received_ms == (32 * 512 + 100) * 1000 // 16000


# --- offset and silence duration ----------------------------------------------------------------


def test_speech_stops_once_silence_has_lasted_silence_duration() -> None:
    detector = vad()
    assert detector.feed(script((0.0, 50), (0.9, 30))) == [VadSpeechStarted(200, 500)]
    assert detector.feed(script((0.1, 19))) == []  # 190 ms of silence: not yet
    assert detector.speaking
    assert detector.feed(script((0.1, 1))) == [
        VadSpeechStopped(audio_end_ms=1000, speech_end_ms=800)
    ]
    assert not detector.speaking


def test_a_stop_commits_the_buffer_up_to_audio_end() -> None:
    detector = vad()
    detector.feed(script((0.0, 50), (0.9, 30), (0.0, 25)))
    assert detector.buffer_start_ms == 1000  # speech_end 800 + 200 of silence
    events = detector.feed(script((0.9, 1)))
    assert events == [VadSpeechStarted(audio_start_ms=1000, speech_start_ms=1050)]


def test_zero_silence_duration_stops_at_the_first_silent_frame() -> None:
    detector = vad(VadConfig(silence_duration_ms=0))
    events = detector.feed(script((0.9, 3), (0.0, 1)))
    assert events == [VadSpeechStarted(0, 0), VadSpeechStopped(audio_end_ms=30, speech_end_ms=30)]


@pytest.mark.parametrize(("eagerness", "silence_ms"), sorted(SEMANTIC_SILENCE_MS.items()))
def test_semantic_vad_waits_its_silence(eagerness: str, silence_ms: int) -> None:
    detector = vad(VadConfig.semantic(eagerness))  # type: ignore[arg-type]
    frames = silence_ms // 10
    assert detector.feed(script((0.9, 10), (0.0, frames - 1))) == [VadSpeechStarted(0, 0)]
    assert detector.feed(script((0.0, 1))) == [VadSpeechStopped(100 + silence_ms, 100)]


# --- hysteresis ---------------------------------------------------------------------------------


def test_frames_between_the_two_thresholds_do_not_start_speech() -> None:
    assert vad().feed(script((0.49, 200))) == []


def test_frames_between_the_two_thresholds_keep_speech_going() -> None:
    detector = vad()
    events = detector.feed(script((0.9, 10), (0.36, 500)))
    assert events == [VadSpeechStarted(0, 0)]
    assert detector.speaking


def test_silence_starts_below_threshold_minus_015() -> None:
    detector = vad()
    assert detector.feed(script((0.9, 10), (0.35, 20))) == [VadSpeechStarted(0, 0)]
    assert detector.speaking  # 0.35 is not below 0.35
    assert detector.feed(script((0.34, 20))) == [VadSpeechStopped(500, 300)]


def test_in_between_frames_neither_start_nor_cancel_a_silence() -> None:
    detector = vad()
    # Silence begins at 100 ms; in-between frames from 200 ms do not cancel it: it ends at 300 ms.
    events = detector.feed(script((0.9, 10), (0.1, 10), (0.4, 10)))
    assert events == [VadSpeechStarted(0, 0), VadSpeechStopped(audio_end_ms=300, speech_end_ms=100)]


def test_a_frame_at_threshold_cancels_a_silence() -> None:
    detector = vad()
    events = detector.feed(script((0.9, 10), (0.1, 19), (0.5, 1), (0.1, 20)))
    assert events == [VadSpeechStarted(0, 0), VadSpeechStopped(audio_end_ms=500, speech_end_ms=300)]


def test_the_silence_floor_is_001() -> None:
    detector = vad(VadConfig(threshold=0.1))
    assert VadConfig(threshold=0.1).neg_threshold == 0.01
    assert detector.feed(script((0.1, 1), (0.01, 100))) == [VadSpeechStarted(0, 0)]
    assert detector.feed(script((0.005, 20))) == [VadSpeechStopped(1210, 1010)]


# --- chunking -----------------------------------------------------------------------------------

PROBABILITIES = st.sampled_from([0.0, 0.2, 0.36, 0.45, 0.5, 0.8, 1.0])


@settings(max_examples=200, deadline=None)
@given(
    runs=st.lists(st.tuples(PROBABILITIES, st.integers(1, 40)), min_size=1, max_size=12),
    cuts=st.lists(st.integers(0, 10_000), max_size=30),
    idle_at=st.one_of(st.none(), st.integers(0, 3000)),
)
def test_any_chunking_gives_the_same_events(
    runs: list[tuple[float, int]], cuts: list[int], idle_at: int | None
) -> None:
    audio = script(*runs)
    config = VadConfig(silence_duration_ms=120, prefix_padding_ms=70, idle_timeout_ms=5000)
    whole, pieces = vad(config), vad(config)
    if idle_at is not None:
        whole.mark_idle_start(idle_at - 5000 + 300)  # may fire somewhere inside the script
        pieces.mark_idle_start(idle_at - 5000 + 300)
    expected = whole.feed(audio)
    got = feed_in(pieces, audio, [c % (len(audio) + 1) for c in cuts])
    assert got == expected
    assert pieces.received_ms == whole.received_ms == len(audio)


def test_a_sample_at_a_time_is_the_same_as_all_at_once() -> None:
    audio = script((0.0, 40), (0.9, 15), (0.4, 5), (0.0, 30), (0.7, 3), (0.0, 25))
    one_by_one = vad()
    events = [e for i in range(len(audio)) for e in one_by_one.feed(audio[i : i + 1])]
    assert events == vad().feed(audio)
    assert len(events) == 4


def test_the_model_sees_each_whole_frame_once_and_partial_frames_wait() -> None:
    model = ScriptedModel()
    detector = ServerVad(model, VadConfig())
    detector.feed(np.zeros(25, dtype=np.int16))
    assert model.frames_seen == 2
    detector.feed(np.zeros(5, dtype=np.int16))
    assert model.frames_seen == 3
    detector.feed(np.zeros(0, dtype=np.int16))
    assert model.frames_seen == 3


@pytest.mark.parametrize(
    "bad", [np.zeros(10, dtype=np.float32), np.zeros((2, 10), dtype=np.int16), np.zeros(10)]
)
def test_only_mono_int16_is_taken(bad: npt.NDArray[np.generic]) -> None:
    with pytest.raises(ValueError, match="int16"):
        vad().feed(bad)  # type: ignore[arg-type]


# --- reconfiguration and reset ------------------------------------------------------------------


def test_a_longer_silence_set_mid_speech_applies_to_the_pending_silence() -> None:
    detector = vad()
    assert detector.feed(script((0.9, 10), (0.0, 15))) == [VadSpeechStarted(0, 0)]
    detector.configure(VadConfig(silence_duration_ms=500))
    assert detector.feed(script((0.0, 34))) == []
    assert detector.feed(script((0.0, 1))) == [
        VadSpeechStopped(audio_end_ms=600, speech_end_ms=100)
    ]


def test_a_shorter_silence_set_mid_speech_stops_at_the_next_frame() -> None:
    detector = vad(VadConfig(silence_duration_ms=1000))
    detector.feed(script((0.9, 10), (0.0, 50)))
    detector.configure(VadConfig(silence_duration_ms=200))
    assert detector.feed(script((0.0, 1))) == [
        VadSpeechStopped(audio_end_ms=300, speech_end_ms=100)
    ]


def test_a_new_threshold_applies_to_the_next_frame() -> None:
    detector = vad()
    assert detector.feed(script((0.6, 5))) == [VadSpeechStarted(0, 0)]
    detector.configure(VadConfig(threshold=0.9))  # silence is now below 0.75
    assert detector.feed(script((0.6, 20))) == [VadSpeechStopped(250, 50)]
    assert detector.feed(script((0.8, 5))) == []


def test_turning_detection_off_drops_speech_and_counts_audio_without_the_model() -> None:
    model = ScriptedModel()
    detector = ServerVad(model, VadConfig())
    detector.feed(script((0.9, 10), (0.0, 5))[:-3])  # a partial frame is pending
    detector.configure(None)
    assert not detector.speaking
    seen = model.frames_seen
    assert detector.feed(script((0.9, 100))) == []
    assert model.frames_seen == seen
    assert detector.received_ms == 147 + 1000
    detector.configure(VadConfig())
    assert model.resets == 1  # the model missed audio: start it afresh
    # Frames now start at 1147 ms; the prefix reaches back into the counted audio.
    assert detector.feed(script((0.9, 1))) == [VadSpeechStarted(847, 1147)]


def test_reconfiguring_while_on_does_not_reset_the_model() -> None:
    model = ScriptedModel()
    detector = ServerVad(model, VadConfig())
    detector.configure(VadConfig(threshold=0.7))
    detector.configure(VadConfig.semantic("high"))
    assert model.resets == 0


def test_starting_off_counts_audio() -> None:
    detector = ServerVad(ScriptedModel(), None)
    assert detector.config is None
    assert detector.feed(script((0.9, 30))) == []
    assert detector.received_ms == 300


def test_reset_drops_speech_in_progress_without_a_stop() -> None:
    detector = vad()
    detector.feed(script((0.0, 50), (0.9, 10)))
    detector.reset()  # input_audio_buffer.commit at 600 ms
    assert not detector.speaking
    assert detector.feed(script((0.0, 50))) == []
    assert detector.feed(script((0.9, 1))) == [
        VadSpeechStarted(audio_start_ms=800, speech_start_ms=1100)
    ]


def test_reset_keeps_the_partial_frame_so_frames_stay_aligned() -> None:
    detector = vad()
    audio = script((0.0, 10), (0.9, 1))
    detector.feed(audio[:95])
    detector.reset()
    assert detector.buffer_start_ms == 95
    assert detector.feed(audio[95:]) == [VadSpeechStarted(audio_start_ms=95, speech_start_ms=100)]


# --- idle timeout -------------------------------------------------------------------------------


def idle_vad(timeout: int | None = 5000) -> ServerVad:
    return vad(VadConfig(idle_timeout_ms=timeout))


def test_idle_timeout_fires_once_after_the_marked_point() -> None:
    detector = idle_vad()
    detector.feed(script((0.0, 100)))
    detector.mark_idle_start(1000)  # the last response finished playing at 1000 ms
    assert detector.idle_start_ms == 1000
    assert detector.feed(script((0.0, 499))) == []
    assert detector.feed(script((0.0, 1))) == [IdleTimeout(audio_start_ms=1000, audio_end_ms=6000)]
    assert detector.idle_start_ms is None
    assert detector.buffer_start_ms == 6000  # the silent span is committed
    assert detector.feed(script((0.0, 1000))) == []


def test_idle_timeout_defaults_to_now_and_may_be_marked_ahead() -> None:
    detector = idle_vad()
    detector.feed(script((0.0, 30)))
    detector.mark_idle_start()
    assert detector.idle_start_ms == 300
    ahead = idle_vad()
    ahead.mark_idle_start(2000)  # playback will end at 2000 ms of input audio
    assert ahead.feed(script((0.0, 699))) == []
    assert ahead.feed(script((0.0, 1))) == [IdleTimeout(2000, 7000)]


def test_speech_before_the_deadline_disarms_the_idle_timer() -> None:
    detector = idle_vad()
    detector.mark_idle_start(0)
    events = detector.feed(script((0.0, 400), (0.9, 10), (0.0, 200)))
    assert events == [VadSpeechStarted(3700, 4000), VadSpeechStopped(4300, 4100)]
    assert detector.feed(script((0.0, 1000))) == []


def test_marking_idle_during_speech_is_ignored() -> None:
    detector = idle_vad()
    detector.feed(script((0.9, 10)))
    detector.mark_idle_start(50)
    assert detector.idle_start_ms is None
    assert detector.feed(script((0.0, 600))) == [VadSpeechStopped(300, 100)]


def test_cancel_idle_and_no_timeout_configured_never_fire() -> None:
    cancelled = idle_vad()
    cancelled.mark_idle_start(0)
    cancelled.cancel_idle()
    assert cancelled.feed(script((0.0, 1000))) == []
    unset = idle_vad(None)
    unset.mark_idle_start(0)
    assert unset.feed(script((0.0, 1000))) == []
    unset.configure(VadConfig(idle_timeout_ms=5000))  # the armed timer now has a timeout
    assert unset.feed(script((0.0, 1))) == [IdleTimeout(0, 10010)]


def test_idle_span_starts_no_earlier_than_the_buffer() -> None:
    detector = idle_vad()
    detector.mark_idle_start(0)
    detector.feed(script((0.0, 200)))
    detector.reset()  # a commit at 2000 ms
    events = detector.feed(script((0.0, 300)))
    assert events == [IdleTimeout(audio_start_ms=2000, audio_end_ms=5000)]


def test_idle_timeout_fires_at_the_end_of_the_frame_that_reaches_it() -> None:
    detector = vad(VadConfig(idle_timeout_ms=5000), sample_rate=16000, frame_samples=512)
    detector.mark_idle_start(0)
    events = detector.feed(script((0.0, 157), frame=512))  # 156 frames = 4992 ms, 157 = 5024 ms
    assert events == [IdleTimeout(0, 5024)]
