"""A run's results as data: a typed page for the API, a `pyarrow.Table` for Python.

* `ResultsHandler` answers ``GET /sweep-run/{run_id}/results`` with a ResultsPage
  (schemas/v1/results_page.json): each point's parameters and metrics, ordered by ``order_by``
  (a column; ``-column`` descending; ties in point order), ``fields`` (comma-separated column
  names) to keep only some, ``limit`` (1..1000, default 100) and ``page_token`` (from the page
  before). It reads the JSON results pages a compaction writes (handlers/compaction.py), each
  checked against the SHA-256 its commit record holds, so it needs no Parquet decoder (the
  slim parent artifact has none). Ordering by point_index reads one or two pages; ordering by
  another column reads the run's pages once (at most 200,000 points) and keeps only the
  requested fields. A run that is not compacted yet answers 409 saying so.
* `results_table` returns every point of a run as a `pyarrow.Table` (the shard_metrics
  columns, point order), from run_metrics when compacted, else from the committed per-shard
  files; `serverless_sweep.results(run_id)` is the same for a local store.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, Final

from serverless_sweep.contracts import MODELS, load_schema
from serverless_sweep.contracts.generated.v1.results_page import ResultPoint, ResultsPage
from serverless_sweep.core.errors import ValidationError, Violation, json_pointer
from serverless_sweep.core.keys import StorageLayout
from serverless_sweep.handlers.compaction import (
    CompactionRecord,
    ResultsPageFile,
    committed_record,
    intact_parts,
)
from serverless_sweep.handlers.parquet import committed_object_problem, sha256_hex
from serverless_sweep.handlers.ports import (
    CorruptRecord,
    ObjectStore,
)
from serverless_sweep.handlers.responses import CONTRACT_VERSION, contract_body
from serverless_sweep.handlers.runs import RunRecord, find_run

if TYPE_CHECKING:
    import pyarrow as pa

DEFAULT_LIMIT: Final = 100
MAX_LIMIT: Final = 1000
#: Columns every row has besides the model's (shard_metrics' leading columns).
_POSITION = ("shard_id", "point_index")
_BOOKKEEPING = ("point_seed", "model", "attempt", "compute_ms")
_LEGACY_PARAMETERS = "parameters_json"


@cache
def model_columns(model: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(parameter columns, metric columns) of a model, from its packaged column spec and
    parameter schema (a model whose parameters are free-form keeps them in parameters_json).
    A plug-in model (issue 14) has them in its package, not in schemas/v1."""
    if model in MODELS:
        spec, schema = (
            load_schema(f"models/{model}/columns"),
            load_schema(f"models/{model}/parameters"),
        )
    else:
        from serverless_sweep.models.registry import get_model

        plugin = get_model(model)
        spec = dict(getattr(plugin, "column_spec", {}))
        schema = dict(getattr(plugin, "parameters_schema", {}))
    columns = [str(c["name"]) for c in spec.get("columns", [])]
    declared = set(schema.get("properties", {}))
    parameters = tuple(c for c in columns if c in declared)
    metrics = tuple(c for c in columns if c not in declared and c != _LEGACY_PARAMETERS)
    return parameters, metrics


