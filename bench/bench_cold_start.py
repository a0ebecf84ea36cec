"""Cold start of the packaged Lambda artifacts, measured as Lambda would start them.

Each sample is a fresh `python3.12 -I -S -B` process (isolated, no site-packages: only the
unpacked artifact and the standard library on the path; `-B`: /var/task is read-only) that
imports the handler and runs the first invocation against a moto server on 127.0.0.1:

* parent: `lambda_parent.handler` answers a `POST /sweep-run` (validation, run record, dispatch
  of one shard through Lambda Invoke);
* child: `lambda_child.handler` runs one ride_hailing shard (one small point: the model, its
  grid, numpy, pyarrow and the S3 client all loaded, Parquet and envelope written).

Figures: the process' CPU time (user + system, the interpreter's own start included) when the
handler is imported and when the first invocation has answered, and the same as wall time from
the process' first line. On a shared, loaded machine the wall time mostly measures the
neighbours, the CPU time much less: the budgets (issue 8: child 0.5 s, parent 0.3 s, for the
first invocation) are checked against the CPU time.

Side by side, interleaved per round (A B C, A B C, ...), medians over rounds:

* `interpreter`: `python3.12 -I -S -B -c pass`, the interpreter's own start, which no change
  of ours can remove;
* `baseline`: the artifacts as `--baseline REF` (default: main) builds them, with that
  revision's own build script (skipped with `--baseline none`);
* `candidate`: the artifacts of this working tree, as `make package` builds them.

Dependencies are cached by content under build/lambda/cache (see infra/build_lambda.py), so
only the first run of a revision installs anything. `--importtime N` adds, for each candidate
artifact, one more sample with an import hook that does what `-X importtime` does but in CPU
time (`-X importtime` reports wall time, which on a loaded machine mostly measures preemption):
the N imports with the largest own time, and own time summed per top-level package, the imports
made during the first invocation (botocore's, pyarrow.parquet's) included. The hook costs a
little itself: read the figures as shares.

Usage: python bench/bench_cold_start.py [--rounds 7] [--baseline main|REF|none]
       [--importtime 15] [--python /path/to/python3.12]
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import logging
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
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
profile = []
mode = sys.argv[4] if len(sys.argv) > 4 else ""
if mode == "cprofile":  # the whole import and first invocation under cProfile, to a file
    import cProfile
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
if mode == "profile":  # the CPU-time analogue of -X importtime: (own, cumulative, module)
    import importlib._bootstrap as bootstrap
    find_and_load, children = bootstrap._find_and_load, [0.0]
    def timed(name, import_):
        if name in sys.modules:
            return find_and_load(name, import_)
        begin = time.process_time()
        children.append(0.0)
        try:
            return find_and_load(name, import_)
        finally:
            spent = time.process_time() - begin
            own = spent - children.pop()
            children[-1] += spent
            profile.append((own, spent, name))
    bootstrap._find_and_load = timed
module, function = target.split(":")
handler = getattr(importlib.import_module(module), function)
imported, imported_cpu = time.perf_counter(), cpu()

class Context:
    aws_request_id = "bench"
    def get_remaining_time_in_millis(self):
        return 600_000

result = handler(json.load(open(event_file)), Context())
answered, answered_cpu = time.perf_counter(), cpu()
if mode == "cprofile":
    profiler.disable()
    profiler.dump_stats(sys.argv[5])
print(json.dumps({"import_s": imported - started, "first_s": answered - started,
                  "import_cpu_s": imported_cpu, "first_cpu_s": answered_cpu,
                  "status": result.get("statusCode", result.get("status")),
                  "profile": profile}))
"""


