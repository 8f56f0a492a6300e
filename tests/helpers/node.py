"""Node scripts of the compatibility tests (tests/compat/node), run with the packages
`make test` installs; each prints one JSON line."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from typing import Any

from helpers.need import need
from helpers.paths import ROOT, TESTS

SCRIPTS = TESTS / "compat" / "node"


def node_binary() -> str:
    """`node` from PATH, and the packages `make test` installs (fails under REQUIRE_ALL)."""
    node = shutil.which("node")
    need(node is not None, "node is not on PATH")
    modules = ROOT / "node_modules"
    for package in ("openai", "@openai/agents-realtime", "ws"):
        need((modules / package).is_dir(), f"node_modules/{package} missing: run `npm ci`")
    assert node is not None
    return node


def run_node(script: str, *args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    node = node_binary()
    done = subprocess.run(
        [node, str(SCRIPTS / script), *args],
        cwd=ROOT,  # node resolves packages from ./node_modules
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, f"{script} exited {done.returncode}:\n{done.stderr}\n{done.stdout}"
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result
