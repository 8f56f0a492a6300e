"""The typed client for code without an event loop: `realtime_sdk.sync.connect()`.

A thin layer: the async client runs on an event loop in a background thread, and
every call here waits for its coroutine there. So the behaviour (URL rules, lenient
parsing, state, reconnect, both transports) is the async client's own. Callbacks
registered with `on()` and tool functions run on that loop's thread.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Callable, Coroutine, Iterator
from contextlib import AbstractAsyncContextManager, contextmanager
from typing import Any, TypeVar

import numpy as np

from ._generated.ga import ClientResources
from .audio import Int16Array
from .client import ConnectionClosedError, RealtimeConnection, Reply
from .client import connect as async_connect
from .realtime.client.state import ConversationState

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

__all__ = ["ConnectionClosedError", "SyncConnection", "connect"]


class _LoopThread:
    """An event loop running in a daemon thread until stopped."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self.loop.run_forever, name="realtime-sdk-loop", daemon=True
        )
        self._thread.start()

    def run(self, work: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        future = asyncio.run_coroutine_threadsafe(work, self.loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise TimeoutError(f"no result within {timeout} s") from None
        except BaseException:
            future.cancel()  # e.g. KeyboardInterrupt in the waiting thread
            raise

    def stop(self) -> None:
        async def drain() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        self.run(drain())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()
        self.loop.close()


class SyncConnection(ClientResources):
    """Blocking counterparts of `RealtimeConnection`'s methods; `conn.session.update(...)`
    and the other resources come from the generated sync client stub."""

    def __init__(self, conn: RealtimeConnection, runner: _LoopThread) -> None:
        self.aio = conn  # the async connection underneath
        self._runner = runner

    def send(self, event: Any) -> None:
        self._runner.run(self.aio.send(event))

    def recv(self, timeout: float | None = None) -> Any:
        """The next server event; ConnectionClosedError once the connection has ended."""
        return self._runner.run(self.aio.recv(), timeout)

    def __iter__(self) -> Iterator[Any]:
        while True:
            try:
                yield self.recv()
            except ConnectionClosedError:
                return

    def wait_for(
        self, *types: str, timeout: float | None = None, where: Callable[[Any], bool] | None = None
    ) -> Any:
        return self._runner.run(self.aio.wait_for(*types, timeout=timeout, where=where))

    def on(self, event_type: str, callback: Callable[[Any], Any]) -> Callable[[Any], Any]:
        """Call `callback(event)` for each event of a type; it runs on the loop thread."""
        return self.aio.on(event_type, callback)

    def tool(self, function: F) -> F:
        """Register a function as a tool (a decorator); `update_tools()` sends them."""
        return self.aio.tool(function)

    def update_tools(self, **session: Any) -> None:
        self._runner.run(self.aio.update_tools(**session))

    def append_audio(self, audio: np.ndarray | bytes, rate: int | None = None) -> None:
        self._runner.run(self.aio.append_audio(audio, rate))

    def flush_audio(self) -> None:
        self._runner.run(self.aio.flush_audio())

    def audio_sent(self, timeout: float | None = None) -> None:
        self._runner.run(self.aio.audio_sent(), timeout)

    def reply(self, timeout: float | None = None) -> Reply:
        return self._runner.run(self.aio.reply(timeout))

    def response_audio(self, response_id: str) -> Int16Array:
        return self.aio.response_audio(response_id)

    @property
    def state(self) -> ConversationState:
        return self.aio.state

    @property
    def output_rate(self) -> int:
        return self.aio.output_rate

    def close(self) -> None:
        self._runner.run(self.aio.close())


@contextmanager
def connect(**kwargs: Any) -> Iterator[SyncConnection]:
    """`realtime_sdk.connect(**kwargs)`, blocking: the same arguments, a SyncConnection."""
    runner = _LoopThread()
    try:
        manager: AbstractAsyncContextManager[RealtimeConnection] = async_connect(**kwargs)
        conn = runner.run(manager.__aenter__())
        try:
            yield SyncConnection(conn, runner)
        except BaseException as exc:
            if not runner.run(manager.__aexit__(type(exc), exc, exc.__traceback__)):
                raise
        else:
            runner.run(manager.__aexit__(None, None, None))
    finally:
        runner.stop()
