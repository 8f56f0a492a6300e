"""Keys and calls shared by the processes of one service: in memory for one process,
Redis (or Valkey) for several; every protocol's server side uses them through
`SharedState`. `RedisState` (the `redis` extra) loads only when asked for."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..._lazy import lazy_names

if TYPE_CHECKING:
    from .base import (
        CallDirectory,
        CallLink,
        KeyRecords,
        LinkEnd,
        LocalCall,
        SharedState,
        StateFull,
        StateUnavailable,
    )
    from .memory import MemoryState

_HOMES = {
    "CallDirectory": "base",
    "CallLink": "base",
    "KeyRecords": "base",
    "LinkEnd": "base",
    "LocalCall": "base",
    "MemoryState": "memory",
    "SharedState": "base",
    "StateFull": "base",
    "StateUnavailable": "base",
}
__all__ = [
    "CallDirectory",
    "CallLink",
    "KeyRecords",
    "LinkEnd",
    "LocalCall",
    "MemoryState",
    "SharedState",
    "StateFull",
    "StateUnavailable",
]

__getattr__, __dir__ = lazy_names(__name__, _HOMES)
