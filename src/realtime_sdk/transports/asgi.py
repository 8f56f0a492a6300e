"""The client end of a websocket to an ASGI app in this process: no socket, no server.

`ASGIWebSocketTransport(app)` runs the app's websocket route directly, as httpx's
`ASGITransport` runs HTTP routes: `open(url, headers)` makes the ASGI scope a server would
make for that URL and those headers, and the app's `receive` and `send` become two queues.
`realtime_sdk.connect(transport=ASGIWebSocketTransport(create_app(config)))` then runs the
real app (its auth, dialects, driver and back-end) under the real typed client.

It behaves as a socket would where the app can tell: a refused handshake raises
websockets' `InvalidStatus` (the app's denial response, 403 for a close before accept, 500
for an app that failed first), and once the client has closed, the app's sends fail as
uvicorn's do (an OSError, which Starlette reports as a disconnect). Frames are not limited
in size and not held back: the app's own limits apply, and what it sends waits here until
read.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping, MutableMapping, Sequence
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote, urlsplit

from websockets.datastructures import Headers
from websockets.exceptions import InvalidStatus
from websockets.http11 import Response

log = logging.getLogger("realtime_sdk.client")

Message = MutableMapping[str, Any]
ASGIApp = Callable[
    [
        MutableMapping[str, Any],
        Callable[[], Awaitable[Message]],
        Callable[[Message], Awaitable[None]],
    ],
    Awaitable[None],
]
CLOSE_TIMEOUT_S = 10.0  # how long close() waits for the app to finish, as websockets waits


class ASGIWebSocketTransport:
    """The client end of an ASGI app's websocket route (`open()` connects); a Transport."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        subprotocols: Sequence[str] = (),
        client: tuple[str, int] = ("127.0.0.1", 50000),
    ) -> None:
        self.app = app
        self.subprotocols = list(subprotocols)
        self.client = client
        self.subprotocol: str | None = None  # what the app accepted
        self.close_code: int | None = None  # the app's close, once it closed
        self.close_reason = ""
        self._to_app: asyncio.Queue[Message] = asyncio.Queue()
        self._inbox: asyncio.Queue[str | bytes | None] = asyncio.Queue()
        self._handshake: asyncio.Future[None] | None = None
        self._denial: tuple[int, list[tuple[bytes, bytes]], bytes] | None = None
        self._app_task: asyncio.Task[None] | None = None
        self._accepted = False
        self._closed = False  # by us
        self._app_closed = False  # by the app, or the app has ended

    async def open(self, url: str, headers: Mapping[str, str] | None = None) -> None:
        """Start the app on the websocket request for `url`; return once it accepted.
        `InvalidStatus` if it refused."""
        if self._app_task is not None:
            raise RuntimeError("already open")
        self._handshake = asyncio.get_running_loop().create_future()
        self._to_app.put_nowait({"type": "websocket.connect"})
        self._app_task = asyncio.create_task(self._run(self._scope(url, headers or {})))
        await self._handshake

    def _scope(self, url: str, headers: Mapping[str, str]) -> dict[str, Any]:
        parts = urlsplit(url)
        scheme = {"http": "ws", "https": "wss"}.get(parts.scheme, parts.scheme or "ws")
        host = parts.hostname or "testserver"
        port = parts.port or (443 if scheme == "wss" else 80)
        raw = [(b"host", (parts.netloc or host).encode("latin-1"))]
        raw += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
        if self.subprotocols:
            raw.append((b"sec-websocket-protocol", ", ".join(self.subprotocols).encode()))
        return {
            "type": "websocket",
            "asgi": {"version": "3.0", "spec_version": "2.4"},
            "http_version": "1.1",
            "scheme": scheme,
            "server": (host, port),
            "client": self.client,
            "root_path": "",
            "path": unquote(parts.path) or "/",
            "raw_path": (parts.path or "/").encode(),
            "query_string": parts.query.encode(),
            "headers": raw,
            "subprotocols": self.subprotocols,
            "state": {},
            "extensions": {"websocket.http.response": {}},
        }

    # -- the transport interface ---------------------------------------------------------
    async def recv(self) -> str | bytes | None:
        """The app's next frame; None once it closed (or ended) or we did."""
        frame = await self._inbox.get()
        if frame is None:
            self._inbox.put_nowait(None)  # every later call sees the end too
        return frame

    async def send(self, text: str) -> None:
        if self._closed or self._app_closed or not self._accepted:
            raise ConnectionError("websocket closed")
        self._to_app.put_nowait({"type": "websocket.receive", "text": text})

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Tell the app the client has gone, then wait (a while) for it to finish."""
        if self._closed:
            return
        self._closed = True
        self._to_app.put_nowait({"type": "websocket.disconnect", "code": code, "reason": reason})
        self._inbox.put_nowait(None)
        task = self._app_task
        if task is not None and not task.done():
            try:
                await asyncio.wait_for(asyncio.shield(task), CLOSE_TIMEOUT_S)
            except TimeoutError:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    # -- the app's side ------------------------------------------------------------------
    async def _run(self, scope: dict[str, Any]) -> None:
        try:
            await self.app(scope, self._app_receive, self._app_send)
        except OSError:
            pass  # it sent after we closed: a disconnect, as a server sees it
        except Exception:
            log.exception("the ASGI app failed")
            self._refused(500)
        else:
            self._refused(500)  # returned without answering the handshake (if it did not)
        finally:
            self._app_closed = True
            self._inbox.put_nowait(None)

    async def _app_receive(self) -> Message:
        if self._to_app.empty() and self._closed:
            return {"type": "websocket.disconnect", "code": 1006, "reason": ""}
        return await self._to_app.get()

    async def _app_send(self, message: Message) -> None:
        kind = message["type"]
        if self._closed or self._app_closed:
            raise ConnectionResetError("the client has closed the websocket")
        if kind == "websocket.accept":
            self._accepted = True
            self.subprotocol = message.get("subprotocol")
            self._answered()
        elif kind == "websocket.send":
            frame = message.get("bytes")
            self._inbox.put_nowait(frame if frame is not None else message.get("text", ""))
        elif kind == "websocket.close":
            if not self._accepted:
                self._refused(403)  # what servers answer a close before accept with
            self._app_closed = True
            self.close_code = message.get("code", 1000)
            self.close_reason = message.get("reason") or ""
            self._inbox.put_nowait(None)
        elif kind == "websocket.http.response.start":
            self._denial = (message["status"], list(message.get("headers", [])), b"")
        elif kind == "websocket.http.response.body" and self._denial is not None:
            status, headers, body = self._denial
            self._denial = (status, headers, body + message.get("body", b""))
            if not message.get("more_body", False):
                self._refused(status, headers, self._denial[2])
                self._app_closed = True
        else:
            raise RuntimeError(f"unexpected ASGI message {kind!r}")

    def _answered(self) -> None:
        if self._handshake is not None and not self._handshake.done():
            self._handshake.set_result(None)

    def _refused(
        self, status: int, headers: Sequence[tuple[bytes, bytes]] = (), body: bytes = b""
    ) -> None:
        """The handshake failed with this HTTP response (unless it was answered already)."""
        if self._handshake is None or self._handshake.done():
            return
        fields = Headers([(k.decode("latin-1"), v.decode("latin-1")) for k, v in headers])
        response = Response(status, HTTPStatus(status).phrase, fields, body)
        self._handshake.set_exception(InvalidStatus(response))
