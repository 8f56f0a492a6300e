"""The websocket transport, server end: one JSON event per text frame.

Wraps a Starlette/ASGI websocket as the driver's Transport. Frame size limits are
enforced twice: by the ASGI server (uvicorn `ws_max_size`, close code 1009) and here,
so an app mounted elsewhere keeps the same limit.
"""

from __future__ import annotations

import contextlib

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

MAX_FRAME_BYTES = 15 * 1024 * 1024  # the service's documented limit is 15 MB per event
CLOSE_TOO_BIG = 1009


class WebSocketTransport:
    """The server end of a websocket; a Transport (transports.base)."""

    def __init__(self, websocket: WebSocket, max_frame_bytes: int = MAX_FRAME_BYTES) -> None:
        self.websocket = websocket
        self.max_frame_bytes = max_frame_bytes
        self.closed = False

    async def recv(self) -> str | bytes | None:
        if self.closed:
            return None
        try:
            message = await self.websocket.receive()
        except (WebSocketDisconnect, RuntimeError):
            self.closed = True
            return None
        if message["type"] == "websocket.disconnect":
            self.closed = True
            return None
        frame: str | bytes | None = message.get("text")
        if frame is None:
            frame = message.get("bytes")
        if frame is None:
            return await self.recv()
        if len(frame) > self.max_frame_bytes:
            await self.close(CLOSE_TOO_BIG, f"frame over {self.max_frame_bytes} bytes")
            return None
        return frame

    async def send(self, text: str) -> None:
        if self.closed or self.websocket.application_state != WebSocketState.CONNECTED:
            raise ConnectionError("websocket closed")
        try:
            await self.websocket.send_text(text)
        except (WebSocketDisconnect, RuntimeError) as exc:
            self.closed = True
            raise ConnectionError("websocket closed") from exc

    async def close(self, code: int = 1000, reason: str = "") -> None:
        if self.closed:
            return
        self.closed = True
        with contextlib.suppress(Exception):
            await self.websocket.close(code, reason)
