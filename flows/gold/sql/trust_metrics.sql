-- transparency.trust_metrics: the headline numbers behind /api/trust/metrics, one row per metric,
-- over the 30 days to as_of_date (or the latest inventory snapshot). Delivery numbers come from
-- the published trust scores, SLA and inventory numbers from the logistics SLA mart; support
-- numbers need single cases (a median, a share) and so read silver.support_interactions.
-- The targets repeat those of mart_trust_scores.sql: change them in both (docs/trust_metrics.md).
WITH targets AS (
    SELECT
        0.90::numeric AS on_time_rate,
        2::numeric AS delay_days,
        60::numeric AS first_response_minutes,
        480::numeric AS resolution_minutes,
        0.90::numeric AS resolution_share,
        0::numeric AS sentiment,
        0.50::numeric AS trusted_share,
        0.10::numeric AS sla_breach_rate,
        2 AS stale_snapshot_days
),
-- LIMIT 1: gold_params holds one row; saying so spares the planner its guess for a temp table
-- without statistics (a thousand rows), which multiplied through the plan and woke up JIT.
params AS (
    SELECT base_currency, as_of_date, as_of_date - 29 AS window_start FROM gold_params LIMIT 1
),
-- Every shipment has exactly one carrier, so the carrier rows count each shipment once.
deliveries AS (
    SELECT
        sum(m.shipments_due) AS due, sum(m.delivered_on_time) AS on_time,
        sum(m.shipments_late) AS late, sum(m.late_days_total) AS late_days
    FROM transparency.mart_trust_scores m CROSS JOIN params p
    WHERE m.subject_type = 'carrier' AND m.score_date BETWEEN p.window_start AND p.as_of_date
),
badges AS (
    SELECT
        count(*) FILTER (WHERE m.badge = 'trusted') AS trusted,
        count(*) FILTER (WHERE m.badge <> 'unrated') AS rated
    FROM transparency.mart_trust_scores m CROSS JOIN params p
    WHERE m.score_date BETWEEN p.window_start AND p.as_of_date
),
support AS (
    SELECT
        count(*) AS cases,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY i.first_response_minutes)
            AS median_first_response,
        count(*) FILTER (WHERE i.resolution_minutes <= t.resolution_minutes) AS resolved_in_time,
        count(i.resolution_minutes) AS resolved,
        avg(i.sentiment) AS sentiment
    FROM params p
    CROSS JOIN targets t
    JOIN silver.support_interactions i
        ON (i.opened_at AT TIME ZONE 'UTC') >= p.window_start
       AND (i.opened_at AT TIME ZONE 'UTC') < p.as_of_date + 1
),
sla AS (
    SELECT
        sum(l.shipments_30d) AS shipments,
        sum(l.breaches_30d) AS breaches,
        sum(l.penalty_amount_base) AS penalties,
        count(*) FILTER (WHERE l.penalty_amount_base IS NULL) AS unconverted,
        sum(l.stock_alerts) FILTER (WHERE l.subject_type = 'stockist') AS stock_alerts,
        count(*) FILTER (
            WHERE l.subject_type = 'stockist'
              AND (l.last_snapshot_date IS NULL OR l.snapshot_age_days > t.stale_snapshot_days)
        ) AS stale_stockists
    FROM transparency.mart_logistics_sla l CROSS JOIN targets t
),
metrics AS (
    SELECT m.*
    FROM deliveries d, badges b, support s, sla l, params p, targets t
    CROSS JOIN LATERAL (VALUES
        ('on_time_delivery_rate', round(d.on_time::numeric / nullif(d.due, 0), 4), 'ratio',
         '30d', t.on_time_rate, 'at_least',
         'Shipments delivered by their promised date / shipments due (delivered, or undelivered'
         ' past the promised date), by promised date'),
        ('average_delay_days', round(d.late_days::numeric / nullif(d.late, 0), 2), 'days', '30d',
         t.delay_days, 'at_most',
         'Mean days past the promised date over late shipments (still undelivered: days so'
         ' far), by promised date'),
        ('shipments_due', coalesce(d.due, 0), 'count', '30d', NULL, NULL,
         'Shipments promised in the window whose outcome is known'),
        ('median_first_response_minutes', round(s.median_first_response::numeric, 1),
         'minutes', '30d', t.first_response_minutes, 'at_most',
         'Median minutes to the first response over support cases opened in the window'),
        ('resolution_within_target_share',
         round(s.resolved_in_time::numeric / nullif(s.resolved, 0), 4), 'ratio', '30d',
         t.resolution_share, 'at_least',
         format('Share of resolved support cases opened in the window resolved within %s'
                ' minutes', t.resolution_minutes)),
        ('average_sentiment', round(s.sentiment, 3), 'score', '30d', t.sentiment, 'at_least',
         'Mean sentiment (-1 negative to 1 positive) of support cases opened in the window'),
        ('support_cases', s.cases, 'count', '30d', NULL, NULL,
         'Support cases opened in the window'),
        ('trusted_share', round(b.trusted::numeric / nullif(b.rated, 0), 4), 'ratio', '30d',
         t.trusted_share, 'at_least',
         'Share of rated subject-days (distributors, stockists and carriers per day) badged'
         ' trusted'),
        ('sla_breach_rate', round(l.breaches::numeric / nullif(l.shipments, 0), 4), 'ratio',
         '30d', t.sla_breach_rate, 'at_most',
         'Contract shipments delivered after, or undelivered past, their promised date /'
         ' contract shipments, by promised date'),
        ('penalties_accrued', coalesce(l.penalties, 0), p.base_currency, '30d', NULL, NULL,
         'Late-delivery penalties under distributor and stockist contracts, converted to the'
         ' base currency at the latest rate'
         || CASE WHEN l.unconverted > 0
                 THEN format('; %s contract(s) without a rate are left out', l.unconverted)
                 ELSE '' END),
        ('stock_alerts', coalesce(l.stock_alerts, 0), 'count', 'latest', NULL, NULL,
         'Stockist products at or below their reorder point in each stockist''s latest'
         ' inventory snapshot'),
        ('stale_inventory_stockists', l.stale_stockists, 'count', 'latest', 0, 'at_most',
         format('Stockists whose latest inventory snapshot is more than %s days older than the'
                ' data date, or missing', t.stale_snapshot_days))
    ) AS m (metric, value, unit, time_window, target, target_direction, description)
)
SELECT
    m.metric, m.value, m.unit, m.time_window, m.target, m.target_direction,
    CASE m.target_direction
        WHEN 'at_least' THEN m.value >= m.target
        WHEN 'at_most' THEN m.value <= m.target
    END AS meets_target,
    m.description, p.as_of_date, now() AS refreshed_at
FROM metrics m CROSS JOIN params p
