"""infra/terraform: offline init, validate, fmt, and `make deploy` / `make rollback` against moto.

The deploy test starts a moto server on 127.0.0.1 (free port) and runs the real commands with
fake temporary keys: `make deploy` (preflight through STS, build both artifacts, first-deploy
bucket bootstrap, content-addressed upload, terraform apply with every endpoint on moto via
`local_endpoint`, the live aliases moved), a second `make deploy` with new artifacts, then
`make rollback`; it checks what was created through boto3 and destroys it. What moto cannot do,
and how the test deals with it:

* REST API resource policy: moto returns the stored policy as plain JSON, AWS as an escaped JSON
  string; the provider cannot read moto's form back. Applied with
  `enable_api_resource_policy=false`; the policy document itself is checked in the state.
* Bucket policy: moto evaluates the conditions it does not implement (Bool, NumericLessThan) as
  true, so the TLS-only policy would deny every object request, the artifact uploads included.
  Applied with `attach_bucket_policy=false`; the rendered document is checked in the state.
* Athena named queries: moto has no DeleteNamedQuery (the provider would retry forever). They
  are created and checked, then removed from the state before `destroy` (the server is thrown
  away with them).

The first apply takes about a minute, nearly all of it the provider's own consistency waits (S3
lifecycle about 55 s, SQS queue attributes about 25 s), which it does against AWS too.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest
from infra_helpers import MIRROR, MODULE_DIR, REGION, REPO_ROOT, Terraform, var_args
from moto_server import moto_server

MODEL_PATH = REPO_ROOT / "src/serverless_sweep/contracts/generated/apigateway/sweep_request.json"
BAD_REQUEST_TEMPLATE = (
    '{"error": "validation_error", '
    '"message": "Invalid request body: $context.error.validationErrorString"}'
)
TABLES = (
    "shard_metrics",
    "shard_errors",
    "shard_outcomes",
    "run_metrics",
    "trip_data",
    "snapshot_counts",
)


# -- static checks --------------------------------------------------------------------------------


def test_init_uses_the_mirror_and_the_committed_lock(terraform: Terraform) -> None:
    lock = (MODULE_DIR / ".terraform.lock.hcl").read_text()
    assert 'version     = "5.100.0"' in lock
    providers = terraform.run("providers", "-no-color").stdout
    assert "registry.terraform.io/hashicorp/aws" in providers
    installed = Path(terraform.env["TF_DATA_DIR"]) / "providers/registry.terraform.io/hashicorp/aws"
    assert [p.name for p in installed.iterdir()] == ["5.100.0"]


def _dirhash_h1(directory: Path) -> str:
    """Terraform's `h1:` checksum of an unpacked provider package (its "dirhash" Hash1):
    base64 of the sha256 of the sorted `<sha256 hex>  <relative path>` lines of every file."""
    lines = sorted(
        f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path.relative_to(directory)}\n"
        for path in directory.rglob("*")
        if path.is_file()
    )
    return "h1:" + base64.b64encode(hashlib.sha256("".join(lines).encode()).digest()).decode()


def test_the_lock_file_serves_every_platform_and_matches_the_mirror() -> None:
    """One h1 (the mirrored linux_amd64 package, recomputed here) and the zh: sha256 of every
    platform's release zip, so `terraform init -lockfile=readonly` from the registry verifies
    the download on macOS, Windows or ARM too instead of failing on a missing checksum."""
    lock = (MODULE_DIR / ".terraform.lock.hcl").read_text()
    hashes = re.findall(r'"((?:h1|zh):[^"]+)"', lock)
    zip_hashes = [h for h in hashes if h.startswith("zh:")]
    assert len(zip_hashes) >= 14, "expected the zh: checksums of every platform's release zip"
    assert all(re.fullmatch(r"zh:[0-9a-f]{64}", h) for h in zip_hashes), zip_hashes
    assert len(set(hashes)) == len(hashes)
    package = MIRROR / "5.100.0" / "linux_amd64"
    if not package.is_dir():
        pytest.skip(f"the provider mirror {package} is missing: cannot recompute its h1")
    assert _dirhash_h1(package) in hashes


def test_validate(terraform: Terraform) -> None:
    result = terraform.run("validate", "-no-color", "-json")
    report = json.loads(result.stdout)
    assert report["valid"] is True, report
    assert report["warning_count"] == 0, report["diagnostics"]


def test_fmt(terraform: Terraform) -> None:
    result = terraform.run("fmt", "-check", "-recursive", "-diff", "-no-color", check=False)
    assert result.returncode == 0, f"terraform fmt would change:\n{result.stdout}"


@pytest.fixture(scope="module")
def variables_only(terraform: Terraform, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The module's variables.tf alone: a plan there evaluates the validations and nothing else
    (no provider, so no endpoint, not even a bad one, is ever contacted)."""
    root = tmp_path_factory.mktemp("variables")
    shutil.copy(MODULE_DIR / "variables.tf", root / "variables.tf")
    terraform.run("init", "-input=false", "-no-color", "-backend=false", chdir=root)
    return root


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("results_prefix", "/serverless-sweeps"),
        ("results_prefix", "serverless-sweeps/"),
        ("results_prefix", "sweeps/*"),
        ("results_prefix", "sweeps/${aws:username}"),
        ("results_prefix", "athena-results"),
        ("results_prefix", "lambda-code/x"),
        ("results_prefix", ""),
        ("local_endpoint", "https://s3.amazonaws.com"),
        ("allowed_principals", '["*"]'),
        ("name_prefix", "Has_Upper"),
        ("log_retention_days", "42"),
        ("child_maximum_retry_attempts", "3"),
    ],
)
def test_variable_validation_rejects(
    terraform: Terraform, variables_only: Path, name: str, value: str
) -> None:
    result = terraform.run(
        "plan",
        "-no-color",
        "-input=false",
        "-var",
        f"{name}={value}",
        check=False,
        timeout=60,
        chdir=variables_only,
    )
    assert result.returncode != 0
    assert "Invalid value for variable" in result.stderr, result.stderr[-2000:]


