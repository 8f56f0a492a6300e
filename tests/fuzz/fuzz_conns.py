"""One Realtime session per transport, as the fuzz drives it: send frames, read events.

- `WsConn`: `GET /v1/realtime` (beta with the `OpenAI-Beta: realtime=v1` header);
- `RtcConn`: a WebRTC call (tests/helpers/rtc_peer.RtcClient: a sendrecv audio track and the
  `oai-events` data channel), posted to `/v1/realtime/calls` (GA) or to
  `/v1/realtime?model=` (the beta way, which makes a beta call);
- `SidebandConn`: a call as above, driven through the websocket attached to it
  (`GET /v1/realtime?call_id=`): frames go in, and events are read, on that socket.

`recv()` raises `Closed` when the session (or the call) has gone, with why.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

import httpx
from helpers.rtc_peer import RtcClient
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from realtime_sdk.transports.webrtc import max_message_size

OPEN_TIMEOUT_S = 20.0
BETA_HEADERS = {"OpenAI-Beta": "realtime=v1"}


class Closed(Exception):
    """The session (or call) is gone: `code` is the websocket close code, if any."""

    def __init__(self, why: str, code: int | None = None) -> None:
        super().__init__(why)
        self.why = why
        self.code = code


class BadJson(ValueError):
    """The server sent text that is not standard JSON (NaN, Infinity...)."""


def _refuse_constant(name: str) -> Any:
    raise BadJson(f"non-standard JSON constant {name}")


def parse_server_event(text: str | bytes) -> tuple[dict[str, Any], str | None]:
    """An event as a strict JSON reader reads it, and what was wrong with it if not."""
    try:
        return json.loads(text, parse_constant=_refuse_constant), None
    except BadJson as exc:
        return json.loads(text), str(exc)
    except ValueError as exc:
        return {"type": "<unreadable>", "text": str(text)[:200]}, f"unreadable: {exc}"


def baseline_update(dialect: str) -> dict[str, Any]:
    """Text replies: responses stay small and quick (a case may switch them back)."""
    session = (
        {"type": "realtime", "output_modalities": ["text"]}
        if dialect == "ga"
        else {"modalities": ["text"]}
    )
    return {"type": "session.update", "event_id": "fuzz_baseline", "session": session}


class Conn:
    """What the runner needs from a session on any transport."""

    transport = ""
    max_frame = 0
    bad_json: list[str]

    async def send(self, frame: str | bytes) -> None:
        raise NotImplementedError

    async def recv(self, timeout: float) -> dict[str, Any]:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError

    async def gone(self) -> str | None:
        """After a lost session: what the server says (e.g. the call is not found)."""
        return None

    async def start(self, dialect: str) -> None:
        """Text replies, and wait until the session said so."""
        await self.send(json.dumps(baseline_update(dialect)))
        while True:
            event = await self.recv(OPEN_TIMEOUT_S)
            if event.get("type") in ("session.updated", "transcription_session.updated"):
                return
            if event.get("type") == "error":
                raise RuntimeError(f"the baseline session.update was refused: {event}")


class WsConn(Conn):
    transport = "websocket"

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.max_frame = 1 << 40
        self.bad_json = []

    @classmethod
    async def open(cls, ws_url: str, dialect: str, query: str = "?model=gpt-realtime") -> WsConn:
        ws = await connect(
            ws_url + query,
            additional_headers=BETA_HEADERS if dialect == "beta" else {},
            max_size=None,
            ping_interval=None,
            open_timeout=OPEN_TIMEOUT_S,
            close_timeout=2,
        )
        return cls(ws)

    async def send(self, frame: str | bytes) -> None:
        try:
            await self.ws.send(frame)
        except ConnectionClosed as exc:
            raise self._closed(exc) from None

    async def recv(self, timeout: float) -> dict[str, Any]:
        try:
            text = await asyncio.wait_for(self.ws.recv(), timeout)
        except ConnectionClosed as exc:
            raise self._closed(exc) from None
        event, problem = parse_server_event(text)
        if problem:
            self.bad_json.append(f"{problem}: {str(text)[:200]}")
        return event

    def _closed(self, exc: ConnectionClosed) -> Closed:
        received = exc.rcvd
        if received is None:
            return Closed("the connection dropped without a close frame")
        return Closed(f"closed {received.code} {received.reason!r}", received.code)

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.ws.close(), 5)


class FuzzPeer(RtcClient):
    """An RtcClient whose events go to a queue, that keeps no received audio, and that
    notes when its channel or connection ends."""

    def __init__(self, keep_events: bool = True) -> None:
        super().__init__()
        self.inbox: asyncio.Queue[str | bytes | Closed] = asyncio.Queue()
        self.keep_events = keep_events
        self.ended: str | None = None
        self.channel.on("close", lambda: self._end("the data channel closed"))
        self.pc.on("connectionstatechange", self._on_state)

    def _on_state(self) -> None:
        if self.pc.connectionState in ("failed", "closed"):
            self._end(f"the peer connection is {self.pc.connectionState}")

    def _end(self, why: str) -> None:
        if self.ended is None:
            self.ended = why
            self.inbox.put_nowait(Closed(why))

    def _on_message(self, message: str | bytes) -> None:
        if self.keep_events:
            self.inbox.put_nowait(message)

    async def _read(self, track: Any) -> None:
        with contextlib.suppress(Exception):
            while True:
                await track.recv()


class Call:
    """A WebRTC call to the server: the peer, its id, and how to end it."""

    def __init__(self, base: str, peer: FuzzPeer, call_id: str, max_frame: int) -> None:
        self.base = base
        self.peer = peer
        self.id = call_id
        self.max_frame = max_frame

    @classmethod
    async def open(cls, base: str, dialect: str, keep_events: bool) -> Call:
        peer = FuzzPeer(keep_events)
        try:
            offer = await peer.offer()
            url = f"{base}/v1/realtime/calls" if dialect == "ga" else f"{base}/v1/realtime"
            async with httpx.AsyncClient(timeout=OPEN_TIMEOUT_S) as http:
                answer = await http.post(
                    url,
                    params={"model": "gpt-realtime"},
                    content=offer,
                    headers={"Content-Type": "application/sdp"},
                )
            if answer.status_code != 201:
                raise RuntimeError(f"call refused: {answer.status_code} {answer.text[:200]}")
            call_id = answer.headers["Location"].rsplit("/", 1)[-1]
            await peer.accept(answer.text)
            await asyncio.wait_for(peer.opened.wait(), OPEN_TIMEOUT_S)
        except BaseException:
            await peer.close()
            raise
        # what the server's data channel takes (its SDP); 0 means no limit
        limit = max_message_size(answer.text) or (1 << 40)
        return cls(base, peer, call_id, limit)

    async def hangup(self) -> int:
        """POST .../hangup: 200 if the call was there, 404 if it had gone."""
        async with httpx.AsyncClient(timeout=10) as http:
            reply = await http.post(f"{self.base}/v1/realtime/calls/{self.id}/hangup")
        return reply.status_code

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.hangup()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.peer.close(), 10)

    async def gone(self) -> str | None:
        try:
            status = await self.hangup()
        except httpx.HTTPError as exc:
            return f"hangup failed: {exc}"
        return (
            f"hangup answered {status}" + (" (the call had ended)" if status == 404 else "")
            if status != 200
            else "hangup answered 200 (the call was still registered)"
        )


class RtcConn(Conn):
    transport = "webrtc"

    def __init__(self, call: Call) -> None:
        self.call = call
        self.max_frame = call.max_frame
        self.bad_json = []

    @classmethod
    async def open(cls, base: str, dialect: str) -> RtcConn:
        call = await Call.open(base, dialect, keep_events=True)
        conn = cls(call)
        try:
            while (await conn.recv(OPEN_TIMEOUT_S)).get("type") != "session.created":
                pass
        except BaseException:
            await call.close()
            raise
        return conn

    async def send(self, frame: str | bytes) -> None:
        peer = self.call.peer
        if peer.ended is not None or peer.channel.readyState != "open":
            raise Closed(peer.ended or f"the data channel is {peer.channel.readyState}")
        try:
            peer.channel.send(frame)
        except Exception as exc:
            raise Closed(f"data channel send failed: {exc}") from None

    async def recv(self, timeout: float) -> dict[str, Any]:
        item = await asyncio.wait_for(self.call.peer.inbox.get(), timeout)
        if isinstance(item, Closed):
            self.call.peer.inbox.put_nowait(item)  # later reads see the end too
            raise item
        event, problem = parse_server_event(item)
        if problem:
            self.bad_json.append(f"{problem}: {str(item)[:200]}")
        return event

    async def close(self) -> None:
        await self.call.close()

    async def gone(self) -> str | None:
        return await self.call.gone()


class SidebandConn(Conn):
    transport = "sideband"

    def __init__(self, call: Call, socket: WsConn, ws_url: str) -> None:
        self.call = call
        self.socket = socket
        self.ws_url = ws_url
        self.max_frame = socket.max_frame
        self.bad_json = socket.bad_json

    @classmethod
    async def open(cls, base: str, ws_url: str, dialect: str) -> SidebandConn:
        call = await Call.open(base, dialect, keep_events=False)
        try:
            socket = await WsConn.open(ws_url, dialect, f"?call_id={call.id}")
        except BaseException:
            await call.close()
            raise
        return cls(call, socket, ws_url)

    async def reattach(self, dialect: str) -> None:
        """A new sideband socket on the same call (after the server closed the last)."""
        await self.socket.close()
        self.socket = await WsConn.open(self.ws_url, dialect, f"?call_id={self.call.id}")
        self.socket.bad_json = self.bad_json

    async def send(self, frame: str | bytes) -> None:
        if self.call.peer.ended is not None:
            raise Closed(f"call: {self.call.peer.ended}")
        await self.socket.send(frame)

    async def recv(self, timeout: float) -> dict[str, Any]:
        try:
            return await self.socket.recv(timeout)
        except Closed as closed:
            if self.call.peer.ended is not None:
                raise Closed(f"{closed.why}; call: {self.call.peer.ended}", closed.code) from None
            raise

    async def close(self) -> None:
        await self.socket.close()
        await self.call.close()

    async def gone(self) -> str | None:
        return await self.call.gone()
