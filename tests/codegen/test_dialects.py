"""The beta dialect's extensions in the spec, and the tables generated from them."""

from __future__ import annotations

import copy
import json
from typing import Any

from codegen import dialects, sync, yamlio
from codegen.paths import EVENTS_SPEC
from realtime_sdk._generated import dialects as generated

SPEC = yamlio.load_path(EVENTS_SPEC)
OVERLAY = yamlio.load_path(sync.OVERLAY)


def messages(dialect: str) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (m["x-direction"], m["name"]): m
        for m in SPEC["components"]["messages"].values()
        if m["x-dialect"] == dialect
    }


def test_every_message_names_its_counterpart() -> None:
    beta, ga = messages("beta"), messages("ga")
    for key, message in beta.items():
        assert "x-ga-name" in message, key
        if message["x-ga-name"] is not None:
            assert (key[0], message["x-ga-name"]) in ga
    for key, message in ga.items():
        assert "x-beta-name" in message, key
    renames = OVERLAY["beta_dialect"]["events"]["server"]
    for beta_name, ga_name in renames.items():
        assert beta[("server", beta_name)]["x-ga-name"] == ga_name
        assert ga[("server", ga_name)]["x-beta-name"] == beta_name
    assert ga[("server", "conversation.item.done")]["x-beta-name"] is None
    assert ga[("server", "output_audio_buffer.started")]["x-beta-name"] == (
        "output_audio_buffer.started"
    )  # carried although the beta schemas leave it out
    assert beta[("server", "transcription_session.created")]["x-ga-name"] is None


def test_every_shape_schema_of_the_overlay_is_marked_in_the_spec() -> None:
    """Sync tolerates an upstream without them; the committed spec must have them all."""
    schemas = SPEC["components"]["schemas"]
    for shape, table in OVERLAY["beta_dialect"]["shapes"].items():
        for name in table["schemas"]:
            assert schemas[name]["x-dialect-shape"] == shape, name
    assert set(SPEC["components"]["x-dialect-shapes"]) == set(OVERLAY["beta_dialect"]["shapes"])


def test_beta_events_hold_beta_items_and_ga_events_ga_items() -> None:
    schemas = SPEC["components"]["schemas"]
    for message in SPEC["components"]["messages"].values():
        text = json.dumps(dialects._shape_paths(schemas, message["payload"], (), ()))
        payload = message["payload"]["$ref"].rsplit("/", 1)[-1]
        closure = json.dumps({n: schemas[n] for n in _closure(schemas, payload)})
        if message["x-dialect"] == "ga":
            assert '"#/components/schemas/BetaConversationItem"' not in closure, message["name"]
        else:
            assert '"#/components/schemas/ConversationItem"' not in closure, message["name"]
        holds_items = '/ConversationItem"' in closure or '/BetaConversationItem"' in closure
        assert ('"item"' in text) == holds_items, message["name"]
    content = schemas["BetaConversationItem"]["properties"]["content"]["items"]
    assert content["properties"]["type"]["enum"] == OVERLAY["beta_item"]["content_types"]


def _closure(schemas: dict[str, Any], root: str) -> set[str]:
    seen: set[str] = set()
    stack = [root]
    while stack:
        name = stack.pop()
        if name not in seen:
            seen.add(name)
            text = json.dumps(schemas[name])
            stack += [p.split('"')[0] for p in text.split('"#/components/schemas/')[1:]]
    return seen


def test_shape_paths_follow_refs_lists_and_unions_and_stop_at_cycles() -> None:
    schemas = {
        "Node": {
            "type": "object",
            "x-dialect-shape": "node",
            "properties": {
                "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
                "leaf": {"oneOf": [{"$ref": "#/components/schemas/Leaf"}, {"type": "null"}]},
            },
        },
        "Leaf": {"type": "object", "x-dialect-shape": "leaf", "properties": {}},
        "Event": {"type": "object", "properties": {"root": {"$ref": "#/components/schemas/Node"}}},
    }
    found = dialects._shape_paths(schemas, {"$ref": "#/components/schemas/Event"}, (), ())
    assert dialects._unique(found) == (
        (("root", "leaf"), "leaf"),
        (("root",), "node"),
    )  # the cycle through `children` is not followed again


def test_parse_path() -> None:
    assert dialects.parse_path("audio.input.format") == ("audio", "input", "format")
    assert dialects.parse_path("content[].type") == ("content", "[]", "type")


