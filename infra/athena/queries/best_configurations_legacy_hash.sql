-- Best configurations of one legacy_hash run by health score (the same score as
-- `sweep results`, see best_configurations.sql for the method). Weights:
--   0.40 completed_rides (up), 0.40 platform_revenue_cents (up), 0.20 abandoned_rides (down).
-- legacy_hash accepts any parameters, so a point's values are the JSON text parameters_json.
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
points AS (
    SELECT
        point_index,
        m.shard_id,
        parameters_json,
        CAST(completed_rides AS DOUBLE) AS completed_rides,
        CAST(platform_revenue_cents AS DOUBLE) AS platform_revenue_cents,
        CAST(abandoned_rides AS DOUBLE) AS abandoned_rides
    FROM shard_metrics m
    JOIN committed c ON c.shard_id = m.shard_id AND c.attempt = m.attempt
    WHERE m.run_id = '${run_id}'
      AND m.run_date = '${run_date}'
      AND model = 'legacy_hash'
),
ranges AS (
    SELECT
        p.*,
        MIN(completed_rides) OVER () AS completed_lo,
        MAX(completed_rides) OVER () AS completed_hi,
        MIN(platform_revenue_cents) OVER () AS revenue_lo,
        MAX(platform_revenue_cents) OVER () AS revenue_hi,
        MIN(abandoned_rides) OVER () AS abandoned_lo,
        MAX(abandoned_rides) OVER () AS abandoned_hi
    FROM points p
),
scored AS (
    SELECT
        r.*,
          0.40 * COALESCE(CASE WHEN completed_hi = completed_lo THEN 0.5
                 ELSE (completed_rides - completed_lo) / (completed_hi - completed_lo) END, 0.0)
        + 0.40 * COALESCE(CASE WHEN revenue_hi = revenue_lo THEN 0.5
                 ELSE (platform_revenue_cents - revenue_lo) / (revenue_hi - revenue_lo) END, 0.0)
        + 0.20 * COALESCE(CASE WHEN abandoned_hi = abandoned_lo THEN 0.5
                 ELSE (abandoned_hi - abandoned_rides) / (abandoned_hi - abandoned_lo) END, 0.0)
          AS health_score
    FROM ranges r
),
ranked AS (
    SELECT
        ROW_NUMBER() OVER (ORDER BY health_score DESC, point_index) AS rank,
        s.*
    FROM scored s
)
SELECT
    rank,
    health_score,
    point_index,
    shard_id,
    parameters_json,
    completed_rides,
    platform_revenue_cents,
    abandoned_rides
FROM ranked
WHERE rank <= 10
ORDER BY rank
