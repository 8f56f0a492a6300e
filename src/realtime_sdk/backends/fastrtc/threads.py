"""`SerialThread`: where a sync handler's calls run, one thread per kind of call, in order."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["SerialThread"]

log = logging.getLogger("realtime_sdk.fastrtc")
T = TypeVar("T")


class SerialThread:
    """One daemon thread running calls in the order given; results come back as futures.

    Not `run_in_executor`: a handler's frames must arrive in order, stop() must know each
    thread has ended (a pool keeps idle threads alive), and a handler stuck forever must not hold
    up interpreter exit (daemon).
    """

    def __init__(self, name: str, initializer: Callable[[], None] | None = None) -> None:
        self.name = name
        self._initializer = initializer
        self._calls: queue.SimpleQueue[tuple[Callable[[], Any], asyncio.Future[Any]] | None]
        self._calls = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._exited: asyncio.Future[None] | None = None
        self._closed = False

    def call(self, fn: Callable[[], T]) -> asyncio.Future[T]:
        """Run ``fn()`` on the thread after everything queued before it."""
        if self._closed:
            raise RuntimeError(f"{self.name} is closed")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        if self._thread is None:
            self._loop, self._exited = loop, loop.create_future()
            self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
            self._thread.start()
        self._calls.put((fn, future))
        return future

    def _run(self) -> None:
        assert self._loop is not None and self._exited is not None
        if self._initializer is not None:
            try:
                self._initializer()
            except Exception:
                log.exception("%s: initializer failed", self.name)
        while (call := self._calls.get()) is not None:
            fn, future = call
            try:
                result, error = fn(), None
            except Exception as exc:
                result, error = None, exc
            if isinstance(error, StopIteration):  # a future cannot hold one
                error = RuntimeError("StopIteration escaped a call")
            self._settle(future, result, error)
        self._settle(self._exited, None, None)

    def _settle(self, future: asyncio.Future[Any], result: Any, error: Exception | None) -> None:
        def settle() -> None:
            if future.done():
                return
            if error is None:
                future.set_result(result)
            else:
                future.set_exception(error)

        assert self._loop is not None
        with contextlib.suppress(RuntimeError):  # loop closed: nobody waits any more
            self._loop.call_soon_threadsafe(settle)

    async def close(self, timeout: float) -> bool:
        """Finish what is queued, then end the thread; False if still busy after ``timeout``."""
        self._closed = True
        if self._thread is None or self._exited is None:
            return True
        self._calls.put(None)
        done, _ = await asyncio.wait({self._exited}, timeout=max(timeout, 0.0))
        if not done:
            log.warning(
                "%s still busy after %.1f s; leaving it (daemon thread)", self.name, timeout
            )
            return False
        self._thread.join(timeout=1.0)
        return True
