"""The one way out to the client: events, and response audio for a transport that plays it,
in the order the session made them.

An event goes straight to the transport when nothing is queued or being written (the order
stays the one made, and each frame skips two task switches); otherwise it waits in a bounded
queue, so a slow client slows the producers instead of growing memory. Response audio always
goes through the queue, after the events that announce it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Any

from ...audio import decode
from ...transports.base import AudioTag, AudioTransport, Transport
from ..protocol.outputs import AudioDone, PlayAudio

log = logging.getLogger("realtime_sdk.session")
YIELD_EVERY = 8  # direct sends between two turns of the event loop
CLOSE_SERVER_FAULT = 1011  # RFC 6455: the server met a condition that stops the session


@dataclass(frozen=True)
class CloseTransport:
    """Queued after the last event: close the transport with this code."""

    code: int = 1000
    reason: str = ""


class Outbox:
    def __init__(self, transport: Transport, player: AudioTransport | None, size: int) -> None:
        self.transport = transport
        self.player = player
        self._queue: asyncio.Queue[Any] = asyncio.Queue(size)
        self._writer_busy = False
        self._direct_idle = asyncio.Event()
        self._direct_idle.set()
        self._direct_sends = 0
        self.failed = False  # the transport refused a send: the client is gone

    async def send(self, frame: str) -> None:
        """One event to the client, directly when the writer has nothing before it."""
        if (
            self._writer_busy
            or self.failed
            or not self._queue.empty()
            or not self._direct_idle.is_set()
        ):
            await self._queue.put(frame)
            return
        self._direct_idle.clear()
        try:
            await self.transport.send(frame)
        except ConnectionError:
            self.failed = True
        finally:
            self._direct_idle.set()
        # a socket send that does not block does not suspend: a back-end that makes its
        # reply without waiting would then hold the loop until it is done, and the
        # client's cancel, pings and other sessions would wait behind it
        self._direct_sends += 1
        if self._direct_sends % YIELD_EVERY == 0:
            await asyncio.sleep(0)

    async def put(self, item: PlayAudio | AudioDone | CloseTransport) -> None:
        """Audio for the player, or the close, after everything before it."""
        await self._queue.put(item)

    async def join(self) -> None:
        """Until everything queued so far has been written."""
        await self._queue.join()

    async def drain(self, timeout_s: float = 2.0) -> None:
        """Let the writer send what is queued (an error saying why) before a close."""
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._queue.join(), timeout_s)

    async def run(self, session_id: str) -> None:
        """The writer: run as a task for the session's life."""
        while True:
            frame = await self._queue.get()
            self._writer_busy = True
            try:
                await self._direct_idle.wait()  # a direct send still waiting for the socket
                if isinstance(frame, CloseTransport):
                    await self.transport.close(frame.code, frame.reason)
                    return
                if isinstance(frame, str):
                    await self.transport.send(frame)
                else:
                    await self._play(frame)
            except ConnectionError:
                self.failed = True
                return
            except Exception:  # a fault of ours: nothing more can be sent in order
                log.exception("session %s: writer failed", session_id)
                self.failed = True
                with contextlib.suppress(Exception):
                    await self.transport.close(CLOSE_SERVER_FAULT, "server fault")
                return
            finally:
                self._writer_busy = False
                self._queue.task_done()

    async def _play(self, out: PlayAudio | AudioDone) -> None:
        """Response audio to a transport that plays it; it may wait for room."""
        assert self.player is not None
        if isinstance(out, PlayAudio):
            tag = AudioTag(out.response_id, out.item_id, out.content_index)
            source = out.source
            if source is None:
                await self.player.send_audio(decode(out.audio, out.format), out.format.rate, tag)
            elif len(source.samples):  # the back-end's own samples, at its rate
                await self.player.send_audio(source.samples, source.rate, tag)
        else:
            self.player.finish_audio(out.response_id)
