-- Conversion by hour of one ride_hailing run that wrote trip_data (request `outputs` with
-- "trips"): per point and UTC hour of the request (the point's epoch_ms plus simulated time),
-- the requests, how they ended, the conversion, the mean wait for a match, the mean actual
-- pickup ETA and the mean surge of the last quote. "Why did conversion collapse at 18:00?"
-- starts here; snapshot_counts has the state of the marketplace minute by minute.
--
-- Template (see README.md): ${run_id}, ${run_date}
-- Runs unchanged on Athena (Trino) and DuckDB (`sweep query --run RUN_ID --file ...`).

WITH committed AS (
    -- trip_data rows count only when a success envelope commits their attempt, as for
    -- shard_metrics (see README.md).
    SELECT shard_id, attempt
    FROM shard_outcomes
    WHERE run_id = '${run_id}'
      AND run_date = '${run_date}'
      AND status = 'success'
)
SELECT
    t.point_index,
    HOUR(t.request_at) AS request_hour,
    COUNT(*) AS requests,
    SUM(CASE WHEN t.outcome = 'completed' THEN 1 ELSE 0 END) AS completed,
    SUM(CASE WHEN t.outcome = 'cancelled' THEN 1 ELSE 0 END) AS cancelled,
    SUM(CASE WHEN t.outcome = 'abandoned' THEN 1 ELSE 0 END) AS abandoned,
    CAST(SUM(CASE WHEN t.outcome = 'completed' THEN 1 ELSE 0 END) AS DOUBLE)
        / NULLIF(SUM(CASE WHEN t.outcome <> 'unresolved' THEN 1 ELSE 0 END), 0) AS conversion_rate,
    AVG(t.wait_for_match_s) AS avg_wait_for_match_s,
    AVG(t.pickup_eta_s) AS avg_pickup_eta_s,
    AVG(t.surge_multiplier) AS avg_surge_multiplier
FROM trip_data t
JOIN committed c ON c.shard_id = t.shard_id AND c.attempt = t.attempt
WHERE t.run_id = '${run_id}'
  AND t.run_date = '${run_date}'
GROUP BY t.point_index, HOUR(t.request_at)
ORDER BY t.point_index, request_hour
