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


def test_runtime_requirements_are_the_package_without_dev_tools_or_the_aws_sdk() -> None:
    requirements = build_lambda.runtime_requirements(REPO_ROOT, build_lambda.DEFAULT_EXTRAS)
    names = {build_lambda.requirement_name(r) for r in requirements}
    assert {"numpy", "pyarrow", "pydantic", "h3"} <= names
    # The adapters' own S3/Lambda client replaced botocore in the artifacts (issue 8).
    assert not names & {"boto3", "botocore", "s3transfer", "urllib3", "jmespath"}
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
    # an extra can still be asked for by name
    with_aws = build_lambda.runtime_requirements(REPO_ROOT, ["aws"])
    assert "boto3" in {build_lambda.requirement_name(r) for r in with_aws}
    with pytest.raises(SystemExit):
        build_lambda.runtime_requirements(REPO_ROOT, ["no-such-extra"])


def test_the_parent_leaves_the_simulation_and_parquet_stack_out() -> None:
    def names(artifact: str) -> set[str]:
        spec = build_lambda.ARTIFACTS[artifact]
        found = build_lambda.runtime_requirements(
            REPO_ROOT, build_lambda.DEFAULT_EXTRAS, spec.excluded
        )
        return {build_lambda.requirement_name(r) for r in found}

    parent, child = names("parent"), names("child")
    assert not parent & {"numpy", "scipy", "pyarrow", "h3", "jsonschema"}
    assert "pydantic" in parent
    assert {"numpy", "pyarrow", "h3", "pydantic"} <= child
    assert "boto3" not in parent | child
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


# -- plug-in model packages (issue 14) ------------------------------------------------------------

_GOOD_MODULE = """from serverless_sweep.models.plugin import PackagedModel


class Good(PackagedModel):
    model_name = "good_model"
    package = "good_plugin"
"""
_GOOD_FILES = {
    "good_plugin/__init__.py": "",
    "good_plugin/model.py": _GOOD_MODULE,
    "good_plugin/parameters.json": json.dumps(
        {"type": "object", "properties": {"k": {"type": "integer", "minimum": 1, "default": 2}}}
    ),
    "good_plugin/columns.json": json.dumps(
        {
            "dataset": "good_model",
            "description": "d",
            "columns": [{"name": "k2", "type": "int64", "nullable": False, "description": "k*k"}],
        }
    ),
}


def _wheel(
    folder: Path,
    name: str,
    files: dict[str, str],
    *,
    entry_points: str | None,
    requires: tuple[str, ...] = (),
) -> Path:
    """A minimal valid wheel (py3-none-any) holding `files`, written by hand."""
    dist_info = f"{name}-1.0.dist-info"
    metadata = "\n".join(
        ["Metadata-Version: 2.1", f"Name: {name}", "Version: 1.0"]
        + [f"Requires-Dist: {r}" for r in requires]
    )
    content = {
        **files,
        f"{dist_info}/METADATA": metadata + "\n",
        f"{dist_info}/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
        "Tag: py3-none-any\n",
    }
    if entry_points is not None:
        content[f"{dist_info}/entry_points.txt"] = entry_points
    content[f"{dist_info}/RECORD"] = "".join(f"{n},,\n" for n in [*content, f"{dist_info}/RECORD"])
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        for member, text in content.items():
            archive.writestr(member, text)
    return path


def _model_points(name: str, value: str) -> str:
    return f"[serverless_sweep.models]\n{name} = {value}\n"


def test_a_plugin_wheel_names_its_models_and_own_requirements(tmp_path: Path) -> None:
    wheel = _wheel(
        tmp_path,
        "good_plugin",
        _GOOD_FILES,
        entry_points=_model_points("good_model", "good_plugin.model:Good"),
        requires=(
            "serverless-sweep",
            "numpy>=1.26",
            "Rich_Text>=1 ; python_version >= '3.8'",
            "pytest ; extra == 'test'",
        ),
    )
    package = build_lambda.fetch_model_package(str(wheel), tmp_path / "wheels")
    assert (package.distribution, package.version, package.models) == (
        "good-plugin",
        "1.0",
        ("good_model",),
    )
    # serverless-sweep ships from source, extras are never installed
    assert package.requirements == ("numpy>=1.26", "Rich_Text>=1 ; python_version >= '3.8'")
    parent = build_lambda.model_package_requirements(
        [package], build_lambda.ARTIFACTS["parent"].excluded
    )
    assert parent == ["Rich_Text>=1 ; python_version >= '3.8'"]  # never numpy in the parent
    assert build_lambda.model_package_requirements([package, package]) == list(package.requirements)


def test_a_wheel_without_a_model_entry_point_is_refused(tmp_path: Path) -> None:
    plain = _wheel(tmp_path, "plain", {"plain/__init__.py": ""}, entry_points=None)
    with pytest.raises(SystemExit, match=r"declares no 'serverless_sweep.models' entry point"):
        build_lambda.fetch_model_package(str(plain), tmp_path / "wheels")
    other = _wheel(
        tmp_path / "other",
        "plain",
        {"plain/__init__.py": ""},
        entry_points="[console_scripts]\nplain = plain:main\n",
    )
    with pytest.raises(SystemExit, match="declares no"):
        build_lambda.fetch_model_package(str(other), tmp_path / "wheels")


