"""speech.py: espeak-ng through ctypes, phrase by phrase, voices, speed, cancellation."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from helpers.audio_signals import pitch_hz
from helpers.need import need

from realtime_sdk.audio import Int16Array
from realtime_sdk.backends.agent.speech import (
    VOICES,
    PhraseBuffer,
    Speech,
    rate_for,
    speech,
    split_phrases,
    voice_for,
)

PHRASE = "Hello world, this is a test of the speech engine."


@pytest.fixture(scope="module")
def tts() -> Speech:
    try:
        import espeakng_loader  # type: ignore[import-untyped]  # noqa: F401
    except ImportError:
        need(False, "espeakng-loader is not installed (pip install 'realtime-sdk[agent]')")
    return speech()


def seconds(samples: Int16Array, rate: int) -> float:
    return len(samples) / rate


def test_a_phrase_sounds_like_speech(tts: Speech) -> None:
    started = time.perf_counter()
    samples = tts.synthesize(PHRASE)
    took = time.perf_counter() - started
    assert tts.rate == 22050
    assert samples.dtype == np.int16
    assert 2.0 < seconds(samples, tts.rate) < 5.0  # ten words at 150 words a minute
    rms = np.sqrt(np.mean(samples.astype(np.float64) ** 2))
    assert 1000 < rms < 10000 and np.abs(samples).max() < 32767
    length = seconds(samples, tts.rate)
    print(
        f"\nespeak-ng {tts.version}: {length:.2f} s of speech in {took * 1000:.1f} ms,"
        f" real-time factor {took / length:.4f}"
    )


def centroid_hz(samples: Int16Array, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples.astype(np.float64)))
    return float((spectrum * np.fft.rfftfreq(len(samples), 1 / rate)).sum() / spectrum.sum())


def test_every_voice_is_distinct_and_the_female_ones_are_higher(tts: Speech) -> None:
    # espeak is not bit-for-bit repeatable (pitch flutter carries over between calls),
    # so voices are told apart by duration, pitch and spectral centroid
    spoken = {name: tts.synthesize("Hello there, how are you?", name) for name in VOICES}
    pitch = {name: pitch_hz(samples, tts.rate) for name, samples in spoken.items()}
    features = {
        name: np.array([len(x), pitch[name], centroid_hz(x, tts.rate)])
        for name, x in spoken.items()
    }
    names = list(spoken)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            apart = np.abs(features[a] / features[b] - 1).max()
            assert apart > 0.03, f"{a} and {b} sound alike: {features[a]} {features[b]}"
    assert min(pitch[n] for n in ("coral", "shimmer", "marin", "sage")) > max(
        pitch[n] for n in ("ash", "echo", "cedar", "ballad")
    ), pitch
    assert pitch["cedar"] < pitch["alloy"] < pitch["shimmer"], pitch


def test_unknown_voices_fall_back_and_espeak_names_work(tts: Speech) -> None:
    assert voice_for(None) == VOICES["alloy"] == voice_for("ALLOY")
    assert voice_for({"id": "custom"}) == VOICES["alloy"]
    text = "Hello there, how are you?"
    alloy = pitch_hz(tts.synthesize(text, "alloy"), tts.rate)
    assert pitch_hz(tts.synthesize(text, "no-such-voice"), tts.rate) == pytest.approx(alloy, 0.05)
    assert pitch_hz(tts.synthesize(text, "en-us+f2"), tts.rate) > 1.5 * alloy


def test_speed_scales_duration(tts: Speech) -> None:
    text = "Hello world, this is a test of the speech engine, and it keeps going for a while."
    normal = seconds(tts.synthesize(text, speed=1.0), tts.rate)
    for speed in (0.25, 0.5, 0.75, 1.25, 1.5):
        took = seconds(tts.synthesize(text, speed=speed), tts.rate)
        assert took / normal == pytest.approx(1 / speed, rel=0.1), (speed, took, normal)
    assert rate_for(1.0) == (150, 0) and rate_for(1.5) == (225, 0)
    assert rate_for(0.25)[0] == 80 and rate_for(0.25)[1] > 0  # espeak's floor, then pauses


def test_phrases_rejoin_exactly_however_the_text_streams_in() -> None:
    text = 'You said: "hello world". That is 2 words! Pi is 3.14, right?\nYes\u2026 ok'
    assert split_phrases(text) == [
        "You said: ",
        '"hello world". ',
        "That is 2 words! ",
        "Pi is 3.14, ",
        "right?\n",
        "Yes\u2026 ",
        "ok",
    ]
    for step in (1, 2, 3, 7, len(text)):
        buffer = PhraseBuffer()
        out = [p for i in range(0, len(text), step) for p in buffer.feed(text[i : i + step])]
        out.append(buffer.flush())
        assert "".join(out) == text
        assert out[0] == "You said: "  # released as soon as the boundary is known
    long = "word " * 100
    assert all(len(p) <= 200 for p in split_phrases(long)) and "".join(split_phrases(long)) == long


def test_speak_streams_phrase_by_phrase_in_short_chunks(tts: Speech) -> None:
    async def main() -> tuple[list[int], float]:
        sizes: list[int] = []
        started = time.perf_counter()
        first = 0.0
        async for chunk in tts.speak(PHRASE, "echo", 1.0, chunk_ms=100):
            first = first or time.perf_counter() - started
            assert chunk.rate == tts.rate
            sizes.append(len(chunk.samples))
        return sizes, first

    sizes, first = asyncio.run(main())
    assert max(sizes) <= tts.rate // 10
    whole = sum(len(tts.synthesize(phrase, "echo")) for phrase in split_phrases(PHRASE))
    assert sum(sizes) == pytest.approx(whole, rel=0.01)
    assert first < 0.1
    print(f"\nfirst audio after {first * 1000:.1f} ms")


def test_cancelled_speech_stops_and_frees_the_engine(tts: Speech) -> None:
    long = "This sentence goes on and on without any pause at all " * 20

    async def main() -> None:
        chunks = 0

        async def listen() -> None:
            nonlocal chunks
            async for _ in tts.speak(long):
                chunks += 1

        task = asyncio.create_task(listen())
        while chunks == 0:
            await asyncio.sleep(0.001)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        assert [t for t in asyncio.all_tasks() if t is not asyncio.current_task()] == []

    asyncio.run(main())
    started = time.perf_counter()
    tts.synthesize("Still working.")
    assert time.perf_counter() - started < 0.5


def test_stop_aborts_a_phrase_midway(tts: Speech) -> None:
    text = "one two three four five six seven eight nine ten " * 30
    full = tts.synthesize(text)
    stop = threading.Event()
    stop.set()
    assert len(tts.synthesize(text, stop=stop)) == 0
    stop = threading.Event()
    timer = threading.Timer(0.002, stop.set)
    timer.start()
    cut = tts.synthesize(text, stop=stop)
    timer.join()
    assert len(cut) < len(full)


def test_one_engine_many_threads(tts: Speech) -> None:
    # voices whose pitches lie at least 30% apart (about 80, 109, 173 and 232 Hz): espeak's
    # pitch flutter moves one voice by up to 13% from call to call, so closer voices could
    # not be told apart; a thread speaking with another thread's settings could
    voices = ["cedar", "verse", "sage", "shimmer"] * 3
    texts = [f"Number {n} is here." for n in range(len(voices))]
    alone = [tts.synthesize(t, voice) for t, voice in zip(texts, voices, strict=True)]
    centre = {v: pitch_hz(a, tts.rate) for v, a in zip(voices, alone, strict=False)}
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(tts.synthesize, texts, voices))
    for voice, a, b in zip(voices, alone, together, strict=True):
        assert len(b) == pytest.approx(len(a), rel=0.02)
        heard = pitch_hz(b, tts.rate)
        assert min(centre, key=lambda v: abs(np.log(heard / centre[v]))) == voice
