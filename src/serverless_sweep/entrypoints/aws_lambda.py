"""Compatibility names for the Lambda handlers of the single-artifact deployment.

Functions deployed before the parent and child artifacts were split name
`serverless_sweep.entrypoints.aws_lambda.parent_handler` and `.child_handler`; they keep
working. New deployments use `lambda_parent.handler`, `lambda_child.handler` and
`lambda_child.failure_handler` (this module imports both artifacts' code, so only a zip that
holds both can load it).
"""

from __future__ import annotations

from serverless_sweep.entrypoints.http.proxy import decode_body
from serverless_sweep.entrypoints.lambda_child import failure_handler
from serverless_sweep.entrypoints.lambda_child import handler as child_handler
from serverless_sweep.entrypoints.lambda_parent import (
    REDRIVE,
    STATUS,
    SUBMIT,
    DispatchJob,
    Route,
    dispatch_job_of,
    make_parent,
    resolve_route,
    run_dispatch_job,
)
from serverless_sweep.entrypoints.lambda_parent import handler as parent_handler
from serverless_sweep.entrypoints.lambda_services import LambdaContext, Services

__all__ = [
    "REDRIVE",
    "STATUS",
    "SUBMIT",
    "DispatchJob",
    "LambdaContext",
    "Route",
    "Services",
    "child_handler",
    "decode_body",
    "dispatch_job_of",
    "failure_handler",
    "make_parent",
    "parent_handler",
    "resolve_route",
    "run_dispatch_job",
]
