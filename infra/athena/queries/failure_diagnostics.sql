-- Failure diagnostics of one run: the latest failed attempt of every shard that ever failed,
-- grouped by error_kind (invalid_payload, model_error, injected, storage, timeout, internal),
-- with how many attempts failed and whether the shard later succeeded (recovered, e.g. by a
-- redrive or a Lambda retry) or is still failed.
--
-- Template (see README.md): ${run_id}, ${run_date}
-- Runs unchanged on Athena (Trino) and DuckDB (`sweep query --run RUN_ID --file ...`).

WITH attempts AS (
    SELECT
        shard_id,
        attempt,
        attempt_id,
        error_kind,
        error_code,
        error_message,
        event_time,
        ROW_NUMBER() OVER (
            PARTITION BY shard_id
            ORDER BY attempt DESC, event_time DESC, attempt_id DESC
        ) AS newest_first,
        COUNT(*) OVER (PARTITION BY shard_id) AS failed_attempts
    FROM shard_errors
    WHERE run_id = '${run_id}'
      AND run_date = '${run_date}'
),
succeeded AS (
    SELECT DISTINCT shard_id
    FROM shard_outcomes
    WHERE run_id = '${run_id}'
      AND run_date = '${run_date}'
      AND status = 'success'
),
latest AS (
    SELECT
        a.error_kind,
        a.shard_id,
        a.attempt,
        a.failed_attempts,
        CASE WHEN s.shard_id IS NULL THEN 'failed' ELSE 'recovered' END AS shard_state,
        a.error_code,
        a.error_message,
        a.event_time
    FROM attempts a
    LEFT JOIN succeeded s ON s.shard_id = a.shard_id
    WHERE a.newest_first = 1
)
SELECT
    error_kind,
    COUNT(*) OVER (PARTITION BY error_kind) AS shards_of_kind,
    shard_id,
    attempt,
    failed_attempts,
    shard_state,
    error_code,
    error_message,
    event_time
FROM latest
ORDER BY error_kind, shard_id
