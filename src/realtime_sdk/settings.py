"""`realtime-sdk serve`'s settings, each declared once: its name, type, default, flag,
environment variable and meaning.

`serve`'s command-line flags are built from this declaration, the environment is read
through it, and the README's configuration table is written from it
(`python -m realtime_sdk.settings` prints the table; a test fails when they differ).
A flag given wins over the environment, except `--api-key`, which adds to the keys of
`REALTIME_SDK_API_KEYS`. Only the variables declared here are read, by their exact names.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

ENV_PREFIX = "REALTIME_SDK_"


@dataclass(frozen=True)
class Option:
    """How one setting is given and what it means."""

    meaning: str
    flag: str | None = None  # None: from the environment only
    metavar: str | None = None
    env: bool = False  # also read from ENV_PREFIX + the setting's name in capitals
    group: str | None = None  # the heading it goes under in `serve --help`


LLM = "the agent's LLM"
GROUPS = {
    LLM: "Without --llm-base-url the agent answers with a template quoting what it heard."
    " With it, replies stream from an OpenAI-compatible chat-completions server"
    " (vLLM, llama.cpp, Ollama...): the session's instructions are the system message"
    " and its function tools are passed through.",
}


class ServeSettings(BaseSettings):
    """Everything `realtime-sdk serve` can be told."""

    model_config = SettingsConfigDict(extra="forbid")

    host: Annotated[str, Option("address to listen on", "--host", "H")] = "127.0.0.1"
    port: Annotated[int, Option("port to listen on", "--port", "P")] = 8000
    handler: Annotated[
        str,
        Option(
            "the back-end: `agent` (the offline voice agent), `echo`, or `module:attr` (a"
            " FastRTC handler, a reply function or a native back-end, looked up in the working"
            " directory too)",
            "--handler",
            "NAME|module:attr",
        ),
    ] = "agent"
    api_keys: Annotated[
        list[str],
        Option(
            "a key clients may connect with; none: the server is open (logged). The variable"
            " takes keys comma-separated and keeps them out of the process list",
            "--api-key",
            "K",
            env=True,
        ),
    ] = []
    cors_origins: Annotated[
        list[str],
        Option(
            "browser origin allowed to call the HTTP routes, e.g. https://app.example.com;"
            " none: any origin, for local use (logged)",
            "--cors-origin",
            "ORIGIN",
        ),
    ] = []
    model: Annotated[
        str, Option("model name reported when the client names none", "--model", "M")
    ] = "gpt-realtime"
    turn_detection: Annotated[
        bool, Option("no local VAD model (server_vad refused)", "--no-turn-detection")
    ] = True
    ssl_certfile: Annotated[
        str | None, Option("PEM certificate: serve https:// and wss://", "--ssl-certfile", "F")
    ] = None
    ssl_keyfile: Annotated[
        str | None,
        Option("PEM private key of the certificate (needs --ssl-certfile)", "--ssl-keyfile", "F"),
    ] = None
    log_level: Annotated[
        str,
        Option(
            "uvicorn's and the server's log level (one line per session opened and closed)",
            "--log-level",
            "L",
        ),
    ] = "info"
    llm_base_url: Annotated[
        str | None,
        Option(
            "base URL of the agent's chat-completions server, e.g. http://127.0.0.1:11434/v1;"
            " none: the agent quotes what it heard",
            "--llm-base-url",
            "URL",
            env=True,
            group=LLM,
        ),
    ] = None
    llm_model: Annotated[
        str | None,
        Option(
            "its model name; none: the first one it lists at /models",
            "--llm-model",
            "M",
            env=True,
            group=LLM,
        ),
    ] = None
    llm_api_key: Annotated[
        str | None,
        Option(
            "its bearer key (the variable keeps it out of the process list)",
            "--llm-api-key",
            "K",
            env=True,
            group=LLM,
        ),
    ] = None
    ice_servers: Annotated[
        list[str],
        Option(
            "STUN or TURN server for WebRTC calls; none: host candidates only (127.0.0.1"
            " included for loopback peers)",
            "--ice-server",
            "URL",
        ),
    ] = []
    ice_username: Annotated[
        str | None, Option("username for the TURN servers", "--ice-username", "U")
    ] = None
    ice_credential: Annotated[
        str | None, Option("credential for the TURN servers", "--ice-credential", "C")
    ] = None
    workers: Annotated[
        int,
        Option(
            "server processes (uvicorn workers) sharing the port; without --redis they share"
            " keys and calls through an embedded Valkey server on a unix socket, started and"
            " stopped with them (the redis extra)",
            "--workers",
            "N",
        ),
    ] = 1
    redis_url: Annotated[
        str | None,
        Option(
            "Redis or Valkey that keys and calls are shared through, e.g. redis://10.0.0.5:6379/0"
            " or unix:///run/redis.sock: every `serve` given the same URL is one service (the"
            " redis extra); none: this process's memory (or the embedded server of --workers)",
            "--redis",
            "URL",
            env=True,
        ),
    ] = None
    drain_timeout_s: Annotated[
        float,
        Option(
            "seconds open sessions may go on after SIGTERM (no new ones are taken, /readyz"
            " answers 503); then they are closed with 1001 and the reason",
            "--drain-timeout",
            "S",
        ),
    ] = 30.0
    ws_deflate: Annotated[
        bool,
        Option(
            "accept websocket compression (permessage-deflate) from clients that offer it;"
            " off by default: base64 audio shrinks by only a quarter for about 20 us of CPU"
            " per 20 ms frame",
            "--ws-deflate",
        ),
    ] = False
    # read where they apply, by the WebRTC transport of any process (tests and benchmarks
    # shorten them); declared here so that the environment and the table agree
    ice_consent_timeout_s: Annotated[
        float | None,
        Option(
            "seconds until a WebRTC peer that stopped answering ICE consent checks is"
            " dropped; unset: about 30, aioice's six checks 5 s apart",
            env=True,
        ),
    ] = None
    webrtc_connect_timeout_s: Annotated[
        float | None,
        Option(
            "seconds from the answer until a WebRTC peer must be connected; unset: 30",
            env=True,
        ),
    ] = None
    # read where it applies, by the MCP client (realtime/server/mcp_client.py)
    mcp_hosts: Annotated[
        str | None,
        Option(
            "comma-separated hosts a session's MCP servers may be on; unset or `*`: any (a"
            " client names the URL, so the server connects wherever it can reach)",
            env=True,
        ),
    ] = None
    call_ttl_s: Annotated[
        float | None,
        Option(
            "with shared state, seconds a call stays in the directory after its process stops"
            " renewing it (it died); unset: 15",
            env=True,
        ),
    ] = None

    @field_validator("api_keys", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        """The environment gives the keys as one comma-separated string."""
        if isinstance(value, str):
            return [k.strip() for k in value.split(",") if k.strip()]
        return value

    @field_validator(
        "ice_consent_timeout_s", "webrtc_connect_timeout_s", "call_ttl_s", mode="before"
    )
    @classmethod
    def _seconds(cls, value: Any) -> Any:
        """Not a positive number: None, and the transport warns and keeps its default."""
        try:
            seconds = float(value)
        except (TypeError, ValueError):
            return None
        return seconds if seconds > 0 else None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """The flags given (as init arguments) over the declared environment variables."""
        return init_settings, DeclaredEnvironment(settings_cls)

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        """`serve`'s flags; a flag not given leaves its setting to the environment."""
        groups: dict[str, Any] = {
            name: parser.add_argument_group(name, description)
            for name, description in GROUPS.items()
        }
        for name, field, option in options():
            if option.flag is None:
                continue
            target = groups[option.group] if option.group else parser
            kwargs: dict[str, Any] = {"dest": name, "default": argparse.SUPPRESS}
            if field.annotation is bool:
                # a flag that turns on what is off by default, or off what is on
                kwargs.update(action="store_const", const=not field.default)
            else:
                kwargs.update(metavar=option.metavar, type=_scalar(field))
                if _repeats(field):
                    kwargs["action"] = "append"
            target.add_argument(option.flag, help=_help(name, field, option), **kwargs)
        only_env = [
            f"${env_name(name)}: {option.meaning}."
            for name, _, option in options()
            if option.flag is None
        ]
        parser.epilog = " ".join(["From the environment only:", *only_env]).replace("%", "%%")

    @classmethod
    def from_arguments(cls, args: argparse.Namespace) -> ServeSettings:
        """The settings from the flags given and the environment."""
        given = {name: value for name, value in vars(args).items() if name in cls.model_fields}
        if "api_keys" in given:  # the flags' keys and the environment's, together
            given["api_keys"] = [*given["api_keys"], *cls().api_keys]
        return cls(**given)


