"""A typed realtime connection: generated resources to send, lenient parsing to receive.

`conn.session.update(...)`, `conn.conversation.item.create(...)` and the rest come
from the generated client stub. Received events are parsed leniently (a new event
type never breaks the client), folded into `conn.state`, handed to callbacks, and
yielded by `async for event in conn`.

It runs over any `Transport` (transports.base). The audio helpers are the same on all of
them. Over a websocket, audio travels as events (appends out, deltas in, in the session's
formats); over WebRTC, whose transport is also an `AudioTransport`, it travels on the
media tracks (`CallAudio`): appended audio is played on the outgoing track and response
audio is what arrived on the incoming one, at that track's rate. A websocket transport
that reconnects has the connection resume its session (`on_reconnect`).
"""

from __future__ import annotations

import asyncio
import inspect
import json
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar, overload

import numpy as np
from pydantic import BaseModel

from ..._generated import beta, ga
from ..._generated._runtime import to_json
from ..._generated.ga import AsyncClientResources
from ...audio import (
    AudioFormat,
    Int16Array,
    WireEncoder,
    b64decode_audio,
    b64encode_audio,
    decode,
    to_mono_int16,
)
from ...transports.base import AudioTransport, Inbound, Transport
from ...transports.websocket_client import WebSocketClientTransport
from .heard import HeardAudio
from .state import ConversationState
from .tools import Tool, tool_from_function

if TYPE_CHECKING:
    from .call_audio import CallAudio

