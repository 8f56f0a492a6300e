"""The asyncio driver: transport <-> sans-I/O Session <-> back-end.

One reader (client frames into the session), one writer (`Outbox`), and one task per
response or transcription in flight. When either side goes away every task is cancelled
and awaited; nothing outlives the session.

Over a transport that plays audio itself (WebRTC, an AudioTransport) the reader also
takes the peer's audio into the session and the player's notices, and response audio
goes to the player through the outbox, so it never overtakes the events that announce it.

No client input ends a session: a fault of ours while taking one in becomes an
`error` (`server_error`) and the session goes on. Only when it cannot (too many
faults, a back-end that stopped, a fault outside any one event) does the driver close
the transport, with 1011, after telling the client why.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import replace
from typing import Any

from ...audio import Int16Array, WireEncoder
from ...audio.formats import EMPTY
from ...backends.base import (
    AudioChunk,
    BackendError,
    CloseSession,
    Responder,
    ResponseRequest,
    SampleInput,
    Transcriber,
    TranscriptionRequest,
    TurnTakingBackend,
)
from ...transports.base import (
    AudioTransport,
    InputFrame,
    PlaybackStarted,
    PlaybackStopped,
    Transport,
)
from ..protocol.current_config import CurrentConfig
from ..protocol.mcp_tools import backend_items, parse_arguments
from ..protocol.outputs import (
    AudioDone,
    CancelResponse,
    ClearOutputAudio,
    InputAudio,
    ListMcpTools,
    McpCall,
    Output,
    PlayAudio,
    Samples,
    Send,
    StartResponse,
    Transcribe,
)
from ..protocol.session import Session
from ..protocol.transcription_settings import logprob, wants_logprobs
from .mcp_client import McpClient, McpFailure
from .outbox import CLOSE_SERVER_FAULT, CloseTransport, Outbox
from .pieces import ResponseWriter, TurnFeed

log = logging.getLogger("realtime_sdk.session")

# back-end rounds in one response: each after MCP calls it made ran, with their outputs
MAX_TOOL_ROUNDS = 8


class SessionFailed(Exception):
    """The session cannot go on; the client has been told why, the transport closes 1011."""


def failure_message(exc: BaseException, what: str) -> str:
    """What the client is told of a back-end's exception: a BackendError's own words,
    otherwise only that it failed (a traceback is for the log, not the client)."""
    if isinstance(exc, BackendError):
        return str(exc)
    return f"The back-end failed while {what}; the server's log has the details."


class SessionDriver:
    def __init__(
        self,
        transport: Transport,
        session: Session,
        backend: Responder | TurnTakingBackend,
        *,
        queue_size: int = 256,
        mcp: McpClient | None = None,
    ) -> None:
        """`mcp` lists and calls the session's MCP tools (default: its standard time limits)."""
        self.transport = transport
        self._mcp = mcp or McpClient()
        self.session = session
        self.backend = backend
        # decided once: a runtime-checkable Protocol's isinstance walks its members, and the
        # input path asks for every frame
        self._turns = backend if isinstance(backend, TurnTakingBackend) else None
        if session.capabilities != backend.capabilities:
            raise ValueError(
                "the session accepts what its back-end can do: build the Session with"
                " capabilities=backend.capabilities"
            )
        self._player = transport if isinstance(transport, AudioTransport) else None
        self._outbox = Outbox(transport, self._player, queue_size)
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._mic: WireEncoder | None = None  # peer audio -> the session's input format
        # a turn-taking back-end that takes samples: peer audio at its rate goes to it as it
        # came, not through the session's format and back (`_input_audio`)
        self._sampled = (
            backend if self._turns is not None and isinstance(backend, SampleInput) else None
        )
        self._direct = False  # the peer's audio now goes to `_sampled` as it came
        # Session calls never await, so they cannot interleave; acting on the outputs does
        # (a full queue), so flushes take turns to keep events in the order made.
        self._flush_lock = asyncio.Lock()

    @property
    def _id(self) -> str:
        return str(self.session.config["id"])

    async def run(self) -> None:
        writer = asyncio.create_task(self._outbox.run(self._id), name="realtime-writer")
        turns = self._turns
        failed: str | None = None
        try:
            self.session.start()
            await self._flush()
            if turns is not None:
                await turns.start(CurrentConfig(self.session))  # current after each update
                self._spawn("turns", self._pump(turns))
            while True:
                raw = await self.transport.recv()
                if raw is None:
                    break
                try:
                    self._take(raw)
                    await self._flush()
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("session %s: fault on input", self._id)
                    self.session.fault("the last input")
                    await self._flush()
                if self.session.broken:
                    raise SessionFailed("too many server faults")
        except SessionFailed as exc:
            failed = str(exc)
        except Exception:
            log.exception("session %s failed", self._id)
            failed = "server fault"
            with contextlib.suppress(Exception):
                self.session.fault("this session", fatal=True)
                await self._flush()
        finally:
            if failed is not None:
                await self._outbox.drain()
            await self._shutdown(writer)
            if turns is not None:
                with contextlib.suppress(Exception):
                    await turns.stop()
            if failed is not None:
                await self.transport.close(CLOSE_SERVER_FAULT, failed)

    def _take(self, raw: Any) -> None:
        """One inbound item (client event, peer audio, player notice) into the session."""
        if isinstance(raw, InputFrame):
            self._input_audio(raw)
        elif isinstance(raw, PlaybackStarted):
            self.session.output_audio_started(raw.response_id)
        elif isinstance(raw, PlaybackStopped):
            self.session.output_audio_stopped(raw.response_id)
        else:
            self.session.receive(raw)

    async def _pump(self, backend: TurnTakingBackend) -> None:
        """Turn what a turn-taking back-end yields into protocol events.

        A back-end that raises has stopped taking turns: the session cannot go on, so
        the client is told (a failed response, an `error`) and the transport closes 1011."""
        feed = TurnFeed(self.session)
        try:
            async for event in backend.events():
                feed.feed(event)
                await self._flush()
                if isinstance(event, CloseSession):
                    await self._outbox.put(CloseTransport())
                    return
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("back-end failed in session %s", self._id)
            feed.fail(failure_message(exc, "taking turns"))
            self.session.fault("the back-end's turns (it stopped)", fatal=True)
            await self._flush()
            await self._outbox.put(CloseTransport(CLOSE_SERVER_FAULT, "the back-end stopped"))

    async def _shutdown(self, writer: asyncio.Task[None]) -> None:
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()
        writer.cancel()
        await asyncio.gather(writer, return_exceptions=True)
        self.session.close()
        log.info("session %s ended", self._id)

    def _clear(self, out: ClearOutputAudio) -> None:
        """Drop the unplayed audio; the session truncates at what was played."""
        if self._player is None:
            return  # websocket: the client plays and clears its own audio
        played = self._player.clear_audio()
        if played is not None:
            tag = played.tag
            cut = (tag.item_id, tag.content_index, played.audio_end_ms)
            self.session.output_audio_cleared(tag.response_id, cut)
        elif out.requested:
            self.session.output_audio_cleared(out.response_id, event_id=out.event_id)

    def _input_audio(self, frame: InputFrame) -> None:
        """Peer audio (RTP) into the session, as an append of its input format would.

        A back-end that takes samples at the peer's rate (`SampleInput`: a 48 kHz FastRTC
        handler) gets them as they came, beside the session's bytes, when the session's
        format is PCM (exact, so only the rate would change on the way there and back);
        otherwise the peer's audio is heard at the session's rate, converted once."""
        fmt = self.session.in_format
        mic = self._mic
        if mic is None or mic.rate != frame.rate or mic.fmt != fmt:
            if mic is not None and mic.fmt == fmt:  # the old rate's held-back tail
                self.session.receive_audio(mic.flush(), self._source(EMPTY, mic.rate))
            mic = self._mic = WireEncoder(frame.rate, fmt)
            sampled = self._sampled
            self._direct = (
                sampled is not None and fmt.encoding == "pcm" and sampled.input_rate == frame.rate
            )
            if self._player is not None and frame.rate != fmt.rate and not self._direct:
                self._player.hear_at(fmt.rate)  # later frames come at the session's rate
        data = mic.process(frame.samples)
        self.session.receive_audio(data, self._source(frame.samples, frame.rate))

    def _source(self, samples: Int16Array, rate: int) -> Samples | None:
        """What goes beside the session's bytes to a back-end that takes samples as they
        came (empty: a tail whose samples it has had)."""
        return Samples(samples, rate) if self._direct else None

    async def _flush(self) -> None:
        """Act on everything the session asked for, in order, including what acting
        on it asked for in turn."""
        async with self._flush_lock:
            while outputs := self.session.take():
                for out in outputs:
                    try:
                        await self._act(out)
                    except asyncio.CancelledError:
                        raise
                    except Exception:  # the outputs after it are still acted on, in order
                        log.exception("session %s: fault on %r", self._id, out)
                        self.session.fault("the last input")

    async def _act(self, out: Output) -> None:
        if isinstance(out, Send):
            await self._outbox.send(out.text())
        elif isinstance(out, PlayAudio | AudioDone):
            if self._player is not None:  # through the queue: after the events before it
                await self._outbox.put(out)
        elif isinstance(out, StartResponse):
            self._spawn(out.response_id, self._respond(out))
        elif isinstance(out, CancelResponse):
            # left in _tasks until it has finished, so shutdown waits for its clean-up
            task = self._tasks.get(out.response_id)
            if task is not None and task is not asyncio.current_task():
                task.cancel()
        elif isinstance(out, Transcribe):
            self._spawn(f"transcribe:{out.item_id}", self._transcribe(out))
        elif isinstance(out, InputAudio):
            source = out.source
            if source is not None and self._sampled is not None:
                if len(source.samples):
                    await self._sampled.receive_samples(source.samples, source.rate)
            elif self._turns is not None:
                await self._turns.receive_audio(out.audio, self.session.in_format)
        elif isinstance(out, ClearOutputAudio):
            self._clear(out)
        elif isinstance(out, ListMcpTools):
            self._spawn(f"mcp-list:{out.server.item_id}", self._list_mcp_tools(out))

    def _spawn(self, key: str, work: Any) -> None:
        task = asyncio.create_task(work, name=f"realtime-{key}")
        self._tasks[key] = task
        task.add_done_callback(lambda done: self._forget(key, done))

    def _forget(self, key: str, task: asyncio.Task[None]) -> None:
        if self._tasks.get(key) is task:
            del self._tasks[key]

    async def _respond(self, start: StartResponse) -> None:
        response_id = start.response_id
        session = self.session
        writer = ResponseWriter(session, response_id)
        if not isinstance(self.backend, Responder):
            writer.finish("This back-end only answers turns it detects.")
            await self._flush()
            return
        request = ResponseRequest(
            response_id=response_id,
            items=start.items,
            config=start.config,
            session=session.config,
            out_of_band=start.out_of_band,
            audio=start.audio,
            audio_format=session.in_format,
        )
        try:
            ran = await self._approved_calls(response_id)
            for _ in range(MAX_TOOL_ROUNDS):
                if ran:  # the back-end answers again, now with the calls' outputs
                    request = replace(request, items=self._items_after(start))
                ran = False
                async for piece in self.backend.respond(request):
                    if isinstance(piece, AudioChunk) and self._player is not None:
                        # a back-end faster than real time waits here, not the whole session:
                        # once what it made so far is with the player, until it has room
                        await self._outbox.join()
                        await self._player.room()
                    call = writer.apply(piece)
                    await self._flush()
                    if call is not None:
                        await self._run_mcp_call(call)
                        ran = True
                if not ran:
                    break
            writer.finish()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("back-end failed in response %s", response_id)
            writer.finish(failure_message(exc, "making this response"))
        await self._flush()

    def _items_after(self, start: StartResponse) -> list[dict[str, Any]]:
        """The response's input and what it has made so far, as the back-end sees them."""
        run = self.session.response(start.response_id)
        made = [stored.wire() for stored in run.output] if run is not None else []
        return start.items + backend_items(made)

    async def _approved_calls(self, response_id: str) -> bool:
        """Run the calls the client approved since the last response; whether any ran."""
        ran = False
        while (call := self.session.next_approved_call(response_id)) is not None:
            await self._flush()
            await self._run_mcp_call(call)
            ran = True
        return ran

    async def _run_mcp_call(self, call: McpCall) -> None:
        arguments = parse_arguments(call.arguments)
        if arguments is None:
            error = {
                "type": "protocol_error",
                "code": -32602,  # JSON-RPC: invalid params
                "message": "The call's arguments are not a JSON object.",
            }
            self.session.mcp_call_done(call, error=error)
        else:
            try:
                output = await self._mcp.call_tool(call.server, call.name, arguments)
            except McpFailure as failure:
                self.session.mcp_call_done(call, error=failure.error())
            else:
                self.session.mcp_call_done(call, output=output)
        await self._flush()

    async def _list_mcp_tools(self, job: ListMcpTools) -> None:
        item_id = job.server.item_id
        try:
            tools = await self._mcp.list_tools(job.server)
        except McpFailure as failure:
            self.session.mcp_tools_failed(item_id, failure.message)
        else:
            self.session.mcp_tools_listed(item_id, tools)
        await self._flush()

    async def _transcribe(self, job: Transcribe) -> None:
        transcripts = self.session.transcripts
        if not isinstance(self.backend, Transcriber):
            message = "This server's back-end cannot transcribe input audio."
            transcripts.failed(job.item_id, job.content_index, message)
            await self._flush()
            return
        request = TranscriptionRequest(
            job.item_id, job.content_index, job.audio, self.session.in_format, job.config
        )
        parts: list[str] = []
        # the tokens' log probabilities, where the session includes them (and the back-end,
        # which then declares it can, gives them: its pieces are TranscriptTokens)
        tokens: list[dict[str, Any]] | None = [] if wants_logprobs(self.session.config) else None
        try:
            async for piece in self.backend.transcribe(request):
                text, value = str(piece), getattr(piece, "logprob", None)  # a TranscriptToken's
                parts.append(text)
                given = None
                if tokens is not None and value is not None:
                    given = [logprob(text, value)]
                    tokens += given
                transcripts.delta(job.item_id, job.content_index, text, given)
                await self._flush()
            transcripts.completed(job.item_id, job.content_index, "".join(parts), tokens)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("transcription failed for item %s", job.item_id)
            message = failure_message(exc, "transcribing this audio")
            transcripts.failed(job.item_id, job.content_index, message)
        await self._flush()
