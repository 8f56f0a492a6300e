"""Serve a FastRTC stream handler as a turn-taking back-end, or its reply function as a responder.

Anything with FastRTC's handler contract works with `FastRTCBackend`: ``receive(frame)``,
``emit()``, ``copy()``, optional ``start_up()`` and ``shutdown()``, each sync or ``async``
(`StreamHandler`, `AsyncStreamHandler`, `ReplyOnPause`, `ReplyOnStopWords`, or a duck-typed
object). fastrtc itself is only needed for what it defines (`ReplyOnPause`, `CloseStream`, its
context variables); this package imports without it.

One module per job:

- `backend`: `FastRTCBackend`, its lifecycle and the loop that asks the handler for output;
- `pace`: when to ask (never a busy loop);
- `receiver`: session audio in, FastRTC frames to ``receive``;
- `outputs`: what ``emit()`` gave, read;
- `turns`: where responses begin and end (the rules table);
- `signals`: the data channel the handler reports its talking and pauses through;
- `threads`: the thread each kind of sync call runs on, in order;
- `translator`: `FastRTCTranslator`, a handler serving translation sessions;
- `reply`: `ReplyFunctionResponder`, a ReplyOnPause reply function under the server's turns;
- `messages`: `RealtimeMessage`, protocol data a handler yields, and `chatbot_update`;
- `pause`: `LocalPauseDetectionModel`, ReplyOnPause's pause model with no download.

Names are loaded on first use: the pause model alone does not import fastrtc (and gradio,
seconds and hundreds of MB), as the adapter and `RealtimeMessage` must.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..._lazy import lazy_names

if TYPE_CHECKING:
    from .backend import FastRTCBackend
    from .messages import RealtimeMessage, chatbot_update
    from .outputs import audio_of, extras_to_events, split_emit
    from .pause import LocalPauseDetectionModel, PauseOptions, SpeechSpan, speech_chunks
    from .reply import ReplyFunctionResponder, accepts_text
    from .threads import SerialThread
    from .translator import FastRTCTranslator

__all__ = [
    "FastRTCBackend",
    "FastRTCTranslator",
    "LocalPauseDetectionModel",
    "PauseOptions",
    "RealtimeMessage",
    "ReplyFunctionResponder",
    "SerialThread",
    "SpeechSpan",
    "accepts_text",
    "audio_of",
    "chatbot_update",
    "extras_to_events",
    "speech_chunks",
    "split_emit",
]

_MODULES = {
    "FastRTCBackend": "backend",
    "FastRTCTranslator": "translator",
    "LocalPauseDetectionModel": "pause",
    "PauseOptions": "pause",
    "RealtimeMessage": "messages",
    "ReplyFunctionResponder": "reply",
    "SerialThread": "threads",
    "SpeechSpan": "pause",
    "accepts_text": "reply",
    "audio_of": "outputs",
    "chatbot_update": "messages",
    "extras_to_events": "outputs",
    "speech_chunks": "pause",
    "split_emit": "outputs",
}


__getattr__, __dir__ = lazy_names(__name__, _MODULES)
