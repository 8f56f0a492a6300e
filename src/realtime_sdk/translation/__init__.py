"""Realtime translation (`/v1/realtime/translations`): a session with no turns, speech in,
translated speech and transcripts out. `protocol` is the sans-I/O session, `server` its
routes and driver, `client` the typed connection."""

__all__: list[str] = []