def test_the_dispatch_and_alarm_variables_reject_bad_values(
    terraform: Terraform, variables_only: Path
) -> None:
    """One plan, every bad value at once (Terraform reports each variable's validation)."""
    bad = {
        "child_reserved_concurrency": "0",
        "dispatch_concurrency": "0",
        "dispatch_maximum_event_age_seconds": "30",
        "dlq_kms_key_id": "my-key",
        "alarm_sns_topic_arn": "arn:aws:sqs:eu-central-1:123456789012:q",
        "api_logging_level": "DEBUG",
    }
    args = [arg for name, value in bad.items() for arg in ("-var", f"{name}={value}")]
    result = terraform.run(
        "plan", "-no-color", "-input=false", *args, check=False, timeout=60, chdir=variables_only
    )
    assert result.returncode != 0
    for name in bad:
        assert f"var.{name} is" in result.stderr or f"{name}:" in result.stderr, name
    assert result.stderr.count("Invalid value for variable") == len(bad), result.stderr[-3000:]


def test_variable_defaults_are_valid(terraform: Terraform, variables_only: Path) -> None:
    result = terraform.run("plan", "-no-color", "-input=false", chdir=variables_only)
    assert "No changes" in result.stdout


# -- apply against moto ---------------------------------------------------------------------------


# Fake temporary credentials (an ASIA key id and a session token): what make deploy accepts.
FAKE_TEMPORARY_KEYS = {
    "AWS_ACCESS_KEY_ID": "ASIAFAKETEMPORARYKEY",
    "AWS_SECRET_ACCESS_KEY": "fake-secret",
    "AWS_SESSION_TOKEN": "fake-session-token",
}


@dataclass(frozen=True)
class Deployment:
    endpoint: str
    prefix: str
    outputs: dict[str, Any]
    state: dict[str, Any]
    runs: dict[str, Any]
    first_keys: dict[str, str]
    env: dict[str, str]

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def data_source(self, address: str) -> dict[str, Any]:
        resources = self.state["values"]["root_module"]["resources"]
        found = [r for r in resources if r["address"] == address]
        assert found, address
        values: dict[str, Any] = found[0]["values"]
        return values


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    with moto_server() as url:
        yield url


@dataclass(frozen=True)
class DeployRun:
    """One `make` run of the deploy tooling: exit code and what it printed."""

    returncode: int
    stdout: str
    stderr: str


