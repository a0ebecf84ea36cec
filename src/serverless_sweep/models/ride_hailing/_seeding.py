"""Independent random streams of one point.

A point's root SeedSequence comes from `serverless_sweep.core.seeding.point_seed_sequence`
(request seed and global point index only, never the shard layout). The simulation draws each
purpose (arrival times, pickup cells, trips, quote decisions, ...) from its own child of that
root, so changing one parameter does not reshuffle unrelated draws.
"""

from __future__ import annotations

import numpy as np


def child_sequence(parent: np.random.SeedSequence, key: int) -> np.random.SeedSequence:
    """The key-th child of parent, like `parent.spawn` but stateless (pure in parent)."""
    return np.random.SeedSequence(
        parent.entropy, spawn_key=(*parent.spawn_key, key), pool_size=parent.pool_size
    )
