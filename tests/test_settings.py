"""`serve`'s settings: one declaration, from which the flags, the environment and the
README's table come; a flag or variable that worked before still works the same."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from realtime_sdk import cli
from realtime_sdk.settings import ServeSettings, env_name, options, reference_table

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "realtime_sdk"
VARIABLE = re.compile(r"REALTIME_SDK_[A-Z0-9_]*[A-Z0-9]")


def parse(*argv: str) -> ServeSettings:
    parser = argparse.ArgumentParser()
    ServeSettings.add_arguments(parser)
    return ServeSettings.from_arguments(parser.parse_args(argv))


@pytest.fixture(autouse=True)
def no_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, _, option in options():
        if option.env:
            monkeypatch.delenv(env_name(name), raising=False)


def test_the_readme_table_is_the_declaration() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Configuration reference", 1)[1]
    start = section.index("| flag | environment | meaning |")
    table = section[start : section.index("\n\n", start) + 1]
    assert table == reference_table(), "run `python -m realtime_sdk.settings` for the table"


def test_every_variable_read_by_name_is_declared() -> None:
    found = set()
    for path in SRC.rglob("*.py"):
        if "_generated" not in path.parts:
            found.update(VARIABLE.findall(path.read_text()))
    declared = {env_name(name) for name, _, option in options() if option.env}
    assert found - {cli.WORKERS_ARGV_ENV} <= declared  # that one is `--workers`' own


def test_the_defaults() -> None:
    settings = parse()
    assert (settings.host, settings.port, settings.handler) == ("127.0.0.1", 8000, "agent")
    assert settings.api_keys == settings.cors_origins == settings.ice_servers == []
    assert (settings.model, settings.turn_detection, settings.ws_deflate) == (
        "gpt-realtime",
        True,
        False,
    )
    assert (settings.log_level, settings.workers, settings.llm_base_url) == ("info", 1, None)


def test_every_flag_as_it_was_spelled() -> None:
    settings = parse(
        *("--host", "0.0.0.0", "--port", "9000", "--handler", "echo"),
        *("--api-key", "sk-1", "--api-key", "sk-2,x"),
        *("--cors-origin", "https://a.example", "--cors-origin", "http://b"),
        *("--model", "m", "--no-turn-detection", "--ssl-certfile", "c.pem"),
        *("--ssl-keyfile", "k.pem", "--log-level", "debug"),
        *("--llm-base-url", "http://127.0.0.1:11434/v1", "--llm-model", "q", "--llm-api-key", "k"),
        *("--ice-server", "stun:s", "--ice-server", "turn:t", "--ice-username", "u"),
        *("--ice-credential", "c", "--workers", "2", "--ws-deflate"),
        *("--redis", "unix:///run/r.sock", "--drain-timeout", "5"),
    )
    environment_only = {
        "ice_consent_timeout_s",
        "webrtc_connect_timeout_s",
        "call_ttl_s",
        "mcp_hosts",
    }
    assert settings.model_dump(exclude=environment_only) == {
        "host": "0.0.0.0",
        "port": 9000,
        "handler": "echo",
        "api_keys": ["sk-1", "sk-2,x"],  # a flag is one key, commas and all
        "cors_origins": ["https://a.example", "http://b"],
        "model": "m",
        "turn_detection": False,
        "ssl_certfile": "c.pem",
        "ssl_keyfile": "k.pem",
        "log_level": "debug",
        "llm_base_url": "http://127.0.0.1:11434/v1",
        "llm_model": "q",
        "llm_api_key": "k",
        "ice_servers": ["stun:s", "turn:t"],
        "ice_username": "u",
        "ice_credential": "c",
        "workers": 2,
        "ws_deflate": True,
        "redis_url": "unix:///run/r.sock",
        "drain_timeout_s": 5.0,
    }


def test_the_environment_and_the_flags(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REALTIME_SDK_API_KEYS", "sk-env-1, sk-env-2,")
    monkeypatch.setenv("REALTIME_SDK_LLM_BASE_URL", "http://env/v1")
    monkeypatch.setenv("REALTIME_SDK_LLM_MODEL", "env-model")
    monkeypatch.setenv("REALTIME_SDK_LLM_API_KEY", "env-key")
    monkeypatch.setenv("REALTIME_SDK_HOST", "0.0.0.0")  # not a variable of ours
    monkeypatch.setenv("PORT", "1")
    settings = parse()
    assert settings.api_keys == ["sk-env-1", "sk-env-2"]
    assert (settings.llm_base_url, settings.llm_model, settings.llm_api_key) == (
        "http://env/v1",
        "env-model",
        "env-key",
    )
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    # a flag wins over its variable; --api-key adds to the variable's keys
    settings = parse("--llm-model", "flag-model", "--api-key", "sk-flag")
    assert settings.llm_model == "flag-model" and settings.llm_base_url == "http://env/v1"
    assert sorted(settings.api_keys) == ["sk-env-1", "sk-env-2", "sk-flag"]


@pytest.mark.parametrize(("value", "seconds"), [("2.5", 2.5), ("later", None), ("0", None)])
def test_transport_timeouts_are_read_as_the_transports_read_them(
    monkeypatch: pytest.MonkeyPatch, value: str, seconds: float | None
) -> None:
    """Not a positive number: left to the transport, which warns and keeps its default."""
    monkeypatch.setenv("REALTIME_SDK_WEBRTC_CONNECT_TIMEOUT_S", value)
    monkeypatch.setenv("REALTIME_SDK_ICE_CONSENT_TIMEOUT_S", value)
    settings = parse()
    assert settings.webrtc_connect_timeout_s == settings.ice_consent_timeout_s == seconds
