"""wsgen: generate, run locally and test Chalice-style API Gateway WebSocket apps."""

__version__ = "0.1.0"
