-- reminders.reminder_candidates: customers due a reminder as of the data date, from
-- loyalty.mart_customer_summary (segment, last kept order, median repurchase interval), the
-- reminder preferences and the customer's current silver row. docs/reminders.md explains it.
--
-- Which preference applies: the most specific level that has any preference decides.
--   1. The customer has customer-scope preferences: the enabled one applies (several enabled:
--      the customer's preferred channel first, then email, sms, push); all disabled means the
--      customer turned reminders off: no candidate, whatever their segment says.
--   2. Otherwise their segment has preferences: the enabled one applies (same order); all
--      disabled means reminders are off for the segment: no candidate.
--   3. Otherwise no preference: the cadence is the customer's repurchase interval (the median
--      gap between kept orders, rounded to whole days, clamped to 7..90 days), or 30 days for
--      customers with a single kept order.
-- Customers whose current silver row says marketing_opt_in = false are left out (unknown is
-- not a refusal). last_order_at is the last kept order: a later cancelled or returned order
-- does not move it. A customer is due once its UTC date + cadence <= as_of_date; the reminder
-- then repeats every cadence, so the window is the cadence period as_of_date is in.
WITH customer_level AS (
    SELECT
        s.customer_id, s.segment, s.last_order_at, s.repurchase_interval_days,
        nullif(c.timezone, '') AS customer_timezone, c.marketing_opt_in,
        CASE WHEN c.preferred_channel IN ('email', 'sms', 'push')
             THEN c.preferred_channel END AS preferred_channel
    FROM loyalty.mart_customer_summary s
    LEFT JOIN silver.customers c ON c.customer_id = s.customer_id AND c.is_current
    WHERE s.last_order_at IS NOT NULL
),
with_preferences AS (
    SELECT
        l.*,
        EXISTS (
            SELECT 1 FROM reminders.reminder_preferences p
            WHERE p.scope = 'customer' AND p.customer_id = l.customer_id
        ) AS customer_configured,
        EXISTS (
            SELECT 1 FROM reminders.reminder_preferences p
            WHERE p.scope = 'segment' AND p.segment = l.segment
        ) AS segment_configured,
        cp.preference_id AS customer_preference_id, cp.channel AS customer_channel,
        cp.cadence_days AS customer_cadence, cp.timezone AS customer_preference_timezone,
        cp.quiet_hours_start AS customer_quiet_start, cp.quiet_hours_end AS customer_quiet_end,
        sp.preference_id AS segment_preference_id, sp.channel AS segment_channel,
        sp.cadence_days AS segment_cadence, sp.timezone AS segment_preference_timezone,
        sp.quiet_hours_start AS segment_quiet_start, sp.quiet_hours_end AS segment_quiet_end
    FROM customer_level l
    LEFT JOIN LATERAL (
        SELECT p.* FROM reminders.reminder_preferences p
        WHERE p.scope = 'customer' AND p.customer_id = l.customer_id AND p.enabled
        ORDER BY p.channel IS NOT DISTINCT FROM l.preferred_channel DESC,
                 array_position(ARRAY['email', 'sms', 'push'], p.channel), p.preference_id
        LIMIT 1
    ) cp ON true
    LEFT JOIN LATERAL (
        SELECT p.* FROM reminders.reminder_preferences p
        WHERE p.scope = 'segment' AND p.segment = l.segment AND p.enabled
        ORDER BY p.channel IS NOT DISTINCT FROM l.preferred_channel DESC,
                 array_position(ARRAY['email', 'sms', 'push'], p.channel), p.preference_id
        LIMIT 1
    ) sp ON true
),
cadenced AS (
    SELECT
        w.*,
        CASE
            WHEN w.customer_configured THEN 'customer_preference'
            WHEN w.segment_configured THEN 'segment_preference'
            WHEN w.repurchase_interval_days IS NOT NULL THEN 'repurchase_interval'
            ELSE 'default'
        END AS cadence_source,
        CASE
            WHEN w.customer_configured THEN w.customer_cadence
            WHEN w.segment_configured THEN w.segment_cadence
            WHEN w.repurchase_interval_days IS NOT NULL
                THEN least(greatest(round(w.repurchase_interval_days), 7), 90)::smallint
            ELSE 30::smallint
        END AS cadence_days,
        (w.last_order_at AT TIME ZONE 'UTC')::date AS last_order_date
    FROM with_preferences w
    WHERE w.marketing_opt_in IS DISTINCT FROM false
      -- A configured level with nothing enabled is an opt-out at that level.
      AND NOT (w.customer_configured AND w.customer_preference_id IS NULL)
      AND NOT (NOT w.customer_configured AND w.segment_configured
               AND w.segment_preference_id IS NULL)
),
due AS (
    SELECT
        c.*,
        c.last_order_date + c.cadence_days AS due_date,
        g.as_of_date - (c.last_order_date + c.cadence_days) AS days_overdue,
        g.as_of_date
    FROM cadenced c
    CROSS JOIN gold_params g
    WHERE c.last_order_date + c.cadence_days <= g.as_of_date
)
SELECT
    d.customer_id,
    d.segment,
    coalesce(d.customer_channel, d.segment_channel, d.preferred_channel, 'email') AS channel,
    d.cadence_days,
    d.cadence_source,
    coalesce(d.customer_preference_id, d.segment_preference_id) AS preference_id,
    d.last_order_at,
    d.due_date,
    d.days_overdue,
    d.due_date + (d.days_overdue / d.cadence_days) * d.cadence_days AS window_start,
    to_char(d.due_date + (d.days_overdue / d.cadence_days) * d.cadence_days, 'YYYY-MM-DD')
        || '/' || d.cadence_days || 'd' AS cadence_window,
    coalesce(d.customer_preference_timezone, d.segment_preference_timezone,
             d.customer_timezone, 'UTC') AS timezone,
    -- Start and end come from the applying preference (set together or not at all there).
    CASE WHEN d.customer_preference_id IS NOT NULL THEN d.customer_quiet_start
         ELSE d.segment_quiet_start END AS quiet_hours_start,
    CASE WHEN d.customer_preference_id IS NOT NULL THEN d.customer_quiet_end
         ELSE d.segment_quiet_end END AS quiet_hours_end,
    d.as_of_date,
    now() AS refreshed_at
FROM due d
