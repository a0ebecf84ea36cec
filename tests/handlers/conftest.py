from __future__ import annotations

import pytest
from handler_helpers import CHILD

from serverless_sweep.adapters.memory import FixedClock, MemoryObjectStore, RecordingInvoker
from serverless_sweep.handlers.child import ChildConfig, ChildHandler
from serverless_sweep.handlers.parent import ParentConfig, ParentHandler


@pytest.fixture
def store() -> MemoryObjectStore:
    return MemoryObjectStore()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def invoker() -> RecordingInvoker:
    return RecordingInvoker()


@pytest.fixture
def parent(invoker: RecordingInvoker, store: MemoryObjectStore, clock: FixedClock) -> ParentHandler:
    config = ParentConfig(child_function=CHILD, default_model="legacy_hash", results_prefix="p")
    return ParentHandler(invoker=invoker, store=store, config=config, clock=clock)


@pytest.fixture
def child(store: MemoryObjectStore, clock: FixedClock) -> ChildHandler:
    return ChildHandler(
        store=store,
        config=ChildConfig(results_prefix="p", default_model="legacy_hash"),
        clock=clock,
    )
