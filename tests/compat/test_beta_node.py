"""The Node `openai` SDK's beta websocket entry point, unmodified, over wss:// (the
self-signed certificate trusted through NODE_EXTRA_CA_CERTS), against echo."""

from __future__ import annotations

from helpers.node import run_node
from helpers.selfsigned import TlsFiles
from helpers.servers import Running


def test_node_openai_beta_over_wss(tls_server: Running, tls_files: TlsFiles) -> None:
    result = run_node(
        "openai_beta_ws_turn.mjs",
        tls_server.base_url,
        env={"NODE_EXTRA_CA_CERTS": str(tls_files.certfile)},
    )
    assert result["url"].startswith(f"wss://127.0.0.1:{tls_server.port}/v1/realtime?")
    assert result["types"] == [
        "session.created",
        "session.updated",
        "conversation.item.created",
        "response.created",
        "response.output_item.added",
        "conversation.item.created",
        "response.content_part.added",
        "response.text.delta",
        "response.text.delta",
        "response.text.delta",
        "response.text.delta",
        "response.text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.done",
    ]
    assert (result["text"], result["status"]) == ("hello from node beta", "completed")
    assert result["created"]["modalities"] == ["audio", "text"]
    assert result["updated"]["modalities"] == ["text"]
    assert result["updated"]["temperature"] == 0.6
    assert result["item"]["content"][0]["type"] == "text"
