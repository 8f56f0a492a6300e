"""The Realtime protocol's server side: its routes (websocket, WebRTC calls and their
sideband, client secrets), the session builder and the driver between transport, session
and back-end."""
