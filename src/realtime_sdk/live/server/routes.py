"""The Live routes, for the app to mount beside the Realtime and translation ones
(WebRTC creation, attach and hangup: `calls`).

`GET /v1/live/sessions` (websocket) runs one session per connection: the sans-I/O
`LiveSession`, a back-end made by the server's factory once `session.start` arrives
(a FastRTC handler as it is; a native back-end with the server taking its turns,
`turns.ResponderTurns`), and the driver between them and the socket. Auth, draining
and frame limits are the Realtime routes' own. An `ek_` key from
`/v1/realtime/client_secrets` opens a session too; the Realtime session it carries
has no Live meaning and is not applied.

Routes of the Live API this server does not offer (SIP accept, reject and refer,
recordings, forks) answer 400 `unsupported_feature` naming the route: a client gets a
reason, not a 404 it would take for a wrong base URL.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocket

from ...backends.base import TurnTakingBackend
from ...server.auth import AuthError, authorize_http, authorize_ws, refuse_ws
from ...server.config import ServerConfig
from ...server.drain import CLOSE_GOING_AWAY, DRAIN_REASON
from ...server.errors import ApiError
from ...server.http import accept
from ...transports.websocket import WebSocketTransport
from ..protocol import LiveSession
from .calls import LIVE_KEYS, webrtc_routes
from .driver import LiveDriver
from .turns import ResponderTurns

log = logging.getLogger("realtime_sdk.live")

NOT_OFFERED = {
    "accept": "Answering SIP calls (POST /v1/live/sessions/{id}/accept)",
    "reject": "Rejecting SIP calls (POST /v1/live/sessions/{id}/reject)",
    "refer": "Transferring SIP calls (POST /v1/live/sessions/{id}/refer)",
    "content": "Session recordings (GET /v1/live/sessions/{id}/content)",
    "fork": "Forking stored sessions (/v1/live/sessions/{id}/fork)",
}


def not_offered(what: str) -> ApiError:
    return ApiError(
        400, f"{NOT_OFFERED[what]} is not offered by this server.", code="unsupported_feature"
    )


def live_backend(config: ServerConfig) -> TurnTakingBackend:
    """The server's back-end for one Live session: a turn-taking one as it is, a native
    one with the server's VAD taking its turns."""
    backend = config.backend_factory()
    if isinstance(backend, TurnTakingBackend):
        return backend
    from ...vad import SileroSpeechModel

    return ResponderTurns(backend, SileroSpeechModel)


def live_routes(config: ServerConfig) -> list[BaseRoute]:
    """The Live websocket, and the Live routes this server refuses by name."""

    async def live(websocket: WebSocket) -> None:
        try:
            grant = await authorize_ws(websocket, kinds=LIVE_KEYS)
        except AuthError as exc:
            await refuse_ws(websocket, exc)
            return
        refusal = config.drain.refusal()
        if refusal is not None:
            await refuse_ws(websocket, refusal)
            return
        await accept(websocket)
        session = LiveSession(now_s=int(time.time()))
        log.info("live session %s opened: auth=%s", session.id, grant.kind)
        transport = WebSocketTransport(websocket, config.max_frame_bytes)
        release = config.drain.open(lambda: transport.close(CLOSE_GOING_AWAY, DRAIN_REASON))
        try:
            await LiveDriver(transport, session, lambda: live_backend(config)).run()
        finally:
            release()
            await transport.close()
            log.info("live session %s closed", session.id)

    def refused(what: str) -> Any:
        async def route(request: Request) -> Response:
            await authorize_http(request, ephemeral=False)
            raise not_offered(what)

        return route

    async def fork_ws(websocket: WebSocket) -> None:
        await refuse_ws(websocket, not_offered("fork"))

    routes: list[BaseRoute] = [WebSocketRoute("/v1/live/sessions", live)]
    routes += webrtc_routes(config, lambda: live_backend(config))
    for what in ("accept", "reject", "refer", "fork"):
        routes.append(
            Route(f"/v1/live/sessions/{{session_id}}/{what}", refused(what), methods=["POST"])
        )
    routes.append(Route("/v1/live/sessions/{session_id}/content", refused("content")))
    routes.append(WebSocketRoute("/v1/live/sessions/{session_id}/fork", fork_ws))
    return routes
