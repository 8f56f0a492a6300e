"""What a handler's ``emit()`` gave, read: audio, additional outputs, CloseStream, and which
reply it came from.

FastRTC's EmitType is loose (a frame, a frame and an additional output, an additional output
alone, None); this is the one place that reads it, for the adapter and for reply functions.
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import logging
from collections.abc import Callable
from typing import Any

import numpy as np

from ...audio import to_mono_int16
from ..base import AudioChunk, CloseSession, TurnTakingEvent
from .messages import messages_in

__all__ = [
    "Emitted",
    "audio_of",
    "emit_sync",
    "emitted",
    "extras_to_events",
    "fastrtc_module",
    "is_close_stream",
    "is_reply_on_pause",
    "outcome_of",
    "split_emit",
]

log = logging.getLogger("realtime_sdk.fastrtc")


@functools.cache
def fastrtc_module() -> Any | None:
    """The fastrtc package, or None; importing it is slow (gradio), so only on demand."""
    try:
        return importlib.import_module("fastrtc")
    except ImportError:
        return None


def is_close_stream(value: object) -> bool:
    """FastRTC's ``CloseStream``, or a duck-typed one (same name, a ``msg``)."""
    fastrtc = fastrtc_module()
    if fastrtc is not None and isinstance(value, fastrtc.CloseStream):
        return True
    return type(value).__name__ == "CloseStream" and hasattr(value, "msg")


def is_reply_on_pause(handler: object) -> bool:
    """Whether ``handler`` is FastRTC's `ReplyOnPause` (or a subclass): its turns are its
    reply generator's runs, and its ``event`` says when ``emit()`` has something."""
    fastrtc = fastrtc_module()
    return fastrtc is not None and isinstance(handler, fastrtc.ReplyOnPause)


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


def extras_to_events(
    extra: Any, on_other: Callable[[Any], None] | None = None
) -> list[TurnTakingEvent]:
    """What an additional output means to the protocol: a `RealtimeMessage` its event,
    ``CloseStream`` a `CloseSession`; any other has no protocol event (strict clients reject
    unknown event types), so it goes to ``on_other`` if given and is otherwise dropped."""
    if extra is None:
        return []
    if is_close_stream(extra):
        return [CloseSession(str(getattr(extra, "msg", "")))]
    messages = messages_in(extra)
    if messages:
        return [m.to_turn_event() for m in messages]
    if on_other is not None:
        on_other(extra)
    else:
        log.debug("additional output with no protocol meaning dropped: %r", extra)
    return []


Emitted = tuple[Any, object, bool]
"""What one emit() call gave: the output, the reply generator it came from (ReplyOnPause), and
whether no generator is left afterwards (its reply is over)."""


def emit_sync(handler: Any) -> Emitted:
    """Call a sync ``emit()`` (on the handler's emit thread)."""
    before = getattr(handler, "generator", None)
    return emitted(handler, handler.emit(), before)


def emitted(handler: Any, output: Any, before: object) -> Emitted:
    """``before``: emit() iterates the generator it found, unless it had to create one. Reading
    it only afterwards would be wrong: ReplyOnPause's receive() (another thread) drops the
    generator when the user talks over it, while emit() may be inside one of its steps."""
    after = getattr(handler, "generator", None)
    return output, before if before is not None else after, after is None


def outcome_of(future: asyncio.Future[Emitted]) -> Emitted | BaseException | None:
    """A finished emit() call's result or error; None if it was cancelled."""
    if future.cancelled():
        return None
    error = future.exception()
    return error if error is not None else future.result()
