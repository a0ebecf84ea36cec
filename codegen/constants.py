"""`constants.py`: the values every layer needs from the schemas, importable without pydantic
or pyarrow: the contract version and the model names.

Each has one source, the schemas: the contract version is the `const` of every
`contract_version` property (they must agree), the models are the `models/<model>/` folders
(each with a parameter schema and a column spec, named by the request's `model` enum).
"""

from __future__ import annotations

from typing import Any

from codegen._common import GENERATED_DIR, SchemaFile, by_name, python_header
from codegen.pyformat import py_literal, ruff_format


def _contract_version_consts(node: Any, found: list[str]) -> None:
    if isinstance(node, dict):
        prop = node.get("properties", {}).get("contract_version")
        if isinstance(prop, dict) and "const" in prop:
            found.append(prop["const"])
        for value in node.values():
            _contract_version_consts(value, found)
    elif isinstance(node, list):
        for value in node:
            _contract_version_consts(value, found)


def contract_version(files: list[SchemaFile]) -> str:
    """The one contract version the schemas declare; ValueError naming them when they differ."""
    versions: dict[str, list[str]] = {}
    for f in files:
        found: list[str] = []
        _contract_version_consts(f.document, found)
        for value in found:
            versions.setdefault(str(value), []).append(f.source)
    if len(versions) != 1:
        detail = "; ".join(f"{v!r} in {', '.join(sorted(set(s)))}" for v, s in versions.items())
        raise ValueError(
            "every contract_version const in the schemas must be the same one version, "
            f"found: {detail or 'none'}"
        )
    return next(iter(versions))


def model_names(files: list[SchemaFile]) -> tuple[str, ...]:
    """The models (sorted); ValueError when folders and the request's enum disagree."""
    parts = [f.name.split("/") for f in files]
    with_parameters = sorted(
        p[1] for p in parts if len(p) == 3 and p[::2] == ["models", "parameters"]
    )
    with_columns = sorted(p[1] for p in parts if len(p) == 3 and p[::2] == ["models", "columns"])
    if with_parameters != with_columns:
        raise ValueError(
            f"every schemas/<version>/models/<model>/ needs parameters.json and columns.json: "
            f"parameters for {with_parameters}, columns for {with_columns}"
        )
    request = by_name(files).get("sweep_request")
    enum = request.document.get("properties", {}).get("model", {}).get("enum") if request else None
    if enum is not None and sorted(enum) != with_parameters:
        raise ValueError(
            f"{request.source if request else 'sweep_request'}: the model enum {sorted(enum)} "
            f"must name exactly the models under models/: {with_parameters}"
        )
    return tuple(with_parameters)


def render(files: list[SchemaFile], version: str) -> str:
    code = f'''{python_header(f"schemas/{version}")}
"""Constants of the {version} contracts, from the schemas: the one home of each (the handlers,
the core and the Arrow schemas import them from here, through `serverless_sweep.contracts`)."""

from __future__ import annotations

from typing import Final

CONTRACT_VERSION: Final = {py_literal(contract_version(files))}
"""The `contract_version` every record, payload and response of {version} carries."""

MODELS: Final[tuple[str, ...]] = {py_literal(model_names(files))}
"""The simulation models a request may name (sorted); each has a parameter schema and columns."""
'''
    return ruff_format(code)


def generate(files: list[SchemaFile], version: str) -> dict[str, str]:
    return {f"{GENERATED_DIR}/{version}/constants.py": render(files, version)}
