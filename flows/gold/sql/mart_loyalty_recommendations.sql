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
-- flows/gold/ranking.py numbers the profiles in the work table ops.gold_profiles and ranks
-- each into ops.gold_profile_ranks (product, score in basis points (1/10000), anchor; no anchor
-- for a popularity fallback). Meanwhile loyalty_customer_offers.sql puts in
-- ops.gold_customer_offers what is per customer: the profile, offer, channel, cadence and
-- action. This query gives every customer their profile's list and its status. No temporary
-- table and no CTE read twice (a CTE scan stays in the leader), so the joins, the formatting
-- and the sort run in parallel workers (`Mart.parallel`).
--
-- RECOMMENDATIONS_PER_CUSTOMER = 3, MIN_CO_BUYERS = 2 (in flows/gold/ranking.py).
-- Status: queued when the notification outbox has a pending (or sending) row for the customer
-- and product, else notified when it has a sent one, else new.
-- Every product's latest version (anchors may be products no longer sold), for its name;
-- computed where it is joined, in each worker.
WITH products AS NOT MATERIALIZED (
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
    FROM ops.gold_profile_ranks r
    JOIN ops.gold_profiles f ON f.profile = r.profile
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
outbox AS (
    SELECT
        customer_id, product_id,
        bool_or(status IN ('pending', 'sending')) AS queued,
        bool_or(status = 'sent') AS sent
    FROM reminders.notification_outbox
    GROUP BY customer_id, product_id
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
FROM ops.gold_customer_offers c
JOIN published r ON r.profile = c.profile
LEFT JOIN outbox o ON o.customer_id = c.customer_id AND o.product_id = r.product_id
-- In key order, so publishing appends to the primary key's index instead of scattering (2.3-3.4 s
-- against 5.7 s in random order). Compared byte by byte: the ids are ASCII, where that is the
-- database's order too, and such a sort is 0.3-0.6 s faster than one through the collation.
ORDER BY c.customer_id COLLATE "C", r.product_id COLLATE "C"
