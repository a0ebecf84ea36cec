"""DuckDB over a local store: the Athena tables, on this machine.

A local store has the cloud's exact Hive layout (docs/ARCHITECTURE.md), so the same SQL answers
the same questions in both places. `open_duckdb` opens an in-memory DuckDB database with one
view per dataset:

=================  ==========================================================================
view               rows
=================  ==========================================================================
``shard_metrics``  one per computed point: the common columns, then every model's columns
                   (`SHARD_METRICS_UNION_SCHEMA`; another model's columns are NULL)
``shard_errors``   one per failed shard attempt (`SHARD_ERRORS_SCHEMA`)
``shard_outcomes`` one per outcome envelope (success: one per shard; failure: one per failed
                   attempt), with the Athena table's columns (the envelope's own ``status``,
                   ``run_id`` and ``run_date`` fields are ``envelope_status`` and so on)
``runs``           one per accepted run: its manifest (``request`` is JSON, ``shards`` a list)
``run_metrics``    one per point of a compacted run (handlers/compaction.py): the shard_metrics
                   columns, read from a few files per run instead of one per shard; a run
                   appears here once its last shard committed (or `sweep compact` ran)
``trip_data``      one per rider request of a point of a run that asked for
                   ``"outputs": ["trips"]`` (`TRIP_DATA_SCHEMA`, issue 11)
``snapshot_counts`` one per snapshot (every 60 simulated seconds) of a point of a run that
                   asked for ``"outputs": ["snapshots"]`` (`SNAPSHOT_COUNTS_SCHEMA`)
=================  ==========================================================================

Every view ends with the partition columns ``dataset VARCHAR``, ``run_date DATE``,
``run_id VARCHAR`` and ``status VARCHAR``. Unlike Athena, whose ``run_id`` partition holds the
folder text (the percent-encoded id of `core.keys.encode_run_id`), DuckDB percent-decodes
partition values, so here ``run_id`` is the run id as submitted: run ``surge/berlin=v2`` is
``WHERE run_id = 'surge/berlin=v2'`` locally and ``WHERE run_id = 'surge%2Fberlin%3Dv2'`` on
Athena. `render_query` fills the shared query templates accordingly. Ids made only of ASCII
letters, digits, ``-``, ``_`` and ``.`` are the same in both.

A view over a dataset with no files yet is an empty relation with the right column names and
types (from the generated Arrow schemas), so queries never fail on a fresh store.

Only committed, intact files are read (`handlers.verify.scan_store`): ``shard_metrics`` reads
the files that success envelopes commit (never an orphan of a failed commit or an earlier
attempt), checked against the size and SHA-256 each envelope recorded, so a query counts exactly
the points `sweep status` counts; a damaged file (truncated, corrupt, not JSON) is left out
with a warning naming it and its run, and never breaks a query about anything else. The file
lists are taken when the views are created: call `create_views` again to see later results.

DuckDB is an optional dependency (the ``local`` extra): it is imported when a connection is
opened, never at module import, so the Lambda package does not need it.
"""

from __future__ import annotations

import logging
import math
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

import pyarrow as pa

from serverless_sweep.adapters.local.runtime import LOCAL_PREFIX
from serverless_sweep.adapters.local.store import LocalObjectStore
from serverless_sweep.contracts.generated.v1.arrow_schemas import (
    DATASET_SCHEMAS,
    MODEL_FIELDS,
    SHARD_ERRORS_SCHEMA,
    SHARD_METRICS_UNION_SCHEMA,
)
from serverless_sweep.core.keys import (
    DATASET_RUNS,
    DATASET_SHARD_ERRORS,
    DATASET_SHARD_METRICS,
    DATASET_SHARD_OUTCOMES,
    DETAIL_DATASETS,
    StorageLayout,
    encode_run_id,
)
from serverless_sweep.handlers.compaction import (
    DATASET_RUN_METRICS,
    CompactionRecord,
    committed_record,
    intact_parts,
)
from serverless_sweep.handlers.ports import ObjectStore, StoreError
from serverless_sweep.handlers.runs import RunRecord
from serverless_sweep.handlers.verify import scan_store

