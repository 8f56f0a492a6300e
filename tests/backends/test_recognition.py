"""recognition.py: pocketsphinx in a worker process on the recorded fixtures and on
espeak's own speech; cutting at pauses, the noise floor, the cache, a dead worker, and
an event loop that keeps running while a decode is under way."""

from __future__ import annotations

import asyncio
import os
import signal
import time

import numpy as np
import pytest
from helpers.need import need
from helpers.paths import AUDIO_FIXTURES

from realtime_sdk.audio import PCM24K, encode, read_wav, resample
from realtime_sdk.backends.agent.recognition import (
    RATE,
    Recognizer,
    SphinxTranscriber,
    pieces,
    prepare,
    with_noise_floor,
)
from realtime_sdk.backends.base import TranscriptionRequest

FIXTURES = AUDIO_FIXTURES


@pytest.fixture(scope="module")
def recognizer() -> Recognizer:
    try:
        import pocketsphinx  # type: ignore[import-untyped]  # noqa: F401
    except ImportError:
        need(False, "pocketsphinx is not installed (pip install 'realtime-sdk[agent]')")
    made = Recognizer()
    made.warm_up().result(60)
    yield made  # type: ignore[misc]
    made.close()


def fixture(name: str) -> tuple[int, np.ndarray]:
    return read_wav(FIXTURES / name)


def test_pauses_cut_the_audio_into_pieces_with_context() -> None:
    rate, two = fixture("two_utterances_16k.wav")
    assert rate == RATE
    cut = pieces(two)
    assert len(cut) == 2
    # "hello" and "goodbye" with 200 ms either side, not the 1 s pause between them
    assert all(0.4 < len(p) / RATE < 1.4 for p in cut), [len(p) / RATE for p in cut]
    assert sum(len(p) for p in cut) < len(two) - 0.8 * RATE
    assert pieces(np.zeros(RATE, dtype=np.int16)) == []
    assert pieces(np.zeros(10, dtype=np.int16)) == []


def test_noise_floor_is_faint_and_repeatable() -> None:
    _, hello = fixture("hello_world_16k.wav")
    noisy = with_noise_floor(hello)
    assert np.array_equal(noisy, with_noise_floor(hello))
    added = noisy.astype(np.float64) - hello
    level = np.sqrt(np.mean(added**2)) / np.sqrt(np.mean(hello[np.abs(hello) > 300] ** 2.0))
    assert 0.01 < level < 0.1  # about -30 dB
    assert not np.any(noisy[:1000] == 0) or np.count_nonzero(noisy[:1000]) > 900


def test_prepare_resamples_to_16k() -> None:
    rate, how = fixture("fastrtc-how-are-you-24k.wav")
    assert rate == 24000
    (piece,) = prepare(how, rate)
    assert abs(len(piece) / RATE - len(pieces(resample(how, rate, RATE))[0]) / RATE) < 0.01


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("hello_world_16k.wav", "hello world"),
        ("two_utterances_16k.wav", "hello goodbye"),
        ("fastrtc-how-are-you-24k.wav", "how are you doing today"),
    ],
)
def test_recorded_speech_is_recognized(recognizer: Recognizer, name: str, expected: str) -> None:
    rate, samples = fixture(name)
    started = time.perf_counter()
    heard = asyncio.run(recognizer.transcribe(samples, rate))
    print(f"{name}: {heard!r} in {1000 * (time.perf_counter() - started):.0f} ms")
    assert heard == expected


