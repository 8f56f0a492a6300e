"""`make fuzz`: spec-generated cases against real `realtime-sdk serve` processes.

    python tests/fuzz/run_fuzz.py [--cases N] [--seed S] [--handlers echo,agent]
                                  [--transports websocket,webrtc,sideband] [--dialects ga,beta]

Prints the seed (FUZZ_SEED=S replays the same cases), the tables of fuzz_report, and
exits 1 when a session or call was lost, a server died, or a finding that fails the
pytest subset appeared.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]  # fuzz_* beside us, helpers in tests/

from fuzz_report import failures, render  # noqa: E402
from fuzz_runner import Plan, run  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=int(os.environ.get("FUZZ_CASES", 20000)))
    parser.add_argument("--seed", type=int, default=None, help="default: $FUZZ_SEED or random")
    parser.add_argument("--handlers", default="echo,agent")
    parser.add_argument("--transports", default="websocket,webrtc,sideband")
    parser.add_argument("--dialects", default="ga,beta")
    parser.add_argument("--pool", type=int, default=30, help="valid events drawn per event type")
    parser.add_argument("--max-seconds", type=float, default=900.0)
    parser.add_argument(
        "--server-pythonpath",
        help="serve realtime_sdk from this directory (e.g. an older commit's src, unpacked"
        " with `git archive`) to see what the fuzz finds there",
    )
    args = parser.parse_args(argv)
    seed = args.seed
    if seed is None:
        given = os.environ.get("FUZZ_SEED", "").strip()
        seed = int(given) if given else random.SystemRandom().randrange(1, 2**31)
    plan = Plan(
        seed=seed,
        cases=args.cases,
        handlers=tuple(args.handlers.split(",")),
        transports=tuple(args.transports.split(",")),
        dialects=tuple(args.dialects.split(",")),
        pool_size=args.pool,
        max_seconds=args.max_seconds,
        server_pythonpath=args.server_pythonpath,
    )
    print(f"fuzz seed {seed}: {plan.cases} cases (FUZZ_SEED={seed} to replay)", flush=True)
    report = run(plan, log=lambda line: print(line, flush=True))
    print(render(report), flush=True)
    dead = [s.handler for s in report.servers if s.exit_code is not None]
    return 1 if failures(report) or dead else 0


if __name__ == "__main__":
    sys.exit(main())
