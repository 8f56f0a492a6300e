"""What ended sessions leave in reference cycles, collected soon after they end.

`realtime-sdk serve` freezes the heap it loaded (`gc.freeze()`) so that full collections do
not walk it. CPython starts a full collection only once the objects promoted to its oldest
generation since the last one number a quarter of what that one kept, and the last one,
just before the freeze, kept the whole loaded heap (58 000 objects for the echo server,
180 000 with fastrtc). A server can then go a long while without one, and what an ended
session left in a reference cycle waits with it. Our own cycles are broken where a session
ends (the driver drops the responses under way, which refer back to their session: websocket
clients dropped mid-response cost 6 MiB of RSS per 100, round after round, before it did), so
a websocket session needs no collection. A WebRTC call still leaves cycles of other libraries':
aioice's connection and its candidate pairs, pyOpenSSL's verify callback (a few kB per call).

`collect_soon()` is called where a call ends. It runs one full collection
`DELAY_S` later, so that a wave of ends costs one pass and steady churn one pass per `DELAY_S`
at most. A pass walks the unfrozen heap only, and holds the loop while it does: 5-10 ms on an
idle echo server that has made WebRTC calls, 30-50 ms with 100 websocket sessions and 8 calls
live (measured here, 2 cores).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time

log = logging.getLogger("realtime_sdk.server")

DELAY_S = 2.0

_due: asyncio.TimerHandle | None = None
_due_loop: asyncio.AbstractEventLoop | None = None


def collect_soon(delay: float = DELAY_S) -> None:
    """A full collection `delay` s from now on the running loop, unless one is due already
    (outside a loop, or with the collector disabled, nothing)."""
    global _due, _due_loop
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return
    if not gc.isenabled():
        return
    if _due is not None and _due_loop is loop and not _due.cancelled() and not loop.is_closed():
        return
    _due_loop, _due = loop, loop.call_later(delay, _collect)


def _collect() -> None:
    global _due, _due_loop
    _due = _due_loop = None
    started = time.perf_counter()
    found = gc.collect()
    log.debug(
        "collected %d unreachable objects in %.1f ms", found, (time.perf_counter() - started) * 1e3
    )
