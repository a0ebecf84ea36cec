"""Build the two Lambda artifacts: parent.zip (API and dispatch), child.zip (shards, recorder).

    python infra/build_lambda.py                        # -> build/lambda/parent.zip, child.zip
    python infra/build_lambda.py --artifact parent --strip --output-dir DIR

Why two: the parent validates, records and dispatches; it never simulates, so it carries
neither numpy, pyarrow nor scipy and starts in a fraction of the child's time. Both contain the
whole `serverless_sweep` source tree (0.6 MB); they differ in their dependencies:

* parent: `[project].dependencies` minus PARENT_EXCLUDED (numpy, scipy, pyarrow, h3: the
  simulation and Parquet stack; jsonschema: only the local HTTP API uses it);
* child: the same minus jsonschema and scipy (the ride_hailing model has its own assignment
  solver; SCIPY_IN_CHILD is the one-line switch).

Neither ships the AWS SDK (boto3, botocore, s3transfer, urllib3, python-dateutil, jmespath,
six): the adapters talk to S3 and Lambda with their own standard-library client
(`adapters/aws/s3_http.py`, `lambda_http.py`; issue 8, cold start), and nothing else in the
artifacts needs them. `extras=("aws",)` would bring boto3 back.

Dependencies are installed by pip with `-c constraints.txt` for the Lambda runtime: CPython 3.12
on Amazon Linux 2023 (glibc 2.34) x86_64, binary wheels only (`--only-binary=:all:`). Dev tools are
never installed.

What is pruned (never imported at run time): `__pycache__`, console scripts (`bin/`), C
libraries' install trees (`lib64/`, `include/`, `share/`), test suites (`tests` directories), C and
Cython headers and sources (`*.h`, `*.pxd`, `*.pyx`, pyarrow's `include/` and `src/`), type stubs
(`*.pyi`) and pip's install bookkeeping (`RECORD`, `INSTALLER`, `REQUESTED`, `direct_url.json`),
which holds temporary paths. `--slim` (the default) also removes pyarrow's optional components
that its core libraries do not link (Flight, the S3/GCS/Azure/HDFS filesystems, ORC, C++ test
hooks), byte-identical copies of pyarrow's versioned shared libraries (wheels cannot hold
symlinks, so `libX.so`, `libX.so.N` and `libX.so.N.M.P` are three copies; the loader asks for the
SONAME `libX.so.N`, which stays), pydantic's v1 compatibility package, and, should a plug-in
model bring botocore, every botocore service model except S3, Lambda and STS, along with the
other services' entries in botocore's endpoints.json (parsed whole by the first client); the
kept models are stored as plain JSON without their documentation (`slim_botocore_models`).
`--strip` runs `strip --strip-unneeded` on the shared libraries auditwheel did not patch
(binutils needed). Figures: infra/README.md.

Bytecode: every module is precompiled by a CPython 3.12 (`--python`, else `python3.12` on PATH or
under pyenv) as an *unchecked-hash* pyc: Lambda's /var/task is read-only, so without them every
cold start compiles everything (about 1 s), and a timestamp pyc would be ignored because the
unzipped files' mtimes are not the ones recorded. The dependencies ship their bytecode only
(`module.pyc` in place of `module.py`: half the size, tracebacks without source lines);
`serverless_sweep` keeps its sources next to `__pycache__/*.cpython-312.pyc` (readable
tracebacks). Code objects name their files as Lambda sees them (`/var/task/...`).

Model data: after the bytecode, the child's build runs PRECOMPUTED_DATA's writers with the
3.12 interpreter on the staged tree (its own numpy, h3 and model source), so what a model would
compute on its first invocation ships ready: the ride_hailing grid (`berlin_grid.bin`, which the
model loads in milliseconds and without importing h3; it is ignored if its model source changed).

Deterministic: pyc are compiled in sorted order with PYTHONHASHSEED=0 (set iteration order in
constants), zip entries are sorted by path, every entry has the same timestamp (1980-01-01, or
`SOURCE_DATE_EPOCH`), permissions are normalized to 0644 (0755 when the owner may execute) and
no directory entries are written, so the same inputs give byte-identical zips. The sha256 the
build prints is the artifact's name in S3 (`lambda-code/<artifact>/<sha256>.zip`).

Cache: the staged dependencies (after pip, pruning, strip and compilation) are kept under
`build/lambda/cache/<artifact>-<key>/`, where the key is a sha256 of everything that determines
them (requirements, constraints.txt, this file, the 3.12 interpreter's version, the options).
A rebuild after a source change then only recompiles and zips `serverless_sweep`. `--no-cache`
builds from scratch (the reproducibility test compares such a build with a cached one).

Budgets reported at the end: child 150 MiB and parent 15 MiB unzipped (issue 8; enforced with
`--fail-over-budget` and by tests/infra), below Lambda's own 250 MiB for code plus layers
(`--fail-over-limit`, what `make package` and `make deploy` enforce).
"""

from __future__ import annotations

import argparse
import glob
import gzip
import hashlib
import json
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
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "serverless_sweep"
DEFAULT_OUTPUT_DIR = REPO_ROOT / "build" / "lambda"
DEFAULT_CACHE_DIR = DEFAULT_OUTPUT_DIR / "cache"

