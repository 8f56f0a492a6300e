"""Serve a FastRTC stream handler as a turn-taking back-end: `FastRTCBackend`.

Anything with FastRTC's handler contract works: ``receive(frame)``, ``emit()``, ``copy()``,
optional ``start_up()`` and ``shutdown()``, each sync or ``async`` (`StreamHandler`,
`AsyncStreamHandler`, `ReplyOnPause`, `ReplyOnStopWords`, or a duck-typed object). fastrtc itself
is only needed for what it defines (`ReplyOnPause`, `CloseStream`, its context variables); this
module imports without it.

One `FastRTCBackend` serves one session, with its own ``copy()`` of the prototype handler, wired
the way FastRTC's own transports wire a handler: the event loop in ``_loop``, a data channel
(whose messages we read: ReplyOnPause reports ``started_talking`` and ``pause_detected`` there),
``start_up()`` run in the background and never awaited before audio flows, ``shutdown()`` always.

**Not polling.** FastRTC's transports call ``emit()`` in a loop; a sync handler that returns None
makes that loop spin a core per idle connection. Here:

- a `ReplyOnPause` (or subclass) is asked to ``emit()`` only while its ``event`` is set, which is
  exactly when its ``emit()`` can return something (a pause was heard, a greeting queued); we look
  again after each frame it receives and after ``start_up``, and re-check the flag (no thread hop)
  every 0.25 s in case something else set it;
- any other handler is asked again at once while it produces, and after each frame it receives;
  while it returns None the next call backs off from 5 ms, doubling, to ``idle_poll_s`` (0.1 s:
  ten calls a second on an idle session);
- an ``async`` ``emit()`` that awaits its own queue is simply awaited.

**Turns.** A response opens at the first piece of a reply (audio, or text from a
`RealtimeMessage`) and closes:

- for `ReplyOnPause`: when its reply generator finishes (or fails);
- for other handlers: after ``end_of_turn_s`` (0.5 s) of nothing to hear. Audio is "nothing" when
  no sample exceeds ``silence_level``: such frames open no response, and inside one they are held
  back, sent if sound follows, dropped when the gap completes. A handler that emits nothing at all
  ends its response ``end_of_turn_s`` after the audio it produced would have finished playing
  (audio clock: bursts faster than real time do not end a turn early);
- for any handler, when it reports the user talking (``started_talking``): the session cancels
  the response (barge-in). What a talked-over ReplyOnPause generator still yields is dropped
  (ReplyOnPause abandons it at the next pause anyway); a plain handler's next sound opens a new
  response.

``AdditionalOutputs``: `RealtimeMessage`s become their events; other additional outputs have no
protocol event (strict clients reject unknown event types), so they go to ``on_additional_outputs``
if given and are otherwise dropped (logged once). ``CloseStream`` closes the session.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import importlib
import inspect
import json
import logging
import queue
import threading
from collections import deque
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Any, Final, TypeVar

import numpy as np

from ..audio import AudioFormat, Int16Array, WireDecoder, to_fastrtc_frame, to_mono_int16
from ..protocol.session import Capabilities
from .base import (
    AudioChunk,
    CloseSession,
    FunctionCall,
    ResponseEnded,
    ResponseStarted,
    SpeechStarted,
    SpeechStopped,
    TextDelta,
    TranscriptDelta,
    TurnEvent,
)
from .messages import RealtimeMessage, messages_in

__all__ = [
    "FastRTCBackend",
    "RealtimeMessage",
    "SerialThread",
    "audio_of",
    "extras_to_events",
    "split_emit",
]

log = logging.getLogger("realtime_sdk.fastrtc")
T = TypeVar("T")

GATE_RECHECK_S: Final = 0.25
FIRST_BACKOFF_S: Final = 0.005
MAX_SIGNALS: Final = 256
STREAM_AHEAD: Final = 16  # outputs of an async emit() loop not yet turned into events


# -- fastrtc, when installed ---------------------------------------------------------------


@functools.cache
def _fastrtc() -> Any | None:
    """The fastrtc package, or None; importing it is slow (gradio), so only on demand."""
    try:
        return importlib.import_module("fastrtc")
    except ImportError:
        return None


def _is_close(value: object) -> bool:
    fastrtc = _fastrtc()
    if fastrtc is not None and isinstance(value, fastrtc.CloseStream):
        return True
    return type(value).__name__ == "CloseStream" and hasattr(value, "msg")


def _is_reply_on_pause(handler: object) -> bool:
    fastrtc = _fastrtc()
    return fastrtc is not None and isinstance(handler, fastrtc.ReplyOnPause)


# -- what emit() returns ---------------------------------------------------------------------


def audio_of(frame: Any) -> AudioChunk | None:
    """A FastRTC audio frame ``(rate, array)`` or ``(rate, array, layout)`` -> mono int16."""
    rate, array = frame[0], frame[1]
    samples = to_mono_int16(np.asarray(array))
    return AudioChunk(samples, int(rate)) if len(samples) else None


def split_emit(output: Any) -> tuple[AudioChunk | None, Any]:
    """FastRTC's EmitType -> (audio, the additional output or CloseStream beside it, if any)."""
    if output is None:
        return None, None
    if isinstance(output, tuple):
        if 2 <= len(output) <= 3 and isinstance(output[1], np.ndarray):
            return audio_of(output), None
        if len(output) == 2:
            frame, extra = output
            return (audio_of(frame) if frame is not None else None), extra
        raise ValueError(f"cannot read a {len(output)}-tuple from emit(): {output!r:.80}")
    return None, output


