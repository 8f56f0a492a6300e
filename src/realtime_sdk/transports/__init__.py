"""Transports: how events (and, for WebRTC, audio) travel between a peer and a session."""
