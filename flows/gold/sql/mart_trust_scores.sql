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
        avg(sentiment) AS sentiment,
        -- The averages again as exact sums and counts, for the score's fractions.
        sum(first_response_minutes) AS first_response_total,
        count(first_response_minutes) AS first_responses,
        sum(resolution_minutes) AS resolution_total,
        count(resolution_minutes) AS resolutions,
        sum(sentiment) AS sentiment_total,
        count(sentiment) AS sentiments
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
        su.first_response, su.resolution, su.sentiment,
        su.first_response_total, coalesce(su.first_responses, 0) AS first_responses,
        su.resolution_total, coalesce(su.resolutions, 0) AS resolutions,
        su.sentiment_total, coalesce(su.sentiments, 0) AS sentiments
    FROM shipment_totals sh
    FULL JOIN support_totals su
        ON su.day = sh.day AND su.subject_type = sh.subject_type
       AND su.subject_id = sh.subject_id
),
-- Each part of the score on 0..1 as an exact fraction (numerator / denominator, both exact
-- numerics: counts, minutes and sentiments summed, never divided), with its weight: 0 (and 0/1)
-- when the day gives nothing to judge the part by. A quotient in numeric is cut after some
-- twenty digits, so parts such as 1/3 and 2/3 that add up to an exact half cent would publish
-- the score 0.01 low (81.6749999... -> 81.67); fractions round exactly once, at the end.
parts AS (
    SELECT
        m.*,
        -- On time: delivered_on_time / shipments_due.
        CASE WHEN m.shipments_due > 0 THEN 50 ELSE 0 END AS on_time_weight,
        m.delivered_on_time AS on_time_num,
        greatest(m.shipments_due, 1) AS on_time_den,
        -- Delay: 1 - least(late_days_total / shipments_late / ceiling, 1); 1 with nothing late.
        CASE WHEN m.shipments_due > 0 THEN 20 ELSE 0 END AS delay_weight,
        CASE WHEN m.shipments_late = 0 THEN 1
             ELSE greatest(t.delay_ceiling_days * m.shipments_late - m.late_days_total, 0)
        END AS delay_num,
        CASE WHEN m.shipments_late = 0 THEN 1 ELSE t.delay_ceiling_days * m.shipments_late END
            AS delay_den,
        -- Responsiveness: target / average (capped at 1), the mean over first response and
        -- resolution, or whichever of them is known.
        CASE WHEN r.known > 0 THEN 20 ELSE 0 END AS responsiveness_weight,
        CASE r.known WHEN 2 THEN f.num * r2.den + r2.num * f.den
                     WHEN 1 THEN f.num + r2.num ELSE 0 END AS responsiveness_num,
        CASE r.known WHEN 2 THEN 2 * f.den * r2.den
                     WHEN 1 THEN f.den * r2.den ELSE 1 END AS responsiveness_den,
        -- Sentiment: (average + 1) / 2.
        CASE WHEN m.sentiments > 0 THEN 10 ELSE 0 END AS sentiment_weight,
        CASE WHEN m.sentiments > 0 THEN m.sentiment_total + m.sentiments ELSE 0 END
            AS sentiment_num,
        greatest(2 * m.sentiments, 1) AS sentiment_den
    FROM measured m
    CROSS JOIN targets t
    -- First response and resolution scores: 1 at or under target, else target * count / total
    -- (target / average); 0/1 when unknown.
    CROSS JOIN LATERAL (
        SELECT
            CASE WHEN m.first_responses = 0 THEN 0
                 WHEN m.first_response_total <= t.first_response_minutes * m.first_responses
                     THEN 1
                 ELSE t.first_response_minutes * m.first_responses END AS num,
            CASE WHEN m.first_responses = 0
                   OR m.first_response_total <= t.first_response_minutes * m.first_responses
                     THEN 1
                 ELSE m.first_response_total END AS den
    ) AS f
    CROSS JOIN LATERAL (
        SELECT
            CASE WHEN m.resolutions = 0 THEN 0
                 WHEN m.resolution_total <= t.resolution_minutes * m.resolutions THEN 1
                 ELSE t.resolution_minutes * m.resolutions END AS num,
            CASE WHEN m.resolutions = 0
                   OR m.resolution_total <= t.resolution_minutes * m.resolutions THEN 1
                 ELSE m.resolution_total END AS den
    ) AS r2
    CROSS JOIN LATERAL (
        SELECT (m.first_responses > 0)::integer + (m.resolutions > 0)::integer AS known
    ) AS r
),
-- Weights 50/20/20/10; a missing part's weight is shared out by leaving it out of both the sum
-- and the total weight: score = 100 * sum(weight * num / den) / sum(weight), as one fraction.
score_fractions AS (
    SELECT
        p.*,
        p.on_time_weight * p.on_time_num * p.delay_den * p.responsiveness_den * p.sentiment_den
        + p.delay_weight * p.delay_num * p.on_time_den * p.responsiveness_den * p.sentiment_den
        + p.responsiveness_weight * p.responsiveness_num * p.on_time_den * p.delay_den
            * p.sentiment_den
        + p.sentiment_weight * p.sentiment_num * p.on_time_den * p.delay_den
            * p.responsiveness_den AS score_num,
        (p.on_time_weight + p.delay_weight + p.responsiveness_weight + p.sentiment_weight)
        * p.on_time_den * p.delay_den * p.responsiveness_den * p.sentiment_den AS score_den
    FROM parts p
),
scored AS (
    SELECT
        s.*,
        -- The other published numbers are single quotients of exact sums, which numeric
        -- carries far enough that round() sees the exact value's side of every half.
        round(s.on_time, 4) AS on_time_rate,
        round(s.delay, 2) AS average_delay_days,
        round(s.first_response, 1) AS avg_first_response_minutes,
        round(s.resolution, 1) AS avg_resolution_minutes,
        round(s.sentiment, 3) AS avg_sentiment,
        -- 100 * num / den to 2 places, halves away from zero as round() does: in hundredths,
        -- floor(10000 * |num| / den + 1/2) = div(20000 * |num| + den, 2 * den), exactly.
        CASE WHEN s.score_den > 0 THEN
            (sign(s.score_num) * div(20000 * abs(s.score_num) + s.score_den, 2 * s.score_den)
             / 100)::numeric(5, 2)
        END AS trust_score
    FROM score_fractions s
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
