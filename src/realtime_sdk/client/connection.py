"""A typed realtime connection: generated resources to send, lenient parsing to receive.

`conn.session.update(...)`, `conn.conversation.item.create(...)` and the rest come
from the generated client stub. Received events are parsed leniently (a new event
type never breaks the client), folded into `conn.state`, handed to callbacks, and
yielded by `async for event in conn`.
"""

from __future__ import annotations

import asyncio
import inspect
import json
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from pydantic import BaseModel

from .._generated import beta, ga
from .._generated._runtime import to_json
from .._generated.ga import AsyncClientResources
from ..audio import AudioFormat, Int16Array, WireEncoder, b64decode_audio, b64encode_audio, decode
from .state import ConversationState
from .tools import Tool, tool_from_function

Callback = Callable[[Any], Any]
AUDIO_DELTAS = ("response.output_audio.delta", "response.audio.delta")
APPEND_CHUNK_BYTES = 512 * 1024


class ClientTransport(Protocol):
    on_reconnect: Callable[[], Awaitable[None]] | None

    async def recv(self) -> str | bytes | None: ...

    async def send(self, text: str) -> None: ...

    async def close(self) -> None: ...


class ConnectionClosedError(ConnectionError):
    """The connection ended while something was still expected from it."""


@dataclass
class Reply:
    """One finished response: its final event, and what it said."""

    done: Any
    text: str
    transcript: str
    audio: Int16Array
    audio_rate: int


