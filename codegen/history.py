"""spec/HISTORY.md: what each sync changed, newest first, kept with the spec."""

from __future__ import annotations

from pathlib import Path

from .sources import Source

TITLE = "# Protocol history"
INTRO = (
    "What each `make sync` changed in the protocols, newest first: the document synced"
    " (where from, its date, its sha256) and the changelog. Written by `codegen sync`."
)


def entry(source: Source, pins: list[str], changelog: list[str]) -> str:
    """One sync: a heading naming the document, then its changelog as printed."""
    lines = [f"## {source.date or 'date unknown'}: {source.label}", ""]
    lines += [f"- document sha256 {source.sha256}"]
    lines += [f"- also read {pin}" for pin in pins]
    lines += ["", "```", *changelog, "```"]
    return "\n".join(lines) + "\n"


def record(path: Path, text: str) -> None:
    """Put `text` first under the title, creating the file if needed."""
    old = path.read_text() if path.exists() else ""
    head = f"{TITLE}\n\n{INTRO}\n\n"
    rest = old[len(head) :] if old.startswith(head) else old
    path.write_text(head + text + ("\n" + rest if rest else ""))
