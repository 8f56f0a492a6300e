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
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from .backends.base import Responder, TurnTakingBackend
from .settings import ServeSettings, env_name

if TYPE_CHECKING:
    from .server.state.base import SharedState

BUILT_IN: dict[str, str] = {
    "agent": "realtime_sdk.backends.agent:OfflineAgent",
    "echo": "realtime_sdk.backends.echo:EchoBackend",
}
API_KEYS_ENV = env_name("api_keys")
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
        from .backends.fastrtc import ReplyFunctionResponder

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
        from .backends.agent import OfflineAgent, RecognitionError, SpeechError, recognizer, speech

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
    from .transports.webrtc.ice import IceConfig

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


def shared_state(url: str | None, call_ttl_s: float | None) -> SharedState:
    """Keys and calls: in this process's memory, or in the Redis at `url`."""
    from .server.state.memory import MemoryState

    if not url:
        return MemoryState()
    try:
        from .server.state.redis_state import CALL_TTL_S, RedisState
    except ImportError:
        from .server.state.embedded import REDIS_EXTRA

        raise SystemExit(
            f"realtime-sdk serve: --redis needs the redis extra: {REDIS_EXTRA}"
        ) from None
    return RedisState(url, call_ttl_s=call_ttl_s or CALL_TTL_S)


def main(argv: list[str] | None = None, serve_app: Callable[[Any], None] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="realtime-sdk")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the OpenAI Realtime API")
    ServeSettings.add_arguments(serve)
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
    try:
        settings = ServeSettings.from_arguments(args)
    except ValidationError as exc:
        parser.error(str(exc))
    if settings.ssl_keyfile and not settings.ssl_certfile:
        parser.error("--ssl-keyfile needs --ssl-certfile")
    return serve_with(settings, given, serve_app)


def serve_with(
    settings: ServeSettings, argv: list[str], serve_app: Callable[[Any], None] | None = None
) -> int:
    """Build the app and run it under uvicorn (or hand it to `serve_app`, in a worker)."""

    from .app import ServerConfig, create_app
    from .translation.server.translators import translator_factory_for

    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if settings.handler == "agent":
        factory = agent_factory(settings.llm_base_url, settings.llm_model, settings.llm_api_key)
    else:
        if settings.llm_base_url:
            logging.getLogger("realtime_sdk.cli").warning(
                "--llm-base-url is an option of the agent back-end: --handler %s ignores it",
                settings.handler,
            )
        factory = backend_factory(settings.handler)
    workers = settings.workers
    embedded = None
    if workers > 1 and not settings.redis_url and serve_app is None:
        # the workers share keys and calls through a server of their own; each reads its
        # URL from the environment they inherit
        from .server.state.embedded import EmbeddedValkey

        embedded = EmbeddedValkey()
        try:
            os.environ[env_name("redis_url")] = embedded.start()
        except RuntimeError as exc:
            raise SystemExit(f"realtime-sdk serve: {exc}") from None
    config = ServerConfig(
        state=shared_state(settings.redis_url, settings.call_ttl_s),
        backend_factory=factory,
        translator_factory=translator_factory_for(factory),  # the same back-end translates
        api_keys=frozenset(settings.api_keys),
        default_model=settings.model,
        turn_detection=settings.turn_detection,
        cors_origins=settings.cors_origins or ["*"],
        ice=ice_config(settings.ice_servers, settings.ice_username, settings.ice_credential),
        drain_timeout_s=settings.drain_timeout_s,
    )
    if serve_app is None:
        origin = f"{'https' if settings.ssl_certfile else 'http'}://{settings.host}:{settings.port}"
        logging.getLogger("realtime_sdk.cli").info(
            "playground at %s/ ; OpenAI clients take base_url %s/v1", origin, origin
        )
    app = create_app(config) if serve_app is not None or workers <= 1 else None
    freeze_loaded_heap()
    if serve_app is not None:  # a worker of `--workers N`: its parent runs uvicorn
        serve_app(app)
        return 0
    if workers > 1:
        os.environ[WORKERS_ARGV_ENV] = json.dumps(argv)
    try:
        _run_uvicorn(app, settings, config.max_frame_bytes)
    finally:
        if embedded is not None:
            embedded.stop()
    return 0


def _run_uvicorn(app: Any, settings: ServeSettings, max_frame_bytes: int) -> None:
    import uvicorn

    workers = settings.workers
    uvicorn.run(
        app if app is not None else "realtime_sdk.cli:worker_app",
        factory=workers > 1,
        workers=workers if workers > 1 else None,
        host=settings.host,
        port=settings.port,
        ssl_certfile=settings.ssl_certfile,
        ssl_keyfile=settings.ssl_keyfile,
        log_level=settings.log_level,
        ws_max_size=max_frame_bytes + 1,
        ws="websockets-sansio",
        ws_per_message_deflate=settings.ws_deflate,
    )


if __name__ == "__main__":
    sys.exit(main())
