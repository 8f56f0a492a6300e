"""The ASGI app of `realtime-sdk serve`, mountable into any Starlette/FastAPI app: each
protocol's routes (the Realtime API's: `realtime.server.routes`; translation's:
`translation.server.routes`; GPT-Live's: `live.server.routes`), the playground page,
CORS, the key store every route checks, health and readiness, and the drain on SIGTERM.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import BaseRoute

from . import _compat
from .live.server import live_routes
from .realtime.server.routes import realtime_routes
from .server.auth import Authenticator
from .server.config import ServerConfig
from .server.errors import ApiError, handle_api_error
from .server.health import health_routes
from .server.playground import playground_routes
from .translation.server.routes import translation_routes

__all__ = ["ServerConfig", "create_app"]  # ServerConfig lives in `config`; apps start here

log = logging.getLogger("realtime_sdk.server")


def create_app(config: ServerConfig) -> Starlette:
    _compat.apply()  # other libraries' internals, patched as this server needs (checked)
    if not config.api_keys:
        log.warning("no API key configured: the server accepts every client (local use only)")
    if "*" in config.cors_origins:
        log.warning(
            "CORS open: any web page may call this server from a browser (local use only;"
            " restrict with --cors-origin)"
        )

    routes: list[BaseRoute] = realtime_routes(config)
    routes += translation_routes(config)  # /v1/realtime/translations and its client secrets
    routes += live_routes(config)  # /v1/live/sessions
    routes += health_routes(config.state, config.drain)  # /healthz, /readyz
    routes += playground_routes()  # the page at `/`

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await config.state.start()  # connects to Redis (if shared) and listens for links
        restore = None
        if config.drain_timeout_s is not None:
            restore = config.drain.on_sigterm(config.drain_timeout_s)
        try:
            yield
        finally:
            if restore is not None:
                restore()
            await config.state.close()

    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={ApiError: handle_api_error},
        middleware=[
            Middleware(
                CORSMiddleware,
                allow_origins=config.cors_origins,
                allow_methods=["*"],
                allow_headers=["*"],
                expose_headers=["Location"],
            )
        ],
    )
    app.state.realtime_auth = Authenticator(config.api_keys, config.keys)
    return app