class DeclaredEnvironment(PydanticBaseSettingsSource):
    """The declared environment variables, by their exact names, as strings; every other
    variable is left alone (a setting without `env=True` has no variable)."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        option = _option(field)
        value = os.environ.get(env_name(field_name)) if option and option.env else None
        return value, field_name, False

    def __call__(self) -> dict[str, Any]:
        values = {}
        for name, field in self.settings_cls.model_fields.items():
            value, key, _ = self.get_field_value(field, name)
            if value is not None:
                values[key] = value
        return values


def env_name(name: str) -> str:
    """The environment variable of the setting `name` (declared with `env=True`)."""
    return ENV_PREFIX + name.upper()


def options() -> list[tuple[str, FieldInfo, Option]]:
    """Every setting: its name, its pydantic field and its Option, in declaration order."""
    declared = []
    for name, field in ServeSettings.model_fields.items():
        option = _option(field)
        if option is None:
            raise TypeError(f"ServeSettings.{name} has no Option")
        declared.append((name, field, option))
    return declared


def _option(field: FieldInfo) -> Option | None:
    return next((m for m in field.metadata if isinstance(m, Option)), None)


def _repeats(field: FieldInfo) -> bool:
    return getattr(field.annotation, "__origin__", None) is list


def _scalar(field: FieldInfo) -> type:
    """What argparse converts one value to (pydantic checks the result)."""
    for kind in (int, float):
        if field.annotation in (kind, kind | None):
            return kind
    return str


def _default(field: FieldInfo) -> str | None:
    """The default as the help and the table show it; None when it goes without saying
    (nothing, an empty list, a switch)."""
    if field.default in (None, []) or isinstance(field.default, bool):
        return None
    return str(field.default)


def _help(name: str, field: FieldInfo, option: Option) -> str:
    text = option.meaning.replace("%", "%%").replace("`", "")
    if _repeats(field):
        text += " (repeatable)"
    if (default := _default(field)) is not None:
        text += f" (default {default})"
    if option.env:
        text += f" (also ${env_name(name)})"
    return text


def reference_table() -> str:
    """The README's configuration table: one row per setting (flag, environment, meaning)."""
    rows = ["| flag | environment | meaning |", "| --- | --- | --- |"]
    for name, field, option in options():
        flag = ""
        if option.flag is not None:
            spelled = f"{option.flag} {option.metavar}" if option.metavar else option.flag
            flag = f"`{spelled}`" + (" (repeatable)" if _repeats(field) else "")
        env = f"`{env_name(name)}`" if option.env else ""
        meaning = option.meaning
        if (default := _default(field)) is not None:
            meaning += f" (default `{default}`)"
        cells = (c.replace("|", "\\|") for c in (flag, env, meaning))
        rows.append("|" + "|".join(f" {c} " if c else " " for c in cells) + "|")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(reference_table(), end="")
