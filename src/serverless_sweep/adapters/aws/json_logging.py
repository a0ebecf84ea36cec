"""Structured (one JSON object per line) logging for the Lambda functions.

Why: CloudWatch Logs Insights can filter and aggregate JSON fields directly, so every line
carries the same keys - `level`, `message`, `run_id`, `shard_id`, `aws_request_id` - and a run
or a shard can be followed across thousands of invocations with one query. The per-invocation
fields live in a context variable (`log_context`), so the handler modules keep using plain
`logging.getLogger(__name__)` and know nothing about Lambda.

Nothing here logs events, headers or the environment: only what a caller passes as a message,
so request bodies and credentials never reach the logs by accident.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

CONTEXT_FIELDS = ("run_id", "shard_id", "aws_request_id")
_context: ContextVar[Mapping[str, Any] | None] = ContextVar(
    "serverless_sweep_log_context", default=None
)
_CONFIGURED_MARK = "_serverless_sweep_json"


@contextlib.contextmanager
def log_context(**fields: Any) -> Iterator[None]:
    """Add fields (run_id, shard_id, aws_request_id, ...) to every record logged inside."""
    merged = {**(_context.get() or {}), **{k: v for k, v in fields.items() if v is not None}}
    token = _context.set(merged)
    try:
        yield
    finally:
        _context.reset(token)


def current_log_context() -> Mapping[str, Any]:
    """The fields `log_context` set for the current invocation."""
    return _context.get() or {}


class JsonFormatter(logging.Formatter):
    """Formats a record as one compact JSON object with a stable set of keys.

    Context fields come from `extra={...}` first, then from `log_context`; unknown values are
    rendered with `str` so a log call can never fail on an odd object.
    """

    def format(self, record: logging.LogRecord) -> str:
        context = current_log_context()
        document: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in CONTEXT_FIELDS:
            document[name] = getattr(record, name, context.get(name))
        if record.exc_info:
            document["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            document["exception"] = record.exc_text
        if record.stack_info:
            document["stack"] = self.formatStack(record.stack_info)
        return json.dumps(document, default=str, ensure_ascii=False)


def configure_json_logging(
    *, environ: Mapping[str, str] | None = None, root: logging.Logger | None = None
) -> None:
    """Route the root logger through `JsonFormatter`; safe to call on every invocation.

    In Lambda (`AWS_LAMBDA_FUNCTION_NAME` set) the runtime's own handler on the root logger is
    kept (it writes to the function's log stream) and only its formatter is replaced. Elsewhere
    an existing logging setup (pytest, an application) is left alone; with none, a stderr
    handler is added. The level comes from `AWS_LAMBDA_LOG_LEVEL` (Lambda's log-level control)
    or `LOG_LEVEL`, default INFO.
    """
    env = os.environ if environ is None else environ
    logger = logging.getLogger() if root is None else root
    if getattr(logger, _CONFIGURED_MARK, False):
        return
    in_lambda = bool(env.get("AWS_LAMBDA_FUNCTION_NAME"))
    formatter = JsonFormatter()
    if in_lambda and logger.handlers:
        for handler in logger.handlers:
            handler.setFormatter(formatter)
    elif not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(formatter)
        logger.addHandler(handler)
    else:
        setattr(logger, _CONFIGURED_MARK, True)
        return
    logger.setLevel(log_level(env))
    setattr(logger, _CONFIGURED_MARK, True)


# Lambda's log-level names (TRACE ... FATAL) mapped onto Python's.
_LEVELS = {
    "TRACE": "DEBUG",
    "DEBUG": "DEBUG",
    "INFO": "INFO",
    "WARN": "WARNING",
    "WARNING": "WARNING",
    "ERROR": "ERROR",
    "FATAL": "CRITICAL",
    "CRITICAL": "CRITICAL",
}


def log_level(environ: Mapping[str, str]) -> str:
    """The Python level name for `AWS_LAMBDA_LOG_LEVEL` or `LOG_LEVEL` (INFO when unset/unknown)."""
    raw = environ.get("AWS_LAMBDA_LOG_LEVEL") or environ.get("LOG_LEVEL") or "INFO"
    return _LEVELS.get(raw.strip().upper(), "INFO")
