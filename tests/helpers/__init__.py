"""Helpers the tests share, one module per thing held. tests/ is on the path (pyproject's
pytest `pythonpath`), so tests import them as `from helpers.need import need`; fixtures stay
in conftest.py files."""
