"""`EmitPace`: when to ask a handler for output, without ever polling in a busy loop.

FastRTC's transports call ``emit()`` in a loop; a sync handler that returns None
makes that loop spin a core per idle connection. Here:

- a `ReplyOnPause` (or subclass) is asked to ``emit()`` only while its ``event`` is set, which is
  exactly when its ``emit()`` can return something (a pause was heard, a greeting queued); we look
  again after each frame it receives and after ``start_up``, and re-check the flag (no thread hop)
  every 0.25 s in case something else set it;
- any other handler is asked again at once while it produces, and after each frame it receives;
  while it returns None the next call backs off from 5 ms, doubling, to ``idle_poll_s`` (0.1 s:
  ten calls a second on an idle session);
- an ``async`` ``emit()`` that awaits its own queue is simply awaited.
"""

from __future__ import annotations

from typing import Final

__all__ = ["FIRST_BACKOFF_S", "GATE_RECHECK_S", "EmitPace"]

GATE_RECHECK_S: Final = 0.25
FIRST_BACKOFF_S: Final = 0.005


class EmitPace:
    """When to ask a (non-ReplyOnPause) handler for output next."""

    def __init__(self, idle_s: float) -> None:
        self.idle_s = idle_s
        self.next_at = 0.0
        self._streak = 0

    def produced(self, now: float) -> None:
        """Output or input: ask again at once."""
        self._streak, self.next_at = 0, now

    def nothing(self, now: float) -> None:
        self._streak += 1
        self.next_at = now + min(self.idle_s, FIRST_BACKOFF_S * 2 ** min(self._streak - 1, 16))
