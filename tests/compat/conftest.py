"""The compatibility tests: real third-party clients (openai-python, openai-agents, the
Node SDKs, Chromium) against real servers. Every test here is marked `compat`, so
`pytest -m "not compat"` leaves them out.

`base_url` (tests/conftest.py): plain HTTP, echo, open. `tls_server`: echo over TLS with
`tls_files`, a self-signed certificate for 127.0.0.1 and localhost, made per run.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.markers import mark_folder
from helpers.selfsigned import TlsFiles, make_self_signed
from helpers.servers import Running, serve

from realtime_sdk.app import ServerConfig
from realtime_sdk.backends.echo import EchoBackend

HERE = Path(__file__).resolve().parent


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    mark_folder(items, HERE, pytest.mark.compat)


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return make_self_signed(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def tls_server(tls_files: TlsFiles) -> Iterator[Running]:
    """An echo server over TLS (`https://`, `wss://`) with the self-signed certificate."""
    with serve(ServerConfig(backend_factory=EchoBackend), tls=tls_files) as running:
        yield running
