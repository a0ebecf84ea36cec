"""The parent's side of the model (dimension validation) imports no numpy, scipy or h3.

The slim parent Lambda artifact (issue 8) ships none of them, so this runs in a fresh
interpreter: an import left over from an earlier test cannot hide one the validation path makes.
"""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import json, sys
from serverless_sweep.models.registry import get_model
model = get_model("ride_hailing")
violations = model.validate_dimensions({
    "num_riders": [100000, -1], "num_drivers": [20000],
    "matching_algorithm_type": ["hungarian"], "batch_interval_secs": [3600],
})
heavy = sorted(m for m in ("numpy", "scipy", "h3", "pyarrow") if m in sys.modules)
print(json.dumps({"heavy": heavy, "pointers": [v.pointer for v in violations]}))
"""


def test_validation_path_imports_no_numpy() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    # The probe did validate (the bad value is reported), without the simulation's stack.
    assert result["pointers"] == ["/dimensions/num_riders/1"]
    assert result["heavy"] == []


def test_the_simulation_is_still_reachable_from_the_package() -> None:
    from serverless_sweep.models import ride_hailing

    assert callable(ride_hailing.simulate)
    assert ride_hailing.RideHailingMetrics.__name__ == "RideHailingMetrics"


RUN_PROBE = """
import json, sys
from serverless_sweep.models.base import PointContext
from serverless_sweep.models.registry import get_model
row = get_model("ride_hailing").run_point(
    {"num_riders": 80, "num_drivers": 20, "match_radius": 6}, PointContext("slim", 0, 1, 0)
)
print(json.dumps({"scipy": "scipy" in sys.modules, "completed": row["completed_riders"]}))
"""


def test_simulating_needs_no_scipy() -> None:
    """The child artifact can leave scipy out (issue 8): Hungarian batches use the model's own
    assignment solver."""
    proc = subprocess.run(
        [sys.executable, "-c", RUN_PROBE], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["completed"] > 0
    assert result["scipy"] is False
