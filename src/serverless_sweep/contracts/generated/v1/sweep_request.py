# GENERATED FILE - DO NOT EDIT.
# Source: schemas/v1/sweep_request.json
# Regenerate with `make codegen` (python -m codegen); `make codegen-check` fails when this file is stale.

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from typing_extensions import TypeAliasType

DimensionsAdditionalProperty = TypeAliasType(
    "DimensionsAdditionalProperty", Annotated[list[Any], Field(max_length=10000, min_length=1)]
)


FailureInjectionShard = TypeAliasType(
    "FailureInjectionShard", Annotated[int, Field(ge=0, le=9223372036854775807)]
)


class Sampling(BaseModel):
    """
    How the points are chosen. Absent or method grid: the Cartesian product of the dimensions (the v1 behaviour). random, latin_hypercube or sobol: `count` points sampled over the `ranges` (continuous or integer parameters), crossed with the product of the listed dimensions, so there are (kept grid points) x count points. Point i is a pure function of the request and i (any shard decodes its own points; results do not depend on the shard layout). Part of the fingerprint.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    method: Annotated[
        Literal["grid", "random", "latin_hypercube", "sobol"],
        Field(
            description="grid (default): the product of the dimensions; random: seeded uniform draws (drawn without replacement when every range is an integer range); latin_hypercube: one point per stratum of every range; sobol: the Sobol low-discrepancy sequence (Joe-Kuo direction numbers, a seeded digital shift), at most 64 ranges."
        ),
    ] = "grid"
    count: Annotated[
        int | None,
        Field(
            description="Number of sampled points (random, latin_hypercube, sobol; required there, not allowed with grid). (kept grid points) x count is at most 200000 (rule max_points).",
            ge=1,
            le=200000,
        ),
    ] = None
    seed: Annotated[
        int | None,
        Field(
            description="Seed of the sample (signed 64-bit). Absent: the request's seed. The simulation's own random streams still derive from (request seed, point index).",
            ge=-9223372036854775808,
            le=9223372036854775807,
        ),
    ] = None


class ParameterRange(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    min: Annotated[float, Field(description="Lower bound (inclusive).")]
    max: Annotated[
        float,
        Field(
            description="Upper bound (inclusive for integer ranges; floats lie in [min, max]). Greater than min."
        ),
    ]
    log: Annotated[
        bool,
        Field(
            description="Sample uniformly in log space (min > 0): for rates and sizes spanning orders of magnitude."
        ),
    ] = False
    integer: Annotated[
        bool,
        Field(
            description="Integer values min..max (both integers), each equally likely (in log space when log is true)."
        ),
    ] = False


class SweepRequest(BaseModel):
    """
    A request to run a parameter sweep. Unknown top-level fields are accepted (the old contract ignored them) and answered with a warning in the response's warnings list naming the closest known field. Integer fields reject numbers written with a fraction (1.0) although JSON Schema counts them as integers: the Cartesian product of the dimensions, split into shards that run in parallel. Limits that this released (v1) schema does not express as keywords are enforced by the parent and answered with a 400 naming the field (pointer), the rule and the limit: at most 200000 points in the product (rule max_points), and the size limits stated on run_id, dimensions and failure_injection_shards (rules max_length, max_properties, max_depth, max_bytes, max_items). At least one of shard_count and shard_size must be given (non-null); the parent answers 400 'Either shard_count or shard_size is required' otherwise.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    run_id: Annotated[
        str,
        Field(
            description="Caller-chosen run name, unique per sweep. Surrounding whitespace is stripped (Python str.strip). Any other character is allowed; storage keys percent-encode it. At most 1024 characters after stripping (rule max_length, enforced by the parent).",
            examples=["pricing-2026-11", "surge/berlin=v2"],
            min_length=1,
            pattern="\\S",
        ),
    ]
    dimensions: Annotated[
        dict[
            Annotated[str, StringConstraints(pattern=r"\S", min_length=1)],
            DimensionsAdditionalProperty,
        ],
        Field(
            description="Parameter name -> the list of values to sweep. Names are sorted by code point before enumeration; the last name varies fastest. Each list holds 1 to 10000 values; the selected model's parameter schema restricts names and values. Limits enforced by the parent (a 400 naming the pointer and the rule): at most 64 dimensions (max_properties); names of at most 256 characters (max_length); each value nested at most 32 arrays/objects deep (max_depth; a scalar is 0, [1] is 1); strings inside values, object keys included, of at most 4096 characters (max_length); all dimensions together at most 2097152 bytes as compact JSON (max_bytes).",
            examples=[{"commission_rate": [0.1, 0.2], "num_drivers": [100, 200, 300]}],
        ),
    ]
    shard_count: Annotated[
        int | None,
        Field(
            description="Number of shards (capped at the number of points). Wins over shard_size when both are given. null counts as absent. Write it without a fraction or exponent: JSON Schema counts 1.0 as an integer, but the parent rejects 1.0 or 1e3 here with a 400, as the old runtime did (its check saw a float; clients rely on that answer), and because a number written that way may already have lost precision in a JSON parser (above 2^53) where a count or seed must be exact.",
            examples=[4],
            ge=1,
            le=9223372036854775807,
        ),
    ] = None
    shard_size: Annotated[
        int | None,
        Field(
            description="Target points per shard; shards are balanced, so 10 points at size 4 give 4, 3, 3. Ignored when shard_count is given. null counts as absent. Write it without a fraction or exponent: JSON Schema counts 1.0 as an integer, but the parent rejects 1.0 or 1e3 here with a 400, as the old runtime did (its check saw a float; clients rely on that answer), and because a number written that way may already have lost precision in a JSON parser (above 2^53) where a count or seed must be exact.",
            examples=[25],
            ge=1,
            le=9223372036854775807,
        ),
    ] = None
    max_shards: Annotated[
        int,
        Field(
            description="Refuse the request when the plan needs more shards than this. Write it without a fraction or exponent: JSON Schema counts 1.0 as an integer, but the parent rejects 1.0 or 1e3 here with a 400, as the old runtime did (its check saw a float; clients rely on that answer), and because a number written that way may already have lost precision in a JSON parser (above 2^53) where a count or seed must be exact.",
            examples=[1000],
            ge=1,
            le=9223372036854775807,
        ),
    ] = 1000
    seed: Annotated[
        int,
        Field(
            description="Root seed of the sweep; every point's random streams derive from (seed, point index) only. A signed 64-bit integer. Write it without a fraction or exponent: JSON Schema counts 1.0 as an integer, but the parent rejects 1.0 or 1e3 here with a 400, as the old runtime did (its check saw a float; clients rely on that answer), and because a number written that way may already have lost precision in a JSON parser (above 2^53) where a count or seed must be exact.",
            examples=[7],
            ge=-9223372036854775808,
            le=9223372036854775807,
        ),
    ] = 0
    failure_injection_shards: Annotated[
        list[FailureInjectionShard],
        Field(
            description="Shard ids that fail on purpose (recorded as error_kind 'injected'); for verifying failure handling end to end. Deduplicated and sorted. At most 1000 entries (rule max_items, enforced by the parent): every shard payload carries the list, and Lambda limits an async payload to 256 KiB.",
            examples=[[1]],
        ),
    ] = []
    model: Annotated[
        str | None,
        Field(
            description="Simulation model to run at every point: a built-in one (ride_hailing, legacy_hash) or one installed through the Python entry-point group serverless_sweep.models (`sweep models` lists them; the parent answers 400 naming the installed models otherwise). Absent: the deployment default (SWEEP_DEFAULT_MODEL, itself defaulting to ride_hailing).",
            examples=["ride_hailing"],
        ),
    ] = None
    tolerated_failure_percentage: Annotated[
        float,
        Field(
            description="Share of shards (0-100) that may fail while the run still counts as succeeded, as in Step Functions Distributed Map's ToleratedFailurePercentage.",
            examples=[5],
            ge=0.0,
            le=100.0,
        ),
    ] = 0
    max_concurrency: Annotated[
        int,
        Field(
            description="Most shards of this run in flight at once (dispatched and not yet finished), as in Step Functions Distributed Map's MaxConcurrency. 0 or absent: no per-run cap (the deployment's dispatch concurrency and the child function's reserved concurrency still apply). Not part of the fingerprint: it changes how fast a sweep runs, not what it computes. Write it without a fraction or exponent: JSON Schema counts 1.0 as an integer, but the parent rejects 1.0 or 1e3 here with a 400, as the old runtime did (its check saw a float; clients rely on that answer), and because a number written that way may already have lost precision in a JSON parser (above 2^53) where a count or seed must be exact.",
            examples=[50],
            ge=0,
        ),
    ] = 0
    sampling: Annotated[
        Sampling | None,
        Field(
            description="How the points are chosen. Absent or method grid: the Cartesian product of the dimensions (the v1 behaviour). random, latin_hypercube or sobol: `count` points sampled over the `ranges` (continuous or integer parameters), crossed with the product of the listed dimensions, so there are (kept grid points) x count points. Point i is a pure function of the request and i (any shard decodes its own points; results do not depend on the shard layout). Part of the fingerprint.",
            examples=[{"method": "sobol", "count": 64, "seed": 7}],
        ),
    ] = None
    ranges: Annotated[
        dict[Annotated[str, StringConstraints(pattern=r"\S", min_length=1)], ParameterRange] | None,
        Field(
            description="Parameter name -> an interval to sample (with sampling methods random, latin_hypercube, sobol; not with grid). A name is either a dimension or a range, never both. The model's parameter schema checks the bounds like dimension values. At most 64 ranges.",
            examples=[
                {
                    "commission_rate": {"min": 0.05, "max": 0.3},
                    "num_drivers": {"min": 50, "max": 800, "log": True, "integer": True},
                }
            ],
        ),
    ] = None
    exclude: Annotated[
        list[dict[str, Any]] | None,
        Field(
            description="Partial points to skip: each entry maps some listed dimensions to one of their values, and every point matching all of an entry's names is skipped. Points are numbered 0..total_points-1 without gaps over the kept points, and the count is known before dispatch; the response's excluded_points says how many were skipped (the model's own rules, such as ride_hailing's 'hungarian needs batch matching', are added to these). Names must be listed dimensions (not ranges); values must be among the dimension's values. At most 1000 entries (rule max_items, enforced by the parent).",
            examples=[[{"matching_algorithm_type": "simple", "surge_enabled": True}]],
        ),
    ] = None
    preset: Annotated[
        str | None,
        Field(
            description="Name of a sweep space shipped with the model (`sweep models` lists them; ride_hailing: comprehensive, pricing_focused, surge_pricing, matching_focused, supply_demand, minimal). Its dimensions, ranges, sampling and exclude are used where the request gives none; request dimensions and ranges add to or override the preset's by name. `dimensions` stays required by v1: send {} to take the preset's.",
            examples=["pricing_focused"],
            min_length=1,
        ),
    ] = None
    outputs: Annotated[
        list[Literal["trips", "snapshots"]],
        Field(
            description="Per-point detail datasets to write beside shard_metrics (issue 11): `trips` writes dataset=trip_data (one row per rider request of every point: outcome, fare, surge, waits, trip duration), `snapshots` writes dataset=snapshot_counts (riders browsing, waiting, in transit, drivers idle, en route, on trip... every 60 simulated seconds of every point). Absent or empty: none (the v1 behaviour, no cost). Only models that can produce them accept them (ride_hailing; legacy_hash and plug-ins answer 400 at /outputs). Part of the fingerprint when non-empty (it changes what a run writes); an absent or empty list fingerprints exactly as before. Duplicates are dropped and the list sorted.",
            examples=[["trips", "snapshots"]],
        ),
    ] = []
