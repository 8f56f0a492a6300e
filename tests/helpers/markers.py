"""`mark_folder`: a marker on every test under one folder, so `-m "not NAME"` leaves it out."""

from __future__ import annotations

from pathlib import Path

import pytest


def mark_folder(items: list[pytest.Item], folder: Path, marker: pytest.MarkDecorator) -> None:
    """Call from that folder's `pytest_collection_modifyitems` (tryfirst: before `-m`)."""
    for item in items:
        if folder in item.path.parents:
            item.add_marker(marker)
