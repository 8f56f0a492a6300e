"""A Live session over WebRTC, the client end: `POST <base>/live/sessions` with JSON
`{session, transport: {type: "webrtc", sdp}}` (creation starts the session), the
answer accepted; events then travel on the data channel, audio on the Opus track.

Closing asks the server to hang up (the application's API key may; an `ek_` key may
not, and then the peer connection's end tells the server) before ending our side.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx
from aiortc import RTCPeerConnection

from ...transports.webrtc.ice import IceConfig
from ...transports.webrtc.limits import Limits
from ...transports.webrtc.transport import WebRTCTransport

log = logging.getLogger("realtime_sdk.client")

HTTP_TIMEOUT_S = 30.0


class LiveWebRTCTransport(WebRTCTransport):
    """A Live session's peer connection, made over HTTP (`create`)."""

    def __init__(self, pc: RTCPeerConnection, limits: Limits | None = None) -> None:
        super().__init__(pc, limits)
        self.sessions_url = ""
        self.headers: dict[str, str] = {}
        self.session_id: str | None = None
        self._hung_up = False

    @classmethod
    async def create(
        cls,
        sessions_url: str,
        session: Mapping[str, Any],
        *,
        headers: Mapping[str, str] | None = None,
        ice: IceConfig | None = None,
    ) -> LiveWebRTCTransport:
        """Offer, post, accept; the input audio is heard at 24 kHz."""
        ice = ice or IceConfig()
        host = urlsplit(sessions_url).hostname
        self = await cls.offer(dataclasses.replace(ice, loopback=ice.for_peer(host)))
        self.sessions_url, self.headers = sessions_url, dict(headers or {})
        body = {"session": dict(session), "transport": {"type": "webrtc", "sdp": self.local_sdp}}
        try:
            async with httpx.AsyncClient(timeout=HTTP_TIMEOUT_S) as http:
                reply = await http.post(sessions_url, json=body, headers=self.headers)
            reply.raise_for_status()
            answer = reply.json()
            self.session_id = str(answer["session"]["id"])
            await self.accept(str(answer["transport"]["sdp"]))
        except BaseException:
            await self.close()
            raise
        self.hear_at(24000)
        return self

    async def close(self, code: int = 1000, reason: str = "") -> None:
        if not self._hung_up and self.session_id is not None:
            self._hung_up = True
            url = f"{self.sessions_url.rstrip('/')}/{self.session_id}/hangup"
            try:
                async with httpx.AsyncClient(timeout=5.0) as http:
                    await http.post(url, headers=self.headers)
            except httpx.HTTPError as exc:  # the session may be gone; ours ends anyway
                log.info("hangup of %s failed: %s", self.session_id, exc)
        await super().close(code, reason)
