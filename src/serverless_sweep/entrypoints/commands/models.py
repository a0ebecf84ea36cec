"""`sweep models [NAME]`: the models a request may name, built in or installed as plug-ins.

Why a command: plug-in models (issue 14) come from whatever packages are installed, so "which
models, parameters, columns and presets does this environment have" has to be answered by the
environment itself, not by the docs. The same registry answers the parent, so a model listed
here is one a request can name.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from typing import Any

from serverless_sweep.contracts import load_schema
from serverless_sweep.core.errors import ValidationError
from serverless_sweep.core.validation import normalize_request
from serverless_sweep.entrypoints.console.exit_codes import EXIT_USAGE
from serverless_sweep.entrypoints.console.output import emit
from serverless_sweep.entrypoints.console.tables import dumps_json
from serverless_sweep.models.columns import athena_add_columns
from serverless_sweep.models.constraints import apply_model_rules
from serverless_sweep.models.presets import model_presets
from serverless_sweep.models.registry import (
    ENTRY_POINT_GROUP,
    MODEL_NAMES,
    PluginError,
    get_model,
    model_names,
    plugins,
)

DESCRIPTION = f"""\
List the simulation models this environment can run: the built-in ones and the plug-ins,
installed packages with a {ENTRY_POINT_GROUP!r} entry point (examples/custom_model/ is one).
With a NAME: its parameters (type, default), its Parquet columns and its presets.
"""

EPILOG = """\
examples:
  sweep models                       # one line per model: where it comes from, its presets
  sweep models ride_hailing          # parameters, columns and presets of one model
  sweep models queue_sim --athena-ddl  # the DDL that adds a plug-in's columns to Athena
  sweep models --json
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "models",
        help="list the models (built-in and plug-ins), their parameters, columns, presets",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("name", nargs="?", metavar="NAME", help="show one model in detail")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.add_argument(
        "--athena-ddl",
        action="store_true",
        help="print the ALTER TABLE that adds the model's columns to Athena's shard_metrics",
    )
    parser.set_defaults(func=run)


def _documents(name: str, model: object) -> tuple[dict[str, Any], dict[str, Any]]:
    """(parameter schema, column spec): schemas/v1 for built-ins, the package's for plug-ins."""
    if name in MODEL_NAMES:
        return load_schema(f"models/{name}/parameters"), load_schema(f"models/{name}/columns")
    return dict(getattr(model, "parameters_schema", {})), dict(getattr(model, "column_spec", {}))


def _preset_points(model: object, preset: Mapping[str, Any]) -> int | None:
    """Points of the preset as the parent would count them (its rules included)."""
    request = {k: v for k, v in preset.items() if k != "description"}
    try:
        normalized = normalize_request({"run_id": "preset", "shard_count": 1, **request})
        return int(apply_model_rules(normalized, model)["total_points"])
    except ValidationError:  # a preset the parent would refuse: shown without a count
        return None


def describe(name: str) -> dict[str, Any]:
    """Everything `sweep models NAME` shows, as data."""
    model = get_model(name)
    parameters, columns = _documents(name, model)
    info = plugins().get(name)
    presets = model_presets(model)
    return {
        "name": name,
        "source": "built-in"
        if info is None
        else f"plug-in {info.value} ({info.distribution or 'unknown distribution'})",
        "parameters": {
            key: {"type": prop.get("type"), "default": prop.get("default")}
            for key, prop in (parameters.get("properties") or {}).items()
        },
        "open_parameters": parameters.get("additionalProperties") is True,
        "columns": [{"name": c["name"], "type": c["type"]} for c in columns.get("columns", [])],
        "presets": {
            key: {
                "description": preset.get("description", ""),
                "points": _preset_points(model, preset),
            }
            for key, preset in presets.items()
        },
    }


def _summary_line(entry: Mapping[str, Any]) -> str:
    presets = ", ".join(entry["presets"]) or "no presets"
    params = (
        "any parameters" if entry["open_parameters"] else f"{len(entry['parameters'])} parameters"
    )
    return (
        f"{entry['name']:<14} {entry['source']}; {params}, {len(entry['columns'])} columns; "
        f"presets: {presets}"
    )


def _detail_lines(entry: Mapping[str, Any]) -> list[str]:
    lines = [f"{entry['name']}: {entry['source']}", "parameters:"]
    if entry["open_parameters"] and not entry["parameters"]:
        lines.append("  any name, any JSON value")
    for key, spec in entry["parameters"].items():
        lines.append(f"  {key:<28} {spec['type']!s:<20} default {spec['default']!r}")
    lines.append("columns (after the common shard_metrics columns):")
    lines += [f"  {c['name']:<28} {c['type']}" for c in entry["columns"]]
    lines.append("presets (sweep run --preset NAME):" if entry["presets"] else "presets: none")
    for key, preset in entry["presets"].items():
        points = "?" if preset["points"] is None else preset["points"]
        lines.append(f"  {key:<20} {points:>6} points  {preset['description']}")
    return lines


def run(args: argparse.Namespace) -> int:
    names = model_names()
    if args.name is not None and args.name not in names:
        print(
            f"sweep models: unknown model {args.name!r}; known: {', '.join(names)}", file=sys.stderr
        )
        return EXIT_USAGE
    try:
        if args.athena_ddl:
            if args.name is None:
                print("sweep models: --athena-ddl needs a model NAME", file=sys.stderr)
                return EXIT_USAGE
            if args.name in MODEL_NAMES:
                emit(f"-- {args.name} is built in: its columns are in infra/athena/ddl already")
                return 0
            spec = getattr(get_model(args.name), "column_spec", None)
            if not isinstance(spec, Mapping):
                print(f"sweep models: {args.name} ships no column spec", file=sys.stderr)
                return 1
            emit(athena_add_columns(spec).rstrip())
            return 0
        entries = [describe(n) for n in ([args.name] if args.name else names)]
    except PluginError as exc:
        print(f"sweep models: {exc}", file=sys.stderr)
        return 1
    if args.json:
        emit(dumps_json(entries[0] if args.name else entries))
    elif args.name:
        emit("\n".join(_detail_lines(entries[0])))
    else:
        emit("\n".join(_summary_line(e) for e in entries))
    return 0
