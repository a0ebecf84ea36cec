"""A pure-Python Parquet writer for tiny shard files, byte for byte what pyarrow writes.

Why (issue 13, tiny shards cheap): a one-point shard's file costs pyarrow about half a
millisecond of CPU (a writer, a table, the footer), the largest single cost of a shard whose
model takes microseconds. This module writes the same file directly: one row group, one PLAIN
data page (v1) per column, no compression, no dictionary, statistics on; that is, exactly the
output of `pyarrow_parquet` (the reference, and the fallback) for the column types our metrics
schemas use.

Why it cannot drift from pyarrow: nothing version specific is typed in by hand. A per-schema
`Plan` is built once from pyarrow's own output for a sample row: the footer's constant parts
(the schema elements, the ``ARROW:schema`` key-value blob, ``created_by``, the column orders,
each column's type/encodings/path/codec fields and page encoding stats) are sliced out of that
file. Only the data-dependent parts (pages, page headers, statistics, size statistics, sizes and
offsets) are encoded here, following the Parquet thrift definitions (compact protocol). Before
a plan is used it passes a self-check: several sample row sets (typical values, all nulls,
mixed nulls, strings at the statistics size limit) are encoded both ways and must be equal byte
for byte; a plan that fails is marked unsupported (one debug log line) and `encode` returns
None, so the caller writes with pyarrow. A new pyarrow version can therefore make this path
unused, never make it write a different file. The differential tests check the same claim over
generated rows.

Supported: 1..`MAX_ROWS` rows; columns int32, int64, double, bool and string (utf8), nullable or
not; values of the exact Python types pyarrow would convert the same way (int; float, or an int
that a double holds exactly, for double; bool; str). Anything else (another column type, a numpy
scalar, a None in a non-nullable column, an out-of-range int, a string that is not valid UTF-8,
more than `PAGE_LIMIT` bytes in a column) returns None: the caller's pyarrow call then writes
the file or raises the error pyarrow raises.

Standard library only at import time: pyarrow is imported when a plan is built.
"""

from __future__ import annotations

import logging
import struct
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = [
    "MAX_ROWS",
    "PAGE_LIMIT",
    "Plan",
    "encode",
    "plan_for",
    "pyarrow_parquet",
    "sample_rows",
    "small_parquet",
]

log = logging.getLogger(__name__)

#: Most rows this writer encodes: the child's small-shard limit (`child.SMALL_SHARD_ROWS`),
#: the range the differential tests cover. (pyarrow writes rows in batches of 1024 and checks
#: the page size between batches, so up to there a column is always one page.)
MAX_ROWS = 16
#: Most value bytes of one column this writer encodes: far below pyarrow's 1 MiB page size, so
#: a column is one page whatever pyarrow's page-splitting rules.
PAGE_LIMIT = 1 << 19
#: parquet-cpp drops a min or max statistic longer than this (`max_statistics_size`, 4096 by
#: default); the self-check's long-string sample pins it, so a changed default disables plans.
STATISTICS_LIMIT = 4096

_INT32, _INT64, _DOUBLE, _BOOL, _STRING = range(5)
_EXACT_DOUBLE_INT = 1 << 53  # pyarrow converts an int to double only when it is exact

_pack = struct.pack
_U32 = struct.Struct("<I").pack
_I32 = struct.Struct("<i").pack
_I64 = struct.Struct("<q").pack
_F64 = struct.Struct("<d").pack


def _varint(value: int) -> bytes:
    """ULEB128, the compact protocol's integers (callers zigzag signed values first)."""
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


_ZZ_TABLE = tuple(_varint(i << 1) for i in range(8192))


def _zz(value: int) -> bytes:
    """A non-negative i32/i64 field value: zigzag (2n) then varint; a table for small ones."""
    return _ZZ_TABLE[value] if value < 8192 else _varint(value << 1)


# -- definition levels: the RLE/bit-packed hybrid, bit width 1 -------------------------------


