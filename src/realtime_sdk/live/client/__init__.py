"""The typed Live client: a connection shaped like openai-python's `client.live`."""

__all__: list[str] = []
