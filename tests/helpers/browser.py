"""Headless Chromium against a real server, both inside a private network namespace.

`run_page(scenario, ...)` starts this file under `unshare -n`. Inside the namespace it
brings loopback up, starts the server (`realtime-sdk serve` with `serve_args`, or any
command) on 127.0.0.1, waits for it to listen, runs the Node driver
(tests/compat/browser/driver.mjs) against it and prints one JSON line, which comes back
as a dict. No ICE or HTTP traffic can leave the namespace, and nothing outside it can
reach the server.

A scenario is a page under tests/compat/browser/pages (the driver opens it and awaits
`window.runScenario(params)`), or an ES module exporting `run({page, api, pages, params,
log})` that drives the page itself with Playwright (for pages the server serves).

`require_browser()` skips (or fails under REALTIME_SDK_REQUIRE_ALL=1) when Chromium,
`unshare`, `ip`, node or playwright-core is missing, or namespaces are not allowed.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DRIVER = ROOT / "tests" / "compat" / "browser" / "driver.mjs"
PAGES = DRIVER.parent / "pages"
ARTIFACTS = ROOT / "tests" / "artifacts" / "browser"
CHROMIUM = os.environ.get("REALTIME_SDK_CHROMIUM", "/usr/bin/chromium")
SERVE = str(Path(sys.executable).parent / "realtime-sdk")
# a network namespace; without root, inside a user namespace of its own (where allowed)
UNSHARE = ["unshare", "-n"] if os.geteuid() == 0 else ["unshare", "--map-root-user", "-n"]
IP = shutil.which("ip") or "/usr/sbin/ip"
START_TIMEOUT_S = 60.0  # the server imports numpy, aiortc and a VAD model; cores are shared
_TAIL = 6000  # characters of each log kept in results and errors


class BrowserRunError(AssertionError):
    """The driver did not complete its scenario; the message carries every log."""


# -- the outside: prerequisites and the API -------------------------------------------------


def missing_prerequisites() -> list[str]:
    """What this machine lacks for browser tests, in words; empty when all is there."""
    missing = []
    if not os.access(CHROMIUM, os.X_OK):
        missing.append(f"{CHROMIUM} (apt-get install chromium; `make test` does it as root)")
    for tool, package in (("unshare", "util-linux"), ("ip", "iproute2"), ("node", "nodejs")):
        if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists():
            missing.append(f"{tool} (apt-get install {package})")
    if not (ROOT / "node_modules" / "playwright-core").is_dir():
        missing.append("node_modules/playwright-core (npm ci)")
    if not missing and not _namespaces_allowed():
        missing.append(f"permission to make a network namespace (`{' '.join(UNSHARE)}` refused)")
    return missing


def _namespaces_allowed() -> bool:
    try:
        done = subprocess.run(
            [*UNSHARE, "--", "true"], capture_output=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def require_browser() -> None:
    """Skip the calling test when a prerequisite is missing (fail under REQUIRE_ALL)."""
    from helpers.need import need  # here, not above: the namespace runs this file as a script

    missing = missing_prerequisites()
    need(not missing, "browser tests need: " + "; ".join(missing))


def speech_wav(
    fixture: Path, target: Path, *, lead_s: float = 0.3, tail_s: float = 2.5, rate: int = 48000
) -> Path:
    """A fixture as the fake microphone plays it: 16-bit mono WAV at `rate`, with
    `lead_s` of silence before and `tail_s` after (so server VAD ends the turn)."""
    import numpy as np

    from realtime_sdk.audio import read_wav, resample, write_wav

    source_rate, samples = read_wav(fixture)
    voice = resample(samples, source_rate, rate)
    silence = [np.zeros(int(rate * s), dtype=np.int16) for s in (lead_s, tail_s)]
    write_wav(target, rate, np.concatenate([silence[0], voice, silence[1]]))
    return target


def artifact(name: str) -> Path:
    """A path under tests/artifacts/browser (git-ignored) for screenshots and the like."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / name


