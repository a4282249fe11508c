-- transparency.mart_logistics_sla: one row per current distributor and stockist (SCD2 current
-- rows) with its coverage, its SLA record and contract penalties over the 30 days to as_of_date,
-- and its inventory cover and recency. Definitions: docs/trust_metrics.md.
-- LIMIT 1: gold_params holds one row; saying so spares the planner its guess for a temp table
-- without statistics (a thousand rows), which multiplied through the plan and woke up JIT.
WITH params AS (
    SELECT base_currency, as_of_date, as_of_date - 29 AS window_start FROM gold_params LIMIT 1
),
distributors AS (
    SELECT distributor_id, name, region, country, currency, sla_days, penalty_per_late_day,
        penalty_cap
    FROM silver.distributors WHERE is_current
),
stockists AS (
    SELECT stockist_id, name, distributor_id, region, country, city, currency, sla_days,
        penalty_per_late_day, penalty_cap
    FROM silver.stockists WHERE is_current
),
subjects AS (
    SELECT
        'distributor' AS subject_type, d.distributor_id AS subject_id, d.name, d.distributor_id,
        NULL::text AS stockist_id, d.region, d.country,
        (SELECT count(*) FROM stockists s WHERE s.distributor_id = d.distributor_id)::integer
            AS stockists,
        ARRAY(
            SELECT DISTINCT region FROM (
                SELECT s.region FROM stockists s WHERE s.distributor_id = d.distributor_id
                UNION ALL SELECT d.region
            ) AS served (region)
            WHERE region IS NOT NULL ORDER BY 1
        ) AS regions_served,
        ARRAY(
            SELECT DISTINCT s.city FROM stockists s
            WHERE s.distributor_id = d.distributor_id AND s.city IS NOT NULL
            ORDER BY 1
        ) AS cities_served,
        d.sla_days, d.penalty_per_late_day, d.penalty_cap, d.currency
    FROM distributors d
    UNION ALL
    SELECT
        'stockist', s.stockist_id, s.name, s.distributor_id, s.stockist_id, s.region, s.country,
        NULL, array_remove(ARRAY[s.region], NULL), array_remove(ARRAY[s.city], NULL),
        s.sla_days, s.penalty_per_late_day, s.penalty_cap, s.currency
    FROM stockists s
),
-- Orders placed in the window that went through a subject: placed at a stockist (and so through
-- its distributor) or shipped through it.
window_orders AS (
    SELECT o.order_id, o.stockist_id
    FROM params p
    JOIN silver.orders o
        ON (o.order_ts AT TIME ZONE 'UTC') >= p.window_start
       AND (o.order_ts AT TIME ZONE 'UTC') < p.as_of_date + 1
    WHERE o.deleted_at IS NULL
),
routes AS (
    SELECT 'stockist' AS subject_type, o.stockist_id AS subject_id, o.order_id
    FROM window_orders o WHERE o.stockist_id IS NOT NULL
    UNION
    SELECT 'distributor', s.distributor_id, o.order_id
    FROM window_orders o JOIN stockists s ON s.stockist_id = o.stockist_id
    UNION
    SELECT route.subject_type, route.subject_id, o.order_id
    FROM window_orders o
    JOIN silver.shipments sh ON sh.order_id = o.order_id
    CROSS JOIN LATERAL (
        VALUES ('distributor', sh.distributor_id), ('stockist', sh.stockist_id)
    ) AS route (subject_type, subject_id)
    WHERE route.subject_id IS NOT NULL
),
routed AS (
    SELECT subject_type, subject_id, count(*)::integer AS orders
    FROM routes GROUP BY subject_type, subject_id
),
-- Each shipment is under one contract: its stockist's when it went through one (the stockist's
-- SLA set its promised date), else its distributor's. A breach is a delivery after the promised
-- date, or no delivery yet with the promised date before as_of_date.
contract_shipments AS (
    SELECT
        CASE WHEN sh.stockist_id IS NOT NULL THEN 'stockist' ELSE 'distributor' END
            AS subject_type,
        coalesce(sh.stockist_id, sh.distributor_id) AS subject_id,
        greatest(
            coalesce((sh.delivered_at AT TIME ZONE 'UTC')::date, p.as_of_date)
                - sh.promised_date,
            0
        ) AS late_days
    FROM params p
    JOIN silver.shipments sh ON sh.promised_date BETWEEN p.window_start AND p.as_of_date
),
sla AS (
    SELECT
        c.subject_type, c.subject_id,
        count(*)::integer AS shipments,
        count(*) FILTER (WHERE c.late_days > 0)::integer AS breaches,
        sum(c.late_days)::integer AS late_days,
        -- least() ignores a NULL cap: no cap in the contract, no cap on the penalty.
        coalesce(sum(least(c.late_days * s.penalty_per_late_day, s.penalty_cap))
            FILTER (WHERE c.late_days > 0), 0) AS penalty
    FROM contract_shipments c
    JOIN subjects s ON s.subject_type = c.subject_type AND s.subject_id = c.subject_id
    GROUP BY c.subject_type, c.subject_id
),
-- Inventory per stockist and snapshot day, the latest day first.
snapshot_days AS (
    SELECT
        i.stockist_id, i.snapshot_date,
        sum(i.on_hand_units) AS on_hand,
        coalesce(sum(i.units_sold), 0) AS sold,
        count(*) FILTER (WHERE i.on_hand_units <= i.reorder_point) AS alerts,
        array_agg(i.product_id ORDER BY i.product_id)
            FILTER (WHERE i.on_hand_units <= i.reorder_point) AS alert_products,
        row_number() OVER (PARTITION BY i.stockist_id ORDER BY i.snapshot_date DESC) AS recency
    FROM silver.inventory_snapshots i CROSS JOIN params p
    WHERE p.as_of_date IS NULL OR i.snapshot_date <= p.as_of_date
    GROUP BY i.stockist_id, i.snapshot_date
),
stockist_inventory AS (
    SELECT
        latest.stockist_id, s.distributor_id,
        latest.snapshot_date AS last_snapshot_date, latest.on_hand, recent.daily_sold_parts,
        latest.alerts, coalesce(latest.alert_products, '{}') AS alert_products
    FROM snapshot_days latest
    JOIN (
        -- Units sold per snapshot day, counted in 1/360360ths of a unit: 360360 = lcm(1..14),
        -- so the mean over any 1 to 14 days is a whole number of them and a distributor's sum
        -- over its stockists stays exact. (avg() would cut 20/3 to 6.6666666666666667, and
        -- 1 unit on hand / 6.67 a day, exactly 0.15 days, would publish as 0.1.)
        SELECT stockist_id, sum(sold) * (360360 / count(*)) AS daily_sold_parts
        FROM snapshot_days WHERE recency <= 14 GROUP BY stockist_id
    ) AS recent ON recent.stockist_id = latest.stockist_id
    LEFT JOIN stockists s ON s.stockist_id = latest.stockist_id
    WHERE latest.recency = 1
),
inventory AS (
    SELECT
        'stockist' AS subject_type, stockist_id AS subject_id, last_snapshot_date, on_hand,
        daily_sold_parts, alerts, alert_products
    FROM stockist_inventory
    UNION ALL
    -- A distributor: over its stockists, dated by the stalest of their latest snapshots.
    SELECT
        'distributor', i.distributor_id, min(i.last_snapshot_date), sum(i.on_hand),
        sum(i.daily_sold_parts), sum(i.alerts),
        ARRAY(
            SELECT DISTINCT product FROM stockist_inventory a, unnest(a.alert_products) product
            WHERE a.distributor_id = i.distributor_id ORDER BY 1
        )
    FROM stockist_inventory i
    WHERE i.distributor_id IS NOT NULL
    GROUP BY i.distributor_id
),
fx AS (
    SELECT
        s.subject_type, s.subject_id,
        CASE WHEN s.currency = p.base_currency THEN 1::numeric ELSE (
            SELECT r.rate FROM silver.fx_rates r
            WHERE r.currency = s.currency AND r.base_currency = p.base_currency
              AND r.rate_date <= p.as_of_date
            ORDER BY r.rate_date DESC LIMIT 1
        ) END AS rate
    FROM subjects s CROSS JOIN params p
)
SELECT
    s.subject_type, s.subject_id, s.name, s.distributor_id, s.stockist_id, s.region, s.country,
    s.stockists, s.regions_served, s.cities_served,
    coalesce(r.orders, 0) AS orders_routed_30d,
    s.sla_days,
    coalesce(l.shipments, 0) AS shipments_30d,
    coalesce(l.breaches, 0) AS breaches_30d,
    coalesce(l.late_days, 0) AS late_days_30d,
    s.penalty_per_late_day, s.penalty_cap, s.currency,
    round(coalesce(l.penalty, 0), 2) AS penalty_amount,
    fx.rate AS fx_rate,
    CASE WHEN coalesce(l.penalty, 0) = 0 THEN 0 ELSE round(l.penalty * fx.rate, 2) END
        AS penalty_amount_base,
    p.base_currency,
    i.on_hand AS on_hand_units,
    -- Rounded once from the exact fractions, halves away from zero as round() does:
    -- round(n / d, k) = sign(n) * div(2 * 10^k * |n| + d, 2 * d) / 10^k for d > 0.
    (div(200 * i.daily_sold_parts + 360360, 2 * 360360) / 100)::numeric(12, 2)
        AS avg_daily_units_sold,
    CASE WHEN i.daily_sold_parts > 0 THEN
        (sign(i.on_hand::numeric)
         * div(20 * abs(i.on_hand) * 360360 + i.daily_sold_parts, 2 * i.daily_sold_parts)
         / 10)::numeric(10, 1)
    END AS days_on_hand,
    i.last_snapshot_date,
    p.as_of_date - i.last_snapshot_date AS snapshot_age_days,
    coalesce(i.alerts, 0) AS stock_alerts,
    coalesce(i.alert_products[1:10], '{}') AS stock_alert_products,
    p.as_of_date,
    now() AS refreshed_at
FROM subjects s
CROSS JOIN params p
LEFT JOIN routed r ON r.subject_type = s.subject_type AND r.subject_id = s.subject_id
LEFT JOIN sla l ON l.subject_type = s.subject_type AND l.subject_id = s.subject_id
LEFT JOIN inventory i ON i.subject_type = s.subject_type AND i.subject_id = s.subject_id
LEFT JOIN fx ON fx.subject_type = s.subject_type AND fx.subject_id = s.subject_id
