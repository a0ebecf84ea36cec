"""ShardProgress (sweep run / redrive's progress and final line): counts kept as outcomes
arrive, before and after the dispatched shards are known, a shard counted once."""

from __future__ import annotations

import io

from serverless_sweep.adapters.local.invoker import InvocationEvent
from serverless_sweep.entrypoints.console.progress_bar import ShardProgress


def event(shard_id: int | str | None, *, ok: bool, final: bool = True) -> InvocationEvent:
    return InvocationEvent(
        function_name="sweep-child",
        request_id="r",
        attempt=1,
        delivery=1,
        ok=ok,
        final=final,
        shard_id=shard_id,
        pid=1,
        duration_s=0.0,
    )


def test_outcomes_before_and_after_start_count_once_for_the_dispatched_shards() -> None:
    progress = ShardProgress("p", enabled=False, stream=io.StringIO())
    progress.on_event(event(0, ok=True))  # before start: the dispatch raced the waiting thread
    progress.on_event(event(1, ok=False))
    progress.on_event(event(9, ok=True))  # not among the dispatched shards: never counted
    progress.start({0: 2, 1: 3, 2: 4, 3: 5})
    assert progress.snapshot()[:4] == (1, 1, 2, 2)
    progress.on_event(event(1, ok=True))  # a later delivery succeeded: no longer failed
    progress.on_event(event(0, ok=True))  # a duplicate delivery: counted once
    progress.on_event(event(2, ok=False, final=False))  # a retry follows: not an outcome
    progress.on_event(event(3, ok=False))
    progress.on_event(event(3, ok=False))
    progress.on_event(event("x", ok=True))
    assert progress.snapshot()[:4] == (2, 1, 1, 5)
    progress.on_event(event(2, ok=True))
    progress.on_event(event(3, ok=True))
    progress.on_event(event(2, ok=False))  # a failed duplicate after a success changes nothing
    assert progress.snapshot()[:4] == (4, 0, 0, 14)
    assert "4/4 shards finished: 4 succeeded, 0 failed, 0 pending; 14 points" in (
        progress.final_line()
    )
