"""A client's item (`conversation.item.create`, a `response.create` input) as the session
stores it: ids and status filled in, its audio checked and kept as bytes."""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from typing import Any

from ...audio import AudioFormat, decode_wire_audio
from .conversation import ItemError, StoredItem
from .ids import Ids


def client_item(data: dict[str, Any], param: str, fmt: AudioFormat, ids: Ids) -> StoredItem:
    """`data` (the item as the client sent it) as stored. Audio that is not strict base64
    of whole samples of `fmt` is refused now, naming `<param>.content[i].audio` (ItemError),
    rather than failing later inside a reply."""
    data = copy.deepcopy(data)
    data.setdefault("id", ids.item())
    data["object"] = "realtime.item"
    data["status"] = "completed"
    stored = StoredItem(data)
    for index, part in enumerate(data.get("content") or []):
        if part.get("type") == "input_audio" and part.get("audio"):
            try:
                audio = decode_wire_audio(part.pop("audio"), fmt)
            except ValueError as exc:
                where = f"{param}.content[{index}].audio"
                raise ItemError("invalid_value", f"Invalid '{where}': {exc}.", where) from None
            stored.audio[index] = bytearray(audio)
            stored.audio_format = fmt
            part.setdefault("transcript", None)
    return stored


def image_part(data: Mapping[str, Any]) -> int | None:
    """The index of an item's first `input_image` part, for a back-end that takes none."""
    for index, part in enumerate(data.get("content") or []):
        if part.get("type") == "input_image":
            return index
    return None


def user_audio_turn(item_id: str, audio: bytearray, unkept: int, fmt: AudioFormat) -> StoredItem:
    """The user item a committed input buffer becomes; `audio` is taken, not copied."""
    return StoredItem(
        {
            "id": item_id,
            "object": "realtime.item",
            "type": "message",
            "status": "completed",
            "role": "user",
            "content": [{"type": "input_audio", "transcript": None}],
        },
        audio={0: audio},
        audio_format=fmt,
        unkept={0: unkept} if unkept else {},
    )


class KeptAudio(Mapping[str, bytes]):
    """The user audio of a response's items, by item id, copied only when a back-end reads
    it: a response used to copy all of the conversation's user audio, and back-ends read one
    item's at most. The bytearrays are the conversation's; user audio is never changed
    once committed (only assistant audio is truncated)."""

    def __init__(self, audio: dict[str, bytearray]) -> None:
        self._audio = audio

    def __getitem__(self, item_id: str) -> bytes:
        return bytes(self._audio[item_id])

    def __iter__(self) -> Iterator[str]:
        return iter(self._audio)

    def __len__(self) -> int:
        return len(self._audio)
