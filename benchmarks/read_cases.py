"""The read endpoints `benchmarks.service_reads` measures: one busy read per service.

Each case names the service, the path a client calls, the data it reads (seeded before the
run) and the exact SQL the service sends for it, compiled from the same SQLAlchemy statement
the service builds; the bare handler (`benchmarks.bare_reads`) sends that SQL verbatim.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import asyncpg
from sqlalchemy import Select, func, select
from sqlalchemy.dialects import postgresql

from deploy.seed import seed_reminders
from services.admin.entities.revenue import SORT_KEYS
from services.admin.tables import mart_daily_revenue
from services.loyalty.entities.recommendations import RESOURCE as RECOMMENDATIONS
from services.reminders.entities.preferences import RESOURCE as PREFERENCES
from services.transparency.entities.trust_scores import RESOURCE as TRUST_SCORES
from shared.owners import Owner
from shared.pagination import DEFAULT_PAGE_SIZE, order_by_clause

Seeder = Callable[[dict[Owner, str]], Coroutine[Any, Any, None]]


@dataclass(frozen=True)
class ReadCase:
    """One endpoint: who serves it, where, the SQL behind a default page, and its data."""

    name: str
    owner: Owner
    path: str
    statement: Select[Any]
    seed: Seeder

    @property
    def sql(self) -> str:
        """The page query as the service sends it: the rows plus `count(*) OVER ()`."""
        counted = self.statement.add_columns(func.count().over().label("__page_total"))
        paged = counted.limit(DEFAULT_PAGE_SIZE).offset(0)
        compiled = paged.compile(
            dialect=postgresql.dialect(),  # type: ignore[no-untyped-call]
            compile_kwargs={"literal_binds": True},
        )
        return str(compiled)


async def _execute(url: str, sql: str, *args: Any) -> None:
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(sql, *args)
    finally:
        await connection.close()


async def _seed_revenue(urls: dict[Owner, str]) -> None:
    await _execute(
        urls[Owner.FLOWS],
        """
        INSERT INTO admin.mart_daily_revenue (order_date, channel, region, orders,
            cancelled_orders, net_revenue, average_order_value, currency)
        SELECT current_date - day, channel, region, 10, 1, 1234.50, 123.45, 'USD'
        FROM generate_series(0, 119) AS day,
             unnest(ARRAY['web', 'mobile', 'stockist', 'distributor']) AS channel,
             unnest(ARRAY['north', 'south', 'east', 'west']) AS region
        """,
    )


async def _seed_recommendations(urls: dict[Owner, str]) -> None:
    await _execute(
        urls[Owner.FLOWS],
        """
        INSERT INTO loyalty.mart_loyalty_recommendations (customer_id, product_id, rank, segment,
            product_name, score, basis, anchor_product_id, reason, discount_tier,
            discount_percent, reminder_cadence_days, channel, next_best_action, status,
            as_of_date, refreshed_at)
        SELECT 'C' || lpad(c::text, 5, '0'), 'P' || lpad(p::text, 4, '0'), p, 'loyal',
            'Product ' || p, 0.5, 'co_purchase', NULL, 'bought together', 'silver', 10, 30,
            'email', 'send_offer', 'active', current_date, now()
        FROM generate_series(1, 2000) AS c, generate_series(1, 5) AS p
        """,
    )


async def _seed_trust_scores(urls: dict[Owner, str]) -> None:
    await _execute(
        urls[Owner.FLOWS],
        """
        INSERT INTO transparency.mart_trust_scores (score_date, subject_type, subject_id,
            shipments_due, delivered_on_time, shipments_late, shipments_pending, on_time_rate,
            late_days_total, average_delay_days, support_cases, avg_first_response_minutes,
            avg_resolution_minutes, avg_sentiment, trust_score, badge, breach_flags,
            breach_reasons, goodwill_action, refreshed_at)
        SELECT current_date - day, kind, kind || '-' || s, 20, 18, 2, 0, 0.9, 3, 1.5, 1, 30.0,
            120.0, 0.2, 88.5, 'trusted', ARRAY[]::text[], NULL, 'none', now()
        FROM generate_series(0, 89) AS day,
             unnest(ARRAY['distributor', 'stockist', 'carrier']) AS kind,
             generate_series(1, 20) AS s
        """,
    )


async def _seed_configurations(urls: dict[Owner, str]) -> None:
    await seed_reminders(urls[Owner.REMINDERS])


def _revenue_statement() -> Select[Any]:
    return select(mart_daily_revenue).order_by(
        *order_by_clause("-order_date,channel,region", SORT_KEYS)
    )


def _resource_statement(resource: Any) -> Select[Any]:
    statement: Select[Any] = resource.query({}, None, resource.default_sort)
    return statement


CASES: tuple[ReadCase, ...] = (
    ReadCase(
        "admin-revenue",
        Owner.ADMIN,
        "/api/admin/kpis/daily-revenue",
        _revenue_statement(),
        _seed_revenue,
    ),
    ReadCase(
        "loyalty-recommendations",
        Owner.LOYALTY,
        "/api/loyalty/recommendations",
        _resource_statement(RECOMMENDATIONS),
        _seed_recommendations,
    ),
    ReadCase(
        "transparency-trust-scores",
        Owner.TRANSPARENCY,
        "/api/transparency/trust/scores",
        _resource_statement(TRUST_SCORES),
        _seed_trust_scores,
    ),
    ReadCase(
        "reminders-configurations",
        Owner.REMINDERS,
        "/api/reminders/configurations",
        _resource_statement(PREFERENCES),
        _seed_configurations,
    ),
)
CASES_BY_NAME = {case.name: case for case in CASES}
