"""The Node SDKs, unmodified, against the echo server: `openai` over wss:// (with the
self-signed certificate trusted through NODE_EXTRA_CA_CERTS) and
`@openai/agents-realtime` over websocket. Each script prints one JSON line."""

from __future__ import annotations

from helpers.node import run_node
from helpers.selfsigned import TlsFiles
from helpers.servers import Running, serve

from realtime_sdk.app import ServerConfig
from realtime_sdk.backends.echo import EchoBackend


def test_node_openai_over_wss(tls_server: Running, tls_files: TlsFiles) -> None:
    result = run_node(
        "openai_ws_turn.mjs",
        tls_server.base_url,
        env={"NODE_EXTRA_CA_CERTS": str(tls_files.certfile)},
    )
    assert result["url"].startswith(f"wss://127.0.0.1:{tls_server.port}/v1/realtime?")
    assert result["types"][0] == "session.created"
    assert result["types"][-1] == "response.done"
    assert "error" not in result["types"]
    assert (result["text"], result["status"]) == ("hello from node", "completed")


def test_node_openai_ephemeral_key_over_https_and_wss(tls_files: TlsFiles) -> None:
    """With a real key on the server: the SDK mints an ek_ key over https:// with the key,
    then connects with the ek_ key alone; the session starts as the key says (text out)."""
    config = ServerConfig(backend_factory=EchoBackend, api_keys=frozenset({"sk-node"}))
    with serve(config, tls=tls_files) as running:
        result = run_node(
            "openai_ws_turn.mjs",
            running.base_url,
            "--ephemeral",
            env={"NODE_EXTRA_CA_CERTS": str(tls_files.certfile), "REALTIME_API_KEY": "sk-node"},
        )
    assert result["minted"]["prefix"] == "ek_"
    assert result["session"]["output_modalities"] == ["text"]
    assert result["session"]["instructions"] == "Say it back."
    assert "session.updated" not in result["types"]
    assert (result["text"], result["status"]) == ("hello from node", "completed")


def test_node_agents_realtime_over_websocket(base_url: str) -> None:
    url = base_url.replace("http://", "ws://") + "/realtime?model=gpt-realtime"
    result = run_node("agents_realtime_turn.mjs", url)
    assert result["errors"] == []
    assert result["calls"] == [21]  # the tool ran with the arguments the back-end sent
    assert result["texts"][-1] == "answer 42"  # and its output came back as the answer
