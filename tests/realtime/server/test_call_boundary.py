"""WebRTC calls under bad input and borrowed keys, against a real server (uvicorn on
127.0.0.1, echo back-end, server VAD) and a browser-like aiortc peer.

- an event that used to tear a call down, sent on the `oai-events` data channel or on a
  sideband socket, gets an `error` and the call's media goes on;
- an `ek_` key (a browser's) may start a call but not attach a sideband socket to it
  nor hang it up: both are the application server's, with its API key (403
  `permission_denied`), on both dialects.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from helpers.paths import AUDIO_FIXTURES
from helpers.rtc_peer import RtcClient, rms, run, speech_48k
from helpers.servers import Running, serve
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from realtime_sdk.app import ServerConfig
from realtime_sdk.backends.echo import EchoBackend

FIXTURES = AUDIO_FIXTURES
KEY = "sk-call-boundary"
BETA = {"OpenAI-Beta": "realtime=v1"}

# (event, the error's code and param)
BAD_EVENTS: list[tuple[dict[str, Any], tuple[str, str]]] = [
    (
        {"type": "conversation.item.create", "item": {"type": "message", "role": "user",
         "content": [{"type": "input_audio", "audio": "%%%"}]}},
        ("invalid_value", "item.content[0].audio"),
    ),
    (
        {"type": "conversation.item.create", "item": {"type": "message", "role": "user",
         "content": [{"type": "input_audio", "audio": "AQID"}]}},
        ("invalid_value", "item.content[0].audio"),
    ),
    ({"type": "session.update", "session": {"type": "realtime", "audio": None}},
     ("invalid_type", "session.audio")),
    ({"type": "session.update", "session": {"type": "realtime", "audio": {"input": None}}},
     ("invalid_type", "session.audio.input")),
    ({"type": "session.update", "session": {"type": "realtime", "audio": {"output": None}}},
     ("invalid_type", "session.audio.output")),
]  # fmt: skip


@pytest.fixture(scope="module")
def server() -> Iterator[Running]:
    with serve(ServerConfig(backend_factory=EchoBackend, api_keys=frozenset({KEY}))) as running:
        yield running


def post(server: Running, path: str, key: str = KEY, **kwargs: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}", **kwargs.pop("headers", {})}
    url = f"http://{server.host}:{server.port}{path}"
    return httpx.post(url, headers=headers, timeout=10, **kwargs)


async def start_call(server: Running, rtc: RtcClient, key: str = KEY) -> str:
    """Post the peer's offer (raw SDP, as a browser does) and take the answer; the call id."""
    answer = await asyncio.to_thread(
        post, server, "/v1/realtime/calls", key, content=await rtc.offer(),
        headers={"Content-Type": "application/sdp"},
    )  # fmt: skip
    assert answer.status_code == 201, answer.text
    await rtc.accept(answer.text)
    await rtc.wait_for("session.created")
    return str(answer.headers["location"].rsplit("/", 1)[1])


async def sideband(server: Running, call_id: str, key: str = KEY, **kw: Any) -> ClientConnection:
    return await connect(
        f"{server.ws_url}?call_id={call_id}",
        additional_headers={"Authorization": f"Bearer {key}", **kw.pop("headers", {})},
        **kw,
    )


async def answer_on_socket(ws: ClientConnection, event_id: str) -> dict[str, Any]:
    """The error echoing `event_id`, skipping the call's other events."""
    while True:
        event = json.loads(await asyncio.wait_for(ws.recv(), 10))
        if event["type"] == "error" and event["error"]["event_id"] == event_id:
            return dict(event["error"])


async def answer_on_channel(rtc: RtcClient, event_id: str) -> dict[str, Any]:
    async def wait() -> dict[str, Any]:
        while True:
            for event in rtc.events:
                if event["type"] == "error" and event["error"]["event_id"] == event_id:
                    return dict(event["error"])
            await asyncio.sleep(0.02)

    return await asyncio.wait_for(wait(), 10)


