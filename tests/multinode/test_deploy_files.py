"""deploy/: HAProxy takes its configuration, and the compose file and the Kubernetes
example agree with the server (probe paths it serves, a grace period longer than the
drain, every server on the same Redis)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import yaml
from helpers.cluster import haproxy_binary

from realtime_sdk.app import ServerConfig, create_app
from realtime_sdk.backends.echo import EchoBackend

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def served_paths() -> set[str]:
    app = create_app(ServerConfig(backend_factory=EchoBackend, turn_detection=False))
    return {getattr(route, "path", "") for route in app.routes}


def option(args: list[str], flag: str) -> str:
    return args[args.index(flag) + 1]


def test_haproxy_takes_the_configuration() -> None:
    checked = subprocess.run(
        [haproxy_binary(), "-c", "-f", str(DEPLOY / "haproxy.cfg")], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr
    config = (DEPLOY / "haproxy.cfg").read_text()
    assert "balance roundrobin" in config and "option httpchk GET /readyz" in config
    assert "/readyz" in served_paths()


def test_compose_servers_share_one_redis_and_outlast_their_drain() -> None:
    compose: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    servers = [s for name, s in compose["services"].items() if name.startswith("realtime")]
    assert len(servers) == 3
    for server in servers:
        drain = float(option(server["command"], "--drain-timeout"))
        assert float(server["stop_grace_period"].rstrip("s")) > drain
        assert option(server["command"], "--redis") == "redis://valkey:6379/0"


def test_kubernetes_probes_and_grace_period() -> None:
    documents = list(yaml.safe_load_all((DEPLOY / "kubernetes.yaml").read_text()))
    deployment = next(d for d in documents if d["metadata"]["name"] == "realtime-sdk")
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert {"/readyz", "/healthz"} <= served_paths()
    pause = float(container["lifecycle"]["preStop"]["exec"]["command"][-1])
    drain = float(option(container["args"], "--drain-timeout"))
    assert pod["terminationGracePeriodSeconds"] > pause + drain
