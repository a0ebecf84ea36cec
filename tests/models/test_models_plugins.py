"""Plug-in models (issue 14): the registry's entry points, PackagedModel's file checks, and the
runtime column builder that must reproduce codegen's Arrow schemas."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from serverless_sweep.contracts import load_schema
from serverless_sweep.contracts.generated.v1.arrow_schemas import MODELS, shard_metrics_schema
from serverless_sweep.models import registry
from serverless_sweep.models.columns import (
    athena_add_columns,
    column_spec_problems,
    schema_from_spec,
)
from serverless_sweep.models.plugin import PackagedModel, PluginSchemaError


@pytest.mark.parametrize("model", MODELS)
def test_the_runtime_builder_reproduces_the_generated_schema(model: str) -> None:
    built = schema_from_spec(load_schema(f"models/{model}/columns"))
    assert built.equals(shard_metrics_schema(model), check_metadata=True)
    assert column_spec_problems(load_schema(f"models/{model}/columns"), model) == []


def test_the_athena_columns_use_codegens_types_and_comments() -> None:
    ddl = athena_add_columns(load_schema("models/legacy_hash/columns"))
    assert "`completed_rides` bigint COMMENT 'Synthetic completed rides: state % 200 + 10. " in ddl
    assert "`parameters_json` string COMMENT" in ddl


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"dataset": "other"}, "dataset must be the model name"),
        ({"columns": []}, "non-empty list"),
        ({"columns": [{"name": "run_id", "type": "int64", "nullable": True, "description": "x"}]},
         "partition key"),
        ({"columns": [{"name": "point_index", "type": "int64", "nullable": True,
                       "description": "x"}]}, "common shard_metrics column"),
        ({"columns": [{"name": "v", "type": "uint8", "nullable": True, "description": "x"}]},
         "not one of"),
        ({"columns": [{"name": "Bad", "type": "int64", "nullable": True, "description": "x"}]},
         "lower snake case"),
    ],
)  # fmt: skip
def test_bad_column_specs_are_named(change: dict[str, object], problem: str) -> None:
    spec = {"dataset": "m", "description": "d", "columns": [
        {"name": "v", "type": "int64", "nullable": True, "description": "x"}]}  # fmt: skip
    problems = column_spec_problems({**spec, **change}, "m")
    assert any(problem in p for p in problems), problems


@pytest.fixture
def package(tmp_path: Path) -> Iterator[Path]:
    """A throwaway plug-in package `toy_pkg` on sys.path, with valid files."""
    root = tmp_path / "toy_pkg"
    root.mkdir()
    (root / "__init__.py").write_text("")
    (root / "parameters.json").write_text(json.dumps({"type": "object", "properties": {
        "k": {"type": "integer", "minimum": 1, "default": 2}}}))  # fmt: skip
    column = {"name": "k2", "type": "int64", "nullable": False, "description": "k*k"}
    spec = {"dataset": "toy", "description": "d", "columns": [column]}
    (root / "columns.json").write_text(json.dumps(spec))
    sys.path.insert(0, str(tmp_path))
    yield root
    sys.path.remove(str(tmp_path))
    for name in [m for m in sys.modules if m.startswith("toy_pkg")]:
        del sys.modules[name]


class Toy(PackagedModel):
    model_name = "toy"
    package = "toy_pkg"


def test_a_packaged_model_reads_and_checks_its_files(package: Path) -> None:
    model = Toy()
    assert model.parameter_defaults == {"k": 2} and model.presets == {}
    [violation] = model.validate_dimensions({"k": [0, 3]})
    assert (violation.pointer, violation.rule) == ("/dimensions/k/0", "minimum")
    assert model.validate_dimensions({"j": [1]})[0].rule == "unknown_parameter"


def test_a_broken_plugin_file_names_the_file(package: Path) -> None:
    (package / "columns.json").write_text(json.dumps({"dataset": "toy", "columns": [
        {"name": "k2", "type": "decimal", "nullable": False, "description": "x"}]}))  # fmt: skip
    with pytest.raises(PluginSchemaError, match=r"toy_pkg \(model 'toy'\) columns.json: .*decimal"):
        Toy()
    (package / "parameters.json").write_text("{not json")
    with pytest.raises(PluginSchemaError, match=r"toy_pkg/parameters\.json"):
        Toy()


def test_builtin_names_cannot_be_taken_by_plugins_and_unknown_names_say_how_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Point:
        def __init__(self, name: str) -> None:
            self.name, self.value, self.dist = name, f"x:{name}", None

    monkeypatch.setattr(
        registry, "entry_points", lambda group: [Point("ride_hailing"), Point("extra")]
    )
    registry.plugins.cache_clear()
    try:
        assert list(registry.plugins()) == ["extra"]
        assert registry.model_names() == ("extra", "legacy_hash", "ride_hailing")
        with pytest.raises(registry.UnknownModel, match=r"serverless_sweep\.models"):
            registry.get_model("missing")
    finally:
        registry.plugins.cache_clear()


def test_a_plugin_that_fails_to_load_names_its_entry_point(monkeypatch: pytest.MonkeyPatch) -> None:
    class Broken:
        name, value, dist = "broken", "nowhere:Model", None

        def load(self) -> object:
            raise ImportError("No module named 'nowhere'")

    monkeypatch.setattr(registry, "entry_points", lambda group: [Broken()])
    registry.plugins.cache_clear()
    try:
        with pytest.raises(registry.PluginError, match=r"'broken' \(nowhere:Model\).*nowhere"):
            registry._load_plugin("broken")
    finally:
        registry.plugins.cache_clear()


def test_the_common_column_names_match_the_generated_schema() -> None:
    from serverless_sweep.contracts.generated.v1.arrow_schemas import (
        SHARD_METRICS_COMMON_FIELDS,
    )
    from serverless_sweep.models.columns import common_column_names

    assert common_column_names() == tuple(field.name for field in SHARD_METRICS_COMMON_FIELDS)


_WITHOUT_THE_STACK = """
import sys
for name in ("numpy", "pyarrow", "scipy", "h3"):
    sys.modules[name] = None  # as absent as in the parent's Lambda artifact
from serverless_sweep.models.plugin import PackagedModel

class Toy(PackagedModel):
    model_name = "toy"
    package = "toy_pkg"

problems = Toy().validate_dimensions({"k": [0, 3], "nope": [1]})
print(sorted(v.rule for v in problems))
"""


def test_a_packaged_model_is_built_and_validates_without_pyarrow(package: Path) -> None:
    """The parent builds a plug-in's PackagedModel to vet requests, without pyarrow or numpy
    (the column spec's check used to import the generated Arrow schema)."""
    import subprocess

    result = subprocess.run(
        [sys.executable, "-c", _WITHOUT_THE_STACK],
        env={"PYTHONPATH": str(package.parent), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "['minimum', 'unknown_parameter']", result.stdout