if TYPE_CHECKING:
    import duckdb

__all__ = [
    "HEALTH_TERMS",
    "PARTITION_COLUMNS",
    "VIEW_NAMES",
    "AnalyticsUnavailable",
    "HealthTerm",
    "compacted_files",
    "create_views",
    "fetch_dicts",
    "health_score_sql",
    "health_scores",
    "health_terms",
    "open_duckdb",
    "open_run_duckdb",
    "ranked_points",
    "render_query",
    "run_compaction",
    "sql_string",
    "template_placeholders",
    "view_columns",
]

VIEW_NAMES: Final[tuple[str, ...]] = (
    DATASET_SHARD_METRICS,
    DATASET_SHARD_ERRORS,
    DATASET_SHARD_OUTCOMES,
    DATASET_RUNS,
    DATASET_RUN_METRICS,
    *DETAIL_DATASETS,
)

PARTITION_COLUMNS: Final[tuple[tuple[str, str], ...]] = (
    ("dataset", "VARCHAR"),
    ("run_date", "DATE"),
    ("run_id", "VARCHAR"),
    ("status", "VARCHAR"),
)
"""Partition columns of every view, with their DuckDB types (``run_id`` decoded, see above)."""

_HIVE_TYPES: Final = "{" + ", ".join(f"'{n}': '{t}'" for n, t in PARTITION_COLUMNS) + "}"

# The shard_outcomes view mirrors infra/athena/ddl/shard_outcomes.sql: (view column, JSON field,
# DuckDB type). `metrics` is a MAP of text, as in Athena, because each model has its own keys.
_OUTCOME_COLUMNS: Final[tuple[tuple[str, str, str], ...]] = (
    ("record_schema", "record_schema", "VARCHAR"),
    ("contract_version", "contract_version", "VARCHAR"),
    ("envelope_status", "status", "VARCHAR"),
    ("envelope_run_id", "run_id", "VARCHAR"),
    ("shard_id", "shard_id", "BIGINT"),
    ("start_index", "start_index", "BIGINT"),
    ("end_index", "end_index", "BIGINT"),
    ("event_time", "event_time", "VARCHAR"),
    (
        "output_metadata",
        "output_metadata",
        "STRUCT(format VARCHAR, points_processed BIGINT, result_key VARCHAR, "
        "metrics_key VARCHAR, metrics_size BIGINT, metrics_sha256 VARCHAR, "
        "summary STRUCT(run_id VARCHAR, shard_id BIGINT, "
        "start_index BIGINT, end_index BIGINT, metrics MAP(VARCHAR, VARCHAR)), "
        "detail_files STRUCT(dataset VARCHAR, key VARCHAR, size BIGINT, sha256 VARCHAR, "
        "rows BIGINT)[])",
    ),
    ("attempt", "attempt", "BIGINT"),
    ("envelope_run_date", "run_date", "VARCHAR"),
    ("model", "model", "VARCHAR"),
    ("fingerprint", "fingerprint", "VARCHAR"),
    ("duration_ms", "duration_ms", "DOUBLE"),
    ("started_at", "started_at", "VARCHAR"),
    ("ended_at", "ended_at", "VARCHAR"),
    ("memory_mb", "memory_mb", "BIGINT"),
    ("cold_start", "cold_start", "BOOLEAN"),
    ("instance_id", "instance_id", "VARCHAR"),
    ("runtime_version", "runtime_version", "VARCHAR"),
    ("error_code", "error_code", "VARCHAR"),
    ("error_message", "error_message", "VARCHAR"),
    ("error_kind", "error_kind", "VARCHAR"),
    ("attempt_id", "attempt_id", "VARCHAR"),
    ("errors_key", "errors_key", "VARCHAR"),
    ("errors_size", "errors_size", "BIGINT"),
    ("errors_sha256", "errors_sha256", "VARCHAR"),
)

