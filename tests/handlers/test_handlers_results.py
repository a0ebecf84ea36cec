"""The results page of a compacted run (handlers/results.py) and its pyarrow table."""

from __future__ import annotations

import contextlib
import json

import pytest
from handler_helpers import request

from serverless_sweep.contracts.generated.v1.results_page import ResultsPage
from serverless_sweep.core.errors import ValidationError
from serverless_sweep.handlers import compaction
from serverless_sweep.handlers.api_results import Refusal
from serverless_sweep.handlers.ports import StoreError
from serverless_sweep.handlers.results import ResultsHandler, results_table
from serverless_sweep.handlers.runs import find_run


def run_all(parent, child, invoker, **overrides):
    parent.submit(
        request(dimensions={"a": list(range(7)), "b": ["x", "y", "z"]}, shard_count=5, **overrides)
    )
    for call in invoker.calls:
        with contextlib.suppress(RuntimeError):
            child.handle(json.loads(call.payload))


def get(store, parent, run_id="r1", **params):
    """(status, body) as the edge answers (entrypoints/http/errors.py maps what is raised)."""
    try:
        return 200, ResultsHandler(store, parent.layout).handle(run_id, params)
    except Refusal as exc:
        return {"not_found": 404, "conflict": 409}.get(exc.code, 500), {
            "error": exc.code,
            "message": exc.message,
        }
    except ValidationError as exc:
        details = [{"pointer": d.pointer} for d in exc.details]
        return 400, {"error": "validation_error", "details": details}
    except StoreError as exc:
        return 500, {"error": "internal_error", "message": str(exc)}


def test_pages_walk_every_point_once_in_order(parent, child, invoker, store, monkeypatch):
    monkeypatch.setattr(compaction, "PAGE_ROWS", 4)  # several pages per part
    run_all(parent, child, invoker)
    seen, token, pages = [], None, 0
    while True:
        params = {"limit": "3"} | ({"page_token": token} if token else {})
        code, body = get(store, parent, **params)
        assert code == 200, body
        ResultsPage.model_validate(body)
        seen += [item["point_index"] for item in body["items"]]
        pages += 1
        token = body["next_page_token"]
        if token is None:
            break
    assert seen == list(range(21)) and pages == 7
    first = get(store, parent, limit="1")[1]["items"][0]
    assert json.loads(json.dumps(first["parameters"])) == {"a": 0, "b": "x"}
    assert set(first["metrics"]) == {"completed_rides", "abandoned_rides", "platform_revenue_cents"}


def test_order_by_descending_and_fields(parent, child, invoker, store):
    run_all(parent, child, invoker)
    table = results_table(store, parent.layout, find_run(store, parent.layout, "r1"))
    revenue = table.column("platform_revenue_cents").to_pylist()
    points = table.column("point_index").to_pylist()
    expected = [
        p for _, p in sorted(zip(revenue, points, strict=True), key=lambda t: (-t[0], t[1]))
    ]

    code, body = get(
        store,
        parent,
        order_by="-platform_revenue_cents",
        fields="platform_revenue_cents",
        limit="1000",
    )
    assert code == 200
    assert [i["point_index"] for i in body["items"]] == expected
    assert all(
        set(i["metrics"]) == {"platform_revenue_cents"} and i["parameters"] == {}
        for i in body["items"]
    )
    assert body["descending"] is True and body["next_page_token"] is None


@pytest.mark.parametrize(
    ("params", "pointer"),
    [
        ({"order_by": "nope"}, "/order_by"),
        ({"fields": "a,bogus"}, "/fields"),
        ({"limit": "0"}, "/limit"),
        ({"limit": "abc"}, "/limit"),
        ({"page_token": "!!not-a-token"}, "/page_token"),
        ({"colour": "red"}, "/colour"),
    ],
)
def test_bad_queries_are_400_naming_the_parameter(parent, child, invoker, store, params, pointer):
    run_all(parent, child, invoker)
    code, body = get(store, parent, **params)
    assert code == 400 and body["error"] == "validation_error"
    assert body["details"][0]["pointer"] == pointer


def test_unknown_and_uncompacted_runs(parent, child, invoker, store):
    assert get(store, parent, "missing")[0] == 404
    run_all(parent, child, invoker, failure_injection_shards=[2])
    code, body = get(store, parent)
    assert code == 409 and "not compacted" in body["message"]
    # the table still has the points computed so far
    table = results_table(store, parent.layout, find_run(store, parent.layout, "r1"))
    assert table.num_rows == 21 - 4 and table.column("point_index").to_pylist() == sorted(
        table.column("point_index").to_pylist()
    )


def test_a_damaged_results_page_is_a_500_naming_it(parent, child, invoker, store):
    run_all(parent, child, invoker)
    [page] = [k for k in store.list_keys("p/") if "/pages/" in k]
    store.put(page, b"{}")
    code, body = get(store, parent)
    assert code == 500 and page in body["message"]
