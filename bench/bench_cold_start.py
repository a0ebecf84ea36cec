"""Cold start of the packaged Lambda artifacts, measured as Lambda would start them.

Each sample is a fresh `python3.12 -I -S` process (isolated, no site-packages: only the unpacked
artifact and the standard library on the path) that imports the handler and runs the first
invocation against a moto server on 127.0.0.1:

* parent: `lambda_parent.handler` answers a `POST /sweep-run` (validation, run record, dispatch
  of one shard through Lambda Invoke);
* child: `lambda_child.handler` runs one ride_hailing shard (one small point: the model, its
  grid, numpy, pyarrow and the S3 client all loaded, Parquet and envelope written).

Figures: the time from the process' first line to the handler imported, and to the first
invocation answered (the interpreter's own start, ~15 ms, is before the first line and not
counted; Lambda's runtime start is not ours either), as wall time and as the process' CPU time
(user + system, interpreter start included): on a shared, loaded machine the wall time mostly
measures the neighbours, the CPU time much less. Budgets (issue 8): child 0.5 s, parent 0.3 s,
for the first invocation. `-B` for both: /var/task is read-only, nothing is cached between
samples.

Baseline and candidate side by side, interleaved per round (A B A B), medians over rounds: the
baseline is the same artifact without precompiled bytecode (what Lambda's read-only /var/task
used to run: every module compiled at every cold start), the candidate is what `make package`
builds. Both are built here (dependencies cached by content, see infra/build_lambda.py).

Usage: python bench/bench_cold_start.py [--rounds 7] [--python /path/to/python3.12]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import urllib.request
import uuid
import zipfile
from pathlib import Path
from types import ModuleType
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
REGION = "eu-central-1"

_DRIVER = r"""
import time
started = time.perf_counter()
import json, resource, sys

def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime

root, target, event_file = sys.argv[1:4]
sys.path.insert(0, root)
import importlib
module, function = target.split(":")
handler = getattr(importlib.import_module(module), function)
imported, imported_cpu = time.perf_counter(), cpu()

class Context:
    aws_request_id = "bench"
    def get_remaining_time_in_millis(self):
        return 600_000

result = handler(json.load(open(event_file)), Context())
answered, answered_cpu = time.perf_counter(), cpu()
print(json.dumps({"import_s": imported - started, "first_s": answered - started,
                  "import_cpu_s": imported_cpu, "first_cpu_s": answered_cpu,
                  "status": result.get("statusCode", result.get("status"))}))
