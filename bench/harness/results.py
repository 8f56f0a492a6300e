"""Where each benchmark leaves its figures: bench/results/<name>.json, read by the report."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

from .machine import describe

RESULTS = Path(__file__).resolve().parent.parent / "results"


def _clean(value: Any) -> Any:
    """JSON has no NaN: missing figures are written as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def save(name: str, figures: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    record: dict[str, Any] = {"name": name}
    record["at"] = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    record["machine"] = describe()
    record.update(figures)
    path.write_text(json.dumps(_clean(record), indent=1) + "\n")
    return path


def load(name: str) -> dict[str, Any] | None:
    path = RESULTS / f"{name}.json"
    if not path.exists():
        return None
    data: dict[str, Any] = json.loads(path.read_text())
    return data
