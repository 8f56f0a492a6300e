"""The protocol surfaces `codegen sync` writes specs for, one builder each.

A builder is a function `(inputs: Inputs) -> Built` that makes a surface's spec files from
the upstream document (and, if it needs one, from an artifact of its own, which it reads
and pins itself and names in `Built.pins`). Sync calls the builder of every surface in
SURFACES whose module is present, writes what they return into spec/, and prints one
changelog over all of them. A surface's spec files are named `<surface>.<kind>.yaml` so
the changelog can group them. To add a surface: write its builder, add one line here.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from . import yamlio
from .sources import Source


@dataclass
class Inputs:
    """What every builder gets: the upstream document, and the beta-names one if any."""

    source: Source
    beta: Source | None

    @cached_property
    def document(self) -> dict[str, Any]:
        """The upstream document, parsed once for all surfaces."""
        loaded: dict[str, Any] = yamlio.load_bytes(self.source.data)
        return loaded


@dataclass
class Built:
    """What a builder returns."""

    specs: dict[str, dict[str, Any]]  # file name in spec/ -> document
    repairs: list[str] = field(default_factory=list)
    # what it took from upstream: schema names, `path /...`, `webhook <type>`; the rest
    # of upstream's voice parts is listed as left out
    claimed: set[str] = field(default_factory=set)
    pins: list[str] = field(default_factory=list)  # artifacts read besides the document


class SurfaceUnavailable(Exception):
    """A builder cannot run here (its own source is missing): its spec stays as it is."""


@dataclass(frozen=True)
class SyncSurface:
    name: str
    module: str
    function: str  # in `module`: the builder


SURFACES: tuple[SyncSurface, ...] = (
    SyncSurface("realtime", "codegen.sync", "sync_surface"),
    SyncSurface("translation", "codegen.surface_builders", "translation"),
    SyncSurface("live", "codegen.surface_builders", "live"),
)


def builders(
    say: list[str], only: list[str] | None = None
) -> list[tuple[SyncSurface, Callable[[Inputs], Built]]]:
    """The surfaces present in this checkout (those in `only`, if given); one line in
    `say` for each one missing."""
    unknown = sorted(set(only or []) - {s.name for s in SURFACES})
    if unknown:
        raise SystemExit(f"sync: no surface {', '.join(unknown)}")
    found: list[tuple[SyncSurface, Callable[[Inputs], Built]]] = []
    for surface in SURFACES:
        if only and surface.name not in only:
            continue
        try:
            module = importlib.import_module(surface.module)
        except ModuleNotFoundError as exc:
            if exc.name != surface.module:
                raise
            say.append(f"{surface.name}: no {surface.module} here; its spec is left as it is")
            continue
        build = getattr(module, surface.function, None)
        if build is None:
            say.append(f"{surface.name}: {surface.module} has no {surface.function}; skipped")
            continue
        found.append((surface, build))
    return found


def surface_of(spec_file: str) -> str:
    """`realtime.openapi.yaml` -> `realtime`."""
    return spec_file.split(".", 1)[0]
