"""The child artifact's Lambda handlers: one shard per invocation, and the on-failure recorder.

* `handler` (function configuration: `serverless_sweep.entrypoints.lambda_child.handler`): runs
  one shard. Failures are recorded by the handler, then re-raised so that Lambda counts a
  failed invocation and applies its async retry policy.
* `failure_handler` (the child's on-failure destination): turns Lambda's failure record of an
  attempt that died without a record (out of memory, the hard timeout, an expired event) into
  the shard's failure envelope and shard_errors row (`handlers.failure_recorder`).

Environment: `SWEEP_RESULTS_BUCKET`, optional `SWEEP_RESULTS_PREFIX`, `SWEEP_DEFAULT_MODEL`,
`SWEEP_DEADLINE_MARGIN_MS`. These modules are what the child zip needs; the parent's are in
`lambda_parent` (no numpy, pyarrow or model code there).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from serverless_sweep.adapters.aws.json_logging import configure_json_logging, log_context
from serverless_sweep.core.keys import StorageLayout
from serverless_sweep.entrypoints import lambda_services
from serverless_sweep.entrypoints.lambda_services import LambdaContext, loggable, request_id
from serverless_sweep.handlers.child import ChildConfig, ChildHandler
from serverless_sweep.handlers.settings import results_prefix

logger = logging.getLogger(__name__)


def handler(event: object, context: LambdaContext | None) -> dict[str, Any]:
    """The child Lambda: run one shard (see the module docstring)."""
    configure_json_logging()
    fields = event if isinstance(event, Mapping) else {}
    with log_context(
        aws_request_id=request_id(context),
        run_id=loggable(fields.get("run_id")),
        shard_id=loggable(fields.get("shard_id")),
    ):
        child = ChildHandler(store=lambda_services.services.store(), config=ChildConfig.from_env())
        remaining = context.get_remaining_time_in_millis if context is not None else None
        try:
            result = child.handle(event, remaining)
        except Exception as exc:
            logger.exception("shard failed: %s", type(exc).__name__)
            raise
        logger.info(
            "shard done: %s points%s",
            result.get("points_processed"),
            " (already done, nothing recomputed)" if result.get("duplicate") else "",
        )
        return result


def failure_handler(event: object, context: LambdaContext | None) -> dict[str, Any]:
    """The on-failure destination: record the dead attempt (see the module docstring).

    A record that is not a shard's failure is logged and answered, not raised: retrying it
    would never help, and its own failure would only land in the recorder's dead-letter queue.
    Store failures are raised, so Lambda retries them and, at the very last, the DLQ keeps them.
    The recorder is imported here: a shard's cold start does not need it (issue 8).
    """
    from serverless_sweep.handlers.failure_recorder import FailureRecorder, NotAFailureRecord

    configure_json_logging()
    payload = event.get("requestPayload") if isinstance(event, Mapping) else None
    fields = payload if isinstance(payload, Mapping) else {}
    with log_context(
        aws_request_id=request_id(context),
        run_id=loggable(fields.get("run_id")),
        shard_id=loggable(fields.get("shard_id")),
    ):
        store = lambda_services.services.store()
        store.check_configured()
        recorder = FailureRecorder(store, StorageLayout(results_prefix(os.environ)))
        try:
            result = recorder.handle(event)
        except NotAFailureRecord as exc:
            logger.error("not a shard failure record, ignored: %s", exc)
            return {"recorded": False, "reason": str(exc)}
        logger.info("failure record: %s", result)
        return result
