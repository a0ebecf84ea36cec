"""Compaction: a finished run's metrics once more, as a few Parquet files (`dataset=run_metrics`).

Why: every shard writes its own Parquet file, so the 10,000-shard example leaves 10,000 one-row
files; DuckDB spends seconds opening them and Athena bills and throttles per object. When a
run's last shard commits, its rows are written again as ``run_metrics`` (the shard_metrics
columns, rows ordered by point_index, at most `PART_ROWS` rows per file), and queries prefer it.

Layout (``<runs>`` is the run's manifest folder, ``dataset=runs/.../status=accepted/``)::

    <p>dataset=run_metrics/run_date=<d>/run_id=<run>/status=success/part-<NNNNN>.parquet
    <runs>compaction/shape.json                  {"shard_count": n} (so children need not read
                                                 the whole manifest to know the plan's size)
    <runs>compaction/done/<level>-<group>/<unit> completion markers (see below; consecutive
                                                 units marked together: <first>-<last>)
    <runs>compaction/claim.json                  the inputs: each shard's committed file and
                                                 checksum, fixed by whoever claims first
    <runs>compaction/pages/page-<NNNNNN>.json    the same rows as JSON, `PAGE_ROWS` per page
                                                 ({"columns": [...], "rows": [[...], ...]}),
                                                 for the API's results route (no pyarrow)
    <runs>compaction/committed.json              the commit record: the parts and pages with
                                                 sizes and SHA-256, row counts, the ledger

**Who sees the run complete.** Listing every envelope after every commit would be quadratic (10,000
listings of 10,000 keys). Instead, after its commit a child writes a marker for its shard in
its group of `GROUP` shards and lists that group (one PUT, one LIST of at most `GROUP` keys):
the child that finds its group full marks the group one level up and lists that group, and so
on; the child that fills the top group compacts. The store is strongly consistent, and each
child writes before it lists, so the last writer of a group always sees it full (two may: all
steps are create-if-absent and idempotent). A redrive that completes a run goes the same way.
Shards committed together (one local durability batch of tiny shards) are marked together:
one marker per run of consecutive shards of a group, one listing per group (`mark_done_many`).

**Races and redelivery.** The claim is written create-if-absent: a second compactor (a
duplicate delivery, a concurrent child, `sweep compact`) follows the claim's inputs, so every
compactor writes byte-identical parts (deterministic encoding) or adopts a part already there
that decodes to the expected rows (another pyarrow version). Nothing is overwritten; the
commit record is written create-if-absent last, so a compactor killed half-way leaves parts
that no record commits (queries keep reading the per-shard files) and the next one finishes.
Parts are only ever written for the one claim, so no stale part can be double counted by
Athena, which reads every file of the folder.

**Bounded memory.** Shard files are read by a small thread pool with bounded look-ahead and
written out every `PART_ROWS` rows; at most one part's rows are held at a time (a run of one
part keeps its chunks' rows from their one read; a larger run reads a chunk for each part).

**Envelopes.** The success envelopes fix the inputs, so every one is read; one whose SHA-256
an intact chunk lists is not decoded (the chunk keeps its file, size, checksum and ledger
fields; see the chunks section below), which halves the final compaction of 10,000 tiny
shards (issue 13).

Compaction never fails a shard: `compact_if_complete` logs and returns. pyarrow is imported
where it is used (this module is imported by the slim parent's readers for `committed_record`).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import itertools
import json
import logging
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, NamedTuple

from serverless_sweep.core.jsonio import dumps_canonical
from serverless_sweep.core.keys import DATASET_RUNS, STATUS_ACCEPTED, STATUS_SUCCESS, StorageLayout
from serverless_sweep.core.planning import ShardRange
from serverless_sweep.handlers.bulk_reads import read_many
from serverless_sweep.handlers.ledger import (
    LEDGER_FIELDS,
    LedgerFields,
    failure_envelopes,
    ledger_fields,
    ledger_of_fields,
)
from serverless_sweep.handlers.parquet import committed_object_problem, parquet_problem, sha256_hex
from serverless_sweep.handlers.ports import (
    AlreadyExists,
    Clock,
    CorruptRecord,
    ObjectStore,
    StoreError,
    SystemClock,
)
from serverless_sweep.handlers.runs import RunRecord, find_run
from serverless_sweep.handlers.settings import JSON_CONTENT, PARQUET_CONTENT

if TYPE_CHECKING:
    import pyarrow as pa

DATASET_RUN_METRICS: Final = "run_metrics"
#: Shards (and, one level up, groups) per completion group: one LIST page, a shallow tree.
GROUP: Final = 64
#: Rows per run_metrics file: "a few files per run" (the largest run, 200,000 points, has 2).
PART_ROWS: Final = 100_000
#: Points per JSON results page (the API's results route reads these: the slim parent has no
#: Parquet decoder); PART_ROWS is a multiple, so a page never straddles two parts.
PAGE_ROWS: Final = 1_000
#: Shard files read at once (threads; S3 GETs are latency bound).
READ_WORKERS: Final = 8
RECORD_KIND: Final = "run_metrics_compaction"

logger = logging.getLogger(__name__)
# (store, prefix, run_date, run_id, fingerprint) -> shard count, per process (warm children)
_SHAPES: dict[tuple[int, str, str, str, str], int] = {}


class CompactionError(StoreError):
    """A run cannot be compacted (not complete, a damaged shard file); names the run and why."""


# -- keys ---------------------------------------------------------------------------------------


def compaction_folder(layout: StorageLayout, run_date: str, run_id: str) -> str:
    """``<runs>compaction/``: the run's compaction records, beside its manifest."""
    return layout.run_prefix(DATASET_RUNS, run_date, run_id, STATUS_ACCEPTED) + "compaction/"


