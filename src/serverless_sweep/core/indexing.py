"""Point indices <-> parameter points of a Cartesian product, without building the product.

A sweep's point space is the Cartesian product of its dimensions, enumerated as the old runtime's
``itertools.product`` did: in the given dimension order, the LAST dimension varying fastest. That
is a mixed-radix number system: with radices r_0..r_{d-1} (the value counts), point index i has
digits i_k = (i // stride_k) % r_k where stride_k = r_{k+1} * ... * r_{d-1}.

Why not enumerate: shards are index ranges of a space that can be huge (the parent only caps the
demo deployment at 200000 points; the space itself is an arbitrary product), and a child must
start at its own `start_index` without walking the points before it. `decode` is O(number of
dimensions) with exact Python integers (no overflow for any product), and `iter_points` walks a
range with an odometer increment (amortized O(1) digit updates per point) instead of decoding
every index.

Dimension order is the caller's: the parent sends names sorted by code point, the child enumerates
in the payload's key order (`PointSpace.from_mapping` keeps the mapping's order), so a point's
index means the same thing on both sides.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

__all__ = ["PointSpace"]


class PointSpace:
    """The Cartesian product of named dimensions, addressed by point index.

    A dimension with no values makes the space empty (size 0); no dimensions at all give a space
    of exactly one empty point (as ``itertools.product()`` yields one empty tuple).

    Values are taken with ``tuple(values)``: any iterable works the way Python iterates it (a
    string gives its characters, a mapping its keys, as the old child's product did). Whether
    such values are acceptable is the caller's decision; non-iterables raise `TypeError`.
    """

    __slots__ = ("_names", "_radices", "_size", "_strides", "_values")

    def __init__(self, dimensions: Iterable[tuple[str, Iterable[Any]]]) -> None:
        names: list[str] = []
        values: list[tuple[Any, ...]] = []
        for name, dim_values in dimensions:
            if name in names:
                raise ValueError(f"dimension {name!r} is given twice")
            names.append(name)
            values.append(tuple(dim_values))
        self._names: tuple[str, ...] = tuple(names)
        self._values: tuple[tuple[Any, ...], ...] = tuple(values)
        self._radices: tuple[int, ...] = tuple(len(v) for v in values)
        self._size: int = math.prod(self._radices)
        strides: list[int] = []
        stride = 1
        for radix in reversed(self._radices):
            strides.append(stride)
            stride *= radix
        self._strides: tuple[int, ...] = tuple(reversed(strides))

    @classmethod
    def from_mapping(cls, dimensions: Mapping[str, Iterable[Any]]) -> PointSpace:
        """Build from a name -> values mapping, enumerating in the mapping's key order."""
        return cls(dimensions.items())

    @property
    def names(self) -> tuple[str, ...]:
        """Dimension names in enumeration order (the last one varies fastest)."""
        return self._names

    @property
    def radices(self) -> tuple[int, ...]:
        """Number of values of each dimension, in enumeration order."""
        return self._radices

    @property
    def size(self) -> int:
        """Number of points (exact product of the value counts; may exceed 64 bits)."""
        return self._size

    def values_of(self, name: str) -> tuple[Any, ...]:
        """The values of one dimension."""
        return self._values[self._names.index(name)]

    def _check_index(self, index: int) -> None:
        if not 0 <= index < self._size:
            raise IndexError(f"point index {index} is outside [0, {self._size})")

    def digits(self, index: int) -> tuple[int, ...]:
        """The value position of every dimension at point `index` (its mixed-radix digits)."""
        self._check_index(index)
        out = [0] * len(self._radices)
        rest = index
        for k in range(len(self._radices) - 1, -1, -1):
            rest, out[k] = divmod(rest, self._radices[k])
        return tuple(out)

    def decode(self, index: int) -> dict[str, Any]:
        """The point (name -> value, in enumeration order) at `index`; IndexError outside."""
        digits = self.digits(index)
        return {
            name: values[d]
            for name, values, d in zip(self._names, self._values, digits, strict=True)
        }

    def encode(self, digits: Sequence[int]) -> int:
        """Inverse of `digits`: the point index of one value position per dimension."""
        if len(digits) != len(self._radices):
            raise ValueError(f"expected {len(self._radices)} positions, got {len(digits)}")
        index = 0
        for digit, radix, stride in zip(digits, self._radices, self._strides, strict=True):
            if not 0 <= digit < radix:
                raise IndexError(f"value position {digit} is outside [0, {radix})")
            index += digit * stride
        return index

    def iter_points(
        self, start: int = 0, end: int | None = None
    ) -> Iterator[tuple[int, dict[str, Any]]]:
        """Yield (index, point) for every index in [start, end), in order.

        Decodes `start` once, then advances like an odometer: the last dimension's position is
        incremented and carries ripple left, so a point costs O(1) amortized digit updates plus
        building its dict. Each yielded dict is new (callers may keep or mutate it).
        """
        stop = self._size if end is None else end
        if not 0 <= start <= stop <= self._size:
            raise IndexError(f"range [{start}, {stop}) is outside [0, {self._size}]")
        if start == stop:
            return
        names = self._names
        values = self._values
        radices = self._radices
        digits = list(self.digits(start))
        current = [values[k][d] for k, d in enumerate(digits)]
        last = len(digits) - 1
        index = start
        while True:
            yield index, dict(zip(names, current, strict=True))
            index += 1
            if index == stop:
                return
            k = last
            while True:
                digit = digits[k] + 1
                if digit < radices[k]:
                    digits[k] = digit
                    current[k] = values[k][digit]
                    break
                digits[k] = 0
                current[k] = values[k][0]
                k -= 1

    def __repr__(self) -> str:
        dims = ", ".join(f"{n!r}: {r}" for n, r in zip(self._names, self._radices, strict=True))
        return f"PointSpace({{{dims}}}, size={self._size})"
