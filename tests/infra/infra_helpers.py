"""Helpers of the infrastructure tests: a Terraform runner that can never reach the network.

Terraform runs with the repository's CLI configuration (`infra/terraformrc`: the AWS provider
only from the filesystem mirror, no checkpoint calls), a private data directory per test session
(so `.terraform/` in the module directory is never touched) and an environment built from
scratch: no AWS profile, no proxy, fake credentials. State files live in temporary directories;
the module directory's own (gitignored) state is never read or written.

Without terraform on PATH or without the mirror the tests are skipped, and say why.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
MODULE_DIR = REPO_ROOT / "infra" / "terraform"
CLI_CONFIG = REPO_ROOT / "infra" / "terraformrc"
MIRROR = Path("/opt/tf-plugins/registry.terraform.io/hashicorp/aws")
REGION = "eu-central-1"


@dataclass(frozen=True)
class Terraform:
    """`terraform -chdir=infra/terraform ...` with an isolated environment."""

    binary: str
    env: dict[str, str]

    def run(
        self, *args: str, timeout: float = 180, check: bool = True, chdir: Path = MODULE_DIR
    ) -> subprocess.CompletedProcess[str]:
        command = [self.binary, f"-chdir={chdir}", *args]
        result = subprocess.run(
            command, env=self.env, capture_output=True, text=True, timeout=timeout, check=False
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"{' '.join(args[:1])} failed ({result.returncode}):\n"
                f"{result.stdout[-6000:]}\n{result.stderr[-6000:]}"
            )
        return result

    def with_env(self, **extra: str) -> Terraform:
        return Terraform(self.binary, {**self.env, **extra})


def base_env(data_dir: Path, home: Path) -> dict[str, str]:
    """Only what Terraform needs; nothing from the caller's AWS or proxy settings."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "TF_CLI_CONFIG_FILE": str(CLI_CONFIG),
        "TF_DATA_DIR": str(data_dir),
        "TF_IN_AUTOMATION": "1",
        "TF_INPUT": "0",
        "CHECKPOINT_DISABLE": "1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }


def skip_reason() -> str | None:
    if shutil.which("terraform") is None:
        return "terraform is not on PATH"
    if not MIRROR.is_dir():
        return f"the provider mirror {MIRROR} is missing (offline init impossible)"
    return None


def var_args(variables: dict[str, str | bool | int]) -> Sequence[str]:
    args: list[str] = []
    for name, value in variables.items():
        text = str(value).lower() if isinstance(value, bool) else str(value)
        args += ["-var", f"{name}={text}"]
    return args
