-- Run profile of one run: points and shards with results, failed attempts, and where the time
-- went. compute_ms is the model's time per point (shard_metrics); duration_ms is a shard's
-- whole attempt (shard_outcomes: reading the payload, computing, writing Parquet and the
-- envelope), so overhead_share is the part of the shards' time not spent in the model.
--
-- Template (see README.md): ${run_id}, ${run_date}
-- Runs unchanged on Athena (Trino) and DuckDB (`sweep query --run RUN_ID --file ...`).

WITH committed AS (
    -- The shard's committed attempt: rows count only when a success envelope commits them
    -- (an orphan of a failed commit, or of an earlier attempt, is left out; see README.md).
    SELECT shard_id, attempt
    FROM shard_outcomes
    WHERE run_id = '${run_id}'
      AND run_date = '${run_date}'
      AND status = 'success'
),
point_stats AS (
    SELECT
        MIN(model) AS model,
        COUNT(*) AS points,
        COUNT(DISTINCT m.shard_id) AS shards_with_rows,
        SUM(compute_ms) AS compute_ms_total,
        AVG(compute_ms) AS compute_ms_avg,
        MIN(compute_ms) AS compute_ms_min,
        MAX(compute_ms) AS compute_ms_max,
        STDDEV_SAMP(compute_ms) AS compute_ms_stddev
    FROM shard_metrics m
    JOIN committed c ON c.shard_id = m.shard_id AND c.attempt = m.attempt
    WHERE m.run_id = '${run_id}'
      AND m.run_date = '${run_date}'
),
shard_stats AS (
    SELECT
        COUNT(*) AS succeeded_shards,
        SUM(duration_ms) AS shard_ms_total,
        AVG(duration_ms) AS shard_ms_avg,
        MAX(duration_ms) AS shard_ms_max
    FROM shard_outcomes
    WHERE run_id = '${run_id}'
      AND run_date = '${run_date}'
      AND status = 'success'
),
failure_stats AS (
    SELECT COUNT(*) AS failed_attempts
    FROM shard_errors
    WHERE run_id = '${run_id}'
      AND run_date = '${run_date}'
)
SELECT
    '${run_id}' AS run_id,
    p.model,
    p.points,
    p.shards_with_rows,
    s.succeeded_shards,
    f.failed_attempts,
    p.compute_ms_total / 1000.0 AS compute_s_total,
    p.compute_ms_avg,
    p.compute_ms_min,
    p.compute_ms_max,
    p.compute_ms_stddev,
    s.shard_ms_avg,
    s.shard_ms_max,
    CAST(p.points AS DOUBLE) * 1000.0 / NULLIF(p.compute_ms_total, 0) AS points_per_compute_s,
    1.0 - p.compute_ms_total / NULLIF(s.shard_ms_total, 0) AS overhead_share
FROM point_stats p
CROSS JOIN shard_stats s
CROSS JOIN failure_stats f
