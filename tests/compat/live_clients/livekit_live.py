"""livekit-agents' GPTLiveModel against a Live server, with no room and no audio device:
its session is fed a WAV in real time and its events recorded (against the offline
agent); then, against echo, a client delegation is triggered and answered; then,
against the agent with an LLM, a responses delegation whose model calls the app's
function tool, answered as AgentSession answers it. Run in the Live clients'
environment (`requirements.txt`); prints one JSON summary line.

    python livekit_live.py AGENT_BASE_URL ECHO_BASE_URL LLM_AGENT_BASE_URL API_KEY SPEECH.wav
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from livekit import rtc
from livekit.agents import llm
from livekit.plugins.openai.realtime import GPTLiveModel
from speech import RATE, STEP, speech


async def until(check: Any, seconds: float) -> None:
    for _ in range(int(seconds * 10)):
        if check():
            return
        await asyncio.sleep(0.1)


async def main(
    agent_url: str, echo_url: str, llm_url: str, key: str, path: str
) -> dict[str, object]:
    result = await talk(agent_url, key, path)
    result.update(await delegate(echo_url, key))
    result.update(await responses(llm_url, key))
    return result


async def responses(base_url: str, key: str) -> dict[str, object]:
    """The model asks for the weather through the app's tool; its output goes back."""

    @llm.function_tool
    async def get_weather(city: str) -> str:
        """The weather in a city."""
        return "sunny"

    model = GPTLiveModel(api_key=key, base_url=base_url, delegation="responses")
    session = model.session()
    said: list[str] = []
    calls: list[Any] = []
    errors: list[str] = []
    session.on("transcript_delta", lambda e: said.append(e.text))
    session.on("function_call", calls.append)
    session.on("error", lambda e: errors.append(str(e)))
    await session._update_session(instructions="Be brief.", tools=[get_weather])
    session.append_commentary("What is the weather in Paris?")
    await until(lambda: calls, 10)
    for call in calls:  # as AgentSession runs a tool and hands its result back
        output = llm.FunctionCallOutput(
            call_id=call.call_id, name=call.name, output="sunny", is_error=False
        )
        await session._append_items([output])
    await until(lambda: "sunny" in "".join(said), 10)
    await session.aclose()
    await model.aclose()
    return {
        "tool_calls": [(c.name, c.arguments) for c in calls],
        "responses_said": "".join(said),
        "responses_errors": errors,
    }


async def delegate(base_url: str, key: str) -> dict[str, object]:
    """Echo delegates on a commentary reading `call delegate {}`; the answer is said."""
    model = GPTLiveModel(api_key=key, base_url=base_url, delegation="client")
    session = model.session()
    said: list[str] = []
    delegations: list[Any] = []
    errors: list[str] = []
    session.on("transcript_delta", lambda e: said.append(e.text))
    session.on("delegation_created", delegations.append)
    session.on("error", lambda e: errors.append(str(e)))
    await session._update_session(instructions="Be brief.")
    session.append_commentary("call delegate {}")
    await until(lambda: delegations, 5)
    answer = ""
    if delegations:
        session.append_thinking("looked it up", delegation_id=delegations[0].id)
        session.append_commentary("it is sunny", delegation_id=delegations[0].id)
        await until(lambda: "".join(said) == "it is sunny", 5)
        answer = "".join(said)
    await session.aclose()
    await model.aclose()
    return {"delegations": len(delegations), "answer": answer, "delegate_errors": errors}


async def talk(base_url: str, key: str, path: str) -> dict[str, object]:
    model = GPTLiveModel(api_key=key, base_url=base_url, delegation="client")
    session = model.session()
    heard: list[str] = []
    said: list[str] = []
    errors: list[str] = []
    audio = bytearray()
    session.on("input_audio_transcription_completed", lambda e: heard.append(e.transcript))
    session.on("transcript_delta", lambda e: said.append(e.text))
    session.on("error", lambda e: errors.append(str(e)))

    async def listen() -> None:
        async for frame in session.audio_stream:
            audio.extend(frame.frame.data.tobytes())

    # what AgentSession does right after it makes the session: configure it once
    await session._update_session(instructions="Be brief.")
    listening = asyncio.create_task(listen())
    pcm = speech(path)
    loop = asyncio.get_running_loop()
    start = loop.time()
    for n, at in enumerate(range(0, len(pcm), 2 * STEP)):
        chunk = pcm[at : at + 2 * STEP]
        session.push_audio(rtc.AudioFrame(chunk, RATE, 1, len(chunk) // 2))
        await asyncio.sleep(max(0.0, start + (n + 1) * 0.02 - loop.time()))
    await until(lambda: said, 8)
    await until(lambda: heard, 3)
    session.mute_input()
    session.unmute_input()
    await session.aclose()
    listening.cancel()
    await model.aclose()
    peak = max(
        (
            abs(int.from_bytes(audio[i : i + 2], "little", signed=True))
            for i in range(0, len(audio), 2)
        ),
        default=0,
    )
    return {
        "audio_s": len(audio) / 2 / RATE,
        "peak": peak,
        "heard": heard[-1] if heard else "",
        "said": "".join(said),
        "errors": errors,
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(*sys.argv[1:6]))))
