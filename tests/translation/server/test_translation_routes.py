"""The translation routes' refusals and limits, as on the Realtime routes: a real server
(uvicorn on 127.0.0.1) and a plain websockets client."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from helpers.servers import Running, serve
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from realtime_sdk.app import ServerConfig
from realtime_sdk.backends.echo import EchoBackend
from realtime_sdk.backends.translation_echo import EchoTranslator

KEY = "sk-translation-routes"
LIMIT = 64 * 1024


@pytest.fixture(scope="module")
def server() -> Iterator[Running]:
    config = ServerConfig(
        backend_factory=EchoBackend,
        translator_factory=EchoTranslator,
        api_keys=frozenset({KEY}),
        max_frame_bytes=LIMIT,
        turn_detection=False,
    )
    with serve(config) as running:
        yield running


def url(server: Running, query: str = "?model=gpt-realtime-translate") -> str:
    return server.ws_url + "/translations" + query


def run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 20))


def refused(server: Running, query: str, key: str = KEY) -> tuple[int, dict[str, Any]]:
    async def main() -> tuple[int, dict[str, Any]]:
        with pytest.raises(InvalidStatus) as exc:
            await connect(url(server, query), additional_headers={"Authorization": f"Bearer {key}"})
        response = exc.value.response
        return response.status_code, json.loads(response.body or b"{}")["error"]

    result: tuple[int, dict[str, Any]] = run(main())
    return result


def test_model_is_required(server: Running) -> None:
    status, error = refused(server, "")
    assert (status, error["code"], error["param"]) == (400, "missing_required_parameter", "model")


def test_a_wrong_key_is_refused(server: Running) -> None:
    status, error = refused(server, "?model=m", key="sk-wrong-key-1234")
    assert (status, error["code"]) == (401, "invalid_api_key")


def test_an_oversized_frame_closes_with_1009(server: Running) -> None:
    async def main() -> None:
        headers = {"Authorization": f"Bearer {KEY}"}
        async with connect(url(server), additional_headers=headers, max_size=None) as ws:
            assert json.loads(await ws.recv())["type"] == "session.created"
            event = {"type": "session.input_audio_buffer.append", "audio": "A" * (LIMIT + 8)}
            await ws.send(json.dumps(event))
            with pytest.raises(ConnectionClosed) as closed:
                while True:
                    await asyncio.wait_for(ws.recv(), 5)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009

    run(main())


def test_binary_frames_and_bad_json_get_errors(server: Running) -> None:
    async def main() -> None:
        headers = {"Authorization": f"Bearer {KEY}"}
        async with connect(url(server), additional_headers=headers) as ws:
            await ws.recv()
            await ws.send(b"\x00\x01")
            await ws.send("{")
            for _ in range(2):
                event = json.loads(await asyncio.wait_for(ws.recv(), 5))
                assert event["type"] == "error"
            await ws.send(json.dumps({"type": "session.close"}))
            assert json.loads(await ws.recv())["type"] == "session.closed"

    run(main())


def test_client_secrets_refuses_unknown_fields(server: Running) -> None:
    base = f"http://{server.host}:{server.port}/v1/realtime/translations/client_secrets"
    headers = {"Authorization": f"Bearer {KEY}"}
    body = {"session": {"model": "m", "instructions": "no such field"}}
    response = httpx.post(base, json=body, headers=headers)
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "session.instructions"
    missing = httpx.post(base, json={}, headers=headers)
    assert missing.status_code == 400
    assert missing.json()["error"]["param"] == "session"


def test_no_translator_configured() -> None:
    with serve(ServerConfig(backend_factory=EchoBackend)) as running:
        status, error = refused(running, "?model=m")
    assert (status, error["code"]) == (404, "unsupported_feature")


def test_a_fault_of_ours_is_an_error_and_the_session_goes_on(
    server: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    from realtime_sdk.translation.protocol import session as session_module

    real = session_module.TranslationSession._update

    def broken(self: Any, event: Any) -> None:
        if event.session.audio.output.language == "xx":
            raise RuntimeError("a bug")
        real(self, event)

    monkeypatch.setattr(session_module.TranslationSession, "_update", broken)

    async def main() -> None:
        headers = {"Authorization": f"Bearer {KEY}"}
        async with connect(url(server), additional_headers=headers) as ws:
            await ws.recv()
            update = {"type": "session.update", "session": {"audio": {"output": {}}}}
            update["session"]["audio"]["output"]["language"] = "xx"
            await ws.send(json.dumps(update))
            error = json.loads(await asyncio.wait_for(ws.recv(), 5))
            assert error["error"]["type"] == "server_error"
            update["session"]["audio"]["output"]["language"] = "fr"
            await ws.send(json.dumps(update))
            assert json.loads(await ws.recv())["type"] == "session.updated"

    run(main())
