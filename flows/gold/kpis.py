"""`ops.kpi_snapshots`: the headline KPIs after each pipeline run (the seed's enrichment step).

Read from the published revenue mart (small, unlike silver) and the customer counts the customer
summary's builds keep (`Mart.totals`, in `ops.mart_builds`), and "last 30 days" counts back from
the data time (the newest order), not the clock. Customers are those with at least one kept
order; repeat customers have more than one.
"""

from __future__ import annotations

import uuid

import asyncpg

SNAPSHOT = """
    WITH params AS (SELECT as_of_date, base_currency FROM gold_params LIMIT 1),
    revenue AS (
        SELECT
            coalesce(sum(m.orders), 0) AS orders,
            coalesce(sum(m.net_revenue), 0) AS net_revenue,
            coalesce(sum(m.orders) FILTER (WHERE m.order_date > p.as_of_date - 30), 0)
                AS orders_last_30_days,
            coalesce(sum(m.net_revenue) FILTER (WHERE m.order_date > p.as_of_date - 30), 0)
                AS revenue_last_30_days,
            coalesce(sum(m.cancelled_orders + m.returned_orders), 0) AS undone
        FROM admin.mart_daily_revenue m CROSS JOIN params p
    ),
    -- Kept by the customer summary's builds (its declared totals) instead of counting every
    -- customer again; a summary never built has none.
    customers AS (
        SELECT
            coalesce((b.totals ->> 'customers')::bigint, 0) AS customers,
            coalesce((b.totals ->> 'active_90d')::bigint, 0) AS active_90d,
            coalesce((b.totals ->> 'repeat_customers')::bigint, 0) AS repeat_customers
        FROM (VALUES (1)) AS one (n)
        LEFT JOIN ops.mart_builds b ON b.mart = 'mart_customer_summary'
    )
    INSERT INTO ops.kpi_snapshots (
        run_id, as_of, orders, customers, net_revenue, average_order_value,
        orders_last_30_days, revenue_last_30_days, active_customers_90d, repeat_customer_rate,
        cancellation_rate, currency
    )
    SELECT
        $1, (SELECT as_of FROM gold_params LIMIT 1), r.orders, c.customers, r.net_revenue,
        round(r.net_revenue / nullif(r.orders, 0), 2), r.orders_last_30_days,
        r.revenue_last_30_days, c.active_90d,
        round(c.repeat_customers::numeric / nullif(c.customers, 0), 4),
        round(r.undone::numeric / nullif(r.orders + r.undone, 0), 4), p.base_currency
    FROM revenue r, customers c, params p
    ON CONFLICT (run_id) DO NOTHING
"""


async def capture_kpi_snapshot(connection: asyncpg.Connection, run_id: uuid.UUID) -> None:
    """Append this run's KPIs (needs the `gold_params` of the run's build on `connection`)."""
    await connection.execute(SNAPSHOT, run_id)
