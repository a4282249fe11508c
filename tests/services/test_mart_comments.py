"""The marts' column comments (from each owner's migrations) and docs/ state the same rule for the
numbers whose words once disagreed with what the SQL computes (issue 19, point 5)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import TestDatabase

DOCS = Path(__file__).resolve().parents[2] / "docs"

# (table, column or None for the table, words the comment must hold, words it must not,
#  docs page, words the page must hold): the same rule on both sides.
RULES = (
    ("admin.mart_daily_revenue", "new_customers", "first order ever", None,
     "daily_revenue.md", "first order ever"),
    ("admin.mart_daily_revenue", "new_customers", "new in the row of that first order only",
     None, "daily_revenue.md", "of that first order, and only there"),
    ("admin.mart_daily_revenue", "returning_customers", "another channel or region", None,
     "daily_revenue.md", "returning in the mobile row"),
    ("transparency.mart_trust_scores", "trust_score", "rounded half away from zero once", None,
     "trust_metrics.md", "rounded once to 2 decimals"),
    ("transparency.mart_trust_scores", "average_delay_days", "2 places", None,
     "trust_metrics.md", "| `trust_score`, `average_delay_days` (both marts)"),
    ("transparency.mart_trust_scores", "avg_sentiment", "3 places", None,
     "trust_metrics.md", "| `avg_sentiment`, `average_sentiment` | 3 |"),
    ("transparency.mart_trust_scores", "avg_first_response_minutes", "1 place", None,
     "trust_metrics.md", "`avg_first_response_minutes`, `avg_resolution_minutes`,"),
    ("transparency.trust_metrics", "value", "column holds 4 places", None,
     "trust_metrics.md", "so it can hold 4 places"),
    ("transparency.trust_metrics", "meets_target", "published (rounded) value", None,
     "trust_metrics.md", "the published, rounded value meets the target"),
    ("reminders.reminder_candidates", "last_order_at", "last kept order", "newest",
     "reminders.md", "the customer's **last kept order**"),
    ("reminders.reminder_candidates", "cadence_source", "median gap", "average",
     "reminders.md", "the customer's **median** gap"),
    ("reminders.reminder_candidates", None, "opted out are left out", None,
     "reminders.md", "Customers who **opted out of marketing**"),
    ("loyalty.mart_loyalty_recommendations", "anchor_product_id",
     "every catalogue row was rejected is no anchor", None,
     "loyalty_scoring.md", "is unknown to the recommendations: it is\nno anchor"),
)  # fmt: skip


async def _comment(database: TestDatabase, table: str, column: str | None) -> str:
    if column is None:
        [(text,)] = await database.rows("SELECT obj_description($1::regclass, 'pg_class')", table)
    else:
        [(text,)] = await database.rows(
            "SELECT col_description($1::regclass, a.attnum) FROM pg_attribute a"
            " WHERE a.attrelid = $1::regclass AND a.attname = $2",
            table,
            column,
        )
    return str(text)


@pytest.mark.parametrize(
    ("table", "column", "said", "unsaid", "page", "documented"),
    RULES,
    ids=[f"{rule[0]}.{rule[1] or '(table)'}:{rule[2][:24]}" for rule in RULES],
)
async def test_the_column_comment_and_the_docs_state_the_same_rule(
    database: TestDatabase,
    table: str,
    column: str | None,
    said: str,
    unsaid: str | None,
    page: str,
    documented: str,
) -> None:
    comment = await _comment(database, table, column)
    assert said in comment, comment
    if unsaid is not None:
        assert unsaid not in comment, comment
    assert documented in (DOCS / page).read_text()
