"""Real servers for tests: uvicorn on 127.0.0.1 (a free port) in a thread, as
`realtime-sdk serve` runs it; over TLS with a `TlsFiles` (helpers.selfsigned)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn

from helpers.selfsigned import TlsFiles
from realtime_sdk.app import ServerConfig, create_app


@dataclass(frozen=True)
class Running:
    host: str
    port: int
    tls: bool

    @property
    def base_url(self) -> str:
        """What the SDKs take as `base_url`: `http(s)://127.0.0.1:P/v1`."""
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}/v1"

    @property
    def ws_url(self) -> str:
        return f"{'wss' if self.tls else 'ws'}://{self.host}:{self.port}/v1/realtime"


@contextmanager
def serve(config: ServerConfig, tls: TlsFiles | None = None) -> Iterator[Running]:
    """uvicorn in a thread, as `realtime-sdk serve` runs it; stopped on exit."""
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(config),
            host="127.0.0.1",
            port=0,
            log_level="warning",
            ws="websockets-sansio",
            ws_max_size=config.max_frame_bytes + 1,
            ssl_certfile=str(tls.certfile) if tls else None,
            ssl_keyfile=str(tls.keyfile) if tls else None,
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive(), "server failed to start"
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield Running("127.0.0.1", port, tls is not None)
    finally:
        server.should_exit = True
        thread.join(10)
