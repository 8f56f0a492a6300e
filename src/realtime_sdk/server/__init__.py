"""The server: the ASGI app and its routes, the asyncio driver, calls, keys and errors."""
