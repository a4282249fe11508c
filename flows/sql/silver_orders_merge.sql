-- Merge the file's valid orders into silver.orders: latest updated_at wins, ties go to the
-- later file. Returns how many rows were inserted, updated, unchanged and stale, and marks
-- the order days whose marts must be rebuilt.
WITH ranked AS (
    SELECT c.*, row_number() OVER (
        PARTITION BY c.order_id ORDER BY c.updated_at DESC, c.line_number DESC
    ) AS rank_in_file
    FROM checked_orders c
    WHERE c.rule IS NULL
),
winners AS (
    SELECT * FROM ranked WHERE rank_in_file = 1
),
classified AS (
    SELECT w.*, cur.order_ts AS previous_order_ts,
        CASE
            WHEN cur.order_id IS NULL THEN 'inserted'
            WHEN w.updated_at < cur.updated_at THEN 'stale'
            WHEN (w.customer_id, w.order_ts, w.status, w.channel, w.region, w.currency,
                  w.total_amount, w.updated_at, w.extras)
                 IS NOT DISTINCT FROM
                 (cur.customer_id, cur.order_ts, cur.status, cur.channel, cur.region,
                  cur.currency::text, cur.total_amount, cur.updated_at, cur.extras)
                THEN 'unchanged'
            ELSE 'updated'
        END AS outcome
    FROM winners w
    LEFT JOIN silver.orders cur ON cur.order_id = w.order_id
),
superseded AS (
    SELECT
        CASE
            WHEN (r.customer_id, r.order_ts, r.status, r.channel, r.region, r.currency,
                  r.total_amount, r.updated_at, r.extras)
                 IS NOT DISTINCT FROM
                 (w.customer_id, w.order_ts, w.status, w.channel, w.region, w.currency,
                  w.total_amount, w.updated_at, w.extras)
                THEN 'unchanged'
            ELSE 'stale'
        END AS outcome
    FROM ranked r
    JOIN winners w ON w.order_id = r.order_id
    WHERE r.rank_in_file > 1
),
applied AS (
    INSERT INTO silver.orders AS o (
        order_id, customer_id, order_ts, status, channel, region, currency, total_amount,
        updated_at, extras, bronze_file_id, source_line, loaded_at
    )
    SELECT order_id, customer_id, order_ts, status, channel, region, currency, total_amount,
           updated_at, extras, $1, line_number, now()
    FROM classified
    WHERE outcome IN ('inserted', 'updated')
    ON CONFLICT (order_id) DO UPDATE SET
        customer_id = EXCLUDED.customer_id,
        order_ts = EXCLUDED.order_ts,
        status = EXCLUDED.status,
        channel = EXCLUDED.channel,
        region = EXCLUDED.region,
        currency = EXCLUDED.currency,
        total_amount = EXCLUDED.total_amount,
        updated_at = EXCLUDED.updated_at,
        extras = EXCLUDED.extras,
        bronze_file_id = EXCLUDED.bronze_file_id,
        source_line = EXCLUDED.source_line,
        loaded_at = EXCLUDED.loaded_at
    RETURNING 1
),
dirty AS (
    INSERT INTO ops.dirty_days (mart, day)
    SELECT DISTINCT 'mart_daily_revenue', touched.day
    FROM classified c
    CROSS JOIN LATERAL (VALUES
        ((c.order_ts AT TIME ZONE 'UTC')::date),
        ((c.previous_order_ts AT TIME ZONE 'UTC')::date)
    ) AS touched (day)
    WHERE c.outcome IN ('inserted', 'updated') AND touched.day IS NOT NULL
    ON CONFLICT DO NOTHING
    RETURNING 1
)
SELECT
    (SELECT count(*) FROM classified WHERE outcome = 'inserted') AS inserted,
    (SELECT count(*) FROM classified WHERE outcome = 'updated') AS updated,
    (SELECT count(*) FROM classified WHERE outcome = 'unchanged')
        + (SELECT count(*) FROM superseded WHERE outcome = 'unchanged') AS unchanged,
    (SELECT count(*) FROM classified WHERE outcome = 'stale')
        + (SELECT count(*) FROM superseded WHERE outcome = 'stale') AS stale,
    (SELECT count(*) FROM applied) AS applied,
    (SELECT count(*) FROM dirty) AS dirty_days
