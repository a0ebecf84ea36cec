"""The local deployment's `Clock`: the real one, `handlers.ports.SystemClock`.

Not a copy: a laptop has the same clocks as Lambda (UTC wall time, `time.monotonic`), so there is
one implementation; `LocalClock` stays as the local adapter's name for it.
"""

from __future__ import annotations

from serverless_sweep.handlers.ports import SystemClock

LocalClock = SystemClock

__all__ = ["LocalClock"]
