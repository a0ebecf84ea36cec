"""Listing runs (issue 12, `handlers/run_listing.py`): newest first, keyset pages, each run's
state, damaged records named instead of hiding the other runs, bad parameters a 400."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pytest
from handler_helpers import CHILD

from serverless_sweep.adapters.memory import FixedClock, MemoryObjectStore, RecordingInvoker
from serverless_sweep.contracts import RunList
from serverless_sweep.core.errors import ValidationError
from serverless_sweep.handlers.child import ChildConfig, ChildHandler
from serverless_sweep.handlers.parent import ParentConfig, ParentHandler
from serverless_sweep.handlers.run_listing import (
    MAX_PAGE_SIZE,
    InvalidListing,
    decode_token,
    encode_token,
    index_prefix,
    list_runs,
    parse_limit,
)


class Deployment:
    """A parent and a child over one memory store, with a clock the test moves."""

    def __init__(self) -> None:
        self.store, self.clock, self.invoker = MemoryObjectStore(), FixedClock(), RecordingInvoker()
        config = ParentConfig(child_function=CHILD, default_model="legacy_hash", results_prefix="p")
        self.parent = ParentHandler(
            invoker=self.invoker, store=self.store, config=config, clock=self.clock
        )
        self.child = ChildHandler(
            store=self.store,
            config=ChildConfig(results_prefix="p", default_model="legacy_hash"),
            clock=self.clock,
        )

    def submit(self, run_id: str, *, points: int = 2, **extra: Any) -> None:
        request = {"run_id": run_id, "dimensions": {"x": list(range(points))}, "shard_count": 2}
        request.update(extra)
        self.parent.submit(request)  # raises for a refused request

    def run_shards(self, run_id: str) -> None:
        for call in self.invoker.calls:
            event = json.loads(call.payload)
            if event["run_id"] == run_id:
                with contextlib.suppress(Exception):  # injected failures raise after recording
                    self.child.handle(event)

    def page(self, **query: str) -> dict[str, Any]:
        """The listing as GET /sweep-run reads its query parameters."""
        body = list_runs(
            self.store,
            self.parent.layout,
            limit=parse_limit(query.get("limit")),
            next_token=query.get("next_token"),
            now=self.clock.now(),
        )
        RunList.model_validate(body)  # the documented shape
        return body


@pytest.fixture
def api() -> Deployment:
    return Deployment()


def ids(page: dict[str, Any]) -> list[str]:
    return [run["run_id"] for run in page["runs"]]


def test_an_empty_store_lists_no_runs(api: Deployment) -> None:
    assert api.page() == {"contract_version": "1.0", "runs": []}


def test_newest_first_across_days_and_within_a_day(api: Deployment) -> None:
    api.submit("b-first")
    api.clock.advance(60)
    api.submit("a-second")  # same day, later: before b-first although its id sorts first
    api.clock.advance(86_400)
    api.submit("c-next-day")
    assert ids(api.page()) == ["c-next-day", "a-second", "b-first"]
    first = api.page()["runs"][0]
    assert first["run_date"] == "2026-11-28" and first["accepted_at"].startswith("2026-11-28")


def test_each_entry_carries_its_state_and_counts(api: Deployment) -> None:
    api.submit("done")
    api.run_shards("done")
    api.submit("broken", failure_injection_shards=[0])
    api.run_shards("broken")
    api.submit("waiting")
    runs = {run["run_id"]: run for run in api.page()["runs"]}
    assert runs["done"]["state"] == "succeeded" and runs["done"]["coverage"] == 1.0
    assert runs["broken"]["state"] == "failed" and runs["broken"]["failed_shards"] == 1
    assert runs["waiting"]["state"] == "running" and runs["waiting"]["pending_shards"] == 2
    assert runs["waiting"]["succeeded_shards"] == 0 and runs["waiting"]["model"] == "legacy_hash"


def test_pages_cover_every_run_once_in_order(api: Deployment) -> None:
    names = [f"run-{i:02d}" for i in range(7)]
    for name in names:
        api.submit(name)
        api.clock.advance(1)
    seen: list[str] = []
    query: dict[str, str] = {"limit": "3"}
    pages = 0
    while True:
        page = api.page(**query)
        pages += 1
        assert len(page["runs"]) <= 3
        seen += ids(page)
        if "next_token" not in page:
            break
        query = {"limit": "3", "next_token": page["next_token"]}
    assert seen == names[::-1] and pages == 3


def test_a_run_accepted_between_pages_does_not_shift_the_next_page(api: Deployment) -> None:
    for name in ("old-1", "old-2", "old-3"):
        api.submit(name)
        api.clock.advance(1)
    first = api.page(limit="2")
    assert ids(first) == ["old-3", "old-2"]
    api.submit("newer")  # would push old-2 onto page 2 with offset pagination
    second = api.page(limit="2", next_token=first["next_token"])
    assert ids(second) == ["old-1"] and "next_token" not in second


def test_the_last_full_page_has_no_next_token(api: Deployment) -> None:
    api.submit("one")
    api.submit("two")
    assert "next_token" not in api.page(limit="2")


def test_a_damaged_run_is_named_and_the_others_are_still_listed(api: Deployment) -> None:
    api.submit("good")
    api.submit("bad")
    api.clock.advance(1)
    api.submit("bad-pointer")
    manifest_key = next(
        k
        for k in api.store.list_keys("p/dataset=runs/")
        if "run_id=bad/" in k and k.endswith("/manifest.json")
    )
    api.store.put(manifest_key, b"{not json")
    api.store.put(index_prefix(api.parent.layout) + "bad-pointer.json", b"[]")
    page = api.page()
    assert ids(page) == ["good"]
    assert len(page["damaged"]) == 2
    assert any(manifest_key in message for message in page["damaged"])
    assert any("bad-pointer.json" in message for message in page["damaged"])


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": str(MAX_PAGE_SIZE + 1)}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"limit": ""}, "limit"),
        ({"next_token": ""}, "next_token"),
    ],
)
def test_bad_parameters_are_a_validation_error_naming_the_parameter(
    api: Deployment, query: dict[str, str], parameter: str
) -> None:
    with pytest.raises(ValidationError) as refused:  # the edges' error map: a 400
        api.page(**query)
    assert isinstance(refused.value, InvalidListing) and refused.value.parameter == parameter
    assert parameter in refused.value.message
    assert refused.value.details[0].rule == "query_parameter"


def test_tokens_round_trip() -> None:
    key = ("2026-11-27", "2026-11-27T12:00:00Z", "surge/berlin~v2")  # a ~ in the run_id
    assert decode_token(encode_token(key)) == key
    assert decode_token("2026-11-27") == ("2026-11-27", "", "")


def test_any_token_is_a_position_in_the_order(api: Deployment) -> None:
    api.submit("old")
    api.clock.advance(86_400)
    api.submit("new")
    assert ids(api.page(next_token="2026-11-28")) == ["old"]  # older than that day
    assert ids(api.page(next_token="garbage!")) == ["new", "old"]  # "2..." < "g...": all


def test_list_runs_reads_only_this_layouts_runs(api: Deployment) -> None:
    api.submit("mine")
    other = MemoryObjectStore()
    assert list_runs(other, api.parent.layout)["runs"] == []
    assert [r["run_id"] for r in list_runs(api.store, api.parent.layout)["runs"]] == ["mine"]
