"""`FastRTCBackend`: the adapter's lifecycle, and the loop that asks the handler for output.

One `FastRTCBackend` serves one session, with its own ``copy()`` of the prototype handler, wired
the way FastRTC's own transports wire a handler: the event loop in ``_loop`` (see
`realtime_sdk._compat.fastrtc`), a data channel (`HandlerChannel`), ``start_up()`` run in the
background and never awaited before audio flows, ``shutdown()`` always. Input goes through
`FrameReceiver` (the session's wire audio, or a WebRTC peer's samples as they came when the
handler takes their rate: `SampleInput`), output through `split_emit`, turns through
`TurnPolicy`.

When it asks the handler for output is `EmitPace`'s docstring (never a busy loop).

The copy's ``session_config`` is the session it serves, as its protocol describes it (for
Realtime, the effective session, current after each ``session.update``): a handler that
wants the client's instructions or voice reads them there; one that does not ignores them.

``AdditionalOutputs``: `RealtimeMessage`s become their events; other additional outputs go to
``on_additional_outputs`` if given and are otherwise dropped (logged once). ``CloseStream``
closes the session.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import logging
from collections import deque
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Any, Final

from ..._compat import fastrtc as compat_fastrtc
from ...audio import AudioFormat, Int16Array
from ...realtime.protocol.session import Capabilities
from ..base import CloseSession, HeardPause, TurnTakingEvent
from .outputs import (
    Emitted,
    emit_sync,
    emitted,
    extras_to_events,
    is_reply_on_pause,
    outcome_of,
    split_emit,
)
from .pace import GATE_RECHECK_S, EmitPace
from .receiver import FrameReceiver
from .signals import HandlerChannel
from .threads import SerialThread
from .turns import TurnPolicy

__all__ = ["FastRTCBackend"]

log = logging.getLogger("realtime_sdk.fastrtc")

STREAM_AHEAD: Final = 16  # outputs of an async emit() loop not yet turned into events


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
        self._pending: asyncio.Future[Emitted] | None = None
        # an async emit() that is not gated is awaited in a loop by one task (as FastRTC's own
        # transports do), its outputs queued here: no task per frame
        self._stream_task: asyncio.Task[None] | None = None
        self._ready: deque[Emitted | BaseException] = deque()
        self._room_for_more: asyncio.Future[None] | None = None
        self._idle: asyncio.Future[None] | None = None  # the stream loop backing off
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = 0.0
        self._startup_task: asyncio.Task[None] | None = None
        self._warned_other = False

    # -- lifecycle -----------------------------------------------------------------------
    async def start(self, session: Mapping[str, Any]) -> None:
        """Copy the prototype and wire the copy up as FastRTC's transports do."""
        if self.handler is not None or self._stopped:
            raise RuntimeError("a FastRTCBackend serves one session; make one per session")
        loop = self._loop = asyncio.get_running_loop()
        self._wake = loop.create_future()
        self._channel = HandlerChannel(loop, on_signal=self._notify, on_send_input=self._send_input)
        handler = self.prototype.copy()
        # the client's settings (instructions, voice, ...) for a handler that reads them;
        # the Realtime driver's mapping stays current across session.update
        handler.session_config = session
        compat_fastrtc.wire_handler(handler, loop)
        if callable(getattr(handler, "set_channel", None)):
            handler.set_channel(self._channel)
        self._enter = compat_fastrtc.context_setter(str(session.get("id", "")), self._channel)
        self._gated = is_reply_on_pause(handler)
        self._can_interrupt = bool(getattr(handler, "can_interrupt", True))
        self._async_emit = inspect.iscoroutinefunction(handler.emit)
        self._streaming = self._async_emit and not self._gated
        self._turns = TurnPolicy(
            by_generator=self._gated, gap_s=self.end_of_turn_s, silence_level=self.silence_level
        )
        self._pace = EmitPace(self.idle_poll_s)
        self._receiver = FrameReceiver(
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
            await self._receiver.feed(self._receiver.frames(audio, audio_format))

    @property
    def input_rate(self) -> int | None:
        """The handler's ``input_sample_rate``, once started (`SampleInput`)."""
        return None if self.handler is None else self._receiver.rate

    async def receive_samples(self, samples: Int16Array, rate: int) -> None:
        """Hand the handler samples at `rate` as FastRTC frames; at its own rate they go as
        they came (`SampleInput`: a WebRTC peer's audio, for a 48 kHz handler)."""
        if self.handler is not None and not self._closing:
            await self._receiver.feed(self._receiver.frames_of(samples, rate))

    def _input_arrived(self) -> None:
        self._pace.produced(self._loop.time())
        if not self._streaming:
            self._notify()
        elif self._idle is not None and not self._idle.done():
            self._idle.set_result(None)  # an emit() that returned None is asked again

    # -- output --------------------------------------------------------------------------
    async def events(self) -> AsyncIterator[TurnTakingEvent]:
        """What the handler says, as turn events; ends when it closes the stream."""
        if self.handler is None or self._wake is None:
            raise RuntimeError("FastRTCBackend.events() before start()")
        loop = self._loop
        while not self._closing:
            if self._pending is None and self._may_emit(loop.time()):
                self._pending = self._begin_emit()
                self._pending.add_done_callback(self._emit_done)
            await self._sleep(self._timeout(loop.time()))
            if self._wake.done():
                self._wake = loop.create_future()
            for event in self._take_signals():
                yield event
            now = loop.time()
            if self._pending is not None and self._pending.done():
                pending, self._pending = self._pending, None
                for event in self._collect(outcome_of(pending), now):
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
        """An async, ungated emit() awaited in a loop; None backs off as `EmitPace` says."""
        self._enter()
        loop = self._loop
        while not self._closing:
            outcome: Emitted | BaseException
            try:
                before = getattr(handler, "generator", None)
                outcome = emitted(handler, await handler.emit(), before)
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

    def _emit_done(self, _future: asyncio.Future[Emitted]) -> None:
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

    def _begin_emit(self) -> asyncio.Future[Emitted]:
        handler = self.handler
        if self._async_emit:
            return self._loop.create_task(self._emit_async(handler), name="fastrtc-emit")
        return self._emitter.call(functools.partial(emit_sync, handler))

    async def _emit_async(self, handler: Any) -> Emitted:
        self._enter()
        before = getattr(handler, "generator", None)
        output = await handler.emit()
        return emitted(handler, output, before)

    def _collect(
        self, outcome: Emitted | BaseException | None, now: float
    ) -> list[TurnTakingEvent]:
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

    # -- the handler's data channel ---------------------------------------------------
    def _send_input(self) -> None:
        set_args = getattr(self.handler, "set_args", None)
        if callable(set_args):
            set_args(list(self.additional_inputs))

    def _take_signals(self) -> list[TurnTakingEvent]:
        out: list[TurnTakingEvent] = []
        for signal in self._channel.take():
            if signal == "started_talking":
                running = getattr(self.handler, "generator", None)
                out += self._turns.speech_started(running, self._can_interrupt)
            else:
                out.append(HeardPause())
        return out

    def _notify(self) -> None:
        if self._wake is not None and not self._wake.done():
            self._wake.set_result(None)
