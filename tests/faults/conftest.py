from __future__ import annotations

from collections.abc import Iterator

import pytest

from serverless_sweep.adapters.local.runtime import preserved_runtime_env


@pytest.fixture(autouse=True)
def _restore_runtime_env() -> Iterator[None]:
    """LocalRuntime writes its settings into os.environ; put them back after each test."""
    with preserved_runtime_env():
        yield
