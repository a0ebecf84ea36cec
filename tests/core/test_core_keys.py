"""Storage keys: the documented layout, and a run_id encoding that cannot fake a path."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from serverless_sweep.core.keys import (
    ParsedKey,
    StorageLayout,
    decode_run_id,
    encode_run_id,
    format_run_date,
)

SAFE = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.%~")
any_text = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=20)
attempt_ids = st.text(alphabet="abcXYZ019_-", min_size=1, max_size=12)


@pytest.mark.parametrize(
    ("run_id", "encoded"),
    [
        ("pricing-2026-11", "pricing-2026-11"),
        ("surge/berlin=v2", "surge%2Fberlin%3Dv2"),
        ("a b", "a%20b"),
        ("100%", "100%25"),
        ("~", "%7E"),
        ("\u6771\u4eac", "%E6%9D%B1%E4%BA%AC"),
        ("\U0001f695", "%F0%9F%9A%95"),
        ("\ud800", "%ED%A0%80"),
        ("", "~"),
        (".", "%2E"),
        ("..", "%2E%2E"),
        ("...", "%2E.."),
        (".tmp-x", "%2Etmp-x"),
        ("a.b", "a.b"),
        ("%2E", "%252E"),
    ],
)
def test_encoding_examples(run_id: str, encoded: str) -> None:
    assert encode_run_id(run_id) == encoded
    assert decode_run_id(encoded) == run_id


@given(any_text)
def test_encoding_round_trips_and_never_makes_a_path(run_id: str) -> None:
    encoded = encode_run_id(run_id)
    assert encoded and set(encoded) <= SAFE
    assert "/" not in encoded and "=" not in encoded
    assert encoded not in (".", "..")
    assert decode_run_id(encoded) == run_id


@given(any_text, any_text)
def test_encoding_is_injective(a: str, b: str) -> None:
    if a != b:
        assert encode_run_id(a) != encode_run_id(b)


@pytest.mark.parametrize(
    "bad",
    ["%", "%2", "%2f", "%G0", "a/b", "a=b", " ", "\u00e9", "%41", "%2D", ".", "..", "%FF", "~~"],
)
def test_decode_rejects_what_encode_never_produces(bad: str) -> None:
    with pytest.raises(ValueError):
        decode_run_id(bad)


def test_layout_matches_the_architecture_doc() -> None:
    layout = StorageLayout("serverless-sweeps")
    d, r = "2026-11-27", "surge/berlin=v2"
    run = "run_date=2026-11-27/run_id=surge%2Fberlin%3Dv2"
    p = "serverless-sweeps"
    assert layout.metrics_key(d, r, 3) == (
        f"{p}/dataset=shard_metrics/{run}/status=success/part-3.parquet"
    )
    assert layout.errors_key(d, r, 3, 2, "abc123") == (
        f"{p}/dataset=shard_errors/{run}/status=failure/part-3-2-abc123.parquet"
    )
    assert layout.success_outcome_key(d, r, 0) == (
        f"{p}/dataset=shard_outcomes/{run}/status=success/part-0.json"
    )
    assert layout.failure_outcome_key(d, r, 0, 1, "x-y") == (
        f"{p}/dataset=shard_outcomes/{run}/status=failure/part-0-1-x-y.json"
    )
    assert layout.manifest_key(d, r) == f"{p}/dataset=runs/{run}/status=accepted/manifest.json"
    assert layout.run_index_key(r) == f"{p}/run_index/surge%2Fberlin%3Dv2.json"
    assert layout.run_prefix("shard_outcomes", d, r, "failure") == (
        f"{p}/dataset=shard_outcomes/{run}/status=failure/"
    )
    assert layout.run_prefix("runs", d, r) == f"{p}/dataset=runs/{run}/"
    assert layout.dataset_prefix("shard_metrics") == f"{p}/dataset=shard_metrics/"


@pytest.mark.parametrize(
    ("prefix", "start"),
    [
        ("", "dataset="),
        ("/", "dataset="),
        ("//", "dataset="),
        ("/a/b/", "a/b/dataset="),
        ("sweeps", "sweeps/dataset="),
        (" sp ", " sp /dataset="),
    ],
)
def test_prefix_is_stripped_of_slashes_only(prefix: str, start: str) -> None:
    layout = StorageLayout(prefix)
    assert layout.manifest_key(date(2026, 1, 2), "r").startswith(
        start + "runs/run_date=2026-01-02/"
    )
    assert (
        StorageLayout(prefix).run_index_key("r")
        == start.replace("dataset=", "") + "run_index/r.json"
    )


@pytest.mark.parametrize(
    "bad", ["2026-13-01", "2026-02-30", "26-01-01", "2026-1-1", "", "2026-01-01T00", 20260101]
)
def test_run_date_is_validated(bad: object) -> None:
    with pytest.raises(ValueError):
        format_run_date(bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        StorageLayout().manifest_key(bad, "r")  # type: ignore[arg-type]


def test_numbers_and_attempt_ids_are_validated() -> None:
    layout = StorageLayout()
    assert layout.metrics_key("2026-01-01", "r", -1).endswith("/part--1.parquet")
    for bad_shard in (True, 1.0, 2**63, "1"):
        with pytest.raises(ValueError):
            layout.metrics_key("2026-01-01", "r", bad_shard)  # type: ignore[arg-type]
    for attempt, attempt_id in ((0, "a"), (True, "a"), (1, ""), (1, "a.b"), (1, "a/b")):
        with pytest.raises(ValueError):
            layout.errors_key("2026-01-01", "r", 0, attempt, attempt_id)
    assert format_run_date(date(2026, 1, 2)) == "2026-01-02"


@given(
    st.sampled_from(["", "/sweeps/", "a/b"]),
    any_text,
    st.dates(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.integers(min_value=1, max_value=1000),
    attempt_ids,
)
def test_parse_key_reads_back_every_key(
    prefix: str, run_id: str, day: date, shard: int, attempt: int, attempt_id: str
) -> None:
    layout = StorageLayout(prefix)
    d = day.isoformat()
    expected = {
        layout.metrics_key(day, run_id, shard): ParsedKey(
            "metrics", "shard_metrics", status="success", shard_id=shard, run_date=d, run_id=run_id
        ),
        layout.errors_key(day, run_id, shard, attempt, attempt_id): ParsedKey(
            "errors",
            "shard_errors",
            status="failure",
            shard_id=shard,
            attempt=attempt,
            attempt_id=attempt_id,
            run_date=d,
            run_id=run_id,
        ),
        layout.success_outcome_key(day, run_id, shard): ParsedKey(
            "success_outcome",
            "shard_outcomes",
            status="success",
            shard_id=shard,
            run_date=d,
            run_id=run_id,
        ),
        layout.failure_outcome_key(day, run_id, shard, attempt, attempt_id): ParsedKey(
            "failure_outcome",
            "shard_outcomes",
            status="failure",
            shard_id=shard,
            attempt=attempt,
            attempt_id=attempt_id,
            run_date=d,
            run_id=run_id,
        ),
        layout.manifest_key(day, run_id): ParsedKey(
            "manifest", "runs", status="accepted", run_date=d, run_id=run_id
        ),
    }
    for key, parsed in expected.items():
        assert layout.parse_key(key) == parsed
        assert key.startswith(layout.run_prefix(parsed.dataset, d, run_id, parsed.status))


@pytest.mark.parametrize(
    "key",
    [
        "other/dataset=runs/run_date=2026-01-01/run_id=r/status=accepted/manifest.json",
        "p/run_index/r.json",
        "p/dataset=runs/run_date=2026-01-01/run_id=r/status=success/manifest.json",
        "p/dataset=runs/run_date=2026-01-01/run_id=r/status=accepted/other.json",
        "p/dataset=shard_metrics/run_date=2026-01-01/run_id=r/status=success/part-01.parquet",
        "p/dataset=shard_metrics/run_date=2026-01-01/run_id=r/status=success/part--0.parquet",
        "p/dataset=shard_metrics/run_date=2026-01-01/run_id=r/status=success/part-+1.parquet",
        "p/dataset=shard_metrics/run_date=2026-01-01/run_id=r/status=success/part-1.json",
        "p/dataset=shard_metrics/run_date=2026-01-01/run_id=r/status=failure/part-1-1-a.parquet",
        "p/dataset=shard_outcomes/run_date=2026-01-01/run_id=r/status=failure/part-1-0-a.json",
        "p/dataset=shard_outcomes/run_date=2026-01-01/run_id=r/status=failure/part-1.json",
        "p/dataset=shard_outcomes/run_date=2026-02-30/run_id=r/status=success/part-1.json",
        "p/dataset=shard_outcomes/run_date=2026-01-01/run_id=a%2fb/status=success/part-1.json",
        "p/dataset=shard_outcomes/run_date=2026-01-01/run_id=a/b/status=success/part-1.json",
        "p/dataset=shard_outcomes/run_date=2026-01-01/run_id=r/status=success/sub/part-1.json",
        "p/dataset=shard_outcomes/run_id=r/run_date=2026-01-01/status=success/part-1.json",
        "p/dataset=unknown/run_date=2026-01-01/run_id=r/status=success/part-1.json",
    ],
)
def test_parse_key_ignores_foreign_and_malformed_keys(key: str) -> None:
    assert StorageLayout("p").parse_key(key) is None


def test_long_run_ids_are_shortened_with_a_digest_and_never_collide() -> None:
    from serverless_sweep.core.keys import MAX_ENCODED_RUN_ID, is_shortened_run_id

    long_ids = ["x" * 500, "x" * 499 + "y", "\u6771" * 100, "a/" * 150]
    encoded = [encode_run_id(r) for r in long_ids]
    assert len(set(encoded)) == len(long_ids)
    for run_id, enc in zip(long_ids, encoded, strict=True):
        assert len(enc) <= MAX_ENCODED_RUN_ID
        assert is_shortened_run_id(enc) and "/" not in enc and "=" not in enc
        assert enc == encode_run_id(run_id)  # stable
        with pytest.raises(ValueError, match="shortened"):
            decode_run_id(enc)
    # ids up to the limit stay whole and decodable
    whole = "y" * MAX_ENCODED_RUN_ID
    assert encode_run_id(whole) == whole and not is_shortened_run_id(whole)
    # a cut never splits a %XX escape
    assert all("%" not in enc.split("~")[0][-2:] for enc in encoded)


def test_parse_key_reads_shortened_run_ids_back_as_their_folder_text() -> None:
    layout = StorageLayout("p")
    run_id = "r" * 300
    key = layout.success_outcome_key("2026-11-27", run_id, 3)
    parsed = layout.parse_key(key)
    assert parsed is not None and parsed.shard_id == 3
    assert parsed.run_id == encode_run_id(run_id)


def test_run_prefixes_are_remembered_without_changing_them() -> None:
    from serverless_sweep.core import keys as keys_module

    layout, fresh = StorageLayout("p"), StorageLayout("p")
    first = layout.success_outcome_key("2026-12-01", "a b/c", 3)
    assert layout.success_outcome_key("2026-12-01", "a b/c", 3) == first
    assert first == fresh.success_outcome_key(date(2026, 12, 1), "a b/c", 3)
    # a refused argument is refused every time (never cached)
    for _ in range(2):
        with pytest.raises(ValueError):
            layout.run_prefix("shard_metrics", "2026-13-01", "r")
    for n in range(keys_module._RUN_PREFIX_CACHE + 5):  # the cache forgets, it does not grow
        layout.run_prefix("shard_metrics", "2026-12-01", f"r{n}")
        layout.success_outcome_key("2026-12-01", f"r{n}", 1)
    assert len(keys_module._RUN_PREFIXES) <= keys_module._RUN_PREFIX_CACHE
    assert len(keys_module._SHARD_FOLDERS) <= keys_module._RUN_PREFIX_CACHE


def test_a_new_layout_finds_the_folders_an_earlier_one_built(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The child builds a new layout per shard (issue 13): the run folder is encoded once for
    all of them, per prefix, and the keys are exactly the checked construction's."""
    from serverless_sweep.core import keys as keys_module

    expected = {
        "outcome": "p/dataset=shard_outcomes/run_date=2026-12-02/run_id=shared%2Frun/"
        "status=success/part-7.json",
        "metrics": "p/dataset=shard_metrics/run_date=2026-12-02/run_id=shared%2Frun/"
        "status=success/part-7-2.parquet",
        "trips": "p/dataset=trip_data/run_date=2026-12-02/run_id=shared%2Frun/"
        "status=success/part-7-2.parquet",
    }

    def keys_of(layout: StorageLayout) -> dict[str, str]:
        return {
            "outcome": layout.success_outcome_key("2026-12-02", "shared/run", 7),
            "metrics": layout.attempt_metrics_key("2026-12-02", "shared/run", 7, 2),
            "trips": layout.detail_key("trip_data", "2026-12-02", "shared/run", 7, 2),
        }

    assert keys_of(StorageLayout("p")) == expected
    encoded: list[str] = []
    real_encode = keys_module.encode_run_id
    monkeypatch.setattr(
        keys_module, "encode_run_id", lambda run_id: encoded.append(run_id) or real_encode(run_id)
    )
    assert keys_of(StorageLayout("/p/")) == expected  # another object, the same prefix
    assert encoded == []
    other = keys_of(StorageLayout("q"))  # another prefix: its own folders
    assert other == {name: "q" + key[1:] for name, key in expected.items()}
    assert encoded == ["shared/run"] * 3
    assert (
        StorageLayout("p").success_outcome_key(date(2026, 12, 2), "shared/run", 7)
        == (expected["outcome"])
    )


