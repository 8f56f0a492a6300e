"""The client end of a WebRTC call: the offer posted over HTTP, the call hung up on close.

`WebRTCClientTransport.dial` makes an offer (one sendrecv audio track and the `oai-events`
data channel), POSTs it to `<base>/realtime/calls` (raw SDP, or multipart with a
`session`), accepts the answer and keeps the call id from `Location`. It is then the
call's Transport and AudioTransport, as `WebRTCTransport` is; `close()` hangs the call up
first, so that the server ends its session.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx
from aiortc import RTCPeerConnection

from .ice import IceConfig
from .limits import Limits
from .transport import WebRTCTransport

log = logging.getLogger("realtime_sdk.client")

_HTTP_TIMEOUT_S = 30.0
_HANGUP_TIMEOUT_S = 5.0


class WebRTCClientTransport(WebRTCTransport):
    """A call made over HTTP (`dial`); closing it hangs the call up."""

    def __init__(self, pc: RTCPeerConnection, limits: Limits | None = None) -> None:
        super().__init__(pc, limits)
        self.calls_url = ""
        self.headers: dict[str, str] = {}
        self.verify: Any = True
        self.call_id: str | None = None  # from the answer's `Location`
        self._hung_up = False

    @classmethod
    async def dial(
        cls,
        calls_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        session: Mapping[str, Any] | None = None,
        ice: IceConfig | None = None,
        verify: Any = True,
        limits: Limits | None = None,
    ) -> WebRTCClientTransport:
        """Offer, post, accept: the media then connects on its own (ICE, DTLS)."""
        ice = ice or IceConfig()
        host = urlsplit(calls_url).hostname
        self = await cls.offer(dataclasses.replace(ice, loopback=ice.for_peer(host)), limits=limits)
        self.calls_url, self.headers, self.verify = calls_url, dict(headers or {}), verify
        try:
            async with httpx.AsyncClient(verify=verify, timeout=_HTTP_TIMEOUT_S) as http:
                if session is None:
                    sdp_headers = {**self.headers, "Content-Type": "application/sdp"}
                    reply = await http.post(calls_url, content=self.local_sdp, headers=sdp_headers)
                else:
                    files = {
                        "sdp": (None, self.local_sdp, "application/sdp"),
                        "session": (None, json.dumps(dict(session)), "application/json"),
                    }
                    reply = await http.post(calls_url, files=files, headers=self.headers)
            reply.raise_for_status()
            self.call_id = reply.headers.get("location", "").rstrip("/").rsplit("/", 1)[-1] or None
            await self.accept(reply.text)
        except BaseException:
            await self.close()  # a call made with an answer we could not use is hung up
            raise
        return self

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Hang the call up (the server ends its session), then end our side."""
        if not self._hung_up:
            self._hung_up = True
            await self._hangup()
        await super().close(code, reason)

    async def _hangup(self) -> None:
        if self.call_id is None:
            return
        try:
            async with httpx.AsyncClient(verify=self.verify, timeout=_HANGUP_TIMEOUT_S) as http:
                await http.post(self._hangup_url(), headers=self.headers)
        except httpx.HTTPError as exc:  # the call may be gone already; ours ends anyway
            log.info("hangup of %s failed: %s", self.call_id, exc)

    def _hangup_url(self) -> str:
        parts = urlsplit(self.calls_url)
        path = parts.path.rstrip("/") + f"/{self.call_id}/hangup"
        return parts._replace(path=path, query="", fragment="").geturl()
