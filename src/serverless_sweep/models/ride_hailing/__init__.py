"""`ride_hailing`: a discrete-event simulation of a Berlin ride-hailing marketplace.

Public API: `RideHailingModel` (the plug-in), `RideHailingParams` (effective parameters of a
point), `simulate(params, seed_sequence) -> RideHailingMetrics`. The modelling rules are in
`sim.py`, the grid in `grid.py`, the parameter table in `params.py`.

`simulate` and `RideHailingMetrics` are imported on first use (module `__getattr__`): the
parent only validates dimensions (`RideHailingModel.validate_dimensions`), and that path must
not import numpy, which the slim parent Lambda artifact does not ship (issue 8).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from serverless_sweep.models.ride_hailing.model import MODEL_NAME, RideHailingModel
from serverless_sweep.models.ride_hailing.params import PARAMETERS, RideHailingParams

if TYPE_CHECKING:
    from serverless_sweep.models.ride_hailing.sim import RideHailingMetrics, simulate

__all__ = [
    "MODEL_NAME",
    "PARAMETERS",
    "RideHailingMetrics",
    "RideHailingModel",
    "RideHailingParams",
    "simulate",
]

_LAZY = frozenset({"RideHailingMetrics", "simulate"})


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from serverless_sweep.models.ride_hailing import sim

        return getattr(sim, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
