"""`realtime-sdk serve`: an OpenAI Realtime endpoint in front of a back-end."""

from __future__ import annotations

import argparse
import gc
import importlib
import inspect
import json
import logging
import os
import sys
from collections.abc import Callable
from typing import Any

from .backends.base import Responder, TurnTakingBackend

BUILT_IN: dict[str, str] = {
    "agent": "realtime_sdk.backends.agent:OfflineAgent",
    "echo": "realtime_sdk.backends.echo:EchoBackend",
}
DEFAULT_HANDLER = "agent"
API_KEYS_ENV = "REALTIME_SDK_API_KEYS"
LLM_ENV = {
    "llm_base_url": "REALTIME_SDK_LLM_BASE_URL",
    "llm_model": "REALTIME_SDK_LLM_MODEL",
    "llm_api_key": "REALTIME_SDK_LLM_API_KEY",
}
AGENT_EXTRA = (
    "the default back-end (the offline voice agent) needs the agent extra:"
    " pip install 'realtime-sdk[agent]' (or run `make serve`); or serve another"
    " back-end with --handler echo or --handler module:attr"
)


def _load(spec: str) -> Any:
    module_name, _, attr = spec.partition(":")
    if not attr:
        raise SystemExit(f"--handler {spec!r}: expected a built-in name or module:attr")
    # a console script does not put the working directory on sys.path; uvicorn does, and
    # `--handler app:handler` next to the user's app.py should work the same way
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise SystemExit(f"--handler {spec!r}: cannot import {module_name}: {exc}") from None
    try:
        return getattr(module, attr)
    except AttributeError:
        raise SystemExit(f"--handler {spec!r}: {module_name} has no {attr!r}") from None


def backend_factory(spec: str) -> Callable[[], Any]:
    """A per-session back-end from a built-in name or `module:attr`.

    `attr` may be a native back-end (class or instance), a FastRTC handler (class or
    instance; one `copy()` per session), or a reply function (run under our turns).
    """
    target = _load(BUILT_IN.get(spec, spec))
    if inspect.isclass(target):
        instance = target()
        if _is_fastrtc_handler(instance):
            return _fastrtc_factory(instance)
        return target  # a fresh back-end per session
    if _is_fastrtc_handler(target):
        return _fastrtc_factory(target)
    if isinstance(target, (Responder, TurnTakingBackend)):
        return lambda: target
    if callable(target):
        from .backends.reply import ReplyFunctionResponder

        return lambda: ReplyFunctionResponder(target)
    raise SystemExit(f"--handler {spec!r}: not a back-end, FastRTC handler or reply function")


def agent_factory(
    llm_base_url: str | None = None, llm_model: str | None = None, llm_api_key: str | None = None
) -> Callable[[], Any]:
    """The offline voice agent, one per session, its heavy parts started now.

    Loading espeak-ng and starting the pocketsphinx worker here means a missing or broken
    extra stops `serve` at once with what to install, and the first caller does not wait.
    """
    try:
        from .backends.agent import OfflineAgent
        from .backends.recognition import RecognitionError, recognizer
        from .backends.speech import SpeechError, speech

        speech()
        recognizer().warm_up().result(timeout=60)
    except (ImportError, RecognitionError, SpeechError) as exc:
        raise SystemExit(f"realtime-sdk serve: {AGENT_EXTRA} ({exc})") from None

    def make() -> OfflineAgent:
        return OfflineAgent(llm_base_url=llm_base_url, llm_model=llm_model, llm_api_key=llm_api_key)

    return make


def _is_fastrtc_handler(obj: Any) -> bool:
    return all(callable(getattr(obj, name, None)) for name in ("receive", "emit", "copy"))


def _fastrtc_factory(handler: Any) -> Callable[[], Any]:
    from .backends.fastrtc import FastRTCBackend

    return lambda: FastRTCBackend(handler)


WORKERS_ARGV_ENV = "REALTIME_SDK_SERVE_ARGV"


def worker_app() -> Any:
    """The app of one `serve --workers N` process.

    uvicorn starts worker processes from an import string, so each one builds its app
    again from the command line the parent left in the environment.
    """
    built: list[Any] = []
    main(json.loads(os.environ[WORKERS_ARGV_ENV]), serve_app=built.append)
    return built[0]


def freeze_loaded_heap() -> None:
    """Put every object loaded so far beyond the cyclic collector's reach.

    A handler's libraries are long-lived and many (fastrtc brings gradio and pandas: some
    180 000 objects); each full collection walks them all and stalls every session on the
    loop for ~100 ms. Frozen before the first session, so no session's objects are kept.
    """
    gc.collect()
    gc.freeze()


def ice_config(urls: list[str], username: str | None, credential: str | None) -> Any:
    """The WebRTC ICE settings from the command line; TURN servers get the credentials."""
    from .transports.ice import IceConfig

    if not urls:
        return IceConfig()
    from aiortc import RTCIceServer

    servers = tuple(
        RTCIceServer(url, username, credential)
        if url.startswith(("turn:", "turns:"))
        else RTCIceServer(url)
        for url in urls
    )
    return IceConfig(ice_servers=servers)