def test_espeaks_own_speech_is_recognized(recognizer: Recognizer) -> None:
    """The noise floor matters here: espeak's digital silence confused the model. (The
    American male voices; pocketsphinx's en-us model mishears espeak's female and British
    ones, e.g. "the nowhere else" for coral's "hello world".)"""
    try:
        from realtime_sdk.backends.agent.speech import speech
    except ImportError:
        need(False, "espeakng-loader is not installed")
    tts = speech()
    for voice in ("alloy", "ash", "echo"):
        samples = tts.synthesize("hello world", voice)
        padded = np.concatenate([np.zeros(tts.rate // 2, np.int16), samples])
        heard = asyncio.run(recognizer.transcribe(padded, tts.rate))
        assert "hello" in heard and "world" in heard, (voice, heard)


def test_results_are_cached_by_content(recognizer: Recognizer) -> None:
    rate, samples = fixture("hello_world_16k.wav")
    quieter = (samples // 2).astype(np.int16)  # other content: decoded anew

    async def twice() -> tuple[str, str, float, float]:
        started = time.perf_counter()
        first = await recognizer.transcribe(quieter, rate)
        decoded = time.perf_counter() - started
        started = time.perf_counter()
        again = await recognizer.transcribe(quieter.copy(), rate)
        return first, again, decoded, time.perf_counter() - started

    first, again, decoded, seconds = asyncio.run(twice())
    assert first == again and recognizer.cached(quieter, rate) == first
    # no decode: a fraction of the first call's time, with room for a stall of the machine
    assert seconds < max(decoded / 3, 0.05), (seconds, decoded)


def test_concurrent_asks_for_the_same_audio_share_one_decode(recognizer: Recognizer) -> None:
    rate, samples = fixture("fastrtc-how-are-you-24k.wav")
    samples = (samples // 3).astype(np.int16)
    decodes: list[int] = []
    real = recognizer._decode

    def counting(*args: object) -> str:
        decodes.append(1)
        return real(*args)  # type: ignore[arg-type]

    recognizer._decode = counting  # type: ignore[method-assign]
    try:

        async def together() -> list[str]:
            return await asyncio.gather(*(recognizer.transcribe(samples, rate) for _ in range(4)))

        heard = asyncio.run(together())
    finally:
        del recognizer._decode
    assert len(set(heard)) == 1 and "how are you" in heard[0]
    assert decodes == [1]


def test_the_event_loop_runs_on_while_decoding(recognizer: Recognizer) -> None:
    """The decoder holds the GIL; in a worker process it cannot stall the loop."""
    rate, samples = fixture("two_utterances_16k.wav")
    longer = np.concatenate([samples] * 4) // 2

    async def measure() -> float:
        worst = 0.0
        job = asyncio.ensure_future(recognizer.transcribe(longer.astype(np.int16), rate))
        while not job.done():
            started = time.perf_counter()
            await asyncio.sleep(0.005)
            worst = max(worst, time.perf_counter() - started)
        await job
        return worst

    worst = asyncio.run(measure())
    print(f"worst loop stall while decoding: {1000 * worst:.1f} ms")
    assert worst < 0.2


def test_a_dead_worker_is_replaced(recognizer: Recognizer) -> None:
    rate, samples = fixture("hello_world_16k.wav")
    (worker,) = recognizer._all
    os.kill(worker.process.pid, signal.SIGKILL)
    worker.process.wait(5)
    fresh = (samples // 4).astype(np.int16)
    try:
        asyncio.run(recognizer.transcribe(fresh, rate))
    except Exception as exc:  # the decode that found it dead says so
        assert "died" in str(exc)
    heard = asyncio.run(recognizer.transcribe((samples // 5).astype(np.int16), rate))
    assert heard == "hello world"
    assert len(recognizer._all) == 1 and recognizer._all[0] is not worker


def test_transcriber_streams_words(recognizer: Recognizer) -> None:
    _, samples = fixture("fastrtc-how-are-you-24k.wav")
    request = TranscriptionRequest("item_1", 0, encode(samples, PCM24K), PCM24K, {})

    async def deltas() -> list[str]:
        return [d async for d in SphinxTranscriber(recognizer).transcribe(request)]

    words = asyncio.run(deltas())
    assert words == ["how", " are", " you", " doing", " today"]
    # each with the log of its posterior probability, as pocketsphinx gives it
    logprobs = [getattr(w, "logprob", None) for w in words]
    assert all(p is not None and -30 < p <= 0 for p in logprobs), logprobs