_INTERPRETER = r"""
import resource
usage = resource.getrusage(resource.RUSAGE_SELF)
print(usage.ru_utime + usage.ru_stime)
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
    sys.path.insert(0, str(REPO_ROOT / "tests" / "support"))
    from moto_server import moto_config  # type: ignore[import-not-found]

    moto_config(url)
    return server, url


def _export(ref: str, destination: Path) -> Path:
    """The tree of git revision `ref` (what it commits, no working-tree changes) under
    destination."""
    archive = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "archive", "--format=tar", ref],
        capture_output=True,
        check=False,
    )
    if archive.returncode != 0:
        raise SystemExit(f"git archive {ref} failed: {archive.stderr.decode().strip()}")
    destination.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(destination, filter="data")
    return destination


def _import_profile(rows: list[list[Any]], total_s: float, top: int) -> list[str]:
    """The imports of one first invocation by CPU time: the largest own times, and own time
    summed per top-level package, as shares of the invocation's whole CPU time."""
    lines = [f"    {'own ms':>7} {'cum ms':>7}  module (CPU time; the invocation: {total_s:.3f} s)"]
    for own, cumulative, module in sorted(rows, reverse=True)[:top]:
        lines.append(f"    {own * 1000:7.1f} {cumulative * 1000:7.1f}  {module}")
    packages: dict[str, float] = {}
    for own, _, module in rows:
        head = module.split(".")[0]
        packages[head] = packages.get(head, 0.0) + own
    imports = sum(packages.values())
    shares = sorted(packages.items(), key=lambda item: -item[1])[:top]
    lines.append(
        f"    imports {imports:.3f} s CPU ({100 * imports / total_s:.0f} %), of which: "
        + ", ".join(f"{name} {own * 1000:.0f} ms" for name, own in shares)
    )
    return lines


