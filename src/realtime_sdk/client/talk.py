"""`realtime-sdk talk`: one turn against any Realtime server, for trying and debugging.

Sends a WAV file (and/or a text), asks for a response, prints the transcripts and a
summary of the events, and saves the reply audio as a WAV file. Over websocket the
file is sent as appends, as fast as the socket takes them; over WebRTC it is played
on the call's audio track in real time, so a long file shows its progress.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from ..audio import read_wav, write_wav
from . import RealtimeConnection, connect

CHUNK_MS = 100
LONG_S = 10.0  # files longer than this get a progress display
RTP_MARGIN_S = 0.3  # after the track sent the last packet, until the server has decoded it
PAUSE_S = 1.5  # silence after the speech, for the server's turn detection to end the turn
MANUAL_TURNS = {"audio": {"input": {"turn_detection": None}}}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("url", help="base URL (http://host:port/v1) or ws(s):// endpoint URL")
    parser.add_argument("--input", type=Path, help="WAV file to send as the user's turn")
    parser.add_argument("--text", help="text to send as the user's turn")
    parser.add_argument("--output", type=Path, help="where to save the reply audio (WAV)")
    parser.add_argument(
        "--transport",
        default="websocket",
        choices=["websocket", "webrtc"],
        help="webrtc makes a call: the file plays on its audio track in real time",
    )
    parser.add_argument("--api-key", help="API key (default: OPENAI_API_KEY)")
    parser.add_argument("--model", default="gpt-realtime")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for the reply")
    parser.add_argument(
        "--translate",
        metavar="LANG",
        help="a translation session into LANG instead of a turn: --input is translated,"
        " both transcripts printed, the translated audio saved to --output",
    )
    parser.add_argument(
        "--live",
        action="store_true",
        help="a GPT-Live session instead of a turn: --input is sent in real time, both"
        " transcripts printed, the output audio saved to --output",
    )
    parser.add_argument(
        "--server-vad",
        action="store_true",
        help="let the server's turn detection end the turn (servers whose handler takes its"
        f" own turns, e.g. FastRTC): the file is followed by {PAUSE_S:g} s of silence, and"
        " no commit or response.create is sent",
    )


class Progress:
    """Where the sending is, on one line of stderr: redrawn in place on a terminal; when
    not a terminal, one line at the end (and only for long files)."""

    def __init__(self, out: TextIO, total_s: float, verb: str, every_s: float = 0.1) -> None:
        self.out = out
        self.every_s = every_s
        self.total_s = total_s
        self.verb = verb
        self.tty = out.isatty()
        self.shown = self.tty and total_s > 0
        self._last = -float("inf")

    def update(self, done_s: float) -> None:
        now = time.monotonic()
        if not self.shown or now - self._last < self.every_s:
            return
        self._last = now
        self.out.write("\r" + self._line(done_s))
        self.out.flush()

    def finish(self) -> None:
        if self.shown:
            self.out.write("\r" + self._line(self.total_s) + "\n")
        elif self.total_s > LONG_S:
            self.out.write(self._line(self.total_s) + "\n")
        self.out.flush()

    def _line(self, done_s: float) -> str:
        percent = 100 * done_s / self.total_s if self.total_s else 100.0
        return f"{self.verb} {percent:3.0f}% ({done_s:.1f} s of {self.total_s:.1f} s)"


async def _send_wav(
    conn: RealtimeConnection, path: Path, err: TextIO, webrtc: bool, pause_s: float = 0.0
) -> None:
    rate, samples = read_wav(path)
    if pause_s:
        samples = np.concatenate([samples, np.zeros(int(rate * pause_s), dtype=samples.dtype)])
    total_s = len(samples) / rate
    progress = Progress(err, total_s, "playing" if webrtc else "sending")
    step = rate * CHUNK_MS // 1000
    for start in range(0, len(samples), step):
        await conn.append_audio(samples[start : start + step], rate=rate)
        if not webrtc:
            progress.update(min(start + step, len(samples)) / rate)
    await conn.flush_audio()
    if webrtc:  # played in real time: follow the track until it has sent everything
        sent = asyncio.ensure_future(conn.audio_sent())
        try:
            while not sent.done():
                progress.update(max(0.0, total_s - conn.audio_pending_s))
                await asyncio.wait([sent], timeout=0.1)
        finally:
            sent.cancel()
            await asyncio.gather(sent, return_exceptions=True)
        await asyncio.sleep(RTP_MARGIN_S)
    progress.finish()
    if not pause_s:
        await conn.input_audio_buffer.commit()


async def talk(args: argparse.Namespace, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    if args.input is None and args.text is None:
        err.write("talk: give --input speech.wav and/or --text '...'\n")
        return 2
    webrtc = args.transport == "webrtc"
    server_turns = bool(getattr(args, "server_vad", False)) and args.input is not None
    target: dict[str, Any] = {"base_url": args.url}
    if args.url.startswith(("ws://", "wss://")):
        if webrtc:  # a call is made over HTTP, on the routes beside the socket's
            base = args.url.split("?")[0].rstrip("/").removesuffix("/realtime")
            target = {"base_url": "http" + base.removeprefix("ws")}
        else:
            target = {"url": args.url}
    counts: Counter[str] = Counter()
    async with connect(
        api_key=args.api_key,
        model=args.model,
        transport=args.transport,
        # a call takes its session with the offer
        session=MANUAL_TURNS if webrtc and not server_turns else None,
        **target,
    ) as conn:
        conn.on("*", lambda event: counts.update([event.type]))
        await conn.wait_for("session.created", timeout=args.timeout)
        if not webrtc and not server_turns:
            await conn.session.update(session={"type": "realtime", **MANUAL_TURNS})
            await conn.wait_for("session.updated", timeout=args.timeout)
        if args.input is not None:
            await _send_wav(conn, args.input, err, webrtc, PAUSE_S if server_turns else 0.0)
        if args.text is not None:
            await conn.conversation.item.create(
                item={"type": "message", "role": "user",
                      "content": [{"type": "input_text", "text": args.text}]}
            )  # fmt: skip
        if not server_turns:
            await conn.response.create()
        reply = await conn.reply(timeout=args.timeout)
        if webrtc and len(reply.audio):  # its playback events, for the summary
            await conn.wait_for(
                "output_audio_buffer.stopped",
                "output_audio_buffer.cleared",
                timeout=args.timeout,
                where=lambda event: event.response_id == reply.done.response.id,
            )
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
    if getattr(args, "live", False):
        from .talk_live import talk_live

        return asyncio.run(talk_live(args))
    if getattr(args, "translate", None):
        from .talk_translation import talk_translation

        return asyncio.run(talk_translation(args))
    return asyncio.run(talk(args))
