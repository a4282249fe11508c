-- Rebuild admin.mart_daily_revenue for the given order days (UTC) from silver.orders;
-- orders deleted in the admin back office are left out.
INSERT INTO admin.mart_daily_revenue (
    order_date, channel, region, orders, cancelled_orders, net_revenue, average_order_value,
    currency, refreshed_at
)
SELECT
    d.day AS order_date,
    o.channel,
    o.region,
    count(*) FILTER (WHERE o.status NOT IN ('cancelled', 'returned')) AS orders,
    count(*) FILTER (WHERE o.status IN ('cancelled', 'returned')) AS cancelled_orders,
    coalesce(sum(o.total_amount_base) FILTER (WHERE o.status NOT IN ('cancelled', 'returned')), 0)
        AS net_revenue,
    round(
        avg(o.total_amount_base) FILTER (WHERE o.status NOT IN ('cancelled', 'returned')), 2
    ) AS average_order_value,
    $2::text AS currency,
    now() AS refreshed_at
FROM unnest($1::date[]) AS d (day)
-- A range per day, so the order-day index is used instead of a scan of every order.
JOIN silver.orders o
    ON (o.order_ts AT TIME ZONE 'UTC') >= d.day AND (o.order_ts AT TIME ZONE 'UTC') < d.day + 1
WHERE o.deleted_at IS NULL
GROUP BY 1, 2, 3
