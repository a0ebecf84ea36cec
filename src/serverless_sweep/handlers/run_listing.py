"""List the runs of a store, newest first, one page at a time (GET /sweep-run, `sweep runs`).

Nothing keeps a table of runs: the run index (`run_index/<run>.json`, one small pointer per
accepted run, written by the parent create-if-absent) is the list. A run counts as accepted
once its pointer exists, which is also when `GET /sweep-run/{run_id}` starts to find it, so
the two routes always agree about which runs exist.

Order: by run_date, then the manifest's `accepted_at`, then run_id, all descending. Pages are
keyset-paginated: `next_token` is the sort key of the page's last run (`run_date~accepted_at~
run_id`), and the next page holds the runs strictly older than it, so a run accepted between
two page requests never shifts or repeats an entry of the pages that follow. Any string is a
position in that order, so no token is refused (an API that answered 400 to a well-formed
string would contradict its own document, where next_token is just a string).

Cost of one page: one listing of the index, one small read per run (its pointer, for the
run_date), the manifests of the runs on the page's dates only (for `accepted_at`), and one
status (outcome listings) per run on the page.

A damaged pointer or manifest does not hide the other runs: it is left out of the page and
named in the page's `damaged` list, with `sweep verify RUN_ID` as the way to look closer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby
from typing import Any, Final

from serverless_sweep.contracts import RunList, RunSummary
from serverless_sweep.core.errors import ValidationError, Violation
from serverless_sweep.core.keys import RUN_INDEX_FOLDER, StorageLayout
from serverless_sweep.handlers.ports import (
    CorruptRecord,
    ObjectStore,
)
from serverless_sweep.handlers.responses import (
    CONTRACT_VERSION,
    contract_body,
)
from serverless_sweep.handlers.runs import RunRecord, read_json_record
from serverless_sweep.handlers.settings import DEFAULT_LOST_AFTER_S
from serverless_sweep.handlers.status import run_status

QUERY_RULE: Final = "query_parameter"
"""The `rule` of a bad query parameter's detail (the message names the parameter)."""

DEFAULT_PAGE_SIZE: Final = 20
MAX_PAGE_SIZE: Final = 100

SortKey = tuple[str, str, str]
"""(run_date, accepted_at, run_id): the order of the listing, compared descending."""


