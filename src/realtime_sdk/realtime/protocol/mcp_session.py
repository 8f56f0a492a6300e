"""The session's MCP events: listing each server's tools, the calls a back-end makes to
them (run by the driver, or held for the user's approval), and what the driver reports.

Listing, per server: `conversation.item.added` (an `mcp_list_tools` item, no tools yet),
`mcp_list_tools.in_progress`; then `conversation.item.done` (the tools, filtered by
`allowed_tools`) and `mcp_list_tools.completed`, or `mcp_list_tools.failed` and an `error`
saying why. A call, inside its response: `response.output_item.added` (`mcp_call`),
`conversation.item.added`, `response.mcp_call_arguments.delta/.done`,
`response.mcp_call.in_progress`; then `response.mcp_call.completed` or `.failed`,
`response.output_item.done` and `conversation.item.done` with its output or error.
A call that needs approval is an `mcp_approval_request` item instead; the response ends,
and the next response runs it once the client's `mcp_approval_response` approves it.
"""

from __future__ import annotations

from typing import Any

from ..._generated.ga import server_stub as ev
from .conversation import StoredItem
from .mcp_tools import Approval, McpServer
from .outputs import ListMcpTools, McpCall
from .refusals import error_event
from .responding import Responding
from .responses import ResponseRun


class McpSession(Responding):
    def start(self) -> None:
        """`session.created`, then the listing of the MCP servers the session began with."""
        first = not self._started
        super().start()
        if first and self._mcp_first:
            self._list_mcp_tools(self.mcp.configure(self._mcp_first))
            self._mcp_first = []

    def _set_mcp_tools(self, servers: list[McpServer]) -> None:
        """The session's MCP servers after an update: the new ones are listed."""
        self._list_mcp_tools(self.mcp.configure(servers))

    # -- listing --------------------------------------------------------------
    def _list_mcp_tools(self, servers: list[McpServer]) -> None:
        """Start listing these servers' tools (the driver reports back)."""
        for server in servers:
            item = StoredItem(
                {
                    "id": server.item_id,
                    "type": "mcp_list_tools",
                    "server_label": server.label,
                    "tools": [],
                }
            )
            previous = self.conversation.insert(item)
            self.emit(ev.conversation_item_added(previous_item_id=previous, item=item.wire()))
            self.emit(ev.mcp_list_tools_in_progress(item_id=server.item_id))
            self._outputs.append(ListMcpTools(server))

    def mcp_tools_listed(self, item_id: str, tools: list[dict[str, Any]]) -> None:
        """What the server listed (MCP tool objects: name, description, input_schema,
        annotations); those `allowed_tools` lets through are offered. Then `take()`."""
        server = self.mcp.by_item(item_id)
        if server is None:
            return  # the session's tools changed meanwhile
        server.tools = [t for t in tools if server.allows(t)]
        self._listing_done(item_id, server.tools)
        self.emit(ev.mcp_list_tools_completed(item_id=item_id))

    def mcp_tools_failed(self, item_id: str, message: str) -> None:
        """The listing failed (`message`, for the client: no secrets in it). Then `take()`."""
        server = self.mcp.by_item(item_id)
        if server is None:
            return
        server.tools = None
        self._listing_done(item_id, [])
        self.emit(ev.mcp_list_tools_failed(item_id=item_id))
        text = f"Listing the tools of MCP server '{server.label}' failed: {message}"
        param = f"session.tools[{server.index}]"
        self.emit(error_event("mcp_list_tools_failed", text, param, None, kind="server_error"))

    def _listing_done(self, item_id: str, tools: list[dict[str, Any]]) -> None:
        if item_id not in self.conversation:
            return  # deleted by the client meanwhile
        item = self.conversation.get(item_id)
        item.data["tools"] = tools
        self.emit(ev.conversation_item_done(item=item.wire()))

    # -- calls ----------------------------------------------------------------
    def tool_call(
        self, response_id: str, name: str, arguments: str, call_id: str | None = None
    ) -> McpCall | None:
        """A back-end called a tool: an MCP tool becomes an `mcp_call` the driver runs
        (returned) or an `mcp_approval_request`; any other, a function call. Then `take()`."""
        run = self.response(response_id)
        if run is None:
            return None
        server = self.mcp.server_of(name, _labels(run))
        if server is None:
            run.function_call(name, arguments, call_id)
            return None
        if server.needs_approval(name):
            self._ask_approval(run, server, name, arguments)
            return None
        return self._open_call(run, server, name, arguments, None)

    def next_approved_call(self, response_id: str) -> McpCall | None:
        """A call the client approved since it was asked for, opened in this response for
        the driver to run before the back-end answers (one at a time: each is reported
        with `mcp_call_done` before the next). Then `take()`."""
        run = self.response(response_id)
        if run is None:
            return None
        while (due := self.mcp.next_approved()) is not None:
            request_id, approval = due
            server = self.mcp.servers.get(approval.server_label)
            if server is not None:  # else the server left the session's tools
                return self._open_call(run, server, approval.name, approval.arguments, request_id)
        return None

    def mcp_call_done(
        self, call: McpCall, output: str | None = None, error: dict[str, Any] | None = None
    ) -> None:
        """The driver ran `call`: its output, or an `error` as the `mcp_call` item carries
        it (`{type: protocol_error|tool_execution_error|http_error, message, ...}`)."""
        run = self.response(call.response_id)
        if run is None:
            return  # cancelled meanwhile: the item was closed incomplete
        stored = next((s for s in run.output if s.id == call.item_id), None)
        if stored is None:
            return
        index = run.output.index(stored)
        stored.data["output"] = output
        stored.data["error"] = error
        if error is None:
            self.emit(ev.response_mcp_call_completed(output_index=index, item_id=call.item_id))
        else:
            self.emit(ev.response_mcp_call_failed(output_index=index, item_id=call.item_id))
        if run.open_item_id() == call.item_id:
            run.close_item()

    def _open_call(
        self,
        run: ResponseRun,
        server: McpServer,
        name: str,
        arguments: str,
        approval_request_id: str | None,
    ) -> McpCall:
        data = {
            "id": self.ids.item(),
            "type": "mcp_call",
            "status": "in_progress",
            "server_label": server.label,
            "name": name,
            "arguments": "",
            "approval_request_id": approval_request_id,
            "output": None,
            "error": None,
        }
        stored, index = run.add_item(data)
        ids: dict[str, Any] = {"response_id": run.id, "item_id": stored.id, "output_index": index}
        if arguments:
            self.emit(ev.response_mcp_call_arguments_delta(delta=arguments, **ids))
        stored.data["arguments"] = arguments
        self.emit(ev.response_mcp_call_arguments_done(arguments=arguments, **ids))
        self.emit(ev.response_mcp_call_in_progress(output_index=index, item_id=stored.id))
        return McpCall(run.id, stored.id, server, name, arguments)

    def _ask_approval(self, run: ResponseRun, server: McpServer, name: str, arguments: str) -> None:
        data = {
            "id": self.ids.item(),
            "type": "mcp_approval_request",
            "server_label": server.label,
            "name": name,
            "arguments": arguments,
        }
        stored, _ = run.add_item(data)
        run.close_item()
        self.mcp.approvals[stored.id] = Approval(server.label, name, arguments)


def _labels(run: ResponseRun) -> set[str]:
    """The MCP servers this response may call (its tools, the session's by default)."""
    return {
        str(t.get("server_label"))
        for t in run.config.get("tools") or []
        if isinstance(t, dict) and t.get("type") == "mcp"
    }
