"""`ride_hailing`: a discrete-event simulation of a Berlin ride-hailing marketplace.

Public API: `RideHailingModel` (the plug-in), `RideHailingParams` (effective parameters of a
point), `simulate(params, seed_sequence) -> RideHailingMetrics`. The modelling rules are in
`sim.py`, the grid in `grid.py`, the parameter table in `params.py`.
"""

from serverless_sweep.models.ride_hailing.model import MODEL_NAME, RideHailingModel
from serverless_sweep.models.ride_hailing.params import PARAMETERS, RideHailingParams
from serverless_sweep.models.ride_hailing.sim import RideHailingMetrics, simulate

__all__ = [
    "MODEL_NAME",
    "PARAMETERS",
    "RideHailingMetrics",
    "RideHailingModel",
    "RideHailingParams",
    "simulate",
]
