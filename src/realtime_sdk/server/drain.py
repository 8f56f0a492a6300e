"""Draining for rolling deploys: on SIGTERM a process stops taking new sessions, lets
the open ones run up to a deadline, then closes them with a code and reason that say
so, and only then lets the server stop.

A load balancer learns of it from `/readyz` (503 while draining) and sends new sessions
elsewhere; what a session holds in the shared state ends as it always does (a call
leaves the directory when it ends), so nothing half-written is left there.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import signal
import threading
from collections.abc import Awaitable, Callable
from types import FrameType
from typing import Any

from .errors import ApiError

log = logging.getLogger("realtime_sdk.server")

CLOSE_GOING_AWAY = 1001
DRAIN_REASON = "server shutting down; connect again"

Closer = Callable[[], Awaitable[None]]


class Drain:
    """The open sessions of this process, and whether it still takes new ones."""

    def __init__(self) -> None:
        self.draining = False
        self._open: dict[int, Closer] = {}
        self._ids = itertools.count()
        self._empty = asyncio.Event()
        self._empty.set()

    def __len__(self) -> int:
        return len(self._open)

    def refusal(self) -> ApiError | None:
        """What a new session is told while draining (None: welcome)."""
        if not self.draining:
            return None
        return ApiError(
            503, "This server is shutting down; connect again.", code="server_shutting_down",
            type="server_error",
        )  # fmt: skip

    def open(self, close: Closer) -> Callable[[], None]:
        """Count a session in; `close` ends it at the deadline. Returns its release."""
        key = next(self._ids)
        self._open[key] = close
        self._empty.clear()

        def release() -> None:
            self._open.pop(key, None)
            if not self._open:
                self._empty.set()

        return release

    async def run(self, timeout_s: float) -> None:
        """Take no new sessions; wait for the open ones up to `timeout_s`, then close them."""
        self.draining = True
        log.info("draining: %d sessions open, up to %.0f s", len(self._open), timeout_s)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout_s):
                await self._empty.wait()
        if self._open:
            log.info("drain deadline: closing %d sessions (%d)", len(self._open), CLOSE_GOING_AWAY)
            closing = [close() for close in list(self._open.values())]
            await asyncio.gather(*closing, return_exceptions=True)
        log.info("drained")

    def on_sigterm(self, timeout_s: float) -> Callable[[], None]:
        """Drain on SIGTERM, then hand the signal to the handler it replaced (uvicorn's,
        which stops the server). Returns what puts that handler back. Signals reach only
        the main thread: an app served from another thread leaves SIGTERM alone."""
        if threading.current_thread() is not threading.main_thread():
            return lambda: None
        loop = asyncio.get_running_loop()
        previous = signal.getsignal(signal.SIGTERM)
        started: list[asyncio.Task[None]] = []

        async def drain_then_stop() -> None:
            await self.run(timeout_s)
            if callable(previous):
                previous(signal.SIGTERM, None)

        def handler(signum: int, frame: FrameType | None) -> None:
            if not started:
                started.append(loop.create_task(drain_then_stop()))

        def start_in_loop(signum: int, frame: FrameType | None) -> None:
            loop.call_soon_threadsafe(handler, signum, frame)

        signal.signal(signal.SIGTERM, start_in_loop)

        def restore() -> None:
            with contextlib.suppress(ValueError, TypeError):
                signal.signal(signal.SIGTERM, _handler_or_default(previous))

        return restore


def _handler_or_default(handler: Any) -> Any:
    return handler if handler is not None else signal.SIG_DFL
