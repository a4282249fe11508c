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
-- Set-based, and no order is scanned: baskets (each customer's distinct products of kept
-- orders) come from the summary mart's products_bought. The ranking depends on a customer's
-- segment and basket only, so it is computed once per profile (a distinct segment and basket,
-- grouped by hashing and keeping its customers) and every customer of the profile gets its
-- rows; the offer, channel, cadence, action and status are per customer. Buyers and pair counts
-- per segment come in one pass over each profile's basket (every product with itself and with
-- each later one, the pair put in number order), read both ways. For the per-profile ranking,
-- b can only be in the top N if it is among the first N + (products bought - 1) entries of some
-- anchor's list (every unbought product ahead of b in that list scores at least as well, and
-- the rest of those ahead were bought); each list is kept as arrays, so a profile's candidates
-- are slices of its anchors' lists filtered against its own basket. Popularity likewise needs
-- only the segment's first N + (products bought) entries. Products and segments are numbered
-- so the large sorts and hashes compare integers; ties on a number follow the id's order.
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
-- Channel: the customer's enabled customer-scope preference, else the enabled segment-scope
-- preference of their segment, else silver.customers.preferred_channel (current row) when it is
-- email, sms or push, else email. Several enabled preferences at one level: the customer's
-- preferred channel first, then email, sms, push (as reminders.reminder_candidates orders them).
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
-- One row, said so with LIMIT: an unanalysed temporary table would otherwise be guessed at a
-- thousand rows, multiplying every estimate it joins.
params AS (
    SELECT as_of_date FROM gold_params LIMIT 1
),
products AS (
    -- Every product's latest version (anchors may be products no longer sold), numbered so the
    -- large hashes below compare integers.
    SELECT row_number() OVER (ORDER BY product_id)::integer AS product, latest.*
    FROM (
        SELECT DISTINCT ON (product_id)
            product_id, coalesce(name, product_id) AS name,
            is_current AND active IS NOT FALSE AS recommendable
        FROM silver.products
        ORDER BY product_id, is_current DESC, valid_from DESC
    ) AS latest
),
-- Customers of one segment and one basket share a profile, and the ranking is computed once per
-- profile. Grouped on the basket's hash first (profile numbers are internal and only join): the
-- grouping sort then compares integers, and two baskets only where their hashes are equal. Each
-- profile keeps its customers, so its rows reach them without matching baskets again.
baskets AS (
    SELECT
        segment, products_bought, count(*)::integer AS customers,
        array_agg(customer_id) AS customer_ids
    FROM loyalty.mart_customer_summary
    GROUP BY segment, hash_array(products_bought), products_bought
),
segments AS (
    SELECT
        segment, row_number() OVER (ORDER BY segment)::integer AS seg,
        CASE segment
            WHEN 'champions' THEN 'champions'
            WHEN 'loyal' THEN 'loyal customers'
            WHEN 'potential_loyalist' THEN 'potential loyalists'
            WHEN 'new' THEN 'new customers'
            WHEN 'at_risk' THEN 'at-risk customers'
            WHEN 'cannot_lose' THEN 'cannot-lose customers'
            WHEN 'hibernating' THEN 'hibernating customers'
            ELSE 'lost customers'
        END AS segment_label
    FROM (SELECT DISTINCT segment FROM baskets) AS s
),
-- Product numbers by product_id, to translate baskets without a join per basket.
product_numbers AS (
    SELECT jsonb_object_agg(product_id, product) AS numbers FROM products
),
-- The profile's basket as product numbers (products unknown to silver.products dropped: no
-- anchor, no candidate, in no pair or popularity count; docs/loyalty_scoring.md, "Products
-- missing from the catalogue").
profiles AS (
    SELECT
        row_number() OVER ()::integer AS profile, b.segment, g.seg, g.segment_label,
        b.customers, b.customer_ids,
        ARRAY(
            SELECT (n.numbers ->> u.product_id)::integer
            FROM unnest(b.products_bought) AS u (product_id)
            WHERE n.numbers ? u.product_id
        ) AS products
    FROM baskets b
    JOIN segments g ON g.segment = b.segment
    CROSS JOIN product_numbers n
),
-- In one pass over the baskets: each product paired with itself (x = y: its buyers) and with
-- every later product of the basket (x < y: each unordered pair once, its co-buyers), the pair
-- put in number order so the order a basket lists its products in does not matter.
counts AS (
    SELECT
        b.seg, least(x.product, y.product) AS x, greatest(x.product, y.product) AS y,
        sum(b.customers) AS customers
    FROM profiles b
    CROSS JOIN LATERAL unnest(b.products) WITH ORDINALITY AS x (product, i)
    CROSS JOIN LATERAL unnest(b.products[x.i:]) AS y (product)
    GROUP BY 1, 2, 3
),
-- Co-buying is symmetric: each pair read both ways.
pair_buyers AS (
    SELECT seg, x AS anchor, y AS product, customers AS co_buyers FROM counts WHERE x < y
    UNION ALL
    SELECT seg, y, x, customers FROM counts WHERE x < y
),
-- Scores are kept in basis points (1/10000) while ranking: integers compare fast, and the
-- published score is exactly points / 10000.
affinities AS (
    SELECT
        pr.seg, pr.anchor, pr.product, pr.co_buyers, ap.points,
        row_number() OVER (
            PARTITION BY pr.seg, pr.anchor ORDER BY ap.points DESC, pr.product
        ) AS position
    FROM pair_buyers pr
    JOIN counts pb ON pb.seg = pr.seg AND pb.x = pr.anchor AND pb.y = pr.anchor
    JOIN products p ON p.product = pr.product AND p.recommendable
    CROSS JOIN LATERAL (
        SELECT round(pr.co_buyers * 10000.0 / pb.customers)::integer AS points
    ) AS ap
    CROSS JOIN settings st
    WHERE pr.co_buyers >= st.min_co_buyers
),
-- Each anchor's list as arrays in list order, under one integer key for segment and anchor so
-- a basket's anchors find exactly their lists by hashing.
anchor_lists AS (
    SELECT
        (seg::bigint << 32) + anchor AS list_key,
        array_agg(product ORDER BY position) AS products,
        array_agg(points ORDER BY position) AS points,
        array_agg(co_buyers ORDER BY position) AS co_buyers
    FROM affinities
    GROUP BY seg, anchor
),
-- Each profile's candidates: b can only be in a profile's top N if it is among the first
-- N + (products bought - 1) entries of some anchor's list (every unbought product ahead of b in
-- that list scores at least as well, and the rest of those ahead were bought), so a profile's
-- candidates are slices of its anchors' lists filtered against its own basket. Unnested in the
-- select list, so the slices stream instead of being collected per anchor first.
anchored AS (
    SELECT
        b.profile, b.products AS basket, a.anchor,
        unnest(l.products[1:r.reach]) AS product,
        unnest(l.points[1:r.reach]) AS points,
        unnest(l.co_buyers[1:r.reach]) AS co_buyers
    FROM profiles b
    CROSS JOIN settings st
    CROSS JOIN LATERAL unnest(b.products) AS a (anchor)
    JOIN anchor_lists l ON l.list_key = (b.seg::bigint << 32) + a.anchor
    CROSS JOIN LATERAL (
        SELECT st.recommendations_per_customer + cardinality(b.products) - 1 AS reach
    ) AS r
),
-- A product reached from several anchors keeps its best (then more co-buyers, then the lower
-- anchor), and each profile keeps its top N.
co_purchase AS (
    SELECT ranked.*
    FROM (
        SELECT
            cp.*,
            row_number() OVER (PARTITION BY cp.profile ORDER BY cp.points DESC, cp.product)
                AS rank
        FROM (
            SELECT DISTINCT ON (x.profile, x.product) x.profile, x.product, x.points, x.anchor
            FROM anchored x
            WHERE x.product <> ALL (x.basket)
            ORDER BY x.profile, x.product, x.points DESC, x.co_buyers DESC, x.anchor
        ) AS cp
    ) AS ranked
    CROSS JOIN settings st
    WHERE ranked.rank <= st.recommendations_per_customer
),
popularity_lists AS (
    SELECT
        pb.seg,
        array_agg(pb.x ORDER BY sp.points DESC, pb.x) AS products,
        array_agg(sp.points ORDER BY sp.points DESC, pb.x) AS points
    FROM counts pb
    JOIN segments g ON g.seg = pb.seg
    JOIN (SELECT segment, sum(customers) AS customers FROM baskets GROUP BY segment) AS ss
        ON ss.segment = g.segment
    JOIN products p ON p.product = pb.x AND p.recommendable
    CROSS JOIN LATERAL (
        SELECT round(pb.customers * 10000.0 / ss.customers)::integer AS points
    ) AS sp
    WHERE pb.x = pb.y
    GROUP BY pb.seg
),
-- Only profiles with fewer co-purchase candidates than places need the fallback, ranked after
-- every co-purchase candidate; the segment's first N + (products bought) entries suffice.
short AS (
    SELECT b.profile, b.seg, b.products, coalesce(f.products, '{}') AS found
    FROM profiles b
    LEFT JOIN (
        SELECT profile, array_agg(product) AS products FROM co_purchase GROUP BY profile
    ) AS f ON f.profile = b.profile
    CROSS JOIN settings st
    WHERE coalesce(cardinality(f.products), 0) < st.recommendations_per_customer
),
popular AS (
    SELECT
        s.profile, u.product, u.points,
        cardinality(s.found) + row_number() OVER (
            PARTITION BY s.profile ORDER BY u.points DESC, u.product
        ) AS rank
    FROM short s
    CROSS JOIN settings st
    JOIN popularity_lists l ON l.seg = s.seg
    CROSS JOIN LATERAL (
        SELECT st.recommendations_per_customer + cardinality(s.products) AS reach
    ) AS r
    CROSS JOIN LATERAL unnest(l.products[1:r.reach], l.points[1:r.reach]) AS u (product, points)
    WHERE u.product <> ALL (s.products) AND u.product <> ALL (s.found)
),
candidates AS (
    SELECT profile, product, points, 'co_purchase' AS basis, anchor, rank
    FROM co_purchase
    UNION ALL
    SELECT profile, product, points, 'segment_popularity', NULL, rank
    FROM popular
),
-- Each profile's published recommendations, everything that follows from segment and basket.
published AS (
    SELECT
        b.customer_ids, p.product_id, p.name AS product_name, c.points, c.basis,
        anchor.product_id AS anchor_id, c.rank,
        CASE c.basis
            WHEN 'co_purchase' THEN format(
                'Bought by %s%% of %s who bought %s',
                round(c.points / 100.0), b.segment_label, anchor.name)
            ELSE format(
                'Popular with %s: bought by %s%% of them (fallback: no co-purchase signal)',
                b.segment_label, round(c.points / 100.0))
        END AS reason
    FROM candidates c
    CROSS JOIN settings st
    JOIN profiles b ON b.profile = c.profile
    JOIN products p ON p.product = c.product
    LEFT JOIN products anchor ON anchor.product = c.anchor
    WHERE c.rank <= st.recommendations_per_customer
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
-- Per customer: the offer, cadence, recency and channel.
customer_offers AS (
    SELECT
        s.customer_id, s.segment,
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
        pa.as_of_date - (s.last_order_at AT TIME ZONE 'UTC')::date AS recency_days,
        coalesce(cc.channel, sc.channel, k.preferred_channel, 'email') AS channel,
        pa.as_of_date
    FROM loyalty.mart_customer_summary s
    CROSS JOIN settings st
    CROSS JOIN params pa
    LEFT JOIN preferred k ON k.customer_id = s.customer_id
    LEFT JOIN customer_channels cc ON cc.customer_id = s.customer_id
    LEFT JOIN segment_channels sc
        ON sc.segment = s.segment
        AND sc.preferred_channel IS NOT DISTINCT FROM k.preferred_channel
)
SELECT
    c.customer_id,
    r.product_id,
    r.rank::smallint AS rank,
    c.segment,
    r.product_name,
    (r.points / 10000.0)::numeric(8, 4) AS score,
    r.basis,
    r.anchor_id AS anchor_product_id,
    r.reason,
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
FROM published r
CROSS JOIN LATERAL unnest(r.customer_ids) AS m (customer_id)
JOIN customer_offers c ON c.customer_id = m.customer_id
LEFT JOIN outbox o ON o.customer_id = c.customer_id AND o.product_id = r.product_id
-- In key order, so publishing appends to the primary key's index instead of scattering.
ORDER BY c.customer_id, r.product_id
