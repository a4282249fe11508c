-- transparency.mart_trust_scores for the days in gold_days: per day and subject (distributor,
-- stockist, carrier) the deliveries promised that day and the support cases opened that day (UTC)
-- about orders shipped through the subject. Every number is explained in docs/trust_metrics.md;
-- the targets below are repeated in trust_metrics.sql and must be changed in both.
WITH targets AS (
    SELECT
        0.90::numeric AS on_time_rate,          -- breach below
        0.75::numeric AS voucher_on_time_rate,  -- a voucher below
        2::numeric AS delay_days,               -- breach above
        3::numeric AS voucher_delay_days,       -- a voucher above
        5::numeric AS delay_ceiling_days,       -- the delay part scores 0 from here
        60::numeric AS first_response_minutes,  -- breach above
        480::numeric AS resolution_minutes,     -- breach above
        0::numeric AS sentiment                 -- breach below
),
-- LIMIT 1: gold_params holds one row; saying so spares the planner its guess for a temp table
-- without statistics (a thousand rows), which multiplied through the plan and woke up JIT.
params AS (SELECT as_of_date FROM gold_params LIMIT 1),
-- Every shipment counts for its carrier, its distributor and (when it has one) its stockist.
day_shipments AS (
    SELECT
        s.promised_date AS day, subject.subject_type, subject.subject_id,
        s.delivered_at IS NOT NULL AS delivered,
        (s.delivered_at AT TIME ZONE 'UTC')::date <= s.promised_date AS on_time,
        -- Undelivered shipments are late once their promised day is over in the data time.
        coalesce(s.delivered_at IS NULL AND s.promised_date < p.as_of_date, false) AS overdue,
        coalesce((s.delivered_at AT TIME ZONE 'UTC')::date, p.as_of_date) - s.promised_date
            AS days_after_promise
    FROM gold_days d
    JOIN silver.shipments s ON s.promised_date = d.day
    CROSS JOIN params p
    CROSS JOIN LATERAL (
        VALUES ('distributor', s.distributor_id), ('stockist', s.stockist_id),
               ('carrier', s.carrier)
    ) AS subject (subject_type, subject_id)
    WHERE subject.subject_id IS NOT NULL
),
shipment_totals AS (
    SELECT
        day, subject_type, subject_id,
        count(*) FILTER (WHERE delivered OR overdue)::integer AS shipments_due,
        count(*) FILTER (WHERE delivered AND on_time)::integer AS delivered_on_time,
        count(*) FILTER (WHERE NOT delivered AND NOT overdue)::integer AS shipments_pending,
        coalesce(sum(days_after_promise) FILTER (
            WHERE (delivered AND NOT on_time) OR overdue
        ), 0)::integer AS late_days_total
    FROM day_shipments
    GROUP BY day, subject_type, subject_id
),
-- A case counts once for every subject that shipped its order; cases without an order, or
-- about an order with no shipment in silver, count for no subject.
day_support AS (
    SELECT DISTINCT
        d.day, i.interaction_id, subject.subject_type, subject.subject_id,
        i.first_response_minutes, i.resolution_minutes, i.sentiment
    FROM gold_days d
    -- A range per day, so the opened-day index is used instead of a scan of every case.
    JOIN silver.support_interactions i
        ON (i.opened_at AT TIME ZONE 'UTC') >= d.day
       AND (i.opened_at AT TIME ZONE 'UTC') < d.day + 1
    JOIN silver.shipments s ON s.order_id = i.order_id
    CROSS JOIN LATERAL (
        VALUES ('distributor', s.distributor_id), ('stockist', s.stockist_id),
               ('carrier', s.carrier)
    ) AS subject (subject_type, subject_id)
    WHERE subject.subject_id IS NOT NULL
),
support_totals AS (
    SELECT
        day, subject_type, subject_id,
        count(*)::integer AS support_cases,
        avg(first_response_minutes) AS first_response,
        avg(resolution_minutes) AS resolution,
        avg(sentiment) AS sentiment
    FROM day_support
    GROUP BY day, subject_type, subject_id
),
measured AS (
    SELECT
        coalesce(sh.day, su.day) AS score_date,
        coalesce(sh.subject_type, su.subject_type) AS subject_type,
        coalesce(sh.subject_id, su.subject_id) AS subject_id,
        coalesce(sh.shipments_due, 0) AS shipments_due,
        coalesce(sh.delivered_on_time, 0) AS delivered_on_time,
        coalesce(sh.shipments_due - sh.delivered_on_time, 0) AS shipments_late,
        coalesce(sh.shipments_pending, 0) AS shipments_pending,
        coalesce(sh.late_days_total, 0) AS late_days_total,
        coalesce(su.support_cases, 0) AS support_cases,
        sh.delivered_on_time::numeric / nullif(sh.shipments_due, 0) AS on_time,
        sh.late_days_total::numeric / nullif(sh.shipments_due - sh.delivered_on_time, 0)
            AS delay,
        su.first_response, su.resolution, su.sentiment
    FROM shipment_totals sh
    FULL JOIN support_totals su
        ON su.day = sh.day AND su.subject_type = sh.subject_type
       AND su.subject_id = sh.subject_id
),
-- Each part of the score on 0..1; NULL when the day gives nothing to judge it by.
parts AS (
    SELECT
        m.*,
        m.on_time AS on_time_part,
        CASE WHEN m.shipments_due > 0
            THEN 1 - least(coalesce(m.delay, 0) / t.delay_ceiling_days, 1) END AS delay_part,
        -- Responsiveness: target / actual (capped at 1), the mean over first response and
        -- resolution, or whichever of them is known.
        (SELECT avg(score) FROM (VALUES
            (CASE WHEN m.first_response <= t.first_response_minutes THEN 1
                  ELSE t.first_response_minutes / m.first_response END),
            (CASE WHEN m.resolution <= t.resolution_minutes THEN 1
                  ELSE t.resolution_minutes / m.resolution END)
        ) AS responsiveness (score)) AS responsiveness_part,
        (m.sentiment + 1) / 2 AS sentiment_part
    FROM measured m CROSS JOIN targets t
),
scored AS (
    SELECT
        p.*,
        round(p.on_time, 4) AS on_time_rate,
        round(p.delay, 2) AS average_delay_days,
        round(p.first_response, 1) AS avg_first_response_minutes,
        round(p.resolution, 1) AS avg_resolution_minutes,
        round(p.sentiment, 3) AS avg_sentiment,
        -- Weights 50/20/20/10; a missing part's weight is shared out by leaving it out of both
        -- the sum and the total weight.
        round(100 * (
            50 * coalesce(p.on_time_part, 0) + 20 * coalesce(p.delay_part, 0)
            + 20 * coalesce(p.responsiveness_part, 0) + 10 * coalesce(p.sentiment_part, 0)
        ) / nullif(
            CASE WHEN p.on_time_part IS NULL THEN 0 ELSE 50 END
            + CASE WHEN p.delay_part IS NULL THEN 0 ELSE 20 END
            + CASE WHEN p.responsiveness_part IS NULL THEN 0 ELSE 20 END
            + CASE WHEN p.sentiment_part IS NULL THEN 0 ELSE 10 END, 0
        ), 2) AS trust_score
    FROM parts p
),
-- Breaches compare the published (rounded) values, so the reasons match the numbers shown.
breaches AS (
    SELECT
        s.*,
        array_remove(ARRAY[
            CASE WHEN s.on_time_rate < t.on_time_rate THEN 'on_time_below_target' END,
            CASE WHEN s.average_delay_days > t.delay_days THEN 'delay_above_target' END,
            CASE WHEN s.avg_first_response_minutes > t.first_response_minutes
                THEN 'first_response_above_target' END,
            CASE WHEN s.avg_resolution_minutes > t.resolution_minutes
                THEN 'resolution_above_target' END,
            CASE WHEN s.avg_sentiment < t.sentiment THEN 'negative_sentiment' END
        ], NULL) AS breach_flags,
        nullif(concat_ws('; ',
            CASE WHEN s.on_time_rate < t.on_time_rate THEN
                format('on-time rate %s%% below target %s%% (%s of %s due shipments late)',
                       trim_scale(round(s.on_time_rate * 100, 2)), trim_scale(t.on_time_rate * 100),
                       s.shipments_late, s.shipments_due) END,
            CASE WHEN s.average_delay_days > t.delay_days THEN
                format('average delay %s days above target %s days',
                       s.average_delay_days, t.delay_days) END,
            CASE WHEN s.avg_first_response_minutes > t.first_response_minutes THEN
                format('average first response %s min above target %s min',
                       s.avg_first_response_minutes, t.first_response_minutes) END,
            CASE WHEN s.avg_resolution_minutes > t.resolution_minutes THEN
                format('average resolution %s min above target %s min',
                       s.avg_resolution_minutes, t.resolution_minutes) END,
            CASE WHEN s.avg_sentiment < t.sentiment THEN
                format('average sentiment %s below %s (negative)',
                       s.avg_sentiment, t.sentiment) END
        ), '') AS breach_reasons,
        CASE
            WHEN s.on_time_rate < t.voucher_on_time_rate
              OR s.average_delay_days > t.voucher_delay_days THEN 'voucher'
            WHEN s.on_time_rate < t.on_time_rate
              OR s.average_delay_days > t.delay_days THEN 'shipping_refund'
            WHEN s.avg_first_response_minutes > t.first_response_minutes
              OR s.avg_resolution_minutes > t.resolution_minutes
              OR s.avg_sentiment < t.sentiment THEN 'apology_note'
            ELSE 'none'
        END AS goodwill_action
    FROM scored s CROSS JOIN targets t
)
SELECT
    score_date, subject_type, subject_id,
    shipments_due, delivered_on_time, shipments_late, shipments_pending, on_time_rate,
    late_days_total, average_delay_days,
    support_cases, avg_first_response_minutes, avg_resolution_minutes, avg_sentiment,
    trust_score,
    CASE
        WHEN trust_score IS NULL THEN 'unrated'
        WHEN trust_score >= 90 THEN 'trusted'
        WHEN trust_score >= 75 THEN 'reliable'
        WHEN trust_score >= 60 THEN 'watch'
        ELSE 'at_risk'
    END AS badge,
    breach_flags, breach_reasons, goodwill_action,
    now() AS refreshed_at
FROM breaches
