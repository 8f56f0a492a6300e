"""Behaviour of realtime_sdk.audio.formats: GA and beta formats, sizes and durations."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from realtime_sdk._generated.ga import client_events as ga
from realtime_sdk.audio.formats import PCM24K, PCMA, PCMU, AudioFormat

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
