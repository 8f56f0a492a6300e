"""Scale-out tests: several `serve` processes, a real redis-server and a real HAProxy.
Every test here is marked `multinode`, so `pytest -m "not multinode"` leaves them out."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.markers import mark_folder

HERE = Path(__file__).resolve().parent


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    mark_folder(items, HERE, pytest.mark.multinode)
