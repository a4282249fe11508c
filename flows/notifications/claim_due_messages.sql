-- Claim up to $2 due outbox messages for one dispatcher at $1: pending ones whose next attempt
-- has come, and sending ones whose lease ran out (their dispatcher died mid-delivery). Rows
-- another dispatcher holds are skipped, not waited for. A claimed row becomes 'sending', and its
-- next_attempt_at becomes the end of the lease ($3 seconds). Each row comes back with what decides
-- its fate at send time: the preference that applies to its channel (the customer's own, else
-- its segment's), whether the customer switched off every preference of their own, and their
-- marketing opt-in in silver.
WITH due AS (
    SELECT id FROM reminders.notification_outbox
    WHERE status IN ('pending', 'sending') AND next_attempt_at <= $1
    ORDER BY next_attempt_at, id
    LIMIT $2
    FOR UPDATE SKIP LOCKED
),
claimed AS (
    UPDATE reminders.notification_outbox o
    SET status = 'sending', claimed_at = $1, next_attempt_at = $1 + make_interval(secs => $3)
    FROM due
    WHERE o.id = due.id
    RETURNING o.id, o.customer_id, o.product_id, o.channel, o.cadence_window, o.attempts,
              o.payload
)
SELECT
    c.*,
    pref.enabled AS preference_enabled,
    pref.quiet_hours_start,
    pref.quiet_hours_end,
    pref.timezone,
    (EXISTS (
        SELECT 1 FROM reminders.reminder_preferences p
        WHERE p.scope = 'customer' AND p.customer_id = c.customer_id
    ) AND NOT EXISTS (
        SELECT 1 FROM reminders.reminder_preferences p
        WHERE p.scope = 'customer' AND p.customer_id = c.customer_id AND p.enabled
    )) AS customer_opted_out,
    customer.marketing_opt_in
FROM claimed c
LEFT JOIN LATERAL (
    SELECT p.enabled, p.quiet_hours_start, p.quiet_hours_end, p.timezone
    FROM reminders.reminder_preferences p
    WHERE p.channel = c.channel
      AND ((p.scope = 'customer' AND p.customer_id = c.customer_id)
           OR (p.scope = 'segment' AND p.segment = c.payload ->> 'segment'))
    ORDER BY p.scope = 'customer' DESC
    LIMIT 1
) pref ON true
LEFT JOIN silver.customers customer
    ON customer.customer_id = c.customer_id AND customer.is_current
ORDER BY c.id
