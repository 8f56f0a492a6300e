"""GPT-Live (`/v1/live/sessions`): full duplex, `session.start`, audio both ways without
turns, transcripts on the session timeline, work delegated to the client. `protocol` is
the sans-I/O session, `server` its routes and driver, `client` the typed connection."""

__all__: list[str] = []
