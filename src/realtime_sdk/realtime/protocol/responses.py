"""One response in flight: turns back-end results into the exact event sequence.

Sequence per message item: output_item.added, conversation.item.added (default
conversation only), content_part.added, deltas, the `*.done`s, content_part.done,
output_item.done, conversation.item.done; then response.done, always, also when
cancelled or failed. Function calls have no content parts.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from ..._generated.ga import server_stub as ev
from ...audio import AudioFormat, b64encode_audio
from .conversation import MAX_KEPT_AUDIO_MS, Conversation, StoredItem
from .ids import Ids
from .outputs import Samples
from .wire import AudioDelta

Emit = Callable[[BaseModel | AudioDelta], None]
# response id, item id, content index, audio, the same audio as the back-end made it
Play = Callable[[str, str, int, bytes, Samples | None], None]


@dataclass
class _OpenItem:
    stored: StoredItem
    output_index: int
    kind: str  # "message" or "function_call"
    part: str | None = None  # "audio" or "text" once a content part is open
    text: list[str] = field(default_factory=list)
    transcript: list[str] = field(default_factory=list)


def _tokens(text: str) -> int:
    """Rough token count (4 characters a token): usage is an estimate, documented as such."""
    return math.ceil(len(text) / 4)


class ResponseRun:
    def __init__(
        self,
        response_id: str,
        *,
        config: dict[str, Any],
        ids: Ids,
        emit: Emit,
        conversation: Conversation | None,
        out_format: AudioFormat,
        input_tokens: int = 0,
        play: Play | None = None,
    ) -> None:
        """`play`: where audio goes on a transport that plays it (WebRTC) instead of
        `response.output_audio.delta` events."""
        self.id = response_id
        self.play = play
        self.config = config
        self.ids = ids
        self.emit = emit
        self.conversation = conversation
        self.out_format = out_format
        self._keep_bytes = out_format.bytes_for_ms(MAX_KEPT_AUDIO_MS)  # per audio part
        self.status = "in_progress"
        self.output: list[StoredItem] = []
        self.audio_ms = 0
        self._open: _OpenItem | None = None
        self._input_tokens = input_tokens
        self._output_text = 0
        self._output_audio_ms = 0  # of the open audio part
        self._output_audio_ms_all = 0  # of the closed ones

    @property
    def audio_mode(self) -> bool:
        return "audio" in self.config.get("output_modalities", ["audio"])

    @property
    def audio_ms_total(self) -> int:
        """Milliseconds of audio this response produced."""
        return self._output_audio_ms_all + self._output_audio_ms

    @property
    def done(self) -> bool:
        return self.status != "in_progress"

    def current_audio_item(self) -> tuple[str, int] | None:
        """(item id, content index) of the audio part being produced, for truncation."""
        item = self._open
        if item is not None and item.part == "audio":
            return item.stored.id, 0
        return None

    # -- the response object --------------------------------------------------
    def wire(self, details: dict[str, Any] | None = None, final: bool = False) -> dict[str, Any]:
        audio_out = self.config.get("audio", {}).get("output", {})
        return {
            "id": self.id,
            "object": "realtime.response",
            "status": self.status,
            "status_details": details,
            "output": [item.wire() for item in self.output] if final else [],
            "conversation_id": self.conversation.id if self.conversation else None,
            "output_modalities": self.config.get("output_modalities", ["audio"]),
            "max_output_tokens": self.config.get("max_output_tokens", "inf"),
            "audio": {
                "output": {"format": audio_out.get("format"), "voice": audio_out.get("voice")}
            },
            "usage": self._usage() if final else None,
            "metadata": self.config.get("metadata"),
        }

    def _usage(self) -> dict[str, Any]:
        audio_tokens = math.ceil(self.audio_ms_total / 50)
        output = self._output_text + audio_tokens
        return {
            "total_tokens": self._input_tokens + output,
            "input_tokens": self._input_tokens,
            "output_tokens": output,
            "input_token_details": {
                "text_tokens": self._input_tokens,
                "audio_tokens": 0,
                "cached_tokens": 0,
            },
            "output_token_details": {
                "text_tokens": self._output_text,
                "audio_tokens": audio_tokens,
            },
        }

    def start(self) -> None:
        self.emit(ev.response_created(response=self.wire()))

    # -- items ----------------------------------------------------------------
    def _open_item(self, data: dict[str, Any], kind: str) -> _OpenItem:
        stored = StoredItem(data, audio_format=self.out_format)
        item = _OpenItem(stored, len(self.output), kind)
        self.output.append(stored)
        self._open = item
        self.emit(
            ev.response_output_item_added(
                response_id=self.id, output_index=item.output_index, item=stored.wire()
            )
        )
        if self.conversation is not None:
            previous = self.conversation.insert(stored)
            self.emit(ev.conversation_item_added(previous_item_id=previous, item=stored.wire()))
        return item

    def _message(self, part: str) -> _OpenItem:
        item = self._open
        if item is not None and item.kind == "message" and item.part == part:
            return item
        if item is None or item.kind != "message" or item.part is not None:
            self._close_item()
            item = self._open_item(
                {
                    "id": self.ids.item(),
                    "object": "realtime.item",
                    "type": "message",
                    "status": "in_progress",
                    "role": "assistant",
                    "content": [],
                },
                "message",
            )
        item.part = part
        if part == "audio":
            content = {"type": "output_audio", "transcript": ""}
            wire_part: dict[str, Any] = {"type": "audio", "transcript": ""}
            item.stored.audio[0] = bytearray()
        else:
            content = {"type": "output_text", "text": ""}
            wire_part = {"type": "text", "text": ""}
        item.stored.data["content"].append(content)
        self.emit(
            ev.response_content_part_added(
                response_id=self.id,
                item_id=item.stored.id,
                output_index=item.output_index,
                content_index=0,
                part=wire_part,
            )
        )
        return item

    def _close_part(self, item: _OpenItem) -> None:
        if item.part is None:
            return
        ids: dict[str, Any] = {
            "response_id": self.id,
            "item_id": item.stored.id,
            "output_index": item.output_index,
            "content_index": 0,
        }
        content = item.stored.data["content"][0]
        if item.part == "audio":
            transcript = "".join(item.transcript)
            content["transcript"] = transcript
            self.emit(ev.response_output_audio_done(**ids))
            self.emit(ev.response_output_audio_transcript_done(transcript=transcript, **ids))
            part: dict[str, Any] = {"type": "audio", "transcript": transcript}
        else:
            text = "".join(item.text)
            content["text"] = text
            self.emit(ev.response_output_text_done(text=text, **ids))
            part = {"type": "text", "text": text}
        self.emit(ev.response_content_part_done(part=part, **ids))
        item.part = "closed"
        self._output_audio_ms_all += self._output_audio_ms
        self._output_audio_ms = 0

    def _close_item(self, status: str = "completed") -> None:
        item = self._open
        if item is None:
            return
        self._close_part(item)
        item.stored.data["status"] = status
        self.emit(
            ev.response_output_item_done(
                response_id=self.id, output_index=item.output_index, item=item.stored.wire()
            )
        )
        if self.conversation is not None:
            self.emit(ev.conversation_item_done(item=item.stored.wire()))
        self._open = None

    # -- back-end results -----------------------------------------------------
    def text(self, delta: str) -> None:
        """Text from the model: response text, or the audio's transcript in audio mode."""
        self._words(delta)

    def transcript(self, delta: str) -> None:
        """The audio's transcript, or response text when the response is text-only."""
        self._words(delta)

    def _words(self, delta: str) -> None:
        if self.done or not delta:
            return
        part = "audio" if self.audio_mode else "text"
        item = self._message(part)
        (item.transcript if part == "audio" else item.text).append(delta)
        self._output_text += _tokens(delta)
        make = (
            ev.response_output_audio_transcript_delta
            if part == "audio"
            else ev.response_output_text_delta
        )
        self.emit(
            make(
                response_id=self.id,
                item_id=item.stored.id,
                output_index=item.output_index,
                content_index=0,
                delta=delta,
            )
        )

    def audio(self, data: bytes, source: Samples | None = None) -> None:
        """Audio in the session's output format; dropped when the response is text-only.
        `source`: the same audio as the back-end made it, for a player that takes it."""
        if self.done or not data or not self.audio_mode:
            return
        item = self._message("audio")
        item.stored.add_audio(0, data, self._keep_bytes)
        self._output_audio_ms = item.stored.audio_ms(0)
        if self.play is not None:
            self.play(self.id, item.stored.id, 0, data, source)
            return
        self.emit(
            AudioDelta(
                response_id=self.id,
                item_id=item.stored.id,
                output_index=item.output_index,
                content_index=0,
                delta=b64encode_audio(data),
            )
        )

    def function_call(self, name: str, arguments: str, call_id: str | None = None) -> str:
        """A whole function call: item added, arguments delta and done, item done."""
        self._close_item()
        call_id = call_id or self.ids.call()
        item = self._open_item(
            {
                "id": self.ids.item(),
                "object": "realtime.item",
                "type": "function_call",
                "status": "in_progress",
                "call_id": call_id,
                "name": name,
                "arguments": "",
            },
            "function_call",
        )
        ids: dict[str, Any] = {
            "response_id": self.id,
            "item_id": item.stored.id,
            "output_index": item.output_index,
        }
        if arguments:
            self.emit(
                ev.response_function_call_arguments_delta(call_id=call_id, delta=arguments, **ids)
            )
        item.stored.data["arguments"] = arguments
        self._output_text += _tokens(arguments)
        self.emit(
            ev.response_function_call_arguments_done(
                call_id=call_id, name=name, arguments=arguments, **ids
            )
        )
        self._close_item()
        return call_id

    def add_item(self, data: dict[str, Any]) -> tuple[StoredItem, int]:
        """An output item of another kind (MCP): added now, closed by `close_item`;
        its stored form and output index."""
        self._close_item()
        item = self._open_item(data, str(data["type"]))
        return item.stored, item.output_index

    def close_item(self) -> None:
        """The item `add_item` opened is done (its data as it is now)."""
        self._close_item()

    def open_item_id(self) -> str | None:
        return self._open.stored.id if self._open is not None else None

    def finish(self, status: str = "completed", details: dict[str, Any] | None = None) -> None:
        """Close what is open and send response.done; idempotent."""
        if self.done:
            return
        self._close_item("completed" if status == "completed" else "incomplete")
        self.status = status
        self.emit(ev.response_done(response=self.wire(details, final=True)))
