"""realtime-sdk: the OpenAI Realtime protocol for Python, server and client.

`connect` and `create_client_secret` load the client (and httpx) on first use, so a server
process, which never needs them, does not carry them (about 9 MiB of an idle server).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["connect", "create_client_secret"]

if TYPE_CHECKING:
    from .client import connect, create_client_secret


def __getattr__(name: str) -> Any:
    if name in __all__:
        from . import client

        return getattr(client, name)
    raise AttributeError(f"module 'realtime_sdk' has no attribute {name!r}")