def _make(target: str, env: dict[str, str], *variables: str, timeout: float = 600) -> DeployRun:
    result = subprocess.run(
        ["make", "-s", "-C", str(REPO_ROOT), target, *variables],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return DeployRun(result.returncode, result.stdout, result.stderr)


def _ok(run: DeployRun, what: str) -> DeployRun:
    assert run.returncode == 0, f"{what} failed:\n{run.stdout[-5000:]}\n{run.stderr[-5000:]}"
    return run


@pytest.fixture(scope="module")
def deployment(
    terraform: Terraform, moto_endpoint: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployment]:
    """`make deploy` twice (two artifacts each time), `make rollback`, then destroy.

    The artifacts are built by the real build (`make deploy` runs infra/build_lambda.py) with
    `--no-deps --no-bytecode`: moto never runs the code, and the full build (pip, ~2 min) has
    its own tests (test_infra_artifacts.py). The second deploy differs only in
    SOURCE_DATE_EPOCH, which changes every zip entry's timestamp and so both artifacts' sha256.
    """
    work = tmp_path_factory.mktemp("apply")
    state = work / "terraform.tfstate"
    prefix = f"infra-test-{uuid.uuid4().hex[:8]}"
    variables = {
        "name_prefix": prefix,
        "local_endpoint": moto_endpoint,
        "force_destroy": True,
        "enable_api_resource_policy": False,
        "attach_bucket_policy": False,
    }
    tf_args = " ".join(
        f"-var={name}={str(value).lower() if isinstance(value, bool) else value}"
        for name, value in variables.items()
    )
    env = {
        **terraform.env,
        **FAKE_TEMPORARY_KEYS,
        "AWS_ENDPOINT_URL": moto_endpoint,
        "SWEEP_TF_STATE": str(state),
        "SWEEP_LAMBDA_BUILD_ARGS": "--no-deps --no-bytecode",
        "SWEEP_LAMBDA_BUILD_DIR": str(work / "build"),
    }
    deploy_vars = ("DEPLOY_ARGS=--auto-approve", f"TF_APPLY_ARGS=-parallelism=20 {tf_args}")
    tf = terraform.with_env(AWS_ENDPOINT_URL=moto_endpoint)
    common = ("-no-color", "-input=false", f"-state={state}", *var_args(variables))
    runs: dict[str, DeployRun] = {}
    try:
        runs["first"] = _ok(_make("deploy", env, *deploy_vars), "first make deploy")
        outputs = json.loads(tf.run("output", "-json", "-no-color", f"-state={state}").stdout)
        first_keys = outputs["lambda_code_keys"]["value"]
        later = {**env, "SOURCE_DATE_EPOCH": "1700000000"}
        runs["second"] = _ok(_make("deploy", later, *deploy_vars), "second make deploy")
        runs["rollback"] = _ok(_make("rollback", env), "make rollback")
        runs["versions"] = _ok(_make("versions", env), "make versions")
        outputs = json.loads(tf.run("output", "-json", "-no-color", f"-state={state}").stdout)
        shown = json.loads(tf.run("show", "-json", "-no-color", str(state)).stdout)
        yield Deployment(
            endpoint=moto_endpoint,
            prefix=prefix,
            outputs={name: item["value"] for name, item in outputs.items()},
            state=shown,
            runs=runs,
            first_keys=first_keys,
            env=env,
        )
    finally:
        # moto has no DeleteNamedQuery: forget the named queries, destroy everything else.
        listed = tf.run("state", "list", f"-state={state}", check=False).stdout.split()
        named = [a for a in listed if a.startswith("aws_athena_named_query.")]
        if named:
            tf.run("state", "rm", f"-state={state}", *named)
        if listed:
            zips = [
                f"-var={name}_lambda_zip={work / 'build' / f'{name}.zip'}"
                for name in ("parent", "child")
            ]
            tf.run("destroy", "-auto-approve", *common, *zips, timeout=300)
            remaining = tf.run("state", "list", f"-state={state}", check=False).stdout.split()
            assert remaining == [], remaining


def test_bucket_is_private_encrypted_versioned_and_tls_only(deployment: Deployment) -> None:
    s3 = deployment.client("s3")
    bucket = deployment.outputs["bucket"]
    assert bucket == f"{deployment.prefix}-results-123456789012-{REGION}"

    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert block == {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True,
    }
    rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    ownership = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]
    assert ownership["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]

    # Not attached on moto (attach_bucket_policy=false, see the module docstring): the rendered
    # document is checked.
    policy = json.loads(
        deployment.data_source("data.aws_iam_policy_document.results_bucket")["json"]
    )
    tls = next(s for s in policy["Statement"] if s.get("Sid") == "DenyInsecureTransport")
    assert tls["Effect"] == "Deny"
    assert tls["Principal"] in ("*", {"AWS": "*"})
    assert tls["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert sorted(_as_list(tls["Resource"])) == [
        f"arn:aws:s3:::{bucket}",
        f"arn:aws:s3:::{bucket}/*",
    ]

    lifecycle = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert {rule["ID"] for rule in lifecycle} == {
        "expire-noncurrent-versions",
        "expire-athena-results",
    }


def test_functions_have_the_handlers_runtime_and_environment(deployment: Deployment) -> None:
    lam = deployment.client("lambda")
    bucket = deployment.outputs["bucket"]
    names = deployment.outputs["function_names"]
    parent = lam.get_function_configuration(FunctionName=names["parent"])
    child = lam.get_function_configuration(FunctionName=names["child"])
    recorder = lam.get_function_configuration(FunctionName=names["recorder"])

    common = {
        "SWEEP_RESULTS_BUCKET": bucket,
        "SWEEP_RESULTS_PREFIX": "serverless-sweeps",
        "SWEEP_DEFAULT_MODEL": "ride_hailing",
    }
    assert parent["Runtime"] == child["Runtime"] == recorder["Runtime"] == "python3.12"
    assert parent["Handler"] == "serverless_sweep.entrypoints.lambda_parent.handler"
    assert child["Handler"] == "serverless_sweep.entrypoints.lambda_child.handler"
    assert recorder["Handler"] == "serverless_sweep.entrypoints.lambda_child.failure_handler"
    child_live = f"{child['FunctionArn']}:live"
    assert deployment.outputs["child_function_arn"] == child_live
    assert parent["Environment"]["Variables"] == {
        **common,
        "CHILD_LAMBDA_ARN": child_live,
        "SWEEP_DISPATCHER_FUNCTION": f"{names['parent']}:live",
        "SWEEP_DISPATCH_CONCURRENCY": "64",
        "SWEEP_CHILD_MAX_EVENT_AGE_S": "21600",
        "SWEEP_CHILD_TIMEOUT_S": "900",
    }
    assert child["Environment"]["Variables"] == common
    assert recorder["Environment"]["Variables"] == common
    assert (child["Timeout"], child["MemorySize"]) == (900, 1769)
    for role, config in (("parent", parent), ("child", child), ("recorder", recorder)):
        assert config["Role"].endswith(f"role/{deployment.prefix}-{role}")
        assert config["TracingConfig"] == {"Mode": "Active"}, role
    # moto neither stores nor reports DeadLetterConfig (nor does the state after its refresh):
    # the parent's and the recorder's dead_letter_config are not checkable here.
    concurrency = lam.get_function_concurrency(FunctionName=names["child"])
    assert concurrency["ReservedConcurrentExecutions"] == 100
    # $LATEST runs the artifact this apply named: the parent's, and the child's for the child
    # and the recorder (content-addressed: the key holds the sha256 Lambda reports).
    keys = deployment.outputs["lambda_code_keys"]
    for config, artifact in ((parent, "parent"), (child, "child"), (recorder, "child")):
        digest = base64.b64decode(config["CodeSha256"]).hex()
        assert keys[artifact] == f"lambda-code/{artifact}/{digest}.zip", config["FunctionName"]


def test_asynchronous_invocation_failures_go_to_the_recorder(deployment: Deployment) -> None:
    lam = deployment.client("lambda")
    names = deployment.outputs["function_names"]
    recorder_live = f"arn:aws:lambda:{REGION}:123456789012:function:{names['recorder']}:live"
    child = lam.get_function_event_invoke_config(FunctionName=names["child"], Qualifier="live")
    assert child["MaximumRetryAttempts"] == 2
    assert child["MaximumEventAgeInSeconds"] == 21600
    assert child["DestinationConfig"]["OnFailure"]["Destination"] == recorder_live
    recorder = lam.get_function_event_invoke_config(
        FunctionName=names["recorder"], Qualifier="live"
    )
    assert recorder["MaximumRetryAttempts"] == 2
    # A crashed dispatch job is retried by Lambda (then the DLQ, the function's dead_letter_config).
    parent = lam.get_function_event_invoke_config(FunctionName=names["parent"], Qualifier="live")
    assert (parent["MaximumRetryAttempts"], parent["MaximumEventAgeInSeconds"]) == (2, 3600)


def test_api_may_invoke_the_parent_alias_only(deployment: Deployment) -> None:
    lam = deployment.client("lambda")
    parent = deployment.outputs["function_names"]["parent"]
    permission = json.loads(lam.get_policy(FunctionName=parent, Qualifier="live")["Policy"])
    (statement,) = permission["Statement"]
    assert statement["Principal"] == {"Service": "apigateway.amazonaws.com"}
    assert statement["Action"] == "lambda:InvokeFunction"
    assert statement["Resource"].endswith(f"function:{parent}:live")
    api_id = deployment.outputs["api_id"]
    source = statement["Condition"]["ArnLike"]["AWS:SourceArn"]
    assert source == f"arn:aws:execute-api:{REGION}:123456789012:{api_id}/*/*/sweep-run*"


def test_log_groups_dead_letter_queue_and_alarm(deployment: Deployment) -> None:
    logs = deployment.client("logs")
    groups = logs.describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{deployment.prefix}-")
    retention = {g["logGroupName"]: g.get("retentionInDays") for g in groups["logGroups"]}
    assert retention == {
        f"/aws/lambda/{deployment.prefix}-parent": 30,
        f"/aws/lambda/{deployment.prefix}-child": 30,
        f"/aws/lambda/{deployment.prefix}-recorder": 30,
    }
    sqs = deployment.client("sqs")
    queue_url = deployment.outputs["dead_letter_queue_url"]
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
    assert attributes["KmsMasterKeyId"] == "alias/aws/sqs"
    assert attributes["MessageRetentionPeriod"] == "1209600"
    (statement,) = json.loads(attributes["Policy"])["Statement"]
    assert statement["Effect"] == "Deny"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}

    cloudwatch = deployment.client("cloudwatch")
    (alarm,) = cloudwatch.describe_alarms(AlarmNames=[deployment.outputs["dead_letter_alarm"]])[
        "MetricAlarms"
    ]
    assert (alarm["Namespace"], alarm["MetricName"]) == (
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
    )
    assert alarm["Dimensions"] == [{"Name": "QueueName", "Value": f"{deployment.prefix}-dlq"}]
    assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanThreshold", 0.0)
    assert alarm["AlarmActions"] == []  # no alarm_sns_topic_arn given


