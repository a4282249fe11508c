-- The per-customer half of loyalty.mart_loyalty_recommendations, one row per customer of
-- loyalty.mart_customer_summary: their profile (ops.gold_profiles: a distinct segment and
-- basket, numbered by flows/gold/ranking.py) and what goes with every recommendation they get
-- (the offer, cadence, channel and next best action). The build runs it into the work table
-- ops.gold_customer_offers while Python ranks the profiles (the database would otherwise wait), and
-- the mart's SQL (mart_loyalty_recommendations.sql) gives each row its profile's list.
-- docs/loyalty_scoring.md explains every rule below.
--
-- Constants (CTE `settings`, same names in the doc):
--   CADENCE_MIN_DAYS = 7, CADENCE_MAX_DAYS = 90, CADENCE_DEFAULT_DAYS = 30
-- Discount tiers by segment: champions, loyal -> loyal_10 (10 %); at_risk, cannot_lose ->
-- winback_15 (15 %); potential_loyalist, hibernating, lost -> standard_5 (5 %); new -> none (0).
-- Next best action, first match: at_risk, cannot_lose, hibernating, lost -> winback_offer;
-- new -> welcome_series; recency_days >= reminder_cadence_days -> replenish_reminder;
-- otherwise cross_sell.
-- Channel: the customer's enabled customer-scope preference, else the enabled segment-scope
-- preference of their segment, else silver.customers.preferred_channel (current row) when it is
-- email, sms or push, else email. Several enabled preferences at one level: the customer's
-- preferred channel first, then email, sms, push (as reminders.reminder_candidates orders them).
WITH settings AS (
    SELECT
        7 AS cadence_min_days,
        90 AS cadence_max_days,
        30 AS cadence_default_days
),
-- One row, said so with LIMIT: an unanalysed temporary table would otherwise be guessed at a
-- thousand rows, multiplying every estimate it joins.
params AS (
    SELECT as_of_date FROM gold_params LIMIT 1
),
-- A customer's preferred channel (current silver.customers row) when it is one we send on.
preferred AS (
    SELECT
        customer_id,
        CASE WHEN preferred_channel IN ('email', 'sms', 'push') THEN preferred_channel END
            AS preferred_channel
    FROM silver.customers
    WHERE is_current
),
-- Several enabled preferences at one level: the customer's preferred channel decides, then
-- email, sms, push, in the order reminders.reminder_candidates uses, so both marts name the
-- same channel.
customer_channels AS (
    SELECT DISTINCT ON (p.customer_id) p.customer_id, p.channel
    FROM reminders.reminder_preferences p
    LEFT JOIN preferred k ON k.customer_id = p.customer_id
    WHERE p.scope = 'customer' AND p.enabled
    ORDER BY p.customer_id, p.channel IS NOT DISTINCT FROM k.preferred_channel DESC,
             array_position(ARRAY['email', 'sms', 'push'], p.channel), p.preference_id
),
-- A segment's channel depends on the customer's preferred channel only: one choice per
-- segment and preferred channel (or none), not per customer.
segment_channels AS (
    SELECT DISTINCT ON (p.segment, k.preferred_channel) p.segment, k.preferred_channel, p.channel
    FROM reminders.reminder_preferences p
    CROSS JOIN (VALUES ('email'), ('sms'), ('push'), (NULL)) AS k (preferred_channel)
    WHERE p.scope = 'segment' AND p.enabled
    ORDER BY p.segment, k.preferred_channel, p.channel IS NOT DISTINCT FROM k.preferred_channel DESC,
             array_position(ARRAY['email', 'sms', 'push'], p.channel), p.preference_id
)
-- Per customer: their profile, the offer, cadence, channel and next best action.
SELECT
    s.customer_id, s.segment, f.profile, o.discount_tier,
    CASE o.discount_tier
        WHEN 'loyal_10' THEN 10 WHEN 'winback_15' THEN 15 WHEN 'standard_5' THEN 5 ELSE 0
    END::smallint AS discount_percent,
    o.cadence_days::smallint AS cadence_days,
    coalesce(cc.channel, sc.channel, k.preferred_channel, 'email') AS channel,
    CASE
        WHEN s.segment IN ('at_risk', 'cannot_lose', 'hibernating', 'lost')
            THEN 'winback_offer'
        WHEN s.segment = 'new' THEN 'welcome_series'
        -- Recency against this build's data date (the summary may predate the newest
        -- orders).
        WHEN pa.as_of_date - (s.last_order_at AT TIME ZONE 'UTC')::date >= o.cadence_days
            THEN 'replenish_reminder'
        ELSE 'cross_sell'
    END AS next_best_action,
    pa.as_of_date
FROM loyalty.mart_customer_summary s
JOIN ops.gold_profiles f
    ON f.segment = s.segment AND f.products_bought = coalesce(s.products_bought, '{}')
CROSS JOIN settings st
CROSS JOIN params pa
CROSS JOIN LATERAL (
    SELECT
        CASE
            WHEN s.segment IN ('champions', 'loyal') THEN 'loyal_10'
            WHEN s.segment IN ('at_risk', 'cannot_lose') THEN 'winback_15'
            WHEN s.segment = 'new' THEN 'none'
            ELSE 'standard_5'
        END AS discount_tier,
        least(greatest(
            coalesce(round(s.repurchase_interval_days)::integer, st.cadence_default_days),
            st.cadence_min_days), st.cadence_max_days) AS cadence_days
) AS o
LEFT JOIN preferred k ON k.customer_id = s.customer_id
LEFT JOIN customer_channels cc ON cc.customer_id = s.customer_id
LEFT JOIN segment_channels sc
    ON sc.segment = s.segment
    AND sc.preferred_channel IS NOT DISTINCT FROM k.preferred_channel
