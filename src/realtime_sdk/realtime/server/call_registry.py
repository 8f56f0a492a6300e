"""The live WebRTC calls of one app, by their `rtc_` id: so that a call can be hung up,
and a sideband socket (`/v1/realtime?call_id=`) can attach to it, from this process or
(through the shared state's call directory) from any other of the service."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ...server.state.base import (
    CLOSE_LAGGING,
    CLOSE_NORMAL,
    CallDirectory,
    CallLink,
    LinkEnd,
    StateUnavailable,
)
from ...server.state.memory import MemoryCalls
from ...transports.reclaim import collect_soon
from ...transports.webrtc.ice import IceConfig
from ..protocol.session import Session
from .driver import SessionDriver

if TYPE_CHECKING:  # the WebRTC stack (aiortc, PyAV) loads with the first call
    from ...transports.webrtc import Limits, WebRTCTransport
    from ...transports.webrtc.sideband import Listener

log = logging.getLogger("realtime_sdk.server")


@dataclass
class Call:
    id: str
    transport: WebRTCTransport
    session: Session
    task: asyncio.Task[None] | None = field(default=None, repr=False)


class CallRegistry:
    """The live calls of one app, by id. `ice` and `limits` apply to every new call;
    `directory` makes them reachable from the service's other processes."""

    def __init__(
        self,
        ice: IceConfig | None = None,
        limits: Limits | None = None,
        max_calls: int = 1000,
        directory: CallDirectory | None = None,
    ) -> None:
        self.ice = ice or IceConfig()
        self.limits = limits  # None: the transport's defaults
        self.max_calls = max_calls
        self.directory = directory if directory is not None else MemoryCalls()
        self._calls: dict[str, Call] = {}

    def __len__(self) -> int:
        return len(self._calls)

    def get(self, call_id: str) -> Call | None:
        return self._calls.get(call_id)

    async def start(self, call: Call, driver: SessionDriver) -> None:
        """Run the call until either side ends it; it leaves the registry then."""
        self._calls[call.id] = call
        call.task = asyncio.create_task(self._run(call, driver), name=f"call-{call.id}")
        try:
            await self.directory.add(call.id, _HeldCall(call, self))
        except StateUnavailable as exc:  # the call runs; other processes find it later
            log.warning("call %s not yet shared with other processes: %s", call.id, exc)

    async def _run(self, call: Call, driver: SessionDriver) -> None:
        try:
            await driver.run()
        finally:
            await call.transport.close()
            self._calls.pop(call.id, None)
            with contextlib.suppress(StateUnavailable):
                await self.directory.remove(call.id)  # else its entry's TTL ends it
            collect_soon()  # what the call left in reference cycles (transports/reclaim.py)
            log.info("call %s ended (session %s)", call.id, call.session.config["id"])

    async def hangup(self, call_id: str) -> bool:
        """End this process's call and wait for its clean-up; False if there is none."""
        call = self._calls.get(call_id)
        if call is None:
            return False
        await call.transport.close(reason="hangup")
        if call.task is not None:
            await asyncio.gather(call.task, return_exceptions=True)
        return True

    async def close(self) -> None:
        """Hang up every call (at shutdown)."""
        await asyncio.gather(*(self.hangup(i) for i in list(self._calls)))


class _HeldCall:
    """A call of this process, as the call directory reaches it."""

    def __init__(self, call: Call, registry: CallRegistry) -> None:
        self.call = call
        self.registry = registry

    def link(self) -> CallLink:
        return _ListenerLink(self.call)

    async def hangup(self) -> None:
        await self.registry.hangup(self.call.id)


class _ListenerLink:
    """A sideband's link to a call of this process: a copy of the call's events, and
    client frames injected as if sent on its data channel."""

    def __init__(self, call: Call) -> None:
        self.call = call
        self.listener: Listener = call.transport.listen()
        self._end: LinkEnd | None = None

    async def next(self) -> str | None:
        text = await self.listener.next()
        if text is None and self._end is None:
            lagging = self.call.transport.connected
            reason = "sideband fell behind" if lagging else "call ended"
            self._end = LinkEnd(CLOSE_LAGGING if lagging else CLOSE_NORMAL, reason)
        return text

    async def send(self, frame: str | bytes) -> None:
        await self.call.transport.inject(frame)

    async def close(self) -> None:
        self.call.transport.unlisten(self.listener)

    @property
    def end(self) -> LinkEnd:
        return self._end or LinkEnd(CLOSE_NORMAL, "detached")
