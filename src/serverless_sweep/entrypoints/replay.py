"""Replay parity: run the old runtime's recorded cases (`sweep-replay/v1`) against this code.

Each case is run with the deployment default model pinned to `legacy_hash` (the old runtime's
synthetic numbers) against recording in-memory fakes, and compared semantically: the recorded
values must appear in ours, key for key, with JSON types kept apart (1, 1.0 and true differ);
new fields (contract_version, run_date, fingerprint, ...) are allowed additions. Child cases
compare the outcome envelopes' fields, not their keys: the storage layout changed on purpose.

Where this runtime is deliberately stricter, the divergence is declared below, once, by the
fixture tag that marks such cases. A tagged case either still matches the recording or must
show the declared new behaviour (a clean validation rejection): it is then counted as
"diverged", never silently skipped, and anything else is a failure.

Pins (issue 9): a tag alone says *that* a case may differ, not *how*; a change that turned a
matching tagged case into any clean rejection (a planted bug moved 35 cases so) still counted
as "diverged". With `pins` (case id -> the outcome this code must give, see `observation`:
the rejection's type, message and every detail's pointer/rule/message, or the value, plus
what was dispatched or written) a tagged case is "diverged" only when it gives exactly its
pinned outcome; a tagged case that diverges without a pin, or not as pinned, fails, and so
does a pinned case that matches the recording again (its pin is stale). The pins are data,
generated once by tests/replay/make_pins.py from this code's outcomes and reviewed; they
hold nothing of the recordings.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from serverless_sweep.adapters.memory import FixedClock, MemoryObjectStore, RecordingInvoker
from serverless_sweep.core.errors import ValidationError
from serverless_sweep.core.planning import plan_shards
from serverless_sweep.core.validation import normalize_request
from serverless_sweep.entrypoints.http.proxy import submit_event
from serverless_sweep.handlers.child import ChildConfig, ChildHandler
from serverless_sweep.handlers.parent import ParentConfig, ParentHandler
from serverless_sweep.models.registry import DEFAULT_MODEL_ENV

FORMAT = "sweep-replay/v1"
PINS_FORMAT = "sweep-replay-pins/v1"
KINDS = ("validation", "shard_plan", "parent", "child")
REPLAY_MODEL = "legacy_hash"
BUCKET_ENV = "SWEEP_RESULTS_BUCKET"

# The declared divergences: fixture tag -> why this runtime differs. Listed in the README.
DIVERGENCES: dict[str, str] = {
    "bool-as-int": "booleans are not integers in JSON Schema: shard_count, shard_size, max_shards, "
    "seed, failure_injection_shards and the child's integer fields reject true/false",
    "bigint": "seed, shard_count, shard_size, max_shards and failure_injection_shards must fit a "
    "signed 64-bit integer (Parquet int64 / Athena bigint); dimension values stay unrestricted",
    "non-object-input": "a request or payload that is not a JSON object gets a clean 400 / "
    "ValidationError instead of odd 400s or crashes",
    "python-exception": "inputs that crashed the old runtime with TypeError/AttributeError get a "
    "clean validation error instead",
    "nonstandard-json": "NaN, Infinity and numbers overflowing to infinity are not JSON: 400",
    "duplicate-keys": "a body repeating an object key is ambiguous: 400 naming the key",
    "uncaught-validation-error": "exceeding max_shards (or an empty plan) is a 400 like every "
    "other rule instead of an exception escaping the handler",
    "lenient-child": "the child rejects dimension values that are not lists (failure record with "
    "error_kind invalid_payload) instead of iterating strings and objects",
}

_EVENT_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?\+00:00$")


@dataclass(frozen=True, slots=True)
class CaseResult:
    case_id: str
    kind: str
    verdict: str  # "passed" | "failed" | "diverged"
    detail: str = ""
    tags: tuple[str, ...] = ()


@dataclass
class ReplayReport:
    results: list[CaseResult] = field(default_factory=list)

    @property
    def passed(self) -> int:
        return sum(r.verdict == "passed" for r in self.results)

    @property
    def failed(self) -> list[CaseResult]:
        return [r for r in self.results if r.verdict == "failed"]

    @property
    def diverged(self) -> list[CaseResult]:
        return [r for r in self.results if r.verdict == "diverged"]

    def kinds(self) -> Counter[str]:
        return Counter(r.kind for r in self.results)

    pinned: bool = False
    """Whether divergences were checked against pins (else a declared tag decided alone)."""

    def lines(self) -> list[str]:
        out = [f"FAIL {r.case_id}: {r.detail}" for r in self.failed]
        if self.diverged:
            by_tag = Counter(next(t for t in r.tags if t in DIVERGENCES) for r in self.diverged)
            tags = ", ".join(f"{t}: {n}" for t, n in sorted(by_tag.items()))
            how = "as pinned" if self.pinned else "as declared (unpinned)"
            out.append(f"{len(self.diverged)} diverged {how} ({tags})")
        kinds = ", ".join(f"{k}: {n}" for k, n in sorted(self.kinds().items()))
        out.append(f"cases by kind: {kinds}")
        out.append(f"{self.passed} passed, {len(self.failed)} failed")
        return out


# -- loading -----------------------------------------------------------------------------------


def discover(paths: Iterable[Path]) -> list[Path]:
    """Every *.json file under the given files/directories, sorted, deduplicated."""
    found: set[Path] = set()
    for path in paths:
        if path.is_dir():
            found.update(p for p in path.rglob("*.json") if p.is_file())
        elif path.is_file():
            found.add(path)
        else:
            raise FileNotFoundError(f"no replay fixture file or directory at {path}")
    return sorted(found)


def load_cases(files: Iterable[Path]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(kind, case) for every case; files of another format are an error, not a silent skip."""
    for file in files:
        document = json.loads(file.read_text(encoding="utf-8"))
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise ValueError(f"{file}: not a {FORMAT} fixture file")
        kind = document.get("kind")
        if kind not in KINDS:
            raise ValueError(f"{file}: unknown kind {kind!r}")
        for case in document["cases"]:
            yield kind, case


