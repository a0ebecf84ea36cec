"""infra/terraform: offline init, validate, fmt, and a full apply/destroy against moto.

The apply test starts a moto server on 127.0.0.1 (free port), points every AWS endpoint of the
module at it (`local_endpoint`), applies the module with a tiny stand-in zip, checks what was
created through boto3, and destroys it. What moto cannot do, and how the test deals with it:

* REST API resource policy: moto returns the stored policy as plain JSON, AWS as an escaped JSON
  string; the provider cannot read moto's form back. Applied with
  `enable_api_resource_policy=false`; the policy document itself is checked in the state.
* Athena named queries: moto has no DeleteNamedQuery (the provider would retry forever). They
  are created and checked, then removed from the state before `destroy` (the server is thrown
  away with them).
* Bucket policy: moto treats condition operators it does not implement (Bool, NumericLessThan)
  as true, so the TLS-only policy denies every object request there. The module uploads the code
  before attaching the policy, and `destroy` runs with `-refresh=false` (a refresh would
  HeadObject the code object and be denied).

The apply takes about a minute, nearly all of it the provider's own consistency waits (S3
lifecycle about 55 s, SQS queue attributes about 25 s), which it does against AWS too.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest
from infra_helpers import MODULE_DIR, REGION, REPO_ROOT, Terraform, var_args

MODEL_PATH = REPO_ROOT / "src/serverless_sweep/contracts/generated/apigateway/sweep_request.json"
BAD_REQUEST_TEMPLATE = (
    '{"error": "validation_error", '
    '"message": "Invalid request body: $context.error.validationErrorString"}'
)
TABLES = ("shard_metrics", "shard_errors", "shard_outcomes")


# -- static checks --------------------------------------------------------------------------------


def test_init_uses_the_mirror_and_the_committed_lock(terraform: Terraform) -> None:
    lock = (MODULE_DIR / ".terraform.lock.hcl").read_text()
    assert 'version     = "5.100.0"' in lock
    providers = terraform.run("providers", "-no-color").stdout
    assert "registry.terraform.io/hashicorp/aws" in providers
    installed = Path(terraform.env["TF_DATA_DIR"]) / "providers/registry.terraform.io/hashicorp/aws"
    assert [p.name for p in installed.iterdir()] == ["5.100.0"]


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


def test_variable_defaults_are_valid(terraform: Terraform, variables_only: Path) -> None:
    result = terraform.run("plan", "-no-color", "-input=false", chdir=variables_only)
    assert "No changes" in result.stdout


# -- apply against moto ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Deployment:
    endpoint: str
    prefix: str
    outputs: dict[str, Any]
    state: dict[str, Any]

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
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture(scope="module")
def deployment(
    terraform: Terraform, moto_endpoint: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployment]:
    work = tmp_path_factory.mktemp("apply")
    state = work / "terraform.tfstate"
    code = work / "lambda.zip"
    with zipfile.ZipFile(code, "w") as archive:  # a stand-in: moto never runs the code
        archive.writestr("serverless_sweep/__init__.py", "")
    prefix = f"infra-test-{uuid.uuid4().hex[:8]}"
    variables = var_args(
        {
            "name_prefix": prefix,
            "local_endpoint": moto_endpoint,
            "lambda_zip_path": str(code),
            "force_destroy": True,
            "enable_api_resource_policy": False,
        }
    )
    common = ("-no-color", "-input=false", f"-state={state}", *variables)
    tf = terraform.with_env(AWS_ENDPOINT_URL=moto_endpoint)
    try:
        tf.run("apply", "-auto-approve", "-parallelism=20", *common, timeout=300)
        outputs = json.loads(tf.run("output", "-json", "-no-color", f"-state={state}").stdout)
        shown = json.loads(tf.run("show", "-json", "-no-color", str(state)).stdout)
        yield Deployment(
            endpoint=moto_endpoint,
            prefix=prefix,
            outputs={name: item["value"] for name, item in outputs.items()},
            state=shown,
        )
    finally:
        # moto has no DeleteNamedQuery: forget the named queries, destroy everything else.
        listed = tf.run("state", "list", f"-state={state}", check=False).stdout.split()
        named = [a for a in listed if a.startswith("aws_athena_named_query.")]
        if named:
            tf.run("state", "rm", f"-state={state}", *named)
        if listed:
            tf.run("destroy", "-auto-approve", "-refresh=false", *common, timeout=300)
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

    policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
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
    parent = lam.get_function_configuration(FunctionName=deployment.outputs["parent_function_name"])
    child = lam.get_function_configuration(FunctionName=deployment.outputs["child_function_name"])

    common = {
        "SWEEP_RESULTS_BUCKET": bucket,
        "SWEEP_RESULTS_PREFIX": "serverless-sweeps",
        "SWEEP_DEFAULT_MODEL": "ride_hailing",
    }
    assert parent["Runtime"] == child["Runtime"] == "python3.12"
    assert parent["Handler"] == "serverless_sweep.entrypoints.aws_lambda.parent_handler"
    assert child["Handler"] == "serverless_sweep.entrypoints.aws_lambda.child_handler"
    parent_env = {**common, "CHILD_LAMBDA_ARN": child["FunctionArn"]}
    assert parent["Environment"]["Variables"] == parent_env
    assert child["Environment"]["Variables"] == common
    assert (child["Timeout"], child["MemorySize"]) == (900, 1769)
    assert parent["Role"].endswith(f"role/{deployment.prefix}-parent")
    assert child["Role"].endswith(f"role/{deployment.prefix}-child")

    invoke_config = lam.get_function_event_invoke_config(FunctionName=child["FunctionName"])
    assert invoke_config["MaximumRetryAttempts"] == 2
    assert invoke_config["MaximumEventAgeInSeconds"] == 21600
    dlq_arn = f"arn:aws:sqs:{REGION}:123456789012:{deployment.prefix}-child-dlq"
    assert invoke_config["DestinationConfig"]["OnFailure"]["Destination"] == dlq_arn

    permission = json.loads(lam.get_policy(FunctionName=parent["FunctionName"])["Policy"])
    (statement,) = permission["Statement"]
    assert statement["Principal"] == {"Service": "apigateway.amazonaws.com"}
    assert statement["Action"] == "lambda:InvokeFunction"
    api_id = deployment.outputs["api_id"]
    source = statement["Condition"]["ArnLike"]["AWS:SourceArn"]
    assert source == f"arn:aws:execute-api:{REGION}:123456789012:{api_id}/*/*/sweep-run*"


def test_log_groups_and_dead_letter_queue(deployment: Deployment) -> None:
    logs = deployment.client("logs")
    groups = logs.describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{deployment.prefix}-")
    retention = {g["logGroupName"]: g.get("retentionInDays") for g in groups["logGroups"]}
    assert retention == {
        f"/aws/lambda/{deployment.prefix}-parent": 30,
        f"/aws/lambda/{deployment.prefix}-child": 30,
    }
    sqs = deployment.client("sqs")
    attributes = sqs.get_queue_attributes(
        QueueUrl=deployment.outputs["child_dead_letter_queue_url"], AttributeNames=["All"]
    )["Attributes"]
    assert attributes["SqsManagedSseEnabled"] == "true"
    assert attributes["MessageRetentionPeriod"] == "1209600"
    (statement,) = json.loads(attributes["Policy"])["Statement"]
    assert statement["Effect"] == "Deny"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


# Resources a role policy may name: the bucket, objects under the results prefix, the child, a
# log group's streams, the dead-letter queue. A '*' only as the last path segment of these.
def _allowed_resources(deployment: Deployment) -> dict[str, str]:
    bucket = deployment.outputs["bucket"]
    account = f"{REGION}:123456789012"
    return {
        "bucket": f"arn:aws:s3:::{bucket}",
        "results": f"arn:aws:s3:::{bucket}/serverless-sweeps/*",
        "child": deployment.outputs["child_function_arn"],
        "parent_logs": f"arn:aws:logs:{account}:log-group:/aws/lambda/{deployment.prefix}-parent:*",
        "child_logs": f"arn:aws:logs:{account}:log-group:/aws/lambda/{deployment.prefix}-child:*",
        "dlq": f"arn:aws:sqs:{account}:{deployment.prefix}-child-dlq",
    }


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
    parent = _role_policy(deployment, "parent")
    child = _role_policy(deployment, "child")
    assert parent == {
        "s3:GetObject": [names["results"]],
        "s3:PutObject": [names["results"]],
        "s3:ListBucket": [names["bucket"]],
        "lambda:InvokeFunction": [names["child"]],
        "logs:CreateLogStream": [names["parent_logs"]],
        "logs:PutLogEvents": [names["parent_logs"]],
    }
    assert child == {
        "s3:GetObject": [names["results"]],
        "s3:PutObject": [names["results"]],
        "s3:ListBucket": [names["bucket"]],
        "logs:CreateLogStream": [names["child_logs"]],
        "logs:PutLogEvents": [names["child_logs"]],
        "sqs:SendMessage": [names["dlq"]],
    }


def test_api_methods_need_iam_auth_and_validate_the_body(deployment: Deployment) -> None:
    api = deployment.client("apigateway")
    api_id = deployment.outputs["api_id"]
    listed = api.get_resources(restApiId=api_id, embed=["methods"])["items"]
    resources = {r["path"]: r for r in listed}
    expected = {
        "/sweep-run": "POST",
        "/sweep-run/{run_id}": "GET",
        "/sweep-run/{run_id}/redrive": "POST",
    }
    parent_arn = f"function:{deployment.outputs['parent_function_name']}/invocations"
    for path, verb in expected.items():
        assert set(resources[path].get("resourceMethods", {})) == {verb}, path
        method = api.get_method(restApiId=api_id, resourceId=resources[path]["id"], httpMethod=verb)
        assert method["authorizationType"] == "AWS_IAM", path
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
            f"{execution_arn}/v1/GET/sweep-run/*",
            f"{execution_arn}/v1/POST/sweep-run/*/redrive",
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
