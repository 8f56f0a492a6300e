"""What a session knows of its MCP servers: which were asked for, what they list, which
calls need the user's approval, and how MCP items look to a back-end.

Sans-I/O: the server's driver lists tools and runs calls (`ListMcpTools`, `McpCall`) and
reports back. A back-end never sees MCP as such: listed tools are offered to it as
function tools, and MCP items in the conversation as function calls with their outputs,
so any back-end that calls functions can call MCP tools.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

# what a client sends to reach its MCP server, kept out of every event (and every log line)
SECRET_FIELDS = ("authorization", "headers")
# MCP tool settings with no meaning here: refused, naming the field
UNSUPPORTED_FIELDS = ("connector_id", "tunnel_id")
DENIED_OUTPUT = "The user declined to run this tool call."
MAX_SERVERS = 16  # per session: each is a listing (a connection) at every change of them


class McpConfigError(ValueError):
    """An MCP tool the server cannot honour; `param` names the field."""

    def __init__(self, message: str, param: str, code: str = "unsupported_feature") -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.code = code


@dataclass
class McpServer:
    """One `{type: "mcp"}` tool of the session: where it is, how to reach it, and what it
    listed (filtered by `allowed_tools`) once the listing is done."""

    label: str
    url: str
    item_id: str
    index: int  # its place in `session.tools`, for error params
    headers: dict[str, str] = field(default_factory=dict, repr=False)
    authorization: str | None = field(default=None, repr=False)
    allowed_tools: Any = None
    require_approval: Any = None
    tools: list[dict[str, Any]] | None = None  # None: not listed (yet, or it failed)

    def key(self) -> tuple[Any, ...]:
        """What a listing depends on: the same key again needs no new listing."""
        return (self.label, self.url, sorted(self.headers.items()), self.authorization)

    def request_headers(self) -> dict[str, str]:
        """The HTTP headers for the MCP server: `headers`, and `authorization` as a bearer
        token unless `headers` set one."""
        out = dict(self.headers)
        if self.authorization and not any(k.lower() == "authorization" for k in out):
            out["Authorization"] = f"Bearer {self.authorization}"
        return out

    def allows(self, tool: Mapping[str, Any]) -> bool:
        return _matches(self.allowed_tools, tool, default=True)

    def needs_approval(self, name: str) -> bool:
        """`require_approval`: "never", "always" (the default), or `{always, never}` filters
        (a tool in neither needs approval)."""
        rule = self.require_approval
        if rule == "never":
            return False
        if isinstance(rule, Mapping):
            tool = self.tool(name) or {"name": name}
            if rule.get("never") is not None and _matches(rule["never"], tool, default=False):
                return False
        return True

    def tool(self, name: str) -> dict[str, Any] | None:
        return next((t for t in self.tools or [] if t["name"] == name), None)


def _matches(rule: Any, tool: Mapping[str, Any], *, default: bool) -> bool:
    """A tool against `allowed_tools`-shaped rule: a list of names or
    `{tool_names, read_only}` (read_only: the tool is annotated `readOnlyHint`)."""
    if rule is None:
        return default
    if isinstance(rule, list):
        return tool.get("name") in rule
    names = rule.get("tool_names")
    if names is not None and tool.get("name") not in names:
        return False
    read_only = rule.get("read_only")
    if read_only is not None:
        hint = bool((tool.get("annotations") or {}).get("readOnlyHint"))
        return hint is bool(read_only)
    return bool(names is not None or default)


def split_secrets(tools: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[int, Any]]:
    """The tools as the session echoes them (no `authorization`, no `headers`), and those
    fields by tool index."""
    public: list[dict[str, Any]] = []
    secrets: dict[int, Any] = {}
    for index, tool in enumerate(tools):
        if tool.get("type") == "mcp":
            kept = {k: v for k, v in tool.items() if k not in SECRET_FIELDS}
            secrets[index] = {k: tool[k] for k in SECRET_FIELDS if tool.get(k) is not None}
            public.append(kept)
        else:
            public.append(tool)
    return public, secrets


def mcp_servers(
    tools: list[dict[str, Any]], secrets: Mapping[int, Any], new_id: Any, param: str
) -> list[McpServer]:
    """The MCP servers among `tools` (McpConfigError for one that cannot be reached here).
    `new_id` makes each one's `mcp_list_tools` item id."""
    servers: list[McpServer] = []
    labels: set[str] = set()
    for index, tool in enumerate(tools):
        if tool.get("type") != "mcp":
            continue
        where = f"{param}[{index}]"
        for name in UNSUPPORTED_FIELDS:
            if tool.get(name) is not None:
                raise McpConfigError(
                    f"MCP '{name}' is not supported by this server; give a 'server_url'.",
                    f"{where}.{name}",
                )
        callers = tool.get("allowed_callers")
        if callers is not None and "direct" not in callers:
            # the model calls tools directly here: no programmatic caller to leave them to
            raise McpConfigError(
                "This server has no programmatic tool calls; 'allowed_callers' must"
                " include 'direct'.",
                f"{where}.allowed_callers",
            )
        if not tool.get("server_url"):
            raise McpConfigError(
                "An MCP tool needs a 'server_url'.",
                f"{where}.server_url",
                "missing_required_parameter",
            )
        if len(servers) == MAX_SERVERS:
            raise McpConfigError(
                f"A session may use at most {MAX_SERVERS} MCP servers.", where, "invalid_value"
            )
        label = tool["server_label"]
        if label in labels:
            raise McpConfigError(
                f"Two MCP tools share the server_label '{label}'.",
                f"{where}.server_label",
                "invalid_value",
            )
        labels.add(label)
        hidden = secrets.get(index) or {}
        servers.append(
            McpServer(
                label=label,
                url=tool["server_url"],
                item_id=new_id(),
                index=index,
                headers=dict(hidden.get("headers") or {}),
                authorization=hidden.get("authorization"),
                allowed_tools=copy.deepcopy(tool.get("allowed_tools")),
                require_approval=copy.deepcopy(tool.get("require_approval")),
            )
        )
    return servers


@dataclass(frozen=True)
class Approval:
    """An approval request the session made: what would run once approved."""

    server_label: str
    name: str
    arguments: str
    decided: bool | None = None  # the client's answer, once it came
    ran: bool = False


class McpTools:
    """The session's MCP servers by label, and its approval requests by id."""

    def __init__(self) -> None:
        self.servers: dict[str, McpServer] = {}
        self.approvals: dict[str, Approval] = {}

    def configure(self, servers: list[McpServer]) -> list[McpServer]:
        """The session's servers are now `servers`: those to list (new, or reached in
        another way), the others keep what they listed."""
        fresh: list[McpServer] = []
        kept: dict[str, McpServer] = {}
        for server in servers:
            old = self.servers.get(server.label)
            if old is not None and old.key() == server.key():
                old.allowed_tools = server.allowed_tools
                old.require_approval = server.require_approval
                old.index = server.index
                kept[server.label] = old
            else:
                kept[server.label] = server
                fresh.append(server)
        self.servers = kept
        return fresh

    def by_item(self, item_id: str) -> McpServer | None:
        return next((s for s in self.servers.values() if s.item_id == item_id), None)

    def offered(self, labels: set[str] | None = None) -> list[tuple[McpServer, dict[str, Any]]]:
        """Every listed tool a back-end may call, with its server (of `labels` only, when
        given; the first server listing a name has it)."""
        seen: set[str] = set()
        out: list[tuple[McpServer, dict[str, Any]]] = []
        for server in self.servers.values():
            if labels is not None and server.label not in labels:
                continue
            for tool in server.tools or []:
                if tool["name"] not in seen and server.allows(tool):
                    seen.add(tool["name"])
                    out.append((server, tool))
        return out

    def server_of(self, name: str, labels: set[str] | None = None) -> McpServer | None:
        """The server whose tool a back-end called by `name`, if it is an MCP tool."""
        return next((s for s, t in self.offered(labels) if t["name"] == name), None)

    def function_tools(self, labels: set[str] | None = None) -> list[dict[str, Any]]:
        """The listed MCP tools as function tools, for a back-end."""
        return [
            {
                "type": "function",
                "name": tool["name"],
                "description": tool.get("description") or "",
                "parameters": tool.get("input_schema") or {"type": "object", "properties": {}},
            }
            for _, tool in self.offered(labels)
        ]

    def next_approved(self) -> tuple[str, Approval] | None:
        """An approved call not run yet, marked as run (its request id and what to run)."""
        for key, approval in self.approvals.items():
            if approval.decided and not approval.ran:
                self.approvals[key] = replace(approval, ran=True)
                return key, approval
        return None

    def decide(self, request_id: str, approve: bool) -> bool:
        """The client's answer to an approval request; False: no such request."""
        approval = self.approvals.get(request_id)
        if approval is None:
            return False
        if approval.decided is None:
            self.approvals[request_id] = replace(approval, decided=approve)
        return True


