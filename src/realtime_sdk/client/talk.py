"""`realtime-sdk talk`: one turn against any Realtime server, for trying and debugging.

Sends a WAV file (and/or a text), asks for a response, prints the transcripts and a
summary of the events, and saves the reply audio as a WAV file.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections import Counter
from pathlib import Path
from typing import Any, TextIO

from ..audio import read_wav, write_wav
from . import connect

CHUNK_MS = 100


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("url", help="base URL (http://host:port/v1) or ws(s):// endpoint URL")
    parser.add_argument("--input", type=Path, help="WAV file to send as the user's turn")
    parser.add_argument("--text", help="text to send as the user's turn")
    parser.add_argument("--output", type=Path, help="where to save the reply audio (WAV)")
    parser.add_argument("--transport", default="websocket", choices=["websocket", "webrtc"])
    parser.add_argument("--api-key", help="API key (default: OPENAI_API_KEY)")
    parser.add_argument("--model", default="gpt-realtime")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for the reply")


def _progress(out: TextIO, sent: int, total: int, rate: int) -> None:
    if out.isatty() or total > rate * 10:  # long files: show where we are
        percent = 100 * sent // max(total, 1)
        out.write(f"\rsending {percent:3d}% ({sent / rate:.1f} s of {total / rate:.1f} s)")
        out.flush()


async def talk(args: argparse.Namespace, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    if args.input is None and args.text is None:
        err.write("talk: give --input speech.wav and/or --text '...'\n")
        return 2
    target: dict[str, Any] = (
        {"url": args.url} if args.url.startswith(("ws://", "wss://")) else {"base_url": args.url}
    )
    counts: Counter[str] = Counter()
    async with connect(
        api_key=args.api_key, model=args.model, transport=args.transport, **target
    ) as conn:
        conn.on("*", lambda event: counts.update([event.type]))
        await conn.wait_for("session.created", timeout=args.timeout)
        await conn.session.update(
            session={"type": "realtime", "audio": {"input": {"turn_detection": None}}}
        )
        await conn.wait_for("session.updated", timeout=args.timeout)
        if args.input is not None:
            rate, samples = read_wav(args.input)
            step = rate * CHUNK_MS // 1000
            for start in range(0, len(samples), step):
                await conn.append_audio(samples[start : start + step], rate=rate)
                _progress(err, min(start + step, len(samples)), len(samples), rate)
            err.write("\n" if len(samples) > rate * 10 else "")
            await conn.flush_audio()
            await conn.input_audio_buffer.commit()
        if args.text is not None:
            await conn.conversation.item.create(
                item={"type": "message", "role": "user",
                      "content": [{"type": "input_text", "text": args.text}]}
            )  # fmt: skip
        await conn.response.create()
        reply = await conn.reply(timeout=args.timeout)
        for role, words in conn.state.transcript():
            out.write(f"{role}: {words}\n")
        status = reply.done.response.status
        seconds = len(reply.audio) / reply.audio_rate
        out.write(f"response {reply.done.response.id}: {status}, {seconds:.2f} s of audio\n")
        out.write(
            "events: " + ", ".join(f"{kind} x{n}" for kind, n in sorted(counts.items())) + "\n"
        )
        if args.output is not None:
            write_wav(args.output, reply.audio_rate, reply.audio)
            out.write(f"saved {args.output}\n")
        return 0 if status == "completed" else 1


def run(args: argparse.Namespace) -> int:
    return asyncio.run(talk(args))
