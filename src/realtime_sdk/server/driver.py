"""The asyncio driver: transport <-> sans-I/O Session <-> back-end.

One reader (client frames into the session), one writer (a bounded queue of
outgoing frames, so a slow client slows the producers instead of growing memory),
and one task per response or transcription in flight. When either side goes away
every task is cancelled and awaited; nothing outlives the session.

Over a transport that plays audio itself (WebRTC, an AudioTransport) the reader also
takes the peer's audio into the session and the player's notices, and response
audio goes to the player through the same writer queue as the events, so it never
overtakes the events that announce it.

No client input ends a session: a fault of ours while taking one in becomes an
`error` (`server_error`) and the session goes on. Only when it cannot (too many
faults, a back-end that stopped, a fault outside any one event) does the driver close
the transport, with 1011, after telling the client why.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Any

from ..audio import WireEncoder, decode, to_mono_int16
from ..backends.base import (
    AudioChunk,
    BackendError,
    CloseSession,
    FunctionCall,
    RawServerEvent,
    Responder,
    ResponseEnded,
    ResponseFailed,
    ResponsePiece,
    ResponseRequest,
    ResponseStarted,
    SpeechStarted,
    SpeechStopped,
    TextDelta,
    Transcriber,
    TranscriptDelta,
    TranscriptionRequest,
    TurnTakingBackend,
    UserTranscript,
)
from ..protocol.config import output_format
from ..protocol.outputs import (
    AudioDone,
    CancelResponse,
    ClearOutputAudio,
    InputAudio,
    Output,
    PlayAudio,
    Send,
    StartResponse,
    Transcribe,
)
from ..protocol.session import Session
from ..transports.base import (
    AudioTag,
    AudioTransport,
    InputFrame,
    PlaybackStarted,
    PlaybackStopped,
)
from .channel import EventChannel

log = logging.getLogger("realtime_sdk.session")
YIELD_EVERY = 8  # direct sends between two turns of the event loop
CLOSE_SERVER_FAULT = 1011  # RFC 6455: the server met a condition that stops the session


@dataclass(frozen=True)
class _Close:
    """Queued after the last event: close the transport with this code."""

    code: int = 1000
    reason: str = ""


class SessionFailed(Exception):
    """The session cannot go on; the client has been told why, the transport closes 1011."""


def failure_message(exc: BaseException, what: str) -> str:
    """What the client is told of a back-end's exception: a BackendError's own words,
    otherwise only that it failed (a traceback is for the log, not the client)."""
    if isinstance(exc, BackendError):
        return str(exc)
    return f"The back-end failed while {what}; the server's log has the details."


class _Pieces:
    """Applies one response's pieces to the session, converting audio on the way."""

    def __init__(self, session: Session, response_id: str) -> None:
        self.session = session
        self.response_id = response_id
        self.encoder: WireEncoder | None = None

    def apply(self, piece: ResponsePiece) -> None:
        session, response_id = self.session, self.response_id
        if isinstance(piece, AudioChunk):
            if self.encoder is None or self.encoder.rate != piece.rate:
                self.finish_audio()
                self.encoder = WireEncoder(piece.rate, output_format(session.config))
            session.response_audio(response_id, self.encoder.process(to_mono_int16(piece.samples)))
        elif isinstance(piece, TextDelta):
            session.response_text(response_id, piece.text)
        elif isinstance(piece, TranscriptDelta):
            session.response_transcript(response_id, piece.text)
        elif isinstance(piece, FunctionCall):
            self.finish_audio()  # the audio's tail belongs to the message before the call
            session.response_function_call(response_id, piece.name, piece.arguments, piece.call_id)
        elif isinstance(piece, UserTranscript):
            item_id = session.last_user_item()
            if item_id is not None:
                session.transcription_completed(item_id, 0, piece.text)

    def finish_audio(self) -> None:
        """The resampler holds back ~25 ms; without this the end of the reply is lost."""
        if self.encoder is not None:
            self.session.response_audio(self.response_id, self.encoder.flush())
            self.encoder = None


