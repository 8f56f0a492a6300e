"""What the Live session asks its driver to do; plain data, acted on in order."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from ...audio import AudioFormat

ContextKind = Literal["instructions", "thinking", "commentary"]


@dataclass(frozen=True)
class Send:
    """A server event for the client."""

    event: dict[str, Any]

    def text(self) -> str:
        return json.dumps(self.event, separators=(",", ":"))


@dataclass(frozen=True)
class Start:
    """`session.started` has gone out: start the back-end with this session."""

    session: dict[str, Any]


@dataclass(frozen=True)
class Hear:
    """Input audio for the back-end: PCM16 in `fmt` (silence while muted, so a back-end
    that keeps time by its input keeps it)."""

    pcm: bytes
    fmt: AudioFormat


@dataclass(frozen=True)
class Context:
    """Text the client added to the model's context, for the back-end to use."""

    kind: ContextKind
    content: str
    delegation_id: str | None


@dataclass(frozen=True)
class Reconfigure:
    """`session.update` changed the session (delegation); the back-end follows."""

    session: dict[str, Any]


@dataclass(frozen=True)
class ResponseItem:
    """`response.item.create` under `responses` delegation: an item for its model."""

    item: dict[str, Any]


@dataclass(frozen=True)
class RunResponse:
    """`response.create` under `responses` delegation: ask its model again."""


@dataclass(frozen=True)
class Drain:
    """`session.close`: stop input, play what is queued, then call `finished`."""


@dataclass(frozen=True)
class Hangup:
    """`session.closed` has gone out: close the connection."""


Output = Send | Start | Hear | Context | Reconfigure | ResponseItem | RunResponse | Drain | Hangup
