"""Model registry: names -> model instances, the deployment default, and plug-in models.

Models are looked up by name from requests (`model`) and payloads. The deployment default comes
from `SWEEP_DEFAULT_MODEL` (ride_hailing when unset), so an old client that never names a model
gets the real simulation, while the replay harness pins `legacy_hash`.

Plug-ins (issue 14): a package registers a model under the entry-point group
``serverless_sweep.models`` (``[project.entry-points."serverless_sweep.models"]`` in its
pyproject: ``<model name> = "<module>:<factory>"``, the factory a class or a function returning
a `SimulationModel`). Entry points are read once per process and loaded only when the model is
used, so a broken plug-in cannot stop the built-in models (its error names the entry point).
A built-in name cannot be taken over by a plug-in: the plug-in is ignored, with a warning, so a
stray package never changes what `ride_hailing` computes. `examples/custom_model/` is a complete
plug-in; `serverless_sweep.models.plugin.PackagedModel` reads its schema files.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib.metadata import entry_points

from serverless_sweep.core.errors import did_you_mean
from serverless_sweep.models.base import SimulationModel

DEFAULT_MODEL_ENV = "SWEEP_DEFAULT_MODEL"
BUILTIN_DEFAULT_MODEL = "ride_hailing"
ENTRY_POINT_GROUP = "serverless_sweep.models"

logger = logging.getLogger(__name__)


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

#: The built-in models (plug-ins: `model_names()`).
MODEL_NAMES: tuple[str, ...] = tuple(sorted(_FACTORIES))


@dataclass(frozen=True, slots=True)
class PluginInfo:
    """One installed plug-in model: its name, entry point value and distribution."""

    name: str
    value: str
    distribution: str | None


@cache
def plugins() -> dict[str, PluginInfo]:
    """Plug-in models installed in this environment (read once per process)."""
    found: dict[str, PluginInfo] = {}
    for point in entry_points(group=ENTRY_POINT_GROUP):
        if point.name in _FACTORIES:
            logger.warning(
                "ignoring plug-in model %r (%s): the name belongs to a built-in model",
                point.name,
                point.value,
            )
            continue
        dist = getattr(point, "dist", None)
        found[point.name] = PluginInfo(point.name, point.value, dist.name if dist else None)
    return dict(sorted(found.items()))


def model_names() -> tuple[str, ...]:
    """Every model a request may name: the built-in ones and the installed plug-ins."""
    return tuple(sorted({*MODEL_NAMES, *plugins()}))


class UnknownModel(LookupError):
    """A model name that is neither built in nor installed as a plug-in."""

    def __init__(self, name: object) -> None:
        installed = model_names()
        hint = did_you_mean(name, installed) if isinstance(name, str) else ""
        super().__init__(
            f"unknown model {name!r}; installed models: {', '.join(installed)} (plug-ins are "
            f"installed packages with a {ENTRY_POINT_GROUP!r} entry point){hint}"
        )
        self.name = name


class PluginError(RuntimeError):
    """A plug-in model that could not be loaded; the message names its entry point."""


def _load_plugin(name: str) -> SimulationModel:
    info = plugins()[name]
    (point,) = [p for p in entry_points(group=ENTRY_POINT_GROUP) if p.name == name]
    try:
        factory = point.load()
        model = factory()
    except Exception as exc:
        raise PluginError(
            f"plug-in model {name!r} ({info.value}) could not be loaded: "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    if getattr(model, "name", None) != name:
        raise PluginError(
            f"plug-in model {name!r} ({info.value}) calls itself {getattr(model, 'name', None)!r};"
            " the entry point name and the model's name must be the same"
        )
    return model  # type: ignore[no-any-return]


@cache
def get_model(name: str) -> SimulationModel:
    """The (cached) model instance registered under name."""
    factory = _FACTORIES.get(name)
    if factory is not None:
        return factory()
    if name in plugins():
        return _load_plugin(name)
    raise UnknownModel(name)


def default_model_name(environ: Mapping[str, str] | None = None) -> str:
    """The deployment default model; raise UnknownModel when SWEEP_DEFAULT_MODEL names none."""
    env = os.environ if environ is None else environ
    name = env.get(DEFAULT_MODEL_ENV) or BUILTIN_DEFAULT_MODEL
    if name not in _FACTORIES and name not in plugins():
        raise UnknownModel(name)
    return name
