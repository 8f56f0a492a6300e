"""One FastRTC handler, served two ways from one process: FastRTC's own Gradio UI and
the OpenAI Realtime API.

    .venv/bin/python examples/serve_fastrtc_handler.py --port 8000

then open http://127.0.0.1:8000/gradio/ in a browser (FastRTC's WebRTC UI, with a
Chatbot of what was said), or point any Realtime client at http://127.0.0.1:8000/v1
(`AsyncOpenAI(base_url=...).realtime.connect(...)`, `realtime-sdk talk`, the
examples/talk_webrtc.py example). Needs the fastrtc and agent extras (`make` installs
both).

The handler is a plain `ReplyOnPause` around a reply function that says back what it
heard: pocketsphinx for the words, espeak-ng for the voice. It yields
`RealtimeMessage`s beside its audio, which become transcript events for Realtime
clients and Chatbot rows in the Gradio UI (`chatbot_update`). Nothing in it knows
which of the two is listening.

The app is FastAPI (what Gradio and FastRTC use): FastRTC's routes (`stream.mount`),
the Gradio UI under /gradio, and our Realtime app mounted at / for the rest.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import AsyncGenerator
from typing import Any

import numpy as np
import numpy.typing as npt
import uvicorn

from realtime_sdk.app import ServerConfig, create_app
from realtime_sdk.backends.agent import recognizer, speech
from realtime_sdk.backends.fastrtc import (
    FastRTCBackend,
    LocalPauseDetectionModel,
    RealtimeMessage,
    chatbot_update,
)


async def say_it_back(audio: tuple[int, npt.NDArray[np.int16]]) -> AsyncGenerator[Any, None]:
    """ReplyOnPause's reply function: the user's turn in, words and speech out."""
    rate, samples = audio
    heard = await recognizer().transcribe(samples.reshape(-1).astype(np.int16), rate)
    yield RealtimeMessage.user_transcript(heard)
    answer = f"You said: {heard}." if heard else "I heard you, but not the words."
    yield RealtimeMessage.assistant_transcript_delta(answer)
    voice = speech()
    spoken = await asyncio.to_thread(voice.synthesize, answer)
    yield (voice.rate, spoken.reshape(1, -1))


def build_app() -> Any:
    """The FastAPI app. Gradio is imported here, once it is told not to phone home
    (with analytics on, importing it fetches from the network)."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    import gradio as gr
    from fastapi import FastAPI
    from fastrtc import ReplyOnPause, Stream

    # a local VAD model: FastRTC's default one would be downloaded from a model hub
    handler = ReplyOnPause(say_it_back, model=LocalPauseDetectionModel())
    chatbot = gr.Chatbot(type="messages", label="Conversation")
    stream = Stream(
        handler=handler,
        modality="audio",
        mode="send-receive",
        additional_outputs=[chatbot],
        additional_outputs_handler=chatbot_update,
    )
    app = FastAPI()
    stream.mount(app)  # FastRTC's own WebRTC, websocket and telephone routes
    app = gr.mount_gradio_app(app, stream.ui, path="/gradio")
    realtime = create_app(ServerConfig(backend_factory=lambda: FastRTCBackend(handler)))
    app.mount("/", realtime)  # /v1/realtime (websocket), /v1/realtime/calls (WebRTC), ...
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    recognizer().warm_up()
    uvicorn.run(build_app(), host=args.host, port=args.port, ws="websockets-sansio")


if __name__ == "__main__":
    main()
