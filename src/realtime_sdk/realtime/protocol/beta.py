"""The beta dialect (`OpenAI-Beta: realtime=v1`) as a view of the GA one, sans-I/O.

The session core speaks GA only; a beta connection is translated at its edge, both
ways, by walking the tables generated from the spec's dialect extensions
(`_generated.dialects`): event names, the flat beta session and response objects,
item content types and their values. Nothing here knows a particular event.

A beta client event is first validated with the beta models (`_generated.beta`), so
that what the beta spec refuses is refused with beta names, whatever the translation
would make of it; then it is translated. Events the translation passes on as they
came, whose GA schema refuses all the beta one would (`GA_CHECKED`: audio appends
among them, one per 20 ms), are left to the GA core's validation.

Where the beta spec allows what GA has no place for, the translation does what the
beta service did (the spec's `x-dialect-shapes` say so): a `turn_detection` without
`type` is `server_vad`; a content part's `id`, and a system message part's `audio`
and `transcript` (the beta part is one flat object whatever its type), are taken and
ignored.

`BetaTranslator` holds what one connection needs between events: the beta-only
fields kept at the edge (`temperature` has no GA setting, but a beta client sees
it back) and which beta event a GA error answers, so that its `param` names the
field the client sent.
"""

from __future__ import annotations

import copy
import json
from collections import OrderedDict
from typing import Any

import pydantic_core

from ..._generated._runtime import EventValidationError, new_event_id
from ..._generated.beta.parsing import parse_client_event as parse_beta_client_event
from ..._generated.dialects import (
    BETA_TO_GA,
    GA_CHECKED,
    GA_TO_BETA,
    SHAPE_PATHS,
    SHAPES,
)
from .beta_paths import (
    EACH,
    Path,
    delete_at,
    found_at,
    matches,
    param_of,
    put_at,
    replace_at,
    steps_of,
    to_beta_value,
    to_ga_value,
)
from .config import voice_name

_REMEMBERED_EVENTS = 64  # client event ids whose errors may still come back


def _aliased() -> dict[str, frozenset[Path]]:
    """Per shape, the GA fields that more than one beta field maps to."""
    out = {}
    for shape, table in SHAPES.items():
        seen: dict[Path, int] = {}
        for ga_path, _ in table["fields"].values():
            if ga_path is not None:
                seen[ga_path] = seen.get(ga_path, 0) + 1
        out[shape] = frozenset(path for path, count in seen.items() if count > 1)
    return out


# `response.max_output_tokens` is `max_output_tokens` or `max_response_output_tokens` in
# beta: an error about it names the one the client sent
_ALIASED = _aliased()


