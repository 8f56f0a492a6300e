"""Legacy beta clients (`OpenAI-Beta: realtime=v1`) against `realtime-sdk serve` (echo).

openai-python's beta client runs text, audio (server VAD), function-call and cancel
turns; every event it receives is checked against openai-python's beta models and our
generated beta server models. The same scenario on a GA and a beta socket gives the
same conversation once the GA stream is put through the beta translation.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
from typing import Any

import numpy as np
import websockets
from helpers.beta_events import check_beta, need_beta_client
from helpers.paths import AUDIO_FIXTURES
from helpers.servers import serve
from openai import AsyncOpenAI

import realtime_sdk
from realtime_sdk.app import ServerConfig
from realtime_sdk.audio import read_wav, resample
from realtime_sdk.backends.echo import EchoBackend
from realtime_sdk.realtime.protocol.beta import BetaTranslator

FIXTURES = AUDIO_FIXTURES
BETA_HEADERS = {"OpenAI-Beta": "realtime=v1"}


def run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 60))


def ws_base(base_url: str) -> str:
    return base_url.replace("http://", "ws://", 1)


async def collect(conn: Any, until: str) -> list[Any]:
    """openai-python beta events up to `until`, each checked from its raw bytes."""
    events = []
    while True:
        raw = await conn.recv_bytes()
        check_beta(raw)
        event = conn.parse_event(raw)
        events.append(event)
        if event.type == until:
            return events


def user_text(text: str) -> dict[str, Any]:
    return {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}


def speech() -> np.ndarray:
    rate, samples = read_wav(FIXTURES / "hello_world_16k.wav")
    return resample(samples, rate, 24000)


def test_beta_text_turn(base_url: str) -> None:
    need_beta_client()

    async def main() -> None:
        client = AsyncOpenAI(api_key="sk-test", websocket_base_url=ws_base(base_url))
        async with client.beta.realtime.connect(model="gpt-4o-realtime-preview") as conn:
            await conn.session.update(session={"modalities": ["text"], "temperature": 0.7})
            await conn.conversation.item.create(item=user_text("hello world"))
            await conn.response.create()
            events = await collect(conn, "response.done")
        assert [e.type for e in events] == [
            "session.created",
            "session.updated",
            "conversation.item.created",
            "response.created",
            "response.output_item.added",
            "conversation.item.created",
            "response.content_part.added",
            "response.text.delta",
            "response.text.delta",
            "response.text.done",
            "response.content_part.done",
            "response.output_item.done",
            "response.done",
        ]
        assert events[0].session.modalities == ["audio", "text"]
        assert events[1].session.modalities == ["text"]
        assert events[1].session.temperature == 0.7
        assert events[9].text == "hello world"
        [item] = events[-1].response.output
        assert item.content[0].type == "text" and item.content[0].text == "hello world"

    run(main())


def test_beta_audio_turn_with_server_vad(base_url: str) -> None:
    need_beta_client()
    voice = np.concatenate([speech(), np.zeros(24000 // 2, dtype=np.int16)])

    async def main() -> None:
        client = AsyncOpenAI(api_key="sk-test", websocket_base_url=ws_base(base_url))
        async with client.beta.realtime.connect(model="gpt-4o-realtime-preview") as conn:
            await conn.session.update(
                session={"input_audio_format": "pcm16", "output_audio_format": "pcm16",
                         "turn_detection": {"type": "server_vad", "silence_duration_ms": 300}}
            )  # fmt: skip
            for start in range(0, len(voice), 480):
                chunk = voice[start : start + 480].tobytes()
                await conn.input_audio_buffer.append(audio=base64.b64encode(chunk).decode())
            events = await collect(conn, "response.done")
        types = [e.type for e in events]
        for expected in (
            "input_audio_buffer.speech_started",
            "input_audio_buffer.speech_stopped",
            "input_audio_buffer.committed",
            "conversation.item.created",
            "response.created",
            "response.audio.delta",
            "response.audio.done",
            "response.done",
        ):
            assert expected in types, expected
        assert not [t for t in types if "output_audio" in t or t == "conversation.item.added"]
        user = next(e for e in events if e.type == "conversation.item.created")
        assert user.item.content[0].type == "input_audio"
        audio = b"".join(
            base64.b64decode(e.delta) for e in events if e.type == "response.audio.delta"
        )
        back = np.frombuffer(audio, dtype=np.int16)
        assert len(back) > 24000
        assert np.corrcoef(back.astype(float), voice[: len(back)].astype(float))[0, 1] > 0.99
        [part] = events[-1].response.output[0].content
        assert part.type == "audio"

    run(main())


def test_beta_function_call_round_trip_and_cancel(base_url: str) -> None:
    need_beta_client()

    async def main() -> None:
        client = AsyncOpenAI(api_key="sk-test", websocket_base_url=ws_base(base_url))
        async with client.beta.realtime.connect(model="gpt-4o-realtime-preview") as conn:
            tool = {"type": "function", "name": "lookup", "parameters": {"type": "object"}}
            await conn.session.update(session={"modalities": ["text"], "tools": [tool]})
            await conn.conversation.item.create(item=user_text('call lookup {"q": 1}'))
            await conn.response.create()
            events = await collect(conn, "response.done")
            [call] = [e for e in events if e.type == "response.function_call_arguments.done"]
            assert (call.name, call.arguments) == ("lookup", '{"q": 1}')
            await conn.conversation.item.create(
                item={"type": "function_call_output", "call_id": call.call_id, "output": "42"}
            )
            await conn.response.create()
            events = await collect(conn, "response.done")
            deltas = [e.delta for e in events if e.type == "response.text.delta"]
            assert "".join(deltas) == "42"
            await conn.response.cancel()
            [error] = await collect(conn, "error")
            assert error.error.code == "response_cancel_not_active"
            # a reply far longer than the socket buffers hold (7.5 min of audio), so the
            # cancel is read before it could all be written, even on a loaded machine
            await conn.session.update(session={"modalities": ["audio", "text"]})
            await conn.conversation.item.create(
                item=user_text(" ".join(f"w{i}" for i in range(3000)))
            )
            await conn.response.create()
            await conn.response.cancel()
            events = await collect(conn, "response.done")
            assert events[-1].response.status == "cancelled"
            assert events[-1].response.status_details.reason == "client_cancelled"
            assert "error" not in [e.type for e in events]

    run(main())


def test_ga_fields_on_a_beta_socket_are_unknown_parameters(base_url: str) -> None:
    need_beta_client()

    async def main() -> None:
        client = AsyncOpenAI(api_key="sk-test", websocket_base_url=ws_base(base_url))
        async with client.beta.realtime.connect(model="gpt-4o-realtime-preview") as conn:
            ga_session = {"type": "realtime", "output_modalities": ["text"]}
            ga_update: Any = {"type": "session.update", "event_id": "evt_ga", "session": ga_session}
            await conn.send(ga_update)
            [_, error] = await collect(conn, "error")
            assert error.error.type == "invalid_request_error"
            assert error.error.code == "unknown_parameter"
            assert error.error.param == "session.type"
            assert error.error.event_id == "evt_ga"
            # the socket stays open and usable
            await conn.session.update(session={"modalities": ["text"]})
            [updated] = await collect(conn, "session.updated")
            assert updated.session.modalities == ["text"]

    run(main())


# -- the same conversation in both dialects ---------------------------------------------

TOOL = {"type": "function", "name": "lookup", "parameters": {"type": "object"}}
GA_SCENARIO: list[dict[str, Any]] = [
    {"type": "session.update",
     "session": {"type": "realtime", "output_modalities": ["text"], "tools": [TOOL]}},
    {"type": "conversation.item.create", "item": user_text("hello there")},
    {"type": "response.create"},
    {"type": "conversation.item.create", "item": user_text('call lookup {"q": 2}')},
    {"type": "response.create"},
    {"type": "session.update", "session": {"type": "realtime", "output_modalities": ["audio"],
                                           "audio": {"output": {"voice": "ash"}}}},
    {"type": "conversation.item.create", "item": user_text("one two")},
    {"type": "response.create"},
    {"type": "speak"},  # recorded speech, appended in 20 ms events; server VAD ends the turn
]  # fmt: skip
BETA_SCENARIO: list[dict[str, Any]] = [
    {"type": "session.update", "session": {"modalities": ["text"], "tools": [TOOL]}},
    {"type": "conversation.item.create", "item": user_text("hello there")},
    {"type": "response.create"},
    {"type": "conversation.item.create", "item": user_text('call lookup {"q": 2}')},
    {"type": "response.create"},
    {"type": "session.update", "session": {"modalities": ["audio", "text"], "voice": "ash"}},
    {"type": "conversation.item.create", "item": user_text("one two")},
    {"type": "response.create"},
    {"type": "speak"},
]
ENDS = {"session.update": "session.updated", "conversation.item.create": None,
        "response.create": "response.done", "speak": "response.done"}  # fmt: skip


async def play(url: str, scenario: list[dict[str, Any]], headers: dict[str, str]) -> list[str]:
    """Send each client event and read up to its last answer; every frame as it came."""
    frames: list[str] = []
    async with websockets.connect(url, additional_headers=headers) as ws:

        async def until(kind: str) -> None:
            while True:
                frame = str(await asyncio.wait_for(ws.recv(), 20))
                frames.append(frame)
                if json.loads(frame)["type"] == kind:
                    return

        await until("session.created")
        voice = np.concatenate([speech(), np.zeros(24000 // 2, dtype=np.int16)])
        for event in scenario:
            if event["type"] == "speak":  # the same events in both dialects
                for start in range(0, len(voice), 480):
                    chunk = base64.b64encode(voice[start : start + 480].tobytes()).decode()
                    await ws.send(json.dumps({"type": "input_audio_buffer.append", "audio": chunk}))
            else:
                await ws.send(json.dumps(event))
            end = ENDS[event["type"]]
            if end is None:  # GA: added then done; beta: created
                await until("conversation.item.done" if "OpenAI-Beta" not in headers
                            else "conversation.item.created")  # fmt: skip
            else:
                await until(end)
    return frames


_ID = re.compile(r"\b(event|item|resp|sess|conv|call)_[A-Za-z0-9]+")


def normalised(frames: list[str]) -> list[dict[str, Any]]:
    """Ids replaced by their order of first appearance; clock fields dropped."""
    seen: dict[str, str] = {}

    def rename(match: re.Match[str]) -> str:
        return seen.setdefault(match.group(0), f"{match.group(1)}#{len(seen)}")

    out = []
    for frame in frames:
        event = json.loads(_ID.sub(rename, frame))
        if "session" in event and isinstance(event["session"], dict):
            event["session"].pop("expires_at", None)
        out.append(event)
    return out


def test_the_same_scenario_gives_the_same_conversation_in_both_dialects(base_url: str) -> None:
    url = ws_base(base_url) + "/realtime?model=gpt-realtime"

    async def main() -> tuple[list[str], list[str]]:
        ga = await play(url, GA_SCENARIO, {})
        beta = await play(url, BETA_SCENARIO, BETA_HEADERS)
        return ga, beta

    ga, beta = run(main())
    for frame in beta:
        check_beta(frame)
    edge = BetaTranslator()
    translated = [b for b in (edge.server_to_beta(frame) for frame in ga) if b is not None]
    ga_types = [json.loads(f)["type"] for f in ga]
    for kind in ("conversation.item.done", "response.output_text.delta",
                 "response.function_call_arguments.done", "response.output_audio.delta",
                 "input_audio_buffer.speech_stopped"):  # fmt: skip
        assert kind in ga_types, kind
    assert normalised(translated) == normalised(beta)
    print(f"\n{len(ga)} GA events, {len(beta)} beta events, same conversation")


# -- keys from the legacy sessions route, and our own typed client ----------------------


def test_beta_session_key_opens_a_beta_socket_starting_from_that_session() -> None:
    need_beta_client()
    config = ServerConfig(backend_factory=EchoBackend, api_keys=frozenset({"sk-real"}))

    async def main(base_url: str) -> None:
        server_side = AsyncOpenAI(base_url=base_url, api_key="sk-real")
        made = await server_side.beta.realtime.sessions.create(
            model="gpt-4o-realtime-preview", modalities=["text"], voice="ash",
            instructions="Repeat after me.", temperature=0.9,
        )  # fmt: skip
        assert made.client_secret.value.startswith("ek_")
        assert made.modalities == ["text"] and made.voice == "ash"
        browser_side = AsyncOpenAI(
            api_key=made.client_secret.value, websocket_base_url=ws_base(base_url)
        )
        async with browser_side.beta.realtime.connect(model="gpt-4o-realtime-preview") as conn:
            [created] = await collect(conn, "session.created")
            assert created.session.modalities == ["text"]
            assert created.session.voice == "ash"
            assert created.session.instructions == "Repeat after me."
            await conn.conversation.item.create(item=user_text("hi"))
            await conn.response.create()
            events = await collect(conn, "response.done")
            assert [e.delta for e in events if e.type == "response.text.delta"] == ["hi"]

    with serve(config) as running:
        run(main(running.base_url))


def test_typed_client_with_the_beta_dialect(base_url: str) -> None:
    async def main() -> None:
        async with realtime_sdk.connect(base_url=base_url, api_key="sk-test",
                                        dialect="beta") as conn:  # fmt: skip
            created = await conn.wait_for("session.created", timeout=10)
            assert created.session.modalities == ["audio", "text"]
            await conn.send({"type": "session.update", "session": {"modalities": ["text"]}})
            await conn.send({"type": "conversation.item.create", "item": user_text("typed beta")})
            await conn.send({"type": "response.create"})
            done = await conn.wait_for("response.text.done", timeout=10)
            assert done.text == "typed beta"
            finished = await conn.wait_for("response.done", timeout=10)
            assert finished.response.status == "completed"

    run(main())
