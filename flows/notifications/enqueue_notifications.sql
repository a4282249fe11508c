-- One outbox row per due reminder candidate and cadence window: the candidate's top-ranked
-- recommended product that has no row in this window yet. A window already holding a pending,
-- sending or sent reminder for the customer gets nothing more, so running again within a window
-- adds nothing; a window whose reminder failed or was suppressed gets the next product. The
-- UNIQUE (customer_id, product_id, cadence_window) constraint settles concurrent runs.
INSERT INTO reminders.notification_outbox
    (customer_id, product_id, channel, cadence_window, payload)
SELECT
    c.customer_id,
    r.product_id,
    c.channel,
    c.cadence_window,
    jsonb_build_object(
        'template', 'replenish',
        'product_name', p.name,
        'rank', r.rank,
        'score', r.score,
        'reason', r.reason,
        'discount_tier', r.discount_tier,
        'discount_percent', r.discount_percent,
        'next_best_action', r.next_best_action,
        'segment', c.segment,
        'due_date', c.due_date,
        'cadence_days', c.cadence_days,
        'cadence_source', c.cadence_source
    )
FROM reminders.reminder_candidates c
CROSS JOIN LATERAL (
    SELECT r.product_id, r.rank, r.score, r.reason, r.discount_tier, r.discount_percent,
           r.next_best_action
    FROM loyalty.mart_loyalty_recommendations r
    WHERE r.customer_id = c.customer_id
      AND NOT EXISTS (
          SELECT 1 FROM reminders.notification_outbox o
          WHERE o.customer_id = r.customer_id AND o.product_id = r.product_id
            AND o.cadence_window = c.cadence_window
      )
    ORDER BY r.rank, r.product_id
    LIMIT 1
) r
LEFT JOIN silver.products p ON p.product_id = r.product_id AND p.is_current
WHERE NOT EXISTS (
    SELECT 1 FROM reminders.notification_outbox o
    WHERE o.customer_id = c.customer_id AND o.cadence_window = c.cadence_window
      AND o.status IN ('pending', 'sending', 'sent')
)
ORDER BY c.customer_id
ON CONFLICT ON CONSTRAINT notification_outbox_once_per_window DO NOTHING
