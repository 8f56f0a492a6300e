"""The Realtime protocol's client side: the typed connection, its conversation state, call
audio and tools (`realtime_sdk.connect` opens one)."""
