"""What the HTTP and websocket routes share: a body read up to a limit, and the accept
of a websocket handshake."""

from __future__ import annotations

from starlette.requests import Request
from starlette.websockets import WebSocket

from .errors import ApiError

MAX_BODY_BYTES = 1024 * 1024  # an offer is a few kB; a session may carry long instructions


async def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The request body, refused with a 413 as soon as it is known to be over `limit`
    (by its Content-Length, or while it streams in)."""
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > limit:
        raise ApiError(413, f"The request body is over {limit} bytes.")
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise ApiError(413, f"The request body is over {limit} bytes.")
    return bytes(body)


async def accept(websocket: WebSocket) -> None:
    """Accept the handshake, choosing `realtime` when the client offered subprotocols:
    browsers and WHATWG clients fail the handshake unless one offered protocol is chosen."""
    offered = websocket.scope.get("subprotocols", [])
    await websocket.accept(subprotocol="realtime" if offered else None)
