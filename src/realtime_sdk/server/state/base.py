"""What crosses processes, as interfaces: issued keys, the live calls and links to them.

A session lives in one process; what a client may bring to another process is an `ek_`
key minted here, or a call's id (a sideband socket, a hangup). `SharedState` holds
those for every protocol (the Realtime API, translation, Live) so that any process of
one service can honour them. `MemoryState` is the one-process implementation,
`RedisState` the one for many processes and machines. Nothing on the audio path uses
it: only minting and checking keys, starting and ending calls, attaching and hanging up.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

CLOSE_NORMAL = 1000
CLOSE_LAGGING = 1011  # also: the relay to the call's process was lost


class StateUnavailable(Exception):
    """The shared store cannot be reached (Redis down): refuse what needs it, clearly."""


class StateFull(Exception):
    """A bounded in-memory store has no room left."""


@dataclass(frozen=True)
class LinkEnd:
    """Why a link to a call ended: the close code and reason its socket gets."""

    code: int
    reason: str


class CallLink(Protocol):
    """A socket's view of a live call, local or in another process: the call's events
    in order, and client frames into it in order."""

    async def next(self) -> str | None:
        """The call's next event; None once the link ended (then `end` says why)."""
        ...

    async def send(self, frame: str | bytes) -> None:
        """A client frame into the call, as if sent on its own channel."""
        ...

    async def close(self) -> None:
        """Detach; the call goes on."""
        ...

    @property
    def end(self) -> LinkEnd: ...


class LocalCall(Protocol):
    """What a protocol's live call offers to the directory (and through it, to sockets
    and hangups arriving at any process)."""

    def link(self) -> CallLink: ...

    async def hangup(self) -> None:
        """End the call and wait for its clean-up."""
        ...


class KeyRecords(Protocol):
    """Issued `ek_` keys by digest (no secret is stored), each a JSON record kept until
    `expires_at` (unix seconds)."""

    async def put(self, digest: str, record: str, expires_at: int) -> None: ...

    async def get(self, digest: str) -> str | None: ...


class CallDirectory(Protocol):
    """The live calls of the whole service, by id, and the way to reach each one."""

    async def add(self, call_id: str, call: LocalCall) -> None:
        """A call this process holds, reachable from every process until `remove`."""
        ...

    async def remove(self, call_id: str) -> None: ...

    async def attach(self, call_id: str) -> CallLink | None:
        """A link to the call wherever it runs; None when no process holds it."""
        ...

    async def hangup(self, call_id: str) -> bool:
        """End the call wherever it runs; False when no process holds it."""
        ...

    def local_count(self) -> int:
        """Calls held by this process."""
        ...


class SharedState(Protocol):
    """Keys and calls shared by every process of one service."""

    @property
    def keys(self) -> KeyRecords: ...

    @property
    def calls(self) -> CallDirectory: ...

    async def start(self) -> None:
        """Connect and listen (idempotent; the first use starts it too)."""
        ...

    async def close(self) -> None: ...

    async def reachable(self) -> bool:
        """Whether the store answers now (what `/readyz` reports)."""
        ...
