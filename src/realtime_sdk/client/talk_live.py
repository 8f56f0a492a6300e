"""`realtime-sdk talk URL --live --input speech.wav`: one exchange over a GPT-Live session.

The file is sent in real time, as a microphone would send it; what comes back is
gathered until the server has been quiet for a while, then the session is closed.
Prints both transcripts and every error; saves the output audio (silence included,
as Live sends it) with --output.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import TextIO

import numpy as np

from ..audio import read_wav, write_wav
from .live import DEFAULT_MODEL, connect_live
from .urls import base_of

TAIL_S = 1.0  # silence after the file, so the server hears the end of the speech


async def talk_live(
    args: argparse.Namespace, out: TextIO = sys.stdout, err: TextIO = sys.stderr
) -> int:
    if args.input is None:
        err.write("talk --live: give --input speech.wav\n")
        return 2
    model = DEFAULT_MODEL if args.model == "gpt-realtime" else args.model
    rate, speech = read_wav(args.input)
    samples = np.concatenate([speech, np.zeros(int(rate * TAIL_S), dtype=np.int16)])
    base_url = base_of(args.url, "/live/sessions")
    async with connect_live(
        base_url=base_url, api_key=args.api_key, session={"model": model}
    ) as conn:
        out.write(f"session {conn.session_config['id']} started\n")
        heard = await asyncio.wait_for(conn.exchange(samples, rate), args.timeout)
    seconds = len(heard.audio) / heard.rate
    lines = [
        f"heard: {heard.heard.strip()}",
        f"said: {heard.said.strip()}",
        f"{seconds:.2f} s of output audio",
    ]
    if args.output is not None:
        write_wav(args.output, heard.rate, heard.audio)
        lines.append(f"saved {args.output}")
    out.write("\n".join(lines) + "\n")
    err.writelines(f"error: {e.error.message}\n" for e in heard.errors)
    return 1 if heard.errors else 0
