"""The version guard every `_compat` module uses: installed version against the range written for.

A private attribute can vanish in any release, so each module names the range of versions it
was checked against and refuses any other with an error that says which version it found.
"""

from __future__ import annotations

import functools
import importlib.metadata
import re

__all__ = ["UnsupportedVersion", "check_version", "release"]


class UnsupportedVersion(RuntimeError):
    """An installed library is outside the range of versions our use of its internals fits."""


def release(version: str) -> tuple[int, ...]:
    """The numeric release of a version string: ``"0.0.34"`` -> ``(0, 0, 34)``,
    ``"1.2rc1"`` -> ``(1, 2)``."""
    match = re.match(r"\d+(?:\.\d+)*", version.strip())
    if match is None:
        raise ValueError(f"not a version: {version!r}")
    return tuple(int(part) for part in match.group().split("."))


def _padded(version: tuple[int, ...], width: int) -> tuple[int, ...]:
    return version + (0,) * (width - len(version))


@functools.cache
def check_version(distribution: str, lowest: str, below: str) -> str | None:
    """The installed version of ``distribution`` (None when it is not installed).

    Raises `UnsupportedVersion` unless ``lowest <= version < below``; cached, so a check
    per session costs a dictionary look-up."""
    try:
        version = importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None
    found, low, high = release(version), release(lowest), release(below)
    width = max(len(found), len(low), len(high))
    if not _padded(low, width) <= _padded(found, width) < _padded(high, width):
        raise UnsupportedVersion(
            f"{distribution} {version} is not supported: realtime_sdk relies on its internals "
            f"as they are in versions >={lowest},<{below}"
        )
    return version
