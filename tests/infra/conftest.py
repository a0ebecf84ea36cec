"""Fixtures of the infrastructure tests (see infra_helpers for the isolation rules)."""

from __future__ import annotations

import shutil

import pytest
from infra_helpers import Terraform, base_env, skip_reason


@pytest.fixture(scope="session")
def terraform(tmp_path_factory: pytest.TempPathFactory) -> Terraform:
    """An initialized Terraform for infra/terraform (providers from the mirror only)."""
    reason = skip_reason()
    if reason is not None:
        pytest.skip(reason)
    binary = shutil.which("terraform")
    assert binary is not None
    root = tmp_path_factory.mktemp("terraform")
    home = root / "home"
    home.mkdir()
    tf = Terraform(binary, base_env(root / "data", home))
    # -lockfile=readonly: init must accept the committed lock file as it is, and never rewrite it.
    tf.run("init", "-input=false", "-no-color", "-lockfile=readonly", timeout=120)
    return tf
