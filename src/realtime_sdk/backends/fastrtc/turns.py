"""The turn policy: where a handler's responses begin and end.

A handler decides its own turns; the protocol needs a response opened before the first piece
of a reply and closed after the last. `TurnPolicy` turns what the handler does into
`ResponseStarted` and `ResponseEnded` around its output. Two kinds of handler:

- **by generator** (`ReplyOnPause` and subclasses): a reply is one run of its reply generator;
- **by gap** (any other): a reply is output with no gap of ``gap_s`` (``end_of_turn_s``,
  0.5 s) in it. Audio is *quiet* when no sample exceeds ``silence_level``: quiet frames open no
  response, and inside one they are held back, sent if sound follows, dropped when the gap
  completes. The gap is measured on the audio clock: a response ends ``gap_s`` after the later
  of the last output and the time its audio would finish playing (bursts faster than real time
  do not end a turn early).

State: CLOSED (no response open) or OPEN; by generator, also the generator whose output was
seen last and the one the user talked over (*muted*). The rules, signal -> events (and new
state), applied top to bottom to what one emit() gave:

=============================================  ========================  ========================
signal                                         CLOSED                    OPEN
=============================================  ========================  ========================
output of a generator other than the last      (it becomes the last)     ResponseEnded -> CLOSED
seen (by generator; the rows below follow)
output of the muted generator (by generator)   dropped                   dropped
audio with sound                               ResponseStarted, audio    held, audio
                                               -> OPEN
quiet audio (by gap)                           dropped                   held; held >= gap_s:
                                                                         ResponseEnded -> CLOSED
text, transcript or function call              ResponseStarted, it       it
                                               -> OPEN
user transcript, raw server event              it                        it
CloseStream                                    CloseSession              ResponseEnded,
                                                                         CloseSession -> CLOSED
emit() gave None, no generator left (by gen.)  (nothing)                 ResponseEnded -> CLOSED
emit() failed                                  (nothing)                 ResponseEnded -> CLOSED
user started talking (``started_talking``)     HeardSpeechStart          HeardSpeechStart,
                                                                         ResponseEnded -> CLOSED
the gap's deadline passed (by gap)             (nothing)                 ResponseEnded -> CLOSED
=============================================  ========================  ========================

*held*: quiet audio held back since the last sound (by gap only; CLOSED holds nothing).
When the user starts talking, the session cancels the response it is in (barge-in); by
generator, if the handler can be interrupted, the generator running then is muted: what it
still yields is dropped (ReplyOnPause abandons it at the next pause anyway). By gap, the next
sound opens a new response. emit() failing, or the last generator ending, also forgets the
muted one. A pause (``pause_detected``) is `HeardPause` in either state and changes nothing
here.
"""

from __future__ import annotations

from ...audio.levels import peak_at_most
from ..base import (
    AudioChunk,
    CloseSession,
    FunctionCall,
    HeardSpeechStart,
    ResponseEnded,
    ResponseStarted,
    TextDelta,
    TranscriptDelta,
    TurnTakingEvent,
)

__all__ = ["TurnPolicy", "is_piece"]


def is_piece(event: TurnTakingEvent) -> bool:
    """Whether ``event`` is part of a reply (it needs a response open)."""
    return isinstance(event, AudioChunk | TextDelta | TranscriptDelta | FunctionCall)


class TurnPolicy:
    """Where one handler's responses begin and end (the rules are in the module docstring)."""

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
        self, audio: AudioChunk | None, events: list[TurnTakingEvent], generator: object, now: float
    ) -> list[TurnTakingEvent]:
        out: list[TurnTakingEvent] = []
        if self.by_generator and generator is not self._generator:
            out += self._end()
            self._generator = generator
        if generator is not None and generator is self._muted:
            return out
        if audio is not None:
            out += self._audio(audio, now)
        for event in events:
            if is_piece(event):
                out += self._open(now)
                self._last = now
            elif isinstance(event, CloseSession):
                out += self._end()
            out.append(event)
        return out

    def nothing(self, finished: bool) -> list[TurnTakingEvent]:
        """emit() gave None; for ReplyOnPause, with no generator left the reply is over."""
        return self.failed() if self.by_generator and finished else []

    def failed(self) -> list[TurnTakingEvent]:
        self._generator = self._muted = None
        return self._end()

    def speech_started(self, running: object, can_interrupt: bool) -> list[TurnTakingEvent]:
        """The user talks over ``running`` (the handler's reply generator, if any).

        The session cancels the response it is in (barge-in); ours ends with it, and whatever
        the talked-over ReplyOnPause generator still yields is dropped."""
        if self.by_generator and can_interrupt and running is not None:
            self._muted = running
        return [HeardSpeechStart(), *self._end()]

    def deadline(self) -> float | None:
        if self.by_generator or not self.open:
            return None
        return max(self._play_end, self._last) + self.gap_s

    def expire(self, now: float) -> list[TurnTakingEvent]:
        deadline = self.deadline()
        return self._end() if deadline is not None and now >= deadline else []

    def _audio(self, chunk: AudioChunk, now: float) -> list[TurnTakingEvent]:
        if not self.by_generator and peak_at_most(chunk.samples, self.silence_level):
            if not self.open:
                return []
            self._held.append(chunk)
            self._held_s += len(chunk.samples) / chunk.rate
            self._last = now
            return self._end() if self._held_s >= self.gap_s else []
        out: list[TurnTakingEvent] = [*self._open(now), *self._held, chunk]
        for piece in out:
            if isinstance(piece, AudioChunk):
                self._play_end = max(self._play_end, now) + len(piece.samples) / piece.rate
        self._held, self._held_s, self._last = [], 0.0, now
        return out

    def _open(self, now: float) -> list[TurnTakingEvent]:
        if self.open:
            return []
        self.open, self._play_end, self._last = True, now, now
        return [ResponseStarted()]

    def _end(self) -> list[TurnTakingEvent]:
        self._held, self._held_s = [], 0.0
        if not self.open:
            return []
        self.open = False
        return [ResponseEnded()]
