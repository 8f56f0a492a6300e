"""`python -m codegen sync|generate|check`: the spec and the code made from it."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from . import changelog, yamlio
from .paths import EVENTS_SPEC, GENERATED, HTTP_SPEC


def _sync(args: argparse.Namespace) -> int:
    from . import sync

    upstream = yamlio.read_source(args.upstream)
    beta = yamlio.read_source(args.beta) if args.beta else None
    result = sync.build(upstream, beta)
    out = Path(args.out)
    events_path = out / EVENTS_SPEC.name
    old = yamlio.load_path(events_path) if events_path.exists() else None
    out.mkdir(parents=True, exist_ok=True)
    events_path.write_text(yamlio.dump(result.events_spec))
    (out / HTTP_SPEC.name).write_text(yamlio.dump(result.http_spec))
    lines = changelog.changes(old, result.events_spec)
    if args.repairs:
        print(f"repaired {len(result.repairs)} upstream faults:")
        for repair in result.repairs:
            print(f"  {repair}")
    print(f"{len(lines)} protocol changes" + (":" if lines else "."))
    for line in lines:
        print(line)
    return 0


def _generate(args: argparse.Namespace) -> int:
    from . import generate

    started = time.perf_counter()
    written = generate.write(Path(args.spec), Path(args.out))
    took = time.perf_counter() - started
    print(f"generated {len(written)} files in {took:.1f}s")
    return 0


def _check(args: argparse.Namespace) -> int:
    from . import generate

    drift = generate.drift(Path(args.spec), Path(args.out))
    if drift:
        print("generated code is out of date with the spec or templates (run `make generate`):")
        for name in drift:
            print(f"  {name}")
        return 1
    print("generated code matches the spec")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m codegen")
    commands = parser.add_subparsers(dest="command", required=True)

    sync_cmd = commands.add_parser(
        "sync", help="upstream OpenAPI document -> spec/, with a changelog"
    )
    sync_cmd.add_argument("upstream", help="path or URL of OpenAI's OpenAPI document")
    sync_cmd.add_argument("--beta", help="document with the correct beta event names")
    sync_cmd.add_argument("--out", default=str(EVENTS_SPEC.parent), help="spec directory")
    sync_cmd.add_argument("--repairs", action="store_true", help="also list the repairs made")
    sync_cmd.set_defaults(run=_sync)

    for name, run, text in (
        ("generate", _generate, "spec -> src/realtime_sdk/_generated"),
        ("check", _check, "fail when the generated code differs from what the spec gives"),
    ):
        cmd = commands.add_parser(name, help=text)
        cmd.add_argument("--spec", default=str(EVENTS_SPEC))
        cmd.add_argument("--out", default=str(GENERATED))
        cmd.set_defaults(run=run)

    args = parser.parse_args(argv)
    code: int = args.run(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
