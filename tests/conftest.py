"""Fixtures every folder may use. Plain helpers live in tests/helpers (tests/ is on the
path, as pyproject's `pythonpath` says: `from helpers.need import need`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from helpers.servers import serve

from realtime_sdk.app import ServerConfig
from realtime_sdk.backends.echo import EchoBackend


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    """`http://127.0.0.1:PORT/v1` of a real server (uvicorn, a free port) running the echo
    back-end, open."""
    with serve(ServerConfig(backend_factory=EchoBackend)) as running:
        yield running.base_url