class SessionDriver:
    def __init__(
        self,
        channel: EventChannel,
        session: Session,
        backend: Responder | TurnTakingBackend,
        *,
        queue_size: int = 256,
    ) -> None:
        self.channel = channel
        self.session = session
        self.backend = backend
        # decided once: a runtime-checkable Protocol's isinstance walks its members, and the
        # input path asks for every frame
        self._turns = backend if isinstance(backend, TurnTakingBackend) else None
        session.capabilities = backend.capabilities  # what the session accepts is what it can do
        self._queue: asyncio.Queue[Any] = asyncio.Queue(queue_size)
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._speech_item: str | None = None  # item id announced at speech_started
        self._player = channel if isinstance(channel, AudioTransport) else None
        self._mic: WireEncoder | None = None  # peer audio -> the session's input format
        # Session calls never await, so they cannot interleave; acting on the outputs does
        # (a full queue), so flushes take turns to keep events in the order made.
        self._flush_lock = asyncio.Lock()
        # An event goes straight to the channel when nothing is queued or being written:
        # the order stays the one made, and each frame skips two task switches.
        self._writer_busy = False
        self._direct_idle = asyncio.Event()
        self._direct_idle.set()
        self._direct_sends = 0
        self._send_failed = False

    async def run(self) -> None:
        writer = asyncio.create_task(self._write(), name="realtime-writer")
        turns = self._turns
        failed: str | None = None
        try:
            self.session.start()
            await self._flush()
            if turns is not None:
                await turns.start(self.session.config)
                self._spawn("turns", self._pump(turns))
            while True:
                raw = await self.channel.recv()
                if raw is None:
                    break
                try:
                    self._take(raw)
                    await self._flush()
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("session %s: fault on input", self.session.config["id"])
                    self.session.fault("the last input")
                    await self._flush()
                if self.session.broken:
                    raise SessionFailed("too many server faults")
        except SessionFailed as exc:
            failed = str(exc)
        except Exception:
            log.exception("session %s failed", self.session.config["id"])
            failed = "server fault"
            with contextlib.suppress(Exception):
                self.session.fault("this session", fatal=True)
                await self._flush()
        finally:
            if failed is not None:
                await self._drain()
            await self._shutdown(writer)
            if turns is not None:
                with contextlib.suppress(Exception):
                    await turns.stop()
            if failed is not None:
                await self.channel.close(CLOSE_SERVER_FAULT, failed)

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

    async def _drain(self, timeout_s: float = 2.0) -> None:
        """Let the writer send what is queued (the error saying why) before the close."""
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._queue.join(), timeout_s)

    async def _pump(self, backend: TurnTakingBackend) -> None:
        """Turn what a turn-taking back-end yields into protocol events.

        A back-end that raises has stopped taking turns: the session cannot go on, so
        the client is told (a failed response, an `error`) and the transport closes 1011."""
        pieces: _Pieces | None = None
        try:
            async for event in backend.events():
                pieces = self._turn(event, pieces)
                if isinstance(event, CloseSession):
                    await self._flush()
                    await self._queue.put(_Close())
                    return
                await self._flush()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("back-end failed in session %s", self.session.config["id"])
            message = failure_message(exc, "taking turns")
            if pieces is not None:
                self.session.response_failed(pieces.response_id, message)
            self.session.fault("the back-end's turns (it stopped)", fatal=True)
            await self._flush()
            await self._queue.put(_Close(CLOSE_SERVER_FAULT, "the back-end stopped"))

    def _turn(self, event: Any, pieces: _Pieces | None) -> _Pieces | None:
        """One turn event into the session; returns the response now being written."""
        session = self.session
        if isinstance(event, SpeechStarted):
            self._speech_item = session.backend_speech_started()
            return None  # a barge-in cancelled any reply; its leftovers are dropped
        if isinstance(event, SpeechStopped):
            session.backend_speech_stopped(self._speech_item)
            self._speech_item = None
        elif isinstance(event, ResponseStarted):
            return _Pieces(session, session.begin_response())
        elif isinstance(event, (ResponseEnded, ResponseFailed)):
            if pieces is not None and isinstance(event, ResponseFailed):
                session.response_failed(pieces.response_id, event.message)
            elif pieces is not None:
                pieces.finish_audio()
                session.response_finished(pieces.response_id)
            return None
        elif isinstance(event, RawServerEvent):
            try:
                session.send_raw(dict(event.event))
            except ValueError:
                log.warning("back-end sent an invalid server event: %s", event.event)
        elif isinstance(event, UserTranscript):
            _Pieces(session, "").apply(event)
        elif not isinstance(event, CloseSession):
            if pieces is None or session.active is None:
                log.debug("dropped a reply piece outside a response: %r", type(event).__name__)
                return None
            pieces.apply(event)
        return pieces

    async def _shutdown(self, writer: asyncio.Task[None]) -> None:
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()
        writer.cancel()
        await asyncio.gather(writer, return_exceptions=True)
        self.session.close()
        close = getattr(self.backend, "close_session", None)
        if close is not None:
            with contextlib.suppress(Exception):
                await close(self.session.config["id"])
        log.info("session %s ended", self.session.config["id"])

    async def _send(self, frame: str) -> None:
        """One event to the client, directly when the writer has nothing before it."""
        if (
            self._writer_busy
            or self._send_failed
            or not self._queue.empty()
            or not self._direct_idle.is_set()
        ):
            await self._queue.put(frame)
            return
        self._direct_idle.clear()
        try:
            await self.channel.send(frame)
        except ConnectionError:
            self._send_failed = True
        finally:
            self._direct_idle.set()
        # a socket send that does not block does not suspend: a back-end that makes its
        # reply without waiting would then hold the loop until it is done, and the
        # client's cancel, pings and other sessions would wait behind it
        self._direct_sends += 1
        if self._direct_sends % YIELD_EVERY == 0:
            await asyncio.sleep(0)

    async def _write(self) -> None:
        while True:
            frame = await self._queue.get()
            self._writer_busy = True
            try:
                await self._direct_idle.wait()  # a direct send still waiting for the socket
                if isinstance(frame, _Close):
                    await self.channel.close(frame.code, frame.reason)
                    return
                if isinstance(frame, str):
                    await self.channel.send(frame)
                else:
                    await self._play(frame)
            except ConnectionError:
                self._send_failed = True
                return
            except Exception:  # a fault of ours: nothing more can be sent in order
                log.exception("session %s: writer failed", self.session.config["id"])
                self._send_failed = True
                with contextlib.suppress(Exception):
                    await self.channel.close(CLOSE_SERVER_FAULT, "server fault")
                return
            finally:
                self._writer_busy = False
                self._queue.task_done()

    async def _play(self, out: PlayAudio | AudioDone) -> None:
        """Response audio to a transport that plays it; it may wait for room."""
        assert self._player is not None
        if isinstance(out, PlayAudio):
            tag = AudioTag(out.response_id, out.item_id, out.content_index)
            await self._player.send_audio(decode(out.audio, out.format), out.format.rate, tag)
        else:
            self._player.finish_audio(out.response_id)

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
        """Peer audio (RTP) into the session, as an append of its input format would."""
        fmt = self.session.in_format
        mic = self._mic
        if mic is None or mic.rate != frame.rate or mic.fmt != fmt:
            if mic is not None and mic.fmt == fmt:
                self.session.append_audio(mic.flush())  # the old rate's held-back tail
            mic = self._mic = WireEncoder(frame.rate, fmt)
            if self._player is not None and frame.rate != fmt.rate:
                self._player.hear_at(fmt.rate)  # later frames come at the session's rate
        self.session.append_audio(mic.process(frame.samples))

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
                        log.exception("session %s: fault on %r", self.session.config["id"], out)
                        self.session.fault("the last input")

    async def _act(self, out: Output) -> None:
        if isinstance(out, Send):
            await self._send(out.text())
        elif isinstance(out, PlayAudio | AudioDone):
            if self._player is not None:  # through the queue: after the events before it
                await self._queue.put(out)
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
            if self._turns is not None:
                await self._turns.receive_audio(out.audio, self.session.in_format)
        elif isinstance(out, ClearOutputAudio):
            self._clear(out)

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
        request = ResponseRequest(
            response_id=response_id,
            items=start.items,
            config=start.config,
            session=session.config,
            out_of_band=start.out_of_band,
            audio=start.audio,
            audio_format=session.in_format,
        )
        pieces = _Pieces(session, response_id)
        if not isinstance(self.backend, Responder):
            session.response_failed(response_id, "This back-end only answers turns it detects.")
            await self._flush()
            return
        try:
            async for piece in self.backend.respond(request):
                if isinstance(piece, AudioChunk) and self._player is not None:
                    # a back-end faster than real time waits here, not the whole session:
                    # once what it made so far is with the player, until the player has room
                    await self._queue.join()
                    await self._player.room()
                pieces.apply(piece)
                await self._flush()
            pieces.finish_audio()
            session.response_finished(response_id)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("back-end failed in response %s", response_id)
            session.response_failed(response_id, failure_message(exc, "making this response"))
        await self._flush()

    async def _transcribe(self, job: Transcribe) -> None:
        if not isinstance(self.backend, Transcriber):
            message = "This server's back-end cannot transcribe input audio."
            self.session.transcription_failed(job.item_id, job.content_index, message)
            await self._flush()
            return
        request = TranscriptionRequest(
            job.item_id, job.content_index, job.audio, self.session.in_format, job.config
        )
        parts: list[str] = []
        try:
            async for delta in self.backend.transcribe(request):
                parts.append(delta)
                self.session.transcription_delta(job.item_id, job.content_index, delta)
                await self._flush()
            self.session.transcription_completed(job.item_id, job.content_index, "".join(parts))
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("transcription failed for item %s", job.item_id)
            message = failure_message(exc, "transcribing this audio")
            self.session.transcription_failed(job.item_id, job.content_index, message)
        await self._flush()
