"""pipecat's OpenAILiveLLMService against a Live server, with no audio device: a test
pipeline feeds it a WAV in real time and records what comes out (against the offline
agent); then, against echo, a client delegation: echo delegates on a commentary reading
`call delegate {}`, and the service, with no delegation back-end configured, answers it
with a spoken commentary of its own, which echo says; then, against the agent with an
LLM, a responses delegation whose model calls a function registered with the service.
Run in the Live clients' environment (`requirements.txt`); prints one JSON summary line.

    python pipecat_live.py AGENT_WS_URL ECHO_WS_URL LLM_AGENT_WS_URL API_KEY SPEECH.wav
"""

from __future__ import annotations

import asyncio
import json
import sys

from pipecat.adapters.llm.schemas.function_schema import FunctionSchema
from pipecat.adapters.llm.schemas.tools_schema import ToolsSchema
from pipecat.frames.frames import (
    ErrorFrame,
    InputAudioRawFrame,
    LLMContextFrame,
    OutputAudioRawFrame,
    TranscriptionFrame,
    TTSTextFrame,
)
from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.services.llm_service import FunctionCallParams
from pipecat.services.openai.live import events
from pipecat.services.openai.live.llm import OpenAILiveLLMService, ResponsesDelegation
from pipecat.services.openai.responses.llm import OpenAIResponsesLLMSettings
from pipecat.tests.utils import SleepFrame, run_test
from speech import RATE, STEP, speech


async def main(
    agent_url: str, echo_url: str, llm_url: str, key: str, path: str
) -> dict[str, object]:
    result = await talk(agent_url, key, path)
    result.update(await delegate(echo_url, key))
    result.update(await responses(llm_url, key))
    return result


async def responses(url: str, key: str) -> dict[str, object]:
    """The delegated model calls `get_weather`, which the service runs and answers."""
    settings = OpenAIResponsesLLMSettings(model="tiny-test-model")
    llm = OpenAILiveLLMService(
        api_key=key, base_url=url, delegation=ResponsesDelegation(settings=settings)
    )
    calls: list[str] = []

    async def get_weather(params: FunctionCallParams) -> None:
        calls.append(json.dumps(params.arguments))
        await params.result_callback("sunny")

    llm.register_function("get_weather", get_weather)
    weather = FunctionSchema(
        name="get_weather",
        description="The weather in a city.",
        properties={"city": {"type": "string"}},
        required=["city"],
    )
    context = LLMContext(
        messages=[{"role": "system", "content": "Be brief."}],
        tools=ToolsSchema(standard_tools=[weather]),
    )

    async def ask() -> None:
        await asyncio.sleep(1.5)
        question = events.SessionCommentaryAppendEvent(
            delegation_id=None, content="What is the weather in Paris?"
        )
        await llm.send_client_event(question)

    asking = asyncio.create_task(ask())
    frames = [LLMContextFrame(context), SleepFrame(8.0)]
    down, up = await run_test(llm, frames_to_send=frames, start_timeout=10)
    await asking
    return {
        "tool_calls": calls,
        "responses_said": "".join(f.text for f in down if isinstance(f, TTSTextFrame)),
        "responses_errors": [str(f.error) for f in [*down, *up] if isinstance(f, ErrorFrame)],
    }


async def delegate(url: str, key: str) -> dict[str, object]:
    llm = OpenAILiveLLMService(api_key=key, base_url=url)
    created: list[object] = []

    @llm.event_handler("on_delegation_created")
    async def on_delegation(service: object, delegation: object) -> None:
        created.append(delegation)

    async def trigger() -> None:
        await asyncio.sleep(1.5)
        ask = events.SessionCommentaryAppendEvent(delegation_id=None, content="call delegate {}")
        await llm.send_client_event(ask)

    context = LLMContext(messages=[{"role": "system", "content": "Be brief."}])
    frames = [LLMContextFrame(context), SleepFrame(5.0)]
    asking = asyncio.create_task(trigger())
    down, up = await run_test(llm, frames_to_send=frames, start_timeout=10)
    await asking
    return {
        "delegations": len(created),
        "answer": "".join(f.text for f in down if isinstance(f, TTSTextFrame)),
        "delegate_errors": [str(f.error) for f in [*down, *up] if isinstance(f, ErrorFrame)],
    }


async def talk(url: str, key: str, path: str) -> dict[str, object]:
    llm = OpenAILiveLLMService(api_key=key, base_url=url)
    context = LLMContext(messages=[{"role": "system", "content": "Be brief."}])
    audio = speech(path)
    frames: list[object] = [LLMContextFrame(context), SleepFrame(0.5)]
    for at in range(0, len(audio), 2 * STEP):
        chunk = audio[at : at + 2 * STEP]
        frames += [
            InputAudioRawFrame(audio=chunk, sample_rate=RATE, num_channels=1),
            SleepFrame(0.02),
        ]
    frames.append(SleepFrame(4.0))  # the reply
    down, up = await run_test(llm, frames_to_send=frames, start_timeout=10)
    out = [f for f in down if isinstance(f, OutputAudioRawFrame)]
    return {
        "audio_s": sum(len(f.audio) for f in out) / 2 / RATE,
        "peak": max(
            (
                max(
                    abs(int.from_bytes(f.audio[i : i + 2], "little", signed=True))
                    for i in range(0, len(f.audio), 2)
                )
                for f in out
            ),
            default=0,
        ),
        "heard": " ".join(f.text for f in [*down, *up] if isinstance(f, TranscriptionFrame)),
        "said": "".join(f.text for f in down if isinstance(f, TTSTextFrame)),
        "errors": [str(f.error) for f in [*down, *up] if isinstance(f, ErrorFrame)],
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(*sys.argv[1:6]))))
