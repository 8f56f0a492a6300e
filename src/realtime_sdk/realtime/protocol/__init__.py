"""Sans-I/O core of the Realtime server: session state, turn detection; no I/O, no clock."""
