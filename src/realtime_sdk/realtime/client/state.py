"""An up-to-date view of the conversation, built from the server's events.

Apps read items, responses and transcripts here instead of tracking deltas
themselves; truncation drops what the user never heard, as the server does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel


@dataclass
class ItemView:
    id: str
    type: str
    role: str | None = None
    status: str | None = None
    text: str = ""  # typed text, or the model's text output
    transcript: str = ""  # transcript of audio (input or output)
    audio: bytearray = field(default_factory=bytearray)  # response audio as received
    data: dict[str, Any] = field(default_factory=dict)  # the latest wire form


@dataclass
class ResponseView:
    id: str
    status: str = "in_progress"
    status_details: Any = None
    item_ids: list[str] = field(default_factory=list)
    usage: Any = None


class ConversationState:
    def __init__(self) -> None:
        self.items: dict[str, ItemView] = {}  # in conversation order
        self.responses: dict[str, ResponseView] = {}
        self.session: dict[str, Any] = {}

    def transcript(self) -> list[tuple[str, str]]:
        """(role, words) per message item, in order: what was said or written."""
        out = []
        for item in self.items.values():
            if item.type == "message" and item.role:
                words = item.text or item.transcript
                if words:
                    out.append((item.role, words))
        return out

    def _item(self, data: dict[str, Any], previous: str | None = None) -> ItemView:
        view = self.items.get(data["id"])
        if view is None:
            view = ItemView(id=data["id"], type=data.get("type", ""))
            if previous is not None and previous in self.items:
                order = list(self.items.items())
                index = [k for k, _ in order].index(previous) + 1
                order.insert(index, (view.id, view))
                self.items = dict(order)
            else:
                self.items[view.id] = view
        view.role = data.get("role", view.role)
        view.status = data.get("status", view.status)
        view.data = data
        for part in data.get("content") or []:
            if part.get("text"):
                view.text = part["text"]
            if part.get("transcript"):
                view.transcript = part["transcript"]
        return view

    def apply(self, event: BaseModel) -> None:
        """Fold one server event (any dialect, known or not) into the state."""
        data = event.model_dump(mode="json", exclude_unset=True)
        kind = data.get("type")
        handler = getattr(self, "_on_" + str(kind).replace(".", "_"), None)
        if handler is not None:
            handler(data)

    def _on_session_created(self, data: dict[str, Any]) -> None:
        self.session = data.get("session", {})

    _on_session_updated = _on_session_created

    def _on_conversation_item_added(self, data: dict[str, Any]) -> None:
        self._item(data["item"], data.get("previous_item_id"))

    _on_conversation_item_created = _on_conversation_item_added
    _on_conversation_item_done = _on_conversation_item_added
    _on_conversation_item_retrieved = _on_conversation_item_added

    def _on_conversation_item_deleted(self, data: dict[str, Any]) -> None:
        self.items.pop(data["item_id"], None)

    def _on_conversation_item_truncated(self, data: dict[str, Any]) -> None:
        item = self.items.get(data["item_id"])
        if item is not None:
            rate = 24000  # audio kept here is response audio in the session's output format
            fmt = self.session.get("audio", {}).get("output", {}).get("format", {})
            rate = fmt.get(
                "rate", 8000 if fmt.get("type") in ("audio/pcmu", "audio/pcma") else rate
            )
            width = 1 if fmt.get("type") in ("audio/pcmu", "audio/pcma") else 2
            del item.audio[rate * width * data["audio_end_ms"] // 1000 :]
            item.transcript = ""

    def _on_conversation_item_input_audio_transcription_delta(self, data: dict[str, Any]) -> None:
        item = self.items.get(data["item_id"])
        if item is not None:
            item.transcript += data.get("delta", "")

    def _on_conversation_item_input_audio_transcription_completed(
        self, data: dict[str, Any]
    ) -> None:
        item = self.items.get(data["item_id"])
        if item is not None:
            item.transcript = data.get("transcript", "")

    def _on_response_created(self, data: dict[str, Any]) -> None:
        response = data["response"]
        self.responses[response["id"]] = ResponseView(id=response["id"])

    def _on_response_done(self, data: dict[str, Any]) -> None:
        response = data["response"]
        view = self.responses.setdefault(response["id"], ResponseView(id=response["id"]))
        view.status = response.get("status", view.status)
        view.status_details = response.get("status_details")
        view.usage = response.get("usage")
        for item in response.get("output") or []:
            if item.get("id") and item["id"] not in view.item_ids:
                view.item_ids.append(item["id"])

    def _on_response_output_item_added(self, data: dict[str, Any]) -> None:
        item = data["item"]
        view = self.responses.setdefault(data["response_id"], ResponseView(id=data["response_id"]))
        if item.get("id") and item["id"] not in view.item_ids:
            view.item_ids.append(item["id"])
        if item.get("id") not in self.items:
            self._item(item)

    def _delta(self, data: dict[str, Any], attr: str) -> None:
        item = self.items.get(data["item_id"])
        if item is not None:
            setattr(item, attr, getattr(item, attr) + data.get("delta", ""))

    def _on_response_output_text_delta(self, data: dict[str, Any]) -> None:
        self._delta(data, "text")

    def _on_response_output_audio_transcript_delta(self, data: dict[str, Any]) -> None:
        self._delta(data, "transcript")

    _on_response_text_delta = _on_response_output_text_delta
    _on_response_audio_transcript_delta = _on_response_output_audio_transcript_delta
