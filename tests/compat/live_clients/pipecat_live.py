"""pipecat's OpenAILiveLLMService against a Live server, with no audio device: a test
pipeline feeds it a WAV in real time and records what comes out. Run in the Live
clients' environment (`requirements.txt`); prints one JSON summary line.

    python pipecat_live.py WS_URL API_KEY SPEECH.wav
"""

from __future__ import annotations

import asyncio
import json
import sys

from pipecat.frames.frames import (
    ErrorFrame,
    InputAudioRawFrame,
    LLMContextFrame,
    OutputAudioRawFrame,
    TranscriptionFrame,
    TTSTextFrame,
)
from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.services.openai.live.llm import OpenAILiveLLMService
from pipecat.tests.utils import SleepFrame, run_test
from speech import RATE, STEP, speech


async def main(url: str, key: str, path: str) -> dict[str, object]:
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
    print(json.dumps(asyncio.run(main(*sys.argv[1:4]))))
