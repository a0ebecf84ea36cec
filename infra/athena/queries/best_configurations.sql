-- Best configurations of one ride_hailing run by health score (the same score as
-- `sweep results`; terms and weights are HEALTH_TERMS in adapters/local/analytics.py, and a
-- test checks that both rank alike).
--
-- Each metric is min-max normalized across the run's points with MIN/MAX window functions
-- (1 = the run's best value, lower-is-better metrics flipped); a metric equal at every point
-- counts 0.5, a NULL one 0. Weights add up to 1:
--   0.25 conversion_rate (up), 0.20 platform_revenue (up), 0.15 driver_payouts (up),
--   0.10 avg_time_to_match_ms (down), 0.10 avg_time_to_pickup_ms (down),
--   0.10 cancel_rate = cancelled_riders / total_riders (down),
--   0.10 quote_abandon_rate = abandoned_quote_riders / total_riders (down).
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
        num_riders,
        num_drivers,
        match_radius,
        commission_rate,
        base_fare,
        per_km_rate,
        surge_enabled,
        matching_algorithm_type,
        batch_matching_enabled,
        traffic_profile,
        CAST(conversion_rate AS DOUBLE) AS conversion_rate,
        CAST(platform_revenue AS DOUBLE) AS platform_revenue,
        CAST(driver_payouts AS DOUBLE) AS driver_payouts,
        CAST(avg_time_to_match_ms AS DOUBLE) AS avg_time_to_match_ms,
        CAST(avg_time_to_pickup_ms AS DOUBLE) AS avg_time_to_pickup_ms,
        COALESCE(CAST(cancelled_riders AS DOUBLE) / NULLIF(total_riders, 0), 0.0) AS cancel_rate,
        COALESCE(CAST(abandoned_quote_riders AS DOUBLE) / NULLIF(total_riders, 0), 0.0)
            AS quote_abandon_rate
    FROM shard_metrics m
    JOIN committed c ON c.shard_id = m.shard_id AND c.attempt = m.attempt
    WHERE m.run_id = '${run_id}'
      AND m.run_date = '${run_date}'
      AND model = 'ride_hailing'
),
ranges AS (
    SELECT
        p.*,
        MIN(conversion_rate) OVER () AS conversion_lo,
        MAX(conversion_rate) OVER () AS conversion_hi,
        MIN(platform_revenue) OVER () AS revenue_lo,
        MAX(platform_revenue) OVER () AS revenue_hi,
        MIN(driver_payouts) OVER () AS payouts_lo,
        MAX(driver_payouts) OVER () AS payouts_hi,
        MIN(avg_time_to_match_ms) OVER () AS match_lo,
        MAX(avg_time_to_match_ms) OVER () AS match_hi,
        MIN(avg_time_to_pickup_ms) OVER () AS pickup_lo,
        MAX(avg_time_to_pickup_ms) OVER () AS pickup_hi,
        MIN(cancel_rate) OVER () AS cancel_lo,
        MAX(cancel_rate) OVER () AS cancel_hi,
        MIN(quote_abandon_rate) OVER () AS abandon_lo,
        MAX(quote_abandon_rate) OVER () AS abandon_hi
    FROM points p
),
scored AS (
    SELECT
        r.*,
          0.25 * COALESCE(CASE WHEN conversion_hi = conversion_lo THEN 0.5
                 ELSE (conversion_rate - conversion_lo) / (conversion_hi - conversion_lo) END, 0.0)
        + 0.20 * COALESCE(CASE WHEN revenue_hi = revenue_lo THEN 0.5
                 ELSE (platform_revenue - revenue_lo) / (revenue_hi - revenue_lo) END, 0.0)
        + 0.15 * COALESCE(CASE WHEN payouts_hi = payouts_lo THEN 0.5
                 ELSE (driver_payouts - payouts_lo) / (payouts_hi - payouts_lo) END, 0.0)
        + 0.10 * COALESCE(CASE WHEN match_hi = match_lo THEN 0.5
                 ELSE (match_hi - avg_time_to_match_ms) / (match_hi - match_lo) END, 0.0)
        + 0.10 * COALESCE(CASE WHEN pickup_hi = pickup_lo THEN 0.5
                 ELSE (pickup_hi - avg_time_to_pickup_ms) / (pickup_hi - pickup_lo) END, 0.0)
        + 0.10 * COALESCE(CASE WHEN cancel_hi = cancel_lo THEN 0.5
                 ELSE (cancel_hi - cancel_rate) / (cancel_hi - cancel_lo) END, 0.0)
        + 0.10 * COALESCE(CASE WHEN abandon_hi = abandon_lo THEN 0.5
                 ELSE (abandon_hi - quote_abandon_rate) / (abandon_hi - abandon_lo) END, 0.0)
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
    num_riders,
    num_drivers,
    match_radius,
    commission_rate,
    base_fare,
    per_km_rate,
    surge_enabled,
    matching_algorithm_type,
    batch_matching_enabled,
    traffic_profile,
    conversion_rate,
    platform_revenue,
    driver_payouts,
    avg_time_to_match_ms,
    avg_time_to_pickup_ms,
    cancel_rate,
    quote_abandon_rate
FROM ranked
WHERE rank <= 10
ORDER BY rank
