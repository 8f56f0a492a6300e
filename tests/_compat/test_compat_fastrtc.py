"""What the FastRTC adapter relies on in fastrtc's internals, checked on the installed fastrtc.

A failure here means fastrtc changed under `realtime_sdk._compat.fastrtc`: revisit that module
(and its version range) before widening the range.
"""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

import numpy as np
import pytest
from helpers.need import need

from realtime_sdk._compat import UnsupportedVersion
from realtime_sdk._compat import fastrtc as compat
from realtime_sdk._compat.versions import check_version, release

try:
    import fastrtc
except ImportError:
    fastrtc = None


@pytest.fixture
def fr() -> Any:
    need(fastrtc is not None, "fastrtc is not installed (pip install 'realtime-sdk[fastrtc]')")
    return fastrtc


class Channel:
    """FastRTC's DataChannel contract: ``send``."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    def send(self, message: str) -> None:
        self.sent.append(message)


def reply_on_pause(fr: Any, fn: Any) -> Any:
    from realtime_sdk.backends.fastrtc import LocalPauseDetectionModel

    return fr.ReplyOnPause(fn, model=LocalPauseDetectionModel(), input_sample_rate=16000)


def test_the_installed_fastrtc_is_in_the_range(fr: Any) -> None:
    version = compat.check_fastrtc()
    assert version is not None
    assert release(compat.LOWEST) <= release(version) < release(compat.BELOW)


def test_another_range_is_refused_naming_the_version(fr: Any) -> None:
    version = compat.check_fastrtc()
    with pytest.raises(UnsupportedVersion, match=rf"fastrtc {version} is not supported"):
        check_version("fastrtc", "0.0.1", "0.0.2")


def test_the_loop_is_what_handler_loop_and_send_message_sync_use(fr: Any) -> None:
    class Handler(fr.StreamHandler):  # type: ignore[misc]
        def receive(self, frame: Any) -> None: ...

        def emit(self) -> None: ...

        def copy(self) -> Any:
            return Handler()

    async def main() -> None:
        handler, channel = Handler(), Channel()
        with pytest.raises(AttributeError):
            handler.loop  # noqa: B018  # declared, not set, until a transport wires it
        loop = asyncio.get_running_loop()
        compat.wire_handler(handler, loop)
        assert handler.loop is loop
        handler.set_channel(channel)
        # from a handler thread, as ReplyOnPause's emit() sends its signals
        await asyncio.to_thread(handler.send_message_sync, "hello")
        assert channel.sent == ["hello"]

    asyncio.run(main())


def test_clear_queue_is_the_wired_one_and_a_talked_over_reply_calls_it(fr: Any) -> None:
    handler = reply_on_pause(fr, lambda audio: iter(()))
    assert handler._clear_queue is None  # what FastRTC's transports replace
    loop = asyncio.new_event_loop()
    try:
        compat.wire_handler(handler, loop)
        assert handler.clear_queue is compat._noop
        handler.clear_queue()  # playback is the client's: nothing to clear
        cleared: list[bool] = []
        handler._clear_queue = lambda: cleared.append(True)

        def pause_heard(frame: Any, state: Any) -> None:
            state.pause_detected = True

        handler.process_audio = pause_heard
        handler.receive((16000, np.zeros((1, 160), dtype=np.int16)))
        assert cleared == [True]  # ReplyOnPause clears the queue through _clear_queue
    finally:
        loop.close()


def test_context_variables_are_what_get_current_context_reads(fr: Any) -> None:
    import fastrtc.utils

    channel = Channel()
    enter = compat.context_setter("sess_123", channel)
    seen: dict[str, Any] = {}

    def on_a_thread() -> None:
        enter()
        seen["context"] = fr.get_current_context()
        seen["channel"] = fastrtc.utils.current_channel.get()

    thread = threading.Thread(target=on_a_thread)
    thread.start()
    thread.join()
    assert seen["context"].webrtc_id == "sess_123"
    assert seen["channel"] is channel


def test_reply_on_pause_event_and_generator_say_when_emit_has_something(fr: Any) -> None:
    """The adapter asks emit() only while ``event`` is set, and reads ``generator`` to tell
    one reply from the next."""

    def reply(audio: tuple[int, np.ndarray]) -> Any:
        yield (16000, np.ones((1, 160), dtype=np.int16))

    async def main() -> None:
        handler, channel = reply_on_pause(fr, reply), Channel()
        compat.wire_handler(handler, asyncio.get_running_loop())
        handler.set_channel(channel)
        assert isinstance(handler.event, threading.Event)
        assert not handler.event.is_set() and handler.generator is None
        assert await asyncio.to_thread(handler.emit) is None
        handler.trigger_response()
        assert handler.event.is_set()
        rate, frame = await asyncio.to_thread(handler.emit)
        assert rate == 16000 and frame.shape == (1, 160)
        assert handler.generator is not None  # the reply in progress
        assert await asyncio.to_thread(handler.emit) is None  # the reply is over...
        assert handler.generator is None and not handler.event.is_set()  # ...and forgotten
        signals = [json.loads(m) for m in channel.sent]
        assert {"type": "log", "data": "pause_detected"} in signals

    asyncio.run(main())
