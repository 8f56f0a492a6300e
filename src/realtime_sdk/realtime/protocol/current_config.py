"""The session's effective config as a mapping that stays current: each `session.update`
replaces the session's config dict, and a back-end handed this at start reads the
settings of the moment (a FastRTC handler's `session_config`), not those of the start."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Protocol


class _HasConfig(Protocol):
    @property
    def config(self) -> dict[str, Any]: ...


class CurrentConfig(Mapping[str, Any]):
    """A read-only view of `session.config` as it is when read."""

    def __init__(self, session: _HasConfig) -> None:
        self._session = session

    def __getitem__(self, key: str) -> Any:
        return self._session.config[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._session.config)

    def __len__(self) -> int:
        return len(self._session.config)