# Resources a role policy may name: the bucket, objects under the results prefix (or one of its
# datasets), a function alias, a log group's streams, the dead-letter queue, and X-Ray's "*".
def _allowed_resources(deployment: Deployment) -> dict[str, str]:
    bucket = deployment.outputs["bucket"]
    account = f"{REGION}:123456789012"
    functions = f"arn:aws:lambda:{account}:function:{deployment.prefix}"
    results = f"arn:aws:s3:::{bucket}/serverless-sweeps"
    allowed = {
        "bucket": f"arn:aws:s3:::{bucket}",
        "results": f"{results}/*",
        "outcomes": f"{results}/dataset=shard_outcomes/*",
        "errors": f"{results}/dataset=shard_errors/*",
        "child": f"{functions}-child:live",
        "parent": f"{functions}-parent:live",
        "recorder": f"{functions}-recorder:live",
        "dlq": f"arn:aws:sqs:{account}:{deployment.prefix}-dlq",
        "xray": "*",
    }
    for role in ("parent", "child", "recorder"):
        allowed[f"{role}_logs"] = (
            f"arn:aws:logs:{account}:log-group:/aws/lambda/{deployment.prefix}-{role}:*"
        )
    return allowed


def _role_policy(deployment: Deployment, role: str) -> dict[str, list[str]]:
    iam = deployment.client("iam")
    name = f"{deployment.prefix}-{role}"
    document = iam.get_role_policy(RoleName=name, PolicyName=name)["PolicyDocument"]
    if isinstance(document, str):
        document = json.loads(document)
    trust = iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"]
    assert trust["Statement"][0]["Principal"] == {"Service": "lambda.amazonaws.com"}
    grants: dict[str, list[str]] = {}
    for statement in document["Statement"]:
        assert statement["Effect"] == "Allow"
        assert "NotAction" not in statement and "NotResource" not in statement
        actions = _as_list(statement["Action"])
        resources = _as_list(statement["Resource"])
        for action in actions:
            assert "*" not in action and "?" not in action, f"{role}: wildcard action {action}"
        if resources == ["*"]:
            assert sorted(actions) == ["xray:PutTelemetryRecords", "xray:PutTraceSegments"]
        if "s3:ListBucket" in actions:
            (condition,) = statement["Condition"].items()
            assert condition[0] == "StringLike", statement
            assert {k: _as_list(v) for k, v in condition[1].items()} == {
                "s3:prefix": ["serverless-sweeps/*"]
            }
        else:
            assert "Condition" not in statement, statement
        for action in actions:
            grants.setdefault(action, []).extend(resources)
    allowed = set(_allowed_resources(deployment).values())
    for action, resources in grants.items():
        for resource in resources:
            assert resource in allowed, f"{role}: {action} on {resource}"
    return {action: sorted(resources) for action, resources in grants.items()}


