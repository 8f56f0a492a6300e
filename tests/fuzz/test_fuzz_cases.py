"""The fuzz's case generation, without a server: schema-valid draws, mutations that
break what they say at the path they say, and the same cases for the same seed."""

from __future__ import annotations

import json

import fuzz_spec
import pytest
from fuzz_cases import Case, cell_cases, param_of, pool, sites
from fuzz_runner import SUBSET_POOL, SUBSET_SEED, Cell, CellResult, Outcome, classify, names

pytestmark = pytest.mark.fuzz

SEED = SUBSET_SEED
POOL = SUBSET_POOL  # the subset's pool: drawn once for both


def test_param_is_written_as_the_service_writes_it() -> None:
    assert param_of(("session", "tools", 0, "name")) == "session.tools[0].name"
    assert param_of(("item", "content", 2, "audio")) == "item.content[2].audio"
    assert param_of(("type",)) == "type"


def test_the_pool_is_valid_by_the_closed_spec() -> None:
    drawn = pool(SEED, POOL)
    events = fuzz_spec.client_events()
    assert {(e.dialect, e.name) for e in events} == set(drawn)
    for event in events:
        examples = drawn[(event.dialect, event.name)]
        assert examples, event
        validator = fuzz_spec.validator(event.schema_name)
        for example in examples:
            assert validator.is_valid(example), (event.name, example)
            assert example["type"] == event.name


def test_closing_refuses_unknown_fields_but_keeps_maps_open() -> None:
    schema = fuzz_spec.inlined("SessionUpdateEvent")
    update = {"type": "session.update", "session": {"type": "realtime"}}
    assert fuzz_spec.is_valid(schema, update)
    assert not fuzz_spec.is_valid(schema, {**update, "extra": 1})
    with_metadata = {"type": "response.create", "response": {"metadata": {"any": "thing"}}}
    assert fuzz_spec.is_valid(fuzz_spec.inlined("ResponseCreateEvent"), with_metadata)


def test_sites_walk_into_unions_and_arrays() -> None:
    event = {
        "type": "conversation.item.create",
        "item": {
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": "hi"}],
        },
    }
    schema = fuzz_spec.inlined("ConversationItemCreateEvent")
    found = {param_of(s.path) for s in sites(event, schema)}
    assert {"type", "item", "item.role", "item.content[0].text"} <= found


@pytest.mark.parametrize("dialect", ["ga", "beta"])
def test_cases_are_the_same_for_a_seed(dialect: str) -> None:
    def frames(seed: int) -> list[tuple[str | bytes, ...]]:
        made = cell_cases(seed, POOL, dialect, "websocket", 150, max_frame=1 << 20)
        return [c.frames for c in made]

    assert frames(SEED) == frames(SEED)
    assert frames(SEED) != frames(SEED + 1)


@pytest.mark.parametrize("dialect", ["ga", "beta"])
def test_mutations_break_the_event_where_they_say(dialect: str) -> None:
    made = cell_cases(SEED, POOL, dialect, "websocket", 400, max_frame=1 << 20)
    mutated = [c for c in made if c.base is not None]
    assert len(mutated) > 200
    kinds = {c.kind for c in mutated}
    assert {"drop_required", "unknown_field", "retype", "out_of_enum"} <= kinds
    for case in mutated:
        # compared as JSON text: in Python `True == 1`, on the wire they differ
        event = json.dumps(json.loads(case.frames[0]), sort_keys=True)
        base = json.dumps(json.loads(case.base or ""), sort_keys=True)
        assert event != base, case
        if case.invalid:
            assert case.param is not None, case
    # most mutations leave an event the spec refuses, at a path the case names
    assert sum(c.invalid for c in mutated) > 0.9 * len(mutated)


def test_raw_cases_fit_the_transport() -> None:
    limit = 65536
    made = cell_cases(SEED, POOL, "beta", "webrtc", 600, max_frame=limit)
    assert all(c.size() <= limit for c in made)
    assert any(c.kind == "raw:deep_json" for c in made)
    assert not any(c.too_big for c in made)


def _case(**fields: object) -> Case:
    base = {
        "id": "t-1",
        "dialect": "ga",
        "event": "conversation.item.delete",
        "kind": "retype",
        "frames": ("{}",),
        "invalid": True,
        "param": "item_id",
        "event_id": "fz_1",
    }
    return Case(**{**base, **fields})  # type: ignore[arg-type]


def _error(code: str, param: str | None, event_id: str | None = "fz_1") -> dict[str, object]:
    error = {"type": "invalid_request_error", "code": code, "message": "m", "param": param}
    return {"type": "error", "event_id": "event_1", "error": {**error, "event_id": event_id}}


def test_classify_counts_a_refusal_that_names_the_field() -> None:
    result = CellResult(Cell("echo", "websocket", "ga"))
    classify(result, _case(), Outcome(errors=[_error("invalid_type", "item_id")]))
    assert (result.refused, result.param_checked, result.findings) == (1, 1, [])


def test_classify_finds_a_param_mismatch_and_a_missing_echo() -> None:
    result = CellResult(Cell("echo", "websocket", "ga"))
    classify(result, _case(), Outcome(errors=[_error("invalid_type", "other", None)]))
    assert sorted(f.what for f in result.findings) == ["echo_missing", "param_mismatch"]


def test_classify_excuses_what_the_unmutated_event_gets_too() -> None:
    result = CellResult(Cell("echo", "websocket", "ga"))
    got = [_error("invalid_value", "previous_item_id")]
    classify(result, _case(base="{}"), Outcome(errors=got), base_errors=got)
    assert [f.what for f in result.findings] == ["invalid_accepted"]
    result = CellResult(Cell("echo", "websocket", "ga"))
    malformed = [_error("unknown_parameter", "item.x")]
    classify(result, _case(base="{}"), Outcome(errors=malformed), base_errors=malformed)
    assert [f.what for f in result.findings] == ["valid_refused"]


def test_classify_takes_a_transport_refusal_for_an_event_it_does_not_carry() -> None:
    result = CellResult(Cell("echo", "webrtc", "ga"))
    case = _case(event="input_audio_buffer.append", param="audio", carried=False)
    classify(result, case, Outcome(errors=[_error("invalid_event", "type")]))
    assert result.findings == []


def test_a_param_inside_the_broken_field_names_it() -> None:
    case = _case(param="session.prompt")
    assert names("session.prompt", case)
    assert names("session.prompt.id", case)
    assert names("session.prompt[0]", case)
    assert not names("session.prompts", case)
    assert not names("type", case)
    assert names("type", _case(param="audio", carried=False))
    assert not names(None, case)


def test_a_key_the_notation_cannot_write_is_named_by_its_map() -> None:
    assert param_of(("response", "metadata", "")) == "response.metadata"
    assert param_of(("response", "metadata", "a.b", "c")) == "response.metadata"