# The runs view: the manifest fields (schemas/v1/run_manifest.json).
_RUN_COLUMNS: Final[tuple[tuple[str, str], ...]] = (
    ("contract_version", "VARCHAR"),
    ("run_id", "VARCHAR"),
    ("run_date", "VARCHAR"),
    ("accepted_at", "VARCHAR"),
    ("fingerprint", "VARCHAR"),
    ("model", "VARCHAR"),
    ("request", "JSON"),
    ("total_points", "BIGINT"),
    ("shards", "STRUCT(shard_id BIGINT, start_index BIGINT, end_index BIGINT)[]"),
)


logger = logging.getLogger(__name__)


class AnalyticsUnavailable(RuntimeError):
    """DuckDB is not installed (it comes with the ``local`` extra)."""


def _duckdb() -> Any:
    try:
        import duckdb
    except ImportError as exc:  # pragma: no cover - the dev environment has it
        raise AnalyticsUnavailable(
            "DuckDB is not installed; install the local extra: "
            "pip install 'serverless-sweep[local]'"
        ) from exc
    return duckdb


# -- SQL text helpers ---------------------------------------------------------------------------


def sql_string(value: str) -> str:
    """The text of a SQL string literal's content: single quotes doubled (no surrounding quotes)."""
    return value.replace("'", "''")


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _arrow_to_sql(data_type: pa.DataType) -> str:
    """DuckDB type of a column spec type (the vocabulary of schemas/v1/column_spec.json)."""
    if pa.types.is_int64(data_type):
        return "BIGINT"
    if pa.types.is_int32(data_type):
        return "INTEGER"
    if pa.types.is_float64(data_type):
        return "DOUBLE"
    if pa.types.is_boolean(data_type):
        return "BOOLEAN"
    if pa.types.is_string(data_type) or pa.types.is_large_string(data_type):
        return "VARCHAR"
    if pa.types.is_timestamp(data_type):
        return "TIMESTAMP" if data_type.tz is None else "TIMESTAMP WITH TIME ZONE"
    raise TypeError(f"no DuckDB type for Arrow type {data_type}")  # a new column_spec type


def _typed_empty(columns: Sequence[tuple[str, str]]) -> str:
    """A zero-row SELECT with these column names and types (the shape of an empty dataset)."""
    items = ", ".join(f"CAST(NULL AS {t}) AS {_quote_ident(n)}" for n, t in columns)
    return f"SELECT {items} WHERE false"


def _schema_columns(schema: pa.Schema) -> list[tuple[str, str]]:
    return [(field.name, _arrow_to_sql(field.type)) for field in schema]


# -- views --------------------------------------------------------------------------------------


def _file_list(root: Path, keys: Sequence[str]) -> str:
    """A DuckDB list literal of the files of `keys` (store keys are '/'-separated paths)."""
    return "[" + ", ".join(f"'{sql_string((root / key).as_posix())}'" for key in keys) + "]"


def _parquet_view(root: Path, keys: Sequence[str], schema: pa.Schema) -> str:
    columns = [*_schema_columns(schema), *PARTITION_COLUMNS]
    empty = _typed_empty(columns)
    if not keys:
        return empty
    # The empty typed relation first: UNION ALL BY NAME keeps its column order and types and
    # adds NULL for the columns a run's files lack (a legacy_hash run has no ride_hailing
    # columns), so a query never depends on which models have run.
    return (
        f"SELECT * FROM ({empty}) UNION ALL BY NAME SELECT * FROM read_parquet("
        f"{_file_list(root, keys)}, hive_partitioning = true, union_by_name = true, "
        f"hive_types = {_HIVE_TYPES})"
    )


def _partitions_from_filename(dataset_sql: str) -> str:
    """Partition columns parsed from the file path (the JSON envelopes carry fields of the same
    names, which hive_partitioning would silently replace)."""

    def part(key: str) -> str:
        return f"regexp_extract(filename, '/{key}=([^/]*)/', 1)"

    return (
        f"{dataset_sql} AS dataset, CAST({part('run_date')} AS DATE) AS run_date, "
        f"url_decode({part('run_id')}) AS run_id, {part('status')} AS status"
    )


