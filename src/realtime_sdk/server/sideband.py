"""A socket attached to a live call through a `CallLink`, the same for every protocol:
the call's events go down to the socket, the socket's frames up into the call, until
either ends; the call goes on when the socket leaves."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from ..transports.websocket import WebSocketTransport
from .state.base import CallLink

log = logging.getLogger("realtime_sdk.server")


async def serve_link(call_id: str, link: CallLink, socket: WebSocketTransport) -> None:
    """Copy the call's events to the socket and its frames into the call, in order."""
    log.info("sideband attached to call %s", call_id)

    async def down() -> None:
        while (text := await link.next()) is not None:
            await socket.send(text)
        await socket.close(link.end.code, link.end.reason)

    async def up() -> None:
        while (frame := await socket.recv()) is not None:
            if isinstance(frame, str | bytes):
                await link.send(frame)

    tasks = [asyncio.create_task(down()), asyncio.create_task(up())]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        with contextlib.suppress(Exception):
            await asyncio.gather(*tasks, return_exceptions=True)
        await link.close()
        await socket.close()
        log.info("sideband left call %s", call_id)