def committed_key(layout: StorageLayout, run_date: str, run_id: str) -> str:
    return compaction_folder(layout, run_date, run_id) + "committed.json"


def claim_key(layout: StorageLayout, run_date: str, run_id: str) -> str:
    return compaction_folder(layout, run_date, run_id) + "claim.json"


def part_key(layout: StorageLayout, run_date: str, run_id: str, index: int) -> str:
    folder = layout.run_prefix(DATASET_RUN_METRICS, run_date, run_id, STATUS_SUCCESS)
    return f"{folder}part-{index:05d}.parquet"


# -- the commit record --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CompactedPart:
    key: str
    rows: int
    size: int
    sha256: str
    first_point_index: int
    last_point_index: int


@dataclass(frozen=True, slots=True)
class ResultsPageFile:
    key: str
    rows: int
    size: int
    sha256: str


@dataclass(frozen=True, slots=True)
class CompactionRecord:
    """What committed.json says: the run's run_metrics files and its ledger."""

    run_id: str
    run_date: str
    model: str
    rows: int
    shard_count: int
    parts: tuple[CompactedPart, ...]
    pages: tuple[ResultsPageFile, ...]
    page_rows: int
    ledger: dict[str, Any] | None
    compacted_at: str
    key: str

    @classmethod
    def from_document(cls, key: str, doc: Mapping[str, Any]) -> CompactionRecord:
        parts = tuple(
            CompactedPart(
                str(p["key"]),
                int(p["rows"]),
                int(p["size"]),
                str(p["sha256"]),
                int(p["first_point_index"]),
                int(p["last_point_index"]),
            )
            for p in doc["parts"]
        )
        ledger = doc.get("ledger")
        pages = tuple(
            ResultsPageFile(str(p["key"]), int(p["rows"]), int(p["size"]), str(p["sha256"]))
            for p in doc.get("pages", [])
        )
        return cls(
            run_id=str(doc["run_id"]),
            run_date=str(doc["run_date"]),
            model=str(doc["model"]),
            rows=int(doc["rows"]),
            shard_count=int(doc["shard_count"]),
            parts=parts,
            pages=pages,
            page_rows=int(doc.get("page_rows", PAGE_ROWS)),
            ledger=dict(ledger) if isinstance(ledger, Mapping) else None,
            compacted_at=str(doc.get("compacted_at", "")),
            key=key,
        )


def committed_record(
    store: ObjectStore, layout: StorageLayout, record: RunRecord
) -> CompactionRecord | None:
    """The run's compaction commit record, or None when the run is not compacted (yet).

    Raises `CorruptRecord` naming the key when the record exists but cannot be read.
    """
    key = committed_key(layout, record.run_date, record.run_id)
    raw = store.get(key)
    if raw is None:
        return None
    try:
        doc = json.loads(raw)
        return CompactionRecord.from_document(key, doc)
    except (UnicodeDecodeError, ValueError, RecursionError, KeyError, TypeError) as exc:
        problem = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise CorruptRecord(key, record.run_id, f"not a compaction record ({problem})") from None


def intact_parts(store: ObjectStore, compaction: CompactionRecord) -> str | None:
    """None when every part the record commits has its size and SHA-256, else the problem."""
    for part in compaction.parts:
        problem = committed_object_problem(
            store.get(part.key), size=part.size, sha256=part.sha256, expected_rows=part.rows
        )
        if problem is not None:
            return f"run_metrics file {part.key} {problem}"
    return None


# -- completion ---------------------------------------------------------------------------------


def compact_if_complete(
    store: ObjectStore,
    layout: StorageLayout,
    payload: Mapping[str, Any],
    *,
    clock: Clock | None = None,
    remaining_ms: Callable[[], int] | None = None,
) -> CompactionRecord | None:
    """After a shard's commit: mark it done; compact the run when this made it complete.

    The one call the child makes after its success envelope is written. Never raises (a
    compaction that fails leaves the per-shard files, which queries read anyway; `sweep compact
    RUN_ID` retries); returns the commit record when this call compacted (or found) it.
    """
    records = compact_completed(store, layout, [payload], clock=clock)
    return records[0] if records else None


