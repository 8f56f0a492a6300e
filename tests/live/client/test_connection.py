"""The typed Live client against the real app in the same process (no socket): started,
speech exchanged with echo, a delegation round trip, close."""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np
from helpers.paths import AUDIO_FIXTURES

from realtime_sdk.app import ServerConfig, create_app
from realtime_sdk.audio import read_wav
from realtime_sdk.backends.echo import EchoBackend
from realtime_sdk.client import ASGIWebSocketTransport
from realtime_sdk.client.live import connect_live


def run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 30))


def test_speech_is_exchanged_and_a_delegation_answered() -> None:
    rate, speech = read_wav(AUDIO_FIXTURES / "hello_world_16k.wav")
    app = create_app(ServerConfig(backend_factory=EchoBackend))

    async def main() -> None:
        transport = ASGIWebSocketTransport(app)
        session = {"delegation": {"type": "client"}}
        async with connect_live(transport=transport, session=session) as conn:
            assert conn.session_config["status"] == "active"
            heard = await conn.exchange(np.concatenate([speech, np.zeros(rate, np.int16)]), rate)
            assert heard.errors == [] and heard.rate == 24000
            assert len(heard.audio) / heard.rate > 2  # the silence and the echo, in real time
            assert np.abs(heard.audio).max() > 1000
            await conn.session.commentary.append(content="call delegate {}", delegation_id=None)
            created = await anext(e async for e in conn if e.type == "session.delegation.created")
            await conn.session.commentary.append(
                content="done", delegation_id=created.delegation.id
            )
            answer = await conn.exchange(np.zeros(0, np.int16), 24000, quiet_s=1.0)
            assert answer.said == "done"

    run(main())
