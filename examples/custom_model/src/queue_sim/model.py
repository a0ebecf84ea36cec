"""The queue_sim model: FCFS multi-server queue with abandonment, one point per call.

It subclasses `PackagedModel`, which reads parameters.json, columns.json and presets.json from
this package and vets requests against them; this module only simulates. numpy is imported in
`run_point`, not at the top: the parent (whose Lambda artifact has no numpy) loads the model to
vet requests, and only children simulate.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from typing import Any

from serverless_sweep.models.base import PointContext
from serverless_sweep.models.plugin import PackagedModel


class QueueModel(PackagedModel):
    model_name = "queue_sim"
    package = "queue_sim"

    def run_point(self, point: Mapping[str, Any], context: PointContext) -> dict[str, Any]:
        import numpy as np

        from serverless_sweep.core.seeding import point_rng

        p = self.point_parameters(point)
        # The point's own stream: same numbers whatever the shard layout (core.seeding).
        rng = point_rng(context.seed, context.point_index)
        n, servers = int(p["callers"]), int(p["servers"])
        arrivals = np.cumsum(rng.exponential(1.0 / float(p["arrival_rate"]), n))
        services = rng.exponential(float(p["service_minutes"]), n)
        free = [0.0] * servers  # when each agent is next free (a heap)
        waits: list[float] = []
        busy = 0.0
        for arrival, service in zip(arrivals.tolist(), services.tolist(), strict=True):
            start = max(arrival, free[0])
            if start - arrival > p["patience_minutes"]:
                continue  # hangs up; FCFS means later callers are not affected
            heapq.heapreplace(free, start + service)
            waits.append(start - arrival)
            busy += service
        elapsed = max(max(free), float(arrivals[-1]))
        served = np.asarray(waits) if waits else np.zeros(1)
        return {
            "arrival_rate": float(p["arrival_rate"]),
            "service_minutes": float(p["service_minutes"]),
            "servers": servers,
            "callers": n,
            "patience_minutes": float(p["patience_minutes"]),
            "callers_served": len(waits),
            "callers_abandoned": n - len(waits),
            "mean_wait_minutes": float(served.mean()),
            "p95_wait_minutes": float(np.quantile(served, 0.95)),
            "utilization": busy / (servers * elapsed),
        }

    def summarize(self, rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        return {
            "points_processed": len(rows),
            "callers_served": sum(int(r["callers_served"]) for r in rows),
            "callers_abandoned": sum(int(r["callers_abandoned"]) for r in rows),
        }