def compact_completed(
    store: ObjectStore,
    layout: StorageLayout,
    payloads: Sequence[Mapping[str, Any]],
    *,
    clock: Clock | None = None,
    committed: Sequence[CommittedRows | None] = (),
) -> list[CompactionRecord]:
    """`compact_if_complete` for several committed shards at once (the shards of one local
    durability batch, issue 13): each run's shards are marked done together (`mark_done_many`),
    and a run they complete is compacted. `committed` (aligned with `payloads`, None where
    unknown) holds the rows of tiny shards whose files were encoded from them: they are
    written as a chunk first (see `write_chunk`), so the compactor need not decode each file.
    Never raises; returns the records compacted."""
    runs: dict[tuple[str, str, str], tuple[list[int], list[CommittedRows]]] = {}
    for index, payload in enumerate(payloads):
        run_id, run_date = payload.get("run_id"), payload.get("run_date")
        shard_id = payload.get("shard_id")
        if isinstance(run_id, str) and isinstance(run_date, str) and isinstance(shard_id, int):
            fingerprint = str(payload.get("fingerprint") or "")
            shard_ids, rows = runs.setdefault((run_id, run_date, fingerprint), ([], []))
            shard_ids.append(shard_id)
            shard_rows = committed[index] if index < len(committed) else None
            if shard_rows is not None and shard_rows.rows:
                rows.append(shard_rows)
    records: list[CompactionRecord] = []
    for (run_id, run_date, fingerprint), (shard_ids, rows) in runs.items():
        try:
            if rows:
                model = str(rows[0].rows[0]["model"])
                try:
                    write_chunk(store, layout, run_date, run_id, model, rows)
                except Exception as exc:  # only a shortcut: the compactor reads the files
                    # Debug, not a warning: a missing chunk costs speed only, and what stops
                    # it (a full disk, a permission) already fails the shards' own writes,
                    # which say so once per cause (a warning here was one more line per
                    # worker on a full disk).
                    logger.debug("run %r: no compaction chunk written (%s)", run_id, exc)
            if not mark_done_many(store, layout, run_date, run_id, shard_ids, fingerprint):
                continue
            record = find_run(store, layout, run_id)
            if record is None or record.run_date != run_date:
                continue
            records.append(compact_run(store, layout, record, clock=clock))
        except Exception as exc:  # never fail committed shards over their run's compaction
            after = f"shard {shard_ids[0]}" if len(shard_ids) == 1 else f"{len(shard_ids)} shards"
            logger.warning(
                "run %r: compaction after %s did not complete (%s); the per-shard files "
                "stay the source of its results; `sweep compact %s` retries",
                run_id,
                after,
                " ".join(str(exc).split())[:300] or type(exc).__name__,
                run_id,
            )
    return records


def shard_count(
    store: ObjectStore, layout: StorageLayout, run_date: str, run_id: str, fingerprint: str = ""
) -> int:
    """Shards in the run's plan, from the small shape record (written once from the manifest)."""
    cache_key = (id(store), layout.prefix, run_date, run_id, fingerprint)
    cached = _SHAPES.get(cache_key)
    if cached is not None:
        return cached
    key = compaction_folder(layout, run_date, run_id) + "shape.json"
    raw = store.get(key)
    n: int | None = None
    if raw is not None:
        try:
            n = int(json.loads(raw)["shard_count"])
        except (UnicodeDecodeError, ValueError, KeyError, TypeError):
            n = None  # rebuilt from the manifest below (never overwritten)
    if n is None:
        manifest_raw = store.get(layout.manifest_key(run_date, run_id))
        if manifest_raw is None:
            raise CompactionError(f"run {run_id!r} has no manifest on {run_date}")
        try:
            n = len(json.loads(manifest_raw)["shards"])
        except (UnicodeDecodeError, ValueError, KeyError, TypeError):
            raise CorruptRecord(
                layout.manifest_key(run_date, run_id), run_id, "no readable shard plan"
            ) from None
        with contextlib.suppress(AlreadyExists):
            store.put_if_absent(key, dumps_canonical({"shard_count": n}).encode(), JSON_CONTENT)
    if fingerprint:  # without one, another run could later reuse the id: do not cache
        _SHAPES[cache_key] = n
    return n


def mark_done(
    store: ObjectStore,
    layout: StorageLayout,
    run_date: str,
    run_id: str,
    shard_id: int,
    fingerprint: str = "",
) -> bool:
    """Record that `shard_id` committed; True when the run's every shard now has (see above)."""
    return mark_done_many(store, layout, run_date, run_id, [shard_id], fingerprint)


