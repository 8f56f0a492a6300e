"""The one transport interface, for the server's driver and the client alike.

Every transport carries JSON events, one per message: `recv()` gives the next one
(None once the peer has gone), `send()` sends one, `close()` ends it. A transport
that carries audio itself (WebRTC) is also an `AudioTransport`: it takes audio to play
(`send_audio`), says when a stream of it is complete (`finish_audio`), drops what is still
unplayed (`clear_audio`, which says how much was played), and hands out, from `recv()`,
the peer's audio (`InputFrame`) and what its player did (`PlaybackStarted`,
`PlaybackStopped`).

The implementations, side by side: `memory` (a pair in one process), `websocket` (the
server end), `websocket_client` (the client end, with reconnection), `asgi` (the client
end of an app's websocket route in this process) and `webrtc` (either end of a call).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from ..audio import Int16Array


@dataclass(frozen=True)
class AudioTag:
    """Whose audio this is: played audio is counted per tag, so a cut can be located."""

    response_id: str
    item_id: str
    content_index: int = 0


@dataclass(frozen=True)
class InputFrame:
    """Audio the peer sent (over RTP), as mono int16 at `rate`."""

    samples: Int16Array
    rate: int


@dataclass(frozen=True)
class PlaybackStarted:
    """The first audio of this response went out to the peer."""

    response_id: str


@dataclass(frozen=True)
class PlaybackStopped:
    """All of this response's audio went out; nothing of it is left to play."""

    response_id: str


@dataclass(frozen=True)
class Played:
    """What a clear cut: the tag that was playing (or next to play) and how much of it
    had gone out, in milliseconds from the start of that item's audio."""

    tag: AudioTag
    audio_end_ms: int


Inbound = str | bytes | InputFrame | PlaybackStarted | PlaybackStopped
"""What `recv()` may give: a text (or binary) message, peer audio, a player notice."""


class Transport(Protocol):
    """JSON events in and out, one per message; what the driver and the client take."""

    async def recv(self) -> Inbound | None:
        """The next message, peer audio or notice; None once the peer has gone."""
        ...

    async def send(self, text: str) -> None:
        """Send one JSON event; ConnectionError once closed."""
        ...

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """End it (a websocket close code and reason, where the transport has them)."""
        ...


@runtime_checkable
class AudioTransport(Protocol):
    """A transport that plays audio itself, paced by its own clock."""

    async def send_audio(self, samples: Int16Array, rate: int, tag: AudioTag | None) -> None:
        """Queue audio to play; waits only when far over the player's maximum."""
        ...

    async def room(self) -> None:
        """Wait until the player holds less than its maximum: a producer that calls this
        before making more audio is held back, and nothing else is."""
        ...

    def finish_audio(self, response_id: str) -> None:
        """No more audio will come for this response: report it stopped once drained."""
        ...

    def clear_audio(self) -> Played | None:
        """Drop every unplayed sample; None when nothing was playing or queued."""
        ...

    def hear_at(self, rate: int) -> None:
        """Hand on the peer's audio at `rate` from now on: the session's input rate, so
        that the decoder's output is converted once, not twice."""
        ...
