-- Typed orders of the staged file, each with the first rule it breaks (NULL when valid).
CREATE TEMP TABLE checked_orders ON COMMIT DROP AS
WITH typed AS (
    SELECT
        s.line_number,
        s.raw,
        s.extras,
        nullif(btrim(s.order_id), '') AS order_id,
        nullif(btrim(s.customer_id), '') AS customer_id,
        nullif(btrim(s.order_date), '') AS order_date_text,
        silver.try_timestamptz(nullif(btrim(s.order_date), '')) AS order_ts,
        lower(nullif(btrim(s.status), '')) AS status,
        lower(nullif(btrim(s.channel), '')) AS channel,
        lower(nullif(btrim(s.region), '')) AS region,
        upper(nullif(btrim(s.currency), '')) AS currency,
        nullif(btrim(s.total_amount), '') AS total_amount_text,
        CASE WHEN btrim(s.total_amount) ~ '^-?[0-9]{1,12}(\.[0-9]{1,2})?$'
             THEN btrim(s.total_amount)::numeric(14, 2) END AS total_amount,
        nullif(btrim(s.updated_at), '') AS updated_at_text,
        silver.try_timestamptz(nullif(btrim(s.updated_at), '')) AS updated_at
    FROM stage_orders s
)
SELECT t.*, broken.rule, broken.message
FROM typed t
LEFT JOIN LATERAL (
    SELECT v.rule, v.message
    FROM (VALUES
        (1, t.order_id IS NULL, 'MISSING_REQUIRED', 'order_id is empty'),
        (2, t.customer_id IS NULL, 'MISSING_REQUIRED', 'customer_id is empty'),
        (3, t.order_date_text IS NULL, 'MISSING_REQUIRED', 'order_date is empty'),
        (4, t.order_ts IS NULL AND t.order_date_text IS NOT NULL, 'BAD_TIMESTAMP',
            'order_date is not a timestamp: ' || t.order_date_text),
        (5, t.updated_at_text IS NULL, 'MISSING_REQUIRED', 'updated_at is empty'),
        (6, t.updated_at IS NULL AND t.updated_at_text IS NOT NULL, 'BAD_TIMESTAMP',
            'updated_at is not a timestamp: ' || t.updated_at_text),
        (7, t.total_amount_text IS NULL, 'MISSING_REQUIRED', 'total_amount is empty'),
        (8, t.total_amount IS NULL AND t.total_amount_text IS NOT NULL, 'BAD_NUMBER',
            'total_amount is not a decimal amount: ' || t.total_amount_text),
        (9, t.status IS NULL OR t.channel IS NULL OR t.region IS NULL, 'MISSING_REQUIRED',
            'status, channel and region are required'),
        (10, t.currency IS DISTINCT FROM $1::text, 'UNSUPPORTED_CURRENCY',
            'currency ' || coalesce(t.currency, '(empty)') || ' has no FX rate to ' || $1::text)
    ) AS v (priority, is_broken, rule, message)
    WHERE v.is_broken
    ORDER BY v.priority
    LIMIT 1
) AS broken ON true
