"""The generated contracts are imported lazily: only the schema modules a process touches.

Why it matters: building a pydantic model costs about a millisecond per class, and the Lambda
parent's cold-start budget is 0.3 s (issue 8); importing `serverless_sweep.contracts` used to
build every model of every schema.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys

import pytest

import serverless_sweep.contracts as contracts
from codegen.pydantic_models import model_index, render_index
from serverless_sweep.contracts.generated import v1

GENERATED = "serverless_sweep.contracts.generated.v1."


def _fresh(code: str) -> list[str]:
    """Run `code` in a fresh interpreter; the generated model modules it ended up importing
    (`constants`, plain values and no pydantic, is not one of them)."""
    script = (
        f"{code}\nimport json, sys\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.startswith({GENERATED!r}))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    loaded: list[str] = json.loads(result.stdout.splitlines()[-1])
    models = set(v1.MODEL_MODULES.values())
    return [m.removeprefix(GENERATED) for m in loaded if m.removeprefix(GENERATED) in models]


def test_importing_the_contracts_builds_no_model() -> None:
    assert _fresh("import serverless_sweep.contracts") == []


def test_a_model_imports_only_its_own_schema_module() -> None:
    assert _fresh("from serverless_sweep.contracts import SweepRequest") == ["sweep_request"]
    loaded = _fresh("from serverless_sweep.contracts.generated.v1 import ShardRange, RunStatus")
    assert loaded == ["run_manifest", "run_status"]


def test_every_exported_name_resolves_to_the_class_its_module_defines() -> None:
    for name, module in v1.MODEL_MODULES.items():
        defined = getattr(importlib.import_module(GENERATED + module), name)
        assert getattr(v1, name) is defined
        assert getattr(contracts, name) is defined
    # the model classes contracts exports (not its constants, functions or its exception)
    models = [n for n in contracts.__all__ if n[:1].isupper() and not n.isupper()]
    for name in set(models) - {"SchemaNotFoundError"}:
        assert name in v1.MODEL_MODULES, f"contracts exports {name}, which no schema generates"
    assert sorted(v1.__all__) == sorted(v1.MODEL_MODULES)


def test_an_unknown_name_is_an_attribute_error_naming_it() -> None:
    with pytest.raises(AttributeError, match="NoSuchModel"):
        contracts.NoSuchModel  # noqa: B018
    with pytest.raises(AttributeError, match="NoSuchModel"):
        v1.NoSuchModel  # noqa: B018
    with pytest.raises(ImportError):
        exec("from serverless_sweep.contracts import NoSuchModel")


def test_the_index_covers_a_new_schema_and_leaves_out_ambiguous_names() -> None:
    modules = {
        "alpha": "class Alpha(BaseModel):\n    pass\n\n\nclass Shared(BaseModel):\n    pass\n",
        "beta": "class Beta(BaseModel):\n    pass\n\n\nclass Shared(BaseModel):\n    pass\n",
        "gamma": "class _Private:\n    pass\n\n\nclass Gamma(RootModel[int]):\n    pass\n",
    }
    index, clashes = model_index(modules)
    assert index == {"Alpha": "alpha", "Beta": "beta", "Gamma": "gamma"}
    assert clashes == {"Shared": ["alpha", "beta"]}
    text = render_index(modules, "v9")
    assert "# Not indexed, defined by several modules: Shared (alpha, beta)" in text
    assert "from serverless_sweep.contracts.generated.v9.gamma import Gamma" in text
    namespace: dict[str, object] = {"__name__": "x"}
    exec(compile(text, "index", "exec"), namespace)
    assert namespace["MODEL_MODULES"] == index
    assert namespace["__all__"] == ["Alpha", "Beta", "Gamma"]
