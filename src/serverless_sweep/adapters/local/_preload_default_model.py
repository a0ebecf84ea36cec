"""Fork server preload: the child's stack (`_preload`), then the deployment default model of the
server's environment warmed up. `LocalRuntime` lists this module only when that model is the
one its workers run; another runtime's model would pay for a grid it never uses."""

from __future__ import annotations

import gc

from serverless_sweep.adapters.local._preload import preload_default_model

preload_default_model()
gc.freeze()  # see _preload
