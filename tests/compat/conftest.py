"""Real servers (uvicorn on 127.0.0.1, free ports) for the compatibility tests.

`base_url`: plain HTTP, echo, open. `serve(config)`: any config, optionally over TLS
with `tls_files` (a self-signed certificate for 127.0.0.1 and localhost, made per run).
"""

from __future__ import annotations

import importlib.util
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from selfsigned import TlsFiles, make_self_signed

from realtime_sdk.app import ServerConfig, create_app
from realtime_sdk.backends.echo import EchoBackend


def _root_conftest() -> object:
    """tests/conftest.py under another name: in this folder `conftest` means this file."""
    path = Path(__file__).resolve().parent.parent / "conftest.py"
    spec = importlib.util.spec_from_file_location("realtime_sdk_tests_conftest", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


need = _root_conftest().need  # type: ignore[attr-defined]
__all__ = ["TlsFiles", "make_self_signed", "need"]


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


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    """`http://127.0.0.1:PORT/v1` of a server running the echo back-end."""
    with serve(ServerConfig(backend_factory=EchoBackend)) as running:
        yield running.base_url


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return make_self_signed(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def tls_server(tls_files: TlsFiles) -> Iterator[Running]:
    """An echo server over TLS (`https://`, `wss://`) with the self-signed certificate."""
    with serve(ServerConfig(backend_factory=EchoBackend), tls=tls_files) as running:
        yield running


def node_binary() -> str:
    """`node` from PATH, and the packages `make test` installs (fails under REQUIRE_ALL)."""
    node = shutil.which("node")
    need(node is not None, "node is not on PATH")
    modules = Path(__file__).resolve().parents[2] / "node_modules"
    for package in ("openai", "@openai/agents-realtime", "ws"):
        need((modules / package).is_dir(), f"node_modules/{package} missing: run `npm ci`")
    assert node is not None
    return node
