"""The typed translation client against a real server (uvicorn, the echo translator): audio
at any rate sent as 200 ms appends, the session closed and gathered; ek_ keys; and
`realtime-sdk talk --translate` saving what came back."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from helpers.paths import AUDIO_FIXTURES
from helpers.servers import Running, serve
from pydantic import ValidationError

from realtime_sdk import cli
from realtime_sdk.app import ServerConfig
from realtime_sdk.audio import read_wav, resample
from realtime_sdk.backends.echo import EchoBackend
from realtime_sdk.backends.translation_echo import EchoTranslator
from realtime_sdk.client import connect_translation, create_translation_client_secret

KEY = "sk-translation-client"
SPEECH = AUDIO_FIXTURES / "two_utterances_16k.wav"


@pytest.fixture(scope="module")
def server() -> Iterator[Running]:
    config = ServerConfig(
        backend_factory=EchoBackend, translator_factory=EchoTranslator, api_keys=frozenset([KEY])
    )
    with serve(config) as running:
        yield running


def test_audio_at_any_rate_goes_as_200_ms_appends(server: Running) -> None:
    rate, samples = read_wav(SPEECH)

    async def main() -> None:
        async with connect_translation(
            base_url=server.base_url, api_key=KEY, language="es"
        ) as conn:
            assert conn.session_config["audio"]["output"]["language"] == "es"
            sent: list[str] = []
            send = conn.transport.send

            async def spy(text: str) -> None:
                sent.append(text)
                await send(text)

            conn.transport.send = spy  # type: ignore[method-assign]
            for start in range(0, len(samples), 1000):  # 62.5 ms pieces at 16 kHz
                await conn.append_audio(samples[start : start + 1000], rate=rate)
            result = await conn.finish()
        appends = [json.loads(t) for t in sent if "append" in t]
        sizes = {len(a["audio"]) for a in appends[:-1]}
        assert sizes == {12800}  # base64 of 9600 bytes: 200 ms at 24 kHz
        expected = resample(samples, rate, 24000)
        assert abs(len(result.audio) - len(expected)) <= 48  # echo: all of it, at 24 kHz
        assert (
            np.corrcoef(result.audio[: len(expected)], expected[: len(result.audio)])[0, 1] > 0.99
        )
        assert result.transcript.count("[") == 2 and not result.errors

    asyncio.run(asyncio.wait_for(main(), 30))


def test_an_ephemeral_key_for_a_translation_session(server: Running) -> None:
    async def main() -> None:
        secret = await create_translation_client_secret(
            base_url=server.base_url, api_key=KEY, language="it", expires_after_seconds=30
        )
        assert secret["value"].startswith("ek_")
        async with connect_translation(base_url=server.base_url, api_key=secret["value"]) as conn:
            assert conn.session_config["audio"]["output"]["language"] == "it"

    asyncio.run(asyncio.wait_for(main(), 30))


def test_a_field_translation_sessions_lack_is_refused_before_sending(server: Running) -> None:
    async def main() -> None:
        with pytest.raises(ValidationError, match=r"session\.voice"):
            async with connect_translation(
                base_url=server.base_url, api_key=KEY, session={"voice": "alloy"}
            ):
                pass

    asyncio.run(asyncio.wait_for(main(), 30))


def test_talk_translate_saves_the_translation(
    server: Running, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "translated.wav"
    argv = ["talk", server.base_url, "--translate", "fr", "--input", str(SPEECH)]
    code = cli.main([*argv, "--output", str(out), "--api-key", KEY])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "translation (fr): [" in printed and "heard: [" in printed
    rate, back = read_wav(out)
    source_rate, source = read_wav(SPEECH)
    assert rate == 24000
    assert abs(len(back) / rate - len(source) / source_rate) < 0.01
