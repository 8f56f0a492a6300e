"""Shared state for one process: keys and calls in this process's memory, no dependency.

What `serve` uses without `--workers` or `--redis`; a restart forgets every key.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from .base import CallDirectory, CallLink, KeyRecords, LocalCall, StateFull

_PURGE_EVERY_S = 60


class MemoryKeys(KeyRecords):
    """Key records in a dict, bounded: expired records are purged to make room."""

    def __init__(self, clock: Callable[[], float] = time.time, max_keys: int = 100_000) -> None:
        self.clock = clock
        self.max_keys = max_keys
        self._records: dict[str, tuple[str, int]] = {}
        self._purged_at = 0.0

    async def put(self, digest: str, record: str, expires_at: int) -> None:
        self._purge()
        if len(self._records) >= self.max_keys:
            raise StateFull(f"{self.max_keys} live keys")
        self._records[digest] = (record, expires_at)

    async def get(self, digest: str) -> str | None:
        found = self._records.get(digest)
        return None if found is None else found[0]

    def _purge(self) -> None:
        now = self.clock()
        if now - self._purged_at < _PURGE_EVERY_S and len(self._records) < self.max_keys:
            return
        self._purged_at = now
        self._records = {d: r for d, r in self._records.items() if r[1] > now}


class MemoryCalls(CallDirectory):
    """The calls of this process: every call is local."""

    def __init__(self) -> None:
        self._calls: dict[str, LocalCall] = {}

    async def add(self, call_id: str, call: LocalCall) -> None:
        self._calls[call_id] = call

    async def remove(self, call_id: str) -> None:
        self._calls.pop(call_id, None)

    async def attach(self, call_id: str) -> CallLink | None:
        call = self._calls.get(call_id)
        return None if call is None else call.link()

    async def hangup(self, call_id: str) -> bool:
        call = self._calls.get(call_id)
        if call is None:
            return False
        await call.hangup()
        return True

    def local_count(self) -> int:
        return len(self._calls)

    def local(self, call_id: str) -> LocalCall | None:
        return self._calls.get(call_id)

    def local_ids(self) -> list[str]:
        return list(self._calls)


class MemoryState:
    """Keys and calls of one process."""

    def __init__(self, keys: MemoryKeys | None = None) -> None:
        self._keys = keys or MemoryKeys()
        self._calls = MemoryCalls()

    @property
    def keys(self) -> MemoryKeys:
        return self._keys

    @property
    def calls(self) -> MemoryCalls:
        return self._calls

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def reachable(self) -> bool:
        return True