Pins = Mapping[str, Mapping[str, Any]]


def load_pins(path: Path) -> dict[str, dict[str, Any]]:
    """The pins file (format sweep-replay-pins/v1): case id -> pinned observation."""
    document = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(document, dict) or document.get("format") != PINS_FORMAT:
        raise ValueError(f"{path}: not a {PINS_FORMAT} pins file")
    pins = document.get("pins")
    if not isinstance(pins, dict):
        raise ValueError(f"{path}: 'pins' must be an object of case id -> pinned outcome")
    return {str(case_id): pin["observed"] for case_id, pin in pins.items()}


def run_replay(
    paths: Sequence[Path],
    progress: Callable[[int], None] | None = None,
    pins: Pins | None = None,
) -> ReplayReport:
    """Replay every case under `paths`; with `pins`, divergences must match them exactly."""
    report = ReplayReport(pinned=pins is not None)
    for kind, case in load_cases(discover(paths)):
        report.results.append(run_case(kind, case, pins))
        if progress is not None:
            progress(len(report.results))
    return report


# -- running one case ----------------------------------------------------------------------------


@dataclass
class _Observed:
    outcome: str
    value: Any = None
    error_type: tuple[str, ...] = ()
    error_message: str = ""
    exception: BaseException | None = None
    extra: Any = None  # invocations (parent) or writes (child)