def split_point(row: Mapping[str, Any], model: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(parameters, metrics) of one shard_metrics row."""
    parameter_columns, metric_columns = model_columns(model)
    parameters = {c: row.get(c) for c in parameter_columns}
    text = row.get(_LEGACY_PARAMETERS)
    if isinstance(text, str):
        try:
            decoded = json.loads(text)
        except ValueError:
            decoded = None
        if isinstance(decoded, dict):
            parameters.update(decoded)
    return parameters, {c: row.get(c) for c in metric_columns}


# -- the query ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ResultsQuery:
    order_by: str = "point_index"
    descending: bool = False
    fields: tuple[str, ...] | None = None
    limit: int = DEFAULT_LIMIT
    offset: int = 0

    def token(self, offset: int) -> str:
        doc = {
            "v": 1,
            "offset": offset,
            "order_by": self.order_by,
            "descending": self.descending,
            "fields": list(self.fields) if self.fields is not None else None,
        }
        text = json.dumps(doc, separators=(",", ":"), sort_keys=True)
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _bad(name: str, rule: str, message: str) -> ValidationError:
    return ValidationError(message, [Violation(json_pointer(name), rule, message)])


def parse_query(params: Mapping[str, str | None], record: RunRecord) -> ResultsQuery:
    """The query of a results request (query string values), checked against the run's columns.

    Raises `ValidationError` naming the parameter and the allowed values.
    """
    known = set(params) - {"order_by", "fields", "limit", "page_token"}
    if known:
        name = sorted(known)[0]
        raise _bad(
            name,
            "unknown",
            f"unknown query parameter {name!r} (order_by, fields, limit, page_token)",
        )
    limit = DEFAULT_LIMIT
    raw_limit = params.get("limit")
    if raw_limit is not None:
        if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= MAX_LIMIT:
            raise _bad("limit", "range", f"limit must be an integer from 1 to {MAX_LIMIT}")
        limit = int(raw_limit)
    parameter_columns, metric_columns = model_columns(record.model)
    swept = sorted(record.request.get("dimensions", {}) or {})
    names = [*_POSITION, *parameter_columns, *metric_columns]
    names += [n for n in swept if n not in names]
    token = params.get("page_token")
    if token:
        query = _from_token(token)
        return ResultsQuery(query.order_by, query.descending, query.fields, limit, query.offset)
    order_by = params.get("order_by") or "point_index"
    descending = order_by.startswith("-")
    order_by = order_by.removeprefix("-")
    orderable = [*_POSITION, *parameter_columns, *metric_columns]
    if order_by not in orderable:
        raise _bad(
            "order_by",
            "enum",
            f"order_by must name a column of model {record.model} (prefix - for descending), "
            f"got {order_by!r}; columns: {', '.join(orderable)}",
        )
    fields: tuple[str, ...] | None = None
    raw_fields = params.get("fields")
    if raw_fields:  # absent or empty: every field
        fields = tuple(f.strip() for f in raw_fields.split(",") if f.strip())
        unknown = [f for f in fields if f not in names]
        if unknown or not fields:
            raise _bad(
                "fields",
                "enum",
                f"fields must be comma-separated column names of model {record.model}, got "
                f"{raw_fields!r}; columns: {', '.join(names)}",
            )
    return ResultsQuery(order_by, descending, fields, limit, 0)


def _from_token(token: str) -> ResultsQuery:
    try:
        doc = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        fields = doc["fields"]
        query = ResultsQuery(
            order_by=str(doc["order_by"]),
            descending=bool(doc["descending"]),
            fields=tuple(str(f) for f in fields) if isinstance(fields, list) else None,
            offset=int(doc["offset"]),
        )
        if doc.get("v") != 1 or query.offset < 0:
            raise ValueError("version")
    except (binascii.Error, UnicodeDecodeError, ValueError, KeyError, TypeError):
        raise _bad(
            "page_token",
            "format",
            "page_token is not a token this API issued: pass the next_page_token of the page "
            "before, unchanged",
        ) from None
    return query


# -- the page -----------------------------------------------------------------------------------


def _read_page(store: ObjectStore, page: ResultsPageFile, run_id: str) -> list[dict[str, Any]]:
    data = store.get(page.key)
    if data is None or len(data) != page.size or sha256_hex(data) != page.sha256:
        raise CorruptRecord(page.key, run_id, "missing or not what its compaction committed")
    doc = json.loads(data)
    columns = doc["columns"]
    return [dict(zip(columns, row, strict=True)) for row in doc["rows"]]


def _sorted(rows: list[dict[str, Any]], column: str, descending: bool) -> list[dict[str, Any]]:
    """Rows by `column` (ties in point order, nulls last either way)."""
    rows = sorted(rows, key=lambda r: int(r["point_index"]))
    present = [r for r in rows if r.get(column) is not None]
    nulls = [r for r in rows if r.get(column) is None]
    return sorted(present, key=lambda r: r[column], reverse=descending) + nulls


def results_page(
    store: ObjectStore, record: RunRecord, compaction: CompactionRecord, query: ResultsQuery
) -> ResultsPage:
    """One page of a compacted run's results (see the module docstring)."""
    total = compaction.rows
    start, stop = query.offset, min(query.offset + query.limit, total)
    rows: list[dict[str, Any]] = []
    if start < stop:
        if query.order_by == "point_index" and not query.descending:
            first, last = start // compaction.page_rows, (stop - 1) // compaction.page_rows
            for page in compaction.pages[first : last + 1]:
                rows += _read_page(store, page, record.run_id)
            base = first * compaction.page_rows
            rows = rows[start - base : stop - base]
        else:
            everything: list[dict[str, Any]] = []
            for page in compaction.pages:
                everything += _read_page(store, page, record.run_id)
            rows = _sorted(everything, query.order_by, query.descending)[start:stop]
    items = []
    for row in rows:
        parameters, metrics = split_point(row, record.model)
        if query.fields is not None:
            parameters = {k: v for k, v in parameters.items() if k in query.fields}
            metrics = {k: v for k, v in metrics.items() if k in query.fields}
        items.append(
            ResultPoint(
                point_index=int(row["point_index"]),
                shard_id=int(row["shard_id"]),
                parameters=parameters,
                metrics=metrics,
            )
        )
    parameter_columns, metric_columns = model_columns(record.model)
    return ResultsPage(
        contract_version=CONTRACT_VERSION,
        run_id=record.run_id,
        model=record.model,
        total_points=total,
        order_by=query.order_by,
        descending=query.descending,
        fields=list(query.fields or [*parameter_columns, *metric_columns]),
        offset=start,
        limit=query.limit,
        items=items,
        next_page_token=query.token(stop) if stop < total else None,
    )


@dataclass
class ResultsHandler:
    """GET /sweep-run/{run_id}/results: the ResultsPage body, or a Refusal / ValidationError /
    StoreError the edge maps (entrypoints/http/errors.py)."""

    store: ObjectStore
    layout: StorageLayout

    def handle(self, run_id: str, params: Mapping[str, str | None] | None = None) -> dict[str, Any]:
        from serverless_sweep.handlers.api_results import Conflict, NotFound

        self.store.check_configured()
        record = find_run(self.store, self.layout, run_id)
        if record is None:
            raise NotFound.run(run_id)
        query = parse_query(params or {}, record)
        compaction = committed_record(self.store, self.layout, record)
        if compaction is None:
            raise Conflict(
                f"run {run_id!r} is not compacted yet: its results are served once every shard "
                "has succeeded (the last commit compacts the run; `sweep compact RUN_ID` "
                "compacts a finished one). GET /sweep-run/{run_id} shows its state",
                run_id=run_id,
            )
        page = results_page(self.store, record, compaction, query)
        body = contract_body(page)
        body["next_page_token"] = page.next_page_token  # null on the last page, not absent
        return body


# -- Python ---------------------------------------------------------------------------------------


def results_table(store: ObjectStore, layout: StorageLayout, record: RunRecord) -> pa.Table:
    """Every point of the run as a pyarrow.Table (shard_metrics columns, point order).

    From the run_metrics files when the run is compacted (and they are intact), else from the
    committed per-shard files (an unfinished run gives the points computed so far).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    from serverless_sweep.models.columns import metrics_schema

    schema = metrics_schema(record.model)  # a plug-in's columns too (issue 14)
    keys: list[tuple[str, int | None, str | None]] = []
    compaction = committed_record(store, layout, record)
    if compaction is not None and intact_parts(store, compaction) is None:
        keys = [(p.key, p.size, p.sha256) for p in compaction.parts]
    else:
        keys = list(_committed_shard_files(store, layout, record))
    tables = []
    for key, size, digest in keys:
        data = store.get(key)
        if committed_object_problem(data, size=size, sha256=digest) is not None or data is None:
            continue  # damaged: `sweep verify` names it; the rest still answer
        tables.append(pq.read_table(pa.BufferReader(data)).select(schema.names).cast(schema))
    if not tables:
        return schema.empty_table()
    return pa.concat_tables(tables).combine_chunks().sort_by("point_index")


def _committed_shard_files(
    store: ObjectStore, layout: StorageLayout, record: RunRecord
) -> Sequence[tuple[str, int | None, str | None]]:
    found = []
    for shard in record.shards:
        raw = store.get(layout.success_outcome_key(record.run_date, record.run_id, shard.shard_id))
        if raw is None:
            continue
        try:
            metadata = json.loads(raw)["output_metadata"]
            key = metadata["metrics_key"]
        except (ValueError, KeyError, TypeError):
            continue
        if isinstance(key, str):
            size, digest = metadata.get("metrics_size"), metadata.get("metrics_sha256")
            found.append(
                (
                    key,
                    size if isinstance(size, int) else None,
                    digest if isinstance(digest, str) else None,
                )
            )
    return found