LAMBDA_PYTHON_VERSION = "3.12"
LAMBDA_TASK_ROOT = "/var/task"
"""Where Lambda unpacks the zip; the path code objects and tracebacks name."""
# Amazon Linux 2023 (the python3.12 runtime) has glibc 2.34: every manylinux tag up to 2_34.
# pip expands only the legacy manylinux2014/2010 names by itself, so the modern ones are listed.
LAMBDA_PLATFORMS: tuple[str, ...] = (
    "manylinux2014_x86_64",
    *(f"manylinux_2_{minor}_x86_64" for minor in range(17, 35)),
)

MIB = 1024 * 1024
UNZIPPED_LIMIT_BYTES = 250 * MIB
"""Lambda: function code and all layers, unzipped."""
DIRECT_UPLOAD_LIMIT_BYTES = 50 * MIB
"""Lambda: a zip passed directly to CreateFunction/UpdateFunctionCode (larger: via S3)."""

# The one-line switch: the ride_hailing model has its own assignment solver (issue 8), so scipy
# stays out of the child even should a runtime dependency declare it again.
SCIPY_IN_CHILD = False


@dataclass(frozen=True, slots=True)
class Artifact:
    """One deployment artifact: which requirements it leaves out, and its size budget."""

    name: str
    excluded: frozenset[str]
    budget_bytes: int
    handlers: tuple[str, ...]


ARTIFACTS: dict[str, Artifact] = {
    "parent": Artifact(
        "parent",
        excluded=frozenset({"numpy", "scipy", "pyarrow", "h3", "jsonschema"}),
        budget_bytes=15 * MIB,
        handlers=("serverless_sweep.entrypoints.lambda_parent.handler",),
    ),
    "child": Artifact(
        "child",
        excluded=frozenset({"jsonschema"} | (set() if SCIPY_IN_CHILD else {"scipy"})),
        budget_bytes=150 * MIB,
        handlers=(
            "serverless_sweep.entrypoints.lambda_child.handler",
            "serverless_sweep.entrypoints.lambda_child.failure_handler",
        ),
    ),
}

DEFAULT_EXTRAS: tuple[str, ...] = ()
"""Optional-dependency groups installed into both artifacts: none (no `aws`: see above)."""

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
"""The earliest timestamp a zip entry can hold; used unless SOURCE_DATE_EPOCH is set."""

_PRUNED_DIRS = frozenset({"__pycache__", "tests"})
_PRUNED_SUFFIXES = (".pyc", ".pyo", ".pyi", ".pxd", ".pyx", ".pxi", ".h", ".hpp")
_PRUNED_DIST_INFO = frozenset({"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"})
_PRUNED_TOP_LEVEL = frozenset({"bin", "lib64", "include", "share"})
_PRUNED_SUBTREES = ("pyarrow/include", "pyarrow/src")

# --slim (the default): parts of the dependencies serverless_sweep never loads. Each pattern is
# matched against the path relative to the package root.
SLIM_PATTERNS: tuple[str, ...] = (
    # Arrow Flight RPC (libarrow_flight alone is 30 MB)
    "pyarrow/_flight.*.so",
    "pyarrow/libarrow_flight.so*",
    "pyarrow/libarrow_python_flight.so*",
    "pyarrow/flight.py",
    # remote filesystems: results go through the adapters' S3 client, never through pyarrow.fs
    # (pyarrow.fs imports them optionally and only lacks the classes)
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
    # pydantic's v1 compatibility layer (numpy/f2py stays: `from numpy import *`, which scipy's
    # array-API shim runs, imports it)
    "pydantic/v1",
)
SLIM_BOTOCORE_SERVICES: tuple[str, ...] = ("s3", "lambda", "sts")
"""botocore/data service models kept by --slim when botocore is staged at all (only a plug-in
model's requirements can bring it: the adapters no longer use it in Lambda)."""


@dataclass(frozen=True, slots=True)
class BuildResult:
    """What a build produced."""

    artifact: str
    path: Path
    sha256: str
    zipped_bytes: int
    unzipped_bytes: int
    entries: int
    top_level_bytes: dict[str, int]
    budget_bytes: int | None = None
    cached_dependencies: bool = False
    model_packages: tuple[str, ...] = ()

    @property
    def fits_unzipped_limit(self) -> bool:
        return self.unzipped_bytes <= UNZIPPED_LIMIT_BYTES

    @property
    def fits_budget(self) -> bool:
        return self.budget_bytes is None or self.unzipped_bytes <= self.budget_bytes

    @property
    def fits_direct_upload(self) -> bool:
        return self.zipped_bytes <= DIRECT_UPLOAD_LIMIT_BYTES


# -- requirements ---------------------------------------------------------------------------------


