"""Model registry: names -> model instances, and the deployment default.

Models are looked up by name from requests (`model`) and payloads. The deployment default comes
from `SWEEP_DEFAULT_MODEL` (ride_hailing when unset), so an old client that never names a model
gets the real simulation, while the replay harness pins `legacy_hash`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from functools import cache

from serverless_sweep.models.base import SimulationModel

DEFAULT_MODEL_ENV = "SWEEP_DEFAULT_MODEL"
BUILTIN_DEFAULT_MODEL = "ride_hailing"


def _legacy_hash() -> SimulationModel:
    from serverless_sweep.models.legacy_hash import LegacyHashModel

    return LegacyHashModel()


def _ride_hailing() -> SimulationModel:
    from serverless_sweep.models.ride_hailing import RideHailingModel

    return RideHailingModel()


# Factories import lazily: a legacy_hash load test never pays for numpy/scipy/h3 start-up.
_FACTORIES: dict[str, Callable[[], SimulationModel]] = {
    "legacy_hash": _legacy_hash,
    "ride_hailing": _ride_hailing,
}

MODEL_NAMES: tuple[str, ...] = tuple(sorted(_FACTORIES))


class UnknownModel(LookupError):
    """A model name that is not registered."""

    def __init__(self, name: object) -> None:
        super().__init__(f"unknown model {name!r}; known models: {', '.join(MODEL_NAMES)}")
        self.name = name


@cache
def get_model(name: str) -> SimulationModel:
    """The (cached) model instance registered under name."""
    try:
        factory = _FACTORIES[name]
    except KeyError:
        raise UnknownModel(name) from None
    return factory()


def default_model_name(environ: Mapping[str, str] | None = None) -> str:
    """The deployment default model; raise UnknownModel when SWEEP_DEFAULT_MODEL names none."""
    env = os.environ if environ is None else environ
    name = env.get(DEFAULT_MODEL_ENV) or BUILTIN_DEFAULT_MODEL
    if name not in _FACTORIES:
        raise UnknownModel(name)
    return name