def mark_done_many(
    store: ObjectStore,
    layout: StorageLayout,
    run_date: str,
    run_id: str,
    shard_ids: Sequence[int],
    fingerprint: str = "",
) -> bool:
    """Record that `shard_ids` committed; True when the run's every shard now has.

    Per completion group, consecutive units get one marker named ``<first>-<last>`` (a lone
    unit keeps the name ``<unit>``), so a batch of 256 consecutive one-point shards writes 4
    or 5 markers instead of 256, and each group is listed once (the units a group's markers
    cover are counted, whatever mix of single and range markers it holds). Every marker is
    written before its group is listed, as with one shard, so the last writer of a group
    still sees it full; everything is create-if-absent and idempotent.
    """
    total = shard_count(store, layout, run_date, run_id, fingerprint)
    units = sorted({s for s in shard_ids if 0 <= s < total})  # others: not planned shards
    done = compaction_folder(layout, run_date, run_id) + "done/"
    level = 0
    while units:
        full: list[int] = []
        for group, members in itertools.groupby(units, key=lambda unit: unit // GROUP):
            folder = f"{done}{level}-{group}/"
            for first, last in _consecutive(list(members)):
                name = str(first) if first == last else f"{first}-{last}"
                # AlreadyExists: a redelivery, or another child that also saw the group full
                with contextlib.suppress(AlreadyExists):
                    store.put_if_absent(folder + name, b"", JSON_CONTENT)
            low, high = group * GROUP, min(total, (group + 1) * GROUP)
            if len(_covered(store.list_keys(folder), low, high)) >= high - low:
                full.append(group)
        if not full:
            return False
        if total <= GROUP:
            return True  # the top group: every shard of the run
        units, total, level = full, math.ceil(total / GROUP), level + 1
    return False


def _consecutive(units: Sequence[int]) -> Iterator[tuple[int, int]]:
    """(first, last) of each run of consecutive values in sorted, distinct `units`."""
    first = previous = units[0]
    for unit in units[1:]:
        if unit != previous + 1:
            yield first, previous
            first = unit
        previous = unit
    yield first, previous


def _covered(keys: Iterable[str], low: int, high: int) -> set[int]:
    """The units in [low, high) that a group's marker keys (``<unit>``, ``<first>-<last>``)
    cover; a name that is neither is ignored."""
    covered: set[int] = set()
    for key in keys:
        name = key.rpartition("/")[2]
        first_text, _, last_text = name.partition("-")
        try:
            first = int(first_text)
            last = int(last_text) if last_text else first
        except ValueError:
            continue
        covered.update(range(max(first, low), min(last, high - 1) + 1))
    return covered


# -- compaction ---------------------------------------------------------------------------------


class _Input(NamedTuple):
    """A claim's input: a shard and the file its envelope commits (a tuple: 10,000 of them
    are built per compaction, and the claim encodes them as they are)."""

    shard_id: int
    start_index: int
    end_index: int
    metrics_key: str
    size: int | None
    sha256: str | None
    rows: int

    def as_list(self) -> list[Any]:
        return list(self)


@dataclass
class _Envelopes:
    inputs: list[_Input] = field(default_factory=list)
    # what the ledger reads of each success envelope (`ledger.ledger_fields`): from the
    # envelope, or from a chunk that lists the envelope's SHA-256
    ledger: list[LedgerFields] = field(default_factory=list)
    # the chunk holding each shard's committed rows, found with its envelope
    sources: dict[int, tuple[str, str, str, int]] = field(default_factory=dict)


def compact_run(
    store: ObjectStore,
    layout: StorageLayout,
    record: RunRecord,
    *,
    clock: Clock | None = None,
    part_rows: int = PART_ROWS,
    workers: int = READ_WORKERS,
) -> CompactionRecord:
    """Compact a complete run (idempotent: an existing, intact commit record is returned).

    Raises `CompactionError` when a planned shard has no intact success commit (say which, and
    what to do) and `StoreError` when the store fails.
    """
    existing = committed_record(store, layout, record)
    if existing is not None:
        return existing
    clock = clock or SystemClock()
    shards = record.shards
    # A run of one part holds all its rows at once anyway, so its chunks' rows are kept from
    # this one read; a larger run reads a chunk again for each part that needs it.
    chunks = _load_chunks(store, layout, record, hold_rows=record.total_points <= part_rows)
    read = _read_envelopes(store, layout, record, workers, chunks, shards)
    claim, inputs = _claim(store, layout, record, read.inputs)
    if chunks is not None:
        chunks.sources = read.sources
    parts, pages = _write_parts(store, layout, record, inputs, part_rows, workers, chunks)
    rows = sum(p.rows for p in parts)
    if rows != record.total_points:
        raise CompactionError(
            f"run {record.run_id!r}: the committed shard files hold {rows} rows where the run "
            f"has {record.total_points} points; `sweep verify {record.run_id}` checks it"
        )
    failures = failure_envelopes(store, layout, record)
    ledger = ledger_of_fields(
        [*read.ledger, *map(ledger_fields, failures)], record.manifest.get("accepted_at")
    )
    doc = {
        "record": RECORD_KIND,
        "run_id": record.run_id,
        "run_date": record.run_date,
        "model": record.model,
        "rows": rows,
        "shard_count": len(shards),
        "generation": claim["generation"],
        "parts": [
            {
                "key": p.key,
                "rows": p.rows,
                "size": p.size,
                "sha256": p.sha256,
                "first_point_index": p.first_point_index,
                "last_point_index": p.last_point_index,
            }
            for p in parts
        ],
        "page_rows": PAGE_ROWS,
        "pages": [
            {"key": p.key, "rows": p.rows, "size": p.size, "sha256": p.sha256} for p in pages
        ],
        "ledger": ledger,
        "compacted_at": clock.now().isoformat(),
    }
    key = committed_key(layout, record.run_date, record.run_id)
    try:
        store.put_if_absent(key, dumps_canonical(doc).encode(), JSON_CONTENT)
    except AlreadyExists:
        found = committed_record(store, layout, record)
        if found is not None:
            return found
    logger.info(
        "run %r compacted: %d rows in %d run_metrics file(s)", record.run_id, rows, len(parts)
    )
    return CompactionRecord.from_document(key, doc)


def _read_envelopes(
    store: ObjectStore,
    layout: StorageLayout,
    record: RunRecord,
    workers: int,
    chunks: _Chunks | None = None,
    shards: Sequence[ShardRange] | None = None,
) -> _Envelopes:
    """Every planned shard's success envelope (in plan order) and the file it commits.

    Every envelope is read (it is the commit point: a shard repaired since its chunk was
    written has another one), but one whose SHA-256 an intact chunk lists is not decoded: the
    chunk holds what compaction reads of it (its file, size and checksum, and its ledger
    fields), taken from the very envelope those bytes encode."""
    ordered = sorted(record.shards if shards is None else shards, key=lambda s: s.start_index)
    keys = [layout.success_outcome_key(record.run_date, record.run_id, s.shard_id) for s in ordered]
    by_envelope = chunks.by_envelope if chunks is not None else {}
    found = _Envelopes()
    inputs, ledger, sources = found.inputs, found.ledger, found.sources
    sha256 = hashlib.sha256
    for shard, key, raw in zip(ordered, keys, read_many(store, keys, workers), strict=True):
        if raw is None:
            raise CompactionError(
                f"run {record.run_id!r} is not complete: shard {shard.shard_id} has no success "
                f"record; `sweep redrive {record.run_id}` runs it"
            )
        if by_envelope:
            entry = by_envelope.get(sha256(raw).hexdigest())
            if entry is not None and entry[0] == shard.shard_id:
                shard_id, metrics_key, digest, rows, size, fields, chunk = entry
                ledger.append(fields)
                inputs.append(
                    _Input(
                        shard_id,
                        shard.start_index,
                        shard.end_index,
                        metrics_key,
                        size,
                        digest,
                        shard.size,
                    )
                )
                sources[shard_id] = (chunk, metrics_key, digest, rows)
                continue
        try:
            envelope = json.loads(raw)
            metadata = envelope["output_metadata"]
            metrics_key = metadata["metrics_key"]
            if not isinstance(metrics_key, str):
                raise TypeError("metrics_key is not a string")
        except (UnicodeDecodeError, ValueError, RecursionError, KeyError, TypeError):
            raise CompactionError(
                f"run {record.run_id!r}: the success envelope {key} of shard {shard.shard_id} "
                f"names no readable file; `sweep verify {record.run_id}` checks it"
            ) from None
        size, digest = metadata.get("metrics_size"), metadata.get("metrics_sha256")
        ledger.append(ledger_fields(envelope))
        inputs.append(
            _Input(
                shard.shard_id,
                shard.start_index,
                shard.end_index,
                metrics_key,
                _size(size),
                digest if isinstance(digest, str) else None,
                shard.size,
            )
        )
    return found


def _size(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _claim(
    store: ObjectStore, layout: StorageLayout, record: RunRecord, seen: Sequence[_Input]
) -> tuple[dict[str, Any], list[_Input]]:
    """The claim (create-if-absent): the inputs every compactor of this run follows (an
    earlier claim wins over what this compactor `seen`, so all write the same parts); the
    claim and its inputs."""
    key = claim_key(layout, record.run_date, record.run_id)
    raw = store.get(key)
    if raw is None:
        inputs = [i.as_list() for i in seen]
        inputs_text = dumps_canonical(inputs)
        generation = hashlib.sha256(inputs_text.encode()).hexdigest()[:16]
        claim = {"generation": generation, "inputs": inputs}
        # dumps_canonical(claim), without encoding the inputs twice (keys sorted, compact)
        text = f'{{"generation":{dumps_canonical(generation)},"inputs":{inputs_text}}}'
        try:
            store.put_if_absent(key, text.encode(), JSON_CONTENT)
            return claim, list(seen)
        except AlreadyExists:
            raw = store.get(key)
    try:
        claim = json.loads(raw or b"")
        if not isinstance(claim.get("inputs"), list) or not isinstance(claim["generation"], str):
            raise TypeError("no inputs")
        inputs_of_claim = [_Input(*item) for item in claim["inputs"]]
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError):
        raise CorruptRecord(key, record.run_id, "not a compaction claim") from None
    return dict(claim), inputs_of_claim


def _tables(
    store: ObjectStore, record: RunRecord, inputs: Sequence[_Input], workers: int
) -> Iterator[pa.Table]:
    """The inputs' rows in order, read `workers` at a time with bounded look-ahead."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    def read(item: _Input) -> pa.Table:
        data = store.get(item.metrics_key)
        problem = committed_object_problem(
            data, size=item.size, sha256=item.sha256, expected_rows=item.rows
        )
        if problem is not None or data is None:
            raise CompactionError(
                f"run {record.run_id!r}: file {item.metrics_key} of shard {item.shard_id} "
                f"{problem}; `sweep redrive {record.run_id}` repairs it, then `sweep compact`"
            )
        # ParquetFile.read: half the cost of read_table; no threads for a few rows (they cost
        # more than they save on a tiny file, and the pool already reads files in parallel)
        return pq.ParquetFile(pa.BufferReader(data)).read(use_threads=False)

    if not inputs:
        return
    window = max(1, workers) * 8
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for start in range(0, len(inputs), window):
            yield from pool.map(read, inputs[start : start + window])


def _write_parts(
    store: ObjectStore,
    layout: StorageLayout,
    record: RunRecord,
    inputs: Sequence[_Input],
    part_rows: int,
    workers: int,
    chunks: _Chunks | None = None,
) -> tuple[list[CompactedPart], list[ResultsPageFile]]:
    """The run's parts and pages from the claim's inputs, one part at a time.

    A part holds the inputs, in claim order, up to the first that brings it to `part_rows`
    rows (decided from the claim alone, so every compactor cuts the same parts). The rows of
    an input come from a verified chunk that lists its committed file and checksum (see
    `write_chunk`), else from the file itself; either way the same rows, so the same bytes.
    """
    import pyarrow as pa

    from serverless_sweep.handlers.parquet import encode_table
    from serverless_sweep.models.columns import metrics_schema

    schema = metrics_schema(record.model)  # a plug-in's columns too (issue 14)
    if chunks is None:
        chunks = _load_chunks(store, layout, record, hold_rows=False)
    parts: list[CompactedPart] = []
    pages: list[ResultsPageFile] = []

    def flush(pending: list[pa.Table]) -> None:
        if not pending:
            return
        table = pa.concat_tables(pending).combine_chunks().sort_by("point_index")
        key = part_key(layout, record.run_date, record.run_id, len(parts))
        data = _put_part(store, key, encode_table(table), table.num_rows)
        values = _column_values(table)
        points = values[table.schema.get_field_index("point_index")]
        parts.append(
            CompactedPart(
                key, table.num_rows, len(data), sha256_hex(data), int(points[0]), int(points[-1])
            )
        )
        for start in range(0, table.num_rows, PAGE_ROWS):
            rows = list(zip(*(column[start : start + PAGE_ROWS] for column in values), strict=True))
            pages.append(_put_page(store, layout, record, len(pages), table.column_names, rows))

    def conform(table: pa.Table) -> pa.Table:
        if table.schema.equals(schema, check_metadata=True):  # most files: as written
            return table
        return table.select(schema.names).cast(schema)  # (a cast per file: 0.13 ms)

    for part in _cut_parts(inputs, part_rows):
        from_chunks, rest = _rows_from_chunks(store, chunks, part, schema.names)
        pending = [conform(table) for table in from_chunks]
        pending += [conform(table) for table in _tables(store, record, rest, workers)]
        flush(pending)
    return parts, pages


def _column_values(table: pa.Table) -> list[list[Any]]:
    """The table's values column by column, as `Table.to_pylist` gives them (one conversion
    per column instead of a dict per row), floats that JSON cannot hold (NaN, infinities) as
    None. Only columns whose type can hold a float are looked at."""
    import pyarrow as pa

    columns: list[list[Any]] = []
    for column in table.columns:
        values = column.to_pylist()
        kind = column.type
        if not (
            pa.types.is_integer(kind)
            or pa.types.is_boolean(kind)
            or pa.types.is_string(kind)
            or pa.types.is_large_string(kind)
        ):
            values = [_json_value(v) for v in values]
        columns.append(values)
    return columns


def _cut_parts(inputs: Sequence[_Input], part_rows: int) -> Iterator[list[_Input]]:
    """The inputs in claim order, cut after the input that brings a part to `part_rows`."""
    part: list[_Input] = []
    rows = 0
    for item in inputs:
        part.append(item)
        rows += item.rows
        if rows >= part_rows:
            yield part
            part, rows = [], 0
    if part:
        yield part


# -- chunks: the rows of a batch of tiny shards in one file -------------------------------------
#
# Decoding a one-row Parquet file costs about 0.35 ms in pyarrow, whatever the options, so
# compacting 10,000 one-point shards spent seconds decoding alone, on one worker, after the
# run's last commit. A worker that commits a durability batch of tiny shards holds their rows
# (they are the rows it encoded into their files), so it also writes them as one chunk,
# ``<runs>compaction/chunks/chunk-<sha256>.arrow`` (content addressed: the name is its
# checksum; an Arrow IPC stream, which decodes without copying: the compactor reads it once),
# whose schema metadata lists each shard's committed file and checksum and, where the worker
# knew it, the SHA-256 of the shard's success envelope with what compaction reads of it (the
# file's size, the ledger's fields). A compactor uses a chunk's rows for an input only when
# the chunk is intact (its name is its SHA-256) and lists exactly the file and checksum the
# claim fixed for that shard, with its number of rows; and it decodes an envelope only when
# no intact chunk lists that envelope's SHA-256 (it still reads every envelope: an envelope
# re-pointed by a repair after its chunk was written has other bytes, so it is decoded).
# Anything else (a chunk lost to a crash, a retry that adopted an earlier delivery's file, a
# repair) is read from the shard's files as before. Chunks are written before their shards'
# completion markers, so the compactor that sees a run complete sees every chunk of it.
# (Chunks of earlier versions, ``chunk-<sha256>.parquet``, are ignored: those shards are read
# from their files, with the same outputs.)

CHUNK_SHARDS_KEY: Final = b"serverless_sweep.chunk_shards"
"""Schema metadata key of a chunk: the shards it lists, as an Arrow IPC stream of one row per
shard (`_LISTING_FIELDS`: decoding it costs a fraction of a JSON text's)."""
_CHUNK_PREFIX: Final = "chunk-"
_CHUNK_SUFFIX: Final = ".arrow"
#: The envelope's fields a listing keeps, with the Python type each must have to be kept
#: exactly (the ledger's `LEDGER_FIELDS`; None stands for an absent field, which the ledger
#: reads alike). An envelope with another type in one of them is listed without its envelope,
#: so the compactor decodes it.
_ENVELOPE_FIELDS: Final = tuple(
    zip(LEDGER_FIELDS, (str, str, str, str, float, int, bool, str), strict=True)
)


@functools.cache
def _listing_schema() -> pa.Schema:
    import pyarrow as pa

    kinds = {str: pa.string(), float: pa.float64(), int: pa.int64(), bool: pa.bool_()}
    return pa.schema(
        [
            ("shard_id", pa.int64()),
            ("metrics_key", pa.string()),
            ("sha256", pa.string()),
            ("rows", pa.int64()),
            ("envelope_sha256", pa.string()),  # null: the envelope is not known
            ("metrics_size", pa.int64()),
            *((name, kinds[kind]) for name, kind in _ENVELOPE_FIELDS),
        ]
    )


@dataclass(frozen=True, slots=True)
class CommittedRows:
    """A committed tiny shard's rows, held by the child that encoded its file from them, and
    (when the child passes them) the success envelope it committed: the document and the exact
    bytes written (`envelope_body`, whose SHA-256 the chunk lists)."""

    shard_id: int
    metrics_key: str
    sha256: str
    rows: Sequence[Mapping[str, Any]]
    envelope: Mapping[str, Any] | None = None
    envelope_body: bytes | None = None


def chunk_folder(layout: StorageLayout, run_date: str, run_id: str) -> str:
    return compaction_folder(layout, run_date, run_id) + "chunks/"


_UNKNOWN_ENVELOPE: Final = (None,) * (2 + len(_ENVELOPE_FIELDS))


def _envelope_values(shard: CommittedRows) -> tuple[Any, ...]:
    """The listing's envelope columns of a shard: envelope_sha256, metrics_size and the
    `_ENVELOPE_FIELDS`; all None when the envelope is not known or not kept exactly."""
    envelope, body = shard.envelope, shard.envelope_body
    if envelope is None or body is None:
        return _UNKNOWN_ENVELOPE
    metadata = envelope.get("output_metadata")
    if not isinstance(metadata, Mapping) or metadata.get("metrics_key") != shard.metrics_key:
        return _UNKNOWN_ENVELOPE
    size = metadata.get("metrics_size")
    if metadata.get("metrics_sha256") != shard.sha256 or not (
        size is None or (type(size) is int and 0 <= size < 2**63)
    ):
        return _UNKNOWN_ENVELOPE
    values: list[Any] = [sha256_hex(body), size]
    for name, kind in _ENVELOPE_FIELDS:
        value = envelope.get(name)
        if value is not None and type(value) is not kind:
            return _UNKNOWN_ENVELOPE
        if type(value) is int and not -(2**63) <= value < 2**63:
            return _UNKNOWN_ENVELOPE
        values.append(value)
    return tuple(values)


def write_chunk(
    store: ObjectStore,
    layout: StorageLayout,
    run_date: str,
    run_id: str,
    model: str,
    shards: Sequence[CommittedRows],
) -> str | None:
    """Write the rows of several committed shards as one chunk (see above); its key, or None
    when there is nothing worth a chunk (fewer than two shards)."""
    if len(shards) < 2:
        return None
    import pyarrow as pa

    from serverless_sweep.models.columns import metrics_schema

    schema = metrics_schema(model)
    rows = [row for shard in shards for row in shard.rows]
    columns = {name: [row[name] for row in rows] for name in schema.names}
    listing_schema = _listing_schema()
    listed = [
        (s.shard_id, s.metrics_key, s.sha256, len(s.rows), *_envelope_values(s)) for s in shards
    ]
    listing = pa.Table.from_arrays(
        [
            pa.array([entry[i] for entry in listed], type=f.type)
            for i, f in enumerate(listing_schema)
        ],
        schema=listing_schema,
    )
    metadata = {**(schema.metadata or {}), CHUNK_SHARDS_KEY: _ipc_bytes(listing)}
    table = pa.Table.from_pydict(columns, schema=schema.with_metadata(metadata))
    data = _ipc_bytes(table)
    key = (
        f"{chunk_folder(layout, run_date, run_id)}{_CHUNK_PREFIX}{sha256_hex(data)}{_CHUNK_SUFFIX}"
    )
    with contextlib.suppress(AlreadyExists):  # the same bytes, by their name
        store.put_if_absent(key, data, PARQUET_CONTENT)
    return key


def _ipc_bytes(table: pa.Table) -> bytes:
    import pyarrow as pa

    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


_ChunkShard = tuple[int, str, str, int, int | None, LedgerFields, str]
"""A listed shard whose envelope is known: (shard_id, metrics_key, sha256, rows, metrics_size,
the envelope's `ledger_fields`, the chunk's key)."""
_InputKey = tuple[int, str, str, int]
"""(shard_id, metrics_key, sha256, rows): a committed file a chunk holds the rows of."""


@dataclass
class _Chunks:
    """The run's intact chunks: the envelope each shard they list committed, which chunk holds
    the rows of which committed file, and (`hold_rows`) their decoded rows."""

    by_envelope: dict[str, _ChunkShard] = field(default_factory=dict)
    listings: dict[str, list[list[Any]]] = field(default_factory=dict)
    shard_ids: dict[str, frozenset[int]] = field(default_factory=dict)
    tables: dict[str, pa.Table] = field(default_factory=dict)
    # shard_id -> (chunk, metrics_key, sha256, rows), for the shards found by their envelope
    sources: dict[int, tuple[str, str, str, int]] = field(default_factory=dict)
    _by_input: dict[_InputKey, str] | None = None

    def chunk_of(self, item: _Input) -> str | None:
        """The intact chunk that holds the rows of exactly the input's committed file."""
        if item.sha256 is None:
            return None
        source = self.sources.get(item.shard_id)
        if source is not None and source[1:] == (item.metrics_key, item.sha256, item.rows):
            return source[0]
        if self._by_input is None:  # an input not found by its envelope: build the index once
            self._by_input = {}
            for key, listing in self.listings.items():
                for entry in zip(*listing[:4], strict=True):
                    self._by_input.setdefault(entry, key)
        return self._by_input.get((item.shard_id, item.metrics_key, item.sha256, item.rows))


def _load_chunks(
    store: ObjectStore, layout: StorageLayout, record: RunRecord, *, hold_rows: bool
) -> _Chunks:
    """Read every intact chunk of the run once (a damaged one is only a lost shortcut)."""
    chunks = _Chunks()
    by_envelope = chunks.by_envelope
    for key in store.list_keys(chunk_folder(layout, record.run_date, record.run_id)):
        opened = _open_chunk(store, key)
        if opened is None:
            continue
        listing, table = opened
        ids, keys, digests, rows, envelope_digests, sizes = listing[:6]
        entries = zip(
            ids, keys, digests, rows, sizes, zip(*listing[6:], strict=True), itertools.repeat(key)
        )
        found = dict(zip(envelope_digests, entries, strict=True))
        found.pop(None, None)  # shards listed without their envelope
        for digest in found.keys() & by_envelope.keys():
            del found[digest]  # an envelope listed twice: the first chunk read keeps it
        by_envelope.update(found)
        chunks.listings[key] = listing
        chunks.shard_ids[key] = frozenset(ids)
        if hold_rows:
            chunks.tables[key] = table
    return chunks


def _open_chunk(store: ObjectStore, key: str) -> tuple[list[list[Any]], pa.Table] | None:
    """An intact chunk's listing (its columns' values) and rows, or None (logged) when it is
    damaged or foreign."""
    name = key.rpartition("/")[2]
    if not (name.startswith(_CHUNK_PREFIX) and name.endswith(_CHUNK_SUFFIX)):
        return None  # not a chunk of this version (an earlier version's Parquet chunk)
    data = store.get(key)
    if data is None:
        return None
    if sha256_hex(data) != name[len(_CHUNK_PREFIX) : -len(_CHUNK_SUFFIX)]:
        logger.warning("ignoring the compaction chunk %s: its bytes do not match its name", key)
        return None
    try:
        import pyarrow as pa

        table = pa.ipc.open_stream(data).read_all()
        listing = pa.ipc.open_stream((table.schema.metadata or {})[CHUNK_SHARDS_KEY]).read_all()
        if not listing.schema.equals(_listing_schema()):
            raise ValueError("its listing has other columns")
        columns = [column.to_pylist() for column in listing.columns]
        if None in columns[0] or None in columns[1] or None in columns[2] or None in columns[3]:
            raise ValueError("its listing names a shard without its file")
        if table.num_rows != sum(columns[3]):
            raise ValueError("its rows are not the rows it lists")
    except Exception as exc:  # a damaged chunk is only a lost shortcut
        logger.warning("ignoring the unreadable compaction chunk %s: %s", key, exc)
        return None
    return columns, table


def _rows_from_chunks(
    store: ObjectStore,
    chunks: _Chunks,
    part: Sequence[_Input],
    names: Sequence[str],
) -> tuple[list[pa.Table], list[_Input]]:
    """The rows of the part's inputs that intact chunks hold, and the inputs left to read from
    their files (every input whose chunk is missing, damaged or disagrees)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    wanted: dict[str, list[_Input]] = {}
    rest: list[_Input] = []
    for item in part:
        key = chunks.chunk_of(item)
        if key is None:
            rest.append(item)
        else:
            wanted.setdefault(key, []).append(item)
    tables: list[pa.Table] = []
    for key, items in wanted.items():
        table = chunks.tables.get(key)
        if table is None:
            opened = _open_chunk(store, key)
            table = opened[1] if opened is not None else None
        if table is not None:
            try:
                ids = [item.shard_id for item in items]
                if frozenset(ids) != chunks.shard_ids.get(key):  # not every shard it holds
                    value_set = pa.array(ids, type=pa.int64())
                    table = table.filter(pc.is_in(table.column("shard_id"), value_set=value_set))
                table = table.select(list(names)).replace_schema_metadata(None)
            except Exception as exc:  # read the files instead
                logger.warning("ignoring the unreadable compaction chunk %s: %s", key, exc)
                table = None
        if table is None or table.num_rows != sum(item.rows for item in items):
            rest.extend(items)
        else:
            tables.append(table)
    return tables, rest


def page_key(layout: StorageLayout, run_date: str, run_id: str, index: int) -> str:
    return f"{compaction_folder(layout, run_date, run_id)}pages/page-{index:06d}.json"


def _json_value(value: object) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        return None  # JSON has no NaN or infinity
    return value


def _put_page(
    store: ObjectStore,
    layout: StorageLayout,
    record: RunRecord,
    index: int,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
) -> ResultsPageFile:
    """One JSON results page, create-if-absent (same rows give the same text)."""
    data = dumps_canonical({"columns": list(columns), "rows": rows}).encode()
    key = page_key(layout, record.run_date, record.run_id, index)
    try:
        store.put_if_absent(key, data, JSON_CONTENT)
    except AlreadyExists:
        existing = store.get(key)
        if existing != data:
            raise CompactionError(
                f"results page {key} was written by an earlier compaction with other rows; it is "
                "never overwritten: move it aside, then `sweep compact` again"
            ) from None
    return ResultsPageFile(key, len(rows), len(data), sha256_hex(data))


def _put_part(store: ObjectStore, key: str, data: bytes, rows: int) -> bytes:
    """Write a part create-if-absent; adopt one already there that holds the same rows."""
    try:
        store.put_if_absent(key, data, PARQUET_CONTENT)
        return data
    except AlreadyExists:
        existing = store.get(key)
        if existing == data:
            return data
        problem = parquet_problem(existing, expected_rows=rows)
        if problem is not None or existing is None:
            raise CompactionError(
                f"run_metrics file {key} was written by an earlier compaction and {problem}; it "
                "is never overwritten: move it aside (see docs/ARCHITECTURE.md), then "
                "`sweep compact` again"
            ) from None
        return existing