def requirement_name(requirement: str) -> str:
    """The normalized distribution name of a requirement string (`Foo_Bar==1` -> `foo-bar`)."""
    match = re.match(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    if match is None:
        raise SystemExit(f"cannot read the requirement {requirement!r}")
    return re.sub(r"[-_.]+", "-", match.group(1)).lower()


def runtime_requirements(
    project_dir: Path, extras: Sequence[str], excluded: Iterable[str] = ()
) -> list[str]:
    """`[project].dependencies` plus the named optional-dependency groups, in file order,
    without the excluded distributions."""
    with (project_dir / "pyproject.toml").open("rb") as handle:
        project = tomllib.load(handle)["project"]
    requirements = list(project.get("dependencies", []))
    optional = project.get("optional-dependencies", {})
    for extra in extras:
        if extra not in optional:
            raise SystemExit(f"pyproject.toml has no optional-dependencies group {extra!r}")
        requirements.extend(r for r in optional[extra] if r not in requirements)
    skip = {requirement_name(name) for name in excluded}
    return [r for r in requirements if requirement_name(r) not in skip]


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


# -- the 3.12 interpreter -------------------------------------------------------------------------


def _python_version(python: str) -> str | None:
    try:
        result = subprocess.run(
            [python, "-I", "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except OSError:
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def find_lambda_python(explicit: str | None = None) -> tuple[str, str]:
    """(path, version) of a CPython 3.12: `explicit`, $SWEEP_LAMBDA_PYTHON, python3.12 on PATH,
    or a pyenv installation. SystemExit naming what to install when there is none."""
    candidates = [explicit] if explicit else []
    if not explicit:
        candidates.append(os.environ.get("SWEEP_LAMBDA_PYTHON"))
        candidates.append(shutil.which("python3.12"))
        pyenv_root = os.environ.get("PYENV_ROOT", str(Path.home() / ".pyenv"))
        candidates += sorted(glob.glob(f"{pyenv_root}/versions/3.12.*/bin/python3.12"))
    for candidate in candidates:
        if not candidate:
            continue
        version = _python_version(candidate)
        if version is not None and version.startswith(LAMBDA_PYTHON_VERSION + "."):
            return candidate, version
        if explicit:
            break
    raise SystemExit(
        "build_lambda: need a CPython 3.12 to precompile the bytecode Lambda's python3.12 loads: "
        "install one (e.g. `pyenv install 3.12`) or pass --python /path/to/python3.12 "
        "(or set SWEEP_LAMBDA_PYTHON)"
    )


# Runs under the 3.12 interpreter: compiles every .py under root (sorted) to an unchecked-hash
# pyc naming /var/task/<path>; "legacy" puts it in place of the source (sourceless).
_COMPILE_SCRIPT = r"""
import importlib.util, os, py_compile, sys
root, layout, task_root = sys.argv[1], sys.argv[2], sys.argv[3]
sources = []
for dirpath, dirs, files in os.walk(root):
    dirs.sort()
    sources += [os.path.join(dirpath, n) for n in sorted(files) if n.endswith(".py")]
failed = []
for source in sorted(sources):
    relative = os.path.relpath(source, root).replace(os.sep, "/")
    target = source + "c" if layout == "legacy" else importlib.util.cache_from_source(source)
    try:
        py_compile.compile(source, cfile=target, dfile=task_root + "/" + relative, doraise=True,
                           invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
    except py_compile.PyCompileError:
        failed.append(relative)
        continue
    if layout == "legacy":
        os.unlink(source)
print(len(sources) - len(failed), *failed, sep="\n")
"""


def compile_bytecode(root: Path, python: str, *, sourceless: bool) -> tuple[int, list[str]]:
    """Precompile every module under root with the 3.12 `python`; (compiled, failed paths).

    A module that does not compile (a template, Python 2 syntax) keeps its source and is
    compiled, as before, on import if anything imports it.
    """
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONHASHSEED": "0", "LC_ALL": "C.UTF-8"}
    result = subprocess.run(
        [
            python,
            "-I",
            "-c",
            _COMPILE_SCRIPT,
            str(root),
            "legacy" if sourceless else "pycache",
            LAMBDA_TASK_ROOT,
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"compiling the bytecode under {root} failed:\n{result.stderr[-4000:]}")
    lines = result.stdout.splitlines()
    return int(lines[0]), lines[1:]


# -- staging --------------------------------------------------------------------------------------


def dependencies_key(
    artifact: str,
    requirements: Sequence[str],
    *,
    constraints: Path | None,
    python_version: str,
    options: Mapping[str, object],
) -> str:
    """The cache key of an artifact's staged dependencies (see the module docstring)."""
    material = {
        "artifact": artifact,
        "requirements": list(requirements),
        "constraints": constraints.read_text() if constraints is not None else None,
        "builder": hashlib.sha256(Path(__file__).read_bytes()).hexdigest(),
        "python": python_version,
        "platforms": list(LAMBDA_PLATFORMS),
        "options": dict(sorted(options.items())),
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()[:32]


def stage_dependencies(
    staging: Path,
    requirements: Sequence[str],
    *,
    constraints: Path | None,
    slim_dependencies: bool,
    strip: bool,
    python: str | None,
) -> None:
    """pip, prune, slim, strip and compile the dependencies into `staging`."""
    command = pip_install_command(staging, requirements, constraints=constraints)
    print("+", " ".join(command), file=sys.stderr, flush=True)
    subprocess.run(command, check=True)
    prune(staging)
    if slim_dependencies:
        removed = slim(staging)
        print(f"slim: removed {len(removed)} paths", file=sys.stderr)
    if strip:
        print(f"strip: {strip_shared_libraries(staging)} shared libraries", file=sys.stderr)
    if python is not None:
        compiled, failed = compile_bytecode(staging, python, sourceless=True)
        print(f"bytecode: {compiled} dependency modules", file=sys.stderr)
        for path in failed:
            print(f"bytecode: kept the source of {path} (does not compile)", file=sys.stderr)


def stage(
    staging: Path,
    *,
    artifact: str,
    project_dir: Path,
    package: str,
    requirements: Sequence[str],
    constraints: Path | None,
    slim_dependencies: bool = True,
    strip: bool = False,
    python: tuple[str, str] | None = None,
    cache_dir: Path | None = None,
) -> bool:
    """Fill `staging` with the dependencies and the package; True when they came from the cache."""
    cached = False
    if requirements:
        interpreter = python[0] if python is not None else None
        if cache_dir is None:
            stage_dependencies(
                staging,
                requirements,
                constraints=constraints,
                slim_dependencies=slim_dependencies,
                strip=strip,
                python=interpreter,
            )
        else:
            key = dependencies_key(
                artifact,
                requirements,
                constraints=constraints,
                python_version=python[1] if python is not None else "none",
                options={"slim": slim_dependencies, "strip": strip},
            )
            entry = cache_dir / f"{artifact}-{key}"
            cached = entry.is_dir()
            if not cached:
                # A private partial directory, renamed into place: two builds at once (parallel
                # test workers) never share one, and the second rename loses harmlessly.
                cache_dir.mkdir(parents=True, exist_ok=True)
                partial = Path(tempfile.mkdtemp(prefix=f".{artifact}-{key}.", dir=cache_dir))
                try:
                    stage_dependencies(
                        partial,
                        requirements,
                        constraints=constraints,
                        slim_dependencies=slim_dependencies,
                        strip=strip,
                        python=interpreter,
                    )
                    try:
                        partial.rename(entry)
                    except OSError:
                        if not entry.is_dir():
                            raise
                finally:
                    shutil.rmtree(partial, ignore_errors=True)
            else:
                print(f"dependencies of {artifact}: cached ({entry.name})", file=sys.stderr)
            staging.rmdir()
            shutil.copytree(entry, staging, symlinks=True)
    source = project_dir / "src" / package
    if not (source / "__init__.py").is_file():
        raise SystemExit(f"no package at {source}")
    destination = staging / package
    if destination.exists():  # a dependency cannot own our package name
        raise SystemExit(f"{package} was installed as a dependency; refusing to overwrite it")
    shutil.copytree(source, destination, ignore=shutil.ignore_patterns("__pycache__", "*.py[co]"))
    if python is not None:
        compile_bytecode(destination, python[0], sourceless=False)
        if requirements:  # the writers need the artifact's dependencies (numpy, h3)
            precompute_model_data(staging, artifact, python[0], package=package)
    return cached


PRECOMPUTED_DATA: dict[str, tuple[tuple[str, str], ...]] = {
    "child": (("serverless_sweep.models.ride_hailing.grid", "write_precomputed"),),
}
"""Per artifact, (module, function) pairs run at build time that write data files a model
would otherwise compute on its first invocation (the ride_hailing H3 grid: ~0.15 s of the
child's cold start, h3's import included; issue 8)."""

_PRECOMPUTE_SCRIPT = r"""
import importlib, sys
root = sys.argv[1]
sys.path.insert(0, root)
for target in sys.argv[2:]:
    module, function = target.split(":")
    print(getattr(importlib.import_module(module), function)())
"""


def precompute_model_data(
    staging: Path, artifact: str, python: str, *, package: str = PACKAGE
) -> list[Path]:
    """Run the artifact's PRECOMPUTED_DATA writers with the 3.12 `python` against the staged
    tree itself (its numpy and h3, its model source), so the data matches what the artifact
    runs; the files they wrote. Each writer writes next to its module and returns the path.
    Only writers inside the staged `package` run (a test builds other, tiny packages).
    """
    targets = [
        f"{module}:{function}"
        for module, function in PRECOMPUTED_DATA.get(artifact, ())
        if module.split(".")[0] == package
    ]
    if not targets:
        return []
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONHASHSEED": "0", "LC_ALL": "C.UTF-8"}
    result = subprocess.run(
        [python, "-I", "-B", "-c", _PRECOMPUTE_SCRIPT, str(staging), *targets],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(
            f"precomputing the {artifact}'s model data failed:\n{result.stderr[-4000:]}"
        )
    written = [Path(line) for line in result.stdout.splitlines() if line.strip()]
    for path in written:
        if not path.resolve().is_relative_to(staging.resolve()):
            raise SystemExit(f"a precompute step wrote {path}, outside the staged {artifact}")
    print(f"precomputed: {', '.join(p.name for p in written)}", file=sys.stderr)
    return written


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

    for pattern in SLIM_PATTERNS:
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
        slim_botocore_endpoints(data / "endpoints.json", keep)
        removed += slim_botocore_models(data, staging)
    return sorted(removed)


def slim_botocore_endpoints(path: Path, services: Iterable[str]) -> int:
    """Keep only the kept services' entries in botocore's endpoints.json; bytes saved.

    botocore parses this 1.2 MB file (every region of every service in every partition) when
    it builds its first client, about 15 ms of a cold start, and reads only the entries of the
    service the client is for. Partitions, their defaults and regions stay whole.
    """
    if not path.is_file():
        return 0
    keep = set(services)
    before = path.stat().st_size
    document = json.loads(path.read_text(encoding="utf-8"))
    for partition in document.get("partitions", []):
        known = partition.get("services", {})
        partition["services"] = {name: known[name] for name in known if name in keep}
    path.write_text(json.dumps(document, separators=(",", ":")), encoding="utf-8")
    return before - path.stat().st_size


_BOTOCORE_DOC_KEYS = frozenset({"documentation", "documentationUrl"})
_BOTOCORE_DOC_SECTIONS = ("operations", "shapes")
"""Where a service model's documentation is stripped: the bulk of it, and read there only for
docstrings (`.get("documentation", "")`). Elsewhere botocore may require it: a client reads
`clientContextParams[...]["documentation"]` when it resolves its first endpoint."""


def _without_docs(value: object) -> object:
    if isinstance(value, dict):
        return {k: _without_docs(v) for k, v in value.items() if k not in _BOTOCORE_DOC_KEYS}
    if isinstance(value, list):
        return [_without_docs(v) for v in value]
    return value


def slim_botocore_models(data: Path, staging: Path) -> list[str]:
    """Make the kept botocore models cheap to load; the removed paths (relative to staging).

    Each client's creation reads its service model and endpoint rule set, gzipped JSON parsed
    with an OrderedDict hook: the S3 model alone is 1.4 MB, most of it documentation that only
    docstrings use. Here every `*.json.gz` becomes plain `*.json` (botocore's loader tries
    `.json` first), the operations and shapes of `service-2` models lose their
    `documentation`/`documentationUrl` members (see _BOTOCORE_DOC_SECTIONS), and
    `examples-1.json` (documentation only) goes: about 20 ms less for the parent's two clients
    on a cold start (issue 8). Key order is kept, so the result is deterministic.
    """
    removed: list[str] = []
    for path in sorted(data.glob("*/*/*.json.gz")):
        document = json.loads(gzip.decompress(path.read_bytes()).decode("utf-8"))
        if path.name.startswith("service-2."):
            for section in _BOTOCORE_DOC_SECTIONS:
                if section in document:
                    document[section] = _without_docs(document[section])
        target = path.with_name(path.name[: -len(".gz")])
        target.write_text(json.dumps(document, separators=(",", ":")), encoding="utf-8")
        removed.append(path.relative_to(staging).as_posix())
        path.unlink()
    for path in sorted(data.glob("*/*/examples-1.json")):
        removed.append(path.relative_to(staging).as_posix())
        path.unlink()
    return removed


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


def zip_timestamp(environ: Mapping[str, str] | None = None) -> tuple[int, int, int, int, int, int]:
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
    output: Path,
    *,
    artifact: str = "child",
    project_dir: Path = REPO_ROOT,
    package: str = PACKAGE,
    extras: Sequence[str] = DEFAULT_EXTRAS,
    excluded: Iterable[str] | None = None,
    constraints: Path | None = None,
    with_dependencies: bool = True,
    slim_dependencies: bool = True,
    strip: bool = False,
    python: tuple[str, str] | None = None,
    cache_dir: Path | None = None,
    compresslevel: int = 9,
    model_packages: Sequence[ModelPackage] = (),
) -> BuildResult:
    """Stage and zip one artifact; see the module docstring. `python` None: no bytecode.
    `model_packages`: plug-in models to include (see "plug-in model packages")."""
    spec = ARTIFACTS.get(artifact)
    if excluded is None:
        excluded = spec.excluded if spec is not None else ()
    if constraints is None and (project_dir / "constraints.txt").is_file():
        constraints = project_dir / "constraints.txt"
    requirements = runtime_requirements(project_dir, extras, excluded) if with_dependencies else []
    if with_dependencies and model_packages:
        plugin_excluded = excluded if artifact == "parent" else ()
        requirements += model_package_requirements(model_packages, plugin_excluded)
    with tempfile.TemporaryDirectory(prefix=f"lambda-{artifact}-") as tmp:
        staging = Path(tmp) / "package"
        staging.mkdir()
        cached = stage(
            staging,
            artifact=artifact,
            project_dir=project_dir,
            package=package,
            requirements=requirements,
            constraints=constraints,
            slim_dependencies=slim_dependencies,
            strip=strip,
            python=python,
            cache_dir=cache_dir,
        )
        if model_packages:
            stage_model_packages(staging, model_packages, python=python[0] if python else None)
            if artifact == "parent" and with_dependencies and python is not None:
                verify_parent_models(staging, python[0], model_packages)
        entries, unzipped = write_zip(
            staging, output, timestamp=zip_timestamp(), compresslevel=compresslevel
        )
        sizes = top_level_sizes(staging)
    return BuildResult(
        artifact=artifact,
        path=output,
        sha256=sha256_of(output),
        zipped_bytes=output.stat().st_size,
        unzipped_bytes=unzipped,
        entries=entries,
        top_level_bytes=sizes,
        budget_bytes=spec.budget_bytes if spec is not None and with_dependencies else None,
        cached_dependencies=cached,
        model_packages=tuple(package.label for package in model_packages),
    )


# -- plug-in model packages (issue 14) ------------------------------------------------------------
#
# `--model-package SPEC` (repeatable; or $SWEEP_MODEL_PACKAGES, whitespace-separated; or
# `--installed-model-packages`) puts a plug-in model into both artifacts. SPEC is a project
# directory (built with `pip wheel --no-deps`; it must give a pure-Python wheel), a wheel file,
# or a requirement (`sweep-queue-model==0.1.0`, downloaded for the Lambda platform). The wheel
# must declare the entry-point group `serverless_sweep.models`; it is installed with --no-deps
# after the cached dependencies, pruned like them (its `*.dist-info/entry_points.txt`, which the
# registry reads, is kept), keeps its sources beside their 3.12 bytecode, and may not overwrite
# anything already staged. Its own requirements (Requires-Dist without `serverless-sweep`, which
# the artifacts carry from source, and without extras) join the artifact's requirements, and so
# the dependency cache key: all of them in the child, and in the parent those not in its
# exclusions (numpy, pyarrow, scipy, h3 stay out of it whatever a plug-in asks for).
#
# The parent builds a plug-in's model to vet requests: it imports the module the entry point
# names and reads the package's parameters.json, columns.json and presets.json (it never runs
# `run_point`). That module must therefore import without the simulation stack (import numpy in
# `run_point`, as examples/custom_model does). The build checks it: the staged parent, run by the
# 3.12 interpreter with numpy/pyarrow/scipy/h3 made unimportable, must build every plug-in model
# and validate an empty space, or the build stops naming the model and its import error.

MODEL_ENTRY_POINT_GROUP = "serverless_sweep.models"
MODEL_PACKAGES_ENV = "SWEEP_MODEL_PACKAGES"
_SELF_DISTRIBUTION = "serverless-sweep"
_PARENT_FORBIDDEN = ("numpy", "pyarrow", "scipy", "h3")


@dataclass(frozen=True, slots=True)
class ModelPackage:
    """A plug-in model distribution to put into the artifacts, as a wheel on disk."""

    spec: str
    wheel: Path
    distribution: str
    version: str
    models: tuple[str, ...]
    requirements: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"{self.distribution} {self.version} ({', '.join(self.models)})"


def read_model_wheel(spec: str, wheel: Path) -> ModelPackage:
    """The distribution, models and requirements of a plug-in wheel; SystemExit naming the wheel
    when it declares no model."""
    import configparser
    import email.parser

    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        dist_infos = sorted(
            {n.split("/", 1)[0] for n in names if n.split("/", 1)[0].endswith(".dist-info")}
        )
        if len(dist_infos) != 1:
            raise SystemExit(f"--model-package {spec}: {wheel.name} is not a wheel (no .dist-info)")
        dist_info = dist_infos[0]
        metadata = email.parser.Parser().parsestr(
            archive.read(f"{dist_info}/METADATA").decode("utf-8")
        )
        points = configparser.ConfigParser(interpolation=None, delimiters=("=",))
        points.optionxform = str  # type: ignore[assignment,method-assign]  # names are case-sensitive
        if f"{dist_info}/entry_points.txt" in names:
            points.read_string(archive.read(f"{dist_info}/entry_points.txt").decode("utf-8"))
    models = (
        tuple(sorted(points[MODEL_ENTRY_POINT_GROUP]))
        if points.has_section(MODEL_ENTRY_POINT_GROUP)
        else ()
    )
    if not models:
        raise SystemExit(
            f"--model-package {spec}: {wheel.name} declares no {MODEL_ENTRY_POINT_GROUP!r} entry "
            'point (pyproject.toml: [project.entry-points."serverless_sweep.models"] '
            '<model name> = "<module>:<class>")'
        )
    requirements = []
    for requirement in metadata.get_all("Requires-Dist") or []:
        marker = requirement.split(";", 1)[1] if ";" in requirement else ""
        if "extra" in marker or requirement_name(requirement) == _SELF_DISTRIBUTION:
            continue
        requirements.append(requirement.strip())
    return ModelPackage(
        spec=spec,
        wheel=wheel,
        distribution=requirement_name(metadata["Name"]),
        version=str(metadata["Version"]),
        models=models,
        requirements=tuple(requirements),
    )


def fetch_model_package(
    spec: str, wheel_dir: Path, *, python: str = sys.executable
) -> ModelPackage:
    """The wheel of one --model-package SPEC (a project directory, a .whl, a requirement)."""
    path = Path(spec)
    if path.is_file() and path.suffix == ".whl":
        return read_model_wheel(spec, path.resolve())
    wheel_dir.mkdir(parents=True, exist_ok=True)
    into = Path(tempfile.mkdtemp(prefix="package-", dir=wheel_dir))
    if path.is_dir():
        command = [
            python,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--disable-pip-version-check",
            "--no-input",
            "--no-deps",
            "--wheel-dir",
            str(into),
            str(path.resolve()),
        ]
    else:
        command = [
            python,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--disable-pip-version-check",
            "--no-input",
            "--no-deps",
            "--dest",
            str(into),
            "--implementation",
            "cp",
            "--python-version",
            LAMBDA_PYTHON_VERSION,
            "--only-binary=:all:",
        ]
        for platform in LAMBDA_PLATFORMS:
            command += ["--platform", platform]
        command.append(spec)
    print("+", " ".join(command), file=sys.stderr, flush=True)
    if subprocess.run(command, check=False).returncode != 0:
        raise SystemExit(f"--model-package {spec}: pip could not get a wheel (see above)")
    wheels = sorted(into.glob("*.whl"))
    if len(wheels) != 1:
        raise SystemExit(f"--model-package {spec}: expected one wheel, pip gave {wheels}")
    if path.is_dir() and not wheels[0].name.endswith("-none-any.whl"):
        raise SystemExit(
            f"--model-package {spec}: {wheels[0].name} is built for this machine, not for "
            "Lambda; build a cp312 manylinux x86_64 wheel and pass its path instead"
        )
    return read_model_wheel(spec, wheels[0])


def installed_model_package_specs(path: Sequence[str] | None = None) -> list[str]:
    """--installed-model-packages: a SPEC per distribution in this environment (or on `path`)
    that declares a model: the directory it was installed from (pip's direct_url.json), else
    `<name>==<version>` from the index."""
    from importlib.metadata import distributions
    from urllib.parse import unquote, urlparse

    specs: dict[str, str] = {}
    found = distributions() if path is None else distributions(path=list(path))
    for dist in found:
        name = requirement_name(dist.metadata["Name"])
        groups = {point.group for point in dist.entry_points}
        if MODEL_ENTRY_POINT_GROUP not in groups or name == _SELF_DISTRIBUTION or name in specs:
            continue
        spec = f"{dist.metadata['Name']}=={dist.version}"
        direct = dist.read_text("direct_url.json")
        if direct:
            url = json.loads(direct).get("url", "")
            local = Path(unquote(urlparse(url).path)) if url.startswith("file://") else None
            if local is not None and (local.is_dir() or local.suffix == ".whl"):
                spec = str(local)
        specs[name] = spec
    return [specs[name] for name in sorted(specs)]


def fetch_model_packages(specs: Sequence[str], wheel_dir: Path) -> list[ModelPackage]:
    """Every --model-package, fetched into wheel_dir (emptied first); SystemExit when two
    packages declare the same model name."""
    shutil.rmtree(wheel_dir, ignore_errors=True)
    packages = [fetch_model_package(spec, wheel_dir) for spec in specs]
    seen: dict[str, str] = {}
    for package in packages:
        for model in package.models:
            if model in seen:
                raise SystemExit(
                    f"model {model!r} is declared by both {seen[model]} and {package.distribution}"
                )
            seen[model] = package.distribution
    return packages


def add_model_package_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model-package",
        action="append",
        default=[],
        metavar="SPEC",
        help="a plug-in model to include (project directory, wheel or requirement; repeatable; "
        f"default: ${MODEL_PACKAGES_ENV}, whitespace-separated)",
    )
    parser.add_argument(
        "--installed-model-packages",
        action="store_true",
        help="include every plug-in model installed in this environment (`sweep models`)",
    )


def model_package_specs(
    args: argparse.Namespace, environ: Mapping[str, str] | None = None
) -> list[str]:
    """The SPECs asked for: --model-package, else $SWEEP_MODEL_PACKAGES; plus the installed
    plug-ins with --installed-model-packages (a distribution named twice is fetched once)."""
    env = os.environ if environ is None else environ
    import shlex

    specs = list(args.model_package) or shlex.split(env.get(MODEL_PACKAGES_ENV, ""))
    if args.installed_model_packages:
        specs += installed_model_package_specs()
    return list(dict.fromkeys(specs))


def model_package_requirements(
    packages: Sequence[ModelPackage], excluded: Iterable[str] = ()
) -> list[str]:
    """The plug-ins' own requirements, without the excluded distributions, first seen first."""
    skip = {requirement_name(name) for name in excluded}
    found: list[str] = []
    for package in packages:
        found += [r for r in package.requirements if requirement_name(r) not in skip]
    return list(dict.fromkeys(found))


def stage_model_packages(
    staging: Path, packages: Sequence[ModelPackage], *, python: str | None
) -> None:
    """Install each plug-in wheel (no dependencies) beside the staged tree, pruned, compiled."""
    for package in packages:
        with tempfile.TemporaryDirectory(prefix="model-package-") as tmp:
            target = Path(tmp) / "site"
            command = pip_install_command(target, [str(package.wheel)], constraints=None)
            command.insert(command.index("--target"), "--no-deps")
            print("+", " ".join(command), file=sys.stderr, flush=True)
            subprocess.run(command, check=True)
            prune(target)
            declared = [
                p
                for p in target.glob("*.dist-info/entry_points.txt")
                if MODEL_ENTRY_POINT_GROUP in p.read_text(encoding="utf-8")
            ]
            if not declared:
                raise SystemExit(f"{package.label}: no entry_points.txt survived the install")
            if python is not None:
                compile_bytecode(target, python, sourceless=False)
            for entry in sorted(target.iterdir()):
                if (staging / entry.name).exists():
                    raise SystemExit(
                        f"model package {package.label} would overwrite {entry.name} in the "
                        "artifact; refusing"
                    )
                shutil.move(str(entry), staging / entry.name)
        print(f"model package: {package.label}", file=sys.stderr)


# Runs under the 3.12 interpreter on the staged parent (see the section's comment above).
_PARENT_MODELS_SCRIPT = r"""
import importlib.abc, json, sys
root, forbidden, names = sys.argv[1], set(sys.argv[2].split(",")), sys.argv[3:]
sys.path.insert(0, root)

class Forbidden(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in forbidden:
            raise ModuleNotFoundError(f"No module named {name!r} (not in the parent)", name=name)
        return None

sys.meta_path.insert(0, Forbidden())
from serverless_sweep.models.registry import get_model
failures = {}
for name in names:
    try:
        get_model(name).validate_dimensions({})
    except BaseException as exc:
        failures[name] = f"{type(exc).__name__}: {exc}"
print(json.dumps(failures))
"""


def check_parent_models(
    staging: Path, python: str, models: Sequence[str], *, isolated: bool = True
) -> dict[str, str]:
    """{model: error} for each plug-in model the staged parent cannot build without the
    simulation stack (empty: all fine). `isolated` (-S) keeps site-packages off the path."""
    flags = ["-I", "-B", *(["-S"] if isolated else [])]
    forbidden = ",".join(_PARENT_FORBIDDEN)
    result = subprocess.run(
        [python, *flags, "-c", _PARENT_MODELS_SCRIPT, str(staging), forbidden, *models],
        capture_output=True,
        text=True,
        env={"PATH": os.environ.get("PATH", ""), "LC_ALL": "C.UTF-8"},
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"checking the parent's plug-in models failed:\n{result.stderr[-4000:]}")
    failures: dict[str, str] = json.loads(result.stdout.strip().splitlines()[-1])
    return failures


def verify_parent_models(
    staging: Path, python: str, packages: Sequence[ModelPackage], *, isolated: bool = True
) -> None:
    """SystemExit naming each plug-in model the parent could not build (see above)."""
    models = [model for package in packages for model in package.models]
    failures = check_parent_models(staging, python, models, isolated=isolated)
    if failures:
        lines = [f"  {name}: {error}" for name, error in sorted(failures.items())]
        raise SystemExit(
            "the parent artifact cannot build these plug-in models, so it could not validate "
            "their requests (their entry-point modules must import without numpy, pyarrow, "
            "scipy or h3: import those inside run_point):\n" + "\n".join(lines)
        )


def _mb(size: int) -> str:
    return f"{size / MIB:.1f} MiB"


def report(result: BuildResult, *, top: int = 12) -> Iterable[str]:
    yield f"wrote {result.path} ({result.artifact}, {result.entries} files)"
    yield f"sha256 {result.sha256}"
    yield (
        f"zipped {_mb(result.zipped_bytes)}, unzipped {_mb(result.unzipped_bytes)} "
        f"({result.unzipped_bytes:,} bytes)"
    )
    for name, size in list(result.top_level_bytes.items())[:top]:
        yield f"  {_mb(size):>11}  {name}"
    for label in result.model_packages:
        yield f"model package {label}"
    if result.budget_bytes is not None:
        verdict = "within" if result.fits_budget else "OVER"
        yield f"budget {_mb(result.budget_bytes)} unzipped: {verdict}"
    verdict = "fits" if result.fits_unzipped_limit else "does NOT fit"
    yield f"Lambda unzipped limit {_mb(UNZIPPED_LIMIT_BYTES)} (code + layers): {verdict}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--artifact",
        choices=[*ARTIFACTS, "all"],
        default="all",
        help="which artifact to build (default: all)",
    )
    parser.add_argument("--output-dir", "-o", type=Path, default=DEFAULT_OUTPUT_DIR)
    parser.add_argument("--constraints", "-c", type=Path, default=None)
    parser.add_argument(
        "--no-deps",
        action="store_true",
        help="package only serverless_sweep (no pip, no network; for tests)",
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
    parser.add_argument("--python", help="the CPython 3.12 that compiles the bytecode")
    parser.add_argument(
        "--no-bytecode", action="store_true", help="ship sources only (no 3.12 needed)"
    )
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE_DIR)
    parser.add_argument("--no-cache", action="store_true", help="stage dependencies afresh")
    parser.add_argument(
        "--fail-over-limit",
        action="store_true",
        help="exit 3 when an artifact is over Lambda's 250 MiB unzipped limit",
    )
    parser.add_argument(
        "--fail-over-budget",
        action="store_true",
        help="exit 3 when an artifact is over its budget (child 150 MiB, parent 15 MiB)",
    )
    add_model_package_arguments(parser)
    args = parser.parse_args(argv)
    python = None if args.no_bytecode else find_lambda_python(args.python)
    model_packages = fetch_model_packages(
        model_package_specs(args), (args.output_dir / "model-packages").resolve()
    )
    names = list(ARTIFACTS) if args.artifact == "all" else [args.artifact]
    status = 0
    for name in names:
        result = build(
            (args.output_dir / f"{name}.zip").resolve(),
            artifact=name,
            constraints=args.constraints,
            with_dependencies=not args.no_deps,
            slim_dependencies=args.slim,
            strip=args.strip,
            python=python,
            cache_dir=None if args.no_cache else args.cache_dir.resolve(),
            model_packages=model_packages,
        )
        for line in report(result):
            print(line, flush=True)
        if args.fail_over_limit and not result.fits_unzipped_limit:
            status = 3
        if args.fail_over_budget and not (result.fits_budget and result.fits_unzipped_limit):
            status = 3
    return status


if __name__ == "__main__":
    raise SystemExit(main())
