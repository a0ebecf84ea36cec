"""Stand-in for `serverless_sweep.core.seeding.point_seed_sequence` until that module lands.

Same contract: the point's root SeedSequence has entropy (seed as two's-complement uint64,
point_index), so a point's randomness depends on the request seed and its global index only,
never on the shard layout. Replace the import in `model.py` with the core function once it
exists (a test compares the two when both are importable).
"""

from __future__ import annotations

import numpy as np

_UINT64 = (1 << 64) - 1


def point_seed_sequence(seed: int, point_index: int) -> np.random.SeedSequence:
    """Root SeedSequence of one point."""
    if point_index < 0:
        raise ValueError("point_index must be >= 0")
    return np.random.SeedSequence((seed & _UINT64, point_index))


def child_sequence(parent: np.random.SeedSequence, key: int) -> np.random.SeedSequence:
    """The key-th child of parent, like `parent.spawn` but stateless (pure in parent)."""
    return np.random.SeedSequence(
        parent.entropy, spawn_key=(*parent.spawn_key, key), pool_size=parent.pool_size
    )
