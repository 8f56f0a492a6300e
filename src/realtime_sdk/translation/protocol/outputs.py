"""What the translation session asks its driver to do; plain data, acted on in order."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .framing import Frame


@dataclass(frozen=True)
class Send:
    """A server event for the client."""

    event: dict[str, Any]

    def text(self) -> str:
        return json.dumps(self.event, separators=(",", ":"))


@dataclass(frozen=True)
class Translate:
    """A frame of input for the back-end."""

    frame: Frame


@dataclass(frozen=True)
class Reconfigure:
    """The session changed (language, transcription); the back-end follows from now on."""

    session: dict[str, Any]


@dataclass(frozen=True)
class EndInput:
    """No more input: the back-end finishes what it holds, then the session closes."""


@dataclass(frozen=True)
class Hangup:
    """`session.closed` has gone out: close the connection."""


Output = Send | Translate | Reconfigure | EndInput | Hangup
