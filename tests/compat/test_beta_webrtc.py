"""The legacy beta WebRTC flow with an aiortc peer (no browser needed): a key from
`POST /v1/realtime/sessions`, the SDP offer posted to `/v1/realtime?model=`, and the
`oai-events` channel speaking beta for typed and spoken turns. A beta key also makes
a call posted to `/v1/realtime/calls` speak beta; a GA key there gets GA.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from helpers.beta_events import check_beta, need_beta_client
from helpers.paths import AUDIO_FIXTURES
from helpers.rtc_peer import RtcClient, rms, run, speech_48k
from helpers.servers import Running, serve
from openai import AsyncOpenAI

from realtime_sdk._generated.dialects import BETA_TO_GA
from realtime_sdk.app import ServerConfig
from realtime_sdk.backends.echo import EchoBackend

FIXTURES = AUDIO_FIXTURES
KEY = "sk-test-beta-webrtc"


@pytest.fixture(scope="module")
def server() -> Iterator[Running]:
    with serve(ServerConfig(backend_factory=EchoBackend, api_keys=frozenset({KEY}))) as running:
        yield running


async def beta_key(server: Running) -> str:
    made = await AsyncOpenAI(base_url=server.base_url, api_key=KEY).beta.realtime.sessions.create(
        model="gpt-4o-realtime-preview", modalities=["audio", "text"], voice="ash"
    )
    return made.client_secret.value


async def post_offer(server: Running, path: str, key: str, sdp: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=f"http://{server.host}:{server.port}") as http:
        return await http.post(
            path,
            content=sdp,
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/sdp"},
            timeout=10,
        )


def check_all_beta(rtc: RtcClient) -> None:
    for event in rtc.events:
        if ("server", event["type"]) in BETA_TO_GA:
            check_beta(json.dumps(event))


def test_legacy_flow_speaks_beta_on_the_data_channel(server: Running) -> None:
    need_beta_client()
    voice = speech_48k(FIXTURES / "fastrtc-how-are-you-24k.wav", tail_s=1.5)

    async def main() -> None:
        rtc = RtcClient()
        try:
            key = await beta_key(server)
            answer = await post_offer(
                server, "/v1/realtime?model=gpt-4o-realtime-preview", key, await rtc.offer()
            )
            assert answer.status_code == 201, answer.text
            await rtc.accept(answer.text)
            created = await rtc.wait_for("session.created")
            assert created["session"]["voice"] == "ash"
            assert "audio" not in created["session"] and "type" not in created["session"]

            # a typed turn, text only, in beta words
            typed = {"type": "input_text", "text": "typed here"}
            item = {"type": "message", "role": "user", "content": [typed]}
            rtc.send({"type": "conversation.item.create", "item": item})
            rtc.send({"type": "response.create", "response": {"modalities": ["text"]}})
            done = await rtc.wait_for("response.done", 15)
            assert done["response"]["output"][0]["content"][0] == {
                "type": "text", "text": "typed here"
            }  # fmt: skip
            assert "response.text.done" in rtc.types()

            # a spoken turn: server VAD, the reply over RTP
            mark = len(rtc.events)
            rtc.mic.say(voice)
            started = await rtc.wait_for("output_audio_buffer.started", 15, after=mark)
            stopped = await rtc.wait_for("output_audio_buffer.stopped", 15, after=mark)
            heard = rtc.audio_between(rtc.time_of(started), rtc.time_of(stopped))
            assert len(heard) > 48000 and rms(heard) > 300
            kinds = rtc.types()
            assert "conversation.item.created" in kinds
            ga_names = ("response.output_audio", "response.output_text")
            assert not [k for k in kinds if k.startswith(ga_names)]
            assert "conversation.item.added" not in kinds and "conversation.item.done" not in kinds
            check_all_beta(rtc)
        finally:
            await rtc.close()

    run(main)


@pytest.mark.parametrize("beta", [True, False], ids=["beta-key", "ga-key"])
def test_calls_route_speaks_the_dialect_of_the_key(server: Running, beta: bool) -> None:
    need_beta_client()

    async def main() -> None:
        rtc = RtcClient()
        try:
            key = await beta_key(server) if beta else KEY
            answer = await post_offer(server, "/v1/realtime/calls", key, await rtc.offer())
            assert answer.status_code == 201, answer.text
            await rtc.accept(answer.text)
            session = (await rtc.wait_for("session.created"))["session"]
            assert ("modalities" in session) == beta
            assert ("type" in session) == (not beta)
            call_id = answer.headers["location"].rsplit("/", 1)[1]
            async with httpx.AsyncClient() as http:
                hung = await http.post(
                    f"{server.base_url}/realtime/calls/{call_id}/hangup",
                    headers={"Authorization": f"Bearer {KEY}"},
                )
            assert hung.status_code == 200
        finally:
            await rtc.close()

    run(main)
