"""The typed Live client over WebRTC against a real echo server (uvicorn on 127.0.0.1):
created over HTTP, speech played on the track and the echo heard on the other, events
on the data channel, closed with session.closed."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import numpy as np
import pytest
from helpers.paths import AUDIO_FIXTURES
from helpers.servers import Running, serve

from realtime_sdk.app import ServerConfig
from realtime_sdk.audio import read_wav
from realtime_sdk.backends.echo import EchoBackend
from realtime_sdk.client.live import connect_live


@pytest.fixture(scope="module")
def server() -> Iterator[Running]:
    with serve(ServerConfig(backend_factory=EchoBackend)) as running:
        yield running


def test_speech_over_the_tracks(server: Running) -> None:
    rate, speech = read_wav(AUDIO_FIXTURES / "hello_world_16k.wav")
    speech = np.concatenate([speech, np.zeros(rate, np.int16)])

    async def main() -> None:
        async with connect_live(base_url=server.base_url, transport="webrtc") as conn:
            assert conn.session_config["status"] == "active"
            heard = await conn.exchange(speech, rate)
            assert heard.errors == [] and heard.rate == 24000
            loud = np.sqrt(np.mean(heard.audio.astype(float) ** 2))
            assert loud > 300, loud  # the echo, heard on the incoming track

    asyncio.run(asyncio.wait_for(main(), 40))