def run_case(kind: str, case: Mapping[str, Any], pins: Pins | None = None) -> CaseResult:
    """One case's verdict; with `pins`, see the module docstring (None: the tag decides)."""
    tags = tuple(case.get("tags", ()))
    case_id = case["id"]
    try:
        observed = _RUNNERS[kind](case["input"])
        problem = _compare(kind, case["expected"], observed)
        pinned = None if pins is None else pins.get(case_id)
        mismatch = None if pinned is None else _pin_mismatch(pinned, observation(kind, observed))
    except Exception as exc:  # a harness or handler bug must show up as a failed case
        return CaseResult(
            case_id, kind, "failed", f"harness error {type(exc).__name__}: {exc}", tags
        )
    if problem is None:
        if pinned is not None:
            return CaseResult(
                case_id, kind, "failed",
                "matches the recording again but is pinned as a divergence: remove its pin "
                "(tests/replay/make_pins.py --force) after review",
                tags,
            )  # fmt: skip
        return CaseResult(case_id, kind, "passed", tags=tags)
    declared = [t for t in tags if t in DIVERGENCES]
    if not declared:
        return CaseResult(case_id, kind, "failed", problem, tags)
    if pins is None:
        verdict = "diverged" if _clean_rejection(kind, observed) else "failed"
        return CaseResult(case_id, kind, verdict, problem, tags)
    if pinned is None:
        return CaseResult(
            case_id,
            kind,
            "failed",
            f"diverges ({problem}) and has no pin: not a reviewed change",
            tags,
        )
    if mismatch is not None:
        return CaseResult(case_id, kind, "failed", f"diverges, but not as pinned: {mismatch}", tags)
    return CaseResult(case_id, kind, "diverged", problem, tags)


#: Outcome-envelope fields a pin keeps (the others are random ids, times or versions).
PINNED_ENVELOPE_FIELDS: tuple[str, ...] = (
    "status",
    "shard_id",
    "attempt",
    "error_kind",
    "error_code",
    "error_message",
)


def observation(kind: str, observed: _Observed) -> dict[str, Any]:
    """What a pin records of an outcome: everything a client or a record could see of it.

    A rejection: its exception types' first name, its message and, for a ValidationError,
    every detail (pointer, rule, message). A value: the value (a parent's proxy response with
    its body parsed). Then what it dispatched (parent payloads) or wrote (child outcome
    envelopes, without their random ids and times).
    """
    doc: dict[str, Any] = {"outcome": observed.outcome}
    if observed.outcome == "raise":
        doc["error_type"] = observed.error_type[0] if observed.error_type else ""
        doc["message"] = observed.error_message
        if isinstance(observed.exception, ValidationError):
            doc["details"] = [d.as_dict() for d in observed.exception.details]
    elif kind == "parent" and isinstance(observed.value, dict):
        value = dict(observed.value)
        if isinstance(value.get("body"), str):
            value["body"] = json.loads(value["body"])
        doc["value"] = value
    else:
        doc["value"] = observed.value
    if kind == "parent":
        doc["invocations"] = [
            {"function_name": c.function_name, "payload": json.loads(c.payload)}
            for c in observed.extra or []
        ]
    if kind == "child":
        writes = []
        for write in observed.extra or []:
            body = json.loads(write.data)
            writes.append({k: body[k] for k in PINNED_ENVELOPE_FIELDS if k in body})
        doc["writes"] = writes
    # Through JSON and back: the pin file holds JSON, so compare what JSON can hold.
    result: dict[str, Any] = json.loads(json.dumps(doc))
    return result


def _pin_mismatch(pinned: Mapping[str, Any], observed: Mapping[str, Any]) -> str | None:
    """The first difference between a pin and an observation, in either direction."""
    problem = semantic_diff(pinned, observed, "pin")
    if problem is None:
        extra = semantic_diff(observed, pinned, "pin")
        if extra is not None:
            problem = f"{extra} (not in the pin)"
    return problem


def _capture(call: Callable[[], Any]) -> _Observed:
    try:
        return _Observed("return", value=call())
    except Exception as exc:
        names = tuple(c.__name__ for c in type(exc).__mro__)
        return _Observed("raise", error_type=names, error_message=str(exc), exception=exc)


def _run_validation(inp: Mapping[str, Any]) -> _Observed:
    return _capture(lambda: normalize_request(inp["payload"]))


