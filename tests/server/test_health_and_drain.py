"""`/healthz`, `/readyz` and the drain, in process; a SIGTERM to a real `serve` during
live sessions is in tests/multinode."""

from __future__ import annotations

import asyncio
import time

import pytest
from starlette.testclient import TestClient, WebSocketDenialResponse

from realtime_sdk.app import ServerConfig, create_app
from realtime_sdk.backends.echo import EchoBackend
from realtime_sdk.server.drain import Drain
from realtime_sdk.server.state.memory import MemoryState


class Unreachable(MemoryState):
    """A store that does not answer (as Redis when it is down)."""

    async def reachable(self) -> bool:
        return False


def test_ready_until_draining() -> None:
    config = ServerConfig(backend_factory=EchoBackend, turn_detection=False)
    with TestClient(create_app(config)) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        assert client.get("/readyz").json() == {"status": "ready", "sessions": 0}
        with client.websocket_connect("/v1/realtime") as ws:
            assert ws.receive_json()["type"] == "session.created"
            assert client.get("/readyz").json()["sessions"] == 1
            config.drain.draining = True
            ready = client.get("/readyz")
            assert (ready.status_code, ready.json()["status"]) == (503, "draining")
            with pytest.raises(WebSocketDenialResponse) as refused:
                client.websocket_connect("/v1/realtime").__enter__()
            assert refused.value.status_code == 503
            assert refused.value.json()["error"]["code"] == "server_shutting_down"
            call = client.post(
                "/v1/realtime/calls", content=b"v=0", headers={"Content-Type": "application/sdp"}
            )
            assert call.status_code == 503
            ws.send_json({"type": "session.update", "session": {"type": "realtime"}})
            assert ws.receive_json()["type"] == "session.updated", "open sessions go on"
        assert client.get("/healthz").status_code == 200


def test_not_ready_while_the_shared_state_is_unreachable() -> None:
    config = ServerConfig(backend_factory=EchoBackend, turn_detection=False, state=Unreachable())
    with TestClient(create_app(config)) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["status"] == "shared state unreachable"
        assert client.get("/healthz").status_code == 200


def test_drain_waits_for_sessions_then_closes_the_rest() -> None:
    async def check() -> None:
        drain = Drain()
        closed: list[str] = []

        async def close(name: str) -> None:
            closed.append(name)

        done_soon = drain.open(lambda: close("quick"))
        drain.open(lambda: close("slow"))
        asyncio.get_running_loop().call_later(0.1, done_soon)
        started = time.monotonic()
        await drain.run(0.5)
        assert drain.draining and drain.refusal() is not None
        assert closed == ["slow"], "a session that ended in time is not closed"
        assert 0.5 <= time.monotonic() - started < 1.0

    asyncio.run(check())
