"""The Live routes and the driver of one Live session."""

from __future__ import annotations

from .routes import live_routes

__all__ = ["live_routes"]
