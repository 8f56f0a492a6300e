"""Helpers the tests share (tests/ is on the path: `from helpers.client_app import ...`)."""