def _run_shard_plan(inp: Mapping[str, Any]) -> _Observed:
    request = inp["request"]

    def plan() -> list[dict[str, int]]:
        shards = plan_shards(
            request["total_points"],
            shard_count=request.get("shard_count"),
            shard_size=request.get("shard_size"),
            max_shards=request["max_shards"],
        )
        return [s.as_dict() for s in shards]

    return _capture(plan)


def _env(inp: Mapping[str, Any]) -> dict[str, str]:
    env = dict(inp.get("env", {}))
    env[DEFAULT_MODEL_ENV] = REPLAY_MODEL
    return env


def _run_parent(inp: Mapping[str, Any]) -> _Observed:
    invoker = RecordingInvoker()
    handler = ParentHandler(
        invoker=invoker,
        store=MemoryObjectStore(),
        config=ParentConfig.from_env(_env(inp)),
        clock=FixedClock(),
    )
    # The fixtures pin the old Lambda's proxy responses: the typed result goes through the
    # HTTP edge's direct-invoke path, as the parent Lambda answers `aws lambda invoke`.
    observed = _capture(lambda: submit_event(handler, inp["event"]))
    observed.extra = invoker.calls
    return observed


def _run_child(inp: Mapping[str, Any]) -> _Observed:
    env = _env(inp)
    store = MemoryObjectStore(configured=bool(env.get(BUCKET_ENV)))
    handler = ChildHandler(store=store, config=ChildConfig.from_env(env), clock=FixedClock())
    observed = _capture(lambda: handler.handle(inp["event"]))
    observed.extra = [w for w in store.writes if "/dataset=shard_outcomes/" in "/" + w.key]
    return observed


_RUNNERS: dict[str, Callable[[Mapping[str, Any]], _Observed]] = {
    "validation": _run_validation,
    "shard_plan": _run_shard_plan,
    "parent": _run_parent,
    "child": _run_child,
}


# -- comparing -----------------------------------------------------------------------------------


def _compare(kind: str, expected: Mapping[str, Any], observed: _Observed) -> str | None:
    if expected["outcome"] != observed.outcome:
        got = (
            f"raised {observed.error_type[0]}: {observed.error_message}"
            if observed.outcome == "raise"
            else f"returned {_short(observed.value)}"
        )
        return f"expected outcome {expected['outcome']}, {got}"
    if observed.outcome == "raise":
        error = expected["error"]
        if error["type"] not in observed.error_type:
            return f"expected {error['type']}, raised {observed.error_type[0]}"
        if error["message"] != observed.error_message:
            return f"message {observed.error_message!r} != {error['message']!r}"
    elif kind == "parent":
        problem = _compare_response(expected["value"], observed.value)
        if problem:
            return problem
    elif kind == "child":
        value = dict(expected["value"])
        value.pop("outcome_key", None)  # a key: the layout changed on purpose
        problem = semantic_diff(value, observed.value, "value")
        if problem:
            return problem
    else:
        problem = semantic_diff(expected["value"], observed.value, "value", ordered=True)
        if problem:
            return problem
    if kind == "parent":
        return _compare_invocations(expected["invocations"], observed.extra)
    if kind == "child":
        return _compare_writes(expected["writes"], observed.extra)
    return None


def _compare_response(expected: Mapping[str, Any], actual: Any) -> str | None:
    if not isinstance(actual, dict):
        return f"handler returned {type(actual).__name__}, not a proxy response"
    if expected["statusCode"] != actual.get("statusCode"):
        return f"statusCode {actual.get('statusCode')} != {expected['statusCode']}"
    problem = semantic_diff(expected["headers"], actual.get("headers"), "headers")
    if problem:
        return problem
    return semantic_diff(expected["body"], json.loads(actual["body"]), "body")


