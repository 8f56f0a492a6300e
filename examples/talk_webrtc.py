"""Talk to a Realtime server over WebRTC with the typed client.

Start a server (`make serve`, or `realtime-sdk serve`), then:

    .venv/bin/python examples/talk_webrtc.py --input speech.wav --output reply.wav

The WAV file (any rate, mono or stereo) is played into the call's microphone track as
if spoken, the server's voice activity detection ends the turn, and the reply that
comes back on the audio track is saved. Without --input, type lines instead: each one
is a text turn whose spoken reply is saved (the last one, to --output). `--once` stops
after one turn. `--url` is the server's base URL (default http://127.0.0.1:8000/v1,
or $OPENAI_BASE_URL); the key is --api-key or $OPENAI_API_KEY (none for an open server).

Over WebRTC no audio travels in events: the microphone and the reply are RTP (Opus),
and only the events (`oai-events` data channel) are printed here.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

import numpy as np

import realtime_sdk
from realtime_sdk.audio import read_wav, write_wav
from realtime_sdk.client import RealtimeConnection

TRANSCRIBE = {"audio": {"input": {"transcription": {"model": "whisper-1"}}}}


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--url",
        default=os.environ.get("OPENAI_BASE_URL", "http://127.0.0.1:8000/v1"),
        help="base URL of the server",
    )
    parser.add_argument("--api-key", default=os.environ.get("OPENAI_API_KEY", ""))
    parser.add_argument("--input", type=Path, help="WAV file to say (default: type lines)")
    parser.add_argument("--output", type=Path, help="save the (last) reply here, as WAV")
    parser.add_argument("--once", action="store_true", help="one turn, then hang up")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per reply")
    return parser.parse_args()


async def say_recording(conn: RealtimeConnection, path: Path) -> None:
    """Play the recording into the call, then a second of silence to end the turn."""
    rate, samples = read_wav(path)
    await conn.append_audio(samples, rate)
    await conn.append_audio(np.zeros(rate, dtype=np.int16), rate)
    await conn.flush_audio()


async def say_text(conn: RealtimeConnection, text: str) -> None:
    content = [{"type": "input_text", "text": text}]
    await conn.conversation.item.create(
        item={"type": "message", "role": "user", "content": content}
    )
    await conn.response.create()


async def turn(conn: RealtimeConnection, args: argparse.Namespace) -> None:
    reply = await conn.reply(timeout=args.timeout)
    for role, words in conn.state.transcript()[-2:]:
        print(f"{role}: {words}")
    seconds = len(reply.audio) / reply.audio_rate if reply.audio_rate else 0.0
    print(f"({reply.done.response.status}, {seconds:.2f} s of audio)")
    if args.output is not None and len(reply.audio):
        write_wav(args.output, reply.audio_rate, reply.audio)


async def main(args: argparse.Namespace) -> int:
    async with realtime_sdk.connect(
        base_url=args.url, api_key=args.api_key or None, transport="webrtc", session=TRANSCRIBE
    ) as conn:
        await conn.wait_for("session.created", timeout=args.timeout)
        if args.input is not None:
            await say_recording(conn, args.input)
            await turn(conn, args)
            return 0
        loop = asyncio.get_running_loop()
        while True:
            print("you> ", end="", flush=True)
            line = (await loop.run_in_executor(None, sys.stdin.readline)).strip()
            if not line:
                return 0
            await say_text(conn, line)
            await turn(conn, args)
            if args.once:
                return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(arguments())))
