"""The WebRTC stack (aiortc, aioice, PyAV: about 36 MiB) loads with the first call, not
with the server: a server that only serves websockets never loads it. Nor does a server
load the client (httpx and the client modules: about 9 MiB)."""

from __future__ import annotations

import json
import subprocess
import sys

IMPORT_THE_SERVER = """
import json, sys
import realtime_sdk
from realtime_sdk.backends.echo import EchoBackend
from realtime_sdk.cli import ice_config
from realtime_sdk.app import ServerConfig, create_app

create_app(ServerConfig(backend_factory=EchoBackend, ice=ice_config([], None, None)))
lazy = ("aiortc", "aioice", "av", "httpx", "realtime_sdk.client")
print(json.dumps(sorted(m for m in lazy if m in sys.modules)))
"""


def test_serving_websockets_loads_no_webrtc_stack() -> None:
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_THE_SERVER], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == []


def test_the_client_still_comes_from_the_package() -> None:
    import realtime_sdk
    from realtime_sdk.client import connect

    assert realtime_sdk.connect is connect
    assert callable(realtime_sdk.create_client_secret)


SERVE_FROM_THE_COMMAND_LINE = """
import json, sys
import uvicorn
uvicorn.run = lambda app, **kwargs: None  # everything `serve` loads, short of serving
from realtime_sdk.cli import main
main(["serve", "--handler", "echo", "--no-turn-detection"])
lazy = ("aiortc", "aioice", "av", "httpx", "rich", "realtime_sdk.client")
print(json.dumps(sorted(m for m in lazy if m in sys.modules)))
"""


def test_the_serve_command_loads_neither_client_nor_webrtc() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SERVE_FROM_THE_COMMAND_LINE],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == []
