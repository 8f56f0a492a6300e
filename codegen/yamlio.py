"""Reading and writing YAML the same way every time, so spec files are byte-stable."""

from __future__ import annotations

import hashlib
import urllib.request
from pathlib import Path
from typing import Any

import yaml

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present
_Dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def read_source(source: str) -> bytes:
    """Bytes of a path, or of a URL when one is given (the only network use)."""
    if source.startswith(("http://", "https://")):
        with urllib.request.urlopen(source, timeout=120) as reply:
            data: bytes = reply.read()
            return data
    return Path(source).read_bytes()


def load_bytes(data: bytes) -> Any:
    return yaml.load(data, Loader=_Loader)


def load_path(path: Path) -> Any:
    return load_bytes(path.read_bytes())


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def dump(document: Any) -> str:
    return yaml.dump(
        document,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100,
    )
