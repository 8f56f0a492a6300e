"""openai-python 3.63's translation client, unmodified, against a real server (uvicorn on
127.0.0.1, the echo translator): the session's events, output lined up by `elapsed_ms`,
the close, and ephemeral keys from the translation client-secrets route."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Iterator
from typing import Any

import numpy as np
import openai
import pytest
from helpers.paths import AUDIO_FIXTURES
from helpers.servers import Running, serve
from openai import AsyncOpenAI

from realtime_sdk.app import ServerConfig
from realtime_sdk.audio import read_wav, resample
from realtime_sdk.backends.echo import EchoBackend
from realtime_sdk.backends.translation_echo import EchoTranslator

API_KEY = "sk-translate"


@pytest.fixture(scope="module")
def server() -> Iterator[Running]:
    config = ServerConfig(
        backend_factory=EchoBackend,
        translator_factory=EchoTranslator,
        api_keys=frozenset([API_KEY]),
    )
    with serve(config) as running:
        yield running


def speech_24k() -> np.ndarray:
    rate, samples = read_wav(AUDIO_FIXTURES / "two_utterances_16k.wav")
    return resample(samples, rate, 24000)


async def recv(conn: Any) -> Any:
    return await conn.recv()


async def until(conn: Any, kind: str) -> list[Any]:
    events = []
    async for event in conn:
        events.append(event)
        if event.type == kind:
            return events
    raise AssertionError(f"the connection ended before {kind}")


async def translate(conn: Any, samples: np.ndarray) -> list[Any]:
    """Appends of 100 ms (the service takes any length), then close: every event after."""
    step = 2400
    for start in range(0, len(samples), step):
        chunk = samples[start : start + step].astype("<i2").tobytes()
        await conn.session.input_audio_buffer.append(audio=base64.b64encode(chunk).decode())
    await conn.session.close()
    return await until(conn, "session.closed")


def run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 30))


def test_a_session_from_connect_to_close(server: Running) -> None:
    samples = speech_24k()

    async def main() -> None:
        client = AsyncOpenAI(base_url=server.base_url, api_key=API_KEY)
        async with client.realtime.translations.connect(model="gpt-realtime-translate") as conn:
            created = await recv(conn)
            assert created.type == "session.created"
            assert created.session.type == "translation"
            assert created.session.model == "gpt-realtime-translate"
            assert created.session.id.startswith("sess_")
            await conn.session.update(
                session={"audio": {"output": {"language": "fr"},
                                   "input": {"transcription": {"model": "whisper-1"}}}}
            )  # fmt: skip
            updated = await recv(conn)
            assert updated.type == "session.updated"
            assert updated.session.audio.output.language == "fr"
            assert updated.session.audio.input.transcription.model == "whisper-1"
            events = await translate(conn, samples)
        audio = [e for e in events if e.type == "session.output_audio.delta"]
        texts = [e for e in events if e.type == "session.output_transcript.delta"]
        sources = [e for e in events if e.type == "session.input_transcript.delta"]
        assert events[-1].type == "session.closed"
        back = b"".join(base64.b64decode(e.delta) for e in audio)
        assert back == samples.astype("<i2").tobytes()  # echo: the input, unchanged
        assert [e.elapsed_ms for e in audio] == [200 * i for i in range(len(audio))]
        assert {(e.sample_rate, e.channels, e.format) for e in audio} == {(24000, 1, "pcm16")}
        assert len(texts) == 2  # one per utterance
        assert [e.delta for e in sources] == [e.delta for e in texts]
        assert all(isinstance(e.elapsed_ms, int) for e in texts)

    run(main())


def test_bad_events_get_errors_and_the_session_goes_on(server: Running) -> None:
    async def main() -> None:
        client = AsyncOpenAI(base_url=server.base_url, api_key=API_KEY)
        async with client.realtime.translations.connect(model="gpt-realtime-translate") as conn:
            await recv(conn)
            unknown: Any = {"type": "session.update", "session": {"model": "other"}}
            await conn.send(unknown)
            error = await recv(conn)
            assert error.type == "error"
            assert (error.error.code, error.error.param) == ("unknown_parameter", "session.model")
            await conn.session.input_audio_buffer.append(audio="not base64!", event_id="e1")
            error = await recv(conn)
            assert (error.error.param, error.error.event_id) == ("audio", "e1")
            await conn.session.update(session={"audio": {"output": {"language": "de"}}})
            assert (await recv(conn)).type == "session.updated"
            await conn.session.close()
            assert (await recv(conn)).type == "session.closed"

    run(main())


def test_ephemeral_keys_from_the_client_secrets_route(server: Running) -> None:
    async def main() -> None:
        trusted = AsyncOpenAI(base_url=server.base_url, api_key=API_KEY)
        secret: Any = await trusted.realtime.translations.client_secrets.create(
            session={"model": "gpt-realtime-translate", "audio": {"output": {"language": "ja"}}},
            expires_after={"anchor": "created_at", "seconds": 60},
        )
        assert secret.value.startswith("ek_")
        assert secret.session.audio.output.language == "ja"
        browser = AsyncOpenAI(base_url=server.base_url, api_key=secret.value)
        async with browser.realtime.translations.connect(model="ignored") as conn:
            created = await recv(conn)
            assert created.session.model == "gpt-realtime-translate"  # the key pins it
            assert created.session.audio.output.language == "ja"
            events = await translate(conn, speech_24k()[:24000])
            assert events[-1].type == "session.closed"
        with pytest.raises(openai.PermissionDeniedError):  # a key cannot mint keys
            await browser.realtime.translations.client_secrets.create(
                session={"model": "gpt-realtime-translate"}
            )

    run(main())


def test_refused_connections(server: Running) -> None:
    async def main() -> None:
        wrong = AsyncOpenAI(base_url=server.base_url, api_key="sk-wrong")
        with pytest.raises(Exception, match="401"):
            async with wrong.realtime.translations.connect(model="gpt-realtime-translate"):
                pass
        trusted = AsyncOpenAI(base_url=server.base_url, api_key=API_KEY)
        realtime_key = await trusted.realtime.client_secrets.create()
        other = AsyncOpenAI(base_url=server.base_url, api_key=realtime_key.value)
        with pytest.raises(Exception, match="401"):
            async with other.realtime.translations.connect(model="gpt-realtime-translate"):
                pass
        # and the other way: a translation key opens no Realtime session or call
        translation_key: Any = await trusted.realtime.translations.client_secrets.create(
            session={"model": "gpt-realtime-translate"}
        )
        browser = AsyncOpenAI(base_url=server.base_url, api_key=translation_key.value)
        with pytest.raises(Exception, match="401"):
            async with browser.realtime.connect(model="gpt-realtime"):
                pass
        with pytest.raises(openai.AuthenticationError, match="translation sessions only"):
            await browser.realtime.client_secrets.create()

    run(main())