class RealtimeConnection(AsyncClientResources):
    def __init__(self, transport: ClientTransport, *, dialect: str = "ga") -> None:
        self.transport = transport
        self.dialect = dialect
        self.state = ConversationState()
        self._parse = beta.parse_server_event if dialect == "beta" else ga.parse_server_event
        self._callbacks: dict[str, list[Callback]] = defaultdict(list)
        self._tools: dict[str, Tool] = {}
        self._encoders: dict[int, WireEncoder] = {}
        self._last_session_update: str | None = None
        self._closed = False
        transport.on_reconnect = self._resume

    # -- sending ----------------------------------------------------------------
    async def send(self, event: Any) -> None:
        """Send a client event: a generated model, or a plain dict."""
        text = to_json(event) if isinstance(event, BaseModel) else json.dumps(event)
        if '"session.update"' in text[:64]:
            self._last_session_update = text
        await self.transport.send(text)

    async def _resume(self) -> None:
        """After a reconnect: the new server session gets the last configuration again."""
        self.state = ConversationState()
        if self._last_session_update is not None:
            await self.transport.send(self._last_session_update)

    # -- receiving --------------------------------------------------------------
    async def recv(self) -> Any:
        """The next server event (typed; UnknownServerEvent for types we do not know)."""
        raw = await self.transport.recv()
        if raw is None:
            self._closed = True
            raise ConnectionClosedError("the server closed the connection")
        event = self._parse(raw)
        kind = getattr(event, "type", None)
        if kind in AUDIO_DELTAS:
            item = self.state.items.get(getattr(event, "item_id", ""))
            if item is not None:
                item.audio.extend(b64decode_audio(getattr(event, "delta", "")))
        self.state.apply(event)
        for callback in (*self._callbacks.get(str(kind), ()), *self._callbacks.get("*", ())):
            result = callback(event)
            if inspect.isawaitable(result):
                await result
        if kind == "response.done" and self._tools:
            await self._run_tools(event)
        return event

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Any]:
        while True:
            try:
                yield await self.recv()
            except ConnectionClosedError:
                return

    async def wait_for(
        self,
        *types: str,
        timeout: float | None = None,
        where: Callable[[Any], bool] | None = None,
    ) -> Any:
        """Read events until one of `types` (that `where` accepts) arrives; return it."""

        async def scan() -> Any:
            while True:
                event = await self.recv()
                if event.type in types and (where is None or where(event)):
                    return event

        return await asyncio.wait_for(scan(), timeout)

    def on(self, event_type: str, callback: Callback) -> Callback:
        """Call `callback(event)` (sync or async) for each event of a type ("*": all)."""
        self._callbacks[event_type].append(callback)
        return callback

    def off(self, event_type: str, callback: Callback) -> None:
        self._callbacks[event_type].remove(callback)

    # -- audio ----------------------------------------------------------------
    def _format(self, direction: str) -> AudioFormat:
        audio = self.state.session.get("audio", {}).get(direction, {})
        return AudioFormat.parse(audio.get("format") or {"type": "audio/pcm", "rate": 24000})

    async def append_audio(self, audio: np.ndarray | bytes, rate: int | None = None) -> None:
        """Append audio: int16/float samples at `rate`, or bytes already in the session's
        input format (when `rate` is None). Resampled and encoded as the session wants."""
        if isinstance(audio, bytes) and rate is None:
            wire = audio
        else:
            from ..audio import to_mono_int16

            samples = to_mono_int16(
                np.frombuffer(audio, dtype=np.int16) if isinstance(audio, bytes) else audio
            )
            encoder = self._encoders.get(rate or 24000)
            target = self._format("input")
            if encoder is None or encoder.fmt != target:
                encoder = self._encoders[rate or 24000] = WireEncoder(rate or 24000, target)
            wire = encoder.process(samples)
        for start in range(0, len(wire), APPEND_CHUNK_BYTES):
            await self.input_audio_buffer.append(
                audio=b64encode_audio(wire[start : start + APPEND_CHUNK_BYTES])
            )

    async def flush_audio(self) -> None:
        """Send what the resamplers still hold (~25-40 ms): call it before a commit, or the
        end of the turn is cut off."""
        for rate, encoder in list(self._encoders.items()):
            tail = encoder.flush()
            del self._encoders[rate]
            if tail:
                await self.input_audio_buffer.append(audio=b64encode_audio(tail))

    def response_audio(self, response_id: str) -> Int16Array:
        """All audio a response produced so far, decoded to int16 at the output rate."""
        response = self.state.responses.get(response_id)
        if response is None:
            return np.zeros(0, dtype=np.int16)
        data = b"".join(
            bytes(self.state.items[i].audio) for i in response.item_ids if i in self.state.items
        )
        return decode(data, self._format("output"))

    async def reply(self, timeout: float | None = None) -> Reply:
        """Wait for the next response.done and return what that response said."""
        done = await self.wait_for("response.done", timeout=timeout)
        response = self.state.responses[done.response.id]
        items = [self.state.items[i] for i in response.item_ids if i in self.state.items]
        return Reply(
            done=done,
            text="".join(i.text for i in items),
            transcript="".join(i.transcript for i in items),
            audio=self.response_audio(response.id),
            audio_rate=self._format("output").rate,
        )

    # -- tools ----------------------------------------------------------------
    def tool(
        self,
        function: Callable[..., Any] | None = None,
        *,
        name: str | None = None,
        description: str | None = None,
    ) -> Any:
        """Register a Python function as a tool (usable as a decorator). `update_tools()`
        tells the server about them."""

        def register(fn: Callable[..., Any]) -> Callable[..., Any]:
            made = tool_from_function(fn, name=name, description=description)
            self._tools[made.name] = made
            return fn

        return register(function) if function is not None else register

    async def update_tools(self, **session: Any) -> None:
        """Send the registered tools (and any other session fields) in a session.update."""
        tools = [t.schema() for t in self._tools.values()]
        await self.session.update(session={"type": "realtime", "tools": tools, **session})

    async def _run_tools(self, done: Any) -> None:
        """Answer the function calls of a finished response, then ask for the next one."""
        calls = [
            item
            for item in (done.model_dump(mode="json").get("response", {}).get("output") or [])
            if item.get("type") == "function_call" and item.get("name") in self._tools
        ]
        for call in calls:
            output = await self._tools[call["name"]].run(call.get("arguments") or "{}")
            await self.conversation.item.create(
                item={"type": "function_call_output", "call_id": call["call_id"], "output": output}
            )
        if calls:
            await self.response.create()

    # -- lifetime ---------------------------------------------------------------
    async def close(self) -> None:
        self._closed = True
        await self.transport.close()

    @property
    def closed(self) -> bool:
        return self._closed
