"""`realtime-sdk talk URL --translate LANG --input speech.wav`: a WAV file through a
translation session; prints both transcripts and saves the translated audio.

The file is sent as 200 ms appends as fast as the socket takes them, then the session
is closed, which has the server finish everything it holds before `session.closed`.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import TextIO

from ..audio import read_wav, write_wav
from .translation import DEFAULT_MODEL, connect_translation


async def talk_translation(
    args: argparse.Namespace, out: TextIO = sys.stdout, err: TextIO = sys.stderr
) -> int:
    if args.input is None:
        err.write("talk --translate: give --input speech.wav\n")
        return 2
    rate, samples = read_wav(args.input)
    model = args.model if args.model != "gpt-realtime" else DEFAULT_MODEL
    source = {"audio": {"input": {"transcription": {"model": "gpt-4o-mini-transcribe"}}}}
    base_url = args.url.split("?")[0].rstrip("/").removesuffix("/realtime/translations")
    if base_url.startswith(("ws://", "wss://")):
        base_url = "http" + base_url.removeprefix("ws")
    async with connect_translation(
        base_url=base_url,
        api_key=args.api_key,
        model=model,
        language=args.translate,
        session=source,
    ) as conn:
        await conn.append_audio(samples, rate=rate)
        result = await asyncio.wait_for(conn.finish(), args.timeout)
    out.write(f"heard: {result.source_transcript.strip()}\n")
    out.write(f"translation ({args.translate}): {result.transcript.strip()}\n")
    seconds = len(result.audio) / result.rate
    out.write(f"{seconds:.2f} s of translated audio\n")
    for error in result.errors:
        err.write(f"error: {error.error.message}\n")
    if args.output is not None:
        write_wav(args.output, result.rate, result.audio)
        out.write(f"saved {args.output}\n")
    return 1 if result.errors else 0
