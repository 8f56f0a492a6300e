"""Which files of the installed `openai` package GPT-Live's spec is read from, and its pin.

The pin is the package version and a sha256 over the files read: the Live types and
resources and every type module they import, one `<sha256 of file>  <wheel path>` line
each, sorted by path. A different package, or the same version with other bytes, gives
another pin, and the test of the committed spec says so.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import re
from pathlib import Path
from typing import Any

PACKAGE = "openai"
# Where the types come from and where each channel and route is said to be.
ROOTS = ("openai/types/live", "openai/resources/live")
# What may be read: the type modules anywhere, the resources of Live only.
READABLE = ("openai/types/", "openai/resources/live/")


class LiveSourceError(Exception):
    """The installed package cannot be read as GPT-Live's source; one line for the user."""


def version() -> str:
    return importlib.metadata.version(PACKAGE)


def _package_files() -> dict[str, Path]:
    dist = importlib.metadata.distribution(PACKAGE)
    return {
        str(entry): Path(str(dist.locate_file(entry)))
        for entry in dist.files or []
        if str(entry).endswith(".py") and str(entry).startswith(READABLE)
    }


def _imports(rel: str, text: str) -> list[str]:
    """Wheel paths a module may import relatively (`from ..x.y import z`)."""
    out: list[str] = []
    here = rel.split("/")[:-1]
    for dots, module, names in re.findall(
        r"^from (\.+)([\w.]*) import \(?([\w, \n]+)\)?", text, re.M
    ):
        base = here[: len(here) - (len(dots) - 1)]
        target = base + [p for p in module.split(".") if p]
        out += ["/".join(target) + ".py", "/".join([*target, "__init__.py"])]
        if not module:  # `from . import a, b`
            out += ["/".join([*target, n.strip()]) + ".py" for n in names.split(",") if n.strip()]
    return out


def files() -> dict[str, Path]:
    """The Live types and resources and every type module they import, by wheel path."""
    available = _package_files()
    todo = [rel for rel in available if rel.startswith(ROOTS)]
    if not any(rel.startswith(ROOTS[0]) for rel in todo):
        raise LiveSourceError(
            f"{PACKAGE} {version()} has no openai.types.live (GPT-Live needs openai >= 3.63)"
        )
    seen: dict[str, Path] = {}
    while todo:
        rel = todo.pop()
        if rel in seen or rel not in available:
            continue
        seen[rel] = available[rel]
        todo.extend(_imports(rel, available[rel].read_text()))
    return dict(sorted(seen.items()))


def pin() -> dict[str, Any]:
    """What the spec says it was read from (its `info.x-source`)."""
    read = files()
    lines = "".join(
        f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {rel}\n" for rel, path in read.items()
    )
    return {
        "package": PACKAGE,
        "version": version(),
        "modules": [root.replace("/", ".") for root in ROOTS],
        "files": len(read),
        "sha256": hashlib.sha256(lines.encode()).hexdigest(),
    }
