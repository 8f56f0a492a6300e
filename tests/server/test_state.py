"""The shared state's contract, in memory and in a real redis-server: keys, the call
directory, links to a call held by another process (two RedisStates in one loop stand
for two processes: each has its own node id, connection and inbox), and a Redis outage."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.redis_server import RedisServer

from realtime_sdk.server.state.base import CLOSE_NORMAL, CallLink, LinkEnd, StateUnavailable
from realtime_sdk.server.state.memory import MemoryState
from realtime_sdk.server.state.redis_state import RedisState


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


class Call:
    """A live call as a protocol's registry offers it: events out, frames in."""

    def __init__(self) -> None:
        self.links: list[Link] = []
        self.received: list[str | bytes] = []
        self.hung_up = False

    def link(self) -> CallLink:
        link = Link(self)
        self.links.append(link)
        return link

    async def hangup(self) -> None:
        self.hung_up = True
        for link in self.links:
            link.queue.put_nowait(None)

    def emit(self, text: str) -> None:
        for link in self.links:
            link.queue.put_nowait(text)


class Link:
    def __init__(self, call: Call) -> None:
        self.call = call
        self.queue: asyncio.Queue[str | None] = asyncio.Queue()

    async def next(self) -> str | None:
        return await self.queue.get()

    async def send(self, frame: str | bytes) -> None:
        self.call.received.append(frame)

    async def close(self) -> None:
        self.call.links.remove(self)

    @property
    def end(self) -> LinkEnd:
        return LinkEnd(CLOSE_NORMAL, "call ended")


async def until(condition: object, within_s: float = 5.0) -> None:
    deadline = time.monotonic() + within_s
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


def run(coro: object) -> None:
    asyncio.run(coro)  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", ["memory", "redis"])
def test_key_records(kind: str, redis_server: RedisServer) -> None:
    async def check() -> None:
        state = MemoryState() if kind == "memory" else RedisState(redis_server.url)
        expires = int(time.time()) + 60
        await state.keys.put("d1", '{"a": 1}', expires)
        assert await state.keys.get("d1") == '{"a": 1}'
        assert await state.keys.get("d2") is None
        await state.close()

    run(check())


def test_a_key_written_by_one_process_is_read_by_another_until_it_expires(
    redis_server: RedisServer,
) -> None:
    async def check() -> None:
        one, two = RedisState(redis_server.url), RedisState(redis_server.url)
        await one.keys.put("k", "record", int(time.time()) + 1)
        assert await two.keys.get("k") == "record"
        await asyncio.sleep(2.1)
        assert await two.keys.get("k") is None  # gone from Redis with its key
        await one.close()
        await two.close()

    run(check())


def test_link_and_hangup_across_processes(redis_server: RedisServer) -> None:
    async def check() -> None:
        here, there = (RedisState(redis_server.url) for _ in range(2))
        call = Call()
        await here.calls.add("rtc_1", call)
        link = await there.calls.attach("rtc_1")
        assert link is not None and call.links, "attached in the process holding the call"
        for i in range(50):
            call.emit(f"event {i}")
        assert [await link.next() for _ in range(50)] == [f"event {i}" for i in range(50)]
        for i in range(50):
            await link.send(f"frame {i}")
        await link.send(b"\x00binary")
        await until(lambda: len(call.received) == 51)
        assert call.received == [*(f"frame {i}" for i in range(50)), b"\x00binary"]
        assert await there.calls.attach("rtc_unknown") is None
        assert await there.calls.hangup("rtc_1") is True
        assert call.hung_up
        assert await link.next() is None
        assert link.end == LinkEnd(CLOSE_NORMAL, "call ended")
        await link.close()
        await here.calls.remove("rtc_1")
        assert await there.calls.hangup("rtc_1") is False
        await here.close()
        await there.close()

    run(check())


def test_a_dead_process_leaves_the_directory_within_its_ttl(redis_server: RedisServer) -> None:
    async def check() -> None:
        here = RedisState(redis_server.url, call_ttl_s=1.5)
        there = RedisState(redis_server.url, call_ttl_s=1.5)
        await here.start()
        call = Call()
        await here.calls.add("rtc_dies", call)
        link = await there.calls.attach("rtc_dies")
        assert link is not None
        await asyncio.sleep(2)  # the heartbeat keeps a live call past its TTL
        assert await there.calls.owner("rtc_dies") == here.node
        await here.close()  # "dies": no removal, no more heartbeats, no inbox
        started = time.monotonic()
        await until(lambda: link.end.reason == "the call's process is gone", 5)
        assert await link.next() is None
        assert await there.calls.owner("rtc_dies") is None
        assert time.monotonic() - started < 1.5 + 2.0  # the TTL, then a heartbeat of `there`
        assert await there.calls.hangup("rtc_dies") is False
        await there.close()

    run(check())


def test_redis_outage_fails_clearly_and_recovers(tmp_path: Path) -> None:
    server = RedisServer(tmp_path).start()

    async def check() -> None:
        here, there = (RedisState(server.url, timeout_s=0.5) for _ in range(2))
        call = Call()
        await here.calls.add("rtc_2", call)
        link = await there.calls.attach("rtc_2")
        assert link is not None
        server.stop()
        started = time.monotonic()
        with pytest.raises(StateUnavailable):
            await there.keys.put("k", "v", int(time.time()) + 60)
        assert not await there.reachable()
        assert await link.next() is None, "the link ends with the relay"
        assert link.end.code == 1011
        assert time.monotonic() - started < 3, "nothing waits longer than its timeout"
        server.start()
        await until(lambda: here.relay.healthy and there.relay.healthy, 10)
        assert await there.reachable()
        await there.keys.put("k", "v", int(time.time()) + 60)
        # Redis came back empty: the relay's reconnection writes the call again at once,
        # not at the next heartbeat (a third of the 15 s TTL away)
        written_at = time.monotonic()
        while await there.calls.owner("rtc_2") != here.node:
            assert time.monotonic() - written_at < 2
            await asyncio.sleep(0.02)
        again = await there.calls.attach("rtc_2")
        assert again is not None
        call.emit("after the outage")
        assert await again.next() == "after the outage"
        await again.close()
        await here.close()
        await there.close()

    try:
        run(check())
    finally:
        server.stop()


def test_a_redis_that_stops_answering_is_waited_for_no_longer_than_the_timeout(
    tmp_path: Path,
) -> None:
    server = RedisServer(tmp_path).start()
    assert server.process is not None

    async def check() -> None:
        state = RedisState(server.url, timeout_s=0.5)
        await state.keys.put("k", "v", int(time.time()) + 60)
        server.process.send_signal(signal.SIGSTOP)  # up, connected, silent
        try:
            for call in (state.keys.get("k"), state.calls.attach("rtc_x"), state.reachable()):
                started = time.monotonic()
                with contextlib.suppress(StateUnavailable):
                    assert not await call  # reachable() says False; the others raise
                assert time.monotonic() - started < 1.5
        finally:
            server.process.send_signal(signal.SIGCONT)
        await until(lambda: state.relay.healthy, 10)
        assert await state.keys.get("k") == "v"
        await state.close()

    try:
        run(check())
    finally:
        server.stop()