def test_role_policies_are_least_privilege(deployment: Deployment) -> None:
    names = _allowed_resources(deployment)
    xray = {"xray:PutTraceSegments": ["*"], "xray:PutTelemetryRecords": ["*"]}
    assert _role_policy(deployment, "parent") == {
        "s3:GetObject": [names["results"]],
        "s3:PutObject": [names["results"]],
        "s3:ListBucket": [names["bucket"]],
        # the child's live alias (shards) and its own (dispatch jobs)
        "lambda:InvokeFunction": sorted([names["child"], names["parent"]]),
        "logs:CreateLogStream": [names["parent_logs"]],
        "logs:PutLogEvents": [names["parent_logs"]],
        "sqs:SendMessage": [names["dlq"]],
        **xray,
    }
    assert _role_policy(deployment, "child") == {
        "s3:GetObject": [names["results"]],
        "s3:PutObject": [names["results"]],
        "s3:ListBucket": [names["bucket"]],
        # Lambda delivers the on-failure record to the recorder with the child's role
        "lambda:InvokeFunction": [names["recorder"]],
        "logs:CreateLogStream": [names["child_logs"]],
        "logs:PutLogEvents": [names["child_logs"]],
        **xray,
    }
    assert _role_policy(deployment, "recorder") == {
        "s3:GetObject": [names["outcomes"]],
        "s3:PutObject": sorted([names["outcomes"], names["errors"]]),
        "s3:ListBucket": [names["bucket"]],
        "logs:CreateLogStream": [names["recorder_logs"]],
        "logs:PutLogEvents": [names["recorder_logs"]],
        "sqs:SendMessage": [names["dlq"]],
        **xray,
    }


