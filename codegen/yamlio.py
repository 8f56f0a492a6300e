"""Reading and writing YAML the same way every time, so spec files are byte-stable."""

from __future__ import annotations

import hashlib
import urllib.request
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import yaml

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present
_Dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def read_source(source: str) -> bytes:
    """Bytes of a path, or of a URL when one is given."""
    if source.startswith(("http://", "https://")):
        return fetch(source)[0]
    return Path(source).read_bytes()


def fetch(url: str, timeout_s: float = 30.0) -> tuple[bytes, str | None]:
    """Bytes of a URL and the day its server says it last changed (`Last-Modified`)."""
    with urllib.request.urlopen(url, timeout=timeout_s) as reply:
        data: bytes = reply.read()
        modified = reply.headers.get("Last-Modified")
    return data, parsedate_to_datetime(modified).date().isoformat() if modified else None


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