def _outcomes_view(root: Path, keys: Sequence[str]) -> str:
    columns = [(name, sql_type) for name, _, sql_type in _OUTCOME_COLUMNS]
    empty = _typed_empty([*columns, *PARTITION_COLUMNS])
    if not keys:
        return empty
    json_columns = ", ".join(f"'{field}': '{t}'" for _, field, t in _OUTCOME_COLUMNS)
    select = ", ".join(
        f"{_quote_ident(field)} AS {_quote_ident(name)}" for name, field, _ in _OUTCOME_COLUMNS
    )
    return (
        f"SELECT {select}, {_partitions_from_filename(repr(DATASET_SHARD_OUTCOMES))} "
        f"FROM read_json({_file_list(root, keys)}, format = 'auto', hive_partitioning = false, "
        f"filename = true, columns = {{{json_columns}}})"
    )


def _runs_view(root: Path, keys: Sequence[str]) -> str:
    columns = [(n, t) for n, t in _RUN_COLUMNS if n not in ("run_id", "run_date")]
    empty = _typed_empty([*columns, ("shard_count", "BIGINT"), *PARTITION_COLUMNS])
    if not keys:
        return empty
    json_columns = ", ".join(f"'{n}': '{t}'" for n, t in _RUN_COLUMNS)
    select = ", ".join(_quote_ident(n) for n, _ in columns)
    # run_id and run_date come from the manifest (the id as submitted, the date as a DATE).
    return (
        f"SELECT {select}, CAST(len(shards) AS BIGINT) AS shard_count, "
        f"'{DATASET_RUNS}' AS dataset, CAST(run_date AS DATE) AS run_date, run_id, "
        f"regexp_extract(filename, '/status=([^/]*)/', 1) AS status "
        f"FROM read_json({_file_list(root, keys)}, format = 'auto', hive_partitioning = false, "
        f"filename = true, columns = {{{json_columns}}})"
    )


def create_views(con: duckdb.DuckDBPyConnection, store_root: Path | str) -> list[str]:
    """(Re)create the views over the store at `store_root` (see the module docstring).

    Returns one warning per file left out (damaged, or a success whose commit is damaged),
    naming the file and its run and saying what to do.
    """
    root = Path(store_root).resolve()
    store, layout = LocalObjectStore(root), StorageLayout(LOCAL_PREFIX)
    scan = scan_store(store, layout)
    compacted, compaction_warnings = compacted_files(store, layout)
    definitions = {
        DATASET_SHARD_METRICS: _parquet_view(root, scan.metrics, SHARD_METRICS_UNION_SCHEMA),
        DATASET_SHARD_ERRORS: _parquet_view(root, scan.errors, SHARD_ERRORS_SCHEMA),
        DATASET_SHARD_OUTCOMES: _outcomes_view(root, scan.outcomes),
        DATASET_RUNS: _runs_view(root, scan.manifests),
        DATASET_RUN_METRICS: _parquet_view(root, compacted, SHARD_METRICS_UNION_SCHEMA),
    }
    for dataset in DETAIL_DATASETS:  # issue 11: files the success envelopes commit
        keys = scan.details.get(dataset, [])
        definitions[dataset] = _parquet_view(root, keys, DATASET_SCHEMAS[dataset])
    for name, select in definitions.items():
        con.execute(f"CREATE OR REPLACE VIEW {_quote_ident(name)} AS {select}")
    return scan.warnings + compaction_warnings


_COMMITTED_SUFFIX: Final = "/compaction/committed.json"


