"""The translation protocol's server side: its routes (websocket, client secrets) and the
driver between transport, session and translator."""

from __future__ import annotations

from .driver import TranslationDriver
from .routes import translation_routes

__all__ = ["TranslationDriver", "translation_routes"]
