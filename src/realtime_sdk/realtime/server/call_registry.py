"""The live WebRTC calls of one app, by their `rtc_` id: so that a call can be hung up,
and a sideband socket (`/v1/realtime?call_id=`) can attach to it."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ...transports.reclaim import collect_soon
from ...transports.webrtc.ice import IceConfig
from ..protocol.session import Session
from .driver import SessionDriver

if TYPE_CHECKING:  # the WebRTC stack (aiortc, PyAV) loads with the first call
    from ...transports.webrtc import Limits, WebRTCTransport

log = logging.getLogger("realtime_sdk.server")


@dataclass
class Call:
    id: str
    transport: WebRTCTransport
    session: Session
    task: asyncio.Task[None] | None = field(default=None, repr=False)


class CallRegistry:
    """The live calls of one app, by id. `ice` and `limits` apply to every new call."""

    def __init__(
        self, ice: IceConfig | None = None, limits: Limits | None = None, max_calls: int = 1000
    ) -> None:
        self.ice = ice or IceConfig()
        self.limits = limits  # None: the transport's defaults
        self.max_calls = max_calls
        self._calls: dict[str, Call] = {}

    def __len__(self) -> int:
        return len(self._calls)

    def get(self, call_id: str) -> Call | None:
        return self._calls.get(call_id)

    def start(self, call: Call, driver: SessionDriver) -> None:
        """Run the call until either side ends it; it leaves the registry then."""
        self._calls[call.id] = call
        call.task = asyncio.create_task(self._run(call, driver), name=f"call-{call.id}")

    async def _run(self, call: Call, driver: SessionDriver) -> None:
        try:
            await driver.run()
        finally:
            await call.transport.close()
            self._calls.pop(call.id, None)
            collect_soon()  # what the call left in reference cycles (transports/reclaim.py)
            log.info("call %s ended (session %s)", call.id, call.session.config["id"])

    async def hangup(self, call_id: str) -> bool:
        """End the call and wait for its clean-up; False if there is no such call."""
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
