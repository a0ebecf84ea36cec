"""One `InvokerOptions` object configures both local invokers; keyword arguments still work.

Real invokers and a real target: `InlineInvoker` runs `local_targets.always_fail` in process,
so the retries counted are attempts that actually ran.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from serverless_sweep.adapters.local import InlineInvoker, LocalAsyncInvoker
from serverless_sweep.adapters.local.invoker import InvokerOptions
from serverless_sweep.adapters.local.registry import FunctionRegistry
from serverless_sweep.handlers.ports import ASYNC_PAYLOAD_LIMIT_BYTES

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

REGISTRY = FunctionRegistry({"always_fail": "local_targets:always_fail"})


def _fail_once(invoker: InlineInvoker, out_dir: Path) -> int:
    invoker.invoke_async("always_fail", json.dumps({"out_dir": str(out_dir)}).encode())
    return invoker.stats().failed_attempts


def test_each_invoker_has_its_own_defaults() -> None:
    assert LocalAsyncInvoker.DEFAULT_OPTIONS.max_retries == 2
    assert InlineInvoker.DEFAULT_OPTIONS.max_retries == 0
    assert InlineInvoker.DEFAULT_OPTIONS.payload_limit_bytes == ASYNC_PAYLOAD_LIMIT_BYTES
    assert InlineInvoker(REGISTRY).options == InlineInvoker.DEFAULT_OPTIONS


def test_options_object_and_keywords_configure_the_same_settings(tmp_path: Path) -> None:
    options = InvokerOptions(max_retries=2, retry_delays=[0.0], timeout_s=5)  # type: ignore[arg-type]
    assert options.retry_delays == (0.0,)  # any sequence, kept as a tuple
    by_object = InlineInvoker(REGISTRY, options=options)
    by_keywords = InlineInvoker(REGISTRY, max_retries=2, retry_delays=[0.0], timeout_s=5)
    assert by_object.options == by_keywords.options == options
    assert (by_object.max_retries, by_object.timeout_s) == (2, 5)
    assert _fail_once(by_object, tmp_path) == 3  # the first attempt and two retries ran
    # A keyword replaces only its own field of the options object.
    fewer = InlineInvoker(REGISTRY, options=options, max_retries=1)
    assert (fewer.max_retries, fewer.timeout_s) == (1, 5)
    assert _fail_once(fewer, tmp_path) == 2


def test_options_are_checked_once_whichever_way_they_come() -> None:
    with pytest.raises(ValueError, match=r"max_retries must be 0\.\.2"):
        InvokerOptions(max_retries=3)
    with pytest.raises(ValueError, match="max_retries must be"):
        InlineInvoker(REGISTRY, options=InvokerOptions(), max_retries=3)
    with pytest.raises(ValueError, match="timeout_s must be positive"):
        LocalAsyncInvoker(REGISTRY, timeout_s=0)
