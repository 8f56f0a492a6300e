"""The Live routes against a real server (uvicorn on 127.0.0.1) with a plain websockets
client: refusals and limits as on the Realtime routes, the routes not offered, and a
FastRTC `ReplyOnPause` handler (the real fastrtc classes) served as a Live endpoint,
its transcripts included."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Iterator
from typing import Any

import httpx
import numpy as np
import pytest
from helpers.need import need
from helpers.paths import AUDIO_FIXTURES
from helpers.servers import Running, serve
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from realtime_sdk.app import ServerConfig
from realtime_sdk.audio import read_wav, resample
from realtime_sdk.backends.echo import EchoBackend

KEY = "sk-live-routes"
LIMIT = 64 * 1024
HEADERS = {"Authorization": f"Bearer {KEY}"}
START = {"type": "session.start", "session": {"model": "gpt-live-1"}}


@pytest.fixture(scope="module")
def server() -> Iterator[Running]:
    config = ServerConfig(
        backend_factory=EchoBackend, api_keys=frozenset({KEY}), max_frame_bytes=LIMIT
    )
    with serve(config) as running:
        yield running


def url(server: Running) -> str:
    return f"ws://{server.host}:{server.port}/v1/live/sessions"


def run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 30))


async def next_of(ws: Any, kind: str) -> dict[str, Any]:
    while True:
        event = json.loads(await asyncio.wait_for(ws.recv(), 5))
        if event["type"] == kind:
            return dict(event)


def test_a_wrong_key_is_refused_with_401(server: Running) -> None:
    async def main() -> None:
        with pytest.raises(InvalidStatus) as exc:
            await connect(url(server), additional_headers={"Authorization": "Bearer sk-no"})
        assert exc.value.response.status_code == 401
        assert json.loads(exc.value.response.body or b"{}")["error"]["code"] == "invalid_api_key"

    run(main())


def test_an_ek_key_for_translation_is_refused(server: Running) -> None:
    minted = httpx.post(
        f"{server.base_url}/realtime/translations/client_secrets",
        headers=HEADERS,
        json={"session": {"model": "gpt-realtime-translate"}},
    )
    assert minted.status_code == 200, minted.text
    key = minted.json()["value"]

    async def main() -> None:
        with pytest.raises(InvalidStatus) as exc:
            await connect(url(server), additional_headers={"Authorization": f"Bearer {key}"})
        assert exc.value.response.status_code == 401

    run(main())


def test_nothing_before_started_and_a_bad_event_does_not_end_the_session(server: Running) -> None:
    async def main() -> None:
        async with connect(url(server), additional_headers=HEADERS) as ws:
            await ws.send(json.dumps({"type": "session.input_audio.mute", "event_id": "e1"}))
            error = await next_of(ws, "error")
            assert error["error"]["code"] == "session_not_started"
            assert error["error"]["client_event_id"] == "e1"
            await ws.send(json.dumps(START))
            assert (await next_of(ws, "session.started"))["session"]["status"] == "active"
            await ws.send(
                json.dumps({"type": "session.input_audio.mute", "extra": 1, "event_id": "e2"})
            )
            error = await next_of(ws, "error")
            assert (error["error"]["param"], error["client_event_id"]) == ("extra", "e2")
            await ws.send(json.dumps({"type": "session.input_audio.mute"}))
            assert (await next_of(ws, "session.input_audio.muted"))["type"]
            await ws.send(json.dumps({"type": "session.close"}))
            assert (await next_of(ws, "session.closed"))["reason"] == "close_requested"

    run(main())


def test_an_oversized_frame_closes_with_1009(server: Running) -> None:
    async def main() -> None:
        async with connect(url(server), additional_headers=HEADERS, max_size=None) as ws:
            await ws.send(json.dumps(START))
            await next_of(ws, "session.started")
            await ws.send(
                json.dumps({"type": "session.input_audio.append", "audio": "A" * (LIMIT + 8)})
            )
            with pytest.raises(ConnectionClosed) as closed:
                while True:
                    await asyncio.wait_for(ws.recv(), 5)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009

    run(main())


@pytest.mark.parametrize("route", ["accept", "reject", "refer", "fork"])
def test_routes_not_offered_say_so(server: Running, route: str) -> None:
    response = httpx.post(
        f"{server.base_url}/live/sessions/sess_1/{route}", headers=HEADERS, json={}
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "unsupported_feature" and "not offered" in error["message"]
    recording = httpx.get(f"{server.base_url}/live/sessions/sess_1/content", headers=HEADERS)
    assert recording.status_code == 400 and "recordings" in recording.json()["error"]["message"]


def test_a_fork_socket_is_refused_by_name(server: Running) -> None:
    async def main() -> None:
        with pytest.raises(InvalidStatus) as exc:
            await connect(url(server) + "/sess_1/fork", additional_headers=HEADERS)
        assert exc.value.response.status_code == 400
        assert "Forking" in json.loads(exc.value.response.body or b"{}")["error"]["message"]

    run(main())


def test_a_fastrtc_reply_on_pause_handler_is_a_live_endpoint() -> None:
    try:
        import fastrtc

        from realtime_sdk.backends.fastrtc import (
            FastRTCBackend,
            LocalPauseDetectionModel,
            RealtimeMessage,
        )
    except ImportError:
        need(False, "fastrtc is not installed (pip install 'realtime-sdk[fastrtc]')")

    def echo(audio: tuple[int, np.ndarray]) -> Iterator[Any]:
        yield RealtimeMessage.user_transcript("how are you")
        yield RealtimeMessage.assistant_transcript_delta("fine")
        yield audio

    handler = fastrtc.ReplyOnPause(echo, model=LocalPauseDetectionModel())
    config = ServerConfig(backend_factory=lambda: FastRTCBackend(handler))
    rate, samples = read_wav(AUDIO_FIXTURES / "fastrtc-how-are-you-24k.wav")
    speech = np.concatenate([resample(samples, rate, 24000), np.zeros(36000, dtype=np.int16)])

    async def main(running: Running) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        async with connect(url(running)) as ws:
            await ws.send(json.dumps(START))
            await next_of(ws, "session.started")
            for at in range(0, len(speech), 960):
                chunk = speech[at : at + 960].astype("<i2").tobytes()
                await ws.send(
                    json.dumps(
                        {
                            "type": "session.input_audio.append",
                            "audio": base64.b64encode(chunk).decode(),
                        }
                    )
                )
                await asyncio.sleep(0.02)  # twice real time
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 8
            while loop.time() < deadline:
                events.append(json.loads(await asyncio.wait_for(ws.recv(), 5)))
                if events[-1]["type"] == "session.output_transcript.delta":
                    break
            await ws.send(json.dumps({"type": "session.close"}))
            while events[-1]["type"] != "session.closed":
                events.append(json.loads(await asyncio.wait_for(ws.recv(), 5)))
        return events

    with serve(config) as running:
        events = run(main(running))
    kinds = [e["type"] for e in events]
    assert "error" not in kinds
    heard = next(e for e in events if e["type"] == "session.input_transcript.delta")
    said = next(e for e in events if e["type"] == "session.output_transcript.delta")
    assert (heard["delta"], said["delta"]) == ("how are you", "fine")
    assert 0 <= heard["start_ms"] < heard["end_ms"] <= said["start_ms"] <= said["end_ms"]
    deltas = [e["delta"] for e in events if e["type"] == "session.output_audio.delta"]
    out = np.frombuffer(b"".join(base64.b64decode(d) for d in deltas), dtype="<i2")
    assert np.abs(out).max() > 1000  # the handler's audio, between the silence