class BetaRefusal(ValueError):
    """A beta client event refused at the edge; `event()` is the `error` to send."""

    def __init__(self, code: str, message: str, param: str | None, event_id: str | None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.param = param
        self.event_id = event_id

    def event(self) -> dict[str, Any]:
        return {
            "type": "error",
            "event_id": new_event_id(),
            "error": {
                "type": "invalid_request_error",
                "code": self.code,
                "message": self.message,
                "param": self.param,
                "event_id": self.event_id,
            },
        }


# -- the translator ---------------------------------------------------------------


class BetaTranslator:
    """One beta connection's edge: beta client events in as GA, GA server events out as beta."""

    def __init__(self) -> None:
        self.edge: dict[str, dict[str, Any]] = {shape: {} for shape in SHAPES}
        # client event id -> (GA type, GA param -> the beta one sent, where two beta
        # names map to one GA field)
        self._sent: OrderedDict[str, tuple[str, dict[str, str]]] = OrderedDict()
        self._last: tuple[str, dict[str, str]] | None = None

    # -- beta -> GA -----------------------------------------------------------
    def client_to_ga(self, raw: str | bytes) -> str | bytes:
        """The GA text of a beta client event, or BetaRefusal (what the beta models
        refuse, with beta names). Text that is not a JSON object, or an unknown event
        type, goes on as it came: the core answers it."""
        try:
            # the core's own reader: the same depth limit on both dialects (json.loads
            # would recurse ~1000 levels and raise RecursionError, not ValueError)
            data = pydantic_core.from_json(raw)
        except ValueError:
            return raw
        if not isinstance(data, dict) or not isinstance(data.get("type"), str):
            return raw
        beta_type = data["type"]
        key = ("client", beta_type)
        if key not in BETA_TO_GA:
            return raw
        event_id = data.get("event_id") if isinstance(data.get("event_id"), str) else None
        ga_type = BETA_TO_GA[key]
        if ga_type is None:
            raise BetaRefusal(
                "invalid_value", f"'{beta_type}' has no counterpart here.", "type", event_id
            )
        if beta_type in GA_CHECKED:
            # passed on as it came (audio appends): the GA core validates it as strictly
            self._remember(event_id, ga_type, {})
            return raw
        try:
            parse_beta_client_event(data)
        except EventValidationError as refused:
            raise BetaRefusal(refused.code, refused.message, refused.param, event_id) from None
        shapes = SHAPE_PATHS.get(("beta", "client", beta_type), ())
        named: dict[str, str] = {}
        self._remember(event_id, ga_type, named)
        if not shapes and ga_type == beta_type:
            return raw  # the same in both dialects: no need to re-encode
        for path, shape in shapes:
            for node, at in list(found_at(data, path, [])):
                if isinstance(node, dict):
                    translated = self._shape_to_ga(shape, node, at, event_id, named)
                    if at:
                        replace_at(data, tuple(str(s) for s in at), translated)
        data["type"] = ga_type
        return json.dumps(data, separators=(",", ":"))

    def _remember(self, event_id: str | None, ga_type: str, named: dict[str, str]) -> None:
        self._last = (ga_type, named)
        if event_id is not None:
            self._sent[event_id] = self._last
            self._sent.move_to_end(event_id)
            while len(self._sent) > _REMEMBERED_EVENTS:
                self._sent.popitem(last=False)

    def _shape_to_ga(
        self,
        shape: str,
        node: dict[str, Any],
        at: list[str | int],
        event_id: str | None,
        named: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        table = SHAPES[shape]
        fields: dict[Path, tuple[Path | None, str | None]] = table["fields"]
        node = _without_ignored(table, node)
        if table["open"]:
            out = copy.deepcopy(node)
            for beta_path, (_, values) in fields.items():
                if values is None:
                    continue
                for value, where in list(found_at(out, beta_path, [])):
                    ok, ga = to_ga_value(values, value)
                    if not ok:
                        raise _invalid(value, [*at, *where], event_id)
                    replace_at(out, tuple(str(s) for s in where), ga)
            return out
        out = copy.deepcopy(table["ga_fixed"])
        for name, value in node.items():
            entry = fields.get((name,))
            if entry is None:
                param = param_of([*at, name])
                raise BetaRefusal(
                    "unknown_parameter", f"Unknown parameter: '{param}'.", param, event_id
                )
            ga_path, values = entry
            if ga_path is None:
                self.edge[shape][name] = value
                continue
            if values is not None:
                ok, value = to_ga_value(values, value)
                if not ok:
                    raise _invalid(value, [*at, name], event_id)
            fill = table["fill"].get((name,))
            if fill and isinstance(value, dict):
                value = {**{k: v for k, v in fill.items() if k not in value}, **value}
            if named is not None and ga_path in _ALIASED[shape]:
                named[param_of([*at, *ga_path])] = param_of([*at, name])
            put_at(out, ga_path, copy.deepcopy(value))
        return out

    # -- GA -> beta -----------------------------------------------------------
    def server_to_beta(self, text: str) -> str | None:
        """The beta text of a GA server event; None for one a beta client never sees."""
        data = json.loads(text)
        ga_type = data.get("type")
        key = ("server", ga_type)
        if key not in GA_TO_BETA:
            return text
        beta_type = GA_TO_BETA[key]
        if beta_type is None:
            return None
        shapes = SHAPE_PATHS.get(("ga", "server", ga_type), ())
        if not shapes and beta_type == ga_type and ga_type != "error":
            return text
        for path, shape in shapes:
            for node, at in list(found_at(data, path, [])):
                if isinstance(node, dict):
                    translated = self._shape_to_beta(shape, node)
                    if at:
                        replace_at(data, tuple(str(s) for s in at), translated)
        if ga_type == "error" and isinstance(data.get("error"), dict):
            self._beta_error(data["error"])
        data["type"] = beta_type
        return json.dumps(data, separators=(",", ":"))

    def _shape_to_beta(self, shape: str, node: dict[str, Any]) -> dict[str, Any]:
        table = SHAPES[shape]
        fields: dict[Path, tuple[Path | None, str | None]] = table["fields"]
        if table["open"]:
            out = copy.deepcopy(node)
            for _, (ga_path, values) in fields.items():
                if values is None or ga_path is None:
                    continue
                for value, where in list(found_at(out, ga_path, [])):
                    replace_at(out, tuple(str(s) for s in where), to_beta_value(values, value))
            return out
        beta: dict[str, Any] = {}
        taken: set[Path] = set()
        for beta_path, (ga_path, values) in fields.items():
            name = beta_path[0]
            if ga_path is None:
                kept = self.edge[shape]
                if name in kept:
                    beta[name] = copy.deepcopy(kept[name])
                elif name in table["edge_defaults"]:
                    beta[name] = copy.deepcopy(table["edge_defaults"][name])
                continue
            if ga_path in taken:
                continue  # two beta names for one GA field: the first is the beta one
            for value, _ in found_at(node, ga_path, []):
                taken.add(ga_path)
                beta[name] = to_beta_value(values, value) if values else copy.deepcopy(value)
        if "voice" in beta:  # a beta session names its voice; a custom one by its id
            beta["voice"] = voice_name(beta["voice"])
        return beta

    def _beta_error(self, error: dict[str, Any]) -> None:
        """Name the beta field in an error about a translated GA one."""
        param = error.get("param")
        if not isinstance(param, str) or not param:
            return
        answered = error.get("event_id")
        sent = self._sent.get(answered) if isinstance(answered, str) else self._last
        if sent is None:
            return
        ga_type, named = sent
        steps = steps_of(param)
        for path, shape in SHAPE_PATHS.get(("ga", "client", ga_type), ()):
            if not matches(path, steps):
                continue
            rest = steps[len(path) :]
            for beta_path, (ga_path, values) in SHAPES[shape]["fields"].items():
                if ga_path is not None and matches(ga_path, rest):
                    # a field whose values differ is one value in beta: no sub-fields
                    tail = rest[len(ga_path) :] if values is None else []
                    head = steps[: len(path)]
                    chosen = named.get(param_of([*head, *rest[: len(ga_path)]]))
                    field = steps_of(chosen) if chosen else [*head, *_concrete(beta_path, rest)]
                    beta = param_of([*field, *tail])
                    error["param"] = beta
                    if isinstance(error.get("message"), str):
                        error["message"] = error["message"].replace(param, beta)
                    return


def _without_ignored(table: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """`node` less the fields its shape takes and ignores (a copy when there are any)."""
    out = node
    for path, when in table["ignored"].items():
        if any(node.get(key) != value for key, value in when.items()):
            continue
        for _, where in list(found_at(out, path, [])):
            if out is node:
                out = copy.deepcopy(node)
            delete_at(out, where)
    return out


def _concrete(beta_path: Path, ga_steps: list[str | int]) -> list[str | int]:
    """A beta field path with the indexes the GA location had ("[]" -> 3)."""
    indexes = iter(step for step in ga_steps if isinstance(step, int))
    return [next(indexes, 0) if step == EACH else step for step in beta_path]


def _invalid(value: Any, at: list[str | int], event_id: str | None) -> BetaRefusal:
    param = param_of(at)
    return BetaRefusal(
        "invalid_value",
        f"Invalid value for '{param}': {json.dumps(value)} is not a beta value here.",
        param,
        event_id,
    )


# -- whole sessions (the legacy HTTP routes) ---------------------------------------


def session_to_ga(beta: dict[str, Any], translator: BetaTranslator | None = None) -> dict[str, Any]:
    """A flat beta session as a GA partial session (BetaRefusal names a bad field);
    beta-only fields stay in `translator.edge`."""
    return (translator or BetaTranslator())._shape_to_ga("session", beta, [], None)


def session_to_beta(ga: dict[str, Any], translator: BetaTranslator | None = None) -> dict[str, Any]:
    """A full GA session in the flat beta shape."""
    return (translator or BetaTranslator())._shape_to_beta("session", ga)