"""


def _load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _moto() -> tuple[Any, str]:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    request = urllib.request.Request(
        f"{url}/moto-api/config",
        data=json.dumps({"lambda": {"use_docker": False}}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    urllib.request.urlopen(request, timeout=10).close()
    return server, url


def _payload_in_process(request: dict[str, Any]) -> Any:
    """The shard payload the parent would send (for a tree without lambda_parent yet)."""
    from serverless_sweep.adapters.memory import MemoryObjectStore, RecordingInvoker
    from serverless_sweep.handlers.parent import ParentConfig, ParentHandler

    invoker = RecordingInvoker()
    config = ParentConfig(child_function="c", default_model="ride_hailing", results_prefix="p")
    ParentHandler(invoker=invoker, store=MemoryObjectStore(), config=config).submit(request)
    return json.loads(invoker.calls[0].payload)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--python", help="CPython 3.12 (default: python3.12 or pyenv's)")
    args = parser.parse_args(argv)

    build_lambda = _load(REPO_ROOT / "infra" / "build_lambda.py", "build_lambda")
    proxy_module = _load(REPO_ROOT / "tests" / "infra" / "recording_proxy.py", "recording_proxy")
    python = build_lambda.find_lambda_python(args.python)
    import boto3  # type: ignore[import-untyped]

    server, moto_url = _moto()
    proxy = proxy_module.RecordingProxy(moto_url).start()
    with tempfile.TemporaryDirectory(prefix="bench-cold-") as tmp_dir:
        tmp = Path(tmp_dir)
        roots: dict[tuple[str, str], Path] = {}
        sizes: dict[tuple[str, str], int] = {}
        for variant, compiled in (("baseline", None), ("candidate", python)):
            for artifact in ("parent", "child"):
                result = build_lambda.build(
                    tmp / f"{variant}-{artifact}.zip",
                    artifact=artifact,
                    strip=True,
                    python=compiled,
                    cache_dir=build_lambda.DEFAULT_CACHE_DIR,
                )
                root = tmp / variant / artifact
                with zipfile.ZipFile(result.path) as archive:
                    archive.extractall(root)
                roots[variant, artifact] = root
                sizes[variant, artifact] = result.unzipped_bytes

        def client(service: str) -> Any:
            return boto3.client(
                service,
                endpoint_url=moto_url,
                region_name=REGION,
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
            )

        bucket = "bench-cold-start"
        client("s3").create_bucket(
            Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        role = client("iam").create_role(
            RoleName="bench-child", AssumeRolePolicyDocument=json.dumps({"Statement": []})
        )["Role"]["Arn"]
        code = tmp / "stub.zip"
        with zipfile.ZipFile(code, "w") as archive:
            archive.writestr("stub.py", "")
        child_arn = client("lambda").create_function(
            FunctionName="bench-child",
            Runtime="python3.12",
            Role=role,
            Handler="stub.handler",
            Code={"ZipFile": code.read_bytes()},
        )["FunctionArn"]
        base_env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(tmp),
            "AWS_ACCESS_KEY_ID": "ASIABENCH",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_ENDPOINT_URL": moto_url,
            "AWS_ENDPOINT_URL_LAMBDA": proxy.url,
            "SWEEP_RESULTS_BUCKET": bucket,
            "SWEEP_DEFAULT_MODEL": "ride_hailing",
            "CHILD_LAMBDA_ARN": child_arn,
        }
        request = {
            "run_id": "bench",
            "dimensions": {"num_riders": [40], "num_drivers": [8]},
            "shard_count": 1,
        }
        submit = {
            "httpMethod": "POST",
            "resource": "/sweep-run",
            "path": "/sweep-run",
            "headers": {"Content-Type": "application/json"},
            "body": json.dumps(request),
            "isBase64Encoded": False,
        }
        events = {"parent": tmp / "submit.json", "child": tmp / "shard.json"}
        events["parent"].write_text(json.dumps(submit))
        modules = {
            "parent": "serverless_sweep.entrypoints.lambda_parent:handler",
            "child": "serverless_sweep.entrypoints.lambda_child:handler",
        }
        entrypoints = roots["candidate", "child"] / "serverless_sweep" / "entrypoints"
        if not (entrypoints / "lambda_child.py").is_file():  # before the issue-7 entry points
            modules["child"] = "serverless_sweep.entrypoints.aws_lambda:child_handler"
        only = ["parent", "child"] if (entrypoints / "lambda_parent.py").is_file() else ["child"]

        def sample(variant: str, artifact: str) -> dict[str, Any]:
            # a fresh results prefix: the child must not find its shard already done
            env = {**base_env, "SWEEP_RESULTS_PREFIX": f"bench-{uuid.uuid4().hex[:12]}"}
            completed = subprocess.run(
                [
                    python[0],
                    "-I",
                    "-S",
                    "-B",  # /var/task is read-only: the baseline may never cache its bytecode
                    "-c",
                    _DRIVER,
                    str(roots[variant, artifact]),
                    modules[artifact],
                    str(events[artifact]),
                ],
                env=env,
                cwd=tmp,
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            if completed.returncode != 0:
                raise SystemExit(f"{variant} {artifact} failed:\n{completed.stderr[-3000:]}")
            figures: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
            return figures

        if "parent" in only:  # its dispatched payload is the child's event
            sample("candidate", "parent")
            dispatched = [i for i in proxy.invocations if i.invocation_type == "Event"]
            if not dispatched:
                raise SystemExit("the parent dispatched nothing; see its log")
            events["child"].write_bytes(dispatched[0].payload)
        else:
            events["child"].write_text(json.dumps(_payload_in_process(request)))

        samples: dict[tuple[str, str], list[dict[str, Any]]] = {key: [] for key in roots}
        for _ in range(args.rounds):
            for artifact in only:
                for variant in ("baseline", "candidate"):  # A B A B
                    samples[variant, artifact].append(sample(variant, artifact))
    proxy.stop()
    server.stop()

    budgets = {"parent": 0.3, "child": 0.5}
    print(f"cold start, python {python[1]} -I -S, median of {args.rounds} rounds (A B interleaved)")
    for artifact in only:
        figures = {}
        for variant in ("baseline", "candidate"):
            rows = samples[variant, artifact]
            figures[variant] = {
                key: statistics.median(r[key] for r in rows)
                for key in ("import_s", "first_s", "import_cpu_s", "first_cpu_s")
            }
        base, cand = figures["baseline"], figures["candidate"]
        verdict = "within" if cand["first_cpu_s"] <= budgets[artifact] else "OVER"
        print(
            f"{artifact:6}: first invocation {cand['first_s']:.3f} s wall / "
            f"{cand['first_cpu_s']:.3f} s CPU (import {cand['import_s']:.3f} / "
            f"{cand['import_cpu_s']:.3f}); CPU {verdict} the {budgets[artifact]} s budget; "
            f"{sizes['candidate', artifact] / 2**20:.1f} MiB unzipped"
        )
        print(
            f"{'':6}  without bytecode: first {base['first_s']:.3f} s wall / "
            f"{base['first_cpu_s']:.3f} s CPU; bytecode speed-up "
            f"{base['first_s'] / cand['first_s']:.2f}x wall, "
            f"{base['first_cpu_s'] / cand['first_cpu_s']:.2f}x CPU"
        )
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
