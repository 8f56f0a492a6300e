"""realtime-sdk: OpenAI's realtime voice protocols for Python, server and client.

`connect` and `create_client_secret` (their translation twins, and `connect_live`) load the
client (and httpx) on first use, `create_app` and `ServerConfig` the server: a server process
never carries the client (about 9 MiB of an idle server), nor a client the server.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._lazy import lazy_names

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .app import ServerConfig, create_app
    from .client import (
        connect,
        connect_live,
        connect_translation,
        create_client_secret,
        create_translation_client_secret,
    )

__all__ = [
    "ServerConfig",
    "connect",
    "connect_live",
    "connect_translation",
    "create_app",
    "create_client_secret",
    "create_translation_client_secret",
]

__getattr__, __dir__ = lazy_names(
    __name__,
    {
        "ServerConfig": "app",
        "connect": "client",
        "create_app": "app",
        "create_client_secret": "client",
        "connect_live": "client",
        "connect_translation": "client",
        "create_translation_client_secret": "client",
    },
)
