"""Helpers for the core tests: type-strict JSON equality and a JSON value strategy."""

from __future__ import annotations

import math
from typing import Any

from hypothesis import strategies as st


def strict_equal(a: Any, b: Any) -> bool:
    """JSON equality that tells 1 from 1.0 and True from 1, and checks object key order.

    Python's `==` says ``1 == 1.0 == True``, and dict equality ignores order; neither is good
    enough for replay parity (the old runtime wrote ``1`` and ``1.0`` differently and iterated
    objects in order).
    """
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(strict_equal(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(strict_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float):
        return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)
    return bool(a == b)


json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=20,
)
