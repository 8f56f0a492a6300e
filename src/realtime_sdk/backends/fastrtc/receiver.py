"""The input side of a handler: session audio in, FastRTC frames to ``handler.receive``."""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
from collections.abc import Callable
from typing import Any

import numpy as np

from ...audio import (
    AudioFormat,
    Int16Array,
    StreamingResampler,
    WireDecoder,
    to_fastrtc_frame,
)
from .threads import SerialThread

__all__ = ["FrameReceiver"]

log = logging.getLogger("realtime_sdk.fastrtc")


class FrameReceiver:
    """Session wire audio, or samples at any rate -> FastRTC frames ``(rate, (1, N) int16)``
    at the handler's rate -> ``handler.receive``.

    Sync handlers get their frames on a thread of their own, in order, at most
    ``max_pending`` queued (the caller waits for room: back-pressure, not memory).
    """

    def __init__(
        self,
        handler: Any,
        *,
        frame_ms: int,
        max_pending: int,
        enter: Callable[[], None],
        on_frame: Callable[[], None],
    ) -> None:
        self.handler = handler
        self.rate = int(getattr(handler, "input_sample_rate", 48000))
        self.step = max(1, self.rate * frame_ms // 1000)
        self.stereo = getattr(handler, "expected_layout", "mono") == "stereo"
        self.is_async = inspect.iscoroutinefunction(handler.receive)
        self.closing = False
        self._decoder: WireDecoder | None = None  # for wire audio (`frames`)
        self._resampler: StreamingResampler | None = None  # for samples (`frames_of`)
        self._room = asyncio.Semaphore(max_pending)
        self._thread = SerialThread("fastrtc-receive", enter)
        self._enter = enter
        self._on_frame = on_frame

    def frames(self, audio: bytes, fmt: AudioFormat) -> list[tuple[int, Int16Array]]:
        """Session wire audio -> frames at the handler's rate."""
        self._resampler = None  # samples that came before (`frames_of`) have ended
        if self._decoder is None or self._decoder.fmt != fmt:
            self._decoder = WireDecoder(fmt, self.rate)  # stream state kept across appends
        return self._split(self._decoder.process(audio))

    def frames_of(self, samples: Int16Array, rate: int) -> list[tuple[int, Int16Array]]:
        """Samples at `rate` -> frames at the handler's rate: as they came when the rates
        are the same, never through a wire format."""
        self._decoder = None  # wire audio that came before (`frames`) has ended
        if rate != self.rate:
            if self._resampler is None or self._resampler.in_rate != rate:
                self._resampler = StreamingResampler(rate, self.rate)
            samples = self._resampler.process(samples)
        else:
            self._resampler = None
        return self._split(samples)

    def _split(self, samples: Int16Array) -> list[tuple[int, Int16Array]]:
        out = []
        for start in range(0, len(samples), self.step):
            chunk = samples[start : start + self.step]
            if self.stereo:  # packed s16, as FastRTC's own resampler hands stereo handlers
                chunk = np.repeat(chunk, 2)
            out.append(to_fastrtc_frame(chunk, self.rate))
        return out

    async def feed(self, frames: list[tuple[int, Int16Array]]) -> None:
        """Hand `frames` to the handler, in order (`frames` or `frames_of` made them)."""
        for frame in frames:
            if self.closing:
                return
            if self.is_async:
                self._enter()
                try:
                    await self.handler.receive(frame)
                except Exception:
                    log.exception("handler receive failed")
                self._on_frame()
                continue
            await self._room.acquire()
            if self.closing:
                self._room.release()
                return
            future = self._thread.call(functools.partial(self._receive, frame))
            future.add_done_callback(self._done)

    def _receive(self, frame: tuple[int, Int16Array]) -> None:
        if not self.closing:  # frames still queued at stop are not handed over
            self.handler.receive(frame)

    def _done(self, future: asyncio.Future[None]) -> None:
        self._room.release()
        if not future.cancelled() and future.exception() is not None:
            log.error("handler receive failed", exc_info=future.exception())
        self._on_frame()

    async def close(self, timeout: float) -> None:
        self.closing = True
        await self._thread.close(timeout)
