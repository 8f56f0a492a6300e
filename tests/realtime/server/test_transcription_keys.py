"""`ek_` keys for transcription sessions, in process: from `client_secrets` with a
transcription session and from the legacy `transcription_sessions` route, each opening a
transcription session over the websocket (no `intent` needed); what the back-end cannot
honour is refused, naming the field, when the key is asked for and when a session opens."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from openai.types.beta.realtime import TranscriptionSession as BetaTranscriptionSession
from openai.types.realtime import ClientSecretCreateResponse
from starlette.testclient import TestClient, WebSocketDenialResponse

from realtime_sdk._generated.http_models import LegacyTranscriptionSessionConfig
from realtime_sdk.app import ServerConfig, create_app
from realtime_sdk.backends.echo import EchoBackend
from realtime_sdk.realtime.server.transcription_secrets import LegacyTranscriptionRequest

KEY = "sk-unit-test-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
WHISPER = {"model": "whisper-1"}


@pytest.fixture
def client() -> Iterator[TestClient]:
    config = ServerConfig(backend_factory=EchoBackend, api_keys=frozenset({KEY}))
    with TestClient(create_app(config)) as test_client:
        yield test_client


def opened(client: TestClient, key: str, url: str = "/v1/realtime") -> dict[str, Any]:
    with client.websocket_connect(url, headers={"Authorization": f"Bearer {key}"}) as ws:
        created: dict[str, Any] = ws.receive_json()
    assert created["type"] == "session.created", created
    return created["session"]


def test_client_secrets_issues_a_key_for_a_transcription_session(client: TestClient) -> None:
    audio = {"input": {"format": {"type": "audio/pcmu"}, "transcription": WHISPER}}
    body = {"session": {"type": "transcription", "audio": audio}}
    reply = client.post("/v1/realtime/client_secrets", headers=AUTH, json=body)
    assert reply.status_code == 200, reply.text
    ClientSecretCreateResponse.model_validate(reply.json())
    session = reply.json()["session"]
    assert (session["type"], session["object"]) == (
        "transcription",
        "realtime.transcription_session",
    )
    assert session["audio"]["input"]["transcription"] == WHISPER
    assert "output" not in session["audio"]
    started = opened(client, reply.json()["value"])  # no ?intent: the key decides
    assert started["type"] == "transcription"
    assert started["audio"] == session["audio"]


def test_the_legacy_route_answers_in_the_beta_shape(client: TestClient) -> None:
    body = {
        "input_audio_format": "g711_alaw",
        "input_audio_transcription": WHISPER,
        "turn_detection": {"type": "server_vad", "silence_duration_ms": 700},
        "client_secret": {"expires_at": {"anchor": "created_at", "seconds": 120}},
        "modalities": ["text"],
    }
    reply = client.post("/v1/realtime/transcription_sessions", headers=AUTH, json=body)
    assert reply.status_code == 200, reply.text
    legacy = BetaTranscriptionSession.model_validate(reply.json())
    assert legacy.client_secret.value.startswith("ek_")
    assert legacy.input_audio_format == "g711_alaw"
    assert legacy.turn_detection is not None and legacy.turn_detection.silence_duration_ms == 700
    started = opened(client, legacy.client_secret.value, "/v1/realtime?intent=transcription")
    assert started["type"] == "transcription"
    assert started["audio"]["input"]["format"] == {"type": "audio/pcma"}
    assert started["audio"]["input"]["transcription"] == WHISPER


def test_the_legacy_request_has_the_spec_s_fields() -> None:
    """Hand-written to be strict; held to the generated model, plus openai-python's two."""
    ours = set(LegacyTranscriptionRequest.model_fields)
    assert ours == set(LegacyTranscriptionSessionConfig.model_fields) | {
        "client_secret",
        "modalities",
    }


@pytest.mark.parametrize(
    ("body", "code", "param"),
    [
        ({"prompt": "x"}, "unknown_parameter", "prompt"),
        ({"input_audio_transcription": {"model": "w", "bias": 1}}, "unknown_parameter",
         "input_audio_transcription.bias"),
        ({"input_audio_format": "opus"}, "invalid_value", "input_audio_format"),
        ({"client_secret": {"expires_at": {"seconds": 1}}}, "invalid_value",
         "client_secret.expires_at.seconds"),
    ],
)  # fmt: skip
def test_legacy_refusals_name_the_field(
    client: TestClient, body: dict[str, Any], code: str, param: str
) -> None:
    reply = client.post("/v1/realtime/transcription_sessions", headers=AUTH, json=body)
    assert reply.status_code == 400, reply.text
    assert (reply.json()["error"]["code"], reply.json()["error"]["param"]) == (code, param)


def test_a_key_is_for_the_application_only(client: TestClient) -> None:
    key = client.post("/v1/realtime/transcription_sessions", headers=AUTH, json={}).json()
    value = key["client_secret"]["value"]
    again = client.post(
        "/v1/realtime/transcription_sessions", headers={"Authorization": f"Bearer {value}"}
    )
    assert again.status_code == 403


def test_no_key_is_issued_for_a_setting_the_back_end_cannot_honour(client: TestClient) -> None:
    """Echo has no recogniser to tell a language: both routes refuse the key, naming the
    field as their request names it."""
    audio = {"input": {"transcription": {**WHISPER, "language": "en"}}}
    body = {"session": {"type": "transcription", "audio": audio}}
    reply = client.post("/v1/realtime/client_secrets", headers=AUTH, json=body)
    assert reply.status_code == 400, reply.text
    error = reply.json()["error"]
    assert (error["code"], error["param"]) == (
        "unsupported_feature",
        "session.audio.input.transcription.language",
    )
    legacy = {"input_audio_transcription": {**WHISPER, "language": "en"}}
    reply = client.post("/v1/realtime/transcription_sessions", headers=AUTH, json=legacy)
    assert reply.status_code == 400, reply.text
    assert reply.json()["error"]["param"] == "input_audio_transcription.language"


def test_a_key_the_back_end_cannot_honour_refuses_the_connection(client: TestClient) -> None:
    """A key issued elsewhere (another process's back-end, shared through Redis) for a
    session this back-end refuses: the handshake is a 400 naming the field."""
    audio = {"input": {"transcription": {**WHISPER, "language": "en"}}}
    keys = client.app.state.realtime_auth.keys
    key = asyncio.run(keys.issue(ttl_s=60, session={"type": "transcription", "audio": audio}))
    with pytest.raises(WebSocketDenialResponse) as refused:
        opened(client, key.value)
    assert refused.value.status_code == 400
    error = refused.value.json()["error"]
    assert (error["code"], error["param"]) == (
        "unsupported_feature",
        "session.audio.input.transcription.language",
    )
