"""Function name -> importable target ("package.module:function") for the local invokers.

Targets are import paths, not callables, so that a worker process (started with "spawn") can
resolve them on its own. A target is called as `function(event, context)` like a Lambda handler.

A function may also carry its configuration's environment variables (Lambda's
`Environment.Variables`, Lithops' `extra_env`): the invokers hand them to each invocation as
`context.environment`, explicitly, instead of through this process's `os.environ`, so two
runtimes in one process (two stores, two default models) never see each other's settings.
"""

from __future__ import annotations

import importlib
import re
import threading
from collections.abc import Callable, Mapping
from typing import Any

_TARGET_RE = re.compile(
    r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$"
)


class FunctionNotFound(LookupError):
    """No function is registered under that name (Lambda's ResourceNotFoundException)."""


def check_target(target: str) -> str:
    """Return `target` when it looks like "module.path:attr.path", else raise ValueError."""
    if not isinstance(target, str) or not _TARGET_RE.match(target):
        raise ValueError(
            f"function target must look like 'package.module:function', got {target!r}"
        )
    return target


_resolved: dict[str, Callable[..., Any]] = {}


def resolve_target(target: str) -> Callable[..., Any]:
    """Import "module:attr.path" and return the callable (cached per process)."""
    found = _resolved.get(target)
    if found is not None:
        return found
    module_name, _, attr_path = check_target(target).partition(":")
    obj: Any = importlib.import_module(module_name)
    for attr in attr_path.split("."):
        obj = getattr(obj, attr)
    if not callable(obj):
        raise TypeError(f"function target {target!r} is not callable")
    _resolved[target] = obj
    return obj  # type: ignore[no-any-return]


class FunctionRegistry:
    """Thread-safe mapping of function names to targets."""

    def __init__(self, functions: Mapping[str, str] | None = None) -> None:
        self._lock = threading.Lock()
        self._functions: dict[str, str] = {}
        self._environments: dict[str, dict[str, str]] = {}
        for name, target in (functions or {}).items():
            self.register(name, target)

    def register(
        self, name: str, target: str, environment: Mapping[str, str] | None = None
    ) -> None:
        """Register `target` under `name`, with the function's environment variables."""
        if not isinstance(name, str) or not name:
            raise ValueError(f"function name must be a non-empty string, got {name!r}")
        check_target(target)
        env = dict(environment or {})
        for key, value in env.items():
            if not isinstance(key, str) or not isinstance(value, str):
                raise ValueError(
                    f"environment of function {name!r}: {key!r}={value!r} is not str=str"
                )
        with self._lock:
            self._functions[name] = target
            self._environments[name] = env

    def unregister(self, name: str) -> None:
        with self._lock:
            self._functions.pop(name, None)
            self._environments.pop(name, None)

    def environment_of(self, name: str) -> dict[str, str]:
        """The function's environment variables (a copy; empty when it has none)."""
        with self._lock:
            return dict(self._environments.get(name, {}))

    def environments(self) -> dict[str, dict[str, str]]:
        """Every function's environment (a picklable copy, handed to worker processes)."""
        with self._lock:
            return {name: dict(env) for name, env in self._environments.items()}

    def target_of(self, name: str) -> str:
        with self._lock:
            target = self._functions.get(name)
        if target is None:
            raise FunctionNotFound(f"function not found: {name!r} (register it first)")
        return target

    def names(self) -> list[str]:
        with self._lock:
            return sorted(self._functions)

    def __contains__(self, name: object) -> bool:
        with self._lock:
            return name in self._functions


default_registry = FunctionRegistry()
"""The registry the invokers use when none is given."""


def register_function(name: str, target: str, registry: FunctionRegistry | None = None) -> None:
    """Register `target` ("package.module:function") under `name` (default registry by default)."""
    (default_registry if registry is None else registry).register(name, target)
