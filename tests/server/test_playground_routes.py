"""The playground page without a browser: the routes serve every file the page loads
with the right content type, the scripts parse, and every element the scripts look
up exists in the page. (tests/compat/test_playground.py drives it in Chromium.)"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from helpers.need import need
from starlette.testclient import TestClient

from realtime_sdk.app import ServerConfig, create_app
from realtime_sdk.backends.echo import EchoBackend
from realtime_sdk.server.playground import playground_files


@pytest.fixture(scope="module")
def client() -> TestClient:
    config = ServerConfig(
        backend_factory=EchoBackend, turn_detection=False, api_keys=frozenset({"sk-x"})
    )
    return TestClient(create_app(config))


def page_source(name: str) -> str:
    return playground_files().joinpath(name).read_text(encoding="utf-8")


def scripts() -> list[str]:
    return sorted(
        entry.name for entry in playground_files().iterdir() if entry.name.endswith(".js")
    )


def test_the_page_is_served_at_the_root_without_a_key(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert '<script type="module" src="playground/app.js">' in response.text
    # the API next to it still wants the key
    assert client.post("/v1/realtime/client_secrets", json={}).status_code == 401


def test_every_file_the_page_loads_comes_with_its_content_type(client: TestClient) -> None:
    html = client.get("/").text
    loaded = re.findall(r'(?:src|href)="(playground/[^"]+)"', html)
    assert sorted(loaded) == ["playground/app.js", "playground/style.css"]
    # the modules app.js imports, and theirs
    pending = ["app.js"]
    seen: set[str] = set()
    while pending:
        name = pending.pop()
        seen.add(name)
        pending += [
            m for m in re.findall(r'from "\./([\w.]+)"', page_source(name)) if m not in seen
        ]
    assert seen == set(scripts()), "a script is shipped but never loaded, or loaded but missing"
    expected = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
    for name in [*seen, "style.css"]:
        response = client.get(f"/playground/{name}")
        assert response.status_code == 200, name
        assert response.headers["content-type"] == expected[Path(name).suffix], name
        assert response.text == page_source(name)


@pytest.mark.parametrize(
    "path",
    [
        "/playground/missing.js",
        "/playground/%2e%2e%2fserver%2fplayground.py",
        "/playground/..%2f..%2fpyproject.toml",
        "/playground/index",
        "/index.html/x",
    ],
)
def test_nothing_else_is_served(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 404


def test_every_element_the_scripts_look_up_is_in_the_page() -> None:
    html = page_source("index.html")
    ids = set(re.findall(r'\bid="([\w-]+)"', html))
    lookup = re.compile(r'(?:\$|getElementById)\("([\w-]+)"\)')
    wanted = {found for name in scripts() for found in lookup.findall(page_source(name))}
    assert len(wanted) > 20
    assert wanted <= ids, f"missing in index.html: {sorted(wanted - ids)}"


def test_the_scripts_parse(tmp_path: Path) -> None:
    node = shutil.which("node")
    need(node is not None, "node is not on PATH")
    assert node is not None
    for name in scripts():
        module = tmp_path / name.replace(".js", ".mjs")  # parsed as an ES module, as served
        module.write_text(page_source(name), encoding="utf-8")
        result = subprocess.run(
            [node, "--check", str(module)], capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, f"{name}: {result.stderr}"


def test_node_check_catches_a_broken_script(tmp_path: Path) -> None:
    """The check above means something: a syntax error fails it."""
    node = shutil.which("node")
    need(node is not None, "node is not on PATH")
    assert node is not None
    broken = tmp_path / "broken.mjs"
    broken.write_text(page_source("app.js").replace("function send(event) {", "function send(", 1))
    result = subprocess.run([node, "--check", str(broken)], capture_output=True, timeout=60)
    assert result.returncode != 0


def test_a_built_wheel_carries_the_page(tmp_path: Path) -> None:
    """hatchling packs what is under src/realtime_sdk; the page must be in the wheel."""
    uv = Path(sys.executable).parent / "uv"
    need(uv.exists(), "uv is not in the virtualenv (make venv installs it)")
    root = Path(__file__).resolve().parents[2]
    built = subprocess.run(
        [str(uv), "build", "--wheel", "--out-dir", str(tmp_path), str(root)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    need(built.returncode == 0, f"uv build failed (hatchling from PyPI?): {built.stderr[-2000:]}")
    (wheel,) = tmp_path.glob("realtime_sdk-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        packed = {
            name.removeprefix("realtime_sdk/playground/")
            for name in archive.namelist()
            if name.startswith("realtime_sdk/playground/")
        }
    shipped = {entry.name for entry in playground_files().iterdir() if entry.is_file()}
    assert {"index.html", "style.css", *scripts()} <= packed
    assert packed == shipped
