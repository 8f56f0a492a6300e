"""What a back-end yields, into the session: a response's pieces, its audio converted to
the session's output format on the way, and the turns of a back-end that takes its own."""

from __future__ import annotations

import logging
from typing import Any

from ...audio import WireEncoder, to_mono_int16
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
from ..protocol.session import Session

log = logging.getLogger("realtime_sdk.session")


class ResponseWriter:
    """One response's pieces into the session, converting audio on the way."""

    def __init__(self, session: Session, response_id: str) -> None:
        self.session = session
        self.response_id = response_id
        self.encoder: WireEncoder | None = None

    def apply(self, piece: ResponsePiece) -> None:
        session = self.session
        if isinstance(piece, UserTranscript):
            session.user_transcript(piece.text)
            return
        run = session.response(self.response_id)
        if run is None:
            return  # cancelled: what still arrives is dropped
        if isinstance(piece, AudioChunk):
            if self.encoder is None or self.encoder.rate != piece.rate:
                self.finish_audio()
                self.encoder = WireEncoder(piece.rate, output_format(session.config))
            run.audio(self.encoder.process(to_mono_int16(piece.samples)))
        elif isinstance(piece, TextDelta):
            run.text(piece.text)
        elif isinstance(piece, TranscriptDelta):
            run.transcript(piece.text)
        elif isinstance(piece, FunctionCall):
            self.finish_audio()  # the audio's tail belongs to the message before the call
            run.function_call(piece.name, piece.arguments, piece.call_id)

    def finish_audio(self) -> None:
        """The resampler holds back about a millisecond: without this, the end of the
        reply would be lost."""
        if self.encoder is not None:
            run = self.session.response(self.response_id)
            if run is not None:
                run.audio(self.encoder.flush())
            self.encoder = None

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