def extras_to_events(extra: Any, on_other: Callable[[Any], None] | None = None) -> list[TurnEvent]:
    """What an additional output means to the protocol (see the module docstring)."""
    if extra is None:
        return []
    if _is_close(extra):
        return [CloseSession(str(getattr(extra, "msg", "")))]
    messages = messages_in(extra)
    if messages:
        return [m.to_turn_event() for m in messages]
    if on_other is not None:
        on_other(extra)
    else:
        log.debug("additional output with no protocol meaning dropped: %r", extra)
    return []


_Emitted = tuple[Any, object, bool]
"""What one emit() call gave: the output, the reply generator it came from (ReplyOnPause), and
whether no generator is left afterwards (its reply is over)."""


def _emit_sync(handler: Any) -> _Emitted:
    before = getattr(handler, "generator", None)
    return _emitted(handler, handler.emit(), before)


def _emitted(handler: Any, output: Any, before: object) -> _Emitted:
    """``before``: emit() iterates the generator it found, unless it had to create one. Reading
    it only afterwards would be wrong: ReplyOnPause's receive() (another thread) drops the
    generator when the user talks over it, while emit() may be inside one of its steps."""
    after = getattr(handler, "generator", None)
    return output, before if before is not None else after, after is None


def _outcome(future: asyncio.Future[_Emitted]) -> _Emitted | BaseException | None:
    """A finished emit() call's result or error; None if it was cancelled."""
    if future.cancelled():
        return None
    error = future.exception()
    return error if error is not None else future.result()


def _is_piece(event: TurnEvent) -> bool:
    return isinstance(event, AudioChunk | TextDelta | TranscriptDelta | FunctionCall)


# -- threads -----------------------------------------------------------------------------------


class SerialThread:
    """One daemon thread running calls in the order given; results come back as futures.

    Not `run_in_executor`: a handler's frames must arrive in order, stop() must know each
    thread has ended (a pool keeps idle threads alive), and a handler stuck forever must not hold
    up interpreter exit (daemon).
    """

    def __init__(self, name: str, initializer: Callable[[], None] | None = None) -> None:
        self.name = name
        self._initializer = initializer
        self._calls: queue.SimpleQueue[tuple[Callable[[], Any], asyncio.Future[Any]] | None]
        self._calls = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._exited: asyncio.Future[None] | None = None
        self._closed = False

    def call(self, fn: Callable[[], T]) -> asyncio.Future[T]:
        """Run ``fn()`` on the thread after everything queued before it."""
        if self._closed:
            raise RuntimeError(f"{self.name} is closed")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        if self._thread is None:
            self._loop, self._exited = loop, loop.create_future()
            self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
            self._thread.start()
        self._calls.put((fn, future))
        return future

    def _run(self) -> None:
        assert self._loop is not None and self._exited is not None
        if self._initializer is not None:
            try:
                self._initializer()
            except Exception:
                log.exception("%s: initializer failed", self.name)
        while (call := self._calls.get()) is not None:
            fn, future = call
            try:
                result, error = fn(), None
            except Exception as exc:
                result, error = None, exc
            if isinstance(error, StopIteration):  # a future cannot hold one
                error = RuntimeError("StopIteration escaped a call")
            self._settle(future, result, error)
        self._settle(self._exited, None, None)

    def _settle(self, future: asyncio.Future[Any], result: Any, error: Exception | None) -> None:
        def settle() -> None:
            if future.done():
                return
            if error is None:
                future.set_result(result)
            else:
                future.set_exception(error)

        assert self._loop is not None
        with contextlib.suppress(RuntimeError):  # loop closed: nobody waits any more
            self._loop.call_soon_threadsafe(settle)

    async def close(self, timeout: float) -> bool:
        """Finish what is queued, then end the thread; False if still busy after ``timeout``."""
        self._closed = True
        if self._thread is None or self._exited is None:
            return True
        self._calls.put(None)
        done, _ = await asyncio.wait({self._exited}, timeout=max(timeout, 0.0))
        if not done:
            log.warning(
                "%s still busy after %.1f s; leaving it (daemon thread)", self.name, timeout
            )
            return False
        self._thread.join(timeout=1.0)
        return True


