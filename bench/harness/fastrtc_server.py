"""FastRTC's own server for the echo handler: `Stream(...).mount(app)` under uvicorn.

Clients speak its websocket format at `/websocket/offer`: `{"event": "start",
"websocket_id": ...}`, then `{"event": "media", "media": {"payload": <base64 mu-law>}}`
both ways. The concurrency limit is lifted so only the server itself limits sessions.
Run: python bench/harness/fastrtc_server.py --port P
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    import uvicorn
    from fastapi import FastAPI
    from fastrtc import Stream

    from harness.echo_handler import EchoHandler

    app = FastAPI()
    stream = Stream(
        EchoHandler(),
        modality="audio",
        mode="send-receive",
        concurrency_limit=100_000,
        verbose=False,
    )
    stream.mount(app)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", loop="asyncio")


if __name__ == "__main__":
    main()
