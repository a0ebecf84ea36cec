"""`PackagedModel`: the base class of a plug-in model that ships its contracts as files (issue 14).

A plug-in package (see `examples/custom_model/`) holds, next to its code, the same documents a
built-in model has under `schemas/v1/models/<model>/`:

* ``parameters.json``: a JSON Schema object whose properties are the sweepable parameters
  (keywords: type, default, minimum, maximum, exclusiveMinimum, enum, description, the subset
  the ride_hailing model checks too), used to vet a request's dimensions and ranges;
* ``columns.json``: its Parquet columns in the column-spec vocabulary
  (`schemas/v1/column_spec.json`), appended to the common shard_metrics columns; the Arrow
  schema and the Athena columns are built from it as codegen builds the built-in ones
  (`serverless_sweep.models.columns`);
* optionally ``presets.json``: named sweep spaces (`serverless_sweep.models.presets`).

The subclass sets `model_name` and `package` and implements `run_point` (and, if it wants more
than a point count, `summarize`); it may set `rules` (`ModelRule`s). Files are read and checked
once, when the registry first builds the model, and a problem raises an error naming the file.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any, ClassVar

from serverless_sweep.core.errors import Violation, did_you_mean, json_pointer
from serverless_sweep.models.base import ModelRule, PointContext
from serverless_sweep.models.columns import column_spec_problems
from serverless_sweep.models.presets import load_package_presets
from serverless_sweep.models.ride_hailing.params import ParamSpec, check_value, spec_from_schema

__all__ = ["PackagedModel", "PluginSchemaError"]

_KEYWORDS = frozenset(
    {"description", "type", "default", "minimum", "maximum", "exclusiveMinimum", "enum"}
)


class PluginSchemaError(RuntimeError):
    """A plug-in's parameters.json or columns.json is unusable; the message names the file."""


class PackagedModel:
    """A model whose parameter schema, column spec and presets are files of its package."""

    model_name: ClassVar[str]
    package: ClassVar[str]
    rules: ClassVar[tuple[ModelRule, ...]] = ()

    def __init__(self) -> None:
        where = f"{self.package} (model {self.model_name!r})"
        self.parameters_schema = self._read("parameters.json")
        self.column_spec = self._read("columns.json")
        problems = column_spec_problems(self.column_spec, self.model_name)
        if problems:
            raise PluginSchemaError(f"{where} columns.json: " + "; ".join(problems))
        properties = self.parameters_schema.get("properties")
        if not isinstance(properties, dict) or not properties:
            raise PluginSchemaError(f"{where} parameters.json needs a non-empty 'properties'")
        self.parameters: dict[str, ParamSpec] = {}
        for name, prop in properties.items():
            unknown = set(prop) - _KEYWORDS if isinstance(prop, dict) else {"<not an object>"}
            if unknown:
                raise PluginSchemaError(
                    f"{where} parameters.json: parameter {name!r} uses keywords the registry "
                    f"does not check: {sorted(unknown)}"
                )
            try:
                self.parameters[name] = spec_from_schema(name, prop)
            except (KeyError, RuntimeError) as exc:
                raise PluginSchemaError(f"{where} parameters.json: {exc}") from None
        self.presets = load_package_presets(self.package)

    def _read(self, filename: str) -> dict[str, Any]:
        try:
            text = resources.files(self.package).joinpath(filename).read_text(encoding="utf-8")
            document = json.loads(text)
        except (FileNotFoundError, ModuleNotFoundError, json.JSONDecodeError) as exc:
            raise PluginSchemaError(
                f"{self.package}/{filename} (model {self.model_name!r}) is missing or not "
                f"JSON: {exc}"
            ) from None
        if not isinstance(document, dict):
            raise PluginSchemaError(f"{self.package}/{filename} must be a JSON object")
        return document

    @property
    def name(self) -> str:
        return self.model_name

    @property
    def parameter_defaults(self) -> dict[str, Any]:
        return {name: spec.default for name, spec in self.parameters.items()}

    def validate_dimensions(self, dimensions: Mapping[str, Sequence[Any]]) -> list[Violation]:
        out: list[Violation] = []
        for name, values in dimensions.items():
            spec = self.parameters.get(name)
            if spec is None:
                out.append(
                    Violation(
                        json_pointer("dimensions", name),
                        "unknown_parameter",
                        f"Dimension '{name}' is not a parameter of model {self.model_name}; "
                        f"allowed names: {', '.join(self.parameters)}"
                        f"{did_you_mean(name, self.parameters)}",
                    )
                )
                continue
            for index, value in enumerate(values):
                pointer = json_pointer("dimensions", name, index)
                problem = check_value(name, spec, value, pointer, label="Dimension")
                if problem is not None:
                    out.append(problem)
        return out

    def point_parameters(self, point: Mapping[str, Any]) -> dict[str, Any]:
        """Every parameter of a point: the swept values, the defaults for the rest."""
        return {name: point.get(name, spec.default) for name, spec in self.parameters.items()}

    def run_point(self, point: Mapping[str, Any], context: PointContext) -> dict[str, Any]:
        raise NotImplementedError(f"{type(self).__name__}.run_point")

    def summarize(self, rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        return {"points_processed": len(rows)}