def _rle_levels(levels: Sequence[int]) -> bytes:
    """parquet-cpp's `RleEncoder` (bit width 1) over the definition levels, step for step.

    Its run/literal decisions are not the only valid encoding, so they are reproduced as they
    are: runs of 8 or more equal values become RLE runs, the rest bit-packed groups of 8 with a
    reserved indicator byte; the last group is padded with zeros."""
    out = bytearray()
    buffered: list[int] = []
    current = 0
    repeat = 0
    literal = 0
    indicator = -1

    def flush_literal(update_indicator: bool) -> None:
        nonlocal indicator, literal
        if indicator < 0:
            indicator = len(out)
            out.append(0)
        if buffered:
            byte = 0
            for bit, level in enumerate(buffered):
                byte |= level << bit
            out.append(byte)
            buffered.clear()
        if update_indicator:
            out[indicator] = (((literal + 7) // 8) << 1) | 1
            indicator = -1
            literal = 0

    def flush_rle() -> None:
        nonlocal repeat
        out.extend(_varint(repeat << 1))
        out.append(current)
        buffered.clear()
        repeat = 0

    def flush_buffered() -> None:
        nonlocal repeat, literal
        if repeat >= 8:
            buffered.clear()
            if literal:
                flush_literal(True)
            return
        literal += len(buffered)
        flush_literal((literal + 7) // 8 + 1 >= 64)
        repeat = 0

    for level in levels:
        if level == current:
            repeat += 1
            if repeat > 8:
                continue
        else:
            if repeat >= 8:
                flush_rle()
            repeat = 1
            current = level
        buffered.append(level)
        if len(buffered) == 8:
            flush_buffered()
    if literal or repeat or buffered:
        all_repeat = literal == 0 and (repeat == len(buffered) or not buffered)
        if repeat and all_repeat:
            flush_rle()
        else:
            if buffered:
                buffered.extend([0] * (8 - len(buffered)))
            literal += len(buffered)
            flush_literal(True)
    return bytes(out)


def _uniform_levels(count: int, level: int) -> bytes:
    """Levels of a column with no null (1) or only nulls (0): one RLE run, length-prefixed."""
    run = _varint(count << 1) + bytes((level,))
    return _U32(len(run)) + run


_ALL_PRESENT = tuple(_uniform_levels(n, 1) if n else b"" for n in range(MAX_ROWS + 1))
_ALL_NULL = tuple(_uniform_levels(n, 0) if n else b"" for n in range(MAX_ROWS + 1))


def _levels(values: Sequence[Any], nulls: int) -> bytes:
    """The data page's definition levels (v1: a 4-byte length, then the hybrid encoding)."""
    count = len(values)
    if not nulls:
        return _ALL_PRESENT[count]
    if nulls == count:
        return _ALL_NULL[count]
    run = _rle_levels([0 if value is None else 1 for value in values])
    return _U32(len(run)) + run


# -- values and statistics per column type -----------------------------------------------------

# An encoder gets the non-null values and returns (PLAIN bytes, min, max, unencoded bytes), min
# and max already PLAIN-encoded (None when there is none), or None when it cannot encode them
# the way pyarrow would.
_Encoded = tuple[bytes, bytes | None, bytes | None, int]


def _int64(values: list[Any]) -> _Encoded | None:
    for value in values:
        if type(value) is not int:
            return None
    if len(values) == 1:  # struct.error (caught by `encode`) when out of range
        data = _I64(values[0])
        return data, data, data, 0
    return _pack(f"<{len(values)}q", *values), _I64(min(values)), _I64(max(values)), 0


def _int32(values: list[Any]) -> _Encoded | None:
    for value in values:
        if type(value) is not int:
            return None
    if len(values) == 1:
        data = _I32(values[0])
        return data, data, data, 0
    return _pack(f"<{len(values)}i", *values), _I32(min(values)), _I32(max(values)), 0


def _double(values: list[Any]) -> _Encoded | None:
    for index, value in enumerate(values):
        if type(value) is not float:
            if type(value) is not int or not -_EXACT_DOUBLE_INT <= value <= _EXACT_DOUBLE_INT:
                return None
            values[index] = float(value)
    data = _pack(f"<{len(values)}d", *values)
    numbers = [value for value in values if value == value]  # NaN takes no part in min/max
    if not numbers:
        return data, None, None, 0
    low, high = min(numbers), max(numbers)
    # parquet-cpp writes a zero minimum as -0.0 and a zero maximum as +0.0 (either sign of
    # zero may be in the data, and readers compare -0.0 < +0.0).
    return data, _F64(-0.0 if low == 0.0 else low), _F64(0.0 if high == 0.0 else high), 0


def _bool(values: list[Any]) -> _Encoded | None:
    bits = 0
    for index, value in enumerate(values):
        if type(value) is not bool:
            return None
        if value:
            bits |= 1 << index
    data = bits.to_bytes((len(values) + 7) // 8, "little")
    low = b"\x01" if all(values) else b"\x00"
    high = b"\x01" if bits else b"\x00"
    return data, low, high, 0


def _string(values: list[Any]) -> _Encoded | None:
    for value in values:
        if type(value) is not str:
            return None
    if len(values) == 1:
        raw = values[0].encode()  # UnicodeEncodeError (caught by `encode`): not UTF-8 text
        size = len(raw)
        stat = raw if size <= STATISTICS_LIMIT else None
        return _U32(size) + raw, stat, stat, size
    encoded = [value.encode() for value in values]
    data = b"".join([_U32(len(raw)) + raw for raw in encoded])
    low, high = min(encoded), max(encoded)  # bytes compare unsigned, as parquet-cpp does
    return (
        data,
        low if len(low) <= STATISTICS_LIMIT else None,
        high if len(high) <= STATISTICS_LIMIT else None,
        len(data) - 4 * len(encoded),
    )


_ENCODERS: tuple[Callable[[list[Any]], _Encoded | None], ...] = (
    _int32,
    _int64,
    _double,
    _bool,
    _string,
)


def _statistics(kind: int, nulls: int, low: bytes | None, high: bytes | None) -> bytes:
    """A thrift `Statistics` struct, as parquet-cpp fills it: the deprecated max/min (fields 1
    and 2) for the signed-order types but not for strings, then null_count, max_value,
    min_value and their is_*_exact flags; distinct_count is not written."""
    null_count = _ZZ_TABLE[nulls]
    if kind != _STRING:
        if low is None or high is None:  # all null (or all NaN)
            return b"\x36" + null_count + b"\x00"
        size = bytes((len(low),))  # a binary's length: a plain varint (1, 4 or 8)
        return b"".join(
            (
                b"\x18", size, high, b"\x18", size, low,
                b"\x16", null_count,
                b"\x28", size, high, b"\x18", size, low,
                b"\x11\x11\x00",
            )
        )  # fmt: skip
    if high is not None and low is not None:
        return b"".join(
            (
                b"\x36", null_count,
                b"\x28", _varint(len(high)), high, b"\x18", _varint(len(low)), low,
                b"\x11\x11\x00",
            )
        )  # fmt: skip
    if high is not None:  # the minimum was too long to keep: fields 3, 5, 7
        return b"\x36" + null_count + b"\x28" + _varint(len(high)) + high + b"\x21\x00"
    if low is not None:  # fields 3, 6, 8
        return b"\x36" + null_count + b"\x38" + _varint(len(low)) + low + b"\x21\x00"
    return b"\x36" + null_count + b"\x00"


# -- the plan -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Column:
    name: str
    kind: int
    nullable: bool
    #: A ColumnChunk up to the data-dependent metadata: file_offset 0, then ColumnMetaData's
    #: type, encodings, path_in_schema and codec as pyarrow wrote them.
    head: bytes
    #: ColumnMetaData field 13 (encoding_stats: one PLAIN data page), header included.
    encoding_stats: bytes
    #: The constant parts of a one-row chunk (None only while the plan is being built).
    one: _OneRow | None = None


@dataclass(frozen=True, slots=True)
class _OneRow:
    """A column's one-row chunk parts that do not depend on the value: all of a null's chunk;
    all of a fixed-width value's but the value itself (its page and statistics sizes are
    fixed). The null parts and the sizes are `_column_parts` output; the self-check's one-row
    samples take this path, so it is compared with pyarrow like the general one."""

    null_page: bytes
    null_before: bytes
    null_after: bytes
    #: A fixed-width value: page = page_head + statistics + page_mid + value; statistics =
    #: stat_a + max + stat_b + min + stat_c + max + stat_b + min + b"\x11\x11\x00".
    page_head: bytes
    page_mid: bytes
    page_size: int
    stat_a: bytes
    stat_b: bytes
    stat_c: bytes
    before: bytes
    after: bytes


@dataclass(frozen=True, slots=True)
class Plan:
    """What a schema's files share, sliced from pyarrow's output (see the module docstring)."""

    columns: tuple[_Column, ...]
    #: FileMetaData fields 1 and 2 (version, schema elements), raw.
    head: bytes
    #: FileMetaData fields after row_groups (key_value_metadata with ARROW:schema, created_by,
    #: column_orders, ...), raw, with the struct's stop byte.
    tail: bytes
    #: RowGroup field 1's header and its list header (`len(columns)` structs).
    list_header: bytes


def encode(schema: pa.Schema, rows: Sequence[Mapping[str, Any]]) -> bytes | None:
    """The file pyarrow would write for `rows` (see `pyarrow_parquet`), or None when this
    writer does not support the schema or these values: the caller then uses pyarrow."""
    if not 0 < len(rows) <= MAX_ROWS:
        return None
    plan = plan_for(schema)
    if plan is None:
        return None
    try:
        return _encode(plan, rows)
    except (struct.error, UnicodeError, KeyError, TypeError, ValueError, OverflowError):
        return None  # a value pyarrow converts differently, or rejects: its call decides


def small_parquet(schema: pa.Schema, rows: Sequence[Mapping[str, Any]]) -> bytes:
    """A small shard's file: `encode` when it can, else the same bytes from pyarrow."""
    data = encode(schema, rows)
    return pyarrow_parquet(schema, rows) if data is None else data


def pyarrow_parquet(schema: pa.Schema, rows: Sequence[Mapping[str, Any]]) -> bytes:
    """The reference: how a small shard's file is written with pyarrow, without compression
    or dictionaries (they save nothing on a few rows), one row group, statistics on. The
    fallback of `small_parquet` and the other side of every self-check and differential test."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns = {name: [row[name] for row in rows] for name in schema.names}
    sink = pa.BufferOutputStream()
    pq.write_table(
        pa.Table.from_pydict(columns, schema=schema),
        sink,
        compression="none",
        row_group_size=max(len(rows), 1),
        write_statistics=True,
        use_dictionary=False,
    )
    return bytes(sink.getvalue().to_pybytes())


def _column_parts(column: _Column, values: list[Any]) -> tuple[bytes, bytes, bytes] | None:
    """One column chunk of any supported row count: its page (header, levels, values) and its
    ColumnChunk metadata around the data_page_offset (`before` + offset + `after`)."""
    count = len(values)
    count_zz = _ZZ_TABLE[count]
    nulls = 0
    levels = b""
    if column.nullable:
        present = [value for value in values if value is not None]
        nulls = count - len(present)
        levels = _levels(values, nulls)
    else:
        present = values
    if present:
        encoded = _ENCODERS[column.kind](present)
        if encoded is None:
            return None
        data, low, high, unencoded = encoded
        if len(data) > PAGE_LIMIT:
            return None
    else:
        data, low, high, unencoded = b"", None, None, 0
    statistics = _statistics(column.kind, nulls, low, high)
    page_size = _zz(len(levels) + len(data))
    page = b"".join(
        (
            b"\x15\x00\x15", page_size, b"\x15", page_size,  # DATA_PAGE, sizes
            b"\x2c\x15", count_zz, b"\x15\x00\x15\x06\x15\x06",  # values, PLAIN, RLE, RLE
            b"\x1c", statistics, b"\x00\x00", levels, data,
        )
    )  # fmt: skip
    chunk_size = _zz(len(page))
    if column.kind == _STRING:
        size_statistics = b"\x3c\x16" + _zz(unencoded) + b"\x19\x06\x19"
        if column.nullable:
            size_statistics += b"\x26" + _ZZ_TABLE[nulls] + _ZZ_TABLE[count - nulls] + b"\x00"
        else:
            size_statistics += b"\x06\x00"
    elif column.nullable:  # no byte-array bytes: the struct starts at field 2
        size_statistics = b"\x3c\x29\x06\x19\x26" + _ZZ_TABLE[nulls]
        size_statistics += _ZZ_TABLE[count - nulls] + b"\x00"
    else:
        size_statistics = b""  # nothing to say: pyarrow leaves the field out
    before = b"".join(
        (column.head, b"\x16", count_zz, b"\x16", chunk_size, b"\x16", chunk_size, b"\x26")
    )  # values, sizes, then data_page_offset
    after = b"".join((b"\x3c", statistics, column.encoding_stats, size_statistics, b"\x00\x00"))
    return page, before, after


def _encode(plan: Plan, rows: Sequence[Mapping[str, Any]]) -> bytes | None:
    if len(rows) == 1:
        return _encode_one(plan, rows[0])
    pages: list[bytes] = [b"PAR1"]
    chunks: list[bytes] = [plan.list_header]
    offset = 4
    for column in plan.columns:
        name = column.name
        parts = _column_parts(column, [row[name] for row in rows])
        if parts is None:
            return None
        page, before, after = parts
        pages.append(page)
        chunks += (before, _zz(offset), after)
        offset += len(page)
    return _finish(plan, pages, chunks, offset, len(rows))


def _finish(plan: Plan, pages: list[bytes], chunks: list[bytes], end: int, count: int) -> bytes:
    """The footer after the column chunks, its length and the closing magic."""
    total = _zz(end - 4)
    count_zz = _ZZ_TABLE[count]
    footer = b"".join(
        (
            plan.head,
            b"\x16", count_zz,  # num_rows
            b"\x19\x1c", *chunks,  # row_groups: one RowGroup, its columns
            b"\x16", total, b"\x16", count_zz, b"\x26\x08\x16", total, b"\x00",
            plan.tail,
        )
    )  # fmt: skip
    pages += (footer, _U32(len(footer)), b"PAR1")
    return b"".join(pages)


def _encode_one(plan: Plan, row: Mapping[str, Any]) -> bytes | None:
    """The one-row file, the common case (one point per shard), with each column's constant
    parts precomputed (`_OneRow`): a null is a constant page, and a fixed-width value only
    fills its bytes into the statistics and the page. Strings and NaN take `_column_parts`."""
    pages: list[bytes] = [b"PAR1"]
    chunks: list[bytes] = [plan.list_header]
    offset = 4
    for column in plan.columns:
        value = row[column.name]
        one = column.one
        if value is None:
            if one is None or not column.nullable:
                return None
            pages.append(one.null_page)
            chunks += (one.null_before, _zz(offset), one.null_after)
            offset += len(one.null_page)
            continue
        kind = column.kind
        if kind == _INT64 and type(value) is int:
            low = high = _I64(value)
        elif kind == _DOUBLE and (type(value) is float or type(value) is int) and value == value:
            if type(value) is int and not -_EXACT_DOUBLE_INT <= value <= _EXACT_DOUBLE_INT:
                return None
            low = high = _F64(value)
            if value == 0.0:
                low, high = _NEGATIVE_ZERO, _POSITIVE_ZERO
            data = _F64(value)
        elif kind == _BOOL and type(value) is bool:
            low = high = b"\x01" if value else b"\x00"
        elif kind == _INT32 and type(value) is int:
            low = high = _I32(value)
        else:  # a string, a NaN, or a value the encoders check (and may refuse)
            parts = _column_parts(column, [value])
            if parts is None:
                return None
            page, before, after = parts
            pages.append(page)
            chunks += (before, _zz(offset), after)
            offset += len(page)
            continue
        if one is None:
            return None
        if kind != _DOUBLE:
            data = low
        statistics = b"".join((one.stat_a, high, one.stat_b, low, one.stat_c, high, one.stat_b,
                               low, b"\x11\x11\x00"))  # fmt: skip
        pages += (one.page_head, statistics, one.page_mid, data)
        chunks += (one.before, _zz(offset), b"\x3c", statistics, one.after)
        offset += one.page_size
    return _finish(plan, pages, chunks, offset, 1)


_NEGATIVE_ZERO = _F64(-0.0)
_POSITIVE_ZERO = _F64(0.0)


# -- building and checking a plan ----------------------------------------------------------------

_cache: list[tuple[pa.Schema, Plan | None]] = []
_cache_lock = threading.Lock()
_CACHE_SIZE = 16


def plan_for(schema: pa.Schema) -> Plan | None:
    """The schema's plan (None: unsupported), built and self-checked on first use. Looked up
    by identity, then by equality (a plug-in's schema is rebuilt per call): hashing a pyarrow
    schema costs more than a whole encode."""
    found = _cached(schema)
    if found is not None:
        return found[0]
    with _cache_lock:
        found = _cached(schema)  # another thread may have built it meanwhile
        if found is not None:
            return found[0]
        plan = build_plan(schema)
        if len(_cache) >= _CACHE_SIZE:
            del _cache[0]
        _cache.append((schema, plan))
    return plan


def _cached(schema: pa.Schema) -> tuple[Plan | None] | None:
    for known, plan in _cache:
        if known is schema:
            return (plan,)
    for known, plan in _cache:
        if known.equals(schema, check_metadata=True):
            return (plan,)
    return None


_KINDS = {"int32": _INT32, "int64": _INT64, "double": _DOUBLE, "bool": _BOOL, "string": _STRING}


def build_plan(schema: pa.Schema) -> Plan | None:
    """A schema's plan from pyarrow's output, or None (logged at debug level) when the schema
    has a type this writer does not encode or the plan fails its self-check."""
    import pyarrow as pa

    arrow_types = (pa.int32(), pa.int64(), pa.float64(), pa.bool_(), pa.string())
    kinds: list[int] = []
    for field in schema:
        kind = _KINDS.get(str(field.type))
        if kind is None or field.type != arrow_types[kind]:
            log.debug("tiny_parquet: column %s of type %s is not supported", field.name, field.type)
            return None
        kinds.append(kind)
    samples = _samples(schema, kinds)
    try:
        plan = _plan(schema, kinds, pyarrow_parquet(schema, samples[0]))
        files = [pyarrow_parquet(schema, rows) for rows in samples]
    except _Layout as exc:
        log.debug("tiny_parquet: pyarrow's file layout is not the expected one (%s)", exc)
        return None
    except Exception as exc:  # whatever breaks here, pyarrow writes the files
        log.debug("tiny_parquet: no plan for columns %s: %r", ", ".join(schema.names), exc)
        return None
    for rows, theirs in zip(samples, files, strict=True):
        if encode_with(plan, rows) != theirs:
            log.debug(
                "tiny_parquet: self-check failed for %d sample row(s); pyarrow writes these "
                "files (schema columns: %s)",
                len(rows),
                ", ".join(schema.names),
            )
            return None
    return plan


def encode_with(plan: Plan, rows: Sequence[Mapping[str, Any]]) -> bytes | None:
    """`encode` under a given plan (the self-check's side of the comparison)."""
    try:
        return _encode(plan, rows)
    except (struct.error, UnicodeError, KeyError, TypeError, ValueError, OverflowError):
        return None


def sample_rows(schema: pa.Schema) -> list[dict[str, Any]] | None:
    """Two rows of typical and empty values of `schema` (the self-check's samples), or None
    when a column has a type this writer does not encode: what a warm-up writes
    (`adapters/local/_preload.py`) to pay a file's first-call costs before the first shard."""
    kinds = [_KINDS.get(str(field.type)) for field in schema]
    if None in kinds:
        return None
    samples = _samples(schema, [kind for kind in kinds if kind is not None])
    return samples[0] + samples[1]


def _samples(schema: pa.Schema, kinds: Sequence[int]) -> list[list[dict[str, Any]]]:
    """Row sets for the self-check: typical values; nulls where allowed (else zeros, -0.0,
    False, empty strings); a mix with NaN, extremes and non-ASCII text; strings either side of
    the statistics size limit."""
    typical: tuple[Any, ...] = (-7, 1234567890123, 2.5, True, "sample \u2713")
    empty: tuple[Any, ...] = (0, 0, -0.0, False, "")
    other: tuple[Any, ...] = (2**31 - 1, -(2**63), float("nan"), False, "z\u00e9")
    one = {f.name: typical[k] for f, k in zip(schema, kinds, strict=True)}
    none = {f.name: None if f.nullable else empty[k] for f, k in zip(schema, kinds, strict=True)}
    three = {f.name: other[k] for f, k in zip(schema, kinds, strict=True)}
    samples = [[one], [none], [three], [one, none, three]]
    strings = [f.name for f, k in zip(schema, kinds, strict=True) if k == _STRING]
    for low, high in ((STATISTICS_LIMIT, STATISTICS_LIMIT + 1), (STATISTICS_LIMIT + 1, 1)):
        if strings:  # the maximum dropped, then the minimum
            samples.append(
                [one | dict.fromkeys(strings, "a" * low), one | dict.fromkeys(strings, "b" * high)]
            )
    return samples


class _Layout(Exception):
    """pyarrow's footer is not laid out as this writer expects."""


def _plan(schema: pa.Schema, kinds: Sequence[int], data: bytes) -> Plan:
    """Slice the constant parts out of a one-row file pyarrow wrote."""
    if data[:4] != b"PAR1" or data[-4:] != b"PAR1":
        raise _Layout("no PAR1 magic")
    length = int.from_bytes(data[-8:-4], "little")
    footer = data[-8 - length : -8]
    fields, end = _fields(footer, 0)
    ids = [f[0] for f in fields]
    if ids[:4] != [1, 2, 3, 4] or end != len(footer):
        raise _Layout(f"FileMetaData fields {ids}")
    head = footer[: fields[1][3]]
    tail = footer[fields[4][1] :] if len(fields) > 4 else b"\x00"
    row_groups = _list_items(footer, fields[3][2], 12)
    if len(row_groups) != 1:
        raise _Layout(f"{len(row_groups)} row groups")
    group, _ = _fields(footer, row_groups[0])
    if [f[0] for f in group] != [1, 2, 3, 5, 6]:
        raise _Layout(f"RowGroup fields {[f[0] for f in group]}")
    chunks = _list_items(footer, group[0][2], 12)
    if len(chunks) != len(kinds):
        raise _Layout(f"{len(chunks)} column chunks for {len(kinds)} columns")
    list_header = footer[group[0][1] : chunks[0]]
    columns = []
    for field, kind, start in zip(schema, kinds, chunks, strict=True):
        chunk, _ = _fields(footer, start)
        if [f[0] for f in chunk] != [2, 3] or footer[chunk[0][2] : chunk[0][3]] != b"\x00":
            raise _Layout(f"ColumnChunk fields {[f[0] for f in chunk]} of {field.name}")
        meta, _ = _fields(footer, chunk[1][2])
        meta_ids = [f[0] for f in meta]
        if meta_ids[:10] != [1, 2, 3, 4, 5, 6, 7, 9, 12, 13] or meta_ids[10:] not in ([], [16]):
            raise _Layout(f"ColumnMetaData fields {meta_ids} of {field.name}")
        columns.append(
            _Column(
                name=field.name,
                kind=kind,
                nullable=field.nullable,
                head=footer[start : meta[3][3]],
                encoding_stats=footer[meta[9][1] : meta[9][3]],
            )
        )
    columns = [replace(column, one=_one_row(column)) for column in columns]
    return Plan(columns=tuple(columns), head=head, tail=tail, list_header=list_header)


_WIDTHS = {_INT32: 4, _INT64: 8, _DOUBLE: 8, _BOOL: 1}
_PROBES: dict[int, Any] = {_INT32: 5, _INT64: 5, _DOUBLE: 1.5, _BOOL: True}


def _one_row(column: _Column) -> _OneRow:
    """The column's `_OneRow`: the null chunk and the sizes are `_column_parts` output, the
    rest the fixed layout of a one-value chunk (the self-check's one-row samples, which take
    this path, compare it with pyarrow)."""
    null = _column_parts(column, [None]) if column.nullable else (b"", b"", b"")
    if null is None:
        raise _Layout(f"no null chunk for {column.name}")
    if column.kind == _STRING:
        return _OneRow(*null, b"", b"", 0, b"", b"", b"", b"", b"")
    width = bytes((_WIDTHS[column.kind],))
    levels = _ALL_PRESENT[1] if column.nullable else b""
    size = _zz(len(levels) + _WIDTHS[column.kind])
    page_head = (
        b"\x15\x00\x15" + size + b"\x15" + size + b"\x2c\x15\x02\x15\x00\x15\x06\x15\x06\x1c"
    )
    probe = _column_parts(column, [_PROBES[column.kind]])
    if probe is None:
        raise _Layout(f"probe refused for {column.name}")
    page, before, after = probe
    statistics_size = 4 * _WIDTHS[column.kind] + 13
    one = _OneRow(
        *null,
        page_head=page_head,
        page_mid=b"\x00\x00" + levels,
        page_size=len(page),
        stat_a=b"\x18" + width,
        stat_b=b"\x18" + width,
        stat_c=b"\x16" + _ZZ_TABLE[0] + b"\x28" + width,
        before=before,
        after=after[1 + statistics_size :],
    )
    return one


# A field: (id, header start, value start, value end).
_Field = tuple[int, int, int, int]


def _read_varint(buf: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, pos


def _fields(buf: bytes, pos: int) -> tuple[list[_Field], int]:
    """The fields of the compact-protocol struct at `pos` and the offset after its stop byte."""
    fields: list[_Field] = []
    last = 0
    while True:
        start = pos
        byte = buf[pos]
        pos += 1
        if byte == 0:
            return fields, pos
        kind, delta = byte & 0x0F, byte >> 4
        if delta:
            field_id = last + delta
        else:
            raw, pos = _read_varint(buf, pos)
            field_id = (raw >> 1) ^ -(raw & 1)
        last = field_id
        value_end = _skip(buf, pos, kind)
        fields.append((field_id, start, pos, value_end))
        pos = value_end


def _list_items(buf: bytes, pos: int, element: int) -> list[int]:
    """Start offsets of the items of the list at `pos` whose elements are of type `element`."""
    byte = buf[pos]
    pos += 1
    count = byte >> 4
    if count == 15:
        count, pos = _read_varint(buf, pos)
    if count and byte & 0x0F != element:
        raise _Layout(f"list of type {byte & 0x0F}, expected {element}")
    starts = []
    for _ in range(count):
        starts.append(pos)
        pos = _skip(buf, pos, element)
    return starts


def _skip(buf: bytes, pos: int, kind: int) -> int:
    """The offset after a value of compact type `kind` at `pos`."""
    if kind in (1, 2):  # a bool field: the value is in the header
        return pos
    if kind == 3:
        return pos + 1
    if kind in (4, 5, 6):
        return _read_varint(buf, pos)[1]
    if kind == 7:
        return pos + 8
    if kind == 8:
        size, pos = _read_varint(buf, pos)
        return pos + size
    if kind in (9, 10):
        byte = buf[pos]
        pos += 1
        count = byte >> 4
        if count == 15:
            count, pos = _read_varint(buf, pos)
        element = byte & 0x0F
        for _ in range(count):
            pos = pos + 1 if element in (1, 2) else _skip(buf, pos, element)
        return pos
    if kind == 11:
        count, pos = _read_varint(buf, pos)
        if not count:
            return pos
        types = buf[pos]
        pos += 1
        for _ in range(count):
            pos = _skip(buf, pos, types >> 4)
            pos = _skip(buf, pos, types & 0x0F)
        return pos
    if kind == 12:
        return _fields(buf, pos)[1]
    raise _Layout(f"unknown compact type {kind}")
