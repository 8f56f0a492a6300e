"""Bad input over a real socket: each gets the protocol's answer, and the server goes on.

- non-JSON text, a binary frame that is not a JSON event, an unknown event type:
  an `error` event, and the socket stays open;
- a binary frame holding a JSON event is read like a text frame (documented);
- a frame over the limit: close 1009 with a reason;
- a wrong, unknown or expired key: the handshake is refused with HTTP 401 and
  OpenAI's JSON error body (what every client reports as a rejected handshake).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from helpers.servers import Running, serve
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from realtime_sdk.app import ServerConfig
from realtime_sdk.backends.echo import EchoBackend
from realtime_sdk.server.auth import EphemeralKeys

KEY = "sk-bad-input-test"
LIMIT = 64 * 1024


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="module")
def server(clock: Clock) -> Iterator[Running]:
    config = ServerConfig(
        backend_factory=EchoBackend,
        api_keys=frozenset({KEY}),
        max_frame_bytes=LIMIT,
        turn_detection=False,
        ephemeral_keys=EphemeralKeys(clock=clock),
    )
    with serve(config) as running:
        yield running


def run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 20))


async def open_session(server: Running, key: str = KEY, **kwargs: Any) -> ClientConnection:
    ws = await connect(
        server.ws_url + "?model=gpt-realtime",
        additional_headers={"Authorization": f"Bearer {key}"},
        max_size=None,
        **kwargs,
    )
    created = json.loads(await ws.recv())
    assert created["type"] == "session.created"
    return ws


async def next_event(ws: ClientConnection) -> dict[str, Any]:
    event: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 5))
    return event


async def text_turn(ws: ClientConnection, text: str = "still here") -> str:
    """A full text turn on `ws`; returns the reply text."""
    session = {"type": "realtime", "output_modalities": ["text"]}
    item = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}
    await ws.send(json.dumps({"type": "session.update", "session": session}))
    await ws.send(json.dumps({"type": "conversation.item.create", "item": item}))
    await ws.send(json.dumps({"type": "response.create"}))
    deltas = []
    while True:
        event = await next_event(ws)
        assert event["type"] != "error", event
        if event["type"] == "response.output_text.delta":
            deltas.append(event["delta"])
        if event["type"] == "response.done":
            assert event["response"]["status"] == "completed"
            return "".join(deltas)


def test_non_json_text_gets_an_error_and_the_socket_stays_open(server: Running) -> None:
    async def main() -> None:
        async with await open_session(server) as ws:
            await ws.send("this is not json {")
            error = await next_event(ws)
            assert error["type"] == "error"
            assert error["event_id"].startswith("event_")
            assert error["error"]["type"] == "invalid_request_error"
            assert error["error"]["code"] == "invalid_json"
            await ws.send("[1, 2, 3]")  # JSON, but not an object
            error = await next_event(ws)
            assert error["error"]["code"] == "invalid_event"
            assert await text_turn(ws) == "still here"

    run(main())


def test_binary_frames(server: Running) -> None:
    """Binary frames are read as UTF-8 JSON like text frames; junk gets an error."""

    async def main() -> None:
        async with await open_session(server) as ws:
            await ws.send(b"\x00\x01\x02\xff")
            error = await next_event(ws)
            assert (error["type"], error["error"]["code"]) == ("error", "invalid_json")
            await ws.send(json.dumps({"type": "input_audio_buffer.clear"}).encode())
            cleared = await next_event(ws)
            assert cleared["type"] == "input_audio_buffer.cleared"
            assert await text_turn(ws) == "still here"

    run(main())


def test_unknown_event_and_unknown_field(server: Running) -> None:
    async def main() -> None:
        async with await open_session(server) as ws:
            await ws.send(json.dumps({"type": "response.explode", "event_id": "evt_1"}))
            error = await next_event(ws)
            assert error["error"]["code"] == "invalid_value"
            assert error["error"]["param"] == "type"
            assert error["error"]["event_id"] == "evt_1"  # echoes the offending event
            await ws.send(json.dumps({"type": "response.create", "response": {"colour": "red"}}))
            error = await next_event(ws)
            assert error["error"]["code"] == "unknown_parameter"
            assert error["error"]["param"] == "response.colour"
            await ws.send(json.dumps({"event_id": "evt_2"}))
            error = await next_event(ws)
            assert error["error"]["code"] == "missing_required_parameter"
            assert await text_turn(ws) == "still here"

    run(main())


def test_oversized_frame_closes_with_1009(server: Running) -> None:
    async def main() -> None:
        async with await open_session(server) as ws:
            audio = "A" * (LIMIT + 1024)
            await ws.send(json.dumps({"type": "input_audio_buffer.append", "audio": audio}))
            with pytest.raises(ConnectionClosed) as closed:
                while True:
                    await next_event(ws)
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.code == 1009
            assert closed.value.rcvd.reason  # says why

    run(main())


def _refusal(exc: InvalidStatus) -> dict[str, Any]:
    assert exc.response.status_code == 401
    body: dict[str, Any] = json.loads(exc.response.body or b"{}")
    assert body["error"]["type"] == "invalid_request_error"
    return body["error"]


def test_wrong_or_missing_key_refuses_the_handshake(server: Running) -> None:
    async def main() -> None:
        with pytest.raises(InvalidStatus) as refused:
            await open_session(server, key="sk-wrong-key-123456")
        error = _refusal(refused.value)
        assert error["code"] == "invalid_api_key"
        assert "sk-wrong-key-123456" not in error["message"]  # quoted masked, never whole
        with pytest.raises(InvalidStatus) as refused:
            await connect(server.ws_url + "?model=gpt-realtime")
        assert _refusal(refused.value)["code"] is None  # no key at all, as the service says
        # the browser way: a wrong key in the subprotocol
        with pytest.raises(InvalidStatus) as refused:
            await connect(
                server.ws_url + "?model=gpt-realtime",
                subprotocols=["realtime", "openai-insecure-api-key.sk-nope"],  # type: ignore[list-item]
            )
        assert _refusal(refused.value)["code"] == "invalid_api_key"
        with pytest.raises(InvalidStatus) as refused:
            await open_session(server, key="ek_0123456789abcdef")  # never issued
        assert _refusal(refused.value)["code"] == "invalid_api_key"

    run(main())


def _issue(server: Running, seconds: int) -> str:
    reply = httpx.post(
        server.base_url + "/realtime/client_secrets",
        headers={"Authorization": f"Bearer {KEY}"},
        json={"expires_after": {"anchor": "created_at", "seconds": seconds}},
    )
    assert reply.status_code == 200, reply.text
    value: str = reply.json()["value"]
    return value


def test_ephemeral_key_in_the_subprotocol_then_expired(server: Running, clock: Clock) -> None:
    key = _issue(server, seconds=10)

    async def main() -> None:
        # a browser offers the key as a subprotocol; the server must pick `realtime`
        async with connect(
            server.ws_url + "?model=gpt-realtime",
            subprotocols=["realtime", f"openai-insecure-api-key.{key}"],  # type: ignore[list-item]
        ) as ws:
            assert ws.subprotocol == "realtime"
            assert (await next_event(ws))["type"] == "session.created"
            clock.now += 11  # the key expires; the open session goes on
            assert await text_turn(ws) == "still here"
            with pytest.raises(InvalidStatus) as refused:
                await open_session(server, key=key)
            assert "expired" in _refusal(refused.value)["message"]

    run(main())


def test_after_all_that_a_new_session_completes_a_turn(server: Running) -> None:
    async def main() -> None:
        async with await open_session(server) as ws:
            assert await text_turn(ws, "all good") == "all good"

    run(main())
