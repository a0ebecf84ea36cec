"""`make deploy`'s preflight: long-lived keys, no credentials and an expired SSO session stop
at once with the login hint; a temporary session is accepted and described.

STS is a moto server on 127.0.0.1; the SDK resolves credentials for real (environment, a config
file with a profile, an SSO session without a cached token). The end-to-end deploy is in
test_infra_terraform.py.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from infra_helpers import REPO_ROOT
from moto_server import moto_server


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("deploy", REPO_ROOT / "infra" / "deploy.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["deploy"] = module
    spec.loader.exec_module(module)
    return module


deploy = _load()


@pytest.fixture(scope="module")
def sts_endpoint() -> Iterator[str]:
    with moto_server() as url:
        yield url


@pytest.fixture
def clean_env(sts_endpoint: str, tmp_path: Path) -> dict[str, str]:
    """No credentials anywhere: an empty HOME, no AWS config files, STS on moto."""
    home = tmp_path / "home"
    home.mkdir()
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "AWS_CONFIG_FILE": str(home / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_ENDPOINT_URL": sts_endpoint,
        "AWS_REGION": "eu-central-1",
    }


def _preflight(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> object:
    """preflight() in this process: the SDK reads os.environ, so it becomes exactly env."""
    for name in list(os.environ):
        if name.startswith("AWS_") or name in ("HOME", "SWEEP_ALLOW_LONG_LIVED_KEYS"):
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return deploy.preflight(env)


def _make(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "-s", "-C", str(REPO_ROOT), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_long_lived_keys_are_refused_at_once(clean_env: dict[str, str], tmp_path: Path) -> None:
    env = {**clean_env, "AWS_ACCESS_KEY_ID": "AKIAFAKELONGLIVED", "AWS_SECRET_ACCESS_KEY": "x"}
    # Where the build would go: nothing may be built, nothing applied.
    env["SWEEP_LAMBDA_BUILD_DIR"] = str(tmp_path / "build")
    result = _make(env, "deploy")
    assert result.returncode != 0
    assert "refusing long-lived access keys (AKIA..." in result.stderr, result.stderr
    assert "aws sso login" in result.stderr and "aws login" in result.stderr
    assert "SWEEP_ALLOW_LONG_LIVED_KEYS=1" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert not (tmp_path / "build").exists()


def test_the_override_accepts_long_lived_keys_and_says_so(
    clean_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {
        **clean_env,
        "AWS_ACCESS_KEY_ID": "AKIAFAKELONGLIVED",
        "AWS_SECRET_ACCESS_KEY": "x",
        "SWEEP_ALLOW_LONG_LIVED_KEYS": "1",
    }
    identity: Any = _preflight(monkeypatch, env)
    assert identity.token is None
    assert "LONG-LIVED keys (SWEEP_ALLOW_LONG_LIVED_KEYS)" in deploy.describe(identity)


def test_no_credentials_name_the_login_command(clean_env: dict[str, str]) -> None:
    result = _make(clean_env, "deploy")
    assert result.returncode != 0
    assert "no AWS credentials found" in result.stderr, result.stderr
    assert "`aws sso login --profile <profile>`" in result.stderr
    assert "Traceback" not in result.stderr
    assert "build_lambda" not in result.stderr  # stopped before building anything


def test_an_expired_sso_session_names_the_profile(clean_env: dict[str, str]) -> None:
    # A real IAM Identity Center profile whose token cache is empty (never logged in, or the
    # cached token expired and was removed): the SDK itself raises.
    Path(clean_env["AWS_CONFIG_FILE"]).write_text(
        "[profile team-dev]\n"
        "sso_session = corp\n"
        "sso_account_id = 123456789012\n"
        "sso_role_name = Deployer\n"
        "region = eu-central-1\n"
        "[sso-session corp]\n"
        "sso_start_url = https://corp.awsapps.com/start\n"
        "sso_region = eu-central-1\n"
    )
    result = _make({**clean_env, "AWS_PROFILE": "team-dev"}, "deploy")
    assert result.returncode != 0
    assert "the AWS session is missing or expired" in result.stderr, result.stderr
    assert "`aws sso login --profile team-dev`" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unknown_profile_is_named(
    clean_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(deploy.DeployError, match="the AWS profile 'nope' does not exist"):
        _preflight(monkeypatch, {**clean_env, "AWS_PROFILE": "nope"})


def test_a_temporary_session_is_described(
    clean_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {
        **clean_env,
        "AWS_ACCESS_KEY_ID": "ASIAFAKETEMPORARY",
        "AWS_SECRET_ACCESS_KEY": "x",
        "AWS_SESSION_TOKEN": "token",
        "AWS_REGION": "eu-west-1",
    }
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "infra" / "deploy.py"), "preflight"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "account 123456789012 in eu-west-1 as arn:aws:" in result.stdout, result.stdout
    assert "temporary session" in result.stdout
    identity: Any = _preflight(monkeypatch, env)
    assert (identity.account, identity.region, identity.token) == (
        "123456789012",
        "eu-west-1",
        "token",
    )
    # Terraform gets exactly these credentials, and no profile to pick another identity with.
    tf_env = identity.terraform_env()
    assert tf_env["AWS_SESSION_TOKEN"] == "token" and "AWS_PROFILE" not in tf_env


def test_cli_config_prefers_the_mirror_and_falls_back_to_the_registry() -> None:
    chosen = deploy.cli_config({})
    expected = deploy.MIRROR_CONFIG if deploy.MIRROR.is_dir() else deploy.REGISTRY_CONFIG
    assert chosen == expected
    assert deploy.cli_config({"TF_CLI_CONFIG_FILE": str(deploy.REGISTRY_CONFIG)}) == (
        deploy.REGISTRY_CONFIG
    )
    # an override naming no file is ignored (Terraform would silently use its defaults)
    assert deploy.cli_config({"TF_CLI_CONFIG_FILE": "/nonexistent/rc"}) == expected
    registry = deploy.REGISTRY_CONFIG.read_text()
    assert "direct {}" in registry and "filesystem_mirror" not in registry
    assert deploy.terraform_platform().count("_") == 1
