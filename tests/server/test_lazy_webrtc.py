"""The WebRTC stack (aiortc, aioice, PyAV: about 36 MiB) loads with the first call, not
with the server: a server that only serves websockets never loads it."""

from __future__ import annotations

import json
import subprocess
import sys

IMPORT_THE_SERVER = """
import json, sys
import realtime_sdk
from realtime_sdk.backends.echo import EchoBackend
from realtime_sdk.cli import ice_config
from realtime_sdk.server.app import ServerConfig, create_app

create_app(ServerConfig(backend_factory=EchoBackend, ice=ice_config([], None, None)))
print(json.dumps(sorted(m for m in ("aiortc", "aioice", "av") if m in sys.modules)))
"""


def test_serving_websockets_loads_no_webrtc_stack() -> None:
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_THE_SERVER], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == []
