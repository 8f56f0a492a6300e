"""GPT-Live's HTTP routes and websocket addresses, read from openai-python's resources.

The package's resource classes are generated from OpenAI's spec like its types: each
method calls `self._post(path, body=maybe_transform(..., <params TypedDict>), cast_to=...)`
and each websocket manager builds its URL from a path. Reading their source (not running
it) gives every route with its method, body and answer, so none is typed by hand.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .live_source import LiveSourceError

RESOURCES = {"live": "openai.resources.live.live", "sessions": "openai.resources.live.sessions"}
# websocket managers: channel -> (module, class whose `_prepare_url` holds the path)
SOCKETS = {
    "websocket": ("openai.resources.live.live", "LiveConnectionManager"),
    "sideband": ("openai.resources.live.sideband", "SidebandConnectionManager"),
    "fork": ("openai.resources.live.forks", "ForksConnectionManager"),
}


@dataclass(frozen=True)
class Route:
    resource: str  # "live" or "sessions"
    method: str  # python method name, e.g. "accept"
    http: str  # "post" or "get"
    path: str  # "/live/sessions/{session_id}/accept"
    params: tuple[str, str] | None  # (module, TypedDict) of the body
    answer: tuple[str, str] | str | None  # (module, model), "binary", or None (no body)

    @property
    def operation_id(self) -> str:
        return "live." + ("" if self.resource == "live" else self.resource + ".") + self.method


def _source(module: str) -> ast.Module:
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise LiveSourceError(f"{module} is missing from the installed openai package")
    return ast.parse(Path(spec.origin).read_text())


def _imports(tree: ast.Module, package: str) -> dict[str, str]:
    """Local name -> module for `from ...types.live import x` style imports."""
    names: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package.split(".")[: len(package.split(".")) - node.level]
            module = ".".join(base + ([node.module] if node.module else []))
            for alias in node.names:
                names[alias.asname or alias.name] = module
    return names


def _class(tree: ast.Module, name: str) -> ast.ClassDef:
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == name:
            return node
    raise LiveSourceError(f"class {name} is missing from openai's Live resources")


def _type_ref(node: ast.expr, imports: dict[str, str]) -> tuple[str, str] | None:
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return f"{imports[node.value.id]}.{node.value.id}", node.attr  # module.Class
    if isinstance(node, ast.Name) and node.id in imports:
        return imports[node.id], node.id
    return None


def routes() -> list[Route]:
    """Every HTTP route of the sync resources `Live` and `Sessions`, in source order."""
    out: list[Route] = []
    for resource, module in RESOURCES.items():
        tree = _source(module)
        imports = _imports(tree, module)
        for item in _class(tree, resource.capitalize()).body:
            if not isinstance(item, ast.FunctionDef):
                continue
            for call in ast.walk(item):
                if not (
                    isinstance(call, ast.Call)
                    and isinstance(call.func, ast.Attribute)
                    and call.func.attr in ("_post", "_get")
                    and isinstance(call.func.value, ast.Name)
                    and call.func.value.id == "self"
                ):
                    continue
                out.append(_route(resource, item.name, call, imports))
    return out


def _route(resource: str, method: str, call: ast.Call, imports: dict[str, str]) -> Route:
    first = call.args[0]
    if isinstance(first, ast.Call):  # path_template("/live/sessions/{session_id}/x", ...)
        first = first.args[0]
    if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
        raise LiveSourceError(f"the path of {resource}.{method} is not a literal")
    keywords = {k.arg: k.value for k in call.keywords}
    params = None
    body = keywords.get("body")
    if isinstance(body, ast.Call) and len(body.args) == 2:
        params = _type_ref(body.args[1], imports)
    answer: tuple[str, str] | str | None = None
    cast = keywords.get("cast_to")
    if isinstance(cast, ast.Attribute) and cast.attr == "HttpxBinaryResponseContent":
        answer = "binary"
    elif isinstance(cast, ast.Name) and cast.id != "NoneType":
        answer = _type_ref(cast, imports)
    assert isinstance(call.func, ast.Attribute)
    return Route(resource, method, call.func.attr[1:], first.value, params, answer)


def socket_path(channel: str) -> str:
    """The path a websocket manager joins to the base URL (`/live/sessions/{session_id}/attach`)."""
    module, cls = SOCKETS[channel]
    method = next(
        f
        for f in _class(_source(module), cls).body
        if isinstance(f, ast.FunctionDef) and f.name == "_prepare_url"
    )
    for node in ast.walk(method):
        if isinstance(node, ast.Constant) and isinstance(node.value, bytes | str):
            text = node.value.decode() if isinstance(node.value, bytes) else node.value
            if text.startswith("/live"):
                return text
    raise LiveSourceError(f"no path in {module}.{cls}._prepare_url")


def socket_query(channel: str) -> list[str]:
    """Query parameters a websocket manager adds itself (`graceful_close` for sideband)."""
    module, cls = SOCKETS[channel]
    method = next(
        f
        for f in _class(_source(module), cls).body
        if isinstance(f, ast.FunctionDef) and f.name == "_connect_ws"
    )
    found: set[str] = set()
    for call in ast.walk(method):
        if isinstance(call, ast.Call) and getattr(call.func, "id", None) == "query_params":
            for node in ast.walk(call):
                if isinstance(node, ast.Dict):
                    found.update(
                        k.value
                        for k in node.keys
                        if isinstance(k, ast.Constant) and isinstance(k.value, str)
                    )
    return sorted(found)


def python_type(ref: tuple[str, str]) -> Any:
    return getattr(importlib.import_module(ref[0]), ref[1])
