-- loyalty.mart_customer_summary for the customers in gold_customers: RFM scores, segment, tier,
-- favourite category and repurchase rhythm, from silver.orders, silver.order_items and
-- silver.products. docs/loyalty_scoring.md explains every rule below.
--
-- Kept orders are neither cancelled nor returned; orders deleted in the back office do not exist
-- here at all. A customer whose every (undeleted) order was cancelled or returned still gets a
-- row: frequency 0, monetary 0, scores 1-1-1, segment 'lost'. A customer with only deleted
-- orders gets none.
--
-- Scores come from FIXED thresholds, never quantiles: a customer's row depends on their own
-- orders and the data date only, so rebuilding a few customers gives what a full build gives.
-- Money thresholds are in the base currency (gold_params.base_currency), sized for a shop whose
-- baskets are tens of USD-equivalent. The thresholds (CTE `thresholds`, same names in the doc):
--   RECENCY_SCORE_5_MAX_DAYS   = 14    last kept order at most 14 days before as_of_date -> R 5
--   RECENCY_SCORE_4_MAX_DAYS   = 30                                                     -> R 4
--   RECENCY_SCORE_3_MAX_DAYS   = 60                                                     -> R 3
--   RECENCY_SCORE_2_MAX_DAYS   = 120                            older (or no kept order) -> R 1
--   FREQUENCY_SCORE_5_MIN_ORDERS = 10   kept orders >= 10 -> F 5
--   FREQUENCY_SCORE_4_MIN_ORDERS = 5                 >= 5 -> F 4
--   FREQUENCY_SCORE_3_MIN_ORDERS = 3                 >= 3 -> F 3
--   FREQUENCY_SCORE_2_MIN_ORDERS = 2                 >= 2 -> F 2, else F 1
--   MONETARY_SCORE_5_MIN = 1000   monetary >= 1000 -> M 5
--   MONETARY_SCORE_4_MIN = 400             >= 400  -> M 4
--   MONETARY_SCORE_3_MIN = 150             >= 150  -> M 3
--   MONETARY_SCORE_2_MIN = 50              >= 50   -> M 2, else M 1
--   TIER_PLATINUM_MIN = 5000   lifetime_value >= 5000 -> platinum
--   TIER_GOLD_MIN     = 1000                  >= 1000 -> gold
--   TIER_SILVER_MIN   = 250                   >= 250  -> silver, else bronze
--
-- Segments, the first rule that matches (R, F, M are the scores):
--   1 lost               no kept order at all
--   2 champions          R >= 4 and F >= 4 and M >= 4
--   3 loyal              R >= 3 and F >= 3
--   4 new                R >= 4 and F = 1
--   5 potential_loyalist R >= 3
--   6 cannot_lose        F >= 4            (R <= 2 from here on)
--   7 at_risk            F >= 2
--   8 hibernating        R = 2
--   9 lost               everything else (one order, more than 120 days ago)
WITH thresholds AS (
    SELECT
        14 AS recency_score_5_max_days,
        30 AS recency_score_4_max_days,
        60 AS recency_score_3_max_days,
        120 AS recency_score_2_max_days,
        10 AS frequency_score_5_min_orders,
        5 AS frequency_score_4_min_orders,
        3 AS frequency_score_3_min_orders,
        2 AS frequency_score_2_min_orders,
        1000 AS monetary_score_5_min,
        400 AS monetary_score_4_min,
        150 AS monetary_score_3_min,
        50 AS monetary_score_2_min,
        5000 AS tier_platinum_min,
        1000 AS tier_gold_min,
        250 AS tier_silver_min
),
-- One row, said so with LIMIT: an unanalysed temporary table would otherwise be guessed at a
-- thousand rows, multiplying every estimate it joins.
params AS (
    SELECT base_currency, as_of_date FROM gold_params LIMIT 1
),
customer_orders AS (
    SELECT
        o.customer_id, o.order_id, o.order_ts, o.total_amount_base, k.kept,
        -- The gap to the customer's previous kept order (partitioning by `kept` too keeps
        -- cancelled and returned orders out of the rhythm).
        o.order_ts - lag(o.order_ts) OVER (
            PARTITION BY o.customer_id, k.kept ORDER BY o.order_ts, o.order_id
        ) AS gap
    FROM gold_customers g
    JOIN silver.orders o ON o.customer_id = g.customer_id
    CROSS JOIN LATERAL (SELECT o.status NOT IN ('cancelled', 'returned') AS kept) AS k
    WHERE o.deleted_at IS NULL
),
totals AS (
    SELECT
        customer_id,
        min(order_ts) FILTER (WHERE kept) AS first_order_at,
        max(order_ts) FILTER (WHERE kept) AS last_order_at,
        count(*) FILTER (WHERE kept) AS frequency,
        coalesce(sum(total_amount_base) FILTER (WHERE kept), 0) AS monetary,
        -- percentile_cont skips the NULL gap of each customer's first kept order.
        percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM gap) / 86400)
            FILTER (WHERE kept) AS median_gap_days
    FROM customer_orders
    GROUP BY customer_id
),
-- The current category of each product; a product deleted from the catalogue keeps the
-- category of its last version.
product_categories AS (
    SELECT DISTINCT ON (product_id) product_id, category
    FROM silver.products
    ORDER BY product_id, is_current DESC, valid_from DESC
),
kept_items AS (
    SELECT co.customer_id, i.product_id, i.quantity
    FROM customer_orders co
    JOIN silver.order_items i ON i.order_id = co.order_id
    WHERE co.kept
),
category_units AS (
    SELECT k.customer_id, p.category, sum(k.quantity) AS units
    FROM kept_items k
    JOIN product_categories p ON p.product_id = k.product_id
    WHERE p.category IS NOT NULL
    GROUP BY k.customer_id, p.category
),
-- The recommendations read baskets from here rather than scanning every order again.
baskets AS (
    SELECT customer_id, array_agg(DISTINCT product_id ORDER BY product_id) AS products
    FROM kept_items
    GROUP BY customer_id
),
favourites AS (
    SELECT DISTINCT ON (customer_id) customer_id, category
    FROM category_units
    ORDER BY customer_id, units DESC, category
),
measured AS (
    SELECT
        t.*,
        pa.as_of_date - (t.last_order_at AT TIME ZONE 'UTC')::date AS recency_days,
        round(t.median_gap_days::numeric, 1) AS repurchase_interval_days
    FROM totals t
    CROSS JOIN params pa
),
scored AS (
    SELECT
        m.*,
        CASE
            WHEN m.recency_days IS NULL THEN 1
            WHEN m.recency_days <= th.recency_score_5_max_days THEN 5
            WHEN m.recency_days <= th.recency_score_4_max_days THEN 4
            WHEN m.recency_days <= th.recency_score_3_max_days THEN 3
            WHEN m.recency_days <= th.recency_score_2_max_days THEN 2
            ELSE 1
        END AS r,
        CASE
            WHEN m.frequency >= th.frequency_score_5_min_orders THEN 5
            WHEN m.frequency >= th.frequency_score_4_min_orders THEN 4
            WHEN m.frequency >= th.frequency_score_3_min_orders THEN 3
            WHEN m.frequency >= th.frequency_score_2_min_orders THEN 2
            ELSE 1
        END AS f,
        CASE
            WHEN m.monetary >= th.monetary_score_5_min THEN 5
            WHEN m.monetary >= th.monetary_score_4_min THEN 4
            WHEN m.monetary >= th.monetary_score_3_min THEN 3
            WHEN m.monetary >= th.monetary_score_2_min THEN 2
            ELSE 1
        END AS m,
        CASE
            WHEN m.monetary >= th.tier_platinum_min THEN 'platinum'
            WHEN m.monetary >= th.tier_gold_min THEN 'gold'
            WHEN m.monetary >= th.tier_silver_min THEN 'silver'
            ELSE 'bronze'
        END AS tier
    FROM measured m
    CROSS JOIN thresholds th
)
SELECT
    s.customer_id,
    s.first_order_at,
    s.last_order_at,
    s.frequency::integer AS frequency,
    s.monetary::numeric(16, 2) AS monetary,
    round(s.monetary / nullif(s.frequency, 0), 2)::numeric(16, 2) AS average_order_value,
    s.recency_days,
    s.r::smallint AS recency_score,
    s.f::smallint AS frequency_score,
    s.m::smallint AS monetary_score,
    concat(s.r, s.f, s.m) AS rfm_score,
    CASE
        WHEN s.frequency = 0 THEN 'lost'
        WHEN s.r >= 4 AND s.f >= 4 AND s.m >= 4 THEN 'champions'
        WHEN s.r >= 3 AND s.f >= 3 THEN 'loyal'
        WHEN s.r >= 4 AND s.f = 1 THEN 'new'
        WHEN s.r >= 3 THEN 'potential_loyalist'
        WHEN s.f >= 4 THEN 'cannot_lose'
        WHEN s.f >= 2 THEN 'at_risk'
        WHEN s.r = 2 THEN 'hibernating'
        ELSE 'lost'
    END AS segment,
    s.monetary::numeric(16, 2) AS lifetime_value,
    s.tier,
    fav.category AS favourite_category,
    coalesce(b.products, '{}') AS products_bought,
    s.repurchase_interval_days::numeric(8, 1) AS repurchase_interval_days,
    (s.last_order_at AT TIME ZONE 'UTC')::date
        + round(s.repurchase_interval_days)::integer AS expected_next_order_date,
    pa.base_currency::char(3) AS currency,
    pa.as_of_date,
    now() AS refreshed_at
FROM scored s
CROSS JOIN params pa
LEFT JOIN favourites fav ON fav.customer_id = s.customer_id
LEFT JOIN baskets b ON b.customer_id = s.customer_id
-- In key order, so publishing appends to the primary key's index instead of scattering.
ORDER BY s.customer_id
