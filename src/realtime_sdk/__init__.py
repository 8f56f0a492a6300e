"""realtime-sdk: the OpenAI Realtime protocol for Python, server and client."""

__version__ = "0.1.0"