def _compare_invocations(expected: Sequence[Mapping[str, Any]], calls: Any) -> str | None:
    if len(expected) != len(calls):
        return f"{len(calls)} invocations, expected {len(expected)}"
    for i, (want, call) in enumerate(zip(expected, calls, strict=True)):
        if want["FunctionName"] != call.function_name:
            return (
                f"invocation {i}: FunctionName {call.function_name!r} != {want['FunctionName']!r}"
            )
        if want["InvocationType"] != "Event":
            return (
                f"invocation {i}: recorded InvocationType {want['InvocationType']!r} is not async"
            )
        if want["Payload"] is None:
            return f"invocation {i}: recorded payload is not strict JSON"
        problem = semantic_diff(want["Payload"], json.loads(call.payload), f"invocations[{i}]")
        if problem:
            return problem
    return None


def _compare_writes(expected: Sequence[Mapping[str, Any]], writes: Any) -> str | None:
    if len(expected) != len(writes):
        return f"{len(writes)} outcome envelopes written, expected {len(expected)}"
    for i, (want, write) in enumerate(zip(expected, writes, strict=True)):
        body = json.loads(write.data)
        event_time = body.get("event_time")
        if not isinstance(event_time, str) or not _EVENT_TIME.match(event_time):
            return f"writes[{i}]: event_time {event_time!r} is not ISO 8601 UTC"
        body["event_time"] = "<event_time>"
        wanted = json.loads(json.dumps(want["body"]))
        # result_key is a storage key: the layout changed on purpose (declared for child cases).
        wanted.get("output_metadata", {}).pop("result_key", None)
        problem = semantic_diff(wanted, body, f"writes[{i}]")
        if problem:
            return problem
    return None


def semantic_diff(expected: Any, actual: Any, path: str = "", ordered: bool = False) -> str | None:
    """First difference where `actual` fails to contain `expected` (extra object keys allowed).

    JSON types are kept apart: true is not 1, 1 is not 1.0, and -0.0 is not 0.0. With
    `ordered`, the expected keys must also appear in the same order (normalized requests sort
    dimension names, so order is part of the value there).
    """
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return f"{path}: expected an object, got {_short(actual)}"
        missing = [k for k in expected if k not in actual]
        if missing:
            return f"{path}: missing key {missing[0]!r}"
        if ordered and list(expected) != [k for k in actual if k in expected]:
            return f"{path}: key order {list(actual)} != {list(expected)}"
        for key, want in expected.items():
            problem = semantic_diff(want, actual[key], f"{path}.{key}", ordered)
            if problem:
                return problem
        return None
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return f"{path}: expected a list, got {_short(actual)}"
        if len(expected) != len(actual):
            return f"{path}: {len(actual)} items, expected {len(expected)}"
        for i, (want, got) in enumerate(zip(expected, actual, strict=True)):
            problem = semantic_diff(want, got, f"{path}[{i}]", ordered)
            if problem:
                return problem
        return None
    if type(expected) is not type(actual):
        got, want = type(actual).__name__, type(expected).__name__
        return f"{path}: {_short(actual)} ({got}) != {_short(expected)} ({want})"
    if isinstance(expected, float):
        if repr(expected) != repr(actual):
            return f"{path}: {actual!r} != {expected!r}"
    elif expected != actual:
        return f"{path}: {_short(actual)} != {_short(expected)}"
    return None


def _clean_rejection(kind: str, observed: _Observed) -> bool:
    """The declared new behaviour: a validation error that names a field, and nothing dispatched."""
    if kind in ("validation", "shard_plan"):
        return isinstance(observed.exception, ValidationError)
    if kind == "parent":
        value = observed.value
        if observed.outcome != "return" or not isinstance(value, dict) or observed.extra:
            return False
        body = json.loads(value.get("body", "null"))
        return (
            value.get("statusCode") == 400
            and isinstance(body, dict)
            and body.get("error") == "validation_error"
            and bool(body.get("details"))
        )
    if kind == "child":
        if not isinstance(observed.exception, ValidationError):
            return False
        return all(
            json.loads(w.data).get("error_kind") == "invalid_payload" for w in observed.extra
        )
    return False


def _short(value: Any, limit: int = 120) -> str:
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
