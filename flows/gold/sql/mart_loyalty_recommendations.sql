-- loyalty.mart_loyalty_recommendations, rebuilt whole: per customer of
-- loyalty.mart_customer_summary, the RECOMMENDATIONS_PER_CUSTOMER best active products they have
-- not bought, with the offer, reminder cadence, channel and next best action that go with them.
-- docs/loyalty_scoring.md explains every rule below.
--
-- Affinity (item-to-item, within the customer's segment S, over kept orders: neither
-- cancelled, returned nor deleted):
--   confidence(a -> b) = customers of S who bought a and b / customers of S who bought a
--   score(customer, b) = MAX over the products a the customer bought of confidence(a -> b),
--                        rounded to 4 places; the a giving it (then the one with more co-buyers,
--                        then the lower product_id) is the anchor named in the reason.
-- A pair counts only when at least MIN_CO_BUYERS customers of S bought both, so a single
-- basket is not a signal. When a customer has fewer than RECOMMENDATIONS_PER_CUSTOMER
-- co-purchase candidates, the rest are filled by segment popularity (share of S who bought b),
-- ranked after every co-purchase candidate and said so in the reason. Ties: score desc, then
-- product_id. Candidates are active products only (current version, active not false).
--
-- The ranking depends on a customer's segment and basket (the summary's products_bought) only,
-- so it is computed once per profile (a distinct segment and basket) before this query runs:
-- flows/gold/ranking.py numbers the profiles in the temporary table gold_profiles and ranks
-- each into gold_profile_ranks (product, score in basis points (1/10000), anchor; no anchor for
-- a popularity fallback). This query gives every customer their profile's list and adds what is
-- per customer: the offer, channel, cadence, action and status.
--
-- Constants (CTE `settings`, same names in the doc):
--   RECOMMENDATIONS_PER_CUSTOMER = 3, MIN_CO_BUYERS = 2 (in flows/gold/ranking.py)
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
-- Status: queued when the notification outbox has a pending (or sending) row for the customer
-- and product, else notified when it has a sent one, else new.
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
-- Every product's latest version (anchors may be products no longer sold), for its name.
products AS (
    SELECT DISTINCT ON (product_id) product_id, coalesce(name, product_id) AS name
    FROM silver.products
    ORDER BY product_id, is_current DESC, valid_from DESC
),
-- Each profile's published recommendations, everything that follows from segment and basket.
published AS (
    SELECT
        r.profile, r.product_id, r.rank, p.name AS product_name,
        (r.points / 10000.0)::numeric(8, 4) AS score,
        CASE WHEN r.anchor_product_id IS NULL THEN 'segment_popularity' ELSE 'co_purchase' END
            AS basis,
        r.anchor_product_id,
        CASE WHEN r.anchor_product_id IS NOT NULL THEN format(
                'Bought by %s%% of %s who bought %s',
                round(r.points / 100.0), g.label, anchor.name)
            ELSE format(
                'Popular with %s: bought by %s%% of them (fallback: no co-purchase signal)',
                g.label, round(r.points / 100.0))
        END AS reason
    FROM gold_profile_ranks r
    JOIN gold_profiles f ON f.profile = r.profile
    CROSS JOIN LATERAL (
        SELECT CASE f.segment
            WHEN 'champions' THEN 'champions'
            WHEN 'loyal' THEN 'loyal customers'
            WHEN 'potential_loyalist' THEN 'potential loyalists'
            WHEN 'new' THEN 'new customers'
            WHEN 'at_risk' THEN 'at-risk customers'
            WHEN 'cannot_lose' THEN 'cannot-lose customers'
            WHEN 'hibernating' THEN 'hibernating customers'
            ELSE 'lost customers'
        END AS label
    ) AS g
    JOIN products p ON p.product_id = r.product_id
    LEFT JOIN products anchor ON anchor.product_id = r.anchor_product_id
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
),
outbox AS (
    SELECT
        customer_id, product_id,
        bool_or(status IN ('pending', 'sending')) AS queued,
        bool_or(status = 'sent') AS sent
    FROM reminders.notification_outbox
    GROUP BY customer_id, product_id
),
-- Per customer: their profile, the offer, cadence, channel and next best action.
customer_offers AS (
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
    JOIN gold_profiles f
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
)
SELECT
    c.customer_id,
    r.product_id,
    r.rank,
    c.segment,
    r.product_name,
    r.score,
    r.basis,
    r.anchor_product_id,
    r.reason,
    c.discount_tier,
    c.discount_percent,
    c.cadence_days AS reminder_cadence_days,
    c.channel,
    c.next_best_action,
    CASE WHEN o.queued THEN 'queued' WHEN o.sent THEN 'notified' ELSE 'new' END AS status,
    c.as_of_date,
    now() AS refreshed_at
FROM customer_offers c
JOIN published r ON r.profile = c.profile
LEFT JOIN outbox o ON o.customer_id = c.customer_id AND o.product_id = r.product_id
-- In key order, so publishing appends to the primary key's index instead of scattering (2.3-3.4 s
-- against 5.7 s in random order). Compared byte by byte: the ids are ASCII, where that is the
-- database's order too, and such a sort is 0.3-0.6 s faster than one through the collation.
ORDER BY c.customer_id COLLATE "C", r.product_id COLLATE "C"
