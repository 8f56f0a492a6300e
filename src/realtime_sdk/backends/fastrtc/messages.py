"""`RealtimeMessage`: protocol data a FastRTC handler yields beside (or instead of) audio.

A FastRTC handler can only say two things besides audio: `AdditionalOutputs(*args)` and
`CloseStream`. `RealtimeMessage` is an `AdditionalOutputs` (FastRTC's own class when fastrtc is
installed, so its `Stream` and Gradio UI treat it like any other; a drop-in with the same `.args`
otherwise) whose single argument is a JSON-serializable dict. The FastRTC adapter turns it into
the matching Realtime server events, and `chatbot_update` turns it into a Gradio Chatbot row, so
one handler serves both.

Payloads (``message.data``), by ``type``:

- ``user_transcript`` ``{"text"}``: what the user said (the last user item's transcript);
- ``assistant_transcript_delta`` ``{"text"}``: transcript of the reply audio;
- ``text_delta`` ``{"text"}``: reply text (the audio's transcript in an audio response);
- ``function_call`` ``{"name", "arguments", "call_id"}``: ``arguments`` a JSON string;
- ``server_event`` ``{"event"}``: a server event sent as it is (it gets an ``event_id``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from ..base import (
    FunctionCall,
    RawServerEvent,
    TextDelta,
    TranscriptDelta,
    TurnTakingEvent,
    UserTranscript,
)

if TYPE_CHECKING:

    class AdditionalOutputs:
        """FastRTC's `AdditionalOutputs`, as the type checker sees it."""

        args: tuple[Any, ...]

        def __init__(self, *args: Any) -> None: ...

else:
    try:
        from fastrtc.utils import AdditionalOutputs
    except ImportError:  # fastrtc is an extra: keep the same shape without it

        class AdditionalOutputs:
            """Stand-in for FastRTC's `AdditionalOutputs` (fastrtc is not installed)."""

            def __init__(self, *args: Any) -> None:
                self.args = args


__all__ = ["KINDS", "AdditionalOutputs", "RealtimeMessage", "chatbot_update", "messages_in"]

KINDS: Final = frozenset(
    {"user_transcript", "assistant_transcript_delta", "text_delta", "function_call", "server_event"}
)


class RealtimeMessage(AdditionalOutputs):
    """Structured protocol data riding FastRTC's additional-outputs channel.

    Build one with the constructors (`user_transcript`, `text_delta`, ...); ``args`` is
    ``(data,)`` so FastRTC passes the plain dict on to an ``additional_outputs_handler``.
    """

    def __init__(self, data: Mapping[str, Any]) -> None:
        payload = dict(data)
        kind = payload.get("type")
        if kind not in KINDS:
            raise ValueError(
                f"unknown RealtimeMessage type {kind!r}; expected one of {sorted(KINDS)}"
            )
        try:
            json.dumps(payload)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"RealtimeMessage data must be JSON-serializable: {exc}") from None
        super().__init__(payload)

    # -- constructors -------------------------------------------------------------------
    @classmethod
    def user_transcript(cls, text: str) -> RealtimeMessage:
        return cls({"type": "user_transcript", "text": _text(text)})

    @classmethod
    def assistant_transcript_delta(cls, text: str) -> RealtimeMessage:
        return cls({"type": "assistant_transcript_delta", "text": _text(text)})

    @classmethod
    def text_delta(cls, text: str) -> RealtimeMessage:
        return cls({"type": "text_delta", "text": _text(text)})

    @classmethod
    def function_call(
        cls, name: str, arguments: str | Mapping[str, Any], call_id: str | None = None
    ) -> RealtimeMessage:
        """``arguments`` as the JSON string the protocol carries, or a mapping to encode."""
        if not isinstance(arguments, str):
            arguments = json.dumps(dict(arguments))
        return cls(
            {
                "type": "function_call",
                "name": _text(name),
                "arguments": arguments,
                "call_id": call_id,
            }
        )

    @classmethod
    def server_event(cls, event: Mapping[str, Any]) -> RealtimeMessage:
        """A whole server event, e.g. ``{"type": "rate_limits.updated", ...}``."""
        if not isinstance(event.get("type"), str):
            raise ValueError("a server event needs a string 'type'")
        return cls({"type": "server_event", "event": dict(event)})

    # -- reading ------------------------------------------------------------------------
    @property
    def data(self) -> dict[str, Any]:
        payload: dict[str, Any] = self.args[0]
        return payload

    @property
    def kind(self) -> str:
        return str(self.data["type"])

    def to_turn_event(self) -> TurnTakingEvent:
        """The back-end event the driver turns into server events."""
        data = self.data
        kind = data["type"]
        if kind == "user_transcript":
            return UserTranscript(data["text"])
        if kind == "assistant_transcript_delta":
            return TranscriptDelta(data["text"])
        if kind == "text_delta":
            return TextDelta(data["text"])
        if kind == "function_call":
            return FunctionCall(data["name"], data["arguments"], data.get("call_id"))
        return RawServerEvent(data["event"])

    def to_json(self) -> str:
        return json.dumps(self.data)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RealtimeMessage) and other.data == self.data

    def __hash__(self) -> int:
        return hash(self.to_json())

    def __repr__(self) -> str:
        return f"RealtimeMessage({self.data!r})"


def _text(value: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a str, got {type(value).__name__}")
    return value


def messages_in(outputs: object) -> list[RealtimeMessage]:
    """The RealtimeMessages an additional output carries: itself, or those among its args
    (``AdditionalOutputs(RealtimeMessage.user_transcript(...), other)``)."""
    if isinstance(outputs, RealtimeMessage):
        return [outputs]
    args = getattr(outputs, "args", ())
    return [a for a in args if isinstance(a, RealtimeMessage)] if isinstance(args, tuple) else []


def chatbot_update(first: Any, second: Any) -> list[dict[str, Any]]:
    """A Gradio Chatbot (messages format) history with one RealtimeMessage applied.

    Usable as FastRTC's ``additional_outputs_handler`` for a single Chatbot output: FastRTC
    calls it as ``handler(history, data)``. ``chatbot_update(message, history)`` works too:
    the history is whichever argument is a list (or None), the message the other one (a
    RealtimeMessage or its ``data`` dict).

    The history is updated in place and returned. FastRTC reads the Chatbot's value once,
    when the stream starts, and passes that same list with every message after it; only
    by keeping the rows in that list do deltas add up to whole replies.

    User transcripts add a user row; text and transcript deltas extend the last assistant row
    (or start one); function calls add an assistant row titled with the tool's name; raw server
    events change nothing.
    """
    if first is None or isinstance(first, list):
        history, message = first, second
    else:
        message, history = first, second
    rows: list[dict[str, Any]] = history if history is not None else []
    data = message.data if isinstance(message, RealtimeMessage) else dict(message)
    kind = data.get("type")
    if kind == "user_transcript":
        rows.append({"role": "user", "content": data["text"]})
    elif kind in ("assistant_transcript_delta", "text_delta"):
        last = rows[-1] if rows else None
        if last is not None and last.get("role") == "assistant" and not last.get("metadata"):
            rows[-1] = {**last, "content": str(last.get("content") or "") + data["text"]}
        else:
            rows.append({"role": "assistant", "content": data["text"]})
    elif kind == "function_call":
        rows.append(
            {
                "role": "assistant",
                "content": data["arguments"],
                "metadata": {"title": f"Called {data['name']}"},
            }
        )
    return rows
