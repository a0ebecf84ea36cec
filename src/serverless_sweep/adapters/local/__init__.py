"""Local adapters: an `ObjectStore` over a folder, Lambda-style invokers over worker processes,
and the real clock."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from serverless_sweep.adapters.local.clock import LocalClock
    from serverless_sweep.adapters.local.invoker import (
        ASYNC_PAYLOAD_LIMIT_BYTES,
        InlineInvoker,
        InvalidPayload,
        InvocationEvent,
        InvocationFailed,
        InvokerStats,
        LocalAsyncInvoker,
        PayloadTooLarge,
    )
    from serverless_sweep.adapters.local.lambda_context import LocalLambdaContext
    from serverless_sweep.adapters.local.registry import (
        FunctionNotFound,
        FunctionRegistry,
        default_registry,
        register_function,
    )
    from serverless_sweep.adapters.local.store import (
        DEFAULT_STORE_ROOT,
        LocalObjectStore,
        store_root_from_env,
    )

# Exported lazily (PEP 562): importing any module of this package runs this file, and the
# invoker's imports (multiprocessing, concurrent.futures, the worker module) must not come
# with, say, the store's: `sweep run` starts its workers' fork server from a module of this
# package before it imports the invoker (issue 13).
_EXPORTS = {
    "LocalClock": "clock",
    "ASYNC_PAYLOAD_LIMIT_BYTES": "invoker",
    "InlineInvoker": "invoker",
    "InvalidPayload": "invoker",
    "InvocationEvent": "invoker",
    "InvocationFailed": "invoker",
    "InvokerStats": "invoker",
    "LocalAsyncInvoker": "invoker",
    "PayloadTooLarge": "invoker",
    "LocalLambdaContext": "lambda_context",
    "FunctionNotFound": "registry",
    "FunctionRegistry": "registry",
    "default_registry": "registry",
    "register_function": "registry",
    "DEFAULT_STORE_ROOT": "store",
    "LocalObjectStore": "store",
    "store_root_from_env": "store",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


__all__ = [
    "ASYNC_PAYLOAD_LIMIT_BYTES",
    "DEFAULT_STORE_ROOT",
    "FunctionNotFound",
    "FunctionRegistry",
    "InlineInvoker",
    "InvalidPayload",
    "InvocationEvent",
    "InvocationFailed",
    "InvokerStats",
    "LocalAsyncInvoker",
    "LocalClock",
    "LocalLambdaContext",
    "LocalObjectStore",
    "PayloadTooLarge",
    "default_registry",
    "register_function",
    "store_root_from_env",
]
