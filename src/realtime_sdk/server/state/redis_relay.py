"""Links between processes over Redis pub/sub: a sideband socket or a hangup that
arrives at one process reaches the call another process holds.

Each process listens on its inbox channel (`<prefix>node:<id>`). Another process sends
it `attach`, `up` (a client frame), `detach` and `hangup` there; the events of an
attached call come back on the link's own channel (`<prefix>link:<id>`), then `end`.
Each direction is published by one task, one message after the other, so both stay in
order. Pub/sub keeps nothing: when the connection to Redis drops, every link ends (its
socket is closed with 1011 and a reason) instead of silently missing events.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

from .base import CLOSE_LAGGING, CallLink, LinkEnd, LocalCall, StateUnavailable

log = logging.getLogger("realtime_sdk.server.state")

RELAY_LOST = LinkEnd(CLOSE_LAGGING, "relay to the call's process lost")
CALL_GONE = LinkEnd(CLOSE_LAGGING, "the call's process is gone")
_UP_BACKLOG = 1024  # client frames a served link may hold before it is dropped
_FAILURES = (RedisError, OSError, TimeoutError)


def _frame(message: dict[str, Any]) -> str | bytes:
    if "bin" in message:
        return base64.b64decode(message["bin"])
    return str(message["text"])


class RemoteLink(CallLink):
    """This process's end of a link to a call held by another process."""

    def __init__(self, relay: Relay, call_id: str, owner: str, link_id: str) -> None:
        self.relay = relay
        self.call_id = call_id
        self.owner = owner
        self.id = link_id
        self.inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._end: LinkEnd | None = None

    async def next(self) -> str | None:
        if self._end is not None and self.inbox.empty():
            return None
        message = await self.inbox.get()
        if message.get("op") == "event":
            return str(message["text"])
        self._end = self._end or LinkEnd(int(message["code"]), str(message["reason"]))
        return None

    async def send(self, frame: str | bytes) -> None:
        body: dict[str, Any] = {"op": "up", "link": self.id}
        if isinstance(frame, bytes):
            body["bin"] = base64.b64encode(frame).decode()
        else:
            body["text"] = frame
        if not await self.relay.publish_to(self.owner, body):
            self.finish(CALL_GONE)

    async def close(self) -> None:
        if self.relay.links.pop(self.id, None) is not None:
            with contextlib.suppress(StateUnavailable):
                await self.relay.publish_to(self.owner, {"op": "detach", "link": self.id})
        await self.relay.unsubscribe(self.relay.link_channel(self.id))

    def finish(self, end: LinkEnd) -> None:
        """End the link from this side (the relay or the call's process is gone)."""
        if self._end is None:
            self._end = end
            self.inbox.put_nowait({"op": "end", "code": end.code, "reason": end.reason})

    @property
    def end(self) -> LinkEnd:
        return self._end or RELAY_LOST


class _Served:
    """A link this process serves for another one: the call's events published out, the
    other side's frames injected in, each by its own task."""

    def __init__(self, relay: Relay, link_id: str, link: CallLink) -> None:
        self.relay = relay
        self.id = link_id
        self.link = link
        self.up: asyncio.Queue[str | bytes] = asyncio.Queue(_UP_BACKLOG)
        self.answered = asyncio.Event()  # events go out only after the `attached` answer
        self.tasks = [asyncio.create_task(self._down()), asyncio.create_task(self._up())]

    async def _down(self) -> None:
        channel = self.relay.link_channel(self.id)
        try:
            await self.answered.wait()
            while (text := await self.link.next()) is not None:
                await self.relay.publish(channel, {"op": "event", "text": text})
            end = self.link.end
            await self.relay.publish(channel, {"op": "end", "code": end.code, "reason": end.reason})
        except StateUnavailable:
            pass  # the other side's link ends with the relay
        finally:
            await self.stop()

    async def _up(self) -> None:
        while True:
            await self.link.send(await self.up.get())

    async def stop(self) -> None:
        if self.relay.served.pop(self.id, None) is None:
            return
        current = asyncio.current_task()
        for task in self.tasks:
            if task is not current:
                task.cancel()
        await self.link.close()


