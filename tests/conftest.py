"""Fixtures every folder may use. Plain helpers live in tests/helpers (tests/ is on the
path, as pyproject's `pythonpath` says: `from helpers.need import need`)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from helpers.servers import serve

from realtime_sdk.app import ServerConfig
from realtime_sdk.backends.echo import EchoBackend

# Servers the tests start (here and in subprocesses) reach MCP servers on this machine only:
# the fuzz suite's MCP tools name random public hosts, which must never be dialled.
os.environ.setdefault("REALTIME_SDK_MCP_HOSTS", "127.0.0.1,localhost,::1")


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    """`http://127.0.0.1:PORT/v1` of a real server (uvicorn, a free port) running the echo
    back-end, open."""
    with serve(ServerConfig(backend_factory=EchoBackend)) as running:
        yield running.base_url
