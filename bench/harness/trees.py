"""Two versions of the package in one benchmark run: a source tree per process.

`source_tree(rev)` extracts ``src/`` as it was at a git revision (``git archive``, cached
under the temporary directory); a script given ``--src DIR`` puts DIR first on sys.path
before importing anything of ours, so a child process measures that version. `find` takes
a name by the first of its homes that the imported version has: modules moved in the
architecture re-cut (issue 14), and a benchmark that times both versions imports each by
the path it had.
"""

from __future__ import annotations

import hashlib
import importlib
import io
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent.parent
HERE_SRC = ROOT / "src"


def use_src(argv: list[str]) -> str:
    """Put ``--src DIR`` (if given in `argv`) first on sys.path; the tree in use."""
    src = str(HERE_SRC)
    if "--src" in argv:
        src = argv[argv.index("--src") + 1]
    sys.path.insert(0, str(Path(src).resolve()))
    return src


def source_tree(rev: str) -> Path:
    """``src/`` at `rev` (a commit, a branch, or a directory that holds a ``realtime_sdk``)."""
    given = Path(rev)
    if (given / "realtime_sdk").is_dir():
        return given.resolve()
    if (given / "src" / "realtime_sdk").is_dir():
        return (given / "src").resolve()
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--verify", f"{rev}^{{commit}}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    key = hashlib.sha1(commit.encode()).hexdigest()[:12]
    dest = Path(tempfile.gettempdir()) / f"realtime-sdk-bench-{key}"
    if not (dest / "src" / "realtime_sdk").is_dir():
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", commit, "src"], capture_output=True, check=True
        ).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(dest, filter="data")
    return dest / "src"


def describe(rev: str) -> str:
    """A short name for a revision or a tree, for the report."""
    if Path(rev).is_dir():
        return rev
    done = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", rev], capture_output=True, text=True
    )
    return done.stdout.strip() or rev


def find(*homes: str) -> Any:
    """The object at the first of `homes` (``module:name``) this version has."""
    errors = []
    for home in homes:
        module, _, name = home.partition(":")
        try:
            found = importlib.import_module(module)
        except ImportError as exc:
            errors.append(f"{module}: {exc}")
            continue
        if hasattr(found, name):
            return getattr(found, name)
        errors.append(f"{module} has no {name}")
    raise ImportError("; ".join(errors))
