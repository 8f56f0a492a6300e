"""The layer order (pyproject's import-linter contract, run by `make lint`) holds, and breaks
when a lower layer imports a higher one: checked on a copy of the package with one such
import added."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(src: Path, config_dir: Path) -> subprocess.CompletedProcess[str]:
    """lint-imports over the `realtime_sdk` found in `src`, with the project's contract."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", str(config_dir / "pyproject.toml")],
        cwd=config_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_package_keeps_its_layers() -> None:
    result = lint_imports(ROOT / "src", ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "KEPT" in result.stdout


def test_a_lower_layer_importing_a_higher_one_breaks_the_contract(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "src" / "realtime_sdk", tmp_path / "src" / "realtime_sdk")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    ids = tmp_path / "src" / "realtime_sdk" / "realtime" / "protocol" / "ids.py"
    # the sans-I/O session reaching up into a transport
    ids.write_text(ids.read_text() + "\nfrom ...transports import memory  # noqa: E402, F401\n")
    result = lint_imports(tmp_path / "src", tmp_path)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout
    assert "realtime_sdk.realtime.protocol is not allowed to import" in result.stdout
