"""Speech in: committed user audio -> text, with pocketsphinx and its bundled en-us model.

Decoding runs in a worker process, not a thread: pocketsphinx 5 holds the GIL while it
decodes (measured here: a 5.6 s utterance stalls every other thread for ~260 ms in
`end_utt` alone), which would freeze the event loop and every session on it. A decoder
takes ~0.3 s and ~90 MB to build, so each worker builds one, once, at start-up.

Before decoding, audio is resampled to 16 kHz, cut at pauses of 300 ms or more (each
piece decoded on its own, with 200 ms of context), and given a faint noise floor
(-30 dB below the speech level, fixed seed): synthetic or digitally silent audio has
runs of exact zeros, log energies the model never saw, and pocketsphinx then hears
"low weirdo" for espeak's "hello world". Results are cached by content, so the
input transcription and the reply that quotes it decode the audio once.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import importlib.util
import json
import math
import os
import queue
import re
import struct
import subprocess
import sys
import threading
from collections import OrderedDict
from collections.abc import AsyncIterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import IO, Any, Final, NamedTuple

import numpy as np
import numpy.typing as npt

from ...audio import Int16Array, decode, resample
from ..base import BackendError, TranscriptionRequest, TranscriptToken

RATE: Final = 16000  # what the en-us model was trained on
_FRAME: Final = RATE // 100  # 10 ms
PAUSE_MS: Final = 300  # a pause this long splits the audio
CONTEXT_MS: Final = 200  # kept either side of each piece
SPEECH_DB: Final = 40.0  # frames within this of the loudest one are speech
NOISE_FLOOR_DB: Final = -30.0  # below the speech's RMS
_CACHE_SIZE: Final = 256


class RecognitionError(BackendError):
    """pocketsphinx could not be loaded or failed on the audio."""


class Recognition(NamedTuple):
    """What the decoder heard: the words as text, and each word with its posterior
    probability (pocketsphinx's, 0..1), in order; `words` is empty where the two disagree."""

    text: str
    words: tuple[tuple[str, float], ...] = ()


_VARIANT = re.compile(r"\(\d+\)$")  # `the(2)`: the second pronunciation of `the`


def _spoken(segments: Any) -> list[tuple[str, float]]:
    """The words of a decoder's segmentation: no silences, fillers or sentence marks."""
    words = []
    for seg in segments:
        if seg.word.startswith(("<", "[", "+")):
            continue
        words.append((_VARIANT.sub("", seg.word), min(1.0, max(float(seg.prob), 1e-12))))
    return words


# -- preparing the audio ------------------------------------------------------------


def pieces(samples: Int16Array) -> list[Int16Array]:
    """16 kHz audio cut at pauses: the spans of speech with some context either side."""
    frames = len(samples) // _FRAME
    if frames == 0:
        return []
    power = (samples[: frames * _FRAME].astype(np.float64).reshape(frames, _FRAME) ** 2).mean(1)
    if power.max() < 1.0:  # digital silence
        return []
    level = 10 * np.log10(power + 1e-3)
    loud = np.flatnonzero(level > level.max() - SPEECH_DB)
    spans: list[tuple[int, int]] = []
    start = previous = int(loud[0])
    for index in loud[1:]:
        if (index - previous) * 10 >= PAUSE_MS:
            spans.append((start, previous))
            start = int(index)
        previous = int(index)
    spans.append((start, previous))
    pad = CONTEXT_MS // 10
    return [
        samples[max(0, (a - pad) * _FRAME) : min(len(samples), (b + 1 + pad) * _FRAME)]
        for a, b in spans
    ]


def with_noise_floor(samples: Int16Array, db: float = NOISE_FLOOR_DB) -> Int16Array:
    """Add white noise `db` below the speech's RMS (deterministic: seeded)."""
    if len(samples) == 0:
        return samples
    x = samples.astype(np.float64)
    peak = np.abs(x).max()
    active = x[np.abs(x) > 0.01 * peak]
    rms = float(np.sqrt(np.mean(active**2))) if len(active) else 0.0
    noise = np.random.default_rng(0).normal(0.0, rms * 10 ** (db / 20), len(x))
    out: Int16Array = np.clip(np.rint(x + noise), -32768, 32767).astype(np.int16)
    return out


def prepare(samples: Int16Array, rate: int) -> list[Int16Array]:
    """Any-rate int16 audio -> the 16 kHz pieces the decoder is given."""
    return [with_noise_floor(piece) for piece in pieces(resample(samples, rate, RATE))]


# -- the decoder (in-process; the worker processes run this) -------------------------


def build_decoder() -> Any:
    """A pocketsphinx decoder on the bundled en-us model (~0.3 s, ~90 MB)."""
    try:
        from pocketsphinx import Decoder  # type: ignore[import-untyped]
    except ImportError as exc:
        raise RecognitionError(
            f"pocketsphinx is not available ({exc}); install realtime-sdk[agent]"
        ) from exc
    return Decoder(loglevel="FATAL")  # the default config is the bundled en-us model


def decode_with(decoder: Any, samples: Int16Array, rate: int) -> Recognition:
    """The words pocketsphinx hears in `samples` (lowercase, space-separated), and each
    word's posterior probability."""
    texts: list[str] = []
    words: list[tuple[str, float]] = []
    for piece in prepare(samples, rate):
        decoder.start_utt()
        decoder.process_raw(piece.tobytes(), full_utt=True)
        decoder.end_utt()
        hypothesis = decoder.hyp()
        if hypothesis is not None and hypothesis.hypstr:
            texts.append(hypothesis.hypstr)
            words += _spoken(decoder.seg())
    text = " ".join(texts)
    aligned = [w for w, _ in words] == text.split()
    return Recognition(text, tuple(words) if aligned else ())


class _Worker:
    """One decoder process, spoken to over its stdin and stdout (length-prefixed frames).

    A plain subprocess rather than multiprocessing: spawn would re-import the caller's
    main module, which breaks any script without an `if __name__ == "__main__"` guard."""

    def __init__(self) -> None:
        code = "from realtime_sdk.backends.agent.recognition import serve_worker; serve_worker()"
        # the child finds this very copy of the package, however the parent found it
        source = str(Path(__file__).resolve().parents[3])
        path = os.pathsep.join(p for p in (source, os.environ.get("PYTHONPATH")) if p)
        self.process = subprocess.Popen(
            [sys.executable, "-c", code],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": path},
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self._in, self._out = self.process.stdin, self.process.stdout
        try:
            ready = _read_exact(self._out, 1)
        except EOFError:
            ready = b""
        if ready != _READY:
            self.close()
            raise RecognitionError("the pocketsphinx worker did not start (see its stderr)")

    def decode(self, samples: Int16Array, rate: int) -> Recognition:
        data = samples.astype("<i2", copy=False).tobytes()
        try:
            self._in.write(struct.pack("<II", rate, len(data)) + data)
            self._in.flush()
            header = _read_exact(self._out, 5)
            status, size = struct.unpack("<BI", header)
            text = _read_exact(self._out, size).decode("utf-8")
        except (OSError, EOFError, struct.error) as exc:
            self.close()
            raise RecognitionError(f"the pocketsphinx worker died: {exc}") from exc
        if status != 0:
            raise RecognitionError(text)
        heard = json.loads(text)
        return Recognition(heard["text"], tuple((w, p) for w, p in heard["words"]))

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._in.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


_READY: Final = b"R"


def _read_exact(stream: IO[bytes], size: int) -> bytes:
    data = b""
    while len(data) < size:
        more = stream.read(size - len(data))
        if not more:
            raise EOFError("the other side closed the pipe")
        data += more
    return data


def serve_worker() -> None:
    """The worker process: build the decoder, say ready, decode requests until EOF."""
    protocol_out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything the C library prints goes to stderr, not into the protocol
    requests = sys.stdin.buffer
    try:
        decoder = build_decoder()
    except RecognitionError as exc:  # the parent reports it; one line here, no traceback
        print(f"pocketsphinx worker: {exc}", file=sys.stderr)
        return
    protocol_out.write(_READY)
    protocol_out.flush()
    while True:
        try:
            rate, size = struct.unpack("<II", _read_exact(requests, 8))
            data = _read_exact(requests, size)
        except EOFError:
            return
        try:
            heard = decode_with(decoder, np.frombuffer(data, dtype="<i2"), rate)
            text, status = json.dumps({"text": heard.text, "words": heard.words}), 0
        except Exception as exc:
            text, status = f"{type(exc).__name__}: {exc}", 1
        payload = text.encode("utf-8")
        protocol_out.write(struct.pack("<BI", status, len(payload)) + payload)
        protocol_out.flush()


# -- the process-wide recognizer ------------------------------------------------------


def _key(samples: npt.NDArray[np.int16], rate: int) -> str:
    digest = hashlib.blake2b(samples.tobytes(), digest_size=16)
    digest.update(rate.to_bytes(4, "little"))
    return digest.hexdigest()


class Recognizer:
    """pocketsphinx in up to `workers` worker processes (~90 MB each), each driven by a
    thread of ours that waits on its pipe; started on first use or by `warm_up()`."""

    def __init__(self, workers: int = 1) -> None:
        self.workers = workers
        self._lock = threading.Lock()
        self._threads = ThreadPoolExecutor(workers, thread_name_prefix="pocketsphinx")
        self._idle: queue.SimpleQueue[_Worker] = queue.SimpleQueue()
        self._started = 0
        self._all: list[_Worker] = []
        self._pending: dict[str, Future[Recognition]] = {}
        self._done: OrderedDict[str, Recognition] = OrderedDict()

    def warm_up(self) -> Future[None]:
        """Start a worker now (about 1 s, in the background) so the first turn is quick;
        done at once when one has been started already."""
        with self._lock:
            started = self._started > 0
        if started:
            done: Future[None] = Future()
            done.set_result(None)
            return done
        return self._threads.submit(self._warm)

    def _warm(self) -> None:
        self._release(self._acquire())

    def _acquire(self) -> _Worker:
        with self._lock:
            start = self._idle.empty() and self._started < self.workers
            if start:
                self._started += 1
        if not start:
            return self._idle.get()
        if importlib.util.find_spec("pocketsphinx") is None:
            with self._lock:
                self._started -= 1
            raise RecognitionError("pocketsphinx is not installed; install realtime-sdk[agent]")
        try:
            worker = _Worker()
        except BaseException:
            with self._lock:
                self._started -= 1
            raise
        with self._lock:
            self._all.append(worker)
        return worker

    def _release(self, worker: _Worker) -> None:
        if worker.alive:
            self._idle.put(worker)
            return
        with self._lock:  # it died: the next caller starts another
            self._started -= 1
            self._all.remove(worker)

    def _decode(self, samples: Int16Array, rate: int) -> Recognition:
        worker = self._acquire()
        try:
            return worker.decode(samples, rate)
        finally:
            self._release(worker)

    def cached(self, samples: Int16Array, rate: int) -> str | None:
        with self._lock:
            heard = self._done.get(_key(samples, rate))
        return None if heard is None else heard.text

    async def transcribe(self, samples: Int16Array, rate: int) -> str:
        """The words in `samples` (int16 at `rate`)."""
        return (await self.recognise(samples, rate)).text

    async def recognise(self, samples: Int16Array, rate: int) -> Recognition:
        """The words in `samples` with their probabilities. Cancelling the caller leaves
        the decode running; its result is cached for whoever asks next."""
        key = _key(samples, rate)
        with self._lock:
            if key in self._done:
                self._done.move_to_end(key)
                return self._done[key]
            job = self._pending.get(key)
            submitted = job is None
            if job is None:
                job = self._pending[key] = self._threads.submit(self._decode, samples, rate)
        if submitted:  # outside the lock: a finished job calls back at once
            job.add_done_callback(lambda done: self._settle(key, done))
        return await _wait(job)

    def _settle(self, key: str, job: Future[Recognition]) -> None:
        with self._lock:
            self._pending.pop(key, None)
            if not job.cancelled() and job.exception() is None:
                self._done[key] = job.result()
                while len(self._done) > _CACHE_SIZE:
                    self._done.popitem(last=False)

    def close(self) -> None:
        """Stop the workers (they also stop by themselves when this process ends)."""
        self._threads.shutdown(wait=True, cancel_futures=True)
        with self._lock:
            workers, self._all = self._all, []
            self._started = 0
        for worker in workers:
            worker.close()
        self._threads = ThreadPoolExecutor(self.workers, thread_name_prefix="pocketsphinx")
        self._idle = queue.SimpleQueue()


async def _wait(job: Future[Recognition]) -> Recognition:
    """Await a concurrent future without chaining cancellation back to it (other callers
    may be waiting on the same decode) and without leaving a task behind."""
    loop = asyncio.get_running_loop()
    waiter: asyncio.Future[Recognition] = loop.create_future()

    def settle() -> None:
        if waiter.done():
            return
        if job.cancelled():
            waiter.set_exception(RecognitionError("the transcription was cancelled"))
        elif (error := job.exception()) is not None:
            waiter.set_exception(error)
        else:
            waiter.set_result(job.result())

    def deliver(_: Future[Recognition]) -> None:
        # RuntimeError: that event loop has closed, so nobody is waiting any more
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(settle)

    job.add_done_callback(deliver)
    return await waiter


_recognizer: Recognizer | None = None
_recognizer_lock = threading.Lock()


def recognizer() -> Recognizer:
    """The one recognizer of this process."""
    global _recognizer
    with _recognizer_lock:
        if _recognizer is None:
            _recognizer = Recognizer()
        return _recognizer


class SphinxTranscriber:
    """The `Transcriber` contract on pocketsphinx: the transcript's words as deltas
    ("hello", " world"), each with the log of its posterior probability where the decoder
    gave one. English only: the agent declares `en`, so another language is refused."""

    def __init__(self, recognizer_: Recognizer | None = None) -> None:
        self.recognizer = recognizer_ or recognizer()

    async def transcribe(self, request: TranscriptionRequest) -> AsyncIterator[str]:
        samples = decode(request.audio, request.audio_format)
        heard = await self.recognizer.recognise(samples, request.audio_format.rate)
        words = heard.text.split()
        probs: list[float | None] = [p for _, p in heard.words] or [None] * len(words)
        for index, (word, prob) in enumerate(zip(words, probs, strict=True)):
            text = word if index == 0 else " " + word
            yield TranscriptToken(text, None if prob is None else math.log(prob))
