"""SIGTERM while a command runs: unwind like Ctrl-C (remove markers, print a hint)."""

from __future__ import annotations

import functools
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any, TypeVar


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread so that it unwinds exactly like Ctrl-C."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"terminated by signal {signum}")
        self.signum = signum


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated(signum)


F = TypeVar("F", bound=Callable[..., Any])


def terminate_like_interrupt(command: F) -> F:
    """Decorate a command so that SIGTERM while it runs behaves like SIGINT (Ctrl-C).

    Without it SIGTERM (`kill`, `timeout`, a CI runner, a container stop) killed `sweep run`
    at once: exit 143, no hint, the run marker left behind (so `sweep status` said the run was
    still being worked on) and nothing closed. With it the command's KeyboardInterrupt path
    runs: it stops dispatching, drops queued shards, removes its marker, prints which shards
    are missing and how to redrive them, and exits 130 like Ctrl-C. The previous handler is
    put back afterwards (the commands also run in-process, in tests). Only the main thread
    can install a handler; elsewhere the command runs unchanged.
    """

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if threading.current_thread() is not threading.main_thread():
            return command(*args, **kwargs)
        previous = signal.signal(signal.SIGTERM, _raise_terminated)
        try:
            return command(*args, **kwargs)
        finally:
            signal.signal(signal.SIGTERM, previous)

    return wrapper  # type: ignore[return-value]
