"""Handler calls answered as the API answers them: through the HTTP edge (`entrypoints.http`).

The handlers return typed results and raise refusals; tests that pin the wire format (status
codes, bodies) call them through these, which run the same route table, renderers and error
map as the parent Lambda and `sweep serve`.
"""

from __future__ import annotations

from typing import Any

from serverless_sweep.entrypoints.http import Request, resolve
from serverless_sweep.entrypoints.http.proxy import submit_event, to_proxy
from serverless_sweep.handlers.parent import ParentHandler
from serverless_sweep.handlers.status import StatusHandler


class HandlerApi:
    """The shared routes' deployment, over the given handlers."""

    openapi_sigv4 = False

    def __init__(
        self, parent: ParentHandler | None = None, status: StatusHandler | None = None
    ) -> None:
        self._parent, self._status = parent, status

    @property
    def parent(self) -> ParentHandler:
        assert self._parent is not None, "this test gave no parent handler"
        return self._parent

    @property
    def status(self) -> StatusHandler:
        assert self._status is not None, "this test gave no status handler"
        return self._status


def submit(parent: ParentHandler, event: object) -> dict[str, Any]:
    """`parent.submit` of a direct-invoke (or proxy) event, as the proxy response."""
    return submit_event(parent, event)


def redrive(parent: ParentHandler, run_id: str) -> dict[str, Any]:
    """POST /sweep-run/{run_id}/redrive through the shared resolver."""
    request = Request(
        "POST", "", template="/sweep-run/{run_id}/redrive", path_params={"run_id": run_id}
    )
    return to_proxy(resolve(request, HandlerApi(parent=parent), local=False))


def status(handler: StatusHandler, run_id: str) -> dict[str, Any]:
    """GET /sweep-run/{run_id} through the shared resolver."""
    request = Request("GET", "", template="/sweep-run/{run_id}", path_params={"run_id": run_id})
    return to_proxy(resolve(request, HandlerApi(status=handler), local=False))
