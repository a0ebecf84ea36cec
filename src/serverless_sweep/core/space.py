"""The point space of a sweep: a grid, or samples over ranges, minus excluded points (issue 14).

A request's points are, in order:

* **grid** (no `sampling`, or method grid; the v1 behaviour): the Cartesian product of the
  listed `dimensions` (`core.indexing.PointSpace`, last name fastest);
* **sampled** (method random, latin_hypercube or sobol): `count` samples over the `ranges`,
  crossed with the product of the listed dimensions: point k is grid point k // count with
  sample k % count. Every combination of listed values sees the same samples (paired
  comparisons across the listed values), and the count of points is exact before dispatch.

`exclude` entries (partial points over listed dimensions) and the model's own rules remove
grid combinations; the kept points are numbered 0..size-1 without gaps, in grid order.

Why this shape: point k must be a pure function of (request, k), cheap for any shard to decode
without the others, and the parent (no numpy) must know the count without generating a single
sample. Counting kept grid points below a grid index is inclusion-exclusion over the entries'
boxes (an entry fixes some dimensions to a set of positions; two entries intersect to another
box or to nothing), each box counted by a mixed-radix digit walk in O(dimensions). So

* the parent's count is O(terms x dimensions), no enumeration;
* a shard finds the grid index of its first kept point by binary search over that count
  (O(log points x terms x dimensions)), then walks forward skipping excluded combinations
  (O(entries) per point);
* samples come from `core.sampling` (numpy, imported only when points are decoded): Sobol skips
  ahead, random jumps ahead, a Latin hypercube draws its `count`-long permutations once per
  process and shard.

Points with continuous ranges are distinct (Sobol and Latin hypercube by construction, random
with 53-bit draws). A space of integer ranges only is sampled without replacement by `random`
(a seeded permutation of its integer grid), and refused for sobol and latin_hypercube, which
would repeat points there.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Final

from serverless_sweep.core.indexing import PointSpace
from serverless_sweep.core.jsonio import dumps_canonical

__all__ = [
    "MAX_EXCLUDE",
    "MAX_EXCLUSION_TERMS",
    "MAX_RANGES",
    "SAMPLING_METHODS",
    "SPACE_FIELDS",
    "SpaceError",
    "SweepSpace",
    "check_space_fields",
    "space_of",
]

SAMPLING_METHODS: Final = ("grid", "random", "latin_hypercube", "sobol")
#: Request fields that, with `dimensions`, define the points (copied into shard payloads).
SPACE_FIELDS: Final = ("sampling", "ranges", "exclude")
MAX_RANGES: Final = 64
MAX_EXCLUDE: Final = 1000
MAX_EXCLUSION_TERMS: Final = 4096
"""Inclusion-exclusion terms of the exclude boxes; entries that overlap in more ways than this
are refused (rule max_terms) rather than making every count slow."""
MAX_EXCLUSION_WORK: Final = 250_000
"""Box intersections the parent may compute while counting (bounds the API's answer time)."""
MAX_SAMPLE_COUNT: Final = 200000

Add = Callable[..., None]
"""add(pointer, rule, message): how `check_space_fields` reports a violation."""


class SpaceError(ValueError):
    """A space document that cannot be decoded (a payload the parent did not build)."""


def _pointer(*parts: str | int) -> str:
    from serverless_sweep.core.errors import json_pointer

    return json_pointer(*parts)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    """A finite JSON number that a double can hold (10**400 is an int, but no double)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return abs(value) <= _MAX_DOUBLE_INT
    return isinstance(value, float) and math.isfinite(value)


_MAX_DOUBLE_INT: Final = 2**63 - 1
"""Range bounds are at most int64 in size: integer ranges land in int64 columns, and the
child maps them through doubles."""


# -- validation (parent) ----------------------------------------------------------------------


def _check_sampling(raw: object, seed: object, add: Add) -> dict[str, Any] | None:
    """The normalized sampling (None for grid), or None after reporting a problem."""
    pointer = _pointer("sampling")
    if not isinstance(raw, dict):
        add(pointer, "type", 'sampling must be an object: {"method": ..., "count": ...}')
        return None
    ok = True
    for key in raw:
        if key not in ("method", "count", "seed"):
            add(
                _pointer("sampling", str(key)),
                "unknown_field",
                f"sampling has no field {key!r}; its fields are method, count and seed",
            )
            ok = False
    method = raw.get("method", "grid")
    if method not in SAMPLING_METHODS:
        add(
            _pointer("sampling", "method"),
            "enum",
            "sampling.method must be one of: " + ", ".join(SAMPLING_METHODS),
        )
        return None
    if method == "grid":
        for key in ("count", "seed"):
            if key in raw:
                add(
                    _pointer("sampling", key),
                    "not_allowed",
                    f"sampling.{key} applies to random, latin_hypercube and sobol, not to grid",
                )
                ok = False
        return None
    count = raw.get("count")
    if count is None:
        add(
            _pointer("sampling", "count"),
            "required",
            f"sampling.count is required with method {method}",
        )
        ok = False
    elif not _is_int(count) or not 1 <= count <= MAX_SAMPLE_COUNT:
        add(
            _pointer("sampling", "count"),
            "range",
            f"sampling.count must be an integer from 1 to {MAX_SAMPLE_COUNT}",
        )
        ok = False
    sample_seed = raw.get("seed", seed)
    if not _is_int(sample_seed) or not -(2**63) <= sample_seed < 2**63:
        add(_pointer("sampling", "seed"), "type", "sampling.seed must be a signed 64-bit integer")
        ok = False
    if not ok:
        return None
    return {"method": method, "count": count, "seed": sample_seed}


def _check_range(name: str, raw: object, add: Add) -> dict[str, Any] | None:
    pointer = _pointer("ranges", name)
    if not isinstance(raw, dict):
        add(pointer, "type", f'Range \'{name}\' must be an object: {{"min": a, "max": b}}')
        return None
    ok = True
    for key in raw:
        if key not in ("min", "max", "log", "integer"):
            add(
                _pointer("ranges", name, str(key)),
                "unknown_field",
                f"Range '{name}' has no field {key!r}; its fields are min, max, log and integer",
            )
            ok = False
    for key in ("log", "integer"):
        if key in raw and not isinstance(raw[key], bool):
            add(_pointer("ranges", name, key), "type", f"Range '{name}': {key} must be a boolean")
            ok = False
    integer = raw.get("integer") is True
    log = raw.get("log") is True
    bounds: list[float] = []
    for key in ("min", "max"):
        value = raw.get(key)
        if key not in raw:
            add(_pointer("ranges", name, key), "required", f"Range '{name}' needs {key}")
            ok = False
        elif integer and not _is_int(value):
            add(
                _pointer("ranges", name, key),
                "type",
                f"Range '{name}' is an integer range: {key} must be an integer",
            )
            ok = False
        elif not _is_number(value):
            add(
                _pointer("ranges", name, key),
                "type",
                f"Range '{name}': {key} must be a finite number within the signed 64-bit range",
            )
            ok = False
        else:
            bounds.append(value)  # type: ignore[arg-type]
    if len(bounds) == 2 and not bounds[0] < bounds[1]:
        add(pointer, "range", f"Range '{name}': min must be less than max")
        ok = False
    if log and bounds and bounds[0] <= 0:
        add(
            _pointer("ranges", name, "min"),
            "minimum",
            f"Range '{name}' is a log range: min must be greater than 0",
        )
        ok = False
    if not ok:
        return None
    return {"min": raw["min"], "max": raw["max"], "log": log, "integer": integer}


def _check_ranges(raw: object, dimensions: Mapping[str, Any], add: Add) -> dict[str, Any] | None:
    pointer = _pointer("ranges")
    if not isinstance(raw, dict):
        add(pointer, "type", 'ranges must be an object: name -> {"min": a, "max": b}')
        return None
    if len(raw) > MAX_RANGES:
        add(pointer, "max_properties", f"ranges has {len(raw)} entries; at most {MAX_RANGES}")
        return None
    out: dict[str, Any] = {}
    ok = True
    for name in sorted(raw):
        if not isinstance(name, str) or not name.strip():
            add(_pointer("ranges", str(name)), "not_empty", "range names must be non-empty strings")
            ok = False
            continue
        if name in dimensions:
            add(
                _pointer("ranges", name),
                "duplicate_parameter",
                f"'{name}' is both a dimension and a range; give it once",
            )
            ok = False
            continue
        checked = _check_range(name, raw[name], add)
        if checked is None:
            ok = False
        else:
            out[name] = checked
    return out if ok else None


def _check_exclude(raw: object, dimensions: Mapping[str, Any], add: Add) -> list[dict[str, Any]]:
    pointer = _pointer("exclude")
    if not isinstance(raw, list):
        add(pointer, "type", "exclude must be a list of partial points (objects)")
        return []
    if len(raw) > MAX_EXCLUDE:
        add(pointer, "max_items", f"exclude has {len(raw)} entries; at most {MAX_EXCLUDE}")
        return []
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, entry in enumerate(raw):
        where = _pointer("exclude", index)
        if not isinstance(entry, dict) or not entry:
            add(where, "type", f"exclude[{index}] must be a non-empty object: name -> value")
            continue
        good = True
        for name, value in entry.items():
            if name not in dimensions:
                add(
                    _pointer("exclude", index, str(name)),
                    "unknown_dimension",
                    f"exclude[{index}] names '{name}', which is not a listed dimension "
                    "(exclusions match listed values; ranges are sampled)",
                )
                good = False
                continue
            values = dimensions[name]
            try:
                text = dumps_canonical(value)
                known = {dumps_canonical(v) for v in values} if isinstance(values, list) else set()
            except (RecursionError, TypeError, ValueError):
                text, known = "a value nested too deeply", set()
            if text not in known:
                add(
                    _pointer("exclude", index, str(name)),
                    "enum",
                    f"exclude[{index}].{name} is {text}, which is not a value of dimension "
                    f"'{name}'",
                )
                good = False
        if good:
            normalized = {name: entry[name] for name in sorted(entry)}
            key = dumps_canonical(normalized)
            if key not in seen:
                seen.add(key)
                out.append(normalized)
    return out


def check_space_fields(
    payload: Mapping[str, Any], dimensions: Mapping[str, Any] | None, seed: object, add: Add
) -> dict[str, Any]:
    """Check `sampling`, `ranges` and `exclude`; return their normalized form (absent = grid).

    `dimensions` is None when they are not a well-formed mapping of lists (already reported).
    """
    dims: Mapping[str, Any] = dimensions or {}
    out: dict[str, Any] = {}
    sampling = None
    if "sampling" in payload:
        sampling = _check_sampling(payload["sampling"], seed, add)
        if sampling is not None:
            out["sampling"] = sampling
    if "ranges" in payload:
        ranges = _check_ranges(payload["ranges"], dims, add)
        if ranges is not None:
            grid = (
                not isinstance(payload.get("sampling"), dict)
                or payload["sampling"].get("method", "grid") == "grid"
            )
            if grid:
                add(
                    _pointer("ranges"),
                    "requires_sampling",
                    "ranges need sampling.method random, latin_hypercube or sobol "
                    "(a grid sweeps the listed dimensions only)",
                )
            elif ranges:
                out["ranges"] = ranges
    if sampling is not None and "ranges" not in out and "ranges" not in payload:
        add(
            _pointer("ranges"),
            "required",
            f"sampling.method {sampling['method']} needs at least one range to sample",
        )
    ranges = out.get("ranges")
    if sampling is not None and ranges:
        if all(r["integer"] for r in ranges.values()):
            _check_discrete(sampling, ranges, add)
        if sampling["method"] == "sobol" and len(ranges) > 64:
            add(_pointer("ranges"), "max_properties", "sobol supports at most 64 ranges")
    if "exclude" in payload:
        exclude = _check_exclude(payload["exclude"], dims, add)
        if exclude:
            out["exclude"] = exclude
    return out


def _check_discrete(sampling: Mapping[str, Any], ranges: Mapping[str, Any], add: Add) -> None:
    """A space of integer ranges only: random draws without replacement, nothing else."""
    method = sampling["method"]
    if method != "random":
        add(
            _pointer("sampling", "method"),
            "integer_only",
            f"sampling.method {method} would repeat points when every range is an integer "
            "range; use random (drawn without replacement) or list the values as dimensions",
        )
        return
    for name, spec in ranges.items():
        if spec["log"]:
            add(
                _pointer("ranges", name, "log"),
                "integer_only",
                f"Range '{name}': log needs a continuous range beside it, or a grid; random "
                "over integer ranges only draws every combination with equal chance",
            )
            return
    size = math.prod(r["max"] - r["min"] + 1 for r in ranges.values())
    if sampling["count"] > size:
        add(
            _pointer("sampling", "count"),
            "max_points",
            f"sampling.count {sampling['count']} exceeds the {size} distinct combinations of "
            "the integer ranges",
        )


# -- decoding (parent count, child points) -----------------------------------------------------

_Box = tuple[frozenset[int] | None, ...]


def _intersect(a: _Box, b: _Box) -> _Box | None:
    out: list[frozenset[int] | None] = []
    for x, y in zip(a, b, strict=True):
        if x is None:
            out.append(y)
        elif y is None:
            out.append(x)
        else:
            both = x & y
            if not both:
                return None
            out.append(both)
    return tuple(out)


class _Exclusions:
    """Kept/excluded counting over a grid by inclusion-exclusion of the entries' boxes."""

    def __init__(self, grid: PointSpace, entries: Sequence[Mapping[str, Any]]) -> None:
        self._radices = grid.radices
        names = grid.names
        positions: list[dict[str, list[int]]] = []
        for name in names if entries else ():
            by_text: dict[str, list[int]] = {}
            for position, value in enumerate(grid.values_of(name)):
                by_text.setdefault(dumps_canonical(value), []).append(position)
            positions.append(by_text)
        boxes: list[_Box] = []
        for entry in entries:
            sets: list[frozenset[int] | None] = []
            empty = False
            for k, name in enumerate(names):
                if name in entry:
                    found = positions[k].get(dumps_canonical(entry[name]), [])
                    if not found:
                        empty = True
                    sets.append(frozenset(found))
                else:
                    sets.append(None)
            if any(name not in names for name in entry):
                raise SpaceError(f"exclude entry {dict(entry)!r} names a dimension not listed")
            if not empty:
                boxes.append(tuple(sets))
        self.boxes = boxes
        terms: dict[_Box, int] = {}
        work = 0
        for box in boxes:
            work += len(terms)
            if work > MAX_EXCLUSION_WORK:
                raise SpaceError(
                    f"the exclude entries overlap in too many ways to count them quickly (more "
                    f"than {MAX_EXCLUSION_WORK} intersections); merge or drop some entries"
                )
            update: dict[_Box, int] = {box: 1}
            for other, coefficient in terms.items():
                meet = _intersect(other, box)
                if meet is not None:
                    update[meet] = update.get(meet, 0) - coefficient
            for term, coefficient in update.items():
                total = terms.get(term, 0) + coefficient
                if total:
                    terms[term] = total
                else:
                    terms.pop(term, None)
            if len(terms) > MAX_EXCLUSION_TERMS:
                raise SpaceError(
                    f"the exclude entries overlap in more than {MAX_EXCLUSION_TERMS} ways; "
                    "merge or drop some entries"
                )
        # Per term: its box, coefficient and suffix products of the box sizes.
        self._terms: list[tuple[_Box, int, list[int]]] = []
        for term, coefficient in terms.items():
            sizes = [r if s is None else len(s) for s, r in zip(term, self._radices, strict=True)]
            suffix = [1] * (len(sizes) + 1)
            for k in range(len(sizes) - 1, -1, -1):
                suffix[k] = suffix[k + 1] * sizes[k]
            self._terms.append((term, coefficient, suffix))
        self._grid = grid

    def excluded_below(self, raw: int) -> int:
        """Excluded grid indices in [0, raw)."""
        if not self._terms or raw <= 0:
            return 0
        if raw >= self._grid.size:
            return sum(c * suffix[0] for _, c, suffix in self._terms)
        digits = self._grid.digits(raw)
        total = 0
        for box, coefficient, suffix in self._terms:
            count = 0
            for k, digit in enumerate(digits):
                allowed = box[k]
                below = digit if allowed is None else sum(1 for v in allowed if v < digit)
                count += below * suffix[k + 1]
                if allowed is not None and digit not in allowed:
                    break
            total += coefficient * count
        return total

    def is_excluded(self, digits: Sequence[int]) -> bool:
        return any(
            all(allowed is None or digits[k] in allowed for k, allowed in enumerate(box))
            for box in self.boxes
        )


class SweepSpace:
    """The points of one request: `size` of them, decoded by index (see the module docstring)."""

    def __init__(
        self,
        dimensions: Mapping[str, Sequence[Any]],
        sampling: Mapping[str, Any] | None = None,
        ranges: Mapping[str, Mapping[str, Any]] | None = None,
        exclude: Sequence[Mapping[str, Any]] | None = None,
    ) -> None:
        self.grid = PointSpace.from_mapping(dimensions)
        self._exclusions = _Exclusions(self.grid, exclude or [])
        self.excluded_grid_points = self._exclusions.excluded_below(self.grid.size)
        self.kept_grid_points = self.grid.size - self.excluded_grid_points
        method = "grid" if sampling is None else str(sampling.get("method", "grid"))
        self.method = method
        self.ranges: dict[str, Mapping[str, Any]] = dict(sorted((ranges or {}).items()))
        if method == "grid":
            self.count = 1
            if self.ranges:
                raise SpaceError("ranges need sampling.method random, latin_hypercube or sobol")
        else:
            assert sampling is not None
            if method not in SAMPLING_METHODS or not self.ranges:
                raise SpaceError(f"sampling.method {method!r} needs known method and ranges")
            self.count = int(sampling["count"])
            self.seed = int(sampling["seed"])
        self.size = self.kept_grid_points * self.count
        self.excluded_points = self.excluded_grid_points * self.count
        self._sampler: Any = None

    # -- grid part --------------------------------------------------------------------------

    def _grid_index(self, kept: int) -> int:
        """The grid index of kept grid point `kept` (binary search over the kept count)."""
        if not self._exclusions.boxes:
            return kept
        low, high = kept, self.grid.size - 1
        while low < high:  # smallest r with kept_below(r + 1) > kept
            mid = (low + high) // 2
            if (mid + 1) - self._exclusions.excluded_below(mid + 1) > kept:
                high = mid
            else:
                low = mid + 1
        return low

    def _iter_grid(self, start: int, stop: int) -> Iterator[tuple[int, dict[str, Any]]]:
        """(kept index, grid point) for kept grid indices [start, stop)."""
        if start >= stop:
            return
        if not self._exclusions.boxes:
            yield from self.grid.iter_points(start, stop)
            return
        raw = self._grid_index(start)
        kept = start
        for index, point in self.grid.iter_points(raw):
            if self._exclusions.is_excluded(self.grid.digits(index)):
                continue
            yield kept, point
            kept += 1
            if kept == stop:
                return

    # -- points -----------------------------------------------------------------------------

    def iter_points(
        self, start: int = 0, end: int | None = None
    ) -> Iterator[tuple[int, dict[str, Any]]]:
        """Yield (point index, point) for [start, end): listed dimensions, then ranges."""
        stop = self.size if end is None else end
        if not 0 <= start <= stop <= self.size:
            raise IndexError(f"range [{start}, {stop}) is outside [0, {self.size}]")
        if self.method == "grid":
            yield from self._iter_grid(start, stop)
            return
        if start == stop:
            return
        count = self.count
        index = start
        for g, grid_point in self._iter_grid(start // count, (stop - 1) // count + 1):
            s0 = index - g * count
            s1 = min(count, stop - g * count)
            for offset, sample in enumerate(self._samples(s0, s1)):
                yield index + offset, {**grid_point, **sample}
            index += s1 - s0

    def decode(self, index: int) -> dict[str, Any]:
        """The point at `index` (IndexError outside [0, size))."""
        if not 0 <= index < self.size:
            raise IndexError(f"point index {index} is outside [0, {self.size})")
        return next(self.iter_points(index, index + 1))[1]

    def _samples(self, start: int, stop: int) -> list[dict[str, Any]]:
        if self._sampler is None:
            self._sampler = _RangeSampler(self.method, self.count, self.seed, self.ranges)
        return self._sampler.block(start, stop)  # type: ignore[no-any-return]


class _RangeSampler:
    """Samples [start, stop) mapped from the unit cube onto the ranges (child only: numpy)."""

    def __init__(
        self, method: str, count: int, seed: int, ranges: Mapping[str, Mapping[str, Any]]
    ) -> None:
        self.method, self.count, self.seed = method, count, seed
        self.names = list(ranges)
        self.specs = [ranges[n] for n in self.names]
        self.discrete = all(spec.get("integer") for spec in self.specs)
        self._cache: tuple[int, int, list[dict[str, Any]]] | None = None

    def block(self, start: int, stop: int) -> list[dict[str, Any]]:
        if self._cache is not None and self._cache[:2] == (start, stop):
            return self._cache[2]
        rows = self._block(start, stop)
        self._cache = (start, stop, rows)
        return rows

    def _block(self, start: int, stop: int) -> list[dict[str, Any]]:
        from serverless_sweep.core import sampling

        d = len(self.specs)
        if self.method == "random" and self.discrete:
            spans = [int(s["max"]) - int(s["min"]) + 1 for s in self.specs]
            size = math.prod(spans)
            out = []
            for code in sampling.permuted_block(start, stop, size, self.seed):
                row: dict[str, Any] = {}
                for k in range(d - 1, -1, -1):
                    code, digit = divmod(code, spans[k])
                    row[self.names[k]] = int(self.specs[k]["min"]) + digit
                out.append({n: row[n] for n in self.names})
            return out
        if self.method == "sobol":
            unit = sampling.sobol_block(start, stop, d, self.seed)
        elif self.method == "latin_hypercube":
            unit = sampling.latin_hypercube_block(start, stop, self.count, d, self.seed)
        else:
            unit = sampling.random_block(start, stop, d, self.seed)
        columns = [_scale(unit[:, k], spec) for k, spec in enumerate(self.specs)]
        return [dict(zip(self.names, values, strict=True)) for values in zip(*columns, strict=True)]


def _scale(unit: Any, spec: Mapping[str, Any]) -> list[Any]:
    """Map unit-interval draws onto one range (Python floats, or ints for integer ranges)."""
    import numpy as np

    low, high = spec["min"], spec["max"]
    if spec.get("integer"):
        if spec.get("log"):
            values = np.floor(np.exp(np.log(low) + unit * (np.log(high + 1) - np.log(low))))
        else:
            values = np.floor(low + unit * (high - low + 1))
        return [int(v) for v in np.clip(values, low, high)]
    if spec.get("log"):
        values = np.exp(np.log(low) + unit * (np.log(high) - np.log(low)))
    else:
        values = low + unit * (high - low)
    return [float(v) for v in np.clip(values, low, high)]


def space_of(document: Mapping[str, Any]) -> SweepSpace:
    """The space of a normalized request, a manifest's request or a shard payload."""
    return SweepSpace(
        document.get("dimensions") or {},
        document.get("sampling"),
        document.get("ranges"),
        document.get("exclude"),
    )
