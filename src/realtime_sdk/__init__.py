"""realtime-sdk: the OpenAI Realtime protocol for Python, server and client."""

__version__ = "0.1.0"

from .client import connect, create_client_secret

__all__ = ["connect", "create_client_secret"]
