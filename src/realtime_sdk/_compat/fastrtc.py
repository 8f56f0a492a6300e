"""What the FastRTC adapter does with FastRTC's internals, for fastrtc >=0.0.30,<0.1.

FastRTC's own transports wire a handler by writing attributes its public API has no setter for;
serving a handler the same way means writing them too:

- ``handler._loop``: the event loop ``handler.loop`` returns, on which ReplyOnPause runs an
  async reply function from its emit() thread;
- ``handler._clear_queue``: what ``handler.clear_queue()`` calls when the user talks over a
  reply, to drop audio queued for playback. Playback is the client's here, so it does nothing;
- the context variables ``fastrtc.utils.current_context`` and ``current_channel``, which
  ``fastrtc.get_current_context()`` and a handler's ``send_message_sync`` read.

The adapter also reads two ReplyOnPause attributes that are public by name but undocumented:
``event`` (set while emit() has something to give) and ``generator`` (the reply in progress).
tests/_compat/test_compat_fastrtc.py checks all of these on the installed fastrtc.

Applied per handler, by the adapter, when a session starts (`wire_handler`, `context_setter`);
nothing here runs at import. fastrtc itself is optional: without it a duck-typed handler is
wired the same way and there is no context to set.
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Callable
from typing import Any, Final

from .versions import check_version

__all__ = ["BELOW", "LOWEST", "check_fastrtc", "context_setter", "wire_handler"]

LOWEST: Final = "0.0.30"
BELOW: Final = "0.1"


def check_fastrtc() -> str | None:
    """The installed fastrtc version (None without fastrtc); `UnsupportedVersion` outside
    the range this module was written for."""
    return check_version("fastrtc", LOWEST, BELOW)


def wire_handler(handler: Any, loop: asyncio.AbstractEventLoop) -> None:
    """Give ``handler`` its event loop and a playback queue that is not ours to clear."""
    check_fastrtc()
    handler._loop = loop
    handler._clear_queue = _noop


def context_setter(session_id: str, channel: object) -> Callable[[], None]:
    """A function that sets FastRTC's context variables for the session, to be run on each
    thread (and in each task) that calls into the handler; a no-op without fastrtc."""
    try:
        utils = importlib.import_module("fastrtc.utils")
    except ImportError:
        return _noop
    check_fastrtc()
    context = utils.Context(webrtc_id=session_id)

    def enter() -> None:
        utils.current_context.set(context)
        utils.current_channel.set(channel)

    return enter


def _noop() -> None:
    pass
