"""The asyncio driver of one Live session: transport <-> LiveSession <-> back-end.

Three tasks once the session has started: the reader (client events in, input audio
on to the back-end), the back-end's events (audio queued to play, transcripts,
barge-in), and the pacer, which sends one output frame per tick of the audio clock
(deadline = start + frames sent x frame length, never a sleep after each send), so
output holds real time, silence included. Sends take turns under one lock, so events
leave in the order the session made them.

Over WebRTC (an `AudioTransport`) the peer's audio arrives as samples and each output
frame goes to the track instead of a `session.output_audio.delta` event; the session
and its clock are the same.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

import numpy as np

from ...audio import WireEncoder, b64encode_audio
from ...backends.base import (
    AudioChunk,
    CloseSession,
    FunctionCall,
    HeardPause,
    HeardSpeechStart,
    ResponseEnded,
    ResponseFailed,
    TextDelta,
    TranscriptDelta,
    TurnTakingBackend,
    TurnTakingEvent,
    UserTranscript,
)
from ...transports.base import AudioTransport, InputFrame, Transport
from ..protocol import (
    CloseReason,
    Context,
    Drain,
    Hangup,
    Hear,
    LiveSession,
    Output,
    Reconfigure,
    ResponseItem,
    RunResponse,
    Send,
    Start,
    delegation_target,
)

if TYPE_CHECKING:  # responses delegation loads the LLM client (httpx) with its first use
    from .responses import ResponsesRun

log = logging.getLogger("realtime_sdk.live")

CLOSE_SERVER_FAULT = 1011
DRAIN_LIMIT_S = 10.0  # what `session.close` waits for queued output at most
QUIET_S = 0.3  # a back-end quiet this long, with nothing queued, has said all
TAP_FRAMES = 400  # audio copies a sideband may fall behind (about 5 s of input and output)


class LiveDriver:
    def __init__(
        self,
        transport: Transport,
        session: LiveSession,
        make_backend: Callable[[], TurnTakingBackend],
    ) -> None:
        self.transport = transport
        self.session = session
        self.make_backend = make_backend
        self.backend: TurnTakingBackend | None = None
        self._lock = asyncio.Lock()
        self._tasks: list[asyncio.Task[None]] = []
        self._encoders: dict[int, WireEncoder] = {}
        self._last_output = 0.0
        self._drain_until: float | None = None
        self._closed = asyncio.Event()
        self._responses: ResponsesRun | None = None
        self._taps: set[asyncio.Queue[str]] = set()  # sidebands' copies of the input audio
        self._responding = asyncio.Lock()  # one Responses response at a time
        self.audio = transport if isinstance(transport, AudioTransport) else None

    async def run(self) -> None:
        """Until either side ends the session (a session started before, as a WebRTC
        creation does, has its `session.started` sent first)."""
        try:
            await self._flush()
            while not self._closed.is_set():
                raw = await self.transport.recv()
                if raw is None:
                    break
                if isinstance(raw, str | bytes):
                    self.session.receive(raw)
                elif isinstance(raw, InputFrame):
                    pcm = raw.samples.astype("<i2", copy=False).tobytes()
                    self.session.hear_samples(pcm, raw.rate)
                    self._copy_input(pcm)
                else:
                    continue
                await self._flush()
        except ConnectionError:
            pass
        finally:
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            if self.backend is not None:
                with contextlib.suppress(Exception):
                    await self.backend.stop()
            log.info("live session %s ended", self.session.id)

    def tap(self) -> asyncio.Queue[str]:
        """For a sideband, from now on: a copy of the peer's input audio as
        `session.input_audio.append` server events, and of the output the track plays as
        `session.output_audio.delta` with its `start_ms`/`end_ms` (both 24 kHz PCM16).
        Bounded: a tap that falls behind loses audio, the session does not wait for it."""
        queue: asyncio.Queue[str] = asyncio.Queue(maxsize=TAP_FRAMES)
        self._taps.add(queue)
        return queue

    def untap(self, queue: asyncio.Queue[str]) -> None:
        self._taps.discard(queue)

    def _copy_input(self, pcm: bytes) -> None:
        if self._taps:
            audio = b64encode_audio(pcm)
            self._copy('{"type":"session.input_audio.append","audio":"' + audio + '"}')

    def _copy_output(self, wire: bytes) -> None:
        if self._taps:
            end = self.session.now_ms
            start = end - self.session.frame_ms
            self._copy(
                f'{{"type":"session.output_audio.delta","start_ms":{start},'
                f'"end_ms":{end},"delta":"{b64encode_audio(wire)}"}}'
            )

    def _copy(self, text: str) -> None:
        for queue in self._taps:
            if not queue.full():
                queue.put_nowait(text)

    async def end(self, reason: CloseReason = "close_requested") -> None:
        """End the session from outside (a hangup): `session.closed`, then the close."""
        self.session.finished(reason)
        with contextlib.suppress(ConnectionError):
            await asyncio.wait_for(self._flush(), 2)
        self._closed.set()
        await self.transport.close()

    # -- the back-end --------------------------------------------------------------------

    async def _start(self) -> None:
        backend = self.make_backend()
        self.backend = backend
        if self.audio is not None and self.session.playout is not None:
            self.audio.hear_at(self.session.playout.fmt.rate)
        await backend.start(self.session.resource)
        self._tasks.append(asyncio.create_task(self._backend_events(backend), name="live-backend"))
        self._tasks.append(asyncio.create_task(self._pace(), name="live-pacer"))

    async def _backend_events(self, backend: TurnTakingBackend) -> None:
        session = self.session
        try:
            async for event in backend.events():
                if self._take(event):
                    break
                await self._flush()
            await self._flush()
        except (asyncio.CancelledError, ConnectionError):
            raise
        except Exception:
            log.exception("live back-end failed in session %s", session.id)
            session.backend_failed("The back-end failed; the server's log has the details.")
            with contextlib.suppress(ConnectionError):
                await self._flush()
            await self.transport.close(CLOSE_SERVER_FAULT, "the back-end stopped")
            self._closed.set()

    def _take(self, event: TurnTakingEvent) -> bool:
        """One back-end event into the session; True when the back-end ends the session."""
        session = self.session
        if isinstance(event, AudioChunk):
            self._last_output = asyncio.get_running_loop().time()
            session.output_audio(self._encode(event))
        elif isinstance(event, TextDelta | TranscriptDelta):
            session.output_transcript(event.text)
        elif isinstance(event, UserTranscript):
            session.input_transcript(event.text)
        elif isinstance(event, HeardSpeechStart):
            session.speech_started()
            if self.audio is not None:
                self.audio.clear_audio()
        elif isinstance(event, HeardPause):
            session.speech_stopped()
        elif isinstance(event, ResponseEnded):
            session.output_ended()
        elif isinstance(event, ResponseFailed):
            session.backend_failed(event.message)
        elif isinstance(event, FunctionCall):
            target = delegation_target(session.resource)
            if target == "client":
                session.delegate("client")
            elif target == "responses":
                self._delegate_to_responses(event)
            else:
                log.warning("session %s: a call of %s with no delegation", session.id, event.name)
        elif isinstance(event, CloseSession):
            session.finished("close_requested")
            return True
        return False

    # -- responses delegation ------------------------------------------------------------

    def _responses_run(self) -> ResponsesRun | None:
        """The session's Responses runner, on the back-end's LLM; None (and an error
        sent) when the back-end has none."""
        if self._responses is None:
            llm = getattr(self.backend, "llm", None)
            if llm is None:
                self.session.backend_failed(
                    "Responses delegation needs the offline agent with an LLM"
                    " (serve --llm-base-url); this back-end has none."
                )
                return None
            from .responses import ResponsesRun

            self._responses = ResponsesRun(llm, self._response_event, self._say)
        return self._responses

    def _delegate_to_responses(self, call: FunctionCall) -> None:
        run = self._responses_run()
        if run is None:
            return
        delegation_id = self.session.delegate("responses")
        try:
            task = str(json.loads(call.arguments).get("task") or call.arguments)
        except (ValueError, AttributeError):
            task = call.arguments
        self._respond(run.delegate(delegation_id, task, self._responses_config()))

    def _responses_config(self) -> dict[str, Any]:
        delegation = self.session.resource.get("delegation") or {}
        return dict(delegation.get("responses") or {})

    def _respond(self, work: Coroutine[Any, Any, None]) -> None:
        async def one() -> None:
            async with self._responding:
                try:
                    await work
                except (asyncio.CancelledError, ConnectionError):
                    raise
                except Exception as exc:
                    log.exception("responses delegation failed in session %s", self.session.id)
                    self.session.backend_failed(f"The Responses back-end failed: {exc}")
                    await self._flush()

        self._tasks.append(asyncio.create_task(one(), name="live-responses"))

    async def _response_event(self, event: dict[str, Any], delegation_id: str | None) -> None:
        self.session.response_event(event, delegation_id)
        await self._flush()

    async def _say(self, text: str, delegation_id: str | None) -> None:
        add = getattr(self.backend, "add_context", None)
        if add is not None:
            await add("commentary", text, delegation_id)

    def _encode(self, chunk: AudioChunk) -> bytes:
        fmt = self.session.playout.fmt if self.session.playout else None
        assert fmt is not None
        encoder = self._encoders.get(chunk.rate)
        if encoder is None:
            encoder = self._encoders[chunk.rate] = WireEncoder(chunk.rate, fmt)
        return encoder.process(chunk.samples)

    # -- output --------------------------------------------------------------------------

    async def _pace(self) -> None:
        loop = asyncio.get_running_loop()
        step = self.session.frame_ms / 1000
        start = loop.time()
        sent = 0
        fmt = self.session.playout.fmt if self.session.playout else None
        while True:
            if self.audio is not None and fmt is not None:
                wire = self.session.frame_audio()
                if wire is None:
                    await self._flush()  # an expiry's session.closed, and the hangup
                    return
                samples = np.frombuffer(wire, dtype="<i2")
                await self.audio.send_audio(samples, fmt.rate, None)
                self._copy_output(wire)
            else:
                text = self.session.frame()
                if text is None:
                    await self._flush()
                    return
                async with self._lock:
                    await self.transport.send(text)
            sent += 1
            if self._drain_until is not None and self._drained(loop.time()):
                self.session.finished("close_requested")
                await self._flush()
                return
            await self._flush()
            await asyncio.sleep(max(0.0, start + sent * step - loop.time()))

    def _drained(self, now: float) -> bool:
        playout = self.session.playout
        queued = playout.queued_ms if playout is not None else 0
        quiet = now - self._last_output >= QUIET_S
        assert self._drain_until is not None
        return (queued == 0 and quiet) or now >= self._drain_until

    # -- the session's outputs -----------------------------------------------------------

    async def _flush(self) -> None:
        work: list[Output] = []
        async with self._lock:
            for out in self.session.take():
                if isinstance(out, Send):
                    await self.transport.send(out.text())
                else:
                    work.append(out)
        for job in work:
            await self._do(job)

    async def _do(self, job: Output) -> None:
        backend = self.backend
        if isinstance(job, Start):
            await self._start()
        elif isinstance(job, Hear) and backend is not None:
            await backend.receive_audio(job.pcm, job.fmt)
        elif isinstance(job, Context) and backend is not None:
            add = getattr(backend, "add_context", None)
            if add is not None:
                await add(job.kind, job.content, job.delegation_id)
        elif isinstance(job, Reconfigure) and backend is not None:
            reconfigure = getattr(backend, "reconfigure", None)
            if reconfigure is not None:
                await reconfigure(job.session)
        elif isinstance(job, ResponseItem):
            run = self._responses_run()
            if run is not None:
                run.add_item(job.item)
        elif isinstance(job, RunResponse):
            run = self._responses_run()
            if run is not None:
                self._respond(run.respond(self._responses_config()))
        elif isinstance(job, Drain):
            self._drain_until = asyncio.get_running_loop().time() + DRAIN_LIMIT_S
        elif isinstance(job, Hangup):
            self._closed.set()
            await self.transport.close()