def main(argv: list[str] | None = None, serve_app: Callable[[Any], None] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="realtime-sdk")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the OpenAI Realtime API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--handler",
        default=DEFAULT_HANDLER,
        help="built-in back-end (agent: the offline voice agent, the default; echo) or"
        " module:attr (a FastRTC handler, a reply function or a native back-end)",
    )
    llm = serve.add_argument_group(
        "the agent's LLM",
        "Without --llm-base-url the agent answers with a template quoting what it heard."
        " With it, replies stream from an OpenAI-compatible chat-completions server"
        " (vLLM, llama.cpp, Ollama...): the session's instructions are the system message"
        " and its function tools are passed through.",
    )
    llm.add_argument(
        "--llm-base-url",
        default=os.environ.get(LLM_ENV["llm_base_url"]),
        metavar="URL",
        help=f"base URL of the chat-completions server, e.g. http://127.0.0.1:11434/v1"
        f" (also ${LLM_ENV['llm_base_url']})",
    )
    llm.add_argument(
        "--llm-model",
        default=os.environ.get(LLM_ENV["llm_model"]),
        metavar="M",
        help=f"model name (also ${LLM_ENV['llm_model']}; default: the first one the server"
        " lists at /models)",
    )
    llm.add_argument(
        "--llm-api-key",
        default=os.environ.get(LLM_ENV["llm_api_key"]),
        metavar="K",
        help=f"bearer key for the chat-completions server (also ${LLM_ENV['llm_api_key']},"
        " which keeps it out of the process list)",
    )
    serve.add_argument(
        "--api-key",
        action="append",
        default=[],
        help=f"accepted key (repeatable; also ${API_KEYS_ENV}, comma-separated, which keeps"
        " keys out of the process list); none: the server is open",
    )
    serve.add_argument(
        "--cors-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="browser origin allowed to call the HTTP routes, e.g. https://app.example.com"
        " (repeatable); none: any origin, for local use",
    )
    serve.add_argument("--model", default="gpt-realtime", help="model name when none is asked for")
    serve.add_argument("--no-turn-detection", action="store_true", help="no local VAD model")
    serve.add_argument("--ssl-certfile", help="PEM certificate: serve https:// and wss://")
    serve.add_argument("--ssl-keyfile", help="PEM private key of the certificate")
    serve.add_argument("--log-level", default="info")
    serve.add_argument(
        "--ice-server",
        action="append",
        default=[],
        metavar="URL",
        help="STUN or TURN server for WebRTC calls (repeatable; default none: host candidates)",
    )
    serve.add_argument("--ice-username", help="username for the TURN servers")
    serve.add_argument("--ice-credential", help="credential for the TURN servers")
    serve.add_argument(
        "--workers", type=int, default=1, help="server processes (uvicorn workers) sharing the port"
    )
    serve.add_argument(
        "--ws-deflate",
        action="store_true",
        help="accept permessage-deflate from websocket clients that offer it (off by default:"
        " base64 audio shrinks by a quarter for about 20 us of CPU per 20 ms frame)",
    )
    talk_parser = commands.add_parser("talk", help="send one turn to a server, save the reply")
    given = sys.argv[1:] if argv is None else argv
    # the client (httpx, which brings click, rich and pygments: ~10 MiB) loads only for
    # `talk`: a server process never carries it
    if "talk" in [a for a in given if not a.startswith("-")][:1]:
        from .client import talk

        talk.add_arguments(talk_parser)
    args = parser.parse_args(argv)
    if args.command == "talk":
        from .client import talk as talk_command

        return talk_command.run(args)
    if args.ssl_keyfile and not args.ssl_certfile:
        parser.error("--ssl-keyfile needs --ssl-certfile")
    api_keys = set(args.api_key)
    api_keys.update(k.strip() for k in os.environ.get(API_KEYS_ENV, "").split(",") if k.strip())

    import uvicorn

    from .server.app import ServerConfig, create_app

    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if args.handler == "agent":
        factory = agent_factory(args.llm_base_url, args.llm_model, args.llm_api_key)
    else:
        if args.llm_base_url:
            logging.getLogger("realtime_sdk.cli").warning(
                "--llm-base-url is an option of the agent back-end: --handler %s ignores it",
                args.handler,
            )
        factory = backend_factory(args.handler)
    config = ServerConfig(
        backend_factory=factory,
        api_keys=frozenset(api_keys),
        default_model=args.model,
        turn_detection=not args.no_turn_detection,
        cors_origins=args.cors_origin or ["*"],
        ice=ice_config(args.ice_server, args.ice_username, args.ice_credential),
    )
    if serve_app is None:
        origin = f"{'https' if args.ssl_certfile else 'http'}://{args.host}:{args.port}"
        logging.getLogger("realtime_sdk.cli").info(
            "playground at %s/ ; OpenAI clients take base_url %s/v1", origin, origin
        )
    app = create_app(config) if serve_app is not None or args.workers <= 1 else None
    freeze_loaded_heap()
    if serve_app is not None:  # a worker of `--workers N`: its parent runs uvicorn
        serve_app(app)
        return 0
    if args.workers > 1:
        os.environ[WORKERS_ARGV_ENV] = json.dumps(sys.argv[1:] if argv is None else argv)
    uvicorn.run(
        app if app is not None else "realtime_sdk.cli:worker_app",
        factory=args.workers > 1,
        workers=args.workers if args.workers > 1 else None,
        host=args.host,
        port=args.port,
        ssl_certfile=args.ssl_certfile,
        ssl_keyfile=args.ssl_keyfile,
        log_level=args.log_level,
        ws_max_size=config.max_frame_bytes + 1,
        ws="websockets-sansio",
        ws_per_message_deflate=args.ws_deflate,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
