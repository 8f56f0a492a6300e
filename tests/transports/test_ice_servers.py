"""ICE servers are configurable and none is used by default: a STUN server of our own on
127.0.0.1 sees the server's binding requests only when `serve --ice-server` names it."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from aioice import stun
from aiortc import RTCIceServer
from helpers.rtc_peer import RtcClient, run
from helpers.servers import serve

from realtime_sdk.app import ServerConfig
from realtime_sdk.backends.echo import EchoBackend
from realtime_sdk.cli import ice_config
from realtime_sdk.transports.webrtc.ice import IceConfig


class StunServer(asyncio.DatagramProtocol):
    """Answers STUN binding requests with the address they came from, and counts them."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, int]] = []
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        request = stun.parse_message(data)
        if request.message_method != stun.Method.BINDING:
            return
        self.requests.append(addr)
        response = stun.Message(
            stun.Method.BINDING, stun.Class.RESPONSE, transaction_id=request.transaction_id
        )
        response.attributes["XOR-MAPPED-ADDRESS"] = addr
        assert self.transport is not None
        self.transport.sendto(bytes(response), addr)


def test_cli_ice_servers_carry_turn_credentials() -> None:
    ice = ice_config(["stun:stun.example.org:3478", "turn:turn.example.org"], "u", "p")
    stun_server, turn_server = ice.ice_servers
    assert (stun_server.urls, stun_server.username) == ("stun:stun.example.org:3478", None)
    assert (turn_server.urls, turn_server.username, turn_server.credential) == (
        "turn:turn.example.org", "u", "p",
    )  # fmt: skip
    assert ice_config([], None, None).rtc_configuration().iceServers == []


def offer_to(base_url: str, stun_port: int) -> list[tuple[str, int]]:
    """Post an offer while a STUN server listens on `stun_port`; the requests it got."""
    seen: list[tuple[str, int]] = []

    async def main() -> None:
        loop = asyncio.get_running_loop()
        transport, protocol = await loop.create_datagram_endpoint(
            StunServer, local_addr=("127.0.0.1", stun_port)
        )
        rtc = RtcClient()
        try:
            async with httpx.AsyncClient(timeout=30) as http:
                answer = await http.post(
                    f"{base_url}/realtime/calls",
                    content=await rtc.offer(),
                    headers={"Content-Type": "application/sdp"},
                )
            assert answer.status_code == 201, answer.text
            seen.extend(protocol.requests)
            hangup = answer.headers["location"].removeprefix("/v1")
            async with httpx.AsyncClient(timeout=30) as http:
                await http.post(f"{base_url}{hangup}/hangup")
        finally:
            await rtc.close()
            transport.close()

    run(main)
    return seen


def free_udp_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_configured_stun_server_is_asked_and_none_by_default() -> None:
    port = free_udp_port()
    configured = IceConfig(ice_servers=(RTCIceServer(f"stun:127.0.0.1:{port}"),))
    with serve(ServerConfig(backend_factory=EchoBackend, ice=configured)) as running:
        assert offer_to(running.base_url, port), "the configured STUN server was never asked"
    with serve(ServerConfig(backend_factory=EchoBackend)) as running:
        assert offer_to(running.base_url, port) == []