Callback = Callable[[Any], Any]
F = TypeVar("F", bound=Callable[..., Any])
AUDIO_DELTAS = ("response.output_audio.delta", "response.audio.delta")
AUDIO_DONES = ("response.output_audio.done", "response.audio.done")
APPEND_CHUNK_BYTES = 512 * 1024
MAX_PENDING_EVENTS = 10_000  # over WebRTC, unread events past which the call is ended
_MESSAGE = (str, bytes)  # what recv() gives that is an event (a tuple: the fastest check)


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
    def __init__(
        self,
        transport: Transport,
        *,
        dialect: str = "ga",
        max_pending_events: int = MAX_PENDING_EVENTS,
    ) -> None:
        self.transport = transport
        self.dialect = dialect
        self.state = ConversationState()
        self._parse = beta.parse_server_event if dialect == "beta" else ga.parse_server_event
        self._callbacks: dict[str, list[Callback]] = defaultdict(list)
        self._tools: dict[str, Tool] = {}
        self._encoders: dict[int, WireEncoder] = {}
        self._last_session_update: str | None = None
        self._closed = False
        self._audio: CallAudio | None = None  # the audio beside the events, on a call
        self._receive: Callable[[], Awaitable[Inbound | None]] = transport.recv
        if isinstance(transport, AudioTransport):
            from .call_audio import CallAudio  # aiortc is loaded already: this is a call

            self._audio = CallAudio.of(transport, max_pending_events)
            self._receive = self._audio.recv
        if isinstance(transport, WebSocketClientTransport):
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
        raw = await self._receive()
        while not isinstance(raw, _MESSAGE):  # skip a transport's audio and notices
            if raw is None:
                self._closed = True
                raise ConnectionClosedError("the server closed the connection")
            raw = await self._receive()
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
        input format (when `rate` is None). Over websocket it is resampled and encoded as
        the session wants; over WebRTC it is played on the outgoing track."""
        if isinstance(audio, bytes) and rate is None:
            if self._audio is None:  # already what the socket carries
                await self._append_wire(audio)
                return
            fmt = self._format("input")
            samples, rate = decode(audio, fmt), fmt.rate
        else:
            samples = to_mono_int16(
                np.frombuffer(audio, dtype=np.int16) if isinstance(audio, bytes) else audio
            )
            rate = rate or 24000
        if self._audio is not None:
            await self._audio.append(samples, rate)
            return
        encoder = self._encoders.get(rate)
        target = self._format("input")
        if encoder is None or encoder.fmt != target:
            encoder = self._encoders[rate] = WireEncoder(rate, target)
        await self._append_wire(encoder.process(samples))

    async def _append_wire(self, wire: bytes) -> None:
        for start in range(0, len(wire), APPEND_CHUNK_BYTES):
            await self.input_audio_buffer.append(
                audio=b64encode_audio(wire[start : start + APPEND_CHUNK_BYTES])
            )

    async def flush_audio(self) -> None:
        """Send what the resamplers still hold (~25-40 ms): call it before a commit, or the
        end of the turn is cut off."""
        if self._audio is not None:
            await self._audio.flush()
            return
        for rate, encoder in list(self._encoders.items()):
            tail = encoder.flush()
            del self._encoders[rate]
            if tail:
                await self.input_audio_buffer.append(audio=b64encode_audio(tail))

    async def audio_sent(self) -> None:
        """Until the appended audio has left: at once over websocket (the appends are
        sent), over WebRTC once the track has played it all out, in real time."""
        if self._audio is not None:
            await self._audio.drained()

    @property
    def audio_pending_s(self) -> float:
        """Seconds of appended audio not sent yet (WebRTC plays it in real time)."""
        return self._audio.pending_s if self._audio is not None else 0.0

    @property
    def output_rate(self) -> int:
        """The rate of response audio as the helpers give it: the session's output format
        over websocket, the incoming track's over WebRTC."""
        return self._audio.heard_rate if self._audio is not None else self._format("output").rate

    def response_audio(self, response_id: str) -> Int16Array:
        """All audio a response produced so far (over WebRTC: that arrived), as int16
        at `output_rate`."""
        if self._audio is not None:
            return self._audio.heard(response_id)
        response = self.state.responses.get(response_id)
        if response is None:
            return np.zeros(0, dtype=np.int16)
        data = b"".join(
            bytes(self.state.items[i].audio) for i in response.item_ids if i in self.state.items
        )
        return decode(data, self._format("output"))

    async def audio_chunks(self, response_id: str | None = None) -> AsyncIterator[HeardAudio]:
        """One response's audio as it comes, with the item it belongs to: the given
        response, or the next one with audio. Over WebRTC it comes from the incoming
        track whether or not events are being read; over websocket it comes with the
        events, so this reads them (state and callbacks still see every one)."""
        if self._audio is not None:
            async for chunk in self._audio.chunks(response_id):
                yield chunk
            return
        fmt = self._format("output")
        while True:
            try:
                event = await self.recv()
            except ConnectionClosedError:
                return
            rid = str(getattr(event, "response_id", ""))
            if event.type in AUDIO_DELTAS and response_id in (None, rid):
                response_id = rid
                samples = decode(b64decode_audio(event.delta), fmt)
                yield HeardAudio(rid, event.item_id, event.content_index, samples, fmt.rate)
                continue
            ended = event.type in AUDIO_DONES and rid == response_id
            if ended or (event.type == "response.done" and event.response.id == response_id):
                return

    async def wait_audio(self, response_id: str, timeout: float | None = None) -> None:
        """Until all of a response's audio has arrived: over WebRTC it plays in real time
        and goes on after `response.done`; over websocket it came with the events."""
        if self._audio is not None:
            await self._audio.wait_heard(response_id, timeout)

    async def reply(self, timeout: float | None = None) -> Reply:
        """Wait for the next response.done and return what that response said (over
        WebRTC, once its audio has arrived too)."""
        async with asyncio.timeout(timeout):
            done = await self.wait_for("response.done")
            response = self.state.responses[done.response.id]
            if _has_audio(done):
                await self.wait_audio(response.id)
        items = [self.state.items[i] for i in response.item_ids if i in self.state.items]
        return Reply(
            done=done,
            text="".join(i.text for i in items),
            transcript="".join(i.transcript for i in items),
            audio=self.response_audio(response.id),
            audio_rate=self.output_rate,
        )

    # -- tools ----------------------------------------------------------------
    @overload
    def tool(
        self, function: F, *, name: str | None = None, description: str | None = None
    ) -> F: ...

    @overload
    def tool(
        self, function: None = None, *, name: str | None = None, description: str | None = None
    ) -> Callable[[F], F]: ...

    def tool(
        self,
        function: F | None = None,
        *,
        name: str | None = None,
        description: str | None = None,
    ) -> F | Callable[[F], F]:
        """Register a Python function as a tool (usable as a decorator). `update_tools()`
        tells the server about them."""

        def register(fn: F) -> F:
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
        if self._audio is not None:
            await self._audio.close()  # the transport (a call is hung up), then its reader
        else:
            await self.transport.close()

    @property
    def closed(self) -> bool:
        return self._closed


def _has_audio(done: Any) -> bool:
    """Whether a finished response has an audio part (so audio plays over WebRTC)."""
    for item in done.model_dump(mode="json").get("response", {}).get("output") or []:
        for part in item.get("content") or []:
            if part.get("type") in ("output_audio", "audio"):
                return True
    return False
