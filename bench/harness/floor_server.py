"""The floors: a websocket server that only does json + base64 both ways per frame.

Each `input_audio_buffer.append` is parsed, its audio decoded, re-encoded and sent back
as a `response.output_audio.delta`: the least any Realtime server must do per frame.
`--stack websockets` is the bare `websockets` server; `--stack starlette` the same work
behind uvicorn and a Starlette websocket route, the stack our server runs on.
Run: python bench/harness/floor_server.py --port P [--stack websockets|starlette]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
from typing import Any


def echo(text: str | bytes) -> str | None:
    event = json.loads(text)
    if event.get("type") != "input_audio_buffer.append":
        return None
    audio = base64.b64decode(event["audio"])
    delta = base64.b64encode(audio).decode()
    return json.dumps({"type": "response.output_audio.delta", "delta": delta})


async def serve_websockets(port: int) -> None:
    from websockets.asyncio.server import ServerConnection, serve

    async def session(ws: ServerConnection) -> None:
        async for message in ws:
            reply = echo(message)
            if reply is not None:
                await ws.send(reply)

    async with serve(session, "127.0.0.1", port, max_size=None, compression=None):
        await asyncio.Future()


def starlette_app() -> Any:
    from starlette.applications import Starlette
    from starlette.routing import WebSocketRoute
    from starlette.websockets import WebSocket, WebSocketDisconnect

    async def session(ws: WebSocket) -> None:
        await ws.accept()
        try:
            while True:
                reply = echo(await ws.receive_text())
                if reply is not None:
                    await ws.send_text(reply)
        except WebSocketDisconnect:
            pass

    return Starlette(routes=[WebSocketRoute("/v1/realtime", session)])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--stack", choices=("websockets", "starlette"), default="websockets")
    args = parser.parse_args()
    if args.stack == "websockets":
        asyncio.run(serve_websockets(args.port))
        return
    import uvicorn

    uvicorn.run(
        starlette_app(),
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        ws="websockets-sansio",
        loop="asyncio",
    )


if __name__ == "__main__":
    main()
