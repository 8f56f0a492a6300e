"""Session and response settings no back-end here can honour: refused out loud, naming the
field, rather than accepted and dropped (the README's table says what each field does)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

REFUSED: dict[str, str] = {
    "prompt": "This server has no store of prompts to reference; send the instructions instead.",
}


def refused_setting(params: Mapping[str, Any], prefix: str) -> tuple[str, str] | None:
    """The first refused setting `params` gives a value (its param path, why), or None."""
    for name, why in REFUSED.items():
        if params.get(name) is not None:
            return f"{prefix}{name}", why
    return None
