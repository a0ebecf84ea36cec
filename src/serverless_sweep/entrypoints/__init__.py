"""Entry points: the `sweep` CLI, the local API, Lambda handler functions and replay."""
