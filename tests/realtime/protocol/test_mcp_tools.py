"""The session's MCP rules without I/O: what is refused, what a listing offers, which calls
need approval, what a back-end is shown, and that secrets stay out of every event."""

from __future__ import annotations

import json
from typing import Any

from helpers.session_harness import Harness

from realtime_sdk.realtime.protocol.mcp_tools import (
    DENIED_OUTPUT,
    McpServer,
    backend_items,
    backend_tool_choice,
)
from realtime_sdk.realtime.protocol.outputs import ListMcpTools, StartResponse

MCP = {"type": "mcp", "server_label": "tools", "server_url": "http://127.0.0.1:9/mcp"}
TOOLS = [
    {"name": "read", "input_schema": {"type": "object"}, "annotations": {"readOnlyHint": True}},
    {"name": "write", "input_schema": {"type": "object"}, "annotations": None},
]


def update(h: Harness, **tool: Any) -> list[dict[str, Any]]:
    return h.send(
        {"type": "session.update", "session": {"type": "realtime", "tools": [{**MCP, **tool}]}}
    )


def listed(h: Harness, **tool: Any) -> McpServer:
    update(h, **tool)
    [job] = [w for w in h.work if isinstance(w, ListMcpTools)]
    h.work.clear()
    h.session.mcp_tools_listed(job.server.item_id, TOOLS)
    h.drain()
    return job.server


def test_a_fastrtc_handler_refuses_mcp_servers() -> None:
    from realtime_sdk.backends.fastrtc.backend import FastRTCBackend  # imports gradio: slow

    h = Harness(capabilities=FastRTCBackend.capabilities)
    [answer] = update(h)
    assert answer["error"]["code"] == "unsupported_feature"
    assert answer["error"]["param"] == "session.tools[0]"
    assert "MCP" in answer["error"]["message"]


def test_connectors_and_missing_urls_are_refused_by_name() -> None:
    h = Harness()
    [answer] = update(h, connector_id="connector_gmail")
    assert answer["error"]["param"] == "session.tools[0].connector_id"
    bare = {"type": "mcp", "server_label": "x"}
    answer = h.error({"type": "session.update", "session": {"type": "realtime", "tools": [bare]}})
    assert (answer["code"], answer["param"]) == (
        "missing_required_parameter",
        "session.tools[0].server_url",
    )


def test_the_first_session_lists_after_session_created_and_hides_secrets() -> None:
    h = Harness(config={"tools": [{**MCP, "authorization": "tok-1", "headers": {"K": "v-1"}}]})
    assert [e["type"] for e in h.events] == [
        "session.created",
        "conversation.item.added",
        "mcp_list_tools.in_progress",
    ]
    [job] = h.work
    assert isinstance(job, ListMcpTools)
    assert job.server.request_headers() == {"K": "v-1", "Authorization": "Bearer tok-1"}
    assert "tok-1" not in json.dumps(h.events) and "v-1" not in json.dumps(h.events)
    assert "tok-1" not in repr(job) and "v-1" not in repr(job)


def test_an_update_without_tools_keeps_the_listing_and_a_changed_server_is_listed_again() -> None:
    h = Harness()
    server = listed(h)
    h.send({"type": "session.update", "session": {"type": "realtime", "instructions": "x"}})
    assert not h.work and h.session.mcp.servers["tools"] is server
    update(h, require_approval="never")  # same server: not listed again
    assert not h.work
    update(h, server_url="http://127.0.0.1:9/other")
    assert [type(w) for w in h.work] == [ListMcpTools]


def test_allowed_tools_and_require_approval_filters() -> None:
    h = Harness()
    server = listed(h, allowed_tools={"read_only": True})
    assert [t["name"] for t in server.tools or []] == ["read"]
    server = listed(h, server_label="b", require_approval={"never": {"tool_names": ["write"]}})
    assert not server.needs_approval("write") and server.needs_approval("read")
    server = listed(h, server_label="c", require_approval={"never": {"read_only": True}})
    assert not server.needs_approval("read") and server.needs_approval("write")
    server = listed(h, server_label="d")
    assert server.needs_approval("read")  # "always" unless said otherwise


def test_a_response_offers_listed_tools_as_functions_and_refuses_unknown_servers() -> None:
    h = Harness()
    listed(h, require_approval="never")
    h.send({"type": "response.create"})
    [start] = [w for w in h.work if isinstance(w, StartResponse)]
    assert [t["name"] for t in start.config["tools"]] == ["read", "write"]
    assert all(t["type"] == "function" for t in start.config["tools"])
    h.session.finish_response(start.response_id)
    h.drain()
    other = {**MCP, "server_label": "elsewhere"}
    answer = h.error({"type": "response.create", "response": {"tools": [other]}})
    assert answer["param"] == "response.tools[0]"


def test_a_back_end_sees_mcp_items_as_function_calls() -> None:
    items = [
        {"id": "l1", "type": "mcp_list_tools", "server_label": "s", "tools": []},
        {"id": "c1", "type": "mcp_call", "name": "read", "arguments": "{}", "output": "ok"},
        {"id": "c2", "type": "mcp_call", "name": "read", "arguments": "{}",
         "output": None, "error": {"type": "http_error", "code": 502, "message": "down"}},
        {"id": "r1", "type": "mcp_approval_request", "name": "write", "arguments": "{}"},
        {"id": "a1", "type": "mcp_approval_response", "approval_request_id": "r1",
         "approve": False},
        {"id": "r2", "type": "mcp_approval_request", "name": "write", "arguments": "{}"},
    ]  # fmt: skip
    seen = backend_items(items)
    outputs = [i["output"] for i in seen if i["type"] == "function_call_output"]
    assert outputs == ["ok", "Error: down", DENIED_OUTPUT]
    assert [i["type"] for i in seen] == ["function_call", "function_call_output"] * 3
    assert backend_tool_choice({"type": "mcp", "server_label": "s", "name": "read"}) == {
        "type": "function",
        "name": "read",
    }


def test_a_session_may_name_at_most_sixteen_servers() -> None:
    h = Harness()
    tools = [{**MCP, "server_label": f"s{i}"} for i in range(17)]
    error = h.error({"type": "session.update", "session": {"type": "realtime", "tools": tools}})
    assert (error["code"], error["param"]) == ("invalid_value", "session.tools[16]")
