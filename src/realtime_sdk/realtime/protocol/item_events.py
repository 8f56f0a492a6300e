"""The conversation's items: `conversation.item.create`, `.retrieve`, `.delete`, `.truncate`."""

from __future__ import annotations

from ..._generated.ga import client_events as c
from ..._generated.ga import server_stub as ev
from .conversation import ItemError
from .items import client_item, image_part
from .session_core import SessionCore


class ItemEvents(SessionCore):
    def on_conversation_item_create(self, event: c.ConversationItemCreateEvent) -> None:
        data = event.item.model_dump(mode="json", exclude_unset=True, by_alias=True)
        kind = data["type"]
        if (
            kind in ("function_call", "function_call_output")
            and not self.capabilities.function_calls
        ):
            self._unsupported_feature(event, "function calls")
            return
        # a user's typed turn needs text input; context items (system, assistant) always go in
        typed = any(p.get("type") == "input_text" for p in data.get("content") or [])
        if (
            kind == "message"
            and data.get("role") == "user"
            and typed
            and not self.capabilities.text_input
        ):
            self._unsupported_feature(event, "text input")
            return
        image = image_part(data)
        if image is not None and not self.capabilities.image_input:
            self._refuse_images(event, f"item.content[{image}]")
            return
        if kind.startswith("mcp_") and not self.capabilities.function_calls:
            self._unsupported_feature(event, "MCP items")
            return
        if kind == "mcp_approval_response" and not self.mcp.decide(
            str(data["approval_request_id"]), bool(data["approve"])
        ):
            message = f"No MCP approval request with id '{data['approval_request_id']}'."
            self._refuse(event, "invalid_value", message, "item.approval_request_id")
            return
        try:
            stored = client_item(data, "item", self.in_format, self.ids)
            previous = self.conversation.insert(stored, event.previous_item_id)
        except ItemError as exc:
            self._refuse(event, exc.code, exc.message, exc.param)
            return
        self.emit(ev.conversation_item_added(previous_item_id=previous, item=stored.wire()))
        self.emit(ev.conversation_item_done(previous_item_id=previous, item=stored.wire()))

    def on_conversation_item_retrieve(self, event: c.ConversationItemRetrieveEvent) -> None:
        try:
            stored = self.conversation.get(event.item_id)
        except ItemError as exc:
            self._refuse(event, exc.code, exc.message, exc.param)
            return
        self.emit(ev.conversation_item_retrieved(item=stored.wire(with_audio=True)))

    def on_conversation_item_delete(self, event: c.ConversationItemDeleteEvent) -> None:
        try:
            self.conversation.delete(event.item_id)
        except ItemError as exc:
            self._refuse(event, exc.code, exc.message, exc.param)
            return
        self.emit(ev.conversation_item_deleted(item_id=event.item_id))

    def on_conversation_item_truncate(self, event: c.ConversationItemTruncateEvent) -> None:
        try:
            self.conversation.truncate(event.item_id, event.content_index, event.audio_end_ms)
        except ItemError as exc:
            self._refuse(event, exc.code, exc.message, exc.param)
            return
        self.emit(
            ev.conversation_item_truncated(
                item_id=event.item_id,
                content_index=event.content_index,
                audio_end_ms=event.audio_end_ms,
            )
        )