def test_remembered_folders_still_check_every_shard_and_attempt() -> None:
    layout = StorageLayout()
    assert layout.success_outcome_key("2026-12-02", "checked", 1).endswith("/part-1.json")
    assert layout.attempt_metrics_key("2026-12-02", "checked", 1, 1).endswith("/part-1-1.parquet")
    for bad_shard in (True, 1.0, 2**63, -(2**63) - 1, "1", None):
        with pytest.raises(ValueError, match="shard_id"):
            layout.success_outcome_key("2026-12-02", "checked", bad_shard)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="shard_id"):
            layout.attempt_metrics_key("2026-12-02", "checked", bad_shard, 1)  # type: ignore[arg-type]
    for bad_attempt in (0, -1, True, 1.0, "1"):
        with pytest.raises(ValueError, match="attempt"):
            layout.attempt_metrics_key("2026-12-02", "checked", 1, bad_attempt)  # type: ignore[arg-type]
    assert layout.success_outcome_key("2026-12-02", "checked", -(2**63)).endswith(
        f"/part-{-(2**63)}.json"
    )
    for bad_date in ("2026-13-01", ["2026-12-02"], None):
        with pytest.raises(ValueError, match="run_date"):
            layout.success_outcome_key(bad_date, "checked", 1)  # type: ignore[arg-type]


def test_parse_key_reads_each_folder_once_and_still_checks_every_file_name() -> None:
    layout = StorageLayout("p")
    three = layout.success_outcome_key("2026-12-01", "r/1", 3)
    four = layout.success_outcome_key("2026-12-01", "r/1", 4)
    first = layout.parse_key(three)
    assert first is not None and first.shard_id == 3 and first.run_id == "r/1"
    assert layout.parse_key(four) == StorageLayout("p").parse_key(four)
    assert layout.parse_key(four).shard_id == 4  # type: ignore[union-attr]
    folder = three.rpartition("/")[0]
    assert layout.parse_key(f"{folder}/part-04.json") is None  # file names are still checked
    assert layout.parse_key(four.replace(".json", ".parquet")) is None
    bad = three.replace("run_date=2026-12-01", "run_date=2026-13-01")
    assert layout.parse_key(bad) is None and layout.parse_key(bad) is None  # cached as refused
