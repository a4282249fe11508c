-- admin.mart_daily_revenue for the days in gold_days (UTC order days) and the (day, channel,
-- region) groups in gold_day_groups, from silver.orders and silver.order_items. Orders deleted
-- in the admin back office are left out. "Kept" orders are those neither cancelled nor returned;
-- revenue is in the base currency (converted in silver at the rate of the order day). Rows are
-- per day, channel and region: a customer counts as new only in the row of their first order
-- ever, and as returning in every other row they order in, so the rows of a day do not add up
-- to its distinct customers (docs/daily_revenue.md).
-- The orders rebuilt: those of the whole days in gold_days, and those of the groups in
-- gold_day_groups (groups of other days only, so no order is read twice).
-- A range per day, so the order-day index is used instead of a scan of every order (for a
-- group too: the day's index range, filtered, reads a full day at 1M orders in 1-4 ms).
WITH scoped_orders AS (
    SELECT d.day, o.*
    FROM gold_days d
    JOIN silver.orders o
        ON (o.order_ts AT TIME ZONE 'UTC') >= d.day
       AND (o.order_ts AT TIME ZONE 'UTC') < d.day + 1
    UNION ALL
    SELECT g.day, o.*
    FROM gold_day_groups g
    JOIN silver.orders o
        ON o.channel = g.channel AND o.region = g.region
       AND (o.order_ts AT TIME ZONE 'UTC') >= g.day
       AND (o.order_ts AT TIME ZONE 'UTC') < g.day + 1
),
-- MATERIALIZED: each order's look-ups run once, not once per aggregate that reads them.
day_orders AS MATERIALIZED (
    SELECT
        o.day, o.order_id, o.customer_id, o.channel, o.region, o.status,
        o.status NOT IN ('cancelled', 'returned') AS kept,
        o.subtotal_amount_base, o.discount_amount_base, o.total_amount_base,
        -- The customer's first order ever, of any status (ties broken by order id), makes
        -- them new in its own channel and region row.
        NOT EXISTS (
            SELECT 1 FROM silver.orders p
            WHERE p.customer_id = o.customer_id AND p.deleted_at IS NULL
              AND (p.order_ts, p.order_id) < (o.order_ts, o.order_id)
        ) AS first_order,
        -- Units of kept orders, looked up per order: a join would be planned for the guessed
        -- size of a day (a tenth of the orders) and read every item.
        CASE WHEN o.status NOT IN ('cancelled', 'returned') THEN (
            SELECT sum(i.quantity) FROM silver.order_items i WHERE i.order_id = o.order_id
        ) END AS units
    FROM scoped_orders o
    WHERE o.deleted_at IS NULL
)
SELECT
    o.day AS order_date,
    o.channel,
    o.region,
    count(*) FILTER (WHERE o.kept)::integer AS orders,
    coalesce(sum(o.units), 0)::integer AS units,
    coalesce(sum(o.subtotal_amount_base) FILTER (WHERE o.kept), 0) AS gross_revenue,
    coalesce(sum(o.discount_amount_base) FILTER (WHERE o.kept), 0) AS discounts,
    coalesce(sum(o.total_amount_base) FILTER (WHERE o.kept), 0) AS net_revenue,
    round(avg(o.total_amount_base) FILTER (WHERE o.kept), 2) AS average_order_value,
    count(DISTINCT o.customer_id) FILTER (WHERE o.first_order)::integer AS new_customers,
    -- Everyone else ordering in the row ordered first elsewhere: an earlier day, or that day
    -- in another channel or region.
    (count(DISTINCT o.customer_id)
        - count(DISTINCT o.customer_id) FILTER (WHERE o.first_order))::integer
        AS returning_customers,
    count(*) FILTER (WHERE o.status = 'cancelled')::integer AS cancelled_orders,
    count(*) FILTER (WHERE o.status = 'returned')::integer AS returned_orders,
    p.base_currency AS currency,
    now() AS refreshed_at
FROM day_orders o
CROSS JOIN gold_params p
GROUP BY o.day, o.channel, o.region, p.base_currency