class Relay:
    """This process's inbox and links, over one pub/sub connection it keeps up."""

    def __init__(
        self,
        redis: Redis,
        prefix: str,
        node: str,
        local: Callable[[str], LocalCall | None],
        timeout_s: float,
    ) -> None:
        self.redis = redis
        self.prefix = prefix
        self.node = node
        self.local = local  # this process's call by id
        self.timeout_s = timeout_s
        self.links: dict[str, RemoteLink] = {}
        self.served: dict[str, _Served] = {}
        self.healthy = False
        self._up = asyncio.Event()  # set while subscribed to the inbox
        self._pubsub: PubSub | None = None
        self._waiting: dict[str, asyncio.Queue[dict[str, Any]]] = {}
        self._confirmed: dict[str, asyncio.Event] = {}
        self._task: asyncio.Task[None] | None = None
        self._jobs: set[asyncio.Task[None]] = set()
        # run on each (re)connection: the directory rewrites this process's calls at once
        self.on_connect: Callable[[], Awaitable[None]] | None = None

    def _spawn(self, work: Awaitable[None]) -> None:
        """Run a command's work beside the listening loop, which must not wait on it."""
        task = asyncio.ensure_future(work)
        self._jobs.add(task)
        task.add_done_callback(self._jobs.discard)

    def inbox(self, node: str) -> str:
        return f"{self.prefix}node:{node}"

    def link_channel(self, link_id: str) -> str:
        return f"{self.prefix}link:{link_id}"

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._listen(), name="shared-state-relay")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        self._lost()
        await asyncio.gather(*self._jobs, return_exceptions=True)
        if self._pubsub is not None:
            with contextlib.suppress(*_FAILURES):
                await self._pubsub.aclose()

    # -- sending -----------------------------------------------------------------------
    async def call(self, what: Awaitable[Any]) -> Any:
        """One Redis command, bounded in time; any failure is StateUnavailable."""
        try:
            async with asyncio.timeout(self.timeout_s):
                return await what
        except _FAILURES as exc:
            raise StateUnavailable(f"Redis: {exc or type(exc).__name__}") from None

    async def publish(self, channel: str, message: dict[str, Any]) -> int:
        """Publish; how many processes listened."""
        return int(await self.call(self.redis.publish(channel, json.dumps(message))))

    async def publish_to(self, node: str, message: dict[str, Any]) -> bool:
        """Send to a process's inbox; False when that process no longer listens."""
        return await self.publish(self.inbox(node), message) > 0

    # -- asking another process ---------------------------------------------------------
    async def attach(self, call_id: str, owner: str) -> CallLink | None:
        """A link to `call_id` held by `owner`; None if it no longer has it."""
        link = RemoteLink(self, call_id, owner, uuid.uuid4().hex)
        await self.subscribe(self.link_channel(link.id), link.inbox)
        self.links[link.id] = link
        try:
            asked = {"op": "attach", "call": call_id, "link": link.id}
            if not await self.publish_to(owner, asked):
                raise LookupError
            async with asyncio.timeout(self.timeout_s):
                answer = await link.inbox.get()
            if answer.get("op") != "attached":
                raise LookupError
        except (LookupError, TimeoutError, StateUnavailable) as exc:
            self.links.pop(link.id, None)
            await self.unsubscribe(self.link_channel(link.id))
            if isinstance(exc, StateUnavailable):
                raise
            return None
        return link

    async def hangup(self, call_id: str, owner: str, wait_s: float) -> bool:
        """Ask `owner` to end the call and wait until it has; False if it had no such call."""
        reply = f"{self.prefix}reply:{uuid.uuid4().hex}"
        async with self._replies(reply) as answers:
            if not await self.publish_to(owner, {"op": "hangup", "call": call_id, "reply": reply}):
                return False
            try:
                async with asyncio.timeout(wait_s):
                    return bool((await answers.get()).get("found"))
            except TimeoutError:
                raise StateUnavailable(f"no answer from the process holding {call_id}") from None

    @contextlib.asynccontextmanager
    async def _replies(self, channel: str) -> AsyncIterator[asyncio.Queue[dict[str, Any]]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        await self.subscribe(channel, queue)
        try:
            yield queue
        finally:
            await self.unsubscribe(channel)

    # -- subscriptions -----------------------------------------------------------------
    async def subscribe(self, channel: str, queue: asyncio.Queue[dict[str, Any]]) -> None:
        """Deliver the channel's messages to `queue` once Redis confirms the subscription."""
        pubsub = await self._connected()
        confirmed = self._confirmed[channel] = asyncio.Event()
        self._waiting[channel] = queue
        try:
            await self.call(pubsub.subscribe(channel))
            async with asyncio.timeout(self.timeout_s):
                await confirmed.wait()
        except (TimeoutError, StateUnavailable):
            self._waiting.pop(channel, None)
            raise StateUnavailable("Redis did not confirm a subscription") from None
        finally:
            self._confirmed.pop(channel, None)

    async def unsubscribe(self, channel: str) -> None:
        self._waiting.pop(channel, None)
        if self._pubsub is not None and self.healthy:
            with contextlib.suppress(StateUnavailable):
                await self.call(self._pubsub.unsubscribe(channel))

    async def _connected(self) -> PubSub:
        """The pub/sub connection, waited for a while after a start or a loss."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.timeout_s):
                await self._up.wait()
        if self._pubsub is None or not self.healthy:
            raise StateUnavailable("the relay is not connected to Redis")
        return self._pubsub

    # -- the listening loop ------------------------------------------------------------
    async def _listen(self) -> None:
        """Keep a subscription to the inbox, reconnecting after a loss; dispatch."""
        while True:
            pubsub = self.redis.pubsub()
            try:
                async with asyncio.timeout(self.timeout_s):
                    await pubsub.subscribe(self.inbox(self.node))
                self._pubsub = pubsub
                self.healthy = True
                self._up.set()
                log.info("relay listening as %s", self.node)
                if self.on_connect is not None:
                    self._spawn(self._quietly(self.on_connect))
                while True:
                    message = await pubsub.get_message(timeout=1.0)
                    if message is not None:
                        self._dispatch(message)
            except _FAILURES as exc:
                if self.healthy:
                    log.warning("relay lost Redis (%s); retrying", exc or type(exc).__name__)
                self._lost()
                with contextlib.suppress(*_FAILURES):
                    await pubsub.aclose()
                await asyncio.sleep(0.5)

    async def _quietly(self, work: Callable[[], Awaitable[None]]) -> None:
        try:
            await work()
        except StateUnavailable as exc:
            log.warning("after reconnecting: %s", exc)

    def _lost(self) -> None:
        """Redis dropped: every link ends (its socket is told), nothing is half-sent."""
        self.healthy = False
        self._up.clear()
        self._pubsub = None
        self._waiting.clear()
        for link in list(self.links.values()):
            link.finish(RELAY_LOST)
        self.links.clear()
        for served in list(self.served.values()):
            self._spawn(served.stop())

    def _dispatch(self, message: dict[str, Any]) -> None:
        channel = str(message.get("channel"))
        if message["type"] == "subscribe":
            if (confirmed := self._confirmed.get(channel)) is not None:
                confirmed.set()
            return
        if message["type"] != "message":
            return
        body = json.loads(message["data"])
        if channel == self.inbox(self.node):
            self._command(body)
        elif (queue := self._waiting.get(channel)) is not None:
            queue.put_nowait(body)

    def _command(self, body: dict[str, Any]) -> None:
        op = body.get("op")
        if op == "up" and (served := self.served.get(body["link"])) is not None:
            try:
                served.up.put_nowait(_frame(body))
            except asyncio.QueueFull:
                self._spawn(served.stop())
        elif op == "attach":
            self._spawn(self._serve(str(body["call"]), str(body["link"])))
        elif op == "detach" and (served := self.served.get(body["link"])) is not None:
            self._spawn(served.stop())
        elif op == "hangup":
            self._spawn(self._hangup(str(body["call"]), str(body["reply"])))

    async def _serve(self, call_id: str, link_id: str) -> None:
        call = self.local(call_id)
        channel = self.link_channel(link_id)
        with contextlib.suppress(StateUnavailable):
            if call is None:
                reason = f"call {call_id} is not here"
                await self.publish(channel, {"op": "end", "code": 1000, "reason": reason})
                return
            # listening before the answer, so no event sent after it is missed
            served = self.served[link_id] = _Served(self, link_id, call.link())
            try:
                await self.publish(channel, {"op": "attached"})
            finally:
                served.answered.set()

    async def _hangup(self, call_id: str, reply: str) -> None:
        call = self.local(call_id)
        if call is not None:
            await call.hangup()
        with contextlib.suppress(StateUnavailable):
            await self.publish(reply, {"op": "hungup", "found": call is not None})