def test_deploy_published_versions_kept_the_artifacts_and_rolled_back(
    deployment: Deployment,
) -> None:
    first, second = deployment.runs["first"], deployment.runs["second"]
    for run in (first, second):
        assert "deploying to account 123456789012 in eu-central-1 as arn:aws:" in run.stdout
        assert "temporary session" in run.stdout
    assert "first deployment: creating the bucket" in first.stdout
    assert "first deployment" not in second.stdout
    names = deployment.outputs["function_names"]
    for role in ("parent", "child", "recorder"):
        assert f"{names[role]}: live stays at version 1" in first.stdout, first.stdout
        assert f"{names[role]}: live 1 -> 2" in second.stdout, second.stdout
    rollback = deployment.runs["rollback"].stdout
    for role in ("parent", "child", "recorder"):
        assert f"{names[role]}: live 2 -> 1" in rollback, rollback

    lam = deployment.client("lambda")
    for role, name in names.items():
        assert lam.get_alias(FunctionName=name, Name="live")["FunctionVersion"] == "1", role
        versions = lam.list_versions_by_function(FunctionName=name)["Versions"]
        assert sorted(v["Version"] for v in versions) == ["$LATEST", "1", "2"], role
    # Version 1 holds the first deploy's artifact (content-addressed key = its sha256).
    s3 = deployment.client("s3")
    bucket = deployment.outputs["bucket"]
    current = deployment.outputs["lambda_code_keys"]
    for artifact in ("parent", "child"):
        listed = s3.list_objects_v2(Bucket=bucket, Prefix=f"lambda-code/{artifact}/")
        keys = sorted(item["Key"] for item in listed.get("Contents", []))
        assert keys == sorted([deployment.first_keys[artifact], current[artifact]]), keys
        assert deployment.first_keys[artifact] != current[artifact]
        digest = deployment.first_keys[artifact].rsplit("/", 1)[1].removesuffix(".zip")
        body = s3.get_object(Bucket=bucket, Key=deployment.first_keys[artifact])["Body"].read()
        assert hashlib.sha256(body).hexdigest() == digest
        function = names[artifact]
        version = lam.get_function_configuration(FunctionName=function, Qualifier="1")
        assert base64.b64decode(version["CodeSha256"]).hex() == digest
    assert "live -> 1 of [1, 2]" in deployment.runs["versions"].stdout


