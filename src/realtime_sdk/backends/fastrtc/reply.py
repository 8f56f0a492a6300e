"""`ReplyFunctionResponder`: a ReplyOnPause reply function under the server's own turns.

Served through `FastRTCBackend`, ``ReplyOnPause(fn)`` decides turns itself, so clients get no
text turns, no ``response.create`` and no cancel. Wrapped here instead, the same ``fn`` becomes a
`Responder`: the server's turn detection (or the client's commit) ends the user's turn, and each
response calls ``fn`` once on the latest user item, with the full protocol around it.

What ``fn`` gets:

- ``fn((rate, samples), *additional_inputs)``, ``samples`` shaped ``(1, N)`` int16 as
  ReplyOnPause passes them: the latest user item's audio at the session's input rate, or at
  ``input_sample_rate`` when given;
- a function with a ``text`` parameter (or ``**kwargs``) also gets ``text=``: the typed text of a
  text item (the audio is then empty, ``(1, 0)``), or the transcript of an audio item (None if it
  has none). Functions without one take audio only: the responder then declares no text input, so
  the session refuses text items with an error instead of ignoring them.

What ``fn`` yields (sync or async generator, like ReplyOnPause's): audio frames ``(rate, array)``
become audio, `RealtimeMessage` text and transcript deltas and function calls become those pieces,
``CloseStream`` ends the response; a `Responder` has no way to send a user transcript or a raw
event, so those are dropped (logged at debug), as are other additional outputs unless
``on_additional_outputs`` takes them.

Cancellation: an async generator is closed at once; a sync one runs on a thread of its own, one
step at a time, so a cancel stops it after the step in progress and closes it there (its
``finally`` runs); the thread then ends.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterator, Sequence
from typing import Any, Final

import numpy as np

from ...audio import Int16Array, resample
from ...realtime.protocol.session import Capabilities
from ..base import (
    AudioChunk,
    CloseSession,
    FunctionCall,
    ResponsePiece,
    ResponseRequest,
    TextDelta,
    TranscriptDelta,
)
from .outputs import extras_to_events, split_emit
from .threads import SerialThread

__all__ = ["ReplyFunctionResponder", "accepts_text"]

log = logging.getLogger("realtime_sdk.reply")
_END: Final = object()


def accepts_text(fn: Callable[..., Any]) -> bool:
    """Whether ``fn`` takes a ``text`` keyword (by name, or through ``**kwargs``)."""
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(
        p.kind is p.VAR_KEYWORD
        or (p.name == "text" and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))
        for p in parameters
    )


def _latest_user_item(items: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    return next((i for i in reversed(items) if i.get("role") == "user"), None)


def _text_of(item: dict[str, Any]) -> str | None:
    texts = [
        part.get("text") if part.get("type") == "input_text" else part.get("transcript")
        for part in item.get("content") or []
    ]
    joined = " ".join(t for t in texts if t)
    return joined or None


def _retrieve(future: Any) -> None:
    if not future.cancelled():
        future.exception()


class ReplyFunctionResponder:
    """A ReplyOnPause-style reply function as a `Responder` (see the module docstring)."""

    def __init__(
        self,
        fn: Callable[..., Any],
        *,
        input_sample_rate: int | None = None,
        additional_inputs: Sequence[Any] = (),
        on_additional_outputs: Callable[[Any], None] | None = None,
        stop_timeout_s: float = 5.0,
    ) -> None:
        self.fn = fn
        self.input_sample_rate = input_sample_rate
        self.additional_inputs = tuple(additional_inputs)
        self.on_additional_outputs = on_additional_outputs
        self.stop_timeout_s = stop_timeout_s
        self.takes_text = accepts_text(fn)
        self.capabilities = Capabilities(
            text_input=self.takes_text,
            function_calls=False,  # fn never sees the conversation, so not a call's output
            out_of_band=True,
            transcription=False,
            user_transcripts=True,  # RealtimeMessage user transcripts beside its audio
        )

    async def respond(self, request: ResponseRequest) -> AsyncIterator[ResponsePiece]:
        call = self._arguments(request)
        if call is None:
            return
        args, kwargs = call
        async with contextlib.aclosing(self._outputs(args, kwargs)) as outputs:
            async for output in outputs:
                pieces, close = self._pieces(output)
                for piece in pieces:
                    yield piece
                if close:
                    return

    def _arguments(self, request: ResponseRequest) -> tuple[tuple[Any, ...], dict[str, Any]] | None:
        """fn's arguments for the latest user item; None when there is nothing to answer."""
        item = _latest_user_item(request.items)
        if item is None:
            return None
        rate = request.audio_format.rate if request.audio_format is not None else 24000
        samples = request.user_audio(str(item.get("id")))
        text = _text_of(item)
        if samples is None or not len(samples):
            if text is None:
                return None
            if not self.takes_text:
                raise ValueError(
                    "this reply function takes audio only (it has no 'text' parameter)"
                )
            samples = np.zeros(0, dtype=np.int16)
        elif self.input_sample_rate and self.input_sample_rate != rate:
            samples = resample(samples, rate, self.input_sample_rate)
        rate = self.input_sample_rate or rate
        frame: tuple[int, Int16Array] = (rate, samples.reshape(1, -1))
        kwargs = {"text": text} if self.takes_text else {}
        return (frame, *self.additional_inputs), kwargs

    async def _outputs(
        self, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> AsyncGenerator[Any, None]:
        """Whatever fn yields, one item at a time; sync work stays off the event loop."""
        worker = SerialThread("reply-fn")
        try:
            if inspect.isasyncgenfunction(self.fn) or inspect.iscoroutinefunction(self.fn):
                result = self.fn(*args, **kwargs)
                if inspect.isawaitable(result):
                    result = await result
            else:
                result = await worker.call(functools.partial(self.fn, *args, **kwargs))
            if inspect.isasyncgen(result):
                async with contextlib.aclosing(result):
                    async for output in result:
                        yield output
            elif isinstance(result, Iterator):
                try:
                    step = functools.partial(next, result, _END)
                    while (output := await worker.call(step)) is not _END:
                        yield output
                finally:
                    close = getattr(result, "close", None)
                    if callable(close):
                        worker.call(close).add_done_callback(_retrieve)
            elif result is not None:
                yield result
        finally:
            await worker.close(self.stop_timeout_s)

    def _pieces(self, output: Any) -> tuple[list[ResponsePiece], bool]:
        """One yielded item -> response pieces, and whether it closes the stream."""
        audio, extra = split_emit(output)
        pieces: list[ResponsePiece] = [audio] if audio is not None else []
        close = False
        for event in extras_to_events(extra, self.on_additional_outputs):
            if isinstance(event, AudioChunk | TextDelta | TranscriptDelta | FunctionCall):
                pieces.append(event)
            elif isinstance(event, CloseSession):
                close = True
            else:
                log.debug("a responder cannot send %r; dropped", event)
        return pieces, close
