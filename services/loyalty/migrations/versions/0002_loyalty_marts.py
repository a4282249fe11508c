"""loyalty.mart_customer_summary and loyalty.mart_loyalty_recommendations, written by the pipeline
role, read by the loyalty service. docs/loyalty_scoring.md explains how their numbers are made.

The tables hold types, keys and NOT NULL; value rules (accepted segments, tiers, channels, score
ranges, ...) are the data contract's in flows/gold/marts/loyalty.py, checked on every build
before anything is published, so they live in one place and change without a migration.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from alembic import op

from shared.owners import PIPELINE_ROLE

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SUMMARY_COMMENTS = {
    "first_order_at": "First kept order (neither cancelled nor returned; deleted orders do not"
    " count at all); NULL when every order was cancelled or returned",
    "last_order_at": "Last kept order",
    "frequency": "Kept orders",
    "monetary": "Sum of the kept orders' totals (after discounts, with shipping and tax), in the"
    " base currency",
    "average_order_value": "monetary / frequency; NULL without kept orders",
    "recency_days": "as_of_date minus the UTC date of the last kept order",
    "recency_score": "1..5 from fixed recency thresholds (docs/loyalty_scoring.md)",
    "frequency_score": "1..5 from fixed order-count thresholds",
    "monetary_score": "1..5 from fixed base-currency thresholds",
    "rfm_score": "recency, frequency and monetary scores as three digits, e.g. 545",
    "segment": "RFM segment: the first matching rule of docs/loyalty_scoring.md",
    "lifetime_value": "Realised net revenue to date (equal to monetary), not a forecast",
    "tier": "bronze, silver, gold or platinum by lifetime_value thresholds",
    "favourite_category": "Category with the most units in kept orders (ties: alphabetical)",
    "products_bought": "Distinct products in kept orders, sorted (the recommendations' baskets)",
    "repurchase_interval_days": "Median days between consecutive kept orders; NULL under two",
    "expected_next_order_date": "Last kept order's UTC date + the rounded repurchase interval",
    "currency": "The base currency of every amount",
    "as_of_date": "The data date (UTC day of the newest order in silver) the row reflects",
}
RECOMMENDATION_COMMENTS = {
    "rank": "1 = best; co-purchase candidates before popularity fallbacks, then score, then"
    " product_id",
    "segment": "The customer's segment, within which affinities are counted",
    "product_name": "The product's current name",
    "score": "co_purchase: confidence (customers of the segment who bought the anchor and this"
    " product / who bought the anchor); segment_popularity: share of the segment who bought it",
    "basis": "co_purchase, or segment_popularity when co-purchase gave too few candidates",
    "anchor_product_id": "The bought product whose co-purchases give the score (co_purchase)",
    "reason": "Human-readable explanation of the score",
    "discount_tier": "Offer from the customer's segment: none, standard_5, loyal_10, winback_15",
    "discount_percent": "The discount tier's percentage",
    "reminder_cadence_days": "Repurchase interval rounded and clamped to 7..90; 30 when unknown",
    "channel": "Customer preference, else segment preference, else the customer's preferred"
    " channel, else email",
    "next_best_action": "winback_offer, welcome_series, replenish_reminder or cross_sell",
    "status": "new; queued (pending in the notification outbox); notified (sent)",
    "as_of_date": "The data date the row reflects",
}


def _comment(table: str, comments: dict[str, str]) -> None:
    for column, comment in comments.items():
        text = comment.replace("'", "''")
        op.execute(f"COMMENT ON COLUMN {table}.{column} IS '{text}'")


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE loyalty.mart_customer_summary (
            customer_id              text PRIMARY KEY,
            first_order_at           timestamptz,
            last_order_at            timestamptz,
            frequency                integer NOT NULL,
            monetary                 numeric(16, 2) NOT NULL,
            average_order_value      numeric(16, 2),
            recency_days             integer,
            recency_score            smallint NOT NULL,
            frequency_score          smallint NOT NULL,
            monetary_score           smallint NOT NULL,
            rfm_score                text NOT NULL,
            segment                  text NOT NULL,
            lifetime_value           numeric(16, 2) NOT NULL,
            tier                     text NOT NULL,
            favourite_category       text,
            products_bought          text[] NOT NULL DEFAULT '{}',
            repurchase_interval_days numeric(8, 1),
            expected_next_order_date date,
            currency                 char(3) NOT NULL,
            as_of_date               date NOT NULL,
            refreshed_at             timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    op.execute(
        "CREATE INDEX mart_customer_summary_segment ON loyalty.mart_customer_summary (segment)"
    )
    op.execute(
        "COMMENT ON TABLE loyalty.mart_customer_summary IS 'One row per customer with an"
        " undeleted order: RFM scores, segment, tier, favourite category and repurchase rhythm'"
    )
    _comment("loyalty.mart_customer_summary", SUMMARY_COMMENTS)
    op.execute(
        """
        CREATE TABLE loyalty.mart_loyalty_recommendations (
            customer_id           text NOT NULL,
            product_id            text NOT NULL,
            rank                  smallint NOT NULL,
            segment               text NOT NULL,
            product_name          text NOT NULL,
            score                 numeric(8, 4) NOT NULL,
            basis                 text NOT NULL,
            anchor_product_id     text,
            reason                text NOT NULL,
            discount_tier         text NOT NULL,
            discount_percent      smallint NOT NULL,
            reminder_cadence_days smallint NOT NULL,
            channel               text NOT NULL,
            next_best_action      text NOT NULL,
            status                text NOT NULL,
            as_of_date            date NOT NULL,
            refreshed_at          timestamptz NOT NULL DEFAULT now(),
            -- One rank per customer is the contract's too: a second unique index would slow
            -- every full rebuild for no reader's benefit.
            PRIMARY KEY (customer_id, product_id)
        )
        """
    )
    op.execute(
        "COMMENT ON TABLE loyalty.mart_loyalty_recommendations IS 'Per customer, the best active"
        " products they have not bought, by co-purchase affinity within their segment'"
    )
    _comment("loyalty.mart_loyalty_recommendations", RECOMMENDATION_COMMENTS)
    for table in ("mart_customer_summary", "mart_loyalty_recommendations"):
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON loyalty.{table} TO {PIPELINE_ROLE}")


def downgrade() -> None:
    op.execute("DROP TABLE loyalty.mart_loyalty_recommendations, loyalty.mart_customer_summary")
