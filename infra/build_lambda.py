"""Build the Lambda deployment zip: the `serverless_sweep` package plus its runtime dependencies.

    python infra/build_lambda.py                      # -> build/lambda/serverless-sweep-lambda.zip
    python infra/build_lambda.py --output PATH --extra aws

What goes in (both functions, parent and child, run from the same zip):

* the package source tree `src/serverless_sweep/` as is (Python files, `py.typed`, the contract
  JSON documents), without `__pycache__`;
* the runtime dependencies of `pyproject.toml` (`[project].dependencies` plus the extras named
  with `--extra`, default `aws` for the pinned boto3), installed by pip with `-c constraints.txt`
  for the Lambda runtime: CPython 3.12 on Amazon Linux 2023 (glibc 2.34) x86_64, binary wheels
  only (`--only-binary=:all:`), never compiled to `.pyc` (the local interpreter is not 3.12).
  Dev tools are not installed: the dev extra is never named.

What is pruned from the dependencies (never imported at run time): `__pycache__`, console
scripts (`bin/`), test suites (`tests` directories), C/Cython headers and sources (`*.h`, `*.pxd`,
`*.pyx`, pyarrow's `include/` and `src/`), type stubs (`*.pyi`) and pip's install bookkeeping
(`RECORD`, `INSTALLER`, `REQUESTED`, `direct_url.json`), which holds temporary paths.

Why `--slim` (the default) exists: numpy + scipy + pyarrow + boto3 unpack to about 325 MB, over
Lambda's 250 MB limit for code plus layers (layers do not help: the limit counts them). Slim
removes what serverless_sweep never loads: pyarrow's optional components that the core library
does not link (Flight, the S3/GCS/Azure/HDFS filesystems, ORC, C++ test hooks; pyarrow imports
them optionally), byte-identical copies of pyarrow's versioned shared libraries (wheels cannot
hold symlinks, so `libX.so`, `libX.so.N` and `libX.so.N.M.P` are three copies; the loader asks
for the SONAME `libX.so.N`, which stays), and every botocore service model except S3, Lambda and
STS. `--strip` additionally runs `strip --strip-unneeded` on the shared libraries (binutils
needed; the output then also depends on the strip version). `--smoke PYTHON` unpacks the zip and
runs a parent and a child (ride_hailing, Hungarian matching, Parquet written and read back, S3 and
Lambda clients built) with that interpreter, isolated from its site-packages: the check that the
pruning broke nothing. Use a CPython 3.12 on glibc >= 2.34, as in the Lambda runtime.

Deterministic: entries are sorted by path, every entry has the same timestamp (1980-01-01, or
`SOURCE_DATE_EPOCH`), permissions are normalized to 0644 (0755 when the owner may execute) and
no directory entries are written, so the same inputs give a byte-identical zip. The sha256 the
build prints is what Terraform's `source_code_hash` sees.

Lambda limits checked at the end: 250 MB unzipped (function code plus layers) and 50 MB for a
zip uploaded directly (larger zips go through S3, which is how the Terraform module deploys it).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import tomllib
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "serverless_sweep"
DEFAULT_OUTPUT = REPO_ROOT / "build" / "lambda" / "serverless-sweep-lambda.zip"

LAMBDA_PYTHON_VERSION = "3.12"
# Amazon Linux 2023 (the python3.12 runtime) has glibc 2.34: every manylinux tag up to 2_34.
# pip expands only the legacy manylinux2014/2010 names by itself, so the modern ones are listed.
LAMBDA_PLATFORMS: tuple[str, ...] = (
    "manylinux2014_x86_64",
    *(f"manylinux_2_{minor}_x86_64" for minor in range(17, 35)),
)

UNZIPPED_LIMIT_BYTES = 250 * 1024 * 1024
"""Lambda: function code and all layers, unzipped."""
DIRECT_UPLOAD_LIMIT_BYTES = 50 * 1024 * 1024
"""Lambda: a zip passed directly to CreateFunction/UpdateFunctionCode (larger: via S3)."""

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
"""The earliest timestamp a zip entry can hold; used unless SOURCE_DATE_EPOCH is set."""

_PRUNED_DIRS = frozenset({"__pycache__", "tests"})
_PRUNED_SUFFIXES = (".pyc", ".pyo", ".pyi", ".pxd", ".pyx", ".pxi", ".h", ".hpp")
_PRUNED_DIST_INFO = frozenset({"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"})
_PRUNED_TOP_LEVEL = frozenset({"bin"})
_PRUNED_SUBTREES = ("pyarrow/include", "pyarrow/src")

# --slim (the default): parts of the dependencies serverless_sweep never loads. Each pattern is
# matched against the path relative to the package root.
SLIM_PYARROW_PATTERNS: tuple[str, ...] = (
    # Arrow Flight RPC (libarrow_flight alone is 30 MB)
    "pyarrow/_flight.*.so",
    "pyarrow/libarrow_flight.so*",
    "pyarrow/libarrow_python_flight.so*",
    "pyarrow/flight.py",
    # remote filesystems: results go through boto3, never through pyarrow.fs (pyarrow.fs imports
    # them optionally and only lacks the classes)
    "pyarrow/_s3fs.*.so",
    "pyarrow/libarrow_s3.so*",
    "pyarrow/_gcsfs.*.so",
    "pyarrow/_azurefs.*.so",
    "pyarrow/_hdfs.*.so",
    # ORC format and Arrow's own C++ test hooks
    "pyarrow/_orc.*.so",
    "pyarrow/_dataset_orc.*.so",
    "pyarrow/orc.py",
    "pyarrow/_pyarrow_cpp_tests.*.so",
)
SLIM_BOTOCORE_SERVICES: tuple[str, ...] = ("s3", "lambda", "sts")
"""botocore/data service models kept by --slim (the adapters build S3 and Lambda clients)."""


@dataclass(frozen=True, slots=True)
class BuildResult:
    """What a build produced."""

    path: Path
    sha256: str
    zipped_bytes: int
    unzipped_bytes: int
    entries: int
    top_level_bytes: dict[str, int]

    @property
    def fits_unzipped_limit(self) -> bool:
        return self.unzipped_bytes <= UNZIPPED_LIMIT_BYTES

    @property
    def fits_direct_upload(self) -> bool:
        return self.zipped_bytes <= DIRECT_UPLOAD_LIMIT_BYTES


# -- requirements ---------------------------------------------------------------------------------


def runtime_requirements(project_dir: Path, extras: Sequence[str]) -> list[str]:
    """`[project].dependencies` plus the named optional-dependency groups, in file order."""
    with (project_dir / "pyproject.toml").open("rb") as handle:
        project = tomllib.load(handle)["project"]
    requirements = list(project.get("dependencies", []))
    optional = project.get("optional-dependencies", {})
    for extra in extras:
        if extra not in optional:
            raise SystemExit(f"pyproject.toml has no optional-dependencies group {extra!r}")
        requirements.extend(r for r in optional[extra] if r not in requirements)
    return requirements


def pip_install_command(
    target: Path,
    requirements: Sequence[str],
    *,
    constraints: Path | None,
    python: str = sys.executable,
    python_version: str = LAMBDA_PYTHON_VERSION,
    platforms: Sequence[str] = LAMBDA_PLATFORMS,
) -> list[str]:
    """The pip command that installs `requirements` for the Lambda runtime into `target`."""
    command = [
        python,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-input",
        "--no-compile",
        "--target",
        str(target),
        "--implementation",
        "cp",
        "--python-version",
        python_version,
        "--only-binary=:all:",
    ]
    for platform in platforms:
        command += ["--platform", platform]
    if constraints is not None:
        command += ["-c", str(constraints)]
    return [*command, *requirements]


# -- staging --------------------------------------------------------------------------------------


def stage(
    staging: Path,
    *,
    project_dir: Path,
    package: str,
    requirements: Sequence[str],
    constraints: Path | None,
    slim_dependencies: bool = True,
    strip: bool = False,
) -> None:
    """Fill `staging` with the dependencies (pruned) and the package source tree."""
    if requirements:
        command = pip_install_command(staging, requirements, constraints=constraints)
        print("+", " ".join(command), file=sys.stderr, flush=True)
        subprocess.run(command, check=True)
        prune(staging)
        if slim_dependencies:
            removed = slim(staging)
            print(f"slim: removed {len(removed)} paths", file=sys.stderr)
        if strip:
            print(f"strip: {strip_shared_libraries(staging)} shared libraries", file=sys.stderr)
    source = project_dir / "src" / package
    if not (source / "__init__.py").is_file():
        raise SystemExit(f"no package at {source}")
    destination = staging / package
    if destination.exists():  # a dependency cannot own our package name
        raise SystemExit(f"{package} was installed as a dependency; refusing to overwrite it")
    shutil.copytree(source, destination, ignore=shutil.ignore_patterns("__pycache__", "*.py[co]"))


def prune(staging: Path) -> None:
    """Remove what the runtime never imports (see the module docstring)."""
    for name in _PRUNED_TOP_LEVEL:
        shutil.rmtree(staging / name, ignore_errors=True)
    for subtree in _PRUNED_SUBTREES:
        shutil.rmtree(staging / subtree, ignore_errors=True)
    for root, dirs, files in os.walk(staging, topdown=True):
        for name in [d for d in dirs if d in _PRUNED_DIRS]:
            shutil.rmtree(Path(root) / name)
            dirs.remove(name)
        in_dist_info = root.endswith(".dist-info")
        for name in files:
            if name.endswith(_PRUNED_SUFFIXES) or (in_dist_info and name in _PRUNED_DIST_INFO):
                (Path(root) / name).unlink()


_VERSIONED_SO = re.compile(r"^(?P<stem>lib.+\.so)\.(?P<major>\d+)$")


def slim(staging: Path, *, botocore_services: Sequence[str] = SLIM_BOTOCORE_SERVICES) -> list[str]:
    """Apply the --slim pruning (see the module docstring); the removed paths, sorted."""
    removed: list[str] = []

    def remove(path: Path) -> None:
        removed.append(path.relative_to(staging).as_posix())
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()

    for pattern in SLIM_PYARROW_PATTERNS:
        for path in sorted(staging.glob(pattern)):
            remove(path)
    pyarrow = staging / "pyarrow"
    if pyarrow.is_dir():
        for soname in sorted(pyarrow.iterdir()):
            match = _VERSIONED_SO.match(soname.name)
            if match is None or not soname.is_file():
                continue
            content = soname.read_bytes()
            stem, major = match["stem"], match["major"]
            copies = [pyarrow / stem, *sorted(pyarrow.glob(f"{stem}.{major}.*"))]
            for copy in copies:
                if copy.is_file() and copy.read_bytes() == content:
                    remove(copy)
    data = staging / "botocore" / "data"
    if data.is_dir():
        keep = set(botocore_services)
        for entry in sorted(data.iterdir()):
            if entry.is_dir() and entry.name not in keep:
                remove(entry)
    return sorted(removed)


def strip_shared_libraries(staging: Path) -> int:
    """`strip --strip-unneeded` the ELF shared libraries auditwheel left alone; how many.

    Libraries that auditwheel vendored (`<dist>.libs/`) or re-linked against them (an RPATH or
    RUNPATH naming a `.libs` directory) were rewritten by patchelf, and binutils' strip breaks
    such files ("ELF load command address/offset not page-aligned"): they are kept as they are.
    """
    strip, readelf = shutil.which("strip"), shutil.which("readelf")
    if strip is None or readelf is None:
        raise SystemExit("--strip needs strip and readelf (binutils) on PATH")
    libraries: list[str] = []
    for path in sorted(staging.rglob("*")):
        relative = path.relative_to(staging)
        if not path.is_file() or ".so" not in path.name or relative.parts[0].endswith(".libs"):
            continue
        with path.open("rb") as handle:
            if handle.read(4) != b"\x7fELF":
                continue
        dynamic = subprocess.run(
            [readelf, "--dynamic", str(path)], check=True, capture_output=True, text=True
        ).stdout
        if any(".libs" in line for line in dynamic.splitlines() if "PATH" in line):
            continue
        libraries.append(str(path))
    for start in range(0, len(libraries), 200):
        subprocess.run([strip, "--strip-unneeded", *libraries[start : start + 200]], check=True)
    return len(libraries)


# -- the zip --------------------------------------------------------------------------------------


def iter_files(root: Path) -> Iterator[tuple[str, Path]]:
    """(archive name, path) of every regular file under root, sorted by archive name."""
    found: list[tuple[str, Path]] = []
    for dirpath, _dirs, files in os.walk(root, followlinks=False):
        for name in files:
            path = Path(dirpath) / name
            if path.is_symlink() and not path.resolve().is_relative_to(root.resolve()):
                raise SystemExit(f"{path} links outside the package tree")
            found.append((path.relative_to(root).as_posix(), path))
    found.sort(key=lambda item: item[0])
    return iter(found)


def zip_timestamp(environ: dict[str, str] | None = None) -> tuple[int, int, int, int, int, int]:
    """ZIP_EPOCH, or SOURCE_DATE_EPOCH (UTC, clamped to the zip format's 1980 start)."""
    env = os.environ if environ is None else environ
    raw = env.get("SOURCE_DATE_EPOCH", "").strip()
    if not raw:
        return ZIP_EPOCH
    moment = time.gmtime(max(int(raw), 315532800))
    return (
        moment.tm_year,
        moment.tm_mon,
        moment.tm_mday,
        moment.tm_hour,
        moment.tm_min,
        moment.tm_sec - moment.tm_sec % 2,  # zip stores even seconds
    )


def write_zip(
    root: Path,
    output: Path,
    *,
    timestamp: tuple[int, int, int, int, int, int] = ZIP_EPOCH,
    compresslevel: int = 9,
) -> tuple[int, int]:
    """Write every file under root into a deterministic zip at output; (entries, unzipped bytes).

    The zip is written next to output and renamed into place, so a failed build never leaves a
    truncated zip where Terraform would pick it up.
    """
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")
    entries = 0
    unzipped = 0
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, path in iter_files(root):
            data = path.read_bytes()
            mode = path.stat().st_mode
            info = zipfile.ZipInfo(name, date_time=timestamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, so external_attr carries the permission bits
            permissions = 0o755 if mode & stat.S_IXUSR else 0o644
            info.external_attr = (stat.S_IFREG | permissions) << 16
            archive.writestr(info, data, compresslevel=compresslevel)
            entries += 1
            unzipped += len(data)
    partial.replace(output)
    return entries, unzipped


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def top_level_sizes(root: Path) -> dict[str, int]:
    """Unzipped bytes per top-level entry (package or module), largest first."""
    sizes: dict[str, int] = {}
    for name, path in iter_files(root):
        head = name.split("/", 1)[0]
        sizes[head] = sizes.get(head, 0) + path.stat().st_size
    return dict(sorted(sizes.items(), key=lambda item: (-item[1], item[0])))


def build(
    output: Path = DEFAULT_OUTPUT,
    *,
    project_dir: Path = REPO_ROOT,
    package: str = PACKAGE,
    extras: Sequence[str] = ("aws",),
    constraints: Path | None = None,
    with_dependencies: bool = True,
    slim_dependencies: bool = True,
    strip: bool = False,
    compresslevel: int = 9,
) -> BuildResult:
    """Stage and zip; see the module docstring."""
    if constraints is None and (project_dir / "constraints.txt").is_file():
        constraints = project_dir / "constraints.txt"
    requirements = runtime_requirements(project_dir, extras) if with_dependencies else []
    with tempfile.TemporaryDirectory(prefix="lambda-build-") as tmp:
        staging = Path(tmp) / "package"
        staging.mkdir()
        stage(
            staging,
            project_dir=project_dir,
            package=package,
            requirements=requirements,
            constraints=constraints,
            slim_dependencies=slim_dependencies,
            strip=strip,
        )
        entries, unzipped = write_zip(
            staging, output, timestamp=zip_timestamp(), compresslevel=compresslevel
        )
        sizes = top_level_sizes(staging)
    return BuildResult(
        path=output,
        sha256=sha256_of(output),
        zipped_bytes=output.stat().st_size,
        unzipped_bytes=unzipped,
        entries=entries,
        top_level_bytes=sizes,
    )


SMOKE_SCRIPT = """
import io, json, sys
sys.path.insert(0, sys.argv[1])
import pyarrow.parquet as pq
import serverless_sweep.entrypoints.aws_lambda as entry
from serverless_sweep.adapters.aws._clients import make_client
from serverless_sweep.adapters.memory import MemoryObjectStore, RecordingInvoker
from serverless_sweep.handlers.child import ChildConfig, ChildHandler
from serverless_sweep.handlers.parent import ParentConfig, ParentHandler

store, invoker = MemoryObjectStore(), RecordingInvoker()
parent = ParentHandler(
    invoker=invoker,
    store=store,
    config=ParentConfig(child_function="child", default_model="ride_hailing", results_prefix="p"),
)
request = {
    "run_id": "smoke",
    "dimensions": {
        "num_riders": [60], "num_drivers": [12], "matching_algorithm_type": ["hungarian"],
        "batch_matching_enabled": [True],
    },
    "shard_count": 1,
}
assert parent.handle(request)["statusCode"] == 202
config = ChildConfig(results_prefix="p", default_model="ride_hailing")
child = ChildHandler(store=store, config=config)
for call in invoker.calls:
    result = child.handle(json.loads(call.payload))
    table = pq.read_table(io.BytesIO(store.objects[result["metrics_key"]]))
    assert table.num_rows == 1, table
s3 = make_client("s3", endpoint_env_suffix="S3", connect_timeout=1, read_timeout=1,
                 endpoint_url=None, region_name="eu-central-1")
assert "IfNoneMatch" in s3.meta.service_model.operation_model("PutObject").input_shape.members
make_client("lambda", endpoint_env_suffix="LAMBDA", connect_timeout=1, read_timeout=1,
            endpoint_url=None, region_name="eu-central-1")
assert callable(entry.parent_handler) and callable(entry.child_handler)
print("smoke ok:", sys.version.split()[0], table.num_columns, "columns")
"""


def smoke(zip_path: Path, python: str) -> None:
    """Unpack the zip and run SMOKE_SCRIPT with `python`, isolated from its site-packages."""
    with tempfile.TemporaryDirectory(prefix="lambda-smoke-") as tmp:
        with zipfile.ZipFile(zip_path) as archive:
            archive.extractall(tmp)
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": tmp,
            "AWS_ACCESS_KEY_ID": "smoke",
            "AWS_SECRET_ACCESS_KEY": "smoke",
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        }
        command = [python, "-I", "-S", "-c", SMOKE_SCRIPT, tmp]
        subprocess.run(command, check=True, env=env, cwd=tmp)


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def report(result: BuildResult, *, top: int = 12) -> Iterable[str]:
    yield f"wrote {result.path} ({result.entries} files)"
    yield f"sha256 {result.sha256}"
    yield f"zipped {_mb(result.zipped_bytes)}, unzipped {_mb(result.unzipped_bytes)}"
    for name, size in list(result.top_level_bytes.items())[:top]:
        yield f"  {_mb(size):>10}  {name}"
    verdict = "fits" if result.fits_unzipped_limit else "does NOT fit"
    yield f"Lambda unzipped limit {_mb(UNZIPPED_LIMIT_BYTES)} (code + layers): {verdict}"
    if not result.fits_direct_upload:
        yield (
            f"zip is over the {_mb(DIRECT_UPLOAD_LIMIT_BYTES)} direct-upload limit: "
            "deploy it through S3 (the Terraform module does)"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--output", "-o", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument(
        "--extra",
        action="append",
        dest="extras",
        help="optional-dependencies group to include (repeatable; default: aws)",
    )
    parser.add_argument("--constraints", "-c", type=Path, default=None)
    parser.add_argument(
        "--no-deps",
        action="store_true",
        help="package only serverless_sweep (no pip, no network; for smoke tests)",
    )
    parser.add_argument(
        "--no-slim",
        dest="slim",
        action="store_false",
        help="keep pyarrow's optional components and every botocore service model",
    )
    parser.add_argument(
        "--strip", action="store_true", help="strip --strip-unneeded the shared libraries"
    )
    parser.add_argument(
        "--smoke",
        metavar="PYTHON",
        help="after building, run a parent and a child from the unpacked zip with this "
        "interpreter (CPython 3.12)",
    )
    parser.add_argument(
        "--fail-over-limit",
        action="store_true",
        help="exit 3 when the unzipped size exceeds Lambda's 250 MB limit",
    )
    args = parser.parse_args(argv)
    result = build(
        args.output.resolve(),
        extras=tuple(args.extras or ("aws",)),
        constraints=args.constraints,
        with_dependencies=not args.no_deps,
        slim_dependencies=args.slim,
        strip=args.strip,
    )
    for line in report(result):
        print(line, flush=True)
    if args.smoke:
        smoke(result.path, args.smoke)
    if args.fail_over_limit and not result.fits_unzipped_limit:
        return 3
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
