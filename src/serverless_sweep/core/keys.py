"""Storage keys: the Hive-style layout of every artifact, and the run_id encoding inside it.

Layout (``<p>`` is the prefix stripped of ``/``, followed by ``/`` unless empty; see
docs/ARCHITECTURE.md)::

    <p>dataset=shard_metrics/run_date=<D>/run_id=<run>/status=success/part-<shard>-<attempt>.parquet
    <p>dataset=shard_metrics/run_date=<D>/run_id=<run>/status=success/part-<shard>.parquet (old)
    <p>dataset=shard_errors/run_date=<D>/run_id=<run>/status=failure/part-<shard>-<attempt>-<id>.parquet
    <p>dataset=shard_outcomes/run_date=<D>/run_id=<run>/status=success/part-<shard>.json
    <p>dataset=shard_outcomes/run_date=<D>/run_id=<run>/status=failure/part-<shard>-<attempt>-<id>.json
    <p>dataset=runs/run_date=<D>/run_id=<run>/status=accepted/manifest.json
    <p>dataset=trip_data/run_date=<D>/run_id=<run>/status=success/part-<shard>-<attempt>.parquet
    <p>dataset=snapshot_counts/run_date=<D>/run_id=<run>/status=success/part-<shard>-<attempt>.parquet
    <p>run_index/<run>.json
    <p>quarantine/<key>      (bytes of a damaged file a repair replaced by an empty Parquet file)

Why run_id is encoded: the old runtime put the raw run_id into the key, so ``surge/berlin=v2``
created an extra path segment that looked like a partition (``berlin=v2``) and two run ids could
fake each other's folders. `encode_run_id` keeps ASCII letters, digits, ``-``, ``_`` and ``.``
and writes every other byte of the UTF-8 encoding as ``%XX`` (uppercase hex), so an encoded id
never contains ``/`` or ``=``. The mapping is a bijection onto its canonical outputs:

* ``"."`` and ``".."`` are written ``%2E`` and ``%2E%2E`` (bare they are path navigation on a
  file system and in many S3 tools), and a leading dot is always ``%2E`` (no hidden files, and
  the local store's ``.tmp-`` prefix stays reserved); any other dot stays a dot;
* an encoding longer than `MAX_ENCODED_RUN_ID` (200) characters is shortened to its head, ``~``
  and a 32-hex-digit SHA-256 of the whole id (`is_shortened_run_id`): path segments are capped
  at 255 bytes, yet the old runtime accepted ids of any length. Such a segment cannot be
  decoded; the run manifest keeps the full id;
* the empty string (the parent never accepts it, but a hand-made shard payload could carry it)
  is written ``~``: a bare ``~`` is never the encoding of a non-empty id (``~`` itself is
  written ``%7E``), so the result stays non-empty and unambiguous;
* lone surrogates (possible in JSON ``"\\ud800"``) are encoded as their 3-byte "surrogatepass"
  form, so every Python string has a key;
* `decode_run_id` accepts only canonical encodings (uppercase hex, no needless escapes), so two
  different keys can never name the same run.

Querying a run by id: the partition folder holds the encoded id, e.g. run_id ``surge/berlin=v2``
is stored under ``run_id=surge%2Fberlin%3Dv2``.

* Athena with partition projection (``run_id`` as an ``injected`` key) reads the folder text as
  is, so filter on the encoded form::

      SELECT * FROM shard_metrics WHERE run_id = 'surge%2Fberlin%3Dv2'

  (encode in SQL-free code with `encode_run_id`; ids made only of letters, digits, ``-``, ``_``
  and ``.`` are unchanged, so most ids need no thought).
* DuckDB (1.1 and later, ``hive_partitioning=true``) percent-decodes partition values when it
  reads them, so there the column holds the raw id again::

      SELECT * FROM read_parquet('sweep-data/dataset=shard_metrics/*/*/*/*.parquet',
                                 hive_partitioning = true)
      WHERE run_id = 'surge/berlin=v2'

  (Hive's ``MSCK REPAIR TABLE`` and Spark also unescape ``%XX`` in folder names; the one id such
  readers show differently is the empty id, ``~``.)
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

__all__ = [
    "DATASET_RUNS",
    "DATASET_SHARD_ERRORS",
    "DATASET_SHARD_METRICS",
    "DATASET_SHARD_OUTCOMES",
    "DATASET_SNAPSHOT_COUNTS",
    "DATASET_TRIP_DATA",
    "DETAIL_DATASETS",
    "STATUS_ACCEPTED",
    "STATUS_FAILURE",
    "STATUS_SUCCESS",
    "ParsedKey",
    "StorageLayout",
    "decode_run_id",
    "encode_run_id",
    "format_run_date",
    "is_shortened_run_id",
]

DATASET_SHARD_METRICS: Final = "shard_metrics"
DATASET_SHARD_ERRORS: Final = "shard_errors"
DATASET_SHARD_OUTCOMES: Final = "shard_outcomes"
DATASET_RUNS: Final = "runs"
# Issue 11's per-point detail datasets (request `outputs`), committed by success envelopes.
DATASET_TRIP_DATA: Final = "trip_data"
DATASET_SNAPSHOT_COUNTS: Final = "snapshot_counts"
DETAIL_DATASETS: Final[tuple[str, ...]] = (DATASET_SNAPSHOT_COUNTS, DATASET_TRIP_DATA)
STATUS_SUCCESS: Final = "success"
STATUS_FAILURE: Final = "failure"
STATUS_ACCEPTED: Final = "accepted"
RUN_INDEX_FOLDER: Final = "run_index"
QUARANTINE_FOLDER: Final = "quarantine"

EMPTY_RUN_ID: Final = "~"
SHORTENED_MARK: Final = "~"
#: Longest encoded run id kept whole: "run_id=" + 200 stays well inside a 255-byte path segment.
MAX_ENCODED_RUN_ID: Final = 200
_DIGEST_CHARS: Final = 32
_SAFE: Final = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")
_ESCAPED_DOTS: Final = {".": "%2E", "..": "%2E%2E"}
_DATE_RE: Final = re.compile(r"\d{4}-\d{2}-\d{2}")
_NAME_RE: Final = re.compile(r"[a-z][a-z0-9_]*")
_ATTEMPT_ID_RE: Final = re.compile(r"[A-Za-z0-9_-]+")
_INT_RE: Final = r"(?:0|-?[1-9][0-9]*)"
_SUCCESS_PART_RE: Final = re.compile(rf"part-(?P<shard>{_INT_RE})\.(?P<ext>parquet|json)")
_ATTEMPT_METRICS_RE: Final = re.compile(
    rf"part-(?P<shard>{_INT_RE})-(?P<attempt>[1-9][0-9]*)\.(?P<ext>parquet)"
)
_FAILURE_PART_RE: Final = re.compile(
    rf"part-(?P<shard>{_INT_RE})-(?P<attempt>[1-9][0-9]*)-(?P<aid>[A-Za-z0-9_-]+)"
    r"\.(?P<ext>parquet|json)"
)
#: (dataset, status) -> (ParsedKey.kind, file extension) of the per-shard records.
_PART_KINDS: Final = {
    (DATASET_SHARD_METRICS, STATUS_SUCCESS): ("metrics", "parquet"),
    (DATASET_SHARD_ERRORS, STATUS_FAILURE): ("errors", "parquet"),
    (DATASET_SHARD_OUTCOMES, STATUS_SUCCESS): ("success_outcome", "json"),
    (DATASET_SHARD_OUTCOMES, STATUS_FAILURE): ("failure_outcome", "json"),
    (DATASET_TRIP_DATA, STATUS_SUCCESS): ("detail", "parquet"),
    (DATASET_SNAPSHOT_COUNTS, STATUS_SUCCESS): ("detail", "parquet"),
}


def encode_run_id(run_id: str) -> str:
    """Percent-encode a run id for use as one key segment (see the module docstring)."""
    if run_id == "":
        return EMPTY_RUN_ID
    if run_id in _ESCAPED_DOTS:
        return _ESCAPED_DOTS[run_id]
    data = run_id.encode("utf-8", "surrogatepass")
    encoded = "".join(chr(b) if b in _SAFE else f"%{b:02X}" for b in data)
    if encoded.startswith("."):
        # A leading dot would make a hidden file of the run index entry, and `.tmp-...` is the
        # local store's reserved temp prefix.
        encoded = "%2E" + encoded[1:]
    if len(encoded) <= MAX_ENCODED_RUN_ID:
        return encoded
    return _shortened(encoded, data)


def _shortened(encoded: str, data: bytes) -> str:
    """A long id's segment: its readable head, `~`, and a digest of the whole id.

    File systems cap a path segment at 255 bytes and S3 a key at 1024, while the old runtime
    accepted run ids of any length. `~` never appears in a full encoding (it is written `%7E`),
    so a shortened segment can never be mistaken for, or collide with, a full one.
    """
    digest = hashlib.sha256(data).hexdigest()[:_DIGEST_CHARS]
    head = encoded[: MAX_ENCODED_RUN_ID - 1 - _DIGEST_CHARS]
    escape = head.rfind("%", len(head) - 2)
    if escape != -1:
        head = head[:escape]  # never cut an escape in half
    return f"{head}{SHORTENED_MARK}{digest}"


def is_shortened_run_id(encoded: str) -> bool:
    """Whether a key segment is the shortened form of a long run id (not decodable)."""
    head, mark, digest = encoded.rpartition(SHORTENED_MARK)
    return (
        bool(mark)
        and bool(head)
        and len(digest) == _DIGEST_CHARS
        and all(c in "0123456789abcdef" for c in digest)
    )


@functools.lru_cache(maxsize=256)
def decode_run_id(encoded: str) -> str:
    """Inverse of `encode_run_id`; `ValueError` on anything it would not have produced.

    Cached (a pure function; errors are not cached): a status of 10,000 shards parses the
    same run segment in every one of their keys."""
    if encoded == EMPTY_RUN_ID:
        return ""
    if is_shortened_run_id(encoded):
        raise ValueError(
            f"{encoded!r} is a shortened long run id: the full id is in the run's manifest"
        )
    out = bytearray()
    i = 0
    while i < len(encoded):
        char = encoded[i]
        if char == "%":
            hex_digits = encoded[i + 1 : i + 3]
            if len(hex_digits) != 2 or not all(c in "0123456789ABCDEF" for c in hex_digits):
                raise ValueError(f"malformed escape at position {i} in encoded run id {encoded!r}")
            out.append(int(hex_digits, 16))
            i += 3
        elif ord(char) < 128 and ord(char) in _SAFE:
            out.append(ord(char))
            i += 1
        else:
            raise ValueError(f"character {char!r} cannot appear in an encoded run id")
    try:
        run_id = out.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError as exc:
        raise ValueError(f"encoded run id {encoded!r} is not UTF-8: {exc}") from exc
    if encode_run_id(run_id) != encoded:
        raise ValueError(f"{encoded!r} is not the canonical encoding of {run_id!r}")
    return run_id


def format_run_date(run_date: date | str) -> str:
    """``YYYY-MM-DD`` of a date, or the same string after checking it is a real calendar date."""
    if isinstance(run_date, date):
        return run_date.isoformat()
    if isinstance(run_date, str) and _DATE_RE.fullmatch(run_date):
        try:
            date.fromisoformat(run_date)
        except ValueError:
            pass
        else:
            return run_date
    raise ValueError(f"run_date must be a date or a 'YYYY-MM-DD' string, got {run_date!r}")


def _shard(shard_id: int) -> str:
    # Any int64, negatives included: the shard payload contract does not bound shard_id and the
    # old child accepted (and stored) a negative one; "part--1" still parses unambiguously.
    if isinstance(shard_id, bool) or not isinstance(shard_id, int):
        raise ValueError(f"shard_id must be an integer, got {shard_id!r}")
    if not -(2**63) <= shard_id < 2**63:
        raise ValueError(f"shard_id must be a 64-bit integer, got {shard_id!r}")
    return str(shard_id)


def _attempt_part(attempt: int, attempt_id: str) -> str:
    if isinstance(attempt, bool) or not isinstance(attempt, int) or attempt < 1:
        raise ValueError(f"attempt must be an integer >= 1, got {attempt!r}")
    if not isinstance(attempt_id, str) or not _ATTEMPT_ID_RE.fullmatch(attempt_id):
        raise ValueError(f"attempt_id must match [A-Za-z0-9_-]+, got {attempt_id!r}")
    return f"{attempt}-{attempt_id}"


def _name(kind: str, value: str) -> str:
    if not isinstance(value, str) or not _NAME_RE.fullmatch(value):
        raise ValueError(f"{kind} must match [a-z][a-z0-9_]*, got {value!r}")
    return value


@dataclass(frozen=True, slots=True)
class ParsedKey:
    """What a key of the layout says about itself (for status views built from a listing).

    `kind` is one of "metrics", "errors", "success_outcome", "failure_outcome", "manifest",
    "detail" (a trip_data or snapshot_counts file, per attempt).
    `shard_id` is None for the manifest; `attempt`/`attempt_id` are set for failure records (and
    `attempt` for per-attempt metrics files, `StorageLayout.attempt_metrics_key`).
    """

    kind: str
    dataset: str
    run_date: str
    run_id: str
    status: str
    shard_id: int | None = None
    attempt: int | None = None
    attempt_id: str | None = None


_RUN_PREFIX_CACHE = 1024
"""Run folders remembered (all forgotten at this many: runs are few at a time)."""

_RUN_PREFIXES: dict[tuple[str, str, object, object, str | None], str] = {}
"""run_prefix results of every layout, by (base, dataset, run_date, run_id, status): shared
because a child builds a new layout per shard (issue 13), so a per-object cache was always
empty there and each key percent-encoded the run id and checked the date again (~6 us)."""

_SHARD_FOLDERS: dict[tuple[str, str, str, object, object], str] = {}
"""A per-shard key's folder and name head (``<run folder>part-``), by (base, dataset, status,
run_date, run_id): what the hot key builders look up (one dict lookup, no method call)."""

_PARSED_FOLDERS: dict[str, tuple[str, str, str, str] | None] = {}
"""parse_key's folder parts by folder text (they do not depend on the layout's prefix)."""

_INT64_MIN: Final = -(2**63)
_INT64_END: Final = 2**63


def _remember(cache: dict[Any, Any], key: object, value: str) -> None:
    """Store a computed key part; the cache forgets everything at `_RUN_PREFIX_CACHE` entries
    (dict operations are atomic under the GIL, so threads sharing it at most recompute)."""
    if len(cache) >= _RUN_PREFIX_CACHE:
        cache.clear()
    cache[key] = value


def _parse_folder(folder: str) -> tuple[str, str, str, str] | None:
    """(dataset, run_date, run_id, status) of a key's folder ``dataset=…/run_date=…/run_id=…/
    status=…`` (the run id decoded), or None when it is not one a layout produces."""
    parts = folder.split("/")
    if len(parts) != 4:
        return None
    fields: list[str] = []
    for part, label in zip(parts, ("dataset", "run_date", "run_id", "status"), strict=True):
        head, sep, value = part.partition("=")
        if head != label or not sep:
            return None
        fields.append(value)
    dataset, run_date, encoded, status = fields
    try:
        format_run_date(run_date)
        # A shortened long id cannot be decoded: the folder text stands in for it.
        run_id = encoded if is_shortened_run_id(encoded) else decode_run_id(encoded)
    except ValueError:
        return None
    return dataset, run_date, run_id, status


class StorageLayout:
    """Builds and parses the keys of one store (one prefix).

    The prefix is stripped of ``/`` at both ends (``"/a/b/"`` -> ``"a/b"``) and joined with
    ``/``; an empty prefix puts keys at ``dataset=...``. Spaces are part of the prefix (not
    stripped), as an S3 key may hold them.
    """

    __slots__ = ("_base", "prefix")

    def __init__(self, prefix: str = "") -> None:
        self.prefix: str = prefix.strip("/")
        self._base: str = f"{self.prefix}/" if self.prefix else ""

    def __repr__(self) -> str:
        return f"StorageLayout(prefix={self.prefix!r})"

    def dataset_prefix(self, dataset: str) -> str:
        """``<p>dataset=<dataset>/``: everything of one dataset (an Athena table location)."""
        return f"{self._base}dataset={_name('dataset', dataset)}/"

    def run_prefix(
        self, dataset: str, run_date: date | str, run_id: str, status: str | None = None
    ) -> str:
        """The folder of one run in one dataset (and one status when given); ends with ``/``.

        Remembered for every layout of the same prefix (`_RUN_PREFIXES`): a shard builds
        several keys of its one run, and each used to percent-encode the run id (issue 13).
        Only valid arguments of exact types are remembered, so a refusal is raised every time."""
        cache_key = (self._base, dataset, run_date, run_id, status)
        try:
            return _RUN_PREFIXES[cache_key]
        except (KeyError, TypeError):  # TypeError: an unhashable argument, refused below
            pass
        folder = (
            f"{self.dataset_prefix(dataset)}run_date={format_run_date(run_date)}/"
            f"run_id={encode_run_id(run_id)}/"
        )
        found = folder if status is None else f"{folder}status={_name('status', status)}/"
        if type(run_date) in (str, date) and type(run_id) is str:  # exact types: hashable
            _remember(_RUN_PREFIXES, cache_key, found)
        return found

    def _part_head(self, dataset: str, status: str, run_date: date | str, run_id: str) -> str:
        """``<run folder of dataset/status>part-``, the head of every per-shard key there
        (validates the arguments as `run_prefix` does; remembered in `_SHARD_FOLDERS`)."""
        head = f"{self.run_prefix(dataset, run_date, run_id, status)}part-"
        if type(run_date) in (str, date) and type(run_id) is str:
            _remember(_SHARD_FOLDERS, (self._base, dataset, status, run_date, run_id), head)
        return head

    def metrics_key(self, run_date: date | str, run_id: str, shard_id: int) -> str:
        """Parquet rows of a successful shard, as written before the per-attempt key (old runs
        keep it; new children write `attempt_metrics_key`)."""
        folder = self.run_prefix(DATASET_SHARD_METRICS, run_date, run_id, STATUS_SUCCESS)
        return f"{folder}part-{_shard(shard_id)}.parquet"

    def attempt_metrics_key(
        self, run_date: date | str, run_id: str, shard_id: int, attempt: int
    ) -> str:
        """Parquet rows of one attempt of a shard, committed only by the success envelope that
        names it (the child's commit protocol, handlers/child.py). One key per (shard, attempt):
        a platform retry of the same attempt finds and adopts the file instead of adding a
        second one, and a redrive (a new attempt number) never meets an earlier attempt's file.
        """
        return self._attempt_parquet_key(DATASET_SHARD_METRICS, run_date, run_id, shard_id, attempt)

    def detail_key(
        self, dataset: str, run_date: date | str, run_id: str, shard_id: int, attempt: int
    ) -> str:
        """A detail dataset's Parquet file of one attempt of a shard (trip_data,
        snapshot_counts: issue 11), named like `attempt_metrics_key` and committed by the same
        success envelope (its ``output_metadata.detail_files``)."""
        if dataset not in DETAIL_DATASETS:
            raise ValueError(f"{dataset!r} is not a detail dataset ({', '.join(DETAIL_DATASETS)})")
        return self._attempt_parquet_key(dataset, run_date, run_id, shard_id, attempt)

    def _attempt_parquet_key(
        self, dataset: str, run_date: date | str, run_id: str, shard_id: int, attempt: int
    ) -> str:
        """``part-<shard>-<attempt>.parquet`` in the dataset's success folder of the run (the
        common case is one dict lookup and one f-string, as in `success_outcome_key`)."""
        if isinstance(attempt, bool) or not isinstance(attempt, int) or attempt < 1:
            raise ValueError(f"attempt must be an integer >= 1, got {attempt!r}")
        try:
            head = _SHARD_FOLDERS[(self._base, dataset, STATUS_SUCCESS, run_date, run_id)]
        except (KeyError, TypeError):
            head = self._part_head(dataset, STATUS_SUCCESS, run_date, run_id)
        if type(shard_id) is int and _INT64_MIN <= shard_id < _INT64_END:
            return f"{head}{shard_id}-{attempt}.parquet"
        return f"{head}{_shard(shard_id)}-{attempt}.parquet"

    def errors_key(
        self, run_date: date | str, run_id: str, shard_id: int, attempt: int, attempt_id: str
    ) -> str:
        """Parquet error rows of one failed attempt (never replaces another attempt's record)."""
        folder = self.run_prefix(DATASET_SHARD_ERRORS, run_date, run_id, STATUS_FAILURE)
        return f"{folder}part-{_shard(shard_id)}-{_attempt_part(attempt, attempt_id)}.parquet"

    def success_outcome_key(self, run_date: date | str, run_id: str, shard_id: int) -> str:
        """Success envelope of a shard; its presence means "done" (idempotency marker).

        Built twice per shard: the common case (a remembered folder, a plain int shard id)
        is one dict lookup and one f-string (issue 13); anything else goes the checked way."""
        try:
            head = _SHARD_FOLDERS[
                (self._base, DATASET_SHARD_OUTCOMES, STATUS_SUCCESS, run_date, run_id)
            ]
        except (KeyError, TypeError):
            head = self._part_head(DATASET_SHARD_OUTCOMES, STATUS_SUCCESS, run_date, run_id)
        if type(shard_id) is int and _INT64_MIN <= shard_id < _INT64_END:
            return f"{head}{shard_id}.json"
        return f"{head}{_shard(shard_id)}.json"

    def failure_outcome_key(
        self, run_date: date | str, run_id: str, shard_id: int, attempt: int, attempt_id: str
    ) -> str:
        """Failure envelope of one attempt: attempt number plus a random id, since Lambda's own
        retries redeliver the same payload (same attempt number)."""
        folder = self.run_prefix(DATASET_SHARD_OUTCOMES, run_date, run_id, STATUS_FAILURE)
        return f"{folder}part-{_shard(shard_id)}-{_attempt_part(attempt, attempt_id)}.json"

    def manifest_key(self, run_date: date | str, run_id: str) -> str:
        """The accepted run's manifest (normalized request, fingerprint, plan)."""
        folder = self.run_prefix(DATASET_RUNS, run_date, run_id, STATUS_ACCEPTED)
        return f"{folder}manifest.json"

    def quarantine_key(self, key: str) -> str:
        """Where a damaged object's bytes are kept when a repair neutralizes it: outside every
        dataset (no Athena table or DuckDB view reads ``<p>quarantine/``), same relative key."""
        if not key.startswith(self._base) or not key[len(self._base) :]:
            raise ValueError(f"{key!r} is not a key of this layout (prefix {self.prefix!r})")
        return f"{self._base}{QUARANTINE_FOLDER}/{key[len(self._base) :]}"

    def run_index_key(self, run_id: str) -> str:
        """run_id -> run_date pointer; its create-if-absent write decides run_id races."""
        return f"{self._base}{RUN_INDEX_FOLDER}/{encode_run_id(run_id)}.json"

    def parse_key(self, key: str) -> ParsedKey | None:
        """Read a dataset key of this layout back; None for anything else (foreign or malformed).

        Only keys this layout could have produced parse (canonical run id encoding, no leading
        zeros in numbers, the file name that belongs to the dataset and status).
        """
        if not key.startswith(self._base):
            return None
        folder, _, filename = key[len(self._base) :].rpartition("/")
        try:
            head = _PARSED_FOLDERS[folder]
        except KeyError:
            head = _parse_folder(folder)
            if len(_PARSED_FOLDERS) >= _RUN_PREFIX_CACHE:
                _PARSED_FOLDERS.clear()
            _PARSED_FOLDERS[folder] = head
        if head is None:
            return None
        dataset, run_date, run_id, status = head
        if dataset == DATASET_RUNS:
            if status == STATUS_ACCEPTED and filename == "manifest.json":
                return ParsedKey("manifest", dataset, run_date, run_id, status)
            return None
        expected = _PART_KINDS.get((dataset, status))
        if expected is None:
            return None
        kind, ext = expected
        pattern = _SUCCESS_PART_RE if status == STATUS_SUCCESS else _FAILURE_PART_RE
        match = pattern.fullmatch(filename)
        if match is None and kind in ("metrics", "detail"):
            per_attempt = _ATTEMPT_METRICS_RE.fullmatch(filename)
            if per_attempt is not None:
                shard, attempt = int(per_attempt["shard"]), int(per_attempt["attempt"])
                return ParsedKey(kind, dataset, run_date, run_id, status, shard, attempt)
        if match is None or match["ext"] != ext:
            return None
        if status == STATUS_SUCCESS:
            return ParsedKey(kind, dataset, run_date, run_id, status, int(match["shard"]))
        return ParsedKey(
            kind,
            dataset,
            run_date,
            run_id,
            status,
            int(match["shard"]),
            int(match["attempt"]),
            match["aid"],
        )
