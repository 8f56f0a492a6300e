"""The server: the asyncio driver and (later) the ASGI app and routes."""
