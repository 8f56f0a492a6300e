"""The spec files are valid documents of their kinds, checked by the reference tools."""

from __future__ import annotations

from helpers.spec_validators import asyncapi_summary, openapi_errors

from codegen import yamlio
from codegen.paths import EVENTS_SPEC, HTTP_SPEC


def test_http_spec_is_valid_openapi_3_1() -> None:
    assert openapi_errors(HTTP_SPEC) == []


def test_http_spec_has_the_routes_clients_use() -> None:
    paths = yamlio.load_path(HTTP_SPEC)["paths"]
    assert {
        "/realtime",  # legacy beta SDP offer
        "/realtime/calls",
        "/realtime/calls/{call_id}/hangup",
        "/realtime/client_secrets",
        "/realtime/sessions",
    } <= set(paths)
    calls = paths["/realtime/calls"]["post"]["requestBody"]["content"]
    assert {"application/sdp", "multipart/form-data"} <= set(calls)


def test_events_spec_is_valid_asyncapi_3() -> None:
    summary = asyncapi_summary(EVENTS_SPEC)
    assert summary["messages"] == len(yamlio.load_path(EVENTS_SPEC)["components"]["messages"])
