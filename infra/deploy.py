"""`make deploy` and `make rollback`: one command each, gated by a temporary AWS session.

    python infra/deploy.py preflight                  # who, where; nothing else
    python infra/deploy.py deploy [--auto-approve] [-- TERRAFORM_APPLY_ARGS...]
    python infra/deploy.py rollback parent|child|both [--to VERSION]
    python infra/deploy.py versions                   # what `live` points at, per function

deploy, in order (runbook: infra/README.md):

1. **Preflight**: STS GetCallerIdentity with the credentials the AWS SDK finds (environment,
   AWS_PROFILE, SSO, ...). Missing or expired credentials stop here with one message naming the
   login command (`aws sso login --profile P` / `aws login`). Long-lived access keys (no session
   token) are refused unless SWEEP_ALLOW_LONG_LIVED_KEYS=1 (a CI runner with a dedicated
   deploy user, say). It prints the account, the principal and the region it deploys to, and
   hands exactly these credentials to Terraform (so Terraform cannot pick another identity).
2. **Build** both artifacts (infra/build_lambda.py; dependencies cached by content).
3. **Init** Terraform with the repository's CLI configuration: infra/terraformrc (the AWS
   provider from the filesystem mirror /opt/tf-plugins) when the mirror exists, else
   infra/terraformrc-registry (registry.terraform.io). The lock file is read-only; when it lacks
   this platform's checksums, they are added with `terraform providers lock` (registry needed)
   and the message says to commit the lock file.
4. **Upload** each artifact to s3://<bucket>/lambda-code/<parent|child>/<sha256>.zip,
   create-if-absent (If-None-Match), never overwritten and never deleted: every deployed
   artifact stays for a rollback or an audit. On the first deploy the bucket is created first
   (a targeted apply of the bucket and its encryption/versioning/public-access settings).
5. **Apply** (Terraform asks first unless --auto-approve): the functions point at the new keys,
   and a changed function publishes a new version.
6. **Alias**: `live` (what API Gateway, the dispatcher and the child's destination invoke) moves
   to the version this apply published, and the command says so.

rollback moves `live` back to the previous version (the highest one below it) or a named one;
the recorder moves with the child (to its version holding the same artifact). Nothing is
rebuilt or re-uploaded, and a later `terraform apply` does not undo it (the alias' version is
ignored by Terraform); the next `make deploy` rolls forward.

Environment: AWS_PROFILE / AWS_REGION as usual; SWEEP_TF_STATE (a state file other than the
module's terraform.tfstate: tests); SWEEP_LAMBDA_BUILD_ARGS (extra infra/build_lambda.py
arguments, e.g. `--no-deps --no-bytecode` for a quick test deployment); SWEEP_LAMBDA_BUILD_DIR
(where the artifacts are built, default build/lambda); TF_CLI_CONFIG_FILE (overrides the
choice in step 3 when it names an existing file). Tests point AWS_ENDPOINT_URL at a moto server.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
MODULE_DIR = REPO_ROOT / "infra" / "terraform"
BUILD_DIR = REPO_ROOT / "build" / "lambda"
MIRROR = Path("/opt/tf-plugins/registry.terraform.io/hashicorp/aws")
MIRROR_CONFIG = REPO_ROOT / "infra" / "terraformrc"
REGISTRY_CONFIG = REPO_ROOT / "infra" / "terraformrc-registry"
DEFAULT_REGION = "eu-central-1"
LONG_LIVED_OVERRIDE = "SWEEP_ALLOW_LONG_LIVED_KEYS"
ARTIFACTS = ("parent", "child")
# The functions of each artifact; the first is the one `rollback <artifact>` is about.
FUNCTIONS_OF = {"parent": ("parent",), "child": ("child", "recorder")}
# Resources of the first, targeted apply: the bucket the artifacts are uploaded to, with its
# protections in place before anything is written to it.
BOOTSTRAP_TARGETS = (
    "aws_s3_bucket.results",
    "aws_s3_bucket_ownership_controls.results",
    "aws_s3_bucket_public_access_block.results",
    "aws_s3_bucket_server_side_encryption_configuration.results",
    "aws_s3_bucket_versioning.results",
)
# Exceptions/codes that mean: the session is missing, expired or not accepted.
_SESSION_ERRORS = {
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "SignatureDoesNotMatch",
    "InvalidAccessKeyId",
    "AuthFailure",
    "RequestExpired",
}


class DeployError(Exception):
    """A stop with a message for the operator (no traceback)."""


# -- preflight ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Identity:
    account: str
    arn: str
    region: str
    profile: str | None
    method: str
    access_key: str
    secret_key: str
    token: str | None

    def terraform_env(self) -> dict[str, str]:
        """The checked credentials, for Terraform (no profile: it cannot pick another)."""
        env = {
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
        }
        if self.token:
            env["AWS_SESSION_TOKEN"] = self.token
        return env


def login_hint(profile: str | None) -> str:
    if profile:
        return (
            f"log in again: `aws sso login --profile {profile}` (IAM Identity Center) or "
            f"`aws login --profile {profile}` (console credentials), then rerun"
        )
    return (
        "log in: `aws sso login --profile <profile>` (IAM Identity Center) or `aws login` "
        "(console credentials) and set AWS_PROFILE=<profile>, then rerun"
    )


def preflight(environ: Mapping[str, str] | None = None, *, region: str | None = None) -> Identity:
    """Check for a valid temporary session (see the module docstring); DeployError otherwise."""
    import boto3  # type: ignore[import-untyped]
    import botocore.exceptions  # type: ignore[import-untyped]

    env = os.environ if environ is None else environ
    profile = env.get("AWS_PROFILE") or None
    try:
        session = boto3.Session(profile_name=profile)
        credentials = session.get_credentials()
        if credentials is None:
            raise DeployError(f"make deploy: no AWS credentials found; {login_hint(profile)}")
        frozen = credentials.get_frozen_credentials()
        # AWS_REGION (what the CLI v2 and Terraform read) before the profile's region, which is
        # all boto3 reads besides AWS_DEFAULT_REGION.
        chosen_region = region or env.get("AWS_REGION") or session.region_name or DEFAULT_REGION
        sts = session.client("sts", region_name=chosen_region)
        caller = sts.get_caller_identity()
    except DeployError:
        raise
    except botocore.exceptions.ProfileNotFound:
        raise DeployError(
            f"make deploy: the AWS profile {profile!r} does not exist; {login_hint(None)}"
        ) from None
    except botocore.exceptions.ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in _SESSION_ERRORS:
            raise DeployError(
                f"make deploy: the AWS session is expired or not valid ({code}); "
                f"{login_hint(profile)}"
            ) from None
        raise DeployError(f"make deploy: STS GetCallerIdentity failed: {exc}") from None
    except (
        botocore.exceptions.NoCredentialsError,
        botocore.exceptions.TokenRetrievalError,
        botocore.exceptions.SSOError,
        botocore.exceptions.CredentialRetrievalError,
    ) as exc:
        raise DeployError(
            f"make deploy: the AWS session is missing or expired ({type(exc).__name__}); "
            f"{login_hint(profile)}"
        ) from None
    except botocore.exceptions.BotoCoreError as exc:
        raise DeployError(f"make deploy: cannot check the AWS identity: {exc}") from None
    method = getattr(credentials, "method", "unknown")
    if not frozen.token and env.get(LONG_LIVED_OVERRIDE) != "1":
        raise DeployError(
            f"make deploy: refusing long-lived access keys ({frozen.access_key[:4]}..., "
            f"from {method}, principal {caller['Arn']}): deploy with a temporary session; "
            f"{login_hint(profile)}. A dedicated deploy user (CI) may set "
            f"{LONG_LIVED_OVERRIDE}=1 to accept its keys."
        )
    return Identity(
        account=caller["Account"],
        arn=caller["Arn"],
        region=chosen_region,
        profile=profile,
        method=method,
        access_key=frozen.access_key,
        secret_key=frozen.secret_key,
        token=frozen.token,
    )


def describe(identity: Identity) -> str:
    session = "temporary session" if identity.token else f"LONG-LIVED keys ({LONG_LIVED_OVERRIDE})"
    profile = f", profile {identity.profile}" if identity.profile else ""
    return (
        f"deploying to account {identity.account} in {identity.region} as {identity.arn} "
        f"({session}, credentials from {identity.method}{profile})"
    )


# -- terraform ------------------------------------------------------------------------------------


def cli_config(environ: Mapping[str, str]) -> Path:
    """The CLI configuration: TF_CLI_CONFIG_FILE, else the mirror's when it exists, else the
    registry's."""
    explicit = environ.get("TF_CLI_CONFIG_FILE")
    if explicit and Path(explicit).is_file():
        return Path(explicit)
    # A TF_CLI_CONFIG_FILE naming no file (some images set ~/.terraformrc and never write it)
    # would make Terraform fall back to its defaults silently: choose as if it were unset.
    return MIRROR_CONFIG if MIRROR.is_dir() else REGISTRY_CONFIG


