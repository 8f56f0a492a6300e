"""`realtime-sdk serve`: an OpenAI Realtime endpoint in front of a back-end."""

from __future__ import annotations

import argparse
import importlib
import inspect
import logging
import os
import sys
from collections.abc import Callable
from typing import Any

from .backends.base import Responder, TurnTakingBackend

BUILT_IN: dict[str, str] = {"echo": "realtime_sdk.backends.echo:EchoBackend"}
API_KEYS_ENV = "REALTIME_SDK_API_KEYS"


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


def _is_fastrtc_handler(obj: Any) -> bool:
    return all(callable(getattr(obj, name, None)) for name in ("receive", "emit", "copy"))


def _fastrtc_factory(handler: Any) -> Callable[[], Any]:
    from .backends.fastrtc import FastRTCBackend

    return lambda: FastRTCBackend(handler)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="realtime-sdk")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the OpenAI Realtime API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--handler", default="echo", help="built-in name (echo) or module:attr")
    serve.add_argument(
        "--api-key",
        action="append",
        default=[],
        help=f"accepted key (repeatable; also ${API_KEYS_ENV}, comma-separated, which keeps"
        " keys out of the process list); none: the server is open",
    )
    serve.add_argument("--model", default="gpt-realtime", help="model name when none is asked for")
    serve.add_argument("--no-turn-detection", action="store_true", help="no local VAD model")
    serve.add_argument("--ssl-certfile", help="PEM certificate: serve https:// and wss://")
    serve.add_argument("--ssl-keyfile", help="PEM private key of the certificate")
    serve.add_argument("--log-level", default="info")
    from .client import talk

    talk.add_arguments(
        commands.add_parser("talk", help="send one turn to a server, save the reply")
    )
    args = parser.parse_args(argv)
    if args.command == "talk":
        return talk.run(args)
    if args.ssl_keyfile and not args.ssl_certfile:
        parser.error("--ssl-keyfile needs --ssl-certfile")
    api_keys = set(args.api_key)
    api_keys.update(k.strip() for k in os.environ.get(API_KEYS_ENV, "").split(",") if k.strip())

    import uvicorn

    from .server.app import ServerConfig, create_app

    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    config = ServerConfig(
        backend_factory=backend_factory(args.handler),
        api_keys=frozenset(api_keys),
        default_model=args.model,
        turn_detection=not args.no_turn_detection,
    )
    uvicorn.run(
        create_app(config),
        host=args.host,
        port=args.port,
        ssl_certfile=args.ssl_certfile,
        ssl_keyfile=args.ssl_keyfile,
        log_level=args.log_level,
        ws_max_size=config.max_frame_bytes + 1,
        ws="websockets-sansio",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