def test_rollback_to_a_named_version_and_refusals(deployment: Deployment) -> None:
    names = deployment.outputs["function_names"]
    lam = deployment.client("lambda")
    run = _ok(_make("rollback", deployment.env, "FUNCTION=parent", "VERSION=2"), "rollback parent")
    assert f"{names['parent']}: live 1 -> 2" in run.stdout
    assert lam.get_alias(FunctionName=names["parent"], Name="live")["FunctionVersion"] == "2"
    assert lam.get_alias(FunctionName=names["child"], Name="live")["FunctionVersion"] == "1"
    missing = _make("rollback", deployment.env, "FUNCTION=child", "VERSION=7")
    assert missing.returncode != 0
    assert "version 7 does not exist (published: [1, 2])" in missing.stderr
    assert "Traceback" not in missing.stderr
    nothing_before = _make("rollback", deployment.env, "FUNCTION=child")
    assert nothing_before.returncode != 0
    assert "no version before 1 to roll back to" in nothing_before.stderr
    _ok(_make("rollback", deployment.env, "FUNCTION=parent"), "rollback parent to 1")
    assert lam.get_alias(FunctionName=names["parent"], Name="live")["FunctionVersion"] == "1"


def test_api_access_log_and_tracing(deployment: Deployment) -> None:
    api = deployment.client("apigateway")
    stage = api.get_stage(restApiId=deployment.outputs["api_id"], stageName="v1")
    assert stage["tracingEnabled"] is True
    log_group = deployment.outputs["api_access_log_group"]
    assert log_group == f"/aws/apigateway/{deployment.prefix}-api-access"
    settings = stage["accessLogSettings"]
    assert settings["destinationArn"].endswith(f"log-group:{log_group}")
    fields = json.loads(settings["format"])
    # who, when, which route, what answer
    for field in ("userArn", "sourceIp", "requestTime", "httpMethod", "resourcePath", "status"):
        assert field in fields, field
    assert fields["userArn"] == "$context.identity.userArn"
    assert fields["status"] == "$context.status"
    account = api.get_account()
    assert account["cloudwatchRoleArn"].endswith(f"role/{deployment.prefix}-apigw-logs")


