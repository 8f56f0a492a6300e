"""Which dialect a connection speaks, and the transport that translates a beta one.

The driver and the session speak GA only. A beta connection's transport is wrapped
in `BetaTransport`, which hands the driver GA client events and the client beta
server events (`protocol.beta` does the translation); a beta event refused at the
edge is answered here with an `error` and never reaches the session.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from starlette.websockets import WebSocket

from ..._generated._runtime import new_event_id
from ...audio import Int16Array
from ...transports.base import AudioTag, AudioTransport, Inbound, Played, Transport
from ..protocol.beta import BetaRefusal, BetaTranslator

log = logging.getLogger("realtime_sdk.server")

BETA_SUBPROTOCOL = "openai-beta.realtime-v1"


def websocket_dialect(websocket: WebSocket) -> str:
    """Beta for `OpenAI-Beta: realtime=v1` or the `openai-beta.realtime-v1` subprotocol."""
    beta_header = "realtime=v1" in websocket.headers.get("openai-beta", "")
    beta_protocol = BETA_SUBPROTOCOL in websocket.scope.get("subprotocols", [])
    return "beta" if beta_header or beta_protocol else "ga"


class BetaTransport:
    """A Transport that speaks beta to its peer and GA to the driver."""

    def __init__(self, inner: Transport, translator: BetaTranslator | None = None) -> None:
        self.inner = inner
        self.translator = translator or BetaTranslator()

    async def recv(self) -> Inbound | None:
        while True:
            frame = await self.inner.recv()
            if not isinstance(frame, str | bytes):
                return frame
            try:
                return self.translator.client_to_ga(frame)
            except BetaRefusal as refusal:
                log.info("beta event refused: %s", refusal.message)
                await self.inner.send(_json(refusal.event()))
            except Exception:  # a fault of ours: the event is dropped, the session goes on
                log.exception("beta translation failed")
                await self.inner.send(_json(_server_error("translating a beta event")))

    async def send(self, text: str) -> None:
        beta = self.translator.server_to_beta(text)
        if beta is not None:
            await self.inner.send(beta)

    async def close(self, code: int = 1000, reason: str = "") -> None:
        await self.inner.close(code, reason)


class BetaAudioTransport(BetaTransport):
    """A BetaTransport over a transport that plays audio itself (WebRTC): the audio
    side has no dialect and goes straight through."""

    def __init__(self, inner: Any, translator: BetaTranslator | None = None) -> None:
        super().__init__(inner, translator)
        self.audio: AudioTransport = inner

    async def send_audio(self, samples: Int16Array, rate: int, tag: AudioTag | None) -> None:
        await self.audio.send_audio(samples, rate, tag)

    async def room(self) -> None:
        await self.audio.room()

    def finish_audio(self, response_id: str) -> None:
        self.audio.finish_audio(response_id)

    def clear_audio(self) -> Played | None:
        return self.audio.clear_audio()

    def hear_at(self, rate: int) -> None:
        self.audio.hear_at(rate)


def for_dialect(transport: Any, dialect: str) -> Any:
    """`transport` as the driver should see it: itself for GA, translated for beta."""
    if dialect == "ga":
        return transport
    if isinstance(transport, AudioTransport):
        return BetaAudioTransport(transport)
    return BetaTransport(transport)


def _server_error(what: str) -> dict[str, Any]:
    message = f"The server failed while {what}; it was dropped. The session goes on."
    error = {"type": "server_error", "code": "server_error", "message": message}
    return {"type": "error", "event_id": new_event_id(), "error": {**error, "param": None}}


def _json(event: dict[str, Any]) -> str:
    return json.dumps(event, separators=(",", ":"))
