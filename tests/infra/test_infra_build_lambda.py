"""infra/build_lambda.py: deterministic zips, the pip command, the pruning rules, bytecode.

Everything here runs offline on tiny trees. The real build of both artifacts (pip, strip, 3.12
bytecode) and what runs from it are in test_infra_artifacts.py.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import os
import stat
import sys
import zipfile
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from infra_helpers import REPO_ROOT


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "build_lambda", REPO_ROOT / "infra" / "build_lambda.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_lambda"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


build_lambda = _load()


def _tiny_project(root: Path, *, reverse: bool = False, mtime: float = 1_000_000_000) -> Path:
    """A project with one package: code, data, a cache dir to ignore, an executable file."""
    files = {
        "pyproject.toml": '[project]\nname = "tiny"\nversion = "1"\ndependencies = []\n',
        "src/tinypkg/__init__.py": "VALUE = 1\n",
        "src/tinypkg/sub/mod.py": "def f():\n    return 2\n",
        "src/tinypkg/data/schema.json": '{"a": 1}\n',
        "src/tinypkg/tool.sh": "#!/bin/sh\necho hi\n",
        "src/tinypkg/__pycache__/mod.cpython-311.pyc": "junk",
        "src/tinypkg/stale.pyc": "junk",
    }
    for name in sorted(files, reverse=reverse):  # creation order must not matter
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(files[name])
        os.utime(path, (mtime, mtime))
    (root / "src/tinypkg/tool.sh").chmod(0o750)
    (root / "src/tinypkg/data/schema.json").chmod(0o600)
    return root


def _build(project: Path, output: Path, **options: Any) -> Any:
    return build_lambda.build(
        output, project_dir=project, package="tinypkg", with_dependencies=False, **options
    )


def test_same_inputs_give_byte_identical_zips(tmp_path: Path) -> None:
    first = _build(_tiny_project(tmp_path / "a"), tmp_path / "a.zip")
    second = _build(
        _tiny_project(tmp_path / "b", reverse=True, mtime=1_700_000_000), tmp_path / "b.zip"
    )
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()
    assert first.sha256 == second.sha256


def test_entries_are_sorted_normalized_and_without_caches(tmp_path: Path) -> None:
    result = _build(_tiny_project(tmp_path / "p"), tmp_path / "p.zip")
    with zipfile.ZipFile(tmp_path / "p.zip") as archive:
        infos = archive.infolist()
        names = [info.filename for info in infos]
        assert names == [
            "tinypkg/__init__.py",
            "tinypkg/data/schema.json",
            "tinypkg/sub/mod.py",
            "tinypkg/tool.sh",
        ]
        for info in infos:
            assert info.date_time == (1980, 1, 1, 0, 0, 0)
            assert info.create_system == 3
            assert info.compress_type == zipfile.ZIP_DEFLATED
            mode = info.external_attr >> 16
            assert stat.S_ISREG(mode)
            expected = 0o755 if info.filename.endswith(".sh") else 0o644
            assert stat.S_IMODE(mode) == expected, info.filename
        assert archive.read("tinypkg/sub/mod.py") == b"def f():\n    return 2\n"
    assert result.entries == 4
    assert not (tmp_path / "p.zip.partial").exists()


def test_source_date_epoch_sets_the_timestamp(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000001")
    assert build_lambda.zip_timestamp() == (2023, 11, 14, 22, 13, 20)
    assert build_lambda.zip_timestamp({"SOURCE_DATE_EPOCH": "0"}) == (1980, 1, 1, 0, 0, 0)
    assert build_lambda.zip_timestamp({}) == (1980, 1, 1, 0, 0, 0)


def test_runtime_requirements_are_the_package_and_aws_extra_without_dev_tools() -> None:
    requirements = build_lambda.runtime_requirements(REPO_ROOT, ["aws"])
    names = {build_lambda.requirement_name(r) for r in requirements}
    assert {"numpy", "pyarrow", "pydantic", "h3", "boto3"} <= names
    # scipy is a dev extra: the model brings its own assignment solver (issue 8).
    assert not names & {
        "pytest",
        "ruff",
        "mypy",
        "moto",
        "hypothesis",
        "duckdb",
        "uvicorn",
        "scipy",
    }
    with pytest.raises(SystemExit):
        build_lambda.runtime_requirements(REPO_ROOT, ["no-such-extra"])


def test_the_parent_leaves_the_simulation_and_parquet_stack_out() -> None:
    def names(artifact: str) -> set[str]:
        spec = build_lambda.ARTIFACTS[artifact]
        found = build_lambda.runtime_requirements(REPO_ROOT, ["aws"], spec.excluded)
        return {build_lambda.requirement_name(r) for r in found}

    parent, child = names("parent"), names("child")
    assert not parent & {"numpy", "scipy", "pyarrow", "h3", "jsonschema"}
    assert {"pydantic", "boto3"} <= parent
    assert {"numpy", "pyarrow", "h3", "pydantic", "boto3"} <= child
    assert "jsonschema" not in child  # only the local HTTP API validates with it
    # the one-line switch: scipy ships in the child exactly while SCIPY_IN_CHILD says so
    declared = "scipy" in {
        build_lambda.requirement_name(r) for r in build_lambda.runtime_requirements(REPO_ROOT, [])
    }
    assert ("scipy" in child) == (declared and build_lambda.SCIPY_IN_CHILD)
    assert build_lambda.requirement_name("Foo_Bar.baz==1") == "foo-bar-baz"


def test_pip_command_targets_the_lambda_runtime(tmp_path: Path) -> None:
    command = build_lambda.pip_install_command(
        tmp_path, ["numpy==2.4.6"], constraints=REPO_ROOT / "constraints.txt", python="py"
    )
    assert command[:4] == ["py", "-m", "pip", "install"]
    assert "--only-binary=:all:" in command and "--no-compile" in command
    assert command[command.index("--python-version") + 1] == "3.12"
    assert command[command.index("--implementation") + 1] == "cp"
    assert command[command.index("--target") + 1] == str(tmp_path)
    platforms = [command[i + 1] for i, arg in enumerate(command) if arg == "--platform"]
    assert "manylinux2014_x86_64" in platforms and "manylinux_2_34_x86_64" in platforms
    assert "manylinux_2_35_x86_64" not in platforms  # Amazon Linux 2023 has glibc 2.34
    assert command[command.index("-c") + 1].endswith("constraints.txt")
    assert command[-1] == "numpy==2.4.6"


def test_prune_and_slim_remove_only_what_the_runtime_never_loads(tmp_path: Path) -> None:
    staging = tmp_path / "s"
    files = {
        "bin/f2py": b"#!python",
        "numpy/__init__.py": b"",
        "numpy/tests/test_x.py": b"",
        "numpy/testing/__init__.py": b"",  # a runtime module, not a test suite
        "numpy/core.pyi": b"",
        "numpy-2.dist-info/RECORD": b"",
        "numpy-2.dist-info/METADATA": b"Name: numpy",
        "numpy-2.dist-info/direct_url.json": b"{}",
        "pyarrow/include/arrow/api.h": b"",
        "pyarrow/lib.pyx": b"",
        "pyarrow/lib.cpython-312-x86_64-linux-gnu.so": b"lib",
        "pyarrow/_flight.cpython-312-x86_64-linux-gnu.so": b"f",
        "pyarrow/libarrow_flight.so.2600": b"f",
        "pyarrow/_s3fs.cpython-312-x86_64-linux-gnu.so": b"s3",
        "pyarrow/libarrow_python.so": b"python",
        "pyarrow/libarrow_python.so.2600": b"python",
        "pyarrow/libarrow_python.so.2600.1.0": b"python",
        "pyarrow/libparquet.so.2600": b"parquet",
        "pyarrow/libparquet.so": b"a different build",  # not a copy: kept
        "botocore/data/endpoints.json": b"{}",
        "botocore/data/s3/2006-03-01/service-2.json.gz": gzip.compress(b"{}"),
        "botocore/data/s3/2006-03-01/examples-1.json": b"{}",
        "botocore/data/lambda/2015-03-31/service-2.json.gz": gzip.compress(b"{}"),
        "botocore/data/ec2/2016-11-15/service-2.json.gz": gzip.compress(b"{}"),
    }
    for name, data in files.items():
        path = staging / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    build_lambda.prune(staging)
    removed = build_lambda.slim(staging)
    left = sorted(p.relative_to(staging).as_posix() for p in staging.rglob("*") if p.is_file())
    assert left == [
        "botocore/data/endpoints.json",
        "botocore/data/lambda/2015-03-31/service-2.json",
        "botocore/data/s3/2006-03-01/service-2.json",
        "numpy-2.dist-info/METADATA",
        "numpy/__init__.py",
        "numpy/testing/__init__.py",
        "pyarrow/lib.cpython-312-x86_64-linux-gnu.so",
        "pyarrow/libarrow_python.so.2600",
        "pyarrow/libparquet.so",
        "pyarrow/libparquet.so.2600",
    ]
    assert "botocore/data/ec2" in removed and "pyarrow/libarrow_python.so" in removed


def _keys_named(value: object, key: str) -> int:
    """How many dicts inside value have `key`."""
    if isinstance(value, dict):
        return int(key in value) + sum(_keys_named(v, key) for v in value.values())
    if isinstance(value, list):
        return sum(_keys_named(v, key) for v in value)
    return 0


def test_slim_botocore_models_are_plain_json_without_documentation(tmp_path: Path) -> None:
    """The real S3 model, slimmed, still loads through botocore's own loader and describes
    the operations the store sends, IfNoneMatch included; only documentation is gone."""
    import botocore.loaders  # type: ignore[import-untyped]
    import botocore.model  # type: ignore[import-untyped]

    source = Path(botocore.loaders.__file__).parent / "data" / "s3" / "2006-03-01"
    data = tmp_path / "botocore" / "data"
    target = data / "s3" / "2006-03-01"
    target.mkdir(parents=True)
    for name in ("service-2.json.gz", "endpoint-rule-set-1.json.gz", "paginators-1.json"):
        (target / name).write_bytes((source / name).read_bytes())
    (target / "examples-1.json").write_text("{}")
    original = json.loads(gzip.decompress((source / "service-2.json.gz").read_bytes()))

    removed = build_lambda.slim_botocore_models(data, tmp_path)

    assert sorted(removed) == [
        "botocore/data/s3/2006-03-01/endpoint-rule-set-1.json.gz",
        "botocore/data/s3/2006-03-01/examples-1.json",
        "botocore/data/s3/2006-03-01/service-2.json.gz",
    ]
    assert sorted(p.name for p in target.iterdir()) == [
        "endpoint-rule-set-1.json",
        "paginators-1.json",
        "service-2.json",
    ]
    slimmed = json.loads((target / "service-2.json").read_text())
    for section in ("operations", "shapes"):
        assert not _keys_named(slimmed[section], "documentation")
        assert _keys_named(original[section], "documentation") > 100  # something was removed
        assert list(slimmed[section]) == list(original[section])
    # what botocore requires elsewhere stays (a client reads it on its first endpoint)
    assert slimmed["clientContextParams"] == original["clientContextParams"]
    assert list(slimmed) == list(original)
    put = slimmed["shapes"]["PutObjectRequest"]
    assert "documentation" not in put["members"]["IfNoneMatch"]
    assert put["members"]["IfNoneMatch"] == {
        k: v
        for k, v in original["shapes"]["PutObjectRequest"]["members"]["IfNoneMatch"].items()
        if k != "documentation"
    }
    ruleset = json.loads((target / "endpoint-rule-set-1.json").read_text())
    assert ruleset == json.loads(
        gzip.decompress((source / "endpoint-rule-set-1.json.gz").read_bytes())
    )

    loader = botocore.loaders.Loader(
        extra_search_paths=[str(data)], include_default_search_paths=False
    )
    model = loader.load_service_model("s3", "service-2")
    service = botocore.model.ServiceModel(model, "s3")
    assert service.client_context_parameters  # reads clientContextParams' documentation
    assert "IfNoneMatch" in service.operation_model("PutObject").input_shape.members
    assert loader.load_service_model("s3", "endpoint-rule-set-1") == ruleset


def test_slim_keeps_only_the_kept_services_in_botocore_endpoints(tmp_path: Path) -> None:
    region = {"eu-central-1": {}}
    partition = {
        "partition": "aws",
        "dnsSuffix": "amazonaws.com",
        "regions": region,
        "defaults": {"hostname": "{service}.{region}.{dnsSuffix}"},
        "services": {"ec2": {"endpoints": region}, "s3": {"endpoints": region}, "sts": {}},
    }
    path = tmp_path / "endpoints.json"
    path.write_text(json.dumps({"partitions": [partition, {**partition, "partition": "x"}]}))
    saved = build_lambda.slim_botocore_endpoints(path, ["s3", "sts", "lambda"])
    document = json.loads(path.read_text())
    assert saved > 0
    assert [p["services"] for p in document["partitions"]] == [
        {"s3": {"endpoints": region}, "sts": {}}
    ] * 2
    # everything but the dropped services is as it was
    assert [{**p, "services": None} for p in document["partitions"]] == [
        {**partition, "services": None},
        {**partition, "partition": "x", "services": None},
    ]


def test_no_deps_build_of_the_real_package(tmp_path: Path) -> None:
    assert build_lambda.main(["--no-deps", "--no-bytecode", "--output-dir", str(tmp_path)]) == 0
    for artifact in ("parent", "child"):
        with zipfile.ZipFile(tmp_path / f"{artifact}.zip") as archive:
            names = set(archive.namelist())
        assert "serverless_sweep/entrypoints/aws_lambda.py" in names
        assert "serverless_sweep/contracts/generated/apigateway/sweep_request.json" in names
        assert not any("__pycache__" in name or name.endswith(".pyc") for name in names)


def _lambda_python() -> str:
    try:
        return build_lambda.find_lambda_python()[0]
    except SystemExit as exc:
        pytest.skip(f"no CPython 3.12 here: {exc}")


def test_bytecode_is_unchecked_hash_for_python_312_and_deterministic(tmp_path: Path) -> None:
    python = _lambda_python()
    version = build_lambda.find_lambda_python(python)
    first = _build(_tiny_project(tmp_path / "a"), tmp_path / "a.zip", python=version)
    second = _build(
        _tiny_project(tmp_path / "b", reverse=True, mtime=1_700_000_000),
        tmp_path / "b.zip",
        python=version,
    )
    assert first.sha256 == second.sha256
    with zipfile.ZipFile(tmp_path / "a.zip") as archive:
        names = archive.namelist()
        assert "tinypkg/sub/__pycache__/mod.cpython-312.pyc" in names
        assert "tinypkg/sub/mod.py" in names  # the package keeps its sources
        pyc = archive.read("tinypkg/sub/__pycache__/mod.cpython-312.pyc")
    # PEP 552 flags: bit 0 hash-based, bit 1 check_source: 0b01 = unchecked hash
    assert int.from_bytes(pyc[4:8], "little") == 0b01
    staging = tmp_path / "deps"
    (staging / "dep").mkdir(parents=True)
    (staging / "dep" / "__init__.py").write_text("X = {'a', 'b', 'c'}\n")
    (staging / "dep" / "broken.py").write_text("def (:\n")
    compiled, failed = build_lambda.compile_bytecode(staging, python, sourceless=True)
    assert (compiled, failed) == (1, ["dep/broken.py"])
    assert sorted(p.name for p in (staging / "dep").iterdir()) == ["__init__.pyc", "broken.py"]
    code = (staging / "dep" / "__init__.pyc").read_bytes()
    assert b"/var/task/dep/__init__.py" in code  # tracebacks name the path in Lambda


def test_dependencies_are_cached_by_content(tmp_path: Path) -> None:
    constraints = tmp_path / "c.txt"
    constraints.write_text("a==1\n")
    key = build_lambda.dependencies_key(
        "child", ["a==1"], constraints=constraints, python_version="3.12.1", options={"s": 1}
    )
    same = build_lambda.dependencies_key(
        "child", ["a==1"], constraints=constraints, python_version="3.12.1", options={"s": 1}
    )
    assert key == same
    others = [
        build_lambda.dependencies_key(
            "parent", ["a==1"], constraints=constraints, python_version="3.12.1", options={"s": 1}
        ),
        build_lambda.dependencies_key(
            "child", ["a==2"], constraints=constraints, python_version="3.12.1", options={"s": 1}
        ),
        build_lambda.dependencies_key(
            "child", ["a==1"], constraints=constraints, python_version="3.12.2", options={"s": 1}
        ),
        build_lambda.dependencies_key(
            "child", ["a==1"], constraints=constraints, python_version="3.12.1", options={"s": 2}
        ),
    ]
    constraints.write_text("a==1\nb==2\n")
    others.append(
        build_lambda.dependencies_key(
            "child", ["a==1"], constraints=constraints, python_version="3.12.1", options={"s": 1}
        )
    )
    assert key not in others and len(set(others)) == len(others)
