"""The transparency marts: daily trust scores, the logistics SLA view and the headline metrics.

All three are written by the pipeline role and read by the transparency service. How each number
is computed (weights, targets, thresholds) is in docs/trust_metrics.md; the comments here say
what a column means.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from alembic import op

from shared.owners import PIPELINE_ROLE

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SUBJECT_TYPES = "('distributor', 'stockist', 'carrier')"
BADGES = "('trusted', 'reliable', 'watch', 'at_risk', 'unrated')"
GOODWILL_ACTIONS = "('none', 'apology_note', 'shipping_refund', 'voucher')"

TABLES = {
    "mart_trust_scores": f"""
        score_date                  date NOT NULL,
        subject_type                text NOT NULL CHECK (subject_type IN {SUBJECT_TYPES}),
        subject_id                  text NOT NULL,
        shipments_due               integer NOT NULL CHECK (shipments_due >= 0),
        delivered_on_time           integer NOT NULL CHECK (delivered_on_time >= 0),
        shipments_late              integer NOT NULL CHECK (shipments_late >= 0),
        shipments_pending           integer NOT NULL CHECK (shipments_pending >= 0),
        on_time_rate                numeric(5, 4) CHECK (on_time_rate BETWEEN 0 AND 1),
        late_days_total             integer NOT NULL CHECK (late_days_total >= 0),
        average_delay_days          numeric(6, 2),
        support_cases               integer NOT NULL CHECK (support_cases >= 0),
        avg_first_response_minutes  numeric(10, 1),
        avg_resolution_minutes      numeric(10, 1),
        avg_sentiment               numeric(6, 3),
        trust_score                 numeric(5, 2) CHECK (trust_score BETWEEN 0 AND 100),
        badge                       text NOT NULL CHECK (badge IN {BADGES}),
        breach_flags                text[] NOT NULL,
        breach_reasons              text,
        goodwill_action             text NOT NULL CHECK (goodwill_action IN {GOODWILL_ACTIONS}),
        refreshed_at                timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (score_date, subject_type, subject_id)
    """,
    "mart_logistics_sla": """
        subject_type          text NOT NULL CHECK (subject_type IN ('distributor', 'stockist')),
        subject_id            text NOT NULL,
        name                  text,
        distributor_id        text,
        stockist_id           text,
        region                text,
        country               text,
        stockists             integer CHECK (stockists >= 0),
        regions_served        text[] NOT NULL,
        cities_served         text[] NOT NULL,
        orders_routed_30d     integer NOT NULL CHECK (orders_routed_30d >= 0),
        sla_days              integer,
        shipments_30d         integer NOT NULL CHECK (shipments_30d >= 0),
        breaches_30d          integer NOT NULL CHECK (breaches_30d >= 0),
        late_days_30d         integer NOT NULL CHECK (late_days_30d >= 0),
        penalty_per_late_day  numeric(14, 2),
        penalty_cap           numeric(14, 2),
        currency              text,
        penalty_amount        numeric(14, 2) NOT NULL CHECK (penalty_amount >= 0),
        fx_rate               numeric(18, 6),
        penalty_amount_base   numeric(14, 2) CHECK (penalty_amount_base >= 0),
        base_currency         text NOT NULL,
        on_hand_units         integer,
        avg_daily_units_sold  numeric(12, 2),
        days_on_hand          numeric(10, 1),
        last_snapshot_date    date,
        snapshot_age_days     integer,
        stock_alerts          integer NOT NULL CHECK (stock_alerts >= 0),
        stock_alert_products  text[] NOT NULL,
        as_of_date            date,
        refreshed_at          timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (subject_type, subject_id),
        CHECK (breaches_30d <= shipments_30d)
    """,
    "trust_metrics": """
        metric            text PRIMARY KEY,
        value             numeric(18, 4),
        unit              text NOT NULL,
        time_window       text NOT NULL,
        target            numeric(18, 4),
        target_direction  text CHECK (target_direction IN ('at_least', 'at_most')),
        meets_target      boolean,
        description       text NOT NULL,
        as_of_date        date,
        refreshed_at      timestamptz NOT NULL DEFAULT now()
    """,
}

TABLE_COMMENTS = {
    "mart_trust_scores": "Per day and subject (distributor, stockist or carrier): deliveries"
    " promised that day, support cases opened that day about its shipments, a 0-100 trust"
    " score, breaches and the goodwill action they call for (docs/trust_metrics.md)",
    "mart_logistics_sla": "Per current distributor and stockist: coverage, SLA breaches and"
    " contract penalties over the 30 days to as_of_date, and inventory cover and recency",
    "trust_metrics": "The headline numbers behind /api/trust/metrics, one row per metric",
}

COLUMN_COMMENTS = {
    "mart_trust_scores": {
        "score_date": "The shipments' promised date and the support cases' opened_at UTC date",
        "subject_id": "distributor_id, stockist_id or carrier name, per subject_type",
        "shipments_due": "Shipments promised that day whose outcome is known: delivered, or"
        " undelivered with the promised date before as_of_date",
        "delivered_on_time": "Shipments delivered (UTC date) on or before the promised date",
        "shipments_late": "shipments_due - delivered_on_time: delivered late or still"
        " undelivered past the promised date",
        "shipments_pending": "Undelivered shipments not yet due (promised on or after"
        " as_of_date); left out of the rate",
        "on_time_rate": "delivered_on_time / shipments_due; NULL without due shipments",
        "late_days_total": "Days late summed over late shipments: delivery date (or as_of_date"
        " while undelivered) minus the promised date",
        "average_delay_days": "late_days_total / shipments_late; NULL when nothing was late",
        "support_cases": "Support cases opened that day about an order shipped through the subject",
        "avg_sentiment": "Mean sentiment of those cases, -1 (negative) to 1 (positive)",
        "trust_score": "0-100 weighted composite (on-time 50, delay 20, support"
        " responsiveness 20, sentiment 10; missing parts reweighted); NULL with nothing to score",
        "badge": "trusted >= 90, reliable >= 75, watch >= 60, at_risk below; unrated when"
        " trust_score is NULL",
        "breach_flags": "Targets missed, in a fixed order; empty when none",
        "breach_reasons": "The breaches in words with the numbers behind them; NULL when none",
        "goodwill_action": "voucher, shipping_refund, apology_note or none, by the most severe"
        " breach",
    },
    "mart_logistics_sla": {
        "distributor_id": "The distributor itself, or the stockist's distributor",
        "stockist_id": "The stockist (stockist rows only)",
        "stockists": "Current stockists supplied by the distributor (distributor rows only)",
        "regions_served": "Regions of the distributor and its stockists (sorted)",
        "cities_served": "Cities of the stockist, or of the distributor's stockists (sorted)",
        "orders_routed_30d": "Orders placed in the 30 days to as_of_date that went through the"
        " subject (stockist: placed at it; distributor: shipped through it or placed at one of"
        " its stockists)",
        "sla_days": "The contract's delivery SLA; promised dates are order day + sla_days",
        "shipments_30d": "Shipments under this contract (a stockist's when it shipped through"
        " one, else the distributor's) promised in the 30 days to as_of_date",
        "breaches_30d": "Of those, delivered after the promised date or still undelivered past it",
        "late_days_30d": "Days late summed over the breaches",
        "penalty_amount": "Sum over breaches of least(late days * penalty_per_late_day,"
        " penalty_cap), in the contract currency",
        "fx_rate": "Base currency per unit of the contract currency: the latest silver.fx_rates"
        " rate on or before as_of_date (1 for the base currency)",
        "penalty_amount_base": "penalty_amount * fx_rate; NULL when no rate is known",
        "on_hand_units": "Units on hand in the latest snapshot (distributor: over its stockists)",
        "avg_daily_units_sold": "Units sold per snapshot day over the latest 14 snapshot days"
        " (distributor: summed over its stockists)",
        "days_on_hand": "on_hand_units / avg_daily_units_sold; NULL when nothing sold",
        "last_snapshot_date": "Latest inventory snapshot on or before as_of_date (distributor:"
        " the stalest of its stockists' latest)",
        "snapshot_age_days": "as_of_date - last_snapshot_date",
        "stock_alerts": "Products at or below their reorder point in the latest snapshot"
        " (distributor: stockist-product pairs)",
        "stock_alert_products": "Those product ids, distinct and sorted, at most 10",
    },
    "trust_metrics": {
        "value": "The metric's value in its unit; NULL when there is nothing to measure",
        "unit": "ratio (0-1), days, minutes, score (-1 to 1), count or a currency code",
        "time_window": "30d: the 30 days to as_of_date; latest: the latest snapshot",
        "target_direction": "at_least: value >= target meets it; at_most: value <= target",
        "meets_target": "Whether value meets target; NULL without a target or a value",
    },
}


def upgrade() -> None:
    for table, columns in TABLES.items():
        op.execute(f"CREATE TABLE transparency.{table} ({columns})")
        op.execute(
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON transparency.{table} TO {PIPELINE_ROLE}"
        )
        comment = TABLE_COMMENTS[table].replace("'", "''")
        op.execute(f"COMMENT ON TABLE transparency.{table} IS '{comment}'")
        for column, text in COLUMN_COMMENTS[table].items():
            escaped = text.replace("'", "''")
            op.execute(f"COMMENT ON COLUMN transparency.{table}.{column} IS '{escaped}'")
    # The primary key serves the per-day rebuilds; the service also reads one subject's history.
    op.execute(
        "CREATE INDEX mart_trust_scores_subject"
        " ON transparency.mart_trust_scores (subject_type, subject_id, score_date)"
    )


def downgrade() -> None:
    op.execute(
        "DROP TABLE transparency.trust_metrics, transparency.mart_logistics_sla,"
        " transparency.mart_trust_scores"
    )