def test_api_methods_need_iam_auth_and_validate_the_body(deployment: Deployment) -> None:
    api = deployment.client("apigateway")
    api_id = deployment.outputs["api_id"]
    listed = api.get_resources(restApiId=api_id, embed=["methods"])["items"]
    resources = {r["path"]: r for r in listed}
    expected = {
        "/sweep-run": {"GET", "POST"},
        "/sweep-run/{run_id}": {"GET"},
        "/sweep-run/{run_id}/redrive": {"POST"},
        "/sweep-run/{run_id}/results": {"GET"},
    }
    parent_arn = f"function:{deployment.outputs['parent_function_name']}:live/invocations"
    for path, verbs in expected.items():
        assert set(resources[path].get("resourceMethods", {})) == verbs, path
        for verb in verbs:
            method = api.get_method(
                restApiId=api_id, resourceId=resources[path]["id"], httpMethod=verb
            )
            assert method["authorizationType"] == "AWS_IAM", (path, verb)
            integration = method["methodIntegration"]
            assert (integration["type"], integration["httpMethod"]) == ("AWS_PROXY", "POST")
            assert integration["uri"].endswith(parent_arn), integration["uri"]

    submit = api.get_method(
        restApiId=api_id, resourceId=resources["/sweep-run"]["id"], httpMethod="POST"
    )
    assert submit["requestModels"] == {"application/json": "SweepRequest"}
    validator = api.get_request_validator(
        restApiId=api_id, requestValidatorId=submit["requestValidatorId"]
    )
    assert validator["validateRequestBody"] is True

    model = api.get_model(restApiId=api_id, modelName="SweepRequest")
    generated = json.loads(MODEL_PATH.read_text())
    generated.pop("x-generated")
    assert json.loads(model["schema"]) == generated
    assert model["contentType"] == "application/json"

    response = api.get_gateway_response(restApiId=api_id, responseType="BAD_REQUEST_BODY")
    assert response["statusCode"] == "400"
    assert response["responseTemplates"] == {"application/json": BAD_REQUEST_TEMPLATE}

    stage = api.get_stage(restApiId=api_id, stageName="v1")
    throttling = stage["methodSettings"]["*/*"]
    assert (throttling["throttlingRateLimit"], throttling["throttlingBurstLimit"]) == (10.0, 20)
    api_url = deployment.outputs["api_url"]
    assert api_id in api_url and api_url.rstrip("/").endswith("/v1"), api_url


def test_api_resource_policy_document(deployment: Deployment) -> None:
    """Not attached on moto (see the module docstring); the rendered document is checked."""
    policy = json.loads(deployment.data_source("data.aws_iam_policy_document.api")["json"])
    allow, deny = policy["Statement"]
    api_id = deployment.outputs["api_id"]
    execution_arn = f"arn:aws:execute-api:{REGION}:123456789012:{api_id}"
    assert allow["Effect"] == "Allow" and allow["Action"] == "execute-api:Invoke"
    assert allow["Principal"] == {"AWS": "123456789012"}
    assert sorted(_as_list(allow["Resource"])) == sorted(
        [
            f"{execution_arn}/v1/POST/sweep-run",
            f"{execution_arn}/v1/GET/sweep-run",
            f"{execution_arn}/v1/GET/sweep-run/*",
            f"{execution_arn}/v1/POST/sweep-run/*/redrive",
            f"{execution_arn}/v1/GET/sweep-run/*/results",
        ]
    )
    assert deny["Effect"] == "Deny" and deny["Resource"] == f"{execution_arn}/*"
    assert deny["Condition"] == {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::123456789012:*"}}


def test_athena_workgroup_database_and_table_ddl(deployment: Deployment) -> None:
    bucket = deployment.outputs["bucket"]
    database = deployment.outputs["athena_database"]
    assert database == f"{deployment.prefix.replace('-', '_')}_sweeps"
    assert deployment.client("glue").get_database(Name=database)["Database"]["Name"] == database

    athena = deployment.client("athena")
    workgroup = athena.get_work_group(WorkGroup=deployment.outputs["athena_workgroup"])
    configuration = workgroup["WorkGroup"]["Configuration"]
    assert configuration["EnforceWorkGroupConfiguration"] is True
    results = configuration["ResultConfiguration"]
    assert results["OutputLocation"] == f"s3://{bucket}/athena-results/"
    assert results["EncryptionConfiguration"]["EncryptionOption"] == "SSE_S3"

    ids = deployment.outputs["athena_named_query_ids"]
    assert sorted(ids) == sorted(TABLES)
    for table, query_id in ids.items():
        query = athena.get_named_query(NamedQueryId=query_id)["NamedQuery"]
        assert query["Database"] == database
        text = query["QueryString"]
        assert text.startswith(f"CREATE EXTERNAL TABLE IF NOT EXISTS `{database}`.`{table}` (")
        assert not text.rstrip().endswith(";") and "\n--" not in text
        assert f"LOCATION 's3://{bucket}/serverless-sweeps/dataset={table}/'" in text
        # only Athena's own projection placeholders remain
        assert sorted(set(re.findall(r"\$\{(\w+)\}", text))) == ["run_date", "run_id", "status"]
    assert len(deployment.outputs["athena_ddl_commands"]) == len(TABLES)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
