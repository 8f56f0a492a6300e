"""The typed translation client: a connection shaped like openai-python's."""

__all__: list[str] = []