def _cprofile(stats_file: Path, top: int) -> list[str]:
    """The `top` functions of a cProfile dump by cumulative and by own CPU time."""
    import pstats

    lines = []
    for order in ("cumulative", "tottime"):
        text = io.StringIO()
        stats = pstats.Stats(str(stats_file), stream=text)
        stats.sort_stats(order).print_stats(top)
        body = text.getvalue().splitlines()
        start = next(i for i, line in enumerate(body) if line.lstrip().startswith("ncalls"))
        lines.append(f"    cProfile by {order} (CPU; the profiler slows calls down):")
        lines += [f"    {line}" for line in body[start:] if line.strip()]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--python", help="CPython 3.12 (default: python3.12 or pyenv's)")
    parser.add_argument(
        "--baseline",
        default="main",
        help="git revision whose artifacts are the baseline (default main; none: no baseline)",
    )
    parser.add_argument(
        "--importtime",
        type=int,
        default=0,
        metavar="N",
        help="also profile each candidate's first invocation: its N costliest imports (CPU)",
    )
    parser.add_argument(
        "--cprofile",
        type=int,
        default=0,
        metavar="N",
        help="also run each candidate's import and first invocation under cProfile (CPU time): "
        "its N functions with the largest cumulative and own times",
    )
    args = parser.parse_args(argv)

    build_lambda = _load(REPO_ROOT / "infra" / "build_lambda.py", "build_lambda")
    proxy_module = _load(REPO_ROOT / "tests" / "infra" / "recording_proxy.py", "recording_proxy")
    python = build_lambda.find_lambda_python(args.python)
    import boto3  # type: ignore[import-untyped]

    with tempfile.TemporaryDirectory(prefix="bench-cold-") as tmp_dir:
        tmp = Path(tmp_dir)
        variants = {"candidate": (build_lambda, REPO_ROOT)}
        if args.baseline != "none":
            tree = _export(args.baseline, tmp / "baseline-src")
            variants["baseline"] = (_load(tree / "infra" / "build_lambda.py", "base_build"), tree)
        roots: dict[tuple[str, str], Path] = {}
        sizes: dict[tuple[str, str], int] = {}
        for variant, (builder, project) in variants.items():
            for artifact in ("parent", "child"):
                result = builder.build(
                    tmp / f"{variant}-{artifact}.zip",
                    artifact=artifact,
                    project_dir=project,
                    strip=True,
                    python=python,
                    cache_dir=build_lambda.DEFAULT_CACHE_DIR,
                )
                root = tmp / variant / artifact
                with zipfile.ZipFile(result.path) as archive:
                    archive.extractall(root)
                roots[variant, artifact] = root
                sizes[variant, artifact] = result.unzipped_bytes

        server, moto_url = _moto()
        proxy = proxy_module.RecordingProxy(moto_url).start()

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

        def run(
            variant: str, artifact: str, extra: list[str] | None = None
        ) -> subprocess.CompletedProcess[str]:
            # a fresh results prefix: the child must not find its shard already done
            env = {**base_env, "SWEEP_RESULTS_PREFIX": f"bench-{uuid.uuid4().hex[:12]}"}
            completed = subprocess.run(
                [
                    python[0],
                    "-I",
                    "-S",
                    "-B",  # /var/task is read-only: nothing may be cached between samples
                    "-c",
                    _DRIVER,
                    str(roots[variant, artifact]),
                    modules[artifact],
                    str(events[artifact]),
                    *(extra or []),
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
            return completed

        def sample(variant: str, artifact: str) -> dict[str, Any]:
            completed = run(variant, artifact)
            figures: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
            return figures

        def interpreter() -> float:
            completed = subprocess.run(
                [python[0], "-I", "-S", "-B", "-c", _INTERPRETER],
                env=base_env,
                capture_output=True,
                text=True,
                timeout=60,
                check=True,
            )
            return float(completed.stdout)

        first = run("candidate", "parent")  # its dispatched payload is the child's event
        dispatched = [i for i in proxy.invocations if i.invocation_type == "Event"]
        if not dispatched:
            raise SystemExit(
                f"the parent dispatched nothing; its output:\n{first.stdout[-2000:]}\n"
                f"{first.stderr[-4000:]}"
            )
        events["child"].write_bytes(dispatched[0].payload)

        names = [v for v in ("baseline", "candidate") if v in variants]
        samples: dict[tuple[str, str], list[dict[str, Any]]] = {key: [] for key in roots}
        bare: list[float] = []
        for _ in range(args.rounds):
            bare.append(interpreter())
            for artifact in ("parent", "child"):
                for variant in names:  # A B A B
                    samples[variant, artifact].append(sample(variant, artifact))
        profiles = {}
        for artifact in ("parent", "child") if args.importtime > 0 else ():
            # the import hook's own cost is in these figures: read them as shares
            completed = run("candidate", artifact, extra=["profile"])
            figures = json.loads(completed.stdout.strip().splitlines()[-1])
            profiles[artifact] = _import_profile(
                figures["profile"], figures["first_cpu_s"], args.importtime
            )
        for artifact in ("parent", "child") if args.cprofile > 0 else ():
            stats_file = tmp / f"{artifact}.pstats"
            run("candidate", artifact, extra=["cprofile", str(stats_file)])
            profiles.setdefault(artifact, []).extend(_cprofile(stats_file, args.cprofile))
        proxy.stop()
        server.stop()

    budgets = {"parent": 0.3, "child": 0.5}
    start = statistics.median(bare)
    print(
        f"cold start, python {python[1]} -I -S -B, medians of {args.rounds} rounds, "
        f"{' / '.join(['interpreter', *names])} interleaved"
    )
    print(f"interpreter alone (-c pass): {start:.3f} s CPU")
    for artifact in ("parent", "child"):
        figures = {}
        for variant in names:
            rows = samples[variant, artifact]
            figures[variant] = {
                key: statistics.median(r[key] for r in rows)
                for key in ("import_s", "first_s", "import_cpu_s", "first_cpu_s")
            }
        cand = figures["candidate"]
        verdict = "within" if cand["first_cpu_s"] <= budgets[artifact] else "OVER"
        print(
            f"{artifact:6}: first invocation {cand['first_cpu_s']:.3f} s CPU "
            f"({cand['first_cpu_s'] - start:.3f} s beyond the interpreter's start), "
            f"{cand['first_s']:.3f} s wall; import {cand['import_cpu_s']:.3f} s CPU; "
            f"{verdict} the {budgets[artifact]} s budget; "
            f"{sizes['candidate', artifact] / 2**20:.1f} MiB unzipped"
        )
        if "baseline" in figures:
            base = figures["baseline"]
            print(
                f"{'':6}  baseline ({args.baseline}): first {base['first_cpu_s']:.3f} s CPU, "
                f"{base['first_s']:.3f} s wall, import {base['import_cpu_s']:.3f} s CPU; "
                f"candidate/baseline CPU {cand['first_cpu_s'] / base['first_cpu_s']:.2f}, "
                f"beyond the interpreter "
                f"{(cand['first_cpu_s'] - start) / (base['first_cpu_s'] - start):.2f}"
            )
        for line in profiles.get(artifact, []):
            print(line)
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