def run_page(
    scenario: str,
    *,
    serve_args: Sequence[str] = ("--handler", "echo"),
    serve_command: Sequence[str] | None = None,
    wav: Path | None = None,
    screenshot: Path | None = None,
    params: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    mdns: bool = False,
    browser_args: Sequence[str] = (),
    netns_commands: Sequence[Sequence[str]] = (),
    timeout_s: float = 120.0,
    check: bool = True,
) -> dict[str, Any]:
    """Run `scenario` in Chromium against a fresh server; the driver's JSON as a dict.

    The server is `realtime-sdk serve --host 127.0.0.1 --port PORT *serve_args`, or
    `serve_command` with `{port}` replaced. `env` is added to both processes'
    environment. `mdns` leaves Chrome's hiding of host addresses behind `.local` names
    on (the driver's flags turn it off); `browser_args` adds flags;
    `netns_commands` run in the namespace after loopback is up (say, `ip link add` of
    a dummy interface, for a machine with a LAN address). The
    dict holds `ok`, `result` (what the scenario returned), `error`,
    `console`, `page_errors`, `api_calls` (Resource Timing of the page's requests to
    the server), `timings`, and `server_log`. With `check`, a scenario that failed
    raises BrowserRunError with all of it.
    """
    require_browser()
    if serve_command is None:
        serve_command = [SERVE, "serve", "--host", "127.0.0.1", "--port", "{port}", *serve_args]
    with tempfile.TemporaryDirectory(prefix="browser-run-") as work:
        config = Path(work) / "config.json"
        config.write_text(
            json.dumps(
                {
                    "command": list(serve_command),
                    "netns_commands": [list(c) for c in netns_commands],
                    "driver": {
                        "scenario": scenario,
                        "params": dict(params or {}),
                        "wav": str(wav) if wav else None,
                        "screenshot": str(screenshot) if screenshot else None,
                        "timeout_ms": int((timeout_s - 15) * 1000),
                        "mdns": mdns,
                        "browser_args": list(browser_args),
                    },
                    "timeout_s": timeout_s,
                }
            )
        )
        inner = [sys.executable, str(Path(__file__).resolve()), "--inner", str(config)]
        process = subprocess.Popen(
            [*UNSHARE, "--", *inner],
            cwd=ROOT,
            env={**os.environ, **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # its own process group: a timeout ends all of it
        )
        try:
            stdout, stderr = process.communicate(timeout=timeout_s + START_TIMEOUT_S + 30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            stdout, stderr = process.communicate()
            raise BrowserRunError(
                f"browser run timed out\n{_tail(stdout)}\n{_tail(stderr)}"
            ) from None
    result = _last_json(stdout)
    if result is None:
        raise BrowserRunError(
            f"no result from the namespace (exit {process.returncode})\n"
            f"stdout:\n{_tail(stdout)}\nstderr:\n{_tail(stderr)}"
        )
    if check and not result.get("ok"):
        raise BrowserRunError(describe(result))
    return result


def describe(result: Mapping[str, Any]) -> str:
    """Everything a failed run left behind, for an assertion message."""
    parts = [f"scenario failed: {result.get('error')}"]
    for key in ("page_errors", "console"):
        if result.get(key):
            parts.append(f"{key}:\n" + "\n".join(map(str, result[key]))[-_TAIL:])
    for key in ("driver_stderr", "server_log"):
        if result.get(key):
            parts.append(f"{key}:\n{result[key]}")
    return "\n".join(parts)


def _last_json(text: str) -> dict[str, Any] | None:
    for line in reversed(text.strip().splitlines()):
        if line.startswith("{"):
            try:
                value = json.loads(line)
            except ValueError:
                continue
            if isinstance(value, dict):
                return value
    return None


def _tail(text: str | None) -> str:
    return (text or "")[-_TAIL:]


# -- the inside: run in the namespace by `run_page` ---------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_listening(port: int, server: subprocess.Popen[bytes], timeout_s: float) -> float:
    """Seconds until the server accepts a connection; RuntimeError if it exits first."""
    start = time.monotonic()
    while True:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with {server.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return time.monotonic() - start
        except OSError:
            if time.monotonic() - start > timeout_s:
                raise RuntimeError(f"the server did not listen within {timeout_s:.0f} s") from None
            time.sleep(0.05)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)  # uvicorn shuts down cleanly on SIGINT
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _inner(config_path: Path) -> dict[str, Any]:
    config = json.loads(config_path.read_text())
    work = config_path.parent
    for setup in [[IP, "link", "set", "lo", "up"], *config["netns_commands"]]:
        done = subprocess.run(setup, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            return {"ok": False, "error": f"{' '.join(setup)}: {done.stderr.strip()}"}
    port = _free_port()
    command = [part.replace("{port}", str(port)) for part in config["command"]]
    server_log = work / "server.log"
    out: dict[str, Any] = {"ok": False, "port": port}
    with server_log.open("wb") as log:
        server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
        try:
            out["server_ready_s"] = _wait_listening(port, server, START_TIMEOUT_S)
            driver_config = work / "driver.json"
            driver_config.write_text(
                json.dumps({**config["driver"], "api": f"http://127.0.0.1:{port}"})
            )
            driver = subprocess.Popen(
                ["node", str(DRIVER), str(driver_config)],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            try:
                stdout, stderr = driver.communicate(timeout=config["timeout_s"])
            except subprocess.TimeoutExpired:
                driver.terminate()  # Playwright closes its browser on SIGTERM
                try:
                    stdout, stderr = driver.communicate(timeout=10)
                except subprocess.TimeoutExpired:
                    driver.kill()
                    stdout, stderr = driver.communicate()
                out["error"] = f"the driver did not finish within {config['timeout_s']:.0f} s"
            driven = _last_json(stdout)
            if driven is not None:
                out.update(driven)
            elif "error" not in out:
                out["error"] = f"the driver exited with {driver.returncode} and no result"
            out["driver_stderr"] = _tail(stderr)
        except RuntimeError as exc:
            out["error"] = str(exc)
        finally:
            _stop(server)
    out["server_log"] = _tail(server_log.read_text(errors="replace"))
    return out


if __name__ == "__main__" and sys.argv[1:2] == ["--inner"]:
    print(json.dumps(_inner(Path(sys.argv[2]))), flush=True)