@pytest.mark.parametrize("via", ["data-channel", "sideband"])
def test_bad_events_get_errors_and_the_call_goes_on(server: Running, via: str) -> None:
    voice = speech_48k(FIXTURES / "fastrtc-how-are-you-24k.wav", tail_s=1.5)

    async def main() -> None:
        rtc = RtcClient()
        try:
            call_id = await start_call(server, rtc)
            side = await sideband(server, call_id) if via == "sideband" else None
            for n, (event, (code, param)) in enumerate(BAD_EVENTS):
                event = {**event, "event_id": f"bad_{n}"}
                if side is not None:
                    await side.send(json.dumps(event))
                    error = await answer_on_socket(side, f"bad_{n}")
                else:
                    rtc.send(event)
                    error = await answer_on_channel(rtc, f"bad_{n}")
                assert (error["code"], error["param"]) == (code, param), error
            # the call's media is untouched: the echo answers speech over RTP
            assert rtc.pc.connectionState == "connected"
            rtc.mic.say(voice)
            started = await rtc.wait_for("output_audio_buffer.started", 15)
            stopped = await rtc.wait_for("output_audio_buffer.stopped", 15)
            heard = rtc.audio_between(rtc.time_of(started), rtc.time_of(stopped))
            assert rms(heard) > 300
            if side is not None:
                await side.close()
            hangup = await asyncio.to_thread(post, server, f"/v1/realtime/calls/{call_id}/hangup")
            assert hangup.status_code == 200
        finally:
            await rtc.close()

    run(main)


def _ephemeral(server: Running, dialect: str) -> str:
    if dialect == "beta":
        minted = post(server, "/v1/realtime/sessions", json={"model": "gpt-4o-realtime-preview"})
        assert minted.status_code == 200, minted.text
        return str(minted.json()["client_secret"]["value"])
    minted = post(server, "/v1/realtime/client_secrets", json={})
    assert minted.status_code == 200, minted.text
    return str(minted.json()["value"])


@pytest.mark.parametrize("dialect", ["ga", "beta"])
def test_an_ephemeral_key_cannot_attach_a_sideband_or_hang_up(
    server: Running, dialect: str
) -> None:
    async def main() -> None:
        ek = await asyncio.to_thread(_ephemeral, server, dialect)
        assert ek.startswith("ek_")
        rtc = RtcClient()
        try:
            call_id = await start_call(server, rtc, key=ek)  # a browser starts its call
            headers = BETA if dialect == "beta" else {}
            if dialect == "ga":
                with pytest.raises(InvalidStatus) as denied:
                    await sideband(server, call_id, key=ek)
                assert denied.value.response.status_code == 403
                body = json.loads(denied.value.response.body or b"{}")
                assert body["error"]["code"] == "permission_denied"
            else:  # a beta client is told in an error event, then the socket closes 3000
                async with await sideband(server, call_id, key=ek, headers=headers) as ws:
                    event = json.loads(await asyncio.wait_for(ws.recv(), 5))
                    assert event["error"]["code"] == "permission_denied"
                    with pytest.raises(ConnectionClosed) as closed:
                        await asyncio.wait_for(ws.recv(), 5)
                    assert closed.value.rcvd is not None and closed.value.rcvd.code == 3000
            path = f"/v1/realtime/calls/{call_id}/hangup"
            refused = await asyncio.to_thread(post, server, path, ek, headers=headers)
            assert refused.status_code == 403
            assert refused.json()["error"]["code"] == "permission_denied"
            # the call was not touched, and the application can still drive and end it
            rtc.send({"type": "input_audio_buffer.clear"})
            await rtc.wait_for("input_audio_buffer.cleared")
            async with await sideband(server, call_id, headers=headers) as ws:
                await ws.send(json.dumps({"type": "input_audio_buffer.clear"}))
                cleared = "input_audio_buffer.cleared"
                while json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] != cleared:
                    pass
            assert (await asyncio.to_thread(post, server, path)).status_code == 200
        finally:
            await rtc.close()

    run(main)
