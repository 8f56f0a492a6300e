"""The default conversation: an ordered list of items, with the audio behind them.

Items are kept in their GA wire form (dicts) so they can be sent, retrieved and
handed to back-ends as they are; audio is kept as raw bytes in the format it came
in, and put into the item (base64) only when an item is retrieved.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from ...audio import AudioFormat, b64encode_audio


class ItemError(ValueError):
    """A conversation operation the protocol refuses."""

    def __init__(self, code: str, message: str, param: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.param = param


# of one turn's input audio and of one response audio part: kept for retrieval and
# transcription; audio past it is counted (lengths and truncation stay exact), not stored
MAX_KEPT_AUDIO_MS = 60_000


def extend_kept(audio: bytearray, data: bytes, keep_bytes: int) -> int:
    """Add `data` to `audio` up to `keep_bytes` in all; how many bytes were not kept."""
    room = keep_bytes - len(audio)
    if len(data) <= room:
        audio.extend(data)  # the usual case: no slice, no copy
        return 0
    audio.extend(data[: max(0, room)])
    return len(data) - max(0, room)


@dataclass
class StoredItem:
    data: dict[str, Any]
    audio: dict[int, bytearray] = field(default_factory=dict)
    audio_format: AudioFormat | None = None
    # bytes of audio a part had beyond what is kept (see `add_audio`)
    unkept: dict[int, int] = field(default_factory=dict)
    # content parts whose input transcription has been settled (completed or failed once)
    transcribed: set[int] = field(default_factory=set)

    @property
    def id(self) -> str:
        return str(self.data["id"])

    def audio_ms(self, content_index: int) -> int:
        audio = self.audio.get(content_index)
        if audio is None or self.audio_format is None:
            return 0
        return self.audio_format.duration_ms(len(audio) + self.unkept.get(content_index, 0))

    def add_audio(self, content_index: int, data: bytes, keep_bytes: int) -> None:
        """Audio for a part, of which the first `keep_bytes` are kept: a stream that never
        ends (a FastRTC handler answering continuously) must not grow without bound.
        The part's length counts all of it."""
        unkept = extend_kept(self.audio.setdefault(content_index, bytearray()), data, keep_bytes)
        if unkept:
            self.unkept[content_index] = self.unkept.get(content_index, 0) + unkept

    def wire(self, with_audio: bool = False) -> dict[str, Any]:
        """The item as events carry it; retrieve adds the audio itself."""
        data = copy.deepcopy(self.data)
        if with_audio:
            for index, audio in self.audio.items():
                data["content"][index]["audio"] = b64encode_audio(bytes(audio))
        return data


class Conversation:
    def __init__(self, conversation_id: str) -> None:
        self.id = conversation_id
        self._order: list[str] = []
        self._items: dict[str, StoredItem] = {}

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._items

    def __len__(self) -> int:
        return len(self._order)

    def last_id(self) -> str | None:
        return self._order[-1] if self._order else None

    def get(self, item_id: str, param: str = "item_id") -> StoredItem:
        try:
            return self._items[item_id]
        except KeyError:
            raise ItemError(
                "invalid_value", f"Item with item_id '{item_id}' not found.", param
            ) from None

    def insert(self, item: StoredItem, previous_item_id: str | None = None) -> str | None:
        """Add an item after `previous_item_id` (None: at the end; "root": first).

        Returns the id of the item now before it, as `conversation.item.added` says.
        """
        if item.id in self._items:
            raise ItemError("invalid_value", f"Item with id '{item.id}' already exists.", "item.id")
        if previous_item_id is None:
            before = self.last_id()
            self._order.append(item.id)
        elif previous_item_id == "root":
            before = None
            self._order.insert(0, item.id)
        else:
            if previous_item_id not in self._items:
                raise ItemError(
                    "invalid_value",
                    f"Previous item with item_id '{previous_item_id}' not found.",
                    "previous_item_id",
                )
            before = previous_item_id
            self._order.insert(self._order.index(previous_item_id) + 1, item.id)
        self._items[item.id] = item
        return before

    def delete(self, item_id: str) -> None:
        self.get(item_id)
        self._order.remove(item_id)
        del self._items[item_id]

    def truncate(self, item_id: str, content_index: int, audio_end_ms: int) -> None:
        """Cut an assistant audio part at what the user heard; drop its transcript."""
        item = self.get(item_id)
        content = item.data.get("content") or []
        part = content[content_index] if 0 <= content_index < len(content) else None
        if (
            item.data.get("role") != "assistant"
            or part is None
            or part.get("type") != "output_audio"
            or content_index not in item.audio
            or item.audio_format is None
        ):
            raise ItemError(
                "unsupported_content_type",
                "Only model output audio messages can be truncated.",
                "item_id",
            )
        have = item.audio_ms(content_index)
        if audio_end_ms > have:
            raise ItemError(
                "invalid_value",
                f"Audio content of {have}ms is already shorter than {audio_end_ms}ms.",
                "audio_end_ms",
            )
        keep = item.audio_format.bytes_for_ms(audio_end_ms)
        kept = item.audio[content_index]
        item.unkept[content_index] = max(0, keep - len(kept))
        del kept[keep:]
        part["transcript"] = ""

    def items(self) -> list[StoredItem]:
        return [self._items[i] for i in self._order]

    def snapshot(self) -> list[dict[str, Any]]:
        """The conversation as a back-end sees it (no audio bytes)."""
        return [self._items[i].wire() for i in self._order]