def _no_deps_build(tmp_path: Path, packages: list[Any], artifact: str) -> dict[str, bytes]:
    result = build_lambda.build(
        tmp_path / f"{artifact}.zip",
        artifact=artifact,
        with_dependencies=False,
        model_packages=packages,
    )
    assert any("good-plugin 1.0 (good_model)" in line for line in build_lambda.report(result))
    with zipfile.ZipFile(result.path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_both_artifacts_carry_the_plugin_and_its_entry_points(tmp_path: Path) -> None:
    wheel = _wheel(
        tmp_path,
        "good_plugin",
        _GOOD_FILES,
        entry_points=_model_points("good_model", "good_plugin.model:Good"),
    )
    packages = build_lambda.fetch_model_packages([str(wheel)], tmp_path / "wheels")
    for artifact in ("parent", "child"):
        files = _no_deps_build(tmp_path, packages, artifact)
        assert set(_GOOD_FILES) <= set(files), artifact
        # the registry reads entry_points.txt: pruning keeps it, and drops pip's bookkeeping
        points = files["good_plugin-1.0.dist-info/entry_points.txt"].decode()
        assert "good_model = good_plugin.model:Good" in points
        assert "good_plugin-1.0.dist-info/RECORD" not in files
        assert "serverless_sweep/models/registry.py" in files


def test_two_packages_declaring_one_model_and_overwrites_are_refused(tmp_path: Path) -> None:
    points = _model_points("good_model", "good_plugin.model:Good")
    first = _wheel(tmp_path / "a", "good_plugin", _GOOD_FILES, entry_points=points)
    second = _wheel(tmp_path / "b", "other_plugin", {"other/__init__.py": ""}, entry_points=points)
    with pytest.raises(SystemExit, match="'good_model' is declared by both"):
        build_lambda.fetch_model_packages([str(first), str(second)], tmp_path / "wheels")
    hijack = _wheel(
        tmp_path / "c",
        "hijack",
        {"serverless_sweep/evil.py": ""},
        entry_points=_model_points("hijack", "serverless_sweep.evil:Model"),
    )
    packages = build_lambda.fetch_model_packages([str(hijack)], tmp_path / "wheels")
    with pytest.raises(SystemExit, match="would overwrite serverless_sweep"):
        _no_deps_build(tmp_path, packages, "child")


def test_the_parent_check_names_a_plugin_that_needs_numpy_to_import(tmp_path: Path) -> None:
    """The parent builds each plug-in model to vet requests, without numpy: a model module that
    imports numpy at the top cannot be loaded there, and the build says which."""
    good = _wheel(
        tmp_path / "good",
        "good_plugin",
        _GOOD_FILES,
        entry_points=_model_points("good_model", "good_plugin.model:Good"),
    )
    eager = {
        "eager_plugin/__init__.py": "",
        "eager_plugin/model.py": "import numpy\n" + _GOOD_MODULE.replace("good_", "eager_"),
        **{
            name.replace("good_", "eager_"): text.replace("good_", "eager_")
            for name, text in _GOOD_FILES.items()
            if name.endswith(".json")
        },
    }
    bad = _wheel(
        tmp_path / "bad",
        "eager_plugin",
        eager,
        entry_points=_model_points("eager_model", "eager_plugin.model:Good"),
    )
    packages = build_lambda.fetch_model_packages([str(good), str(bad)], tmp_path / "wheels")
    files = _no_deps_build(tmp_path, packages, "parent")
    unpacked = tmp_path / "parent"
    for name, data in files.items():
        (unpacked / name).parent.mkdir(parents=True, exist_ok=True)
        (unpacked / name).write_bytes(data)
    # the unpacked parent's serverless_sweep and plug-ins, this venv's pydantic (numpy blocked)
    failures = build_lambda.check_parent_models(
        unpacked, sys.executable, ["good_model", "eager_model"], isolated=False
    )
    assert list(failures) == ["eager_model"], failures
    assert "numpy" in failures["eager_model"]
    with pytest.raises(SystemExit, match=r"eager_model: .*numpy"):
        build_lambda.verify_parent_models(unpacked, sys.executable, packages, isolated=False)


def test_installed_plugins_are_found_with_the_directory_they_came_from(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    site = tmp_path / "site"
    for name, direct in (("from_dir", project.as_uri()), ("from_index", None)):
        dist_info = site / f"{name}-2.0.dist-info"
        dist_info.mkdir(parents=True)
        (dist_info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 2.0\n")
        (dist_info / "entry_points.txt").write_text(_model_points(name, f"{name}:M"))
        if direct is not None:
            (dist_info / "direct_url.json").write_text(json.dumps({"url": direct}))
    unrelated = site / "unrelated-1.dist-info"
    unrelated.mkdir()
    (unrelated / "METADATA").write_text("Metadata-Version: 2.1\nName: unrelated\nVersion: 1\n")
    specs = build_lambda.installed_model_package_specs([str(site)])
    assert specs == [str(project), "from_index==2.0"]

    parser = build_lambda.argparse.ArgumentParser()
    build_lambda.add_model_package_arguments(parser)
    env = {"SWEEP_MODEL_PACKAGES": "a.whl  b"}
    assert build_lambda.model_package_specs(parser.parse_args([]), env) == ["a.whl", "b"]
    explicit = parser.parse_args(["--model-package", "c", "--model-package", "c"])
    assert build_lambda.model_package_specs(explicit, env) == ["c"]
