-- Shard coverage of one run: shards that succeeded, failed (no success record, at least one
-- failed attempt) or have no record at all, and the share of the run's points with results.
-- The store has no state table: a shard's success envelope in shard_outcomes is what "done"
-- means, exactly as `sweep status` and the status API compute it.
--
-- Template (see README.md): ${run_id}, ${run_date}, ${shard_count}, ${total_points}
-- (shard_count and total_points come from the run's AcceptedResponse or `sweep status`).
-- Runs unchanged on Athena (Trino) and DuckDB (`sweep query --run RUN_ID --file ...`).

WITH per_shard AS (
    SELECT
        shard_id,
        MAX(CASE WHEN status = 'success' THEN 1 ELSE 0 END) AS succeeded,
        MAX(CASE WHEN status = 'failure' THEN 1 ELSE 0 END) AS failed_once,
        MAX(end_index - start_index) AS points
    FROM shard_outcomes
    WHERE run_id = '${run_id}'
      AND run_date = '${run_date}'
    GROUP BY shard_id
),
totals AS (
    SELECT
        COALESCE(SUM(succeeded), 0) AS succeeded_shards,
        COALESCE(SUM(CASE WHEN succeeded = 0 AND failed_once = 1 THEN 1 ELSE 0 END), 0)
            AS failed_shards,
        COALESCE(SUM(CASE WHEN succeeded = 1 AND failed_once = 1 THEN 1 ELSE 0 END), 0)
            AS recovered_shards,
        COALESCE(SUM(CASE WHEN succeeded = 1 THEN points ELSE 0 END), 0) AS points_done
    FROM per_shard
)
SELECT
    '${run_id}' AS run_id,
    ${shard_count} AS shard_count,
    succeeded_shards,
    failed_shards,
    ${shard_count} - succeeded_shards - failed_shards AS missing_shards,
    recovered_shards,
    points_done,
    ${total_points} AS total_points,
    CAST(points_done AS DOUBLE) / CAST(${total_points} AS DOUBLE) AS coverage
FROM totals