def terraform_platform() -> str:
    """This machine in Terraform's platform names (linux_amd64, darwin_arm64, ...)."""
    machine = platform.machine().lower()
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}
    return f"{platform.system().lower()}_{arch.get(machine, machine)}"


class Terraform:
    """terraform -chdir=infra/terraform with the chosen CLI config, credentials and state."""

    def __init__(self, env: Mapping[str, str], *, state: str | None) -> None:
        binary = shutil.which("terraform")
        if binary is None:
            raise DeployError("make deploy: terraform is not on PATH (1.5 or later)")
        self.binary = binary
        self.env = dict(env)
        self.state_args = [f"-state={state}"] if state else []

    def run(
        self, *args: str, capture: bool = False, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        command = [self.binary, f"-chdir={MODULE_DIR}", *args]
        print("+ terraform " + " ".join(shlex.quote(a) for a in args), file=sys.stderr, flush=True)
        result = subprocess.run(
            command, env=self.env, text=True, capture_output=capture, check=False
        )
        if check and result.returncode != 0:
            detail = f"\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}" if capture else ""
            raise DeployError(f"terraform {args[0]} failed ({result.returncode}){detail}")
        return result

    def init(self) -> None:
        result = self.run(
            "init", "-input=false", "-no-color", "-lockfile=readonly", capture=True, check=False
        )
        if result.returncode == 0:
            return
        output = result.stdout + result.stderr
        if "match any of the checksums" not in " ".join(output.split()):
            raise DeployError(f"terraform init failed:\n{output[-4000:]}")
        # The lock file has no checksum for this platform (it was written from the Linux mirror):
        # add it from the registry, then initialise with the lock file read-only again.
        here = terraform_platform()
        print(f"lock file lacks the {here} checksums; adding them (registry)", file=sys.stderr)
        self.run("providers", "lock", f"-platform={here}")
        self.run("init", "-input=false", "-no-color", "-lockfile=readonly")
        print("infra/terraform/.terraform.lock.hcl gained checksums: commit it", file=sys.stderr)

    def outputs(self) -> dict[str, Any]:
        result = self.run("output", "-json", "-no-color", *self.state_args, capture=True)
        return {name: item["value"] for name, item in json.loads(result.stdout or "{}").items()}

    def state_list(self) -> list[str]:
        result = self.run("state", "list", *self.state_args, capture=True, check=False)
        return result.stdout.split() if result.returncode == 0 else []


# -- upload ---------------------------------------------------------------------------------------


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def artifact_key(artifact: str, sha256: str) -> str:
    """Must match local.parent_code_key / child_code_key in infra/terraform/main.tf."""
    return f"lambda-code/{artifact}/{sha256}.zip"


def upload_artifact(s3: Any, bucket: str, artifact: str, path: Path) -> tuple[str, bool]:
    """Upload create-if-absent under the content's sha256; (key, uploaded now)."""
    import botocore.exceptions

    digest = sha256_of(path)
    key = artifact_key(artifact, digest)
    try:
        head = s3.head_object(Bucket=bucket, Key=key)
    except botocore.exceptions.ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in ("404", "NoSuchKey", "NotFound"):
            raise DeployError(f"cannot check s3://{bucket}/{key}: {exc}") from None
    else:
        recorded = head.get("Metadata", {}).get("sha256")
        if recorded != digest:
            raise DeployError(
                f"s3://{bucket}/{key} exists with sha256 metadata {recorded!r}, not {digest}; "
                "an artifact is never overwritten: find out who wrote it"
            )
        return key, False
    with path.open("rb") as body:
        try:
            s3.put_object(
                Bucket=bucket,
                Key=key,
                Body=body,
                ContentType="application/zip",
                Metadata={"sha256": digest},
                IfNoneMatch="*",
            )
        except botocore.exceptions.ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            if code not in ("PreconditionFailed", "ConditionalRequestConflict"):
                raise DeployError(
                    f"uploading {path} to s3://{bucket}/{key} failed: {exc}"
                ) from None
    return key, True


# -- aliases --------------------------------------------------------------------------------------


def _versions(lam: Any, function: str) -> dict[int, dict[str, Any]]:
    found: dict[int, dict[str, Any]] = {}
    for page in lam.get_paginator("list_versions_by_function").paginate(FunctionName=function):
        for version in page["Versions"]:
            if version["Version"].isdigit():
                found[int(version["Version"])] = version
    return found


def move_alias(
    lam: Any, function: str, alias: str, version: int, *, why: str
) -> tuple[int | None, int]:
    current = lam.get_alias(FunctionName=function, Name=alias)["FunctionVersion"]
    before = int(current) if current.isdigit() else None
    if before != version:
        lam.update_alias(
            FunctionName=function, Name=alias, FunctionVersion=str(version), Description=why
        )
    return before, version


def _say_moved(function: str, alias: str, move: tuple[int | None, int], sha: str) -> str:
    before, after = move
    if before == after:
        return f"{function}: {alias} stays at version {after} (code sha256 {sha})"
    return f"{function}: {alias} {before} -> {after} (code sha256 {sha})"


def _code_sha_hex(version: Mapping[str, Any]) -> str:
    """Lambda reports CodeSha256 in base64; the artifacts are named in hex."""
    import base64

    try:
        return base64.b64decode(version["CodeSha256"]).hex()
    except (ValueError, KeyError):
        return str(version.get("CodeSha256"))


def rollback(
    lam: Any, outputs: Mapping[str, Any], target: str, to_version: int | None
) -> list[str]:
    """Move `live` of target's functions back; the lines saying what was done."""
    alias = outputs.get("live_alias", "live")
    names = outputs["function_names"]
    said: list[str] = []
    artifacts = ARTIFACTS if target == "both" else (target,)
    if to_version is not None and len(artifacts) != 1:
        raise DeployError("rollback --to VERSION needs one function: parent or child")
    for artifact in artifacts:
        main, *followers = FUNCTIONS_OF[artifact]
        function = names[main]
        versions = _versions(lam, function)
        live = lam.get_alias(FunctionName=function, Name=alias)["FunctionVersion"]
        current = int(live) if live.isdigit() else max(versions)
        if to_version is None:
            earlier = [v for v in versions if v < current]
            if not earlier:
                raise DeployError(
                    f"{function}: no version before {current} to roll back to "
                    f"(published: {sorted(versions)})"
                )
            chosen = max(earlier)
        else:
            if to_version not in versions:
                raise DeployError(
                    f"{function}: version {to_version} does not exist "
                    f"(published: {sorted(versions)})"
                )
            chosen = to_version
        sha = _code_sha_hex(versions[chosen])
        why = f"rollback from {current} (make rollback)"
        move = move_alias(lam, function, alias, chosen, why=why)
        said.append(
            _say_moved(function, alias, move, sha)
            + f", published {versions[chosen].get('LastModified')}"
        )
        for follower in followers:
            name = names[follower]
            same_code = [
                number
                for number, version in _versions(lam, name).items()
                if version.get("CodeSha256") == versions[chosen].get("CodeSha256")
            ]
            if not same_code:
                said.append(f"{name}: no version holds artifact {sha}; {alias} left as it was")
                continue
            move = move_alias(lam, name, alias, max(same_code), why=why)
            said.append(_say_moved(name, alias, move, sha))
    return said


def live_versions(lam: Any, outputs: Mapping[str, Any]) -> list[str]:
    alias = outputs.get("live_alias", "live")
    lines = []
    for role, function in sorted(outputs["function_names"].items()):
        versions = _versions(lam, function)
        live = lam.get_alias(FunctionName=function, Name=alias)["FunctionVersion"]
        sha = _code_sha_hex(versions[int(live)]) if live.isdigit() else "?"
        lines.append(
            f"{role:8} {function}: {alias} -> {live} of {sorted(versions)} (code sha256 {sha})"
        )
    return lines


# -- commands -------------------------------------------------------------------------------------


def _clients(identity: Identity) -> tuple[Any, Any]:
    import boto3

    session = boto3.Session(
        aws_access_key_id=identity.access_key,
        aws_secret_access_key=identity.secret_key,
        aws_session_token=identity.token,
        region_name=identity.region,
    )
    return session.client("s3"), session.client("lambda")


def _terraform(identity: Identity, environ: Mapping[str, str]) -> Terraform:
    env = {
        key: value
        for key, value in environ.items()
        if not key.startswith("AWS_") or key in ("AWS_ENDPOINT_URL", "AWS_EC2_METADATA_DISABLED")
    }
    env.update(identity.terraform_env())
    env["TF_CLI_CONFIG_FILE"] = str(cli_config(environ))
    env.setdefault("TF_IN_AUTOMATION", "1")
    env.setdefault("CHECKPOINT_DISABLE", "1")
    return Terraform(env, state=environ.get("SWEEP_TF_STATE") or None)


def build_artifacts(environ: Mapping[str, str]) -> dict[str, Path]:
    """Run infra/build_lambda.py (both artifacts) into build/lambda/."""
    extra = shlex.split(environ.get("SWEEP_LAMBDA_BUILD_ARGS", "--strip --fail-over-limit"))
    command = [sys.executable, str(REPO_ROOT / "infra" / "build_lambda.py"), *extra]
    output_dir = Path(environ.get("SWEEP_LAMBDA_BUILD_DIR") or BUILD_DIR)
    command += ["--output-dir", str(output_dir)]
    print("+ " + " ".join(shlex.quote(c) for c in command[1:]), file=sys.stderr, flush=True)
    if subprocess.run(command, check=False).returncode != 0:
        raise DeployError(
            "make deploy: building the artifacts failed (see above); nothing deployed"
        )
    return {name: output_dir / f"{name}.zip" for name in ARTIFACTS}


def deploy(args: argparse.Namespace, environ: Mapping[str, str]) -> None:
    identity = preflight(environ, region=args.region)
    print(describe(identity), flush=True)
    zips = build_artifacts(environ)
    tf = _terraform(identity, environ)
    tf.init()
    variables = [
        f"-var=region={identity.region}",
        *(f"-var={name}_lambda_zip={path}" for name, path in zips.items()),
    ]
    # Without --auto-approve Terraform shows the plan and asks, so it needs its input.
    approve = ["-auto-approve", "-input=false"] if args.auto_approve else []
    common = [*tf.state_args, *variables, *args.terraform_args]
    if "aws_s3_bucket.results" not in tf.state_list():
        print("first deployment: creating the bucket the artifacts go to", flush=True)
        targets = [f"-target={t}" for t in BOOTSTRAP_TARGETS]
        tf.run("apply", *approve, *common, *targets)
    outputs = tf.outputs()
    bucket = outputs["bucket"]
    s3, lam = _clients(identity)
    for name, path in zips.items():
        key, uploaded = upload_artifact(s3, bucket, name, path)
        print(f"{name}: s3://{bucket}/{key} ({'uploaded' if uploaded else 'already there'})")
    tf.run("apply", *approve, *common)
    outputs = tf.outputs()
    alias = outputs["live_alias"]
    for role, function in sorted(outputs["function_names"].items()):
        published = int(outputs["function_versions"][role])
        move = move_alias(lam, function, alias, published, why="make deploy")
        version = lam.get_function_configuration(FunctionName=function, Qualifier=str(published))
        print(_say_moved(function, alias, move, _code_sha_hex(version)), flush=True)
    print(f"deployed: API {outputs['api_url']} (verify: infra/README.md, Runbook)")


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    env = dict(os.environ if environ is None else environ)
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--region", help="AWS region (default: the profile's, else eu-central-1)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("preflight", help="check the AWS session and print the identity")
    run = commands.add_parser("deploy", help="preflight, build, upload, apply, move the aliases")
    run.add_argument("--auto-approve", action="store_true")
    run.add_argument("terraform_args", nargs="*", help="extra terraform apply arguments")
    back = commands.add_parser("rollback", help="move live back to an earlier version")
    back.add_argument("target", choices=[*ARTIFACTS, "both"])
    back.add_argument("--to", type=int, dest="to_version", help="this version, not the previous")
    commands.add_parser("versions", help="print what live points at")
    args = parser.parse_args(argv)
    try:
        if args.command == "deploy":
            deploy(args, env)
            return 0
        identity = preflight(env, region=args.region)
        print(describe(identity).removeprefix("deploying to "), flush=True)
        if args.command == "preflight":
            return 0
        outputs = _terraform(identity, env).outputs()
        if "function_names" not in outputs:
            raise DeployError("nothing deployed yet (no Terraform outputs): run make deploy")
        _s3, lam = _clients(identity)
        if args.command == "rollback":
            lines = rollback(lam, outputs, args.target, args.to_version)
        else:
            lines = live_versions(lam, outputs)
        for line in lines:
            print(line, flush=True)
        return 0
    except DeployError as exc:
        print(exc, file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
