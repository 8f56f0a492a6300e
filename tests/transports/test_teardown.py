"""What an ended call or session lets go of, and when.

`serve` freezes the heap it loaded, after which CPython's full collections are rare: what an
ended call keeps in a reference cycle stays, with the FFmpeg threads of its resamplers and
Opus encoder (two per call). So a closed WebRTC transport must be freed by reference counting
alone, and what other code leaves in cycles is collected soon after a session ends
(`reclaim.collect_soon`). tests/realtime/server/test_disconnect.py checks a real server's
threads, fds and RSS over rounds of calls.
"""

from __future__ import annotations

import asyncio
import gc
import weakref
from typing import Any

import aioice.ice
import numpy as np
import pytest
from helpers.rtc_peer import RATE, RtcClient, run

from realtime_sdk import _compat
from realtime_sdk._compat import aiortc as compat_aiortc
from realtime_sdk.backends.echo import EchoBackend
from realtime_sdk.realtime.protocol.session import Session
from realtime_sdk.realtime.server.driver import SessionDriver
from realtime_sdk.transports import reclaim
from realtime_sdk.transports.webrtc.ice import IceConfig
from realtime_sdk.transports.webrtc.limits import CONNECT_TIMEOUT_ENV, Limits
from realtime_sdk.transports.webrtc.transport import WebRTCTransport
from realtime_sdk.vad import SileroSpeechModel

LOOPBACK = IceConfig(loopback="only")


@pytest.fixture(autouse=True, scope="module")
def _patched_as_a_server_starts() -> None:
    """What `create_app` does first: aiortc's and aioice's patches (`_compat`)."""
    _compat.apply()


def test_a_closed_call_is_freed_without_the_cyclic_collector() -> None:
    """A call that played a reply and heard the peer, hung up: its transport, peer connection
    and RTP sender (with the Opus encoder) go with their last reference, the collector off."""
    tone = (3000 * np.sin(2 * np.pi * 440 * np.arange(RATE) / RATE)).astype(np.int16)

    async def main() -> list[weakref.ref[Any]]:
        client = RtcClient()
        server = await WebRTCTransport.answer(await client.offer(), LOOPBACK)
        session = Session(speech_model=SileroSpeechModel(), transport="webrtc")
        driver = asyncio.create_task(SessionDriver(server, session, EchoBackend()).run())
        await client.accept(server.local_sdp)
        await client.wait_for("session.created")
        client.mic.say(tone)
        client.send(
            {"type": "conversation.item.create", "item": {"type": "message", "role": "user",
             "content": [{"type": "input_text", "text": "one two three"}]}}
        )  # fmt: skip
        client.send({"type": "response.create"})
        await client.wait_for("output_audio_buffer.started", 10)
        for _ in range(100):  # the peer's audio goes through our resampler once it arrives
            if server.hearing_rate == 24000:
                break
            await asyncio.sleep(0.05)
        assert server.hearing_rate == 24000
        refs = [weakref.ref(server), weakref.ref(server.pc), weakref.ref(session)]
        refs += [weakref.ref(sender) for sender in server.pc.getSenders()]
        gc.disable()
        await server.close(reason="hangup")
        await asyncio.wait_for(driver, 10)
        await client.close()
        del server, session, driver
        await asyncio.sleep(0.2)  # aiortc's own send callbacks finish
        return refs

    try:
        refs: list[weakref.ref[Any]] = []

        async def script() -> None:
            refs.extend(await main())

        run(script)
        assert [r() for r in refs] == [None] * len(refs)
    finally:
        gc.enable()


def test_collect_soon_runs_one_full_collection_after_the_delay() -> None:
    class Cycle:
        def __init__(self) -> None:
            self.me = self

    async def main() -> None:
        collections: list[int] = []

        def count(phase: str, info: dict[str, int]) -> None:
            if phase == "stop" and info["generation"] == 2:
                collections.append(info["collected"])

        gc.collect()
        gc.callbacks.append(count)
        try:
            cycle = weakref.ref(Cycle())
            reclaim.collect_soon(0.05)
            reclaim.collect_soon(0.05)  # already due: the same pass
            assert cycle() is not None
            await asyncio.sleep(0.3)
            assert cycle() is None
            assert len(collections) == 1
        finally:
            gc.callbacks.remove(count)

    run(main)
    reclaim.collect_soon()  # outside a loop: nothing to do, no error


def test_consent_timeout_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(aioice.ice, "CONSENT_INTERVAL", aioice.ice.CONSENT_INTERVAL)
    compat_aiortc._consent_timeout("3")
    assert aioice.ice.CONSENT_INTERVAL == 3 / aioice.ice.CONSENT_FAILURES
    for wrong in ("soon", "-1", "0"):
        compat_aiortc._consent_timeout(wrong)
        assert aioice.ice.CONSENT_INTERVAL == 3 / aioice.ice.CONSENT_FAILURES


def test_connect_timeout_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Limits().connect_timeout_s == 30.0
    monkeypatch.setenv(CONNECT_TIMEOUT_ENV, "2.5")
    assert Limits().connect_timeout_s == 2.5
    monkeypatch.setenv(CONNECT_TIMEOUT_ENV, "later")
    assert Limits().connect_timeout_s == 30.0
