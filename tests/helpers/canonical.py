"""JSON values as text to compare, with the number rule JSON has."""

from __future__ import annotations

import json
from typing import Any


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
