"""How the server starts a session: the model it gets, and the key's session merged
with the offer's as `session.update` merges them."""

from __future__ import annotations

from realtime_sdk.backends.echo import EchoBackend
from realtime_sdk.realtime.protocol.config import merge_partial
from realtime_sdk.realtime.server.sessions import chosen_model, partial_session
from realtime_sdk.server.auth import Grant
from realtime_sdk.server.config import ServerConfig

CONFIG = ServerConfig(backend_factory=EchoBackend, default_model="server-default")


def test_a_key_pins_its_model_then_the_first_asked_then_the_default() -> None:
    pinned = Grant("ephemeral", model="key-model")
    assert chosen_model(CONFIG, pinned, "offer-model", "url-model") == "key-model"
    assert chosen_model(CONFIG, Grant("open"), None, "url-model") == "url-model"
    assert chosen_model(CONFIG, Grant("open"), "offer-model", "url-model") == "offer-model"
    assert chosen_model(CONFIG, Grant("open"), None, "") == "server-default"


def test_the_offer_merges_into_the_keys_audio_and_replaces_the_rest() -> None:
    key = {
        "instructions": "be brief",
        "audio": {
            "input": {"format": {"type": "audio/pcmu"}, "turn_detection": {"threshold": 0.7}},
            "output": {"voice": "ash"},
        },
        "tools": [{"type": "function", "name": "f"}],
    }
    offer = {
        "type": "realtime",
        "model": "m",
        "instructions": "be kind",
        "audio": {"input": {"turn_detection": {"type": "semantic_vad"}}},
        "tools": [],
    }
    merged = merge_partial(key, offer)
    assert merged == {
        "type": "realtime",
        "model": "m",
        "instructions": "be kind",
        "audio": {
            "input": {"format": {"type": "audio/pcmu"}, "turn_detection": {"type": "semantic_vad"}},
            "output": {"voice": "ash"},
        },
        "tools": [],
    }
    assert key["audio"]["input"]["turn_detection"] == {"threshold": 0.7}  # the key's is kept
    assert partial_session(merged).keys() == {"instructions", "audio", "tools"}