class InvalidListing(ValidationError):
    """A `limit` or `next_token` the listing cannot use (a 400 naming the query parameter)."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message, [Violation("", QUERY_RULE, message)])
        self.parameter = parameter


@dataclass(frozen=True, slots=True)
class _Entry:
    run_id: str
    run_date: str
    manifest_key: str


@dataclass
class RunPage:
    """One page: the records of its runs, newest first, the token of the next page, problems."""

    records: list[RunRecord] = field(default_factory=list)
    next_token: str | None = None
    damaged: list[str] = field(default_factory=list)


TOKEN_SEPARATOR: Final = "~"
"""Between the parts of a token; run_date and accepted_at never hold one (a run_id may: it
is the last part, so it is never split)."""


def encode_token(key: SortKey) -> str:
    """The `next_token` for the runs older than `key`: `run_date~accepted_at~run_id`."""
    return TOKEN_SEPARATOR.join(key)


def decode_token(token: str) -> SortKey:
    """The sort key a `next_token` names. Every string is a position in the order (missing
    parts are empty), so no token is refused: a hand-made one just starts the page there."""
    parts = token.split(TOKEN_SEPARATOR, 2)
    parts += [""] * (3 - len(parts))
    return parts[0], parts[1], parts[2]


def parse_limit(text: str | None) -> int:
    """A page size from a query parameter: 1 to MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE when absent
    (an empty `limit=` is not absent: it is no integer)."""
    if text is None:
        return DEFAULT_PAGE_SIZE
    if not text.isdecimal() or not 1 <= int(text) <= MAX_PAGE_SIZE:
        raise InvalidListing(
            "limit", f"limit must be an integer from 1 to {MAX_PAGE_SIZE}, got {text[:40]!r}"
        )
    return int(text)


def index_prefix(layout: StorageLayout) -> str:
    """Where the run index pointers are (`<prefix>/run_index/`)."""
    base = f"{layout.prefix}/" if layout.prefix else ""
    return f"{base}{RUN_INDEX_FOLDER}/"


def _entries(store: ObjectStore, layout: StorageLayout, damaged: list[str]) -> list[_Entry]:
    entries: list[_Entry] = []
    for key in store.list_keys(index_prefix(layout)):
        if not key.endswith(".json"):
            continue
        try:
            pointer = read_json_record(store, key, None)
        except CorruptRecord as exc:
            damaged.append(str(exc))
            continue
        if pointer is None:  # deleted between the listing and the read
            continue
        run_id, run_date = pointer.get("run_id"), pointer.get("run_date")
        manifest_key = pointer.get("manifest_key")
        if not all(isinstance(v, str) for v in (run_id, run_date, manifest_key)):
            damaged.append(
                str(CorruptRecord(key, None, "the pointer lacks run_id/run_date/manifest_key"))
            )
            continue
        entries.append(_Entry(str(run_id), str(run_date), str(manifest_key)))
    return entries


def _record(store: ObjectStore, entry: _Entry, damaged: list[str]) -> RunRecord | None:
    try:
        manifest = read_json_record(store, entry.manifest_key, entry.run_id)
    except CorruptRecord as exc:
        damaged.append(str(exc))
        return None
    if manifest is None:  # a pointer without its manifest: find_run says "unknown" too
        return None
    if not isinstance(manifest.get("fingerprint"), str) or not isinstance(
        manifest.get("shards"), list
    ):
        damaged.append(str(CorruptRecord(entry.manifest_key, entry.run_id, "not a run manifest")))
        return None
    return RunRecord(
        run_id=entry.run_id,
        run_date=entry.run_date,
        fingerprint=str(manifest["fingerprint"]),
        manifest_key=entry.manifest_key,
        manifest=manifest,
    )


def sort_key(record: RunRecord) -> SortKey:
    return record.run_date, str(record.manifest.get("accepted_at", "")), record.run_id


def list_run_records(
    store: ObjectStore,
    layout: StorageLayout,
    *,
    limit: int = DEFAULT_PAGE_SIZE,
    next_token: str | None = None,
) -> RunPage:
    """The records of one page of runs, newest first (see the module docstring)."""
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise InvalidListing("limit", f"limit must be from 1 to {MAX_PAGE_SIZE}, got {limit}")
    if next_token == "":
        raise InvalidListing(
            "next_token", "next_token must not be empty; leave it out for the first page"
        )
    before = decode_token(next_token) if next_token is not None else None
    page = RunPage()
    entries = _entries(store, layout, page.damaged)
    entries.sort(key=lambda e: e.run_date, reverse=True)
    older: list[RunRecord] = []
    for run_date, group in groupby(entries, key=lambda e: e.run_date):
        if before is not None and run_date > before[0]:
            continue
        if len(older) > limit:
            break  # this date holds no run of the page, nor the one that says "more"
        records = [r for r in (_record(store, e, page.damaged) for e in group) if r is not None]
        records.sort(key=sort_key, reverse=True)
        older += [r for r in records if before is None or sort_key(r) < before]
    page.records = older[:limit]
    if len(older) > limit:
        page.next_token = encode_token(sort_key(page.records[-1]))
    return page


def summary(record: RunRecord, status: Mapping[str, Any]) -> RunSummary:
    """A run's entry of the list, from its record and RunStatus document."""
    accepted_at = record.manifest.get("accepted_at")
    return RunSummary(
        run_id=record.run_id,
        run_date=record.run_date,
        accepted_at=accepted_at if isinstance(accepted_at, str) else None,
        model=record.model,
        state=status["state"],
        total_points=status["total_points"],
        shard_count=status["shard_count"],
        succeeded_shards=status["succeeded_shards"],
        failed_shards=status["failed_shards"],
        pending_shards=status["pending_shards"],
        coverage=status["coverage"],
    )


def list_runs(
    store: ObjectStore,
    layout: StorageLayout,
    *,
    limit: int = DEFAULT_PAGE_SIZE,
    next_token: str | None = None,
    now: datetime | None = None,
    lost_after_s: float = DEFAULT_LOST_AFTER_S,
) -> dict[str, Any]:
    """The RunList document (schemas/v1/run_list.json) of one page."""
    page = list_run_records(store, layout, limit=limit, next_token=next_token)
    runs: list[RunSummary] = []
    for record in page.records:
        try:
            status = run_status(store, layout, record, now=now, lost_after_s=lost_after_s)
        except (KeyError, TypeError, ValueError) as exc:  # a manifest with odd field types
            page.damaged.append(str(CorruptRecord(record.manifest_key, record.run_id, str(exc))))
            continue
        runs.append(summary(record, status))
    document = RunList(
        contract_version=CONTRACT_VERSION,
        runs=runs,
        next_token=page.next_token,
        damaged=page.damaged or None,
    )
    return contract_body(document)