# -- pieces of one session ---------------------------------------------------------------------


class _Receiver:
    """Session wire audio -> FastRTC frames ``(rate, (1, N) int16)`` -> ``handler.receive``.

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
        self._decoder: WireDecoder | None = None
        self._room = asyncio.Semaphore(max_pending)
        self._thread = SerialThread("fastrtc-receive", enter)
        self._enter = enter
        self._on_frame = on_frame

    def frames(self, audio: bytes, fmt: AudioFormat) -> list[tuple[int, Int16Array]]:
        if self._decoder is None or self._decoder.fmt != fmt:
            self._decoder = WireDecoder(fmt, self.rate)  # stream state kept across appends
        samples = self._decoder.process(audio)
        out = []
        for start in range(0, len(samples), self.step):
            chunk = samples[start : start + self.step]
            if self.stereo:  # packed s16, as FastRTC's own resampler hands stereo handlers
                chunk = np.repeat(chunk, 2)
            out.append(to_fastrtc_frame(chunk, self.rate))
        return out

    async def feed(self, audio: bytes, fmt: AudioFormat) -> None:
        for frame in self.frames(audio, fmt):
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


class _Pace:
    """When to ask a (non-ReplyOnPause) handler for output next."""

    def __init__(self, idle_s: float) -> None:
        self.idle_s = idle_s
        self.next_at = 0.0
        self._streak = 0

    def produced(self, now: float) -> None:
        """Output or input: ask again at once."""
        self._streak, self.next_at = 0, now

    def nothing(self, now: float) -> None:
        self._streak += 1
        self.next_at = now + min(self.idle_s, FIRST_BACKOFF_S * 2 ** min(self._streak - 1, 16))


class _Turns:
    """Where a handler's responses begin and end (rules in the module docstring)."""

    def __init__(self, *, by_generator: bool, gap_s: float, silence_level: int) -> None:
        self.by_generator = by_generator
        self.gap_s = gap_s
        self.silence_level = silence_level
        self.open = False
        self._generator: object = None  # the reply generator whose output we last saw
        self._muted: object = None  # a reply the user talked over
        self._held: list[AudioChunk] = []
        self._held_s = 0.0
        self._play_end = 0.0  # when the audio sent so far would finish playing
        self._last = 0.0

    def output(
        self, audio: AudioChunk | None, events: list[TurnEvent], generator: object, now: float
    ) -> list[TurnEvent]:
        out: list[TurnEvent] = []
        if self.by_generator and generator is not self._generator:
            out += self._end()
            self._generator = generator
        if generator is not None and generator is self._muted:
            return out
        if audio is not None:
            out += self._audio(audio, now)
        for event in events:
            if _is_piece(event):
                out += self._open(now)
                self._last = now
            elif isinstance(event, CloseSession):
                out += self._end()
            out.append(event)
        return out

    def nothing(self, finished: bool) -> list[TurnEvent]:
        """emit() gave None; for ReplyOnPause, with no generator left the reply is over."""
        return self.failed() if self.by_generator and finished else []

    def failed(self) -> list[TurnEvent]:
        self._generator = self._muted = None
        return self._end()

    def speech_started(self, running: object, can_interrupt: bool) -> list[TurnEvent]:
        """The user talks over ``running`` (the handler's reply generator, if any).

        The session cancels the response it is in (barge-in); ours ends with it, and whatever
        the talked-over ReplyOnPause generator still yields is dropped."""
        if self.by_generator and can_interrupt and running is not None:
            self._muted = running
        return [SpeechStarted(), *self._end()]

    def deadline(self) -> float | None:
        if self.by_generator or not self.open:
            return None
        return max(self._play_end, self._last) + self.gap_s

    def expire(self, now: float) -> list[TurnEvent]:
        deadline = self.deadline()
        return self._end() if deadline is not None and now >= deadline else []

    def _audio(self, chunk: AudioChunk, now: float) -> list[TurnEvent]:
        samples, level = chunk.samples, self.silence_level
        # no sample beyond +-level; two reductions without the temporary that abs() makes
        quiet = not self.by_generator and (
            len(samples) == 0 or (int(samples.max()) <= level and int(samples.min()) >= -level)
        )
        if quiet:
            if not self.open:
                return []
            self._held.append(chunk)
            self._held_s += len(chunk.samples) / chunk.rate
            self._last = now
            return self._end() if self._held_s >= self.gap_s else []
        out: list[TurnEvent] = [*self._open(now), *self._held, chunk]
        for piece in out:
            if isinstance(piece, AudioChunk):
                self._play_end = max(self._play_end, now) + len(piece.samples) / piece.rate
        self._held, self._held_s, self._last = [], 0.0, now
        return out

    def _open(self, now: float) -> list[TurnEvent]:
        if self.open:
            return []
        self.open, self._play_end, self._last = True, now, now
        return [ResponseStarted()]

    def _end(self) -> list[TurnEvent]:
        self._held, self._held_s = [], 0.0
        if not self.open:
            return []
        self.open = False
        return [ResponseEnded()]


