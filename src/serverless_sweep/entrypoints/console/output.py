"""Writing reports to stdout: a closed pipe (`sweep query ... | head`) ends quietly."""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Iterator


def _silence_stdout() -> None:
    """The reader of our pipe went away (`sweep query ... | head`): send the rest to /dev/null,
    so neither later writes nor the interpreter's final flush raise."""
    with contextlib.suppress(OSError, ValueError, io.UnsupportedOperation):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def emit(text: str) -> None:
    """Print a report to stdout; a closed pipe ends the output quietly, not with a traceback."""
    try:
        print(text, flush=True)
    except BrokenPipeError:
        _silence_stdout()


@contextlib.contextmanager
def closed_pipe_ok() -> Iterator[None]:
    """`emit` for a block that writes to stdout itself."""
    try:
        yield
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
