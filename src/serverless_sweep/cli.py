"""The `sweep` command. Each subcommand lives in its own module under `entrypoints/commands/`."""

from __future__ import annotations

from serverless_sweep.entrypoints.cli import main

__all__ = ["main"]
