"""The Realtime protocol (GA, and the beta dialect translated at its edge): its sans-I/O
session (`protocol`), its server routes and driver (`server`) and its typed client
connection (`client`), over the shared audio, transports, back-ends and server plumbing.
Each subpackage declares its own names."""

__all__: list[str] = []
