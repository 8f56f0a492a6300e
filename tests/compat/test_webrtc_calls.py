"""WebRTC calls over HTTP against a real server (uvicorn on 127.0.0.1, echo back-end).

The official openai-python client posts the offer (`client.realtime.calls.create`,
multipart with a session) and hangs up; an aiortc peer (`rtc_peer.RtcClient`, like a
browser: no candidates in the offer) is built from the answer and completes a turn;
a sideband socket (`client.realtime.connect(call_id=...)`) watches and drives the call.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from helpers.paths import AUDIO_FIXTURES
from helpers.rtc_peer import RtcClient, rms, run, speech_48k
from helpers.servers import Running, serve
from openai import AsyncOpenAI

from realtime_sdk.app import ServerConfig
from realtime_sdk.backends.echo import EchoBackend

FIXTURES = AUDIO_FIXTURES
KEY = "sk-test-webrtc"


@pytest.fixture(scope="module")
def server() -> Iterator[Running]:
    with serve(ServerConfig(backend_factory=EchoBackend, api_keys=frozenset({KEY}))) as running:
        yield running


def client(server: Running) -> AsyncOpenAI:
    return AsyncOpenAI(base_url=server.base_url, api_key=KEY)


async def hung_up(rtc: RtcClient, timeout: float = 10) -> None:
    """The server ended the call: the data channel closes on our side."""
    deadline = asyncio.get_running_loop().time() + timeout
    while rtc.channel.readyState != "closed":
        assert asyncio.get_running_loop().time() < deadline, rtc.channel.readyState
        await asyncio.sleep(0.05)


def test_openai_python_creates_a_call_that_completes_a_turn_and_hangs_up(server: Running) -> None:
    voice = speech_48k(FIXTURES / "fastrtc-how-are-you-24k.wav", tail_s=1.5)
    session = {
        "type": "realtime",
        "instructions": "Echo me.",
        "audio": {"output": {"voice": "marin"}},
    }

    async def main() -> None:
        openai = client(server)
        rtc = RtcClient()
        try:
            raw = await openai.realtime.calls.with_raw_response.create(
                sdp=await rtc.offer(),
                session=session,  # type: ignore[arg-type]
            )
            assert raw.http_response.status_code == 201
            assert raw.headers["content-type"].startswith("application/sdp")
            location = raw.headers["location"]
            call_id = location.rsplit("/", 1)[1]
            assert location == f"/v1/realtime/calls/{call_id}" and call_id.startswith("rtc_")
            answer = raw.parse().text
            assert answer.startswith("v=0") and "a=candidate:" in answer
            await rtc.accept(answer)

            created = await rtc.wait_for("session.created")
            assert created["session"]["instructions"] == "Echo me."
            assert created["session"]["audio"]["output"]["voice"] == "marin"
            rtc.mic.say(voice)
            started = await rtc.wait_for("output_audio_buffer.started", 15)
            stopped = await rtc.wait_for("output_audio_buffer.stopped", 15)
            assert "response.output_audio.delta" not in rtc.types()
            heard = rtc.audio_between(rtc.time_of(started), rtc.time_of(stopped))
            assert len(heard) > 48000 and rms(heard) > 300

            await openai.realtime.calls.hangup(call_id)
            await hung_up(rtc)
        finally:
            await rtc.close()

    run(main)


def test_sideband_socket_sees_the_call_and_drives_it(server: Running) -> None:
    async def main() -> None:
        openai = client(server)
        rtc = RtcClient()
        try:
            raw = await openai.realtime.calls.with_raw_response.create(sdp=await rtc.offer())
            call_id = raw.headers["location"].rsplit("/", 1)[1]
            await rtc.accept(raw.parse().text)
            await rtc.wait_for("session.created")
            async with openai.realtime.connect(call_id=call_id) as sideband:
                await sideband.session.update(session={"type": "realtime", "instructions": "hi"})
                await sideband.conversation.item.create(
                    item={"type": "message", "role": "user",
                          "content": [{"type": "input_text", "text": "one two three"}]}
                )  # fmt: skip
                await sideband.response.create()
                seen = []
                async for event in sideband:
                    seen.append(event.type)
                    if event.type == "output_audio_buffer.stopped":
                        break
            # the data channel saw the same events, the audio came over RTP
            updated = await rtc.wait_for("session.updated")
            assert updated["session"]["instructions"] == "hi"
            for kind in ("session.updated", "response.created", "response.done"):
                assert kind in seen
                assert kind in rtc.types()
            assert "response.output_audio.delta" not in seen
            assert seen[-1] == "output_audio_buffer.stopped"
            stopped = await rtc.wait_for("output_audio_buffer.stopped")
            heard = rtc.audio_between(rtc.time_of(stopped) - 0.6, rtc.time_of(stopped))
            assert rms(heard) > 300  # three 150 ms tones
            # the call outlives its sideband socket
            rtc.send({"type": "input_audio_buffer.clear"})
            await rtc.wait_for("input_audio_buffer.cleared")
            await openai.realtime.calls.hangup(call_id)
        finally:
            await rtc.close()

    run(main)


def post(server: Running, path: str, **kwargs: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {KEY}", **kwargs.pop("headers", {})}
    url = f"http://{server.host}:{server.port}{path}"
    return httpx.post(url, headers=headers, timeout=10, **kwargs)


async def offer_sdp() -> str:
    """A browser-like offer; the peer itself is closed at once (only the SDP is used)."""
    rtc = RtcClient()
    sdp = await rtc.offer()
    await rtc.close()
    return sdp


def test_raw_sdp_offer_hangup_and_bad_input(server: Running) -> None:
    sdp = asyncio.run(offer_sdp())
    sdp_type = {"Content-Type": "application/sdp"}
    answer = post(server, "/v1/realtime/calls?model=gpt-realtime", content=sdp, headers=sdp_type)
    assert answer.status_code == 201, answer.text
    assert answer.headers["content-type"].startswith("application/sdp")
    call_id = answer.headers["location"].rsplit("/", 1)[1]
    assert post(server, f"/v1/realtime/calls/{call_id}/hangup").status_code == 200
    gone = post(server, f"/v1/realtime/calls/{call_id}/hangup")
    assert gone.status_code == 404 and gone.json()["error"]["param"] == "call_id"
    beta = post(server, "/v1/realtime?model=gpt-realtime", content=sdp, headers=sdp_type)
    assert beta.status_code == 201 and beta.text.startswith("v=0")
    call_id = beta.headers["location"].rsplit("/", 1)[1]
    assert post(server, f"/v1/realtime/calls/{call_id}/hangup").status_code == 200

    garbage = post(server, "/v1/realtime/calls", content=b"hello", headers=sdp_type)
    assert garbage.status_code == 400
    error = garbage.json()["error"]
    assert (error["type"], error["param"]) == ("invalid_request_error", "sdp")
    assert "SDP" in error["message"]
    broken = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\nthis is not sdp\r\n"
    assert post(server, "/v1/realtime/calls", content=broken, headers=sdp_type).status_code == 400

    session = '{"type": "realtime", "colour": "red"}'
    unknown = post(
        server, "/v1/realtime/calls", files={"sdp": (None, sdp), "session": (None, session)}
    )
    assert unknown.status_code == 400
    assert unknown.json()["error"]["code"] == "unknown_parameter"
    assert unknown.json()["error"]["param"] == "session.colour"

    huge = post(server, "/v1/realtime/calls", content=b"v=0\r\n" * 400_000, headers=sdp_type)
    assert huge.status_code == 413 and "error" in huge.json()
    wrong = {**sdp_type, "Authorization": "Bearer sk-wrong"}
    assert post(server, "/v1/realtime/calls", content=sdp, headers=wrong).status_code == 401
    # and the server goes on answering
    again = post(server, "/v1/realtime/calls", content=sdp, headers=sdp_type)
    assert again.status_code == 201
    call_id = again.headers["location"].rsplit("/", 1)[1]
    assert post(server, f"/v1/realtime/calls/{call_id}/hangup").status_code == 200


def test_offer_to_answer_time(server: Running) -> None:
    """Median time from posting an offer to holding the answer (the figure we report)."""

    async def offers() -> list[str]:
        return [await offer_sdp() for _ in range(10)]

    times = []
    for sdp in asyncio.run(offers()):
        start = time.perf_counter()
        answer = post(server, "/v1/realtime/calls", content=sdp,
                      headers={"Content-Type": "application/sdp"})  # fmt: skip
        times.append(time.perf_counter() - start)
        assert answer.status_code == 201
        call_id = answer.headers["location"].rsplit("/", 1)[1]
        assert post(server, f"/v1/realtime/calls/{call_id}/hangup").status_code == 200
    median = statistics.median(times)
    print(f"offer to answer: median {median * 1000:.1f} ms, max {max(times) * 1000:.1f} ms")
    assert median < 1.0
