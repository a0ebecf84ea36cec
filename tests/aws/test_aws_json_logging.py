"""The JSON log formatter and its setup (no AWS needed)."""

from __future__ import annotations

import io
import json
import logging
from typing import Any

import pytest

from serverless_sweep.adapters.aws.json_logging import (
    JsonFormatter,
    configure_json_logging,
    current_log_context,
    log_context,
    log_level,
)


def _logger(name: str) -> tuple[logging.Logger, io.StringIO, logging.Handler]:
    stream = io.StringIO()
    logger = logging.Logger(name)  # not registered: nothing global is touched
    handler = logging.StreamHandler(stream)
    logger.addHandler(handler)
    return logger, stream, handler


def _lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_in_lambda_the_runtime_handler_gets_the_json_formatter() -> None:
    logger, stream, handler = _logger("lambda-root")
    configure_json_logging(
        environ={"AWS_LAMBDA_FUNCTION_NAME": "sweep-child", "AWS_LAMBDA_LOG_LEVEL": "WARN"},
        root=logger,
    )
    assert isinstance(handler.formatter, JsonFormatter)
    assert logger.level == logging.WARNING
    with log_context(run_id="r1", shard_id=3, aws_request_id="req"):
        logger.info("hidden at WARN")
        logger.warning("shard %s slow", 3)
    assert _lines(stream) == [
        {
            "timestamp": _lines(stream)[0]["timestamp"],
            "level": "WARNING",
            "logger": "lambda-root",
            "message": "shard 3 slow",
            "run_id": "r1",
            "shard_id": 3,
            "aws_request_id": "req",
        }
    ]


def test_outside_lambda_an_existing_setup_is_left_alone() -> None:
    logger, _, handler = _logger("app-root")
    configure_json_logging(environ={}, root=logger)
    assert not isinstance(handler.formatter, JsonFormatter)


def test_outside_lambda_without_handlers_a_stderr_handler_is_added() -> None:
    logger = logging.Logger("bare-root")
    configure_json_logging(environ={"LOG_LEVEL": "debug"}, root=logger)
    configure_json_logging(environ={"LOG_LEVEL": "debug"}, root=logger)  # idempotent
    assert len(logger.handlers) == 1
    assert isinstance(logger.handlers[0].formatter, JsonFormatter)
    assert logger.level == logging.DEBUG


@pytest.mark.parametrize(
    ("env", "level"),
    [
        ({}, "INFO"),
        ({"AWS_LAMBDA_LOG_LEVEL": "TRACE"}, "DEBUG"),
        ({"AWS_LAMBDA_LOG_LEVEL": "FATAL", "LOG_LEVEL": "DEBUG"}, "CRITICAL"),
        ({"LOG_LEVEL": "error"}, "ERROR"),
        ({"LOG_LEVEL": "chatty"}, "INFO"),
    ],
)
def test_log_level(env: dict[str, str], level: str) -> None:
    assert log_level(env) == level


def test_context_nests_and_resets() -> None:
    with log_context(run_id="outer", aws_request_id="a"):
        with log_context(shard_id=1, run_id=None):  # None keeps the outer value
            assert current_log_context() == {
                "run_id": "outer",
                "aws_request_id": "a",
                "shard_id": 1,
            }
        assert current_log_context() == {"run_id": "outer", "aws_request_id": "a"}
    assert current_log_context() == {}


def test_extra_fields_win_and_exceptions_are_one_json_line() -> None:
    logger, stream, handler = _logger("x")
    handler.setFormatter(JsonFormatter())
    with log_context(run_id="ctx"):
        try:
            raise ValueError("bad value")
        except ValueError:
            logger.exception("failed", extra={"run_id": "explicit"})
        logger.info("odd %s", object.__new__(object), extra={"shard_id": {1, 2}})
    first, second = _lines(stream)
    assert first["run_id"] == "explicit"
    assert "ValueError: bad value" in first["exception"]
    assert second["run_id"] == "ctx"
    assert second["shard_id"] == "{1, 2}"  # rendered with str, never a failure
    assert len(stream.getvalue().splitlines()) == 2
