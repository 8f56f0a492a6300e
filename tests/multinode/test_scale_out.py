"""Scale-out with real components: a real redis-server, three `serve` processes on their
own ports sharing it, and a real HAProxy in front (round robin, websockets, /readyz
checks). Every request goes through the balancer unless a test says otherwise; which
process answered is read from that process's own log.

`MULTINODE_CALLS` sets how many WebRTC calls the relay test makes (default 20)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
import websockets
from helpers.cluster import KEY, HAProxy, ServeProcess, status, wait_until
from helpers.redis_server import RedisServer
from helpers.rtc_peer import RtcClient, run

AUTH = {"Authorization": f"Bearer {KEY}", "Connection": "close"}
CALL_TTL_S = 3.0
CALLS = int(os.environ.get("MULTINODE_CALLS", "20"))


class Cluster:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.redis = RedisServer(folder, port=None).start()
        env = {"REALTIME_SDK_CALL_TTL_S": str(CALL_TTL_S)}
        self.servers = [
            ServeProcess(
                folder, f"s{i}", "--redis", self.redis.url, "--drain-timeout", "4", env=env
            )
            for i in range(3)
        ]
        for server in self.servers:
            server.launch()
        for server in self.servers:
            server.wait_ready()
        self.haproxy = HAProxy(folder, self.servers).start()

    def stop(self) -> None:
        self.haproxy.stop()
        for server in self.servers:
            server.stop()
        self.redis.stop()

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.haproxy.port}/v1/realtime"

    def owner_of(self, text: str) -> list[str]:
        """The processes whose log has `text`."""
        return [s.name for s in self.servers if s.logged(text)]

    def all_ready(self) -> bool:
        return all(status(f"{s.url}/readyz") == 200 for s in self.servers)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    running = Cluster(tmp_path_factory.mktemp("cluster"))
    try:
        yield running
    finally:
        running.stop()


async def post(url: str, **kwargs: Any) -> httpx.Response:
    async with httpx.AsyncClient(timeout=15) as client:
        return await client.post(url, **kwargs)


async def mint(base: str) -> str:
    reply = await post(f"{base}/v1/realtime/client_secrets", headers=AUTH, json={})
    assert reply.status_code == 200, reply.text
    return str(reply.json()["value"])


async def open_session(url: str, key: str = KEY) -> Any:
    ws = await websockets.connect(url, additional_headers={"Authorization": f"Bearer {key}"})
    assert json.loads(await ws.recv())["type"] == "session.created"
    return ws


async def instructions_of(ws: Any, text: str) -> None:
    await ws.send(json.dumps(update(text)))
    while (event := json.loads(await ws.recv()))["type"] != "session.updated":
        pass
    assert event["session"]["instructions"] == text


def test_every_key_works_on_every_later_connection(cluster: Cluster) -> None:
    failures: list[str] = []

    async def script() -> None:
        for _ in range(100):
            key = await mint(cluster.haproxy.url)
            try:
                ws = await open_session(cluster.ws, key)
                await ws.close()
            except Exception as exc:
                failures.append(repr(exc))

    run(script, 120)
    assert failures == [], f"{len(failures)} of 100 keys failed: {failures[:3]}"


async def one_call(cluster: Cluster, n: int, through_balancer: bool = False) -> dict[str, Any]:
    """A call made through the balancer, then a sideband socket and a hangup: through the
    balancer too, or straight to the two processes that do not hold the call."""

    def elsewhere(call_id: str, which: int) -> str:
        if through_balancer:
            return cluster.haproxy.url
        owner = cluster.owner_of(f"call {call_id} opened")
        assert len(owner) == 1
        others = [s for s in cluster.servers if s.name != owner[0]]
        return others[(n + which) % 2].url

    result = await call_with_sideband(cluster.haproxy.url, elsewhere, n)
    result["owner"] = cluster.owner_of(f"call {result['id']} opened")[0]
    return result


async def call_with_sideband(
    call_at: str, elsewhere: Callable[[str, int], str], n: int
) -> dict[str, Any]:
    """A WebRTC call posted to `call_at`; its sideband socket at `elsewhere(id, 0)`, which
    sends five updates and sees them come back in order, as the peer does; then a hangup
    at `elsewhere(id, 1)`."""
    rtc = RtcClient()
    try:
        reply = await post(
            f"{call_at}/v1/realtime/calls",
            content=await rtc.offer(),
            headers={**AUTH, "Content-Type": "application/sdp"},
        )
        assert reply.status_code == 201, reply.text
        call_id = reply.headers["location"].rsplit("/", 1)[1]
        await rtc.accept(reply.text)
        await rtc.wait_for("session.created", 15)
        sideband = await websockets.connect(
            f"{elsewhere(call_id, 0).replace('http', 'ws')}/v1/realtime?call_id={call_id}",
            additional_headers={"Authorization": f"Bearer {KEY}"},
        )
        texts = [f"call {n} relay {i}" for i in range(5)]
        for text in texts:  # up: the sideband's events drive the call
            await sideband.send(json.dumps(update(text)))
        seen_down = []
        while len(seen_down) < len(texts):  # down: the call's events reach the sideband
            event = json.loads(await asyncio.wait_for(sideband.recv(), 10))
            if event["type"] == "session.updated":
                seen_down.append(event["session"]["instructions"])
        await until(lambda: len(updates(rtc.events)) == len(texts), 5, "the data channel")
        rtc.send(update("from the peer"))
        while (event := json.loads(await asyncio.wait_for(sideband.recv(), 10)))["type"] != (
            "session.updated"
        ):
            pass
        hangup_at = elsewhere(call_id, 1)
        hangup = await post(f"{hangup_at}/v1/realtime/calls/{call_id}/hangup", headers=AUTH)
        with pytest.raises(websockets.ConnectionClosed):
            while True:
                await asyncio.wait_for(sideband.recv(), 10)
        return {
            "id": call_id,
            "in_order": seen_down == texts and updates(rtc.events) == [*texts, "from the peer"],
            "peer_event": event["session"]["instructions"] == "from the peer",
            "hangup": hangup.status_code,
            "sideband_close": (sideband.close_code, sideband.close_reason),
        }
    finally:
        await rtc.close()


async def until(condition: Callable[[], bool], within_s: float, what: str) -> None:
    """`wait_until` for a coroutine: the loop runs while it waits."""
    deadline = time.monotonic() + within_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


def update(text: str) -> dict[str, Any]:
    return {"type": "session.update", "session": {"type": "realtime", "instructions": text}}


def updates(events: list[dict[str, Any]]) -> list[str]:
    return [e["session"]["instructions"] for e in events if e["type"] == "session.updated"]


def test_calls_get_a_sideband_and_a_hangup_on_other_processes(cluster: Cluster) -> None:
    results: list[dict[str, Any]] = []

    async def script() -> None:
        for n in range(CALLS):
            results.append(await one_call(cluster, n))

    started = time.monotonic()
    run(script, 30 + 10 * CALLS)
    elapsed = time.monotonic() - started
    owners = set()
    for result in results:
        assert result["in_order"] and result["peer_event"], result
        assert (result["hangup"], result["sideband_close"]) == (200, (1000, "call ended")), result
        call_id, owner = result["id"], result["owner"]
        attached = cluster.owner_of(f"sideband attached to call {call_id}")
        hangup_path = f"/v1/realtime/calls/{call_id}/hangup"
        wait_until(lambda path=hangup_path: len(cluster.owner_of(path)) == 1, 5, "the log")
        hung_up = cluster.owner_of(hangup_path)
        assert len(attached) == len(hung_up) == 1 and owner not in attached + hung_up
        owners.add(owner)
    print(f"{CALLS} calls, each relayed from two other processes, in {elapsed:.1f} s")
    assert owners == {"s0", "s1", "s2"}, "the balancer spread the calls"


def test_redis_stopped_and_restarted_mid_run(cluster: Cluster) -> None:
    direct = cluster.servers[0]

    async def script() -> None:
        ws = await open_session(f"ws://127.0.0.1:{direct.port}/v1/realtime")
        cluster.redis.stop()
        started = time.monotonic()
        refused = await post(f"{direct.url}/v1/realtime/client_secrets", headers=AUTH, json={})
        assert time.monotonic() - started < 5, "a refusal, not a hang"
        assert refused.status_code == 503
        assert refused.json()["error"]["code"] == "service_unavailable"
        assert status(f"{direct.url}/readyz") == 503
        assert status(f"{direct.url}/healthz") == 200
        await instructions_of(ws, "still here without Redis")  # the open session goes on
        cluster.redis.start()
        await until(cluster.all_ready, 15, "every process ready again")
        await asyncio.sleep(1)  # two health checks bring them back into the balancer
        await instructions_of(ws, "still here after")
        await ws.close()
        key = await mint(cluster.haproxy.url)
        again = await open_session(cluster.ws, key)
        await again.close()
        result = await one_call(cluster, 99, through_balancer=True)
        assert result["in_order"] and result["hangup"] == 200

    run(script, 90)


def test_a_process_killed_mid_call_loses_only_its_own(cluster: Cluster) -> None:
    store = redis.Redis(unix_socket_path=str(cluster.redis.socket), decode_responses=True)

    async def script() -> None:
        rtc = RtcClient()
        victim: ServeProcess | None = None
        others: list[Any] = []
        try:
            reply = await post(
                f"{cluster.haproxy.url}/v1/realtime/calls",
                content=await rtc.offer(),
                headers={**AUTH, "Content-Type": "application/sdp"},
            )
            call_id = reply.headers["location"].rsplit("/", 1)[1]
            await rtc.accept(reply.text)
            await rtc.wait_for("session.created", 15)
            name = cluster.owner_of(f"call {call_id} opened")[0]
            victim = next(s for s in cluster.servers if s.name == name)
            for server in cluster.servers:
                if server is not victim:
                    others.append(await open_session(f"ws://127.0.0.1:{server.port}/v1/realtime"))
            assert store.get(f"realtime-sdk:call:{call_id}") is not None
            victim.signal(signal.SIGKILL)
            victim.wait(10)
            killed_at = time.monotonic()
            await until(
                lambda: store.get(f"realtime-sdk:call:{call_id}") is None, CALL_TTL_S + 2, "TTL"
            )
            forgotten_s = time.monotonic() - killed_at
            for n, ws in enumerate(others):
                await instructions_of(ws, f"unaffected {n}")
            missing = await post(
                f"{cluster.haproxy.url}/v1/realtime/calls/{call_id}/hangup", headers=AUTH
            )
            assert missing.status_code == 404
            for _ in range(6):  # the balancer sends new sessions to the living
                await (await open_session(cluster.ws)).close()
            print(f"the dead process's call left the directory {forgotten_s:.1f} s after the kill")
            assert forgotten_s <= CALL_TTL_S + 1.0  # Redis expires it at the TTL; polling adds
        finally:
            for ws in others:
                await ws.close()
            await rtc.close()
            if victim is not None:
                victim.start()

    run(script, 120)
    store.close()


def test_sigterm_drains_live_sessions(cluster: Cluster) -> None:
    target = cluster.servers[1]
    url = f"ws://127.0.0.1:{target.port}/v1/realtime"

    async def script() -> None:
        sessions = [await open_session(url) for _ in range(20)]
        target.signal(signal.SIGTERM)
        started = time.monotonic()
        await until(lambda: status(f"{target.url}/readyz") == 503, 5, "readyz to flip")
        with pytest.raises(websockets.InvalidStatus) as refused:
            await websockets.connect(url, additional_headers={"Authorization": f"Bearer {KEY}"})
        assert refused.value.response.status_code == 503
        await asyncio.sleep(1)  # a health check or two
        for _ in range(6):  # the balancer sends new sessions elsewhere
            ws = await open_session(cluster.ws)
            await ws.close()
        for ws in sessions[:10]:  # these finish in time
            await instructions_of(ws, "finishing")
            await ws.close()
        closes = []
        for ws in sessions[10:]:
            with pytest.raises(websockets.ConnectionClosed):
                while True:
                    await asyncio.wait_for(ws.recv(), 10)
            closes.append((ws.close_code, ws.close_reason))
        assert closes == [(1001, "server shutting down; connect again")] * 10
        assert 3.5 < time.monotonic() - started < 8
        assert target.wait(20) in (0, -signal.SIGTERM)

    try:
        run(script, 60)
    finally:
        target.start()


def test_workers_share_keys_and_calls_through_the_embedded_server(tmp_path: Path) -> None:
    """`serve --workers 2` with no URL: the same checks against its own Valkey server."""
    env = {"REALTIME_SDK_REDIS_URL": ""}
    server = ServeProcess(tmp_path, "workers", "--workers", "2", env=env).start()
    failures: list[str] = []
    results: list[dict[str, Any]] = []

    async def script() -> None:
        for _ in range(100):
            key = await mint(server.url)
            try:
                await (await open_session(f"ws://127.0.0.1:{server.port}/v1/realtime", key)).close()
            except Exception as exc:
                failures.append(repr(exc))
        for n in range(8):
            results.append(await call_with_sideband(server.url, lambda _id, _n: server.url, n))

    try:
        run(script, 120)
        assert server.logged("embedded Valkey server for the workers at unix://")
    finally:
        server.stop()
    assert failures == [], f"{len(failures)} of 100 keys failed: {failures[:3]}"
    for result in results:
        assert result["in_order"] and result["peer_event"], result
        assert (result["hangup"], result["sideband_close"]) == (200, (1000, "call ended")), result
    socket = (
        server.log.read_text()
        .split("embedded Valkey server for the workers at unix://")[1]
        .split()[0]
    )
    assert not Path(socket).exists(), "the embedded server stopped with the service"
