"""Sessions and calls that end: what the server process keeps of them, round after round.

Not a test (tests/server/test_disconnect.py holds the bounds). `realtime-sdk serve --handler
echo` (server VAD on, as shipped) in a process of its own, a fresh one per kind; each round
ends a batch of sessions one way (bench/harness/churn.py):
- ``ws``: websocket sessions, each asked for a minute of spoken reply and dropped (TCP
  aborted, no close frame) once the reply's audio streams;
- ``hangup``: WebRTC calls (Opus both ways, a spoken reply under way) hung up with
  `POST /v1/realtime/calls/{id}/hangup`;
- ``vanish``: the same calls, their peers' process killed: the server learns it from ICE
  consent failing (shortened to --consent-s through REALTIME_SDK_ICE_CONSENT_TIMEOUT_S);
- ``unconnected``: offers answered, the peer killed before ICE: the connect timeout
  (--connect-s, REALTIME_SDK_WEBRTC_CONNECT_TIMEOUT_S) ends them.
After each round it waits (at most --settle s) for the threads and fds to come back to the
fresh server's (threads: plus the default executor's pool, which aiortc's encoders start and
keep), waits --quiet s more, and prints threads, fds and RSS, and
the RSS gained since the first round per session ended since.
Run: python bench/bench_disconnect.py [--kinds ws,hangup,vanish,unconnected] [--rounds 4]
       [--calls 10] [--sessions 100] [--src DIR]
Writes bench/results/disconnect.json.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness.churn import ENDS, EXECUTOR_THREADS, rtc_calls, settled, usage, ws_drops
from harness.results import save
from harness.servers import Server


def end_round(server: Server, kind: str, count: int) -> int:
    if kind == "ws":
        return asyncio.run(ws_drops(server.url, count))
    return len(rtc_calls(server.http, count, kind))


def run_kind(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    count = args.sessions if kind == "ws" else args.calls
    with Server("vad", src=args.src) as server:
        pid = server.process.pid
        start = usage(pid)
        print(f"\n{kind}: {count} per round; fresh server: {start.row()}", flush=True)
        rows: list[dict[str, Any]] = []
        first: Any = None
        for index in range(args.rounds):
            began = time.monotonic()
            ended = end_round(server, kind, count)
            took = time.monotonic() - began
            # back to the fresh server's fds, and its threads but for the default executor's
            # (a pool of at most EXECUTOR_THREADS that aiortc's encoders start and keep)
            threads = start.threads + EXECUTOR_THREADS
            now, waited = settled(pid, threads, start.fds, within=args.settle)
            time.sleep(args.quiet)
            now = usage(pid)
            if first is None:
                first = now
            per = (now.rss_mib - first.rss_mib) / (count * index) if index else 0.0
            rows.append(
                {
                    "round": index + 1,
                    "ended": ended,
                    "round_s": round(took, 1),
                    "settled_s": round(waited, 1),
                    "threads": now.threads,
                    "fds": now.fds,
                    "rss_mib": round(now.rss_mib, 1),
                    "rss_mib_per_session": round(per, 3),
                    "thread_names": dict(now.names),
                }
            )
            print(
                f"  round {index + 1}: {ended:>3} ended in {took:5.1f} s, settled {waited:4.1f} s"
                f"  {now.row()}  {per * (100 if kind == 'ws' else 1):+6.2f} MiB per"
                f" {'100 sessions' if kind == 'ws' else 'call'} since round 1",
                flush=True,
            )
        return {
            "kind": kind,
            "per_round": count,
            "fresh": {"threads": start.threads, "fds": start.fds, "rss_mib": start.rss_mib},
            "rounds": rows,
        }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kinds", default="ws,hangup,vanish,unconnected")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--calls", type=int, default=10, help="WebRTC calls per round")
    parser.add_argument("--sessions", type=int, default=100, help="websocket sessions per round")
    parser.add_argument("--consent-s", type=float, default=5.0, help="ICE consent timeout")
    parser.add_argument("--connect-s", type=float, default=5.0, help="WebRTC connect timeout")
    parser.add_argument("--settle", type=float, default=30.0, help="most seconds to wait")
    parser.add_argument("--quiet", type=float, default=3.0, help="seconds before reading RSS")
    parser.add_argument("--src", help="serve the realtime_sdk in this src/ (another checkout)")
    args = parser.parse_args()
    kinds = args.kinds.split(",")
    for kind in kinds:
        if kind != "ws" and kind not in ENDS:
            parser.error(f"unknown kind {kind!r}: ws, {', '.join(ENDS)}")
    os.environ["REALTIME_SDK_ICE_CONSENT_TIMEOUT_S"] = str(args.consent_s)
    os.environ["REALTIME_SDK_WEBRTC_CONNECT_TIMEOUT_S"] = str(args.connect_s)
    results = [run_kind(kind, args) for kind in kinds]
    save("disconnect", {"src": args.src, "kinds": results})


if __name__ == "__main__":
    main()
