"""Live over WebRTC: openai-python 3.63 (`client.live.create()`, `client.live.sideband`,
`client.live.sessions.hangup`), unmodified, against a real server (uvicorn on 127.0.0.1,
echo), with an aiortc peer (`rtc_peer.RtcClient`) as the browser; the sideband gets the
session's events and a copy of the peer's input audio."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Iterator

import numpy as np
import openai
import pytest
from helpers.paths import AUDIO_FIXTURES
from helpers.rtc_peer import RtcClient, rms, run, speech_48k
from helpers.servers import Running, serve
from openai import AsyncOpenAI

from realtime_sdk.app import ServerConfig
from realtime_sdk.backends.echo import EchoBackend

KEY = "sk-live-webrtc"
SESSION = {"model": "gpt-live-1"}


@pytest.fixture(scope="module")
def server() -> Iterator[Running]:
    with serve(ServerConfig(backend_factory=EchoBackend, api_keys=frozenset({KEY}))) as running:
        yield running


def test_create_speak_hear_sideband_and_hang_up(server: Running) -> None:
    voice = speech_48k(AUDIO_FIXTURES / "hello_world_16k.wav", tail_s=1.5)

    async def main() -> None:
        client = AsyncOpenAI(base_url=server.base_url, api_key=KEY)
        rtc = RtcClient()
        try:
            created = await client.live.create(
                session=SESSION, transport={"type": "webrtc", "sdp": await rtc.offer()}
            )
            assert created.session.id.startswith("sess_") and created.transport.type == "webrtc"
            await rtc.accept(created.transport.sdp)
            started = await rtc.wait_for("session.started")
            assert started["session"]["id"] == created.session.id
            async with client.live.sideband.connect(session_id=created.session.id) as side:
                rtc.mic.say(voice)
                loop = asyncio.get_running_loop()
                said_at = loop.time()
                await asyncio.sleep(len(voice) / 48000 + 1.0)
                heard = rtc.audio_between(said_at, loop.time())
                assert rms(heard) > 300, rms(heard)  # the echo, over the track
                await side.session.input_audio.mute()
                muted = await rtc.wait_for("session.input_audio.muted")
                seen = []
                while not seen or seen[-1].type != muted["type"]:
                    seen.append(await asyncio.wait_for(side.recv(), 5))
                appends = [e for e in seen if e.type == "session.input_audio.append"]
                heard_copy = b"".join(base64.b64decode(e.audio) for e in appends)
                assert rms(np.frombuffer(heard_copy, dtype="<i2")) > 300  # the peer's speech
                played = [e for e in seen if e.type == "session.output_audio.delta"]
                assert all(e.end_ms - e.start_ms == 40 for e in played)
                said_copy = b"".join(base64.b64decode(e.delta) for e in played)
                assert rms(np.frombuffer(said_copy, dtype="<i2")) > 100  # the echo, reflected
                await side.send({"type": "session.start", "session": SESSION})
                refused = await asyncio.wait_for(side.recv(), 5)
                while refused.type != "error":
                    refused = await asyncio.wait_for(side.recv(), 5)
                assert "session.start" in refused.error.message
            await client.live.sessions.hangup(created.session.id)
            closed = await rtc.wait_for("session.closed")
            assert closed["reason"] == "close_requested"
            assert "error" not in rtc.types(), [e for e in rtc.events if e["type"] == "error"]
        finally:
            await rtc.close()

    run(main)


def test_attach_and_hangup_take_only_the_api_key(server: Running) -> None:
    async def main() -> None:
        client = AsyncOpenAI(base_url=server.base_url, api_key=KEY)
        secret = await client.realtime.client_secrets.create()
        browser = AsyncOpenAI(base_url=server.base_url, api_key=secret.value)
        rtc = RtcClient()
        try:
            created = await browser.live.create(
                session=SESSION, transport={"type": "webrtc", "sdp": await rtc.offer()}
            )
            await rtc.accept(created.transport.sdp)
            await rtc.wait_for("session.started")
            with pytest.raises(Exception) as refused:
                async with browser.live.sideband.connect(session_id=created.session.id) as side:
                    await side.recv()
            assert "403" in str(refused.value), refused.value
            with pytest.raises(openai.PermissionDeniedError):
                await browser.live.sessions.hangup(created.session.id)
            with pytest.raises(openai.NotFoundError):
                await client.live.sessions.hangup("sess_unknown")
            await client.live.sessions.hangup(created.session.id)
        finally:
            await rtc.close()

    run(main)
