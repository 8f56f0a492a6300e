"""The translation routes, for the app to mount beside the Realtime ones.

`GET /v1/realtime/translations?model=...` (websocket) runs one session per connection:
the sans-I/O `TranslationSession`, a translator made for it, and the driver between
them and the socket. Auth, draining and frame limits are the Realtime routes' own;
`model` is required (an `ek_` key's model stands in for it), and only keys issued by
the translation client-secrets route are taken here.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from starlette.routing import BaseRoute, WebSocketRoute
from starlette.websockets import WebSocket

from ...backends.translation import Translator
from ...server.auth import AuthError, authorize_ws, refuse_ws
from ...server.config import ServerConfig
from ...server.drain import CLOSE_GOING_AWAY, DRAIN_REASON
from ...server.errors import ApiError
from ...server.http import accept
from ...transports.websocket import WebSocketTransport
from ..protocol import TranslationSession
from .driver import TranslationDriver
from .secrets import KEY_KIND, translation_secret_routes

log = logging.getLogger("realtime_sdk.translation")


def _refusal(config: ServerConfig, model: str | None) -> ApiError | None:
    if not model:
        return ApiError(
            400, "Missing required parameter: 'model'.", code="missing_required_parameter",
            param="model",
        )  # fmt: skip
    if config.translator_factory is None:
        return ApiError(404, "This server has no translation back-end.", code="unsupported_feature")
    return config.drain.refusal()


def translation_routes(config: ServerConfig) -> list[BaseRoute]:
    """The translation websocket and its client-secrets route."""

    async def translations(websocket: WebSocket) -> None:
        try:
            grant = await authorize_ws(websocket, kinds=frozenset({KEY_KIND}))
        except AuthError as exc:
            await refuse_ws(websocket, exc)
            return
        model = grant.model or websocket.query_params.get("model")
        refusal = _refusal(config, model)
        if refusal is not None or model is None or config.translator_factory is None:
            await refuse_ws(websocket, refusal or ApiError(400, "refused"))
            return
        make: Callable[[], Translator] = config.translator_factory
        translator = make()
        await accept(websocket)
        session = TranslationSession(
            model=model, now_s=int(time.time()), start=grant.session, check=translator.check
        )
        session_id = session.config["id"]
        log.info("translation session %s opened: model=%s auth=%s", session_id, model, grant.kind)
        transport = WebSocketTransport(websocket, config.max_frame_bytes)
        release = config.drain.open(lambda: transport.close(CLOSE_GOING_AWAY, DRAIN_REASON))
        try:
            await TranslationDriver(transport, session, translator).run()
        finally:
            release()
            await transport.close()
            log.info("translation session %s closed", session_id)

    routes: list[BaseRoute] = [WebSocketRoute("/v1/realtime/translations", translations)]
    return routes + translation_secret_routes()
