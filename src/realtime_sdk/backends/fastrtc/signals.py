"""`HandlerChannel`: the data channel a handler reports through, and what it reports.

FastRTC hands a handler a data channel (``set_channel``); ReplyOnPause sends on it, as ``log``
messages, ``started_talking`` when it hears the user and ``pause_detected`` at a pause, and any
handler may send ``send_input`` to ask for its Gradio inputs. The signals are kept in order for
the emit loop, bounded: nobody reading them must not grow memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
from collections import deque
from collections.abc import Callable, Sequence
from typing import Final

__all__ = ["MAX_SIGNALS", "SIGNALS", "HandlerChannel"]

log = logging.getLogger("realtime_sdk.fastrtc")

MAX_SIGNALS: Final = 256
SIGNALS: Final = ("started_talking", "pause_detected")


class HandlerChannel:
    """FastRTC's data channel contract (``send``), callable from any thread.

    Messages are read on the loop: a signal is queued and ``on_signal`` called; ``send_input``
    calls ``on_send_input``; anything else is logged at debug level.
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        *,
        on_signal: Callable[[], None],
        on_send_input: Callable[[], None],
    ) -> None:
        self._loop = loop
        self._thread = threading.get_ident()
        self._on_signal = on_signal
        self._on_send_input = on_send_input
        self._signals: deque[str] = deque()

    def send(self, message: str) -> None:
        if threading.get_ident() == self._thread:
            self._message(message)
        else:
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._message, message)

    def take(self) -> Sequence[str]:
        """The signals received since the last call, oldest first (asked once per look)."""
        if not self._signals:
            return ()
        signals = list(self._signals)
        self._signals.clear()
        return signals

    def _message(self, raw: str) -> None:
        try:
            message = json.loads(raw)
            kind, data = message.get("type"), message.get("data")
        except (ValueError, AttributeError):
            log.debug("unreadable handler message %r", raw)
            return
        if kind == "send_input":
            self._on_send_input()
        elif kind == "log" and data in SIGNALS:
            if len(self._signals) >= MAX_SIGNALS:
                log.warning("dropping a %s signal: nobody is reading events", data)
                return
            self._signals.append(str(data))
            self._on_signal()
        else:
            log.debug("handler message %r", raw)
