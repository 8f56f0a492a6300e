"""The real typed client and the real app in one process, joined with no socket.

As h11's `ConnectionPair` joins two real connections in its tests, `ClientAppPair` joins
`realtime_sdk.connect` to a `create_app()` app through `ASGIWebSocketTransport`: the app's
auth, dialects, driver and back-end run as they do under uvicorn, in the test's own loop,
and a test can look at both ends (`pair.app`, `conn.transport`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette

import realtime_sdk
from realtime_sdk.app import ServerConfig, create_app
from realtime_sdk.backends.echo import EchoBackend
from realtime_sdk.client import RealtimeConnection
from realtime_sdk.transports.asgi import ASGIWebSocketTransport

BASE_URL = "http://testserver/v1"  # where the client thinks it connects: the URL the app sees


def echo_config(**settings: Any) -> ServerConfig:
    return ServerConfig(backend_factory=EchoBackend, **settings)


@dataclass
class ClientAppPair:
    """One app (echo unless `config` says otherwise), and connections to it."""

    config: ServerConfig = field(default_factory=echo_config)
    app: Starlette = field(init=False)

    def __post_init__(self) -> None:
        self.app = create_app(self.config)

    @asynccontextmanager
    async def connect(self, **options: Any) -> AsyncIterator[RealtimeConnection]:
        """`realtime_sdk.connect(**options)`, to this app; `conn.transport` is the
        ASGIWebSocketTransport."""
        options.setdefault("base_url", BASE_URL)
        transport = ASGIWebSocketTransport(self.app)
        async with realtime_sdk.connect(transport=transport, **options) as conn:
            yield conn
