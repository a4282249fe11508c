"""`ops.kpi_snapshots`: the headline KPIs after each pipeline run (the seed's enrichment step).

Read from the published revenue mart, so a snapshot is as cheap as the mart is small, and
"last 30 days" counts back from the data time (the newest order), not the clock.
"""

from __future__ import annotations

import uuid

import asyncpg

SNAPSHOT = """
    WITH params AS (SELECT as_of_date, base_currency FROM gold_params),
    totals AS (
        SELECT
            coalesce(sum(m.orders), 0) AS orders,
            coalesce(sum(m.net_revenue), 0) AS net_revenue,
            coalesce(sum(m.orders) FILTER (WHERE m.order_date > p.as_of_date - 30), 0)
                AS orders_last_30_days,
            coalesce(sum(m.net_revenue) FILTER (WHERE m.order_date > p.as_of_date - 30), 0)
                AS revenue_last_30_days,
            coalesce(sum(m.cancelled_orders + m.returned_orders), 0) AS undone,
            coalesce(sum(m.new_customers), 0) AS customers
        FROM admin.mart_daily_revenue m CROSS JOIN params p
    ),
    customers AS (
        SELECT
            count(DISTINCT o.customer_id) FILTER (
                WHERE (o.order_ts AT TIME ZONE 'UTC')::date > p.as_of_date - 90
            ) AS active_customers_90d
        FROM params p
        JOIN silver.orders o
          ON (o.order_ts AT TIME ZONE 'UTC') >= p.as_of_date - 89
         AND o.deleted_at IS NULL
    ),
    repeat AS (
        SELECT count(*) FILTER (WHERE orders > 1)::numeric / nullif(count(*), 0) AS rate
        FROM (
            SELECT customer_id, count(*) AS orders FROM silver.orders
            WHERE deleted_at IS NULL AND status NOT IN ('cancelled', 'returned')
              AND customer_id IN (
                  SELECT o.customer_id FROM silver.orders o, params p
                  WHERE (o.order_ts AT TIME ZONE 'UTC') >= p.as_of_date - 89
              )
            GROUP BY customer_id
        ) AS per_customer
    )
    INSERT INTO ops.kpi_snapshots (
        run_id, as_of, orders, customers, net_revenue, average_order_value,
        orders_last_30_days, revenue_last_30_days, active_customers_90d, repeat_customer_rate,
        cancellation_rate, currency
    )
    SELECT
        $1, (SELECT as_of FROM gold_params), t.orders, t.customers, t.net_revenue,
        round(t.net_revenue / nullif(t.orders, 0), 2), t.orders_last_30_days,
        t.revenue_last_30_days, c.active_customers_90d, round(r.rate, 4),
        round(t.undone::numeric / nullif(t.orders + t.undone, 0), 4), p.base_currency
    FROM totals t, customers c, repeat r, params p
    ON CONFLICT (run_id) DO NOTHING
"""


async def capture_kpi_snapshot(connection: asyncpg.Connection, run_id: uuid.UUID) -> None:
    """Append this run's KPIs (needs the `gold_params` of the run's build on `connection`)."""
    await connection.execute(SNAPSHOT, run_id)
