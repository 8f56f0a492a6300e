"""Keys and the client-secret routes, in process (Starlette's TestClient, no sockets)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.testclient import TestClient, WebSocketDenialResponse
from starlette.websockets import WebSocket, WebSocketDisconnect

from realtime_sdk._generated.http_models import BetaSessionConfig, CreateClientSecretResponse
from realtime_sdk.app import ServerConfig, create_app
from realtime_sdk.backends.echo import EchoBackend
from realtime_sdk.server.auth import (
    Authenticator,
    AuthError,
    EphemeralKeys,
    authorize_http,
    refuse_ws,
)
from realtime_sdk.server.errors import ApiError

KEY = "sk-unit-test-key"
AUTH = {"Authorization": f"Bearer {KEY}"}


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def client(clock: Clock) -> Iterator[TestClient]:
    config = ServerConfig(
        backend_factory=EchoBackend,
        api_keys=frozenset({KEY}),
        turn_detection=False,
        ephemeral_keys=EphemeralKeys(clock=clock),
    )
    with TestClient(create_app(config)) as test_client:
        yield test_client


def error_of(reply: Any, status: int) -> dict[str, Any]:
    assert reply.status_code == status, reply.text
    body = reply.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"message", "type", "param", "code"}
    assert body["error"]["type"] == "invalid_request_error"
    error: dict[str, Any] = body["error"]
    return error


# -- the key rules ------------------------------------------------------------------------


def test_open_server_lets_anyone_in_but_checks_ek_keys() -> None:
    async def run() -> None:
        keys = EphemeralKeys()
        auth = Authenticator([], keys)
        assert (await auth.check(None)).kind == "open"
        assert (await auth.check("anything")).kind == "open"
        with pytest.raises(AuthError):
            await auth.check("ek_never_issued")
        key = await keys.issue(ttl_s=60, session={"instructions": "x"})
        grant = await auth.check(key.value)
        assert (grant.kind, grant.session) == ("ephemeral", {"instructions": "x"})

    asyncio.run(run())


def test_api_keys_and_ephemeral_keys(clock: Clock) -> None:
    async def run() -> None:
        keys = EphemeralKeys(clock=clock)
        auth = Authenticator({"sk-a", "sk-b"}, keys)
        assert (await auth.check("sk-b")).kind == "api_key"
        with pytest.raises(AuthError) as missing:
            await auth.check(None)
        assert (missing.value.status, missing.value.code) == (401, None)
        with pytest.raises(AuthError) as wrong:
            await auth.check("sk-c-not-a-key")
        assert wrong.value.code == "invalid_api_key"
        assert "sk-c-not-a-key" not in wrong.value.message
        key = await keys.issue(ttl_s=10, session={}, model="gpt-realtime-mini")
        assert key.value.startswith("ek_") and key.expires_at == int(clock.now) + 10
        assert (await auth.check(key.value)).model == "gpt-realtime-mini"
        with pytest.raises(AuthError) as not_here:
            await auth.check(key.value, ephemeral=False)
        assert not_here.value.status == 403
        clock.now += 10
        with pytest.raises(AuthError) as expired:
            await auth.check(key.value)
        assert "expired" in expired.value.message

    asyncio.run(run())


def test_grants_do_not_share_the_stored_session() -> None:
    async def run() -> None:
        keys = EphemeralKeys()
        auth = Authenticator([], keys)
        key = await keys.issue(ttl_s=60, session={"tools": []})
        (await auth.check(key.value)).session["tools"].append("mutated")
        assert (await auth.check(key.value)).session == {"tools": []}

    asyncio.run(run())


def test_expired_keys_are_forgotten(clock: Clock) -> None:
    async def run() -> None:
        keys = EphemeralKeys(clock=clock, max_keys=2)
        first = await keys.issue(ttl_s=10, session={})
        await keys.issue(ttl_s=10, session={})
        clock.now += 11
        await keys.issue(ttl_s=10, session={})  # the store was full: expired keys make room
        assert await keys.get(first.value) is None

    asyncio.run(run())


def test_too_many_live_keys_is_429() -> None:
    async def run() -> None:
        keys = EphemeralKeys(max_keys=1)
        await keys.issue(ttl_s=60, session={})
        with pytest.raises(ApiError) as full:
            await keys.issue(ttl_s=60, session={})
        assert full.value.status == 429

    asyncio.run(run())


# -- POST /v1/realtime/client_secrets -----------------------------------------------------


def test_client_secret_with_the_effective_session(client: TestClient, clock: Clock) -> None:
    reply = client.post(
        "/v1/realtime/client_secrets",
        headers=AUTH,
        json={
            "expires_after": {"anchor": "created_at", "seconds": 300},
            "session": {
                "type": "realtime",
                "model": "gpt-realtime-mini",
                "instructions": "Be brief.",
                "audio": {"input": {"turn_detection": {"type": "semantic_vad"}}},
                "tracing": "auto",
            },
        },
    )
    assert reply.status_code == 200, reply.text
    body = reply.json()
    CreateClientSecretResponse.model_validate(body)
    assert body["value"].startswith("ek_")
    assert body["expires_at"] == int(clock.now) + 300
    session = body["session"]
    assert (session["type"], session["object"]) == ("realtime", "realtime.session")
    assert session["id"].startswith("sess_")
    assert (session["model"], session["instructions"]) == ("gpt-realtime-mini", "Be brief.")
    detection = session["audio"]["input"]["turn_detection"]
    assert (detection["type"], detection["eagerness"]) == ("semantic_vad", "auto")
    assert session["audio"]["output"]["voice"] == "alloy"  # defaults fill the rest
    # the key opens a session that starts there, with the model it pins
    with client.websocket_connect(
        "/v1/realtime?model=gpt-realtime", headers={"Authorization": f"Bearer {body['value']}"}
    ) as ws:
        created = ws.receive_json()
    assert created["type"] == "session.created"
    started = created["session"]
    assert started["id"] != session["id"]  # one key, many sessions, each its own id
    for name in ("model", "instructions", "tracing", "audio", "output_modalities", "tools"):
        assert started[name] == session[name], name


def test_client_secret_defaults(client: TestClient, clock: Clock) -> None:
    reply = client.post("/v1/realtime/client_secrets", headers=AUTH)  # no body at all
    assert reply.status_code == 200, reply.text
    assert reply.json()["expires_at"] == int(clock.now) + 600
    assert reply.json()["session"]["model"] == "gpt-realtime"


@pytest.mark.parametrize(
    ("body", "code", "param"),
    [
        ({"colour": 1}, "unknown_parameter", "colour"),
        ({"session": {"type": "realtime", "bogus": 1}}, "unknown_parameter", "session.bogus"),
        (
            {"session": {"type": "realtime", "audio": {"output": {"voice": "x", "pitch": 2}}}},
            "unknown_parameter",
            "session.audio.output.pitch",
        ),
        ({"expires_after": {"seconds": 5}}, "invalid_value", "expires_after.seconds"),
        ({"expires_after": {"seconds": 7201}}, "invalid_value", "expires_after.seconds"),
        ({"expires_after": {"anchor": "now"}}, "invalid_value", "expires_after.anchor"),
        ({"expires_after": {"seconds": "60"}}, "invalid_type", "expires_after.seconds"),
        ({"session": {"instructions": "x"}}, "missing_required_parameter", "session.type"),
        (
            {"session": {"type": "transcription", "model": "x"}},
            "unknown_parameter",
            "session.model",
        ),
        (
            {
                "session": {
                    "type": "realtime",
                    "audio": {"input": {"turn_detection": {"type": "server_vad", "threshold": 2}}},
                }
            },
            "invalid_value",
            "session.audio.input.turn_detection.threshold",
        ),
    ],
)
def test_client_secret_refusals(client: TestClient, body: Any, code: str, param: str) -> None:
    error = error_of(client.post("/v1/realtime/client_secrets", headers=AUTH, json=body), 400)
    assert (error["code"], error["param"]) == (code, param)


def test_client_secret_bad_bodies(client: TestClient) -> None:
    url = "/v1/realtime/client_secrets"
    assert error_of(client.post(url, headers=AUTH, content=b"{nope"), 400)["code"] == "invalid_json"
    assert error_of(client.post(url, headers=AUTH, json=[1]), 400)["code"] == "invalid_type"
    error_of(client.post(url, headers=AUTH, content=b"x" * (1024 * 1024 + 1)), 413)


def test_client_secret_needs_an_api_key(client: TestClient) -> None:
    url = "/v1/realtime/client_secrets"
    assert error_of(client.post(url), 401)["code"] is None
    wrong = {"Authorization": "Bearer sk-wrong"}
    assert error_of(client.post(url, headers=wrong), 401)["code"] == "invalid_api_key"
    key = client.post(url, headers=AUTH).json()["value"]
    minted = client.post(url, headers={"Authorization": f"Bearer {key}"})
    assert error_of(minted, 403)["code"] == "permission_denied"


# -- POST /v1/realtime/sessions (legacy beta) ---------------------------------------------


def test_beta_session(client: TestClient, clock: Clock) -> None:
    reply = client.post(
        "/v1/realtime/sessions",
        headers=AUTH,
        json={
            "model": "gpt-4o-realtime-preview",
            "modalities": ["audio", "text"],
            "voice": "verse",
            "input_audio_format": "g711_alaw",
            "output_audio_format": "g711_ulaw",
            "temperature": 0.7,
            "max_response_output_tokens": 512,
            "tools": [{"type": "function", "name": "f", "parameters": {"type": "object"}}],
        },
    )
    assert reply.status_code == 200, reply.text
    body = reply.json()
    BetaSessionConfig.model_validate(body)  # the spec's flat beta session with client_secret
    assert body["client_secret"]["value"].startswith("ek_")
    assert body["client_secret"]["expires_at"] == int(clock.now) + 60  # beta default: 1 min
    assert body["modalities"] == ["audio", "text"]
    assert (body["input_audio_format"], body["output_audio_format"]) == ("g711_alaw", "g711_ulaw")
    assert (body["voice"], body["temperature"], body["max_response_output_tokens"]) == (
        "verse",
        0.7,
        512,
    )
    assert "audio" not in body and "output_modalities" not in body  # nothing GA leaks in
    key = body["client_secret"]["value"]
    with client.websocket_connect("/v1/realtime", headers={"Authorization": f"Bearer {key}"}) as ws:
        session = ws.receive_json()["session"]
    assert session["model"] == "gpt-4o-realtime-preview"
    assert session["audio"]["input"]["format"] == {"type": "audio/pcma"}
    assert session["audio"]["output"]["format"] == {"type": "audio/pcmu"}
    assert session["max_output_tokens"] == 512
    assert session["tools"][0]["name"] == "f"


def test_beta_session_ttl_and_refusals(client: TestClient, clock: Clock) -> None:
    url = "/v1/realtime/sessions"
    reply = client.post(
        url, headers=AUTH, json={"client_secret": {"expires_after": {"anchor": "created_at",
                                                                     "seconds": 3600}}}
    )  # fmt: skip
    assert reply.json()["client_secret"]["expires_at"] == int(clock.now) + 3600
    error = error_of(client.post(url, headers=AUTH, json={"output_modalities": ["text"]}), 400)
    assert (error["code"], error["param"]) == ("unknown_parameter", "output_modalities")
    error = error_of(client.post(url, headers=AUTH, json={"input_audio_format": "mp3"}), 400)
    assert (error["code"], error["param"]) == ("invalid_value", "input_audio_format")
    error_of(client.post(url, json={}), 401)


# -- CORS, mounting, and the contract the calls route builds on ---------------------------


@pytest.mark.parametrize("path", ["/v1/realtime/client_secrets", "/v1/realtime/sessions"])
def test_cors_preflight_and_headers(client: TestClient, path: str) -> None:
    origin = "https://app.example"
    preflight = client.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "POST" in preflight.headers["access-control-allow-methods"]
    allowed = preflight.headers["access-control-allow-headers"].lower()
    assert "authorization" in allowed and "content-type" in allowed
    # the answer itself, and a refusal too, carry the header, so browsers can read them
    ok = client.post(path, headers={**AUTH, "Origin": origin}, json={})
    assert ok.headers["access-control-allow-origin"] == "*"
    refused = client.post(path, headers={"Origin": origin}, json={})
    assert refused.status_code == 401
    assert refused.headers["access-control-allow-origin"] == "*"


def test_cors_restricted_to_the_origins_given(caplog: pytest.LogCaptureFixture) -> None:
    """`--cors-origin`: a page from another origin gets no CORS grant (its browser then
    keeps the answer from it); the open default says so in the log."""
    allowed, other = "https://app.example", "https://evil.example"
    config = ServerConfig(
        backend_factory=EchoBackend,
        api_keys=frozenset({KEY}),
        turn_detection=False,
        cors_origins=[allowed],
    )
    with caplog.at_level("WARNING"), TestClient(create_app(config)) as test_client:
        asked = {
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization",
        }
        path = "/v1/realtime/client_secrets"
        ok = test_client.options(path, headers={"Origin": allowed, **asked})
        assert ok.headers["access-control-allow-origin"] == allowed
        denied = test_client.options(path, headers={"Origin": other, **asked})
        assert denied.status_code == 400
        assert "access-control-allow-origin" not in denied.headers
        answer = test_client.post(path, headers={**AUTH, "Origin": other}, json={})
        assert "access-control-allow-origin" not in answer.headers
    assert not any("CORS open" in r.message for r in caplog.records)
    with caplog.at_level("WARNING"):
        create_app(ServerConfig(backend_factory=EchoBackend, turn_detection=False))
    assert any("CORS open" in r.message for r in caplog.records)


def test_mounted_in_another_app() -> None:
    realtime = create_app(
        ServerConfig(backend_factory=EchoBackend, api_keys=frozenset({KEY}), turn_detection=False)
    )
    parent = Starlette(routes=[Mount("/", app=realtime)])
    with TestClient(parent) as test_client:
        reply = test_client.post("/v1/realtime/client_secrets", headers=AUTH)
        assert reply.status_code == 200
        key = reply.json()["value"]
        with test_client.websocket_connect(
            "/v1/realtime", headers={"Authorization": f"Bearer {key}"}
        ) as ws:
            assert ws.receive_json()["type"] == "session.created"


def test_authorize_http_in_another_route() -> None:
    """What a route such as /v1/realtime/calls does: call it, use the grant, let a refusal
    propagate (the app renders AuthError as the 401 body)."""

    async def whoami(request: Request) -> JSONResponse:
        grant = await authorize_http(request)
        return JSONResponse({"kind": grant.kind, "session": grant.session, "model": grant.model})

    app = create_app(
        ServerConfig(backend_factory=EchoBackend, api_keys=frozenset({KEY}), turn_detection=False)
    )
    app.router.routes.append(Route("/whoami", whoami, methods=["POST"]))
    with TestClient(app) as test_client:
        assert test_client.post("/whoami", headers=AUTH).json()["kind"] == "api_key"
        assert error_of(test_client.post("/whoami"), 401)["code"] is None
        secret = test_client.post(
            "/v1/realtime/client_secrets",
            headers=AUTH,
            json={"session": {"type": "realtime", "instructions": "hi"}},
        ).json()
        grant = test_client.post(
            "/whoami", headers={"Authorization": f"Bearer {secret['value']}"}
        ).json()
        assert grant == {"kind": "ephemeral", "session": {"instructions": "hi"}, "model": None}


def test_websocket_refusal_without_the_denial_extension() -> None:
    """Servers without the ASGI denial-response extension get a close 1008 instead."""

    async def endpoint(websocket: WebSocket) -> None:
        websocket.scope["extensions"] = {}
        await refuse_ws(websocket, AuthError("no"))

    app = Starlette(routes=[WebSocketRoute("/", endpoint)])
    with (
        TestClient(app) as test_client,
        pytest.raises(WebSocketDisconnect) as closed,
        test_client.websocket_connect("/"),
    ):
        pass
    assert closed.value.code == 1008


def test_websocket_refusal_is_http_401(client: TestClient) -> None:
    bad = {"Authorization": "Bearer x"}
    with (
        pytest.raises(WebSocketDenialResponse) as denied,
        client.websocket_connect("/v1/realtime", headers=bad),
    ):
        pass
    assert denied.value.status_code == 401
    assert denied.value.json()["error"]["code"] == "invalid_api_key"