def backend_tools(tools: Iterable[Mapping[str, Any]], mcp: McpTools) -> list[dict[str, Any]]:
    """A response's tools as a back-end sees them: its function tools, then the tools of
    the MCP servers among them."""
    tools = list(tools)
    labels = {str(t.get("server_label")) for t in tools if t.get("type") == "mcp"}
    own = [dict(t) for t in tools if t.get("type") != "mcp"]
    names = {t.get("name") for t in own}
    return own + [t for t in mcp.function_tools(labels) if t["name"] not in names]


def backend_tool_choice(choice: Any) -> Any:
    """`{type: "mcp", server_label, name}` as a function choice; "required" of a server
    without a name stays as it is (the back-end must call one of the tools)."""
    if isinstance(choice, Mapping) and choice.get("type") == "mcp":
        return {"type": "function", "name": choice["name"]} if choice.get("name") else "required"
    return choice


def error_text(error: Mapping[str, Any] | None) -> str:
    if not error:
        return "Error: the MCP call failed."
    return f"Error: {error.get('message') or error.get('type')}"


def backend_items(items: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The conversation as a back-end sees it: an `mcp_call` is a function call and its
    output (or its error), a declined approval request a call whose output says so; the
    listings, approval responses and undecided requests are left out."""
    items = list(items)
    answers = {
        item.get("approval_request_id"): item.get("approve")
        for item in items
        if item.get("type") == "mcp_approval_response"
    }
    out: list[dict[str, Any]] = []
    for item in items:
        kind = item.get("type")
        if kind == "mcp_call":
            output = item.get("output")
            text = output if output is not None else error_text(item.get("error"))
            out.extend(_call_pair(item, str(item["id"]), text))
        elif kind == "mcp_approval_request":
            if answers.get(item.get("id")) is False:
                out.extend(_call_pair(item, str(item["id"]), DENIED_OUTPUT))
        elif kind not in ("mcp_list_tools", "mcp_approval_response"):
            out.append(dict(item))
    return out


def _call_pair(item: Mapping[str, Any], call_id: str, output: str) -> list[dict[str, Any]]:
    call = {
        "id": f"{call_id}_call",
        "type": "function_call",
        "status": "completed",
        "call_id": call_id,
        "name": item.get("name"),
        "arguments": item.get("arguments") or "{}",
    }
    result = {
        "id": f"{call_id}_output",
        "type": "function_call_output",
        "call_id": call_id,
        "output": output,
    }
    return [call, result]


def parse_arguments(arguments: str) -> dict[str, Any] | None:
    """A call's arguments as the MCP server takes them: a JSON object (None: not one)."""
    try:
        value = json.loads(arguments or "{}")
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
