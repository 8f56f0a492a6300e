"""Where the WebRTC transport lets aiortc be adjusted, without reaching into aiortc itself.

The transport calls three hooks: `prepare()` before each peer connection it makes,
`audio_receiver(transceiver)` for each audio transceiver it offers or answers, and
`gathering(loopback)` around each `setLocalDescription`, where aiortc gathers ICE
candidates (with the loopback policy of `IceConfig`). As shipped they leave aiortc as it
is; `_compat.aiortc.apply()`, which a server or a client runs when it starts, sets them to
its patches of aiortc's and aioice's internals (a faster RTP audio level, a receive buffer
that holds one packet, 127.0.0.1 among the candidates when wanted).

Nothing here loads aiortc: the hooks are set before the first call loads it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from .ice import Loopback


def _prepare_as_shipped() -> None:
    pass


def _receiver_as_shipped(transceiver: Any) -> None:
    pass


def _gathering_as_shipped(loopback: Loopback) -> AbstractContextManager[None]:
    return contextlib.nullcontext()


@dataclass
class AiortcHooks:
    prepare: Callable[[], None] = _prepare_as_shipped
    audio_receiver: Callable[[Any], object] = _receiver_as_shipped
    gathering: Callable[[Loopback], AbstractContextManager[None]] = _gathering_as_shipped


AIORTC_HOOKS = AiortcHooks()
"""The hooks every WebRTCTransport of this process calls."""
