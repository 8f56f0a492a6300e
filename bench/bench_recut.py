"""The architecture re-cut's benchmark (issue 14): the session core and the in-process frame
echo, before and after, in one run.

Not a test. Runs bench_session.py and bench_inproc_echo.py against two versions of the
package, each in processes of its own (``--src``: the version's ``src/`` first on sys.path),
in turns: before, after, after, before, ... so that a machine that gets busier or quieter
during the run weighs on both alike. A figure is the best over the rounds (CPU time: what
was least disturbed by the rest of the machine); the ratio is after / before, under 1 a gain.

- ``--before REV``: a git revision (``git archive`` of its ``src/``) or a directory; by
  default the commit before the re-cut began, 0fd7fb4;
- ``--after REV``: the same; by default this checkout's ``src/`` as it is.

Run: python bench/bench_recut.py [--rounds 4] [--frames 1500] [--save]
(``--save`` writes bench/results/recut.json.)
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness.results import save
from harness.trees import HERE_SRC, describe, source_tree

BENCH = Path(__file__).resolve().parent
BEFORE = "0fd7fb4"  # README: make fuzz, ... : the last commit before the re-cut


def run_json(script: str, src: Path, *extra: str) -> dict[str, Any]:
    command = [sys.executable, str(BENCH / script), "--src", str(src), "--json", *extra]
    done = subprocess.run(command, capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        raise RuntimeError(f"{script} --src {src} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def one_round(src: Path, frames: int) -> dict[str, float]:
    """Microseconds per call or frame, by row, for one version."""
    rows: dict[str, float] = {}
    session = run_json("bench_session.py", src)
    for name, us in session["results"].items():
        rows[f"session: {name}"] = us
    echo = run_json("bench_inproc_echo.py", src, "--frames", str(frames), "--repeats", "1")
    for case, figures in echo["results"].items():
        if figures["stalls"]:
            raise RuntimeError(f"the {case} echo stalled {figures['stalls']} times ({src})")
        rows[f"frame echo: {case}"] = figures["us_per_frame"]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", default=BEFORE)
    parser.add_argument("--after", default=str(HERE_SRC))
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--frames", type=int, default=1500)
    parser.add_argument("--save", action="store_true", help="write bench/results/recut.json")
    args = parser.parse_args()
    trees = {"before": source_tree(args.before), "after": source_tree(args.after)}
    runs: dict[str, list[dict[str, float]]] = {"before": [], "after": []}
    for k in range(args.rounds):
        order = ("before", "after") if k % 2 == 0 else ("after", "before")
        for which in order:
            runs[which].append(one_round(trees[which], args.frames))
            print(f"round {k + 1}/{args.rounds}: {which} done", file=sys.stderr)
    names = list(runs["before"][0])
    best = {w: {n: min(r[n] for r in runs[w]) for n in names} for w in runs}
    print(
        f"before: {describe(args.before)} ({trees['before']})\n"
        f"after:  {describe(args.after)} ({trees['after']})\n"
        f"best of {args.rounds} rounds each, in turns; CPU per call (session) or per 20 ms"
        " frame (echo)\n"
    )
    print("  {:<70} {:>10} {:>10} {:>6}".format("", "before", "after", "ratio"))
    rows = []
    for name in names:
        b, a = best["before"][name], best["after"][name]
        rows.append({"row": name, "before_us": b, "after_us": a, "ratio": a / b})
        print(f"  {name:<70} {b:7.1f} us {a:7.1f} us {a / b:6.2f}")
    if args.save:
        path = save(
            "recut",
            {
                "before": describe(args.before),
                "after": describe(args.after),
                "rounds": args.rounds,
                "frames": args.frames,
                "rows": rows,
                "runs": runs,
            },
        )
        print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
