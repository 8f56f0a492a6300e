"""A real server (uvicorn on 127.0.0.1, a free port) for the compatibility tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn

from realtime_sdk.backends.echo import EchoBackend
from realtime_sdk.server.app import ServerConfig, create_app


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    """`http://127.0.0.1:PORT/v1` of a server running the echo back-end."""
    app = create_app(ServerConfig(backend_factory=EchoBackend))
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", ws="websockets-sansio")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}/v1"
    server.should_exit = True
    thread.join(10)