def compacted_files(store: ObjectStore, layout: StorageLayout) -> tuple[list[str], list[str]]:
    """The run_metrics files of every compacted run whose parts are intact, and a warning per
    run left out (its per-shard files still answer in shard_metrics)."""
    files: list[str] = []
    warnings: list[str] = []
    for key in store.list_keys(layout.dataset_prefix(DATASET_RUNS)):
        if not key.endswith(_COMMITTED_SUFFIX):
            continue
        try:
            raw = store.get(key)
            compaction = CompactionRecord.from_document(key, _json(raw))
        except (ValueError, KeyError, TypeError):
            warnings.append(f"skipped the compaction record {key}: it is not readable")
            continue
        problem = intact_parts(store, compaction)
        if problem is not None:
            warnings.append(
                f"skipped the run_metrics files of run {compaction.run_id!r}: {problem}; its "
                "shard_metrics rows still answer"
            )
            continue
        files += [p.key for p in compaction.parts]
    return sorted(files), warnings


def _json(raw: bytes | None) -> Any:
    import json

    if raw is None:
        raise ValueError("missing")
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, RecursionError) as exc:
        raise ValueError(str(exc)) from None


def run_compaction(
    store: ObjectStore, layout: StorageLayout, record: RunRecord
) -> CompactionRecord | None:
    """The run's compaction record when its run_metrics files are all intact, else None."""
    try:
        compaction = committed_record(store, layout, record)
    except StoreError:
        return None
    if compaction is None or intact_parts(store, compaction) is not None:
        return None
    return compaction


def open_run_duckdb(
    store_root: Path | str, record: RunRecord
) -> tuple[duckdb.DuckDBPyConnection, str] | None:
    """A connection whose ``run_metrics`` view holds just this compacted run, and the view's
    name; None when the run is not compacted (or its files are damaged): then `open_duckdb`
    and ``shard_metrics`` answer. Cheap: reads one record and checks a few files, where
    `open_duckdb` checks every envelope and file of the store."""
    root = Path(store_root).resolve()
    store, layout = LocalObjectStore(root), StorageLayout(LOCAL_PREFIX)
    compaction = run_compaction(store, layout, record)
    if compaction is None:
        return None
    con: duckdb.DuckDBPyConnection = _duckdb().connect(":memory:")
    con.execute("SET TimeZone = 'UTC'")
    keys = [p.key for p in compaction.parts]
    select = _parquet_view(root, keys, SHARD_METRICS_UNION_SCHEMA)
    con.execute(f"CREATE OR REPLACE VIEW {_quote_ident(DATASET_RUN_METRICS)} AS {select}")
    return con, DATASET_RUN_METRICS


def ranked_points(
    store_root: Path | str, record: RunRecord, *, limit: int | None = None
) -> tuple[list[dict[str, Any]], str]:
    """The run's points ranked by health score (`health_scores`), read from run_metrics when
    the run is compacted and from shard_metrics otherwise; returns (rows, the view read)."""
    opened = open_run_duckdb(store_root, record)
    if opened is not None:
        con, view = opened
    else:
        con, view = open_duckdb(store_root), DATASET_SHARD_METRICS
    try:
        return health_scores(con, record.run_id, record.model, limit=limit, source=view), view
    finally:
        con.close()