class _Channel:
    """The data channel a handler reports through (``send_message_sync``), thread-safe."""

    def __init__(self, loop: asyncio.AbstractEventLoop, on_message: Callable[[str], None]) -> None:
        self._loop = loop
        self._thread = threading.get_ident()
        self._on_message = on_message

    def send(self, message: str) -> None:
        if threading.get_ident() == self._thread:
            self._on_message(message)
        else:
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._on_message, message)


# -- the back-end ------------------------------------------------------------------------------


class FastRTCBackend:
    """One session served by a copy of a FastRTC handler (see the module docstring).

    Create one per session from the same prototype, e.g. ``lambda: FastRTCBackend(handler)``.
    ``additional_inputs`` answer a handler that waits for Gradio inputs (FastRTC's
    ``set_args``); without them it gets a single None, as from an empty UI.
    """

    capabilities = Capabilities(
        text_input=False,  # a handler hears audio only; text items would be silently ignored
        audio_input=True,
        function_calls=False,
        out_of_band=False,
        transcription=False,
        raw_input_audio=True,
        client_responses=False,
        user_transcripts=True,  # RealtimeMessage user transcripts in its output
    )

    def __init__(
        self,
        handler: Any,
        *,
        end_of_turn_s: float = 0.5,
        silence_level: int = 64,
        frame_ms: int = 20,
        max_pending_frames: int = 50,
        idle_poll_s: float = 0.1,
        additional_inputs: Sequence[Any] | None = None,
        on_additional_outputs: Callable[[Any], None] | None = None,
        stop_timeout_s: float = 5.0,
    ) -> None:
        needed = ("receive", "emit", "copy")
        missing = [name for name in needed if not callable(getattr(handler, name, None))]
        if missing:
            raise TypeError(
                f"{type(handler).__name__} is not a FastRTC stream handler: no {', '.join(missing)}"
            )
        self.prototype = handler
        self.end_of_turn_s = end_of_turn_s
        self.silence_level = silence_level
        self.frame_ms = frame_ms
        self.max_pending_frames = max_pending_frames
        self.idle_poll_s = idle_poll_s
        self.additional_inputs = list(additional_inputs) if additional_inputs else [None]
        self.on_additional_outputs = on_additional_outputs
        self.stop_timeout_s = stop_timeout_s
        self.handler: Any = None  # this session's copy, once started
        self._closing = False
        self._stopped = False
        self._wake: asyncio.Future[None] | None = None
        self._pending: asyncio.Future[_Emitted] | None = None
        # an async emit() that is not gated is awaited in a loop by one task (as FastRTC's own
        # transports do), its outputs queued here: no task per frame
        self._stream_task: asyncio.Task[None] | None = None
        self._ready: deque[_Emitted | BaseException] = deque()
        self._room_for_more: asyncio.Future[None] | None = None
        self._idle: asyncio.Future[None] | None = None  # the stream loop backing off
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = 0.0
        self._startup_task: asyncio.Task[None] | None = None
        self._signals: deque[str] = deque()
        self._warned_other = False

    # -- lifecycle -----------------------------------------------------------------------
    async def start(self, session: Mapping[str, Any]) -> None:
        """Copy the prototype and wire the copy up as FastRTC's transports do."""
        if self.handler is not None or self._stopped:
            raise RuntimeError("a FastRTCBackend serves one session; make one per session")
        loop = self._loop = asyncio.get_running_loop()
        self._wake = loop.create_future()
        self._channel = _Channel(loop, self._message)
        handler = self.prototype.copy()
        handler._loop = loop
        handler._clear_queue = _noop  # FastRTC's playback queue; ours is the client's
        if callable(getattr(handler, "set_channel", None)):
            handler.set_channel(self._channel)
        self._enter = self._context_setter(str(session.get("id", "")))
        self._gated = _is_reply_on_pause(handler)
        self._can_interrupt = bool(getattr(handler, "can_interrupt", True))
        self._async_emit = inspect.iscoroutinefunction(handler.emit)
        self._streaming = self._async_emit and not self._gated
        self._turns = _Turns(
            by_generator=self._gated, gap_s=self.end_of_turn_s, silence_level=self.silence_level
        )
        self._pace = _Pace(self.idle_poll_s)
        self._receiver = _Receiver(
            handler,
            frame_ms=self.frame_ms,
            max_pending=self.max_pending_frames,
            enter=self._enter,
            on_frame=self._input_arrived,
        )
        self._emitter = SerialThread("fastrtc-emit", self._enter)
        self._control = SerialThread("fastrtc-control", self._enter)
        self.handler = handler  # wired: from here on stop() has everything to undo
        self._begin_start_up(handler)
        if self._streaming:
            self._stream_task = loop.create_task(self._stream(handler), name="fastrtc-emit")

    def _begin_start_up(self, handler: Any) -> None:
        """FastRTC runs start_up as a task beside the stream (it may run all session long)."""
        start_up = getattr(handler, "start_up", None)
        if not callable(start_up):
            return
        if inspect.iscoroutinefunction(start_up):
            self._startup_task = self._loop.create_task(
                self._start_up_async(start_up), name="fastrtc-start-up"
            )
        else:
            self._control.call(start_up).add_done_callback(self._started)

    async def _start_up_async(self, start_up: Callable[[], Any]) -> None:
        self._enter()
        try:
            await start_up()
        except Exception:
            log.exception("handler start_up failed")
        finally:
            self._notify()

    def _started(self, future: asyncio.Future[Any]) -> None:
        if not future.cancelled() and future.exception() is not None:
            log.error("handler start_up failed", exc_info=future.exception())
        self._notify()

    async def stop(self) -> None:
        """Always: shutdown(), then every call in flight finished and every thread ended."""
        if self._stopped:
            return
        self._stopped = self._closing = True
        handler = self.handler
        if handler is None:
            return
        self._notify()
        self._receiver.closing = True
        deadline = self._loop.time() + self.stop_timeout_s
        await self._shutdown(handler, deadline)
        args_set = getattr(handler, "args_set", None)
        if isinstance(args_set, asyncio.Event):
            args_set.set()  # release an emit() waiting for Gradio inputs
        await self._finish_pending(deadline)
        await self._close_generator(handler, deadline)
        if self._startup_task is not None:
            self._startup_task.cancel()
            await asyncio.gather(self._startup_task, return_exceptions=True)
        await self._receiver.close(deadline - self._loop.time())
        for worker in (self._emitter, self._control):
            await worker.close(deadline - self._loop.time())

    async def _shutdown(self, handler: Any, deadline: float) -> None:
        shutdown = getattr(handler, "shutdown", None)
        if not callable(shutdown):
            return
        timeout = max(deadline - self._loop.time(), 0.0)
        try:
            if inspect.iscoroutinefunction(shutdown):
                await asyncio.wait_for(shutdown(), timeout)
                return
            # A thread of its own: the control thread may still be inside a long start_up.
            worker = SerialThread("fastrtc-shutdown", self._enter)
            future = worker.call(shutdown)
            await worker.close(timeout)
            if not future.done():
                log.warning("handler shutdown still running after %.1f s", timeout)
                return
            future.result()
        except Exception:
            log.exception("handler shutdown failed")

    async def _finish_pending(self, deadline: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        stream, self._stream_task = self._stream_task, None
        if stream is not None:
            stream.cancel()
            await asyncio.wait({stream}, timeout=max(deadline - self._loop.time(), 0.0))
        pending, self._pending = self._pending, None
        if pending is None:
            return
        if isinstance(pending, asyncio.Task):
            pending.cancel()
        await asyncio.wait({pending}, timeout=max(deadline - self._loop.time(), 0.0))
        if pending.done() and not pending.cancelled():
            pending.exception()  # retrieved: no "never retrieved" warning

    async def _close_generator(self, handler: Any, deadline: float) -> None:
        """A reply in progress (ReplyOnPause) gets its generator closed: its finally runs."""
        generator = getattr(handler, "generator", None)
        timeout = max(deadline - self._loop.time(), 0.0)
        with contextlib.suppress(Exception):
            if inspect.isasyncgen(generator):
                await asyncio.wait_for(generator.aclose(), timeout)
            elif inspect.isgenerator(generator):
                await asyncio.wait({self._emitter.call(generator.close)}, timeout=timeout)

    # -- input ---------------------------------------------------------------------------
    async def receive_audio(self, audio: bytes, audio_format: AudioFormat) -> None:
        """Hand the handler FastRTC frames at its ``input_sample_rate``."""
        if self.handler is not None and not self._closing:
            await self._receiver.feed(audio, audio_format)

    def _input_arrived(self) -> None:
        self._pace.produced(self._loop.time())
        if not self._streaming:
            self._notify()
        elif self._idle is not None and not self._idle.done():
            self._idle.set_result(None)  # an emit() that returned None is asked again

    # -- output --------------------------------------------------------------------------
    async def events(self) -> AsyncIterator[TurnEvent]:
        """What the handler says, as turn events; ends when it closes the stream."""
        if self.handler is None or self._wake is None:
            raise RuntimeError("FastRTCBackend.events() before start()")
        loop = self._loop
        while not self._closing:
            if self._pending is None and self._may_emit(loop.time()):
                self._pending = self._begin_emit()
                self._pending.add_done_callback(self._emitted)
            await self._sleep(self._timeout(loop.time()))
            if self._wake.done():
                self._wake = loop.create_future()
            for event in self._take_signals():
                yield event
            now = loop.time()
            if self._pending is not None and self._pending.done():
                pending, self._pending = self._pending, None
                for event in self._collect(_outcome(pending), now):
                    yield event
                    if isinstance(event, CloseSession):
                        return
            while self._ready:
                for event in self._collect(self._ready.popleft(), now):
                    yield event
                    if isinstance(event, CloseSession):
                        return
            if self._room_for_more is not None and not self._room_for_more.done():
                self._room_for_more.set_result(None)
            for event in self._turns.expire(now):
                yield event

    async def _sleep(self, timeout: float | None) -> None:
        """Until woken (input, a finished emit(), a signal) or `timeout` s have passed.

        One future per wait, and a timer only when the one already set would ring too late:
        this runs for every frame, a turn's deadline moves with each one, and an early ring
        costs one more look (the loop in `events` re-reads every deadline)."""
        wake = self._wake
        assert wake is not None
        if wake.done():
            return
        if timeout is not None:
            at = self._loop.time() + timeout
            if self._timer is None or self._timer.cancelled() or self._timer_at > at:
                if self._timer is not None:
                    self._timer.cancel()
                self._timer, self._timer_at = self._loop.call_at(at, self._ring), at
        await wake  # cancelled with this task: harmless, a done wake is replaced

    def _ring(self) -> None:
        self._timer = None
        self._notify()

    async def _stream(self, handler: Any) -> None:
        """An async, ungated emit() awaited in a loop; None backs off as `_Pace` says."""
        self._enter()
        loop = self._loop
        while not self._closing:
            outcome: _Emitted | BaseException
            try:
                before = getattr(handler, "generator", None)
                outcome = _emitted(handler, await handler.emit(), before)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                outcome = exc
            self._ready.append(outcome)
            self._notify()
            if len(self._ready) >= STREAM_AHEAD:  # events() is behind: wait, do not pile up
                self._room_for_more = loop.create_future()
                await self._room_for_more
            if not isinstance(outcome, BaseException) and outcome[0] is not None:
                self._pace.produced(loop.time())
            else:
                self._pace.nothing(loop.time())
                delay = self._pace.next_at - loop.time()
                if delay > 0:
                    self._idle = loop.create_future()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._idle, delay)
                    self._idle = None

    def _emitted(self, _future: asyncio.Future[_Emitted]) -> None:
        self._notify()

    def _may_emit(self, now: float) -> bool:
        if self._streaming or self._closing or (self._gated and not self.handler.event.is_set()):
            return False
        return now >= self._pace.next_at

    def _timeout(self, now: float) -> float | None:
        waits: list[float] = []
        deadline = self._turns.deadline()
        if deadline is not None:
            waits.append(deadline - now)
        if self._pending is None and not self._streaming:
            gate_closed = self._gated and not self.handler.event.is_set()
            waits.append(GATE_RECHECK_S if gate_closed else self._pace.next_at - now)
        return max(min(waits), 0.0) if waits else None

    def _begin_emit(self) -> asyncio.Future[_Emitted]:
        handler = self.handler
        if self._async_emit:
            return self._loop.create_task(self._emit_async(handler), name="fastrtc-emit")
        return self._emitter.call(functools.partial(_emit_sync, handler))

    async def _emit_async(self, handler: Any) -> _Emitted:
        self._enter()
        before = getattr(handler, "generator", None)
        output = await handler.emit()
        return _emitted(handler, output, before)

    def _collect(self, outcome: _Emitted | BaseException | None, now: float) -> list[TurnEvent]:
        """What one emit() gave (or raised; None: cancelled), as turn events."""
        if outcome is None:
            return []
        try:
            if isinstance(outcome, BaseException):
                raise outcome
            output, generator, finished = outcome
            audio, extra = split_emit(output)
        except Exception:
            log.exception("handler emit failed")
            if not self._streaming:
                self._pace.nothing(now)
            return self._turns.failed()
        if output is None:
            if not self._streaming:
                self._pace.nothing(now)
            return self._turns.nothing(finished)
        if not self._streaming:
            self._pace.produced(now)
        events = extras_to_events(extra, self._other_output)
        return self._turns.output(audio, events, generator, now)

    def _other_output(self, extra: Any) -> None:
        if self.on_additional_outputs is not None:
            self.on_additional_outputs(extra)
        elif not self._warned_other:
            self._warned_other = True
            log.info("additional outputs that are not RealtimeMessages are not sent to clients")

    # -- the handler's data channel ------------------------------------------------------
    def _message(self, raw: str) -> None:
        """A message the handler sent over its data channel (always on the loop)."""
        try:
            message = json.loads(raw)
            kind, data = message.get("type"), message.get("data")
        except (ValueError, AttributeError):
            log.debug("unreadable handler message %r", raw)
            return
        if kind == "send_input":
            set_args = getattr(self.handler, "set_args", None)
            if callable(set_args):
                set_args(list(self.additional_inputs))
        elif kind == "log" and data in ("started_talking", "pause_detected"):
            if len(self._signals) >= MAX_SIGNALS:
                log.warning("dropping a %s signal: nobody is reading events", data)
                return
            self._signals.append(str(data))
            self._notify()
        else:
            log.debug("handler message %r", raw)

    def _take_signals(self) -> list[TurnEvent]:
        out: list[TurnEvent] = []
        while self._signals:
            if self._signals.popleft() == "started_talking":
                running = getattr(self.handler, "generator", None)
                out += self._turns.speech_started(running, self._can_interrupt)
            else:
                out.append(SpeechStopped())
        return out

    def _notify(self) -> None:
        if self._wake is not None and not self._wake.done():
            self._wake.set_result(None)

    def _context_setter(self, session_id: str) -> Callable[[], None]:
        """Sets FastRTC's context variables (``get_current_context()``) where handlers run."""
        if _fastrtc() is None:
            return _noop
        utils = importlib.import_module("fastrtc.utils")
        context, channel = utils.Context(webrtc_id=session_id), self._channel

        def enter() -> None:
            utils.current_context.set(context)
            utils.current_channel.set(channel)

        return enter


def _noop() -> None:
    pass
