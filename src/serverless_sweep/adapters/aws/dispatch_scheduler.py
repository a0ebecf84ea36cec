"""Dispatch jobs in the cloud: an asynchronous invocation of the parent in its dispatch role.

Why the parent invokes itself instead of a function of its own: the parent already has the
dispatcher's code, permissions and configuration, and one artifact less is one thing less to
deploy and roll back. The event is small (run_id and job name); Lambda queues it, retries it
when the dispatcher crashes (the ledger makes the retry resume, not repeat), and the dispatcher
schedules the next one itself before its deadline.
"""

from __future__ import annotations

from serverless_sweep.core.jsonio import dumps_canonical
from serverless_sweep.handlers.ports import Invoker

DISPATCH_EVENT_KEY = "sweep_dispatch"


def dispatch_event(run_id: str, job: str) -> dict[str, dict[str, str]]:
    """The event of a dispatch job (what `lambda_parent.handler` recognises)."""
    return {DISPATCH_EVENT_KEY: {"run_id": run_id, "job": job}}


class LambdaDispatchScheduler:
    """`DispatchScheduler` that queues the job as an Event invocation of `function_name`."""

    def __init__(self, invoker: Invoker, function_name: str) -> None:
        self.invoker = invoker
        self.function_name = function_name

    def schedule(self, run_id: str, job: str) -> None:
        payload = dumps_canonical(dispatch_event(run_id, job)).encode()
        result = self.invoker.invoke_async(self.function_name, payload)
        if not 200 <= result.status_code < 300:
            raise RuntimeError(
                f"invoking {self.function_name} for dispatch job {job} answered "
                f"status {result.status_code}"
            )
