"""What a back-end yields, into the session: a response's pieces, its audio converted to
the session's output format on the way (and kept as it was for a player that takes it),
and the turns of a back-end that takes its own."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from ...audio import Int16Array, WireEncoder, to_mono_int16
from ...audio.formats import EMPTY
from ...backends.base import (
    AudioChunk,
    CloseSession,
    FunctionCall,
    HeardPause,
    HeardSpeechStart,
    RawServerEvent,
    ResponseEnded,
    ResponseFailed,
    ResponsePiece,
    ResponseStarted,
    TextDelta,
    TranscriptDelta,
    UserTranscript,
)
from ..protocol.config import output_format
from ..protocol.outputs import McpCall, Samples
from ..protocol.session import Session

log = logging.getLogger("realtime_sdk.session")


class ResponseWriter:
    """One response's pieces into the session, converting audio on the way.

    Audio goes into the session's output format, which the session keeps (and a websocket
    client gets). A transport that plays audio itself (WebRTC) gets the back-end's samples
    beside those bytes, at the back-end's rate, when the format is PCM: the bytes would only
    give the same samples back, at the session's rate, for the player to resample again.
    G.711 is lossy, so there the player still plays what the format keeps, as before.
    """

    def __init__(self, session: Session, response_id: str) -> None:
        self.session = session
        self.response_id = response_id
        self.encoder: WireEncoder | None = None
        self._to_player = False  # the player takes the back-end's samples (see above)
        self._held: Int16Array | None = None  # samples the encoder has given no bytes for yet

    def apply(self, piece: ResponsePiece) -> McpCall | None:
        """Into the session; an MCP call to run comes back (the driver runs it)."""
        session = self.session
        if isinstance(piece, UserTranscript):
            session.user_transcript(piece.text)
            return None
        run = session.response(self.response_id)
        if run is None:
            return None  # cancelled: what still arrives is dropped
        if isinstance(piece, AudioChunk):
            encoder = self.encoder
            if encoder is None or encoder.rate != piece.rate:
                self.finish_audio()
                encoder = self.encoder = WireEncoder(piece.rate, output_format(session.config))
                self._to_player = session.plays_audio and encoder.fmt.encoding == "pcm"
            samples = to_mono_int16(piece.samples)
            data = encoder.process(samples)
            if not self._to_player:
                run.audio(data)
                return None
            # a copy: the player reads it later, and a back-end may reuse its array by then
            source = samples.copy()
            if self._held is not None:
                source, self._held = np.concatenate((self._held, source)), None
            if data:
                run.audio(data, Samples(source, piece.rate))
            else:
                self._held = source  # a chunk shorter than the resampler's hold-back
        elif isinstance(piece, TextDelta):
            run.text(piece.text)
        elif isinstance(piece, TranscriptDelta):
            run.transcript(piece.text)
        elif isinstance(piece, FunctionCall):
            self.finish_audio()  # the audio's tail belongs to the message before the call
            return session.tool_call(self.response_id, piece.name, piece.arguments, piece.call_id)
        return None

    def finish_audio(self) -> None:
        """The resampler holds back about a millisecond: without this, the end of the
        reply would be lost (the player has had those samples, from the back-end's own)."""
        encoder = self.encoder
        if encoder is not None:
            run = self.session.response(self.response_id)
            if run is not None:
                tail = encoder.flush()
                if self._to_player:
                    held = EMPTY if self._held is None else self._held
                    run.audio(tail, Samples(held, encoder.rate))
                else:
                    run.audio(tail)
            self.encoder = self._held = None

    def finish(self, failure: str | None = None) -> None:
        if failure is None:
            self.finish_audio()
        self.session.finish_response(self.response_id, failure)


class TurnFeed:
    """A turn-taking back-end's events into the session, one at a time."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.writer: ResponseWriter | None = None  # the response now being written
        self._speech_item: str | None = None  # item id announced at speech_started

    def feed(self, event: Any) -> None:
        session = self.session
        if isinstance(event, HeardSpeechStart):
            self._speech_item = session.heard_speech_started()
            self.writer = None  # a barge-in cancelled any reply; its leftovers are dropped
        elif isinstance(event, HeardPause):
            session.heard_speech_stopped(self._speech_item)
            self._speech_item = None
        elif isinstance(event, ResponseStarted):
            self.writer = ResponseWriter(session, session.begin_response())
        elif isinstance(event, ResponseEnded | ResponseFailed):
            if self.writer is not None:
                failure = event.message if isinstance(event, ResponseFailed) else None
                self.writer.finish(failure)
            self.writer = None
        elif isinstance(event, RawServerEvent):
            try:
                session.send_raw(dict(event.event))
            except ValueError:
                log.warning("back-end sent an invalid server event: %s", event.event)
        elif isinstance(event, UserTranscript):
            session.user_transcript(event.text)
        elif not isinstance(event, CloseSession):
            if self.writer is None or session.active is None:
                log.debug("dropped a reply piece outside a response: %r", type(event).__name__)
                self.writer = None
                return
            self.writer.apply(event)

    def fail(self, message: str) -> None:
        """The back-end stopped: the response it was writing ends failed."""
        if self.writer is not None:
            self.session.finish_response(self.writer.response_id, message)
            self.writer = None
