"""Local adapters: an `ObjectStore` over a folder, Lambda-style invokers over worker processes,
and the real clock."""

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
