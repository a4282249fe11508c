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
-- Set-based throughout: pair counts per segment come from one self-join of the distinct
-- (customer, product) set. For the per-customer ranking, b can only be in a customer's top N if
-- it is among the first N + (products the customer bought - 1) entries of some anchor's list
-- (every unbought product ahead of b in that list scores at least as well, and the rest of
-- those ahead were bought), so only those entries are joined. Popularity likewise needs only the
-- segment's first N + (products bought) entries.
--
-- Constants (CTE `settings`, same names in the doc):
--   RECOMMENDATIONS_PER_CUSTOMER = 3
--   MIN_CO_BUYERS                = 2
--   CADENCE_MIN_DAYS = 7, CADENCE_MAX_DAYS = 90, CADENCE_DEFAULT_DAYS = 30
-- Discount tiers by segment: champions, loyal -> loyal_10 (10 %); at_risk, cannot_lose ->
-- winback_15 (15 %); potential_loyalist, hibernating, lost -> standard_5 (5 %); new -> none (0).
-- Next best action, first match: at_risk, cannot_lose, hibernating, lost -> winback_offer;
-- new -> welcome_series; recency_days >= reminder_cadence_days -> replenish_reminder;
-- otherwise cross_sell.
-- Channel: the customer's enabled customer-scope preference (latest updated_at, then channel),
-- else the enabled segment-scope preference of their segment (same order), else
-- silver.customers.preferred_channel (current row) when it is email, sms or push, else email.
-- Status: queued when the notification outbox has a pending (or sending) row for the customer
-- and product, else notified when it has a sent one, else new.
WITH settings AS (
    SELECT
        3 AS recommendations_per_customer,
        2 AS min_co_buyers,
        7 AS cadence_min_days,
        90 AS cadence_max_days,
        30 AS cadence_default_days
),
products AS (
    -- Every product's latest version: anchors may be products no longer sold.
    SELECT DISTINCT ON (product_id)
        product_id, coalesce(name, product_id) AS name,
        is_current AND active IS NOT FALSE AS recommendable
    FROM silver.products
    ORDER BY product_id, is_current DESC, valid_from DESC
),
bought AS (
    SELECT DISTINCT c.segment, o.customer_id, i.product_id
    FROM loyalty.mart_customer_summary c
    JOIN silver.orders o ON o.customer_id = c.customer_id
    JOIN silver.order_items i ON i.order_id = o.order_id
    WHERE o.deleted_at IS NULL AND o.status NOT IN ('cancelled', 'returned')
),
basket_sizes AS (
    SELECT customer_id, count(*) AS products FROM bought GROUP BY customer_id
),
product_buyers AS (
    SELECT segment, product_id, count(*) AS buyers FROM bought GROUP BY segment, product_id
),
segment_sizes AS (
    SELECT segment, count(*) AS customers FROM loyalty.mart_customer_summary GROUP BY segment
),
pair_buyers AS (
    SELECT a.segment, a.product_id AS anchor_id, b.product_id, count(*) AS co_buyers
    FROM bought a
    JOIN bought b ON b.customer_id = a.customer_id AND b.product_id <> a.product_id
    JOIN products p ON p.product_id = b.product_id AND p.recommendable
    GROUP BY a.segment, a.product_id, b.product_id
),
affinities AS (
    SELECT
        pr.segment, pr.anchor_id, pr.product_id, pr.co_buyers,
        round(pr.co_buyers::numeric / pb.buyers, 4) AS confidence,
        row_number() OVER (
            PARTITION BY pr.segment, pr.anchor_id
            ORDER BY round(pr.co_buyers::numeric / pb.buyers, 4) DESC, pr.product_id
        ) AS position
    FROM pair_buyers pr
    JOIN product_buyers pb ON pb.segment = pr.segment AND pb.product_id = pr.anchor_id
    CROSS JOIN settings st
    WHERE pr.co_buyers >= st.min_co_buyers
),
co_purchase AS (
    SELECT DISTINCT ON (b.customer_id, a.product_id)
        b.customer_id, a.product_id, a.confidence AS score, a.anchor_id
    FROM bought b
    JOIN basket_sizes bs ON bs.customer_id = b.customer_id
    CROSS JOIN settings st
    JOIN affinities a
        ON a.segment = b.segment AND a.anchor_id = b.product_id
       AND a.position <= st.recommendations_per_customer + bs.products - 1
    WHERE NOT EXISTS (
        SELECT 1 FROM bought x WHERE x.customer_id = b.customer_id AND x.product_id = a.product_id
    )
    ORDER BY b.customer_id, a.product_id, a.confidence DESC, a.co_buyers DESC, a.anchor_id
),
popularity AS (
    SELECT
        pb.segment, pb.product_id,
        round(pb.buyers::numeric / ss.customers, 4) AS share,
        row_number() OVER (
            PARTITION BY pb.segment
            ORDER BY round(pb.buyers::numeric / ss.customers, 4) DESC, pb.product_id
        ) AS position
    FROM product_buyers pb
    JOIN segment_sizes ss ON ss.segment = pb.segment
    JOIN products p ON p.product_id = pb.product_id AND p.recommendable
),
popular AS (
    SELECT c.customer_id, pop.product_id, pop.share AS score
    FROM loyalty.mart_customer_summary c
    LEFT JOIN basket_sizes bs ON bs.customer_id = c.customer_id
    CROSS JOIN settings st
    JOIN popularity pop
        ON pop.segment = c.segment
       AND pop.position <= st.recommendations_per_customer + coalesce(bs.products, 0)
    WHERE NOT EXISTS (
        SELECT 1 FROM bought x WHERE x.customer_id = c.customer_id AND x.product_id = pop.product_id
    )
      AND NOT EXISTS (
        SELECT 1 FROM co_purchase cp
        WHERE cp.customer_id = c.customer_id AND cp.product_id = pop.product_id
    )
),
candidates AS (
    SELECT customer_id, product_id, score, 'co_purchase' AS basis, anchor_id FROM co_purchase
    UNION ALL
    SELECT customer_id, product_id, score, 'segment_popularity', NULL FROM popular
),
ranked AS (
    SELECT
        c.*,
        row_number() OVER (
            PARTITION BY c.customer_id
            ORDER BY c.basis = 'co_purchase' DESC, c.score DESC, c.product_id
        ) AS rank
    FROM candidates c
),
customer_preferences AS (
    SELECT DISTINCT ON (customer_id) customer_id, channel
    FROM reminders.reminder_preferences
    WHERE scope = 'customer' AND enabled
    ORDER BY customer_id, updated_at DESC, channel
),
segment_preferences AS (
    SELECT DISTINCT ON (segment) segment, channel
    FROM reminders.reminder_preferences
    WHERE scope = 'segment' AND enabled
    ORDER BY segment, updated_at DESC, channel
),
outbox AS (
    SELECT
        customer_id, product_id,
        bool_or(status IN ('pending', 'sending')) AS queued,
        bool_or(status = 'sent') AS sent
    FROM reminders.notification_outbox
    GROUP BY customer_id, product_id
),
customers AS (
    SELECT
        s.customer_id, s.segment,
        CASE s.segment
            WHEN 'champions' THEN 'champions'
            WHEN 'loyal' THEN 'loyal customers'
            WHEN 'potential_loyalist' THEN 'potential loyalists'
            WHEN 'new' THEN 'new customers'
            WHEN 'at_risk' THEN 'at-risk customers'
            WHEN 'cannot_lose' THEN 'cannot-lose customers'
            WHEN 'hibernating' THEN 'hibernating customers'
            ELSE 'lost customers'
        END AS segment_label,
        CASE
            WHEN s.segment IN ('champions', 'loyal') THEN 'loyal_10'
            WHEN s.segment IN ('at_risk', 'cannot_lose') THEN 'winback_15'
            WHEN s.segment = 'new' THEN 'none'
            ELSE 'standard_5'
        END AS discount_tier,
        least(greatest(
            coalesce(round(s.repurchase_interval_days)::integer, st.cadence_default_days),
            st.cadence_min_days), st.cadence_max_days) AS cadence_days,
        -- Recency against this build's data date (the summary may predate the newest orders).
        gp.as_of_date - (s.last_order_at AT TIME ZONE 'UTC')::date AS recency_days,
        coalesce(
            cp.channel, sp.channel,
            CASE WHEN sc.preferred_channel IN ('email', 'sms', 'push') THEN sc.preferred_channel END,
            'email'
        ) AS channel,
        gp.as_of_date
    FROM loyalty.mart_customer_summary s
    CROSS JOIN settings st
    CROSS JOIN gold_params gp
    LEFT JOIN customer_preferences cp ON cp.customer_id = s.customer_id
    LEFT JOIN segment_preferences sp ON sp.segment = s.segment
    LEFT JOIN silver.customers sc ON sc.customer_id = s.customer_id AND sc.is_current
)
SELECT
    r.customer_id,
    r.product_id,
    r.rank::smallint AS rank,
    c.segment,
    p.name AS product_name,
    r.score::numeric(8, 4) AS score,
    r.basis,
    r.anchor_id AS anchor_product_id,
    CASE r.basis
        WHEN 'co_purchase' THEN format(
            'Bought by %s%% of %s who bought %s',
            round(r.score * 100), c.segment_label, anchor.name)
        ELSE format(
            'Popular with %s: bought by %s%% of them (fallback: no co-purchase signal)',
            c.segment_label, round(r.score * 100))
    END AS reason,
    c.discount_tier,
    CASE c.discount_tier
        WHEN 'loyal_10' THEN 10 WHEN 'winback_15' THEN 15 WHEN 'standard_5' THEN 5 ELSE 0
    END::smallint AS discount_percent,
    c.cadence_days::smallint AS reminder_cadence_days,
    c.channel,
    CASE
        WHEN c.segment IN ('at_risk', 'cannot_lose', 'hibernating', 'lost') THEN 'winback_offer'
        WHEN c.segment = 'new' THEN 'welcome_series'
        WHEN c.recency_days >= c.cadence_days THEN 'replenish_reminder'
        ELSE 'cross_sell'
    END AS next_best_action,
    CASE WHEN o.queued THEN 'queued' WHEN o.sent THEN 'notified' ELSE 'new' END AS status,
    c.as_of_date,
    now() AS refreshed_at
FROM ranked r
CROSS JOIN settings st
JOIN customers c ON c.customer_id = r.customer_id
JOIN products p ON p.product_id = r.product_id
LEFT JOIN products anchor ON anchor.product_id = r.anchor_id
LEFT JOIN outbox o ON o.customer_id = r.customer_id AND o.product_id = r.product_id
WHERE r.rank <= st.recommendations_per_customer
