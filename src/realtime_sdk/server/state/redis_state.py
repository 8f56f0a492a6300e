"""Shared state in Redis (or Valkey), for the processes of one service on one machine or
many: keys with their TTL, the call directory, and the relay between processes.

- an `ek_` key is one string, `<prefix>key:<sha256 of the key>`, expiring with the key;
- a call is `<prefix>call:<id>` = the id of the process holding it, written with a TTL
  (`call_ttl_s`) and rewritten by a heartbeat while the call lives, deleted when it ends:
  a process that dies takes its calls out of the directory within the TTL;
- sideband sockets and hangups travel over pub/sub (`redis_relay`).

Every command is bounded by `timeout_s`; a failure is `StateUnavailable`, which the
routes turn into a 503, while sessions already open go on. The connection comes back
by itself when Redis does (redis-py reconnects; the relay resubscribes).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid

from redis.asyncio import Redis

from .base import CallLink, LocalCall, StateUnavailable
from .memory import MemoryCalls
from .redis_relay import CALL_GONE, Relay

log = logging.getLogger("realtime_sdk.server.state")

PREFIX = "realtime-sdk:"
CALL_TTL_S = 15.0
TIMEOUT_S = 2.0
HANGUP_WAIT_S = 10.0


class RedisKeys:
    """Key records as Redis strings that expire with their key."""

    def __init__(self, state: RedisState) -> None:
        self.state = state

    async def put(self, digest: str, record: str, expires_at: int) -> None:
        key = f"{self.state.prefix}key:{digest}"
        await self.state.relay.call(self.state.redis.set(key, record, exat=expires_at))

    async def get(self, digest: str) -> str | None:
        key = f"{self.state.prefix}key:{digest}"
        found = await self.state.relay.call(self.state.redis.get(key))
        return None if found is None else str(found)


class RedisCalls(MemoryCalls):
    """The calls of every process: this one's in memory, where each call runs in Redis."""

    def __init__(self, state: RedisState) -> None:
        super().__init__()
        self.state = state

    def _entry(self, call_id: str) -> str:
        return f"{self.state.prefix}call:{call_id}"

    async def add(self, call_id: str, call: LocalCall) -> None:
        await super().add(call_id, call)
        await self.state.start()
        state = self.state
        await state.relay.call(state.redis.set(self._entry(call_id), state.node, px=state.ttl_ms))

    async def remove(self, call_id: str) -> None:
        await super().remove(call_id)
        await self.state.relay.call(self.state.redis.delete(self._entry(call_id)))

    async def owner(self, call_id: str) -> str | None:
        found = await self.state.relay.call(self.state.redis.get(self._entry(call_id)))
        return None if found is None or found == self.state.node else str(found)

    async def attach(self, call_id: str) -> CallLink | None:
        if (here := await super().attach(call_id)) is not None:
            return here
        await self.state.start()
        owner = await self.owner(call_id)
        return None if owner is None else await self.state.relay.attach(call_id, owner)

    async def hangup(self, call_id: str) -> bool:
        if await super().hangup(call_id):
            return True
        await self.state.start()
        owner = await self.owner(call_id)
        if owner is None:
            return False
        if await self.state.relay.hangup(call_id, owner, HANGUP_WAIT_S):
            return True
        # its process no longer listens (it died): the entry goes now, not at its TTL
        await self.state.relay.call(self.state.redis.delete(self._entry(call_id)))
        return False

    async def refresh(self) -> None:
        """Rewrite this process's entries; end links to calls no process holds now."""
        state = self.state
        links = list(state.relay.links.values())
        async with state.redis.pipeline(transaction=False) as pipe:
            for call_id in self.local_ids():
                pipe.set(self._entry(call_id), state.node, px=state.ttl_ms)
            for link in links:
                pipe.get(self._entry(link.call_id))
            results = await state.relay.call(pipe.execute())
        for link, owner in zip(links, results[len(results) - len(links) :], strict=True):
            if owner != link.owner:
                link.finish(CALL_GONE)


class RedisState:
    """Keys and calls shared through Redis by every process given the same URL."""

    def __init__(
        self,
        url: str,
        *,
        prefix: str = PREFIX,
        call_ttl_s: float = CALL_TTL_S,
        timeout_s: float = TIMEOUT_S,
    ) -> None:
        self.url = url
        self.prefix = prefix
        self.node = uuid.uuid4().hex  # this process, as the call directory names it
        self.ttl_ms = int(call_ttl_s * 1000)
        self.timeout_s = timeout_s
        self.redis: Redis = Redis.from_url(
            url,
            socket_timeout=timeout_s,
            socket_connect_timeout=timeout_s,
            decode_responses=True,
        )
        self._calls = RedisCalls(self)
        self._keys = RedisKeys(self)
        self.relay = Relay(self.redis, prefix, self.node, self._calls.local, timeout_s)
        self.relay.on_connect = self._calls.refresh  # Redis back (maybe empty): calls again
        self._heartbeat: asyncio.Task[None] | None = None

    @property
    def keys(self) -> RedisKeys:
        return self._keys

    @property
    def calls(self) -> RedisCalls:
        return self._calls

    async def start(self) -> None:
        if self._heartbeat is None:
            self.relay.start()
            self._heartbeat = asyncio.create_task(self._beat(), name="shared-state-heartbeat")

    async def close(self) -> None:
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            await asyncio.gather(self._heartbeat, return_exceptions=True)
            self._heartbeat = None
        await self.relay.close()
        with contextlib.suppress(Exception):
            await self.redis.aclose()

    async def reachable(self) -> bool:
        await self.start()
        try:
            await self.relay.call(self.redis.ping())
        except StateUnavailable:
            return False
        return self.relay.healthy

    async def _beat(self) -> None:
        """Keep this process's calls in the directory, a third of their TTL apart."""
        while True:
            await asyncio.sleep(self.ttl_ms / 3000)
            try:
                await self._calls.refresh()
            except StateUnavailable as exc:
                log.warning("call heartbeat failed: %s", exc)
