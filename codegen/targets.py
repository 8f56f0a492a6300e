"""The surfaces `codegen generate` makes packages of: one entry each, nothing else to change.

A surface is one protocol's events in one spec file (AsyncAPI 3.0, the conventions of
spec/realtime.asyncapi.yaml): its messages carry `x-dialect: <dialect>`, `x-direction` and
`x-transports`, and its `components.schemas` hold a client and a server union over `type`.
It becomes `src/realtime_sdk/_generated/<name>/` with client_events.py (strict),
server_events.py (lenient), parsing.py, server_stub.py, client_stub.py and __init__.py; with
`http` set, also http_models.py from the schemas of that OpenAPI file.

To add a surface, put its spec in spec/ and one line in SURFACES, e.g.

    Surface("live", "live.asyncapi.yaml", "live", "LiveClientEvent", "LiveServerEvent",
            "GPT-Live", "protocol", http="live.openapi.yaml"),

then `make generate`. Spec files are named relative to the directory of the Realtime spec,
so a copy of spec/ elsewhere generates the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .nulls import CLIENT_NULLS


@dataclass(frozen=True)
class Surface:
    name: str  # package under _generated/, and a Python identifier
    spec: str  # AsyncAPI file in spec/
    dialect: str  # the `x-dialect` of its messages in that file
    client_union: str  # schema of the client event union
    server_union: str  # schema of the server event union
    label: str  # how docstrings name it: "GA", "realtime translation"
    kind: str = "dialect"  # "dialect" or "protocol": "the GA dialect", "the ... protocol"
    http: str | None = None  # OpenAPI file in spec/ whose schemas go to <name>/http_models.py
    # nulls real clients send where the spec has none, by (schema, path): see codegen/nulls.py
    client_nulls: dict[tuple[str, str], str] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return f"{self.label} {self.kind}"


SURFACES: tuple[Surface, ...] = (
    Surface(
        "ga",
        "realtime.asyncapi.yaml",
        "ga",
        "ClientEvent",
        "ServerEvent",
        "GA",
        client_nulls=CLIENT_NULLS,
    ),
    Surface(
        "beta",
        "realtime.asyncapi.yaml",
        "beta",
        "BetaClientEvent",
        "BetaServerEvent",
        "beta",
        client_nulls=CLIENT_NULLS,
    ),
    Surface(
        "translation",
        "translation.asyncapi.yaml",
        "translation",
        "TranslationClientEvent",
        "TranslationServerEvent",
        "realtime translation",
        "protocol",
        http="translation.openapi.yaml",
    ),
    Surface(
        "live",
        "live.asyncapi.yaml",
        "live",
        "ClientEvent",
        "ServerEvent",
        "GPT-Live",
        "protocol",
        http="live.openapi.yaml",
    ),
)