def open_duckdb(
    store_root: Path | str, *, warnings: list[str] | None = None
) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with a view per dataset of the store (never writes to it).

    Files left out of the views (see `create_views`) are appended to `warnings` when given,
    else logged (a warning each). Raises `AnalyticsUnavailable` when DuckDB is not installed.
    """
    con: duckdb.DuckDBPyConnection = _duckdb().connect(":memory:")
    # Times are stored in UTC; show them in UTC whatever the machine's zone.
    con.execute("SET TimeZone = 'UTC'")
    skipped = create_views(con, store_root)
    if warnings is not None:
        warnings.extend(skipped)
    else:
        for line in skipped:
            logger.warning("%s", line)
    return con


def view_columns(con: duckdb.DuckDBPyConnection, view: str) -> list[tuple[str, str]]:
    """(column, DuckDB type) of a view, in order."""
    rows = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_name = ? ORDER BY ordinal_position",
        [view],
    ).fetchall()
    return [(str(name), str(sql_type)) for name, sql_type in rows]


def fetch_dicts(
    con: duckdb.DuckDBPyConnection, sql: str, parameters: Sequence[object] | None = None
) -> tuple[list[str], list[dict[str, Any]]]:
    """Run one query; return its column names and rows as dicts (in column order)."""
    cursor = con.execute(sql, list(parameters) if parameters is not None else None)
    if cursor.description is None:  # a statement without a result set
        return [], []
    names = [str(d[0]) for d in cursor.description]
    return names, [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


# -- query templates ----------------------------------------------------------------------------


def render_query(
    template: str,
    values: Mapping[str, object],
    *,
    engine: Literal["duckdb", "athena"] = "duckdb",
) -> str:
    """Fill the ``${name}`` placeholders of a query template (infra/athena/queries/README.md).

    Every value is pasted as text: strings with single quotes doubled (the templates put
    string placeholders inside quotes), ints and floats as Python writes them. ``run_id`` is the
    id as submitted for DuckDB and its percent-encoded storage form for Athena, whose ``run_id``
    partition holds the folder text. A placeholder without a value raises `KeyError` naming it;
    ``$$`` is a dollar.
    """
    rendered: dict[str, str] = {}
    for name, value in values.items():
        if isinstance(value, bool):
            rendered[name] = "true" if value else "false"
        elif isinstance(value, int | float):
            if isinstance(value, float) and not math.isfinite(value):
                raise ValueError(f"template value {name}={value!r} is not a finite number")
            rendered[name] = repr(value)
        else:
            text = str(value)
            if name == "run_id" and engine == "athena":
                text = encode_run_id(text)
            rendered[name] = sql_string(text)
    tmpl = string.Template(template)
    missing = [n for n in tmpl.get_identifiers() if n not in rendered]
    if missing:
        raise KeyError(", ".join(missing))
    return tmpl.substitute(rendered)


def template_placeholders(template: str) -> list[str]:
    """The ``${name}`` placeholders of a query template, in order of first use."""
    return list(string.Template(template).get_identifiers())


# -- health score -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HealthTerm:
    """One metric of the health score.

    `sql` computes the metric from one shard_metrics row in the SQL subset Athena and DuckDB
    share. Across the run's points the metric is min-max normalized to 0..1 (1 = best, so a
    lower-is-better metric is flipped); a metric that is equal at every point is 0.5, and a NULL
    metric counts as the worst (0). The score is the weighted sum; the weights add up to 1.
    """

    name: str
    sql: str
    weight: float
    higher_is_better: bool
    why: str


HEALTH_TERMS: Final[dict[str, tuple[HealthTerm, ...]]] = {
    "ride_hailing": (
        HealthTerm(
            "conversion_rate",
            "CAST(conversion_rate AS DOUBLE)",
            0.25,
            True,
            "share of riders who completed a trip: the marketplace doing its job",
        ),
        HealthTerm(
            "platform_revenue",
            "CAST(platform_revenue AS DOUBLE)",
            0.20,
            True,
            "commission kept by the platform",
        ),
        HealthTerm(
            "driver_payouts",
            "CAST(driver_payouts AS DOUBLE)",
            0.15,
            True,
            "what drivers earn; supply only stays if this holds up",
        ),
        HealthTerm(
            "avg_time_to_match_ms",
            "CAST(avg_time_to_match_ms AS DOUBLE)",
            0.10,
            False,
            "rider wait until a driver is assigned",
        ),
        HealthTerm(
            "avg_time_to_pickup_ms",
            "CAST(avg_time_to_pickup_ms AS DOUBLE)",
            0.10,
            False,
            "rider wait until the car arrives",
        ),
        HealthTerm(
            "cancel_rate",
            "COALESCE(CAST(cancelled_riders AS DOUBLE) / NULLIF(total_riders, 0), 0.0)",
            0.10,
            False,
            "riders who accepted a quote and gave up waiting (the worst experience)",
        ),
        HealthTerm(
            "quote_abandon_rate",
            "COALESCE(CAST(abandoned_quote_riders AS DOUBLE) / NULLIF(total_riders, 0), 0.0)",
            0.10,
            False,
            "riders who turned the quote down (price, ETA); with cancel_rate it is "
            "1 - conversion_rate, the split says which loss hurts more",
        ),
    ),
    "legacy_hash": (
        HealthTerm(
            "completed_rides",
            "CAST(completed_rides AS DOUBLE)",
            0.40,
            True,
            "synthetic completed rides",
        ),
        HealthTerm(
            "platform_revenue_cents",
            "CAST(platform_revenue_cents AS DOUBLE)",
            0.40,
            True,
            "synthetic revenue",
        ),
        HealthTerm(
            "abandoned_rides",
            "CAST(abandoned_rides AS DOUBLE)",
            0.20,
            False,
            "synthetic abandoned rides",
        ),
    ),
}


def health_terms(model: str) -> tuple[HealthTerm, ...]:
    """The health score definition of a model (KeyError naming the known models otherwise)."""
    try:
        return HEALTH_TERMS[model]
    except KeyError:
        known = ", ".join(sorted(HEALTH_TERMS))
        raise KeyError(f"no health score defined for model {model!r} (known: {known})") from None


def _normalized(term: HealthTerm) -> str:
    column = f"m_{term.name}"
    lo, hi = f"MIN({column}) OVER ()", f"MAX({column}) OVER ()"
    distance = f"{column} - {lo}" if term.higher_is_better else f"{hi} - {column}"
    return f"COALESCE(CASE WHEN {hi} = {lo} THEN 0.5 ELSE ({distance}) / ({hi} - {lo}) END, 0.0)"


def health_score_sql(model: str, source: str = DATASET_SHARD_METRICS) -> str:
    """SQL ranking one run's points (DuckDB, one ``?`` parameter: the run id) read from the
    view `source` (``shard_metrics``, or ``run_metrics`` for a compacted run).

    Columns: rank, health_score, the term metrics (their names from `HEALTH_TERMS`), then
    every column of the model (parameters and metrics), point_index and shard_id. Ties keep
    point order.
    """
    terms = health_terms(model)
    model_columns = [f.name for f in MODEL_FIELDS[model]]
    metric_exprs = ", ".join(f"{t.sql} AS m_{t.name}" for t in terms)
    normalized = ", ".join(f"{_normalized(t)} AS n_{t.name}" for t in terms)
    score = " + ".join(f"{t.weight!r} * n_{t.name}" for t in terms)
    passthrough = ", ".join(_quote_ident(c) for c in ["point_index", "shard_id", *model_columns])
    term_columns = ", ".join(
        f"m_{t.name} AS {_quote_ident('term_' + t.name)}"
        for t in terms
        if t.name not in model_columns
    )
    term_select = f"{term_columns}, " if term_columns else ""
    return f"""
WITH points AS (
    SELECT {passthrough}, {metric_exprs}
    FROM {_quote_ident(source)}
    WHERE run_id = ? AND model = '{sql_string(model)}'
),
normalized AS (
    SELECT *, {normalized} FROM points
),
scored AS (
    SELECT *, {score} AS health_score FROM normalized
)
SELECT ROW_NUMBER() OVER (ORDER BY health_score DESC, point_index) AS rank,
       health_score, {term_select}{passthrough}
FROM scored
ORDER BY rank
"""


def health_scores(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    model: str,
    *,
    limit: int | None = None,
    source: str = DATASET_SHARD_METRICS,
) -> list[dict[str, Any]]:
    """One run's points ranked by health score, best first (see `HealthTerm`).

    Each dict holds ``rank``, ``health_score`` (0..1, comparable only within the run), the
    computed term metrics that are not columns themselves (``term_cancel_rate``...), then
    ``point_index``, ``shard_id`` and every column the model writes.
    """
    sql = health_score_sql(model, source)
    if limit is not None:
        sql += f"LIMIT {int(limit)}\n"
    _, rows = fetch_dicts(con, sql, [run_id])
    return rows