def test_the_generated_module_holds_exactly_the_spec_tables() -> None:
    tables = dialects.tables(SPEC)
    assert tables["beta_to_ga"] == generated.BETA_TO_GA
    assert tables["ga_to_beta"] == generated.GA_TO_BETA
    assert tables["paths"] == generated.SHAPE_PATHS
    assert tables["shapes"] == generated.SHAPES
    assert tables["values"] == generated.VALUES
    assert frozenset(tables["ga_checked"]) == generated.GA_CHECKED
    assert generated.BETA_TO_GA[("server", "response.audio.delta")] == (
        "response.output_audio.delta"
    )
    assert generated.SHAPE_PATHS[("ga", "server", "response.done")] == (
        (("response", "output", "[]"), "item"),
        (("response",), "response"),
    )


def test_tables_follow_the_spec_not_code() -> None:
    """Change the spec's extensions and the tables change with them."""
    spec = copy.deepcopy(SPEC)
    components = spec["components"]
    components["schemas"]["BetaSession"]["properties"]["temperature"]["default"] = 0.5
    components["x-dialect-shapes"]["session"]["fields"]["voice"] = {"ga": "audio.voice"}
    for message in components["messages"].values():
        if message["x-dialect"] == "beta" and message["name"] == "response.text.delta":
            message["x-ga-name"] = "response.output_text.done"
    components["x-dialect-shapes"]["session"]["fields"]["turn_detection"]["fill"] = {"a": 1}
    components["x-dialect-shapes"]["item"]["ignored"] = {"name": {"when": {"type": "x"}}}
    tables = dialects.tables(spec)
    assert tables["shapes"]["session"]["fill"] == {("turn_detection",): {"a": 1}}
    assert tables["shapes"]["item"]["ignored"] == {("name",): {"type": "x"}}
    assert tables["shapes"]["session"]["edge_defaults"] == {"temperature": 0.5}
    assert tables["shapes"]["session"]["fields"][("voice",)] == (("audio", "voice"), None)
    assert tables["beta_to_ga"][("server", "response.text.delta")] == "response.output_text.done"


def test_sync_of_a_document_without_the_beta_schemas_still_works() -> None:
    small = {
        "openapi": "3.1.0",
        "info": {"version": "1"},
        "paths": {},
        "components": {
            "schemas": {
                "RealtimeClientEventInputAudioBufferClear": {
                    "type": "object",
                    "properties": {"type": {"const": "input_audio_buffer.clear"}},
                },
                "RealtimeBetaClientEventInputAudioBufferClear": {
                    "type": "object",
                    "properties": {"type": {"const": "input_audio_buffer.clear"}},
                },
            }
        },
    }
    result = sync.build(yamlio.dump(small).encode())
    found = {
        (m["x-dialect"], m["name"]): m
        for m in result.events_spec["components"]["messages"].values()
    }
    assert found[("beta", "input_audio_buffer.clear")]["x-ga-name"] == "input_audio_buffer.clear"
    assert found[("ga", "input_audio_buffer.clear")]["x-beta-name"] == "input_audio_buffer.clear"


def test_events_left_to_the_ga_core_are_those_it_refuses_as_strictly() -> None:
    """GA_CHECKED: passed on as they came, and the GA schema is the beta one, save for limits
    of its own (GA's `event_id` has a maxLength); the edge then skips the beta models."""
    assert "input_audio_buffer.append" in generated.GA_CHECKED
    assert "conversation.item.truncate" in generated.GA_CHECKED
    # translated events are validated at the edge
    assert not {"session.update", "response.create", "conversation.item.create"} & set(
        generated.GA_CHECKED
    )
    spec = copy.deepcopy(SPEC)
    schemas = spec["components"]["schemas"]
    schemas["InputAudioBufferAppendEvent"]["properties"]["audio"] = {"type": ["string", "null"]}
    schemas["BetaInputAudioBufferClearEvent"]["properties"]["event_id"]["maxLength"] = 64
    schemas["ConversationItemTruncateEvent"]["properties"]["audio_end_ms"]["minimum"] = 0
    found = dialects.tables(spec)["ga_checked"]
    assert "input_audio_buffer.append" not in found  # GA takes a null the beta one refuses
    assert "input_audio_buffer.clear" not in found  # the beta limit is not GA's
    assert "conversation.item.truncate" in found  # a limit of GA's own
