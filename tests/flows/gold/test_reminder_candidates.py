"""reminders.reminder_candidates on hand-checked customers: every cadence source, the exclusions
and the choice of channel and time zone, as of the data date 2026-11-27.

The loyalty marts it reads are built on another branch; until they are merged, `loyalty_marts`
creates minimal stand-ins (only the columns this mart relies on). Once the real marts exist,
the stand-in DDL is skipped and rows are written into the real tables.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

import asyncpg
import pytest

from flows.gold.marts import MART_BY_NAME
from shared.database import asyncpg_dsn
from shared.owners import PIPELINE_ROLE
from tests.conftest import TestDatabase
from tests.flows.gold.silver_rows import SilverWriter, build

AS_OF = date(2026, 11, 27)
CANDIDATE_COLUMNS = (
    "customer_id, segment, channel, cadence_days, cadence_source, preference_id, due_date,"
    " days_overdue, window_start, cadence_window, timezone, quiet_hours_start, quiet_hours_end,"
    " as_of_date"
)

# --- Stand-ins for the loyalty marts (another helper's branch builds the real ones) -----------
# STAND-IN ONLY: the columns of loyalty.mart_customer_summary and
# loyalty.mart_loyalty_recommendations that the reminders mart and hook rely on.
LOYALTY_STAND_INS = {
    "loyalty.mart_customer_summary": """
        customer_id text PRIMARY KEY, segment text, last_order_at timestamptz,
        frequency integer, repurchase_interval_days numeric, expected_next_order_date date,
        as_of_date date
    """,
    "loyalty.mart_loyalty_recommendations": """
        customer_id text NOT NULL, product_id text NOT NULL, rank smallint NOT NULL,
        score numeric, reason text, segment text, discount_tier text, discount_percent numeric,
        reminder_cadence_days smallint, channel text, next_best_action text, status text,
        PRIMARY KEY (customer_id, product_id)
    """,
}
# Values for NOT NULL columns of the real marts that a test does not name.
_FILLERS: dict[str, Any] = {
    "text": "",
    "character varying": "",
    "character": "",
    "smallint": 0,
    "integer": 0,
    "bigint": 0,
    "numeric": Decimal(0),
    "double precision": 0.0,
    "real": 0.0,
    "boolean": False,
    "date": AS_OF,
    "timestamp with time zone": datetime(2026, 11, 27, tzinfo=UTC),
    "timestamp without time zone": datetime(2026, 11, 27),
    "jsonb": "{}",
    "json": "{}",
    "ARRAY": [],
}


async def ensure_loyalty_marts(connection: asyncpg.Connection) -> None:
    """Create the stand-in loyalty marts unless the real ones exist; the pipeline reads them."""
    for table, columns in LOYALTY_STAND_INS.items():
        await connection.execute(f"CREATE TABLE IF NOT EXISTS {table} ({columns})")
        await connection.execute(f"GRANT SELECT ON {table} TO {PIPELINE_ROLE}")


async def add_mart_row(connection: asyncpg.Connection, table: str, **values: Any) -> None:
    """Insert one row into a (stand-in or real) loyalty mart, filling other required columns."""
    schema, name = table.split(".")
    columns = await connection.fetch(
        """
        SELECT column_name, data_type FROM information_schema.columns
        WHERE table_schema = $1 AND table_name = $2 AND is_nullable = 'NO'
          AND column_default IS NULL AND is_identity = 'NO' AND is_generated = 'NEVER'
        """,
        schema,
        name,
    )
    row = {c["column_name"]: _FILLERS[c["data_type"]] for c in columns} | values
    names = ", ".join(f'"{column}"' for column in row)
    marks = ", ".join(f"${number}" for number in range(1, len(row) + 1))
    await connection.execute(f"INSERT INTO {table} ({names}) VALUES ({marks})", *row.values())


async def add_preference(
    connection: asyncpg.Connection, preference_id: str, channel: str, cadence_days: int, **more: Any
) -> None:
    """Insert one reminders.reminder_preferences row (customer or segment scope from `more`)."""
    row = {
        "preference_id": preference_id,
        "scope": "customer" if "customer_id" in more else "segment",
        "channel": channel,
        "cadence_days": cadence_days,
        **more,
    }
    names = ", ".join(row)
    marks = ", ".join(f"${number}" for number in range(1, len(row) + 1))
    await connection.execute(
        f"INSERT INTO reminders.reminder_preferences ({names}) VALUES ({marks})", *row.values()
    )


@pytest.fixture
async def superuser(database: TestDatabase) -> AsyncIterator[asyncpg.Connection]:
    """A superuser connection with the loyalty marts in place (stand-ins until merged)."""
    connection = await asyncpg.connect(asyncpg_dsn(database.url))
    try:
        await ensure_loyalty_marts(connection)
        yield connection
    finally:
        await connection.close()


async def add_customer(
    silver: SilverWriter,
    superuser: asyncpg.Connection,
    customer_id: str,
    last_order_at: datetime,
    *,
    segment: str,
    interval: Decimal | None = None,
    in_silver: bool = True,
    **silver_columns: Any,
) -> None:
    """A customer with one order at `last_order_at`, its summary row and (unless told not to)
    its current silver row."""
    await silver.add(
        "orders", order_id=f"O-{customer_id}", customer_id=customer_id, order_ts=last_order_at,
        total_amount=Decimal("10.00"),
    )  # fmt: skip
    if in_silver:
        await silver.add("customers", customer_id=customer_id, **silver_columns)
    await add_mart_row(
        superuser, "loyalty.mart_customer_summary", customer_id=customer_id, segment=segment,
        last_order_at=last_order_at, frequency=1 if interval is None else 3,
        repurchase_interval_days=interval, as_of_date=AS_OF,
    )  # fmt: skip


def on(day: int, month: int = 11, hour: int = 9) -> datetime:
    """A 2026 timestamp (UTC)."""
    return datetime(2026, month, day, hour, tzinfo=UTC)


async def write_customers(silver: SilverWriter, superuser: asyncpg.Connection) -> None:
    """The hand-checked customers and preferences of this module (data date 2026-11-27)."""
    # Segment preferences: consumer every 7 days by email; business by sms every 7 days (its
    # email preference is disabled); every dormant preference is disabled.
    await add_preference(superuser, "seg-consumer-email", "email", 7, segment="consumer")
    await add_preference(superuser, "seg-business-sms", "sms", 7, segment="business")
    await add_preference(
        superuser, "seg-business-email", "email", 3, segment="business", enabled=False
    )
    await add_preference(superuser, "seg-dormant-sms", "sms", 9, segment="dormant", enabled=False)

    # Own preference (14 days, New York, quiet 22:00-07:00) beats the consumer segment's 7 days.
    await add_preference(
        superuser, "c-pref-email", "email", 14, customer_id="C-PREF", timezone="America/New_York",
        quiet_hours_start=time(22), quiet_hours_end=time(7),
    )  # fmt: skip
    await add_customer(silver, superuser, "C-PREF", on(10), segment="consumer",
                       interval=Decimal("40"), timezone="Europe/Paris")  # fmt: skip
    # Business segment: sms every 7 days, in the preference's zone (UTC), not Berlin.
    await add_customer(silver, superuser, "C-SEG", on(5), segment="business",
                       timezone="Europe/Berlin", preferred_channel="email")  # fmt: skip
    # No preference at either level: the repurchase interval, rounded and clamped to 7..90.
    await add_customer(silver, superuser, "C-INT", on(1), segment="vip",
                       interval=Decimal("20.4"), timezone="Asia/Tokyo",
                       preferred_channel="push")  # fmt: skip
    await add_customer(silver, superuser, "C-LOW", on(20), segment="vip",
                       interval=Decimal("3.2"), in_silver=False)  # fmt: skip
    await add_customer(silver, superuser, "C-HIGH", on(1, month=8), segment="vip",
                       interval=Decimal("200"), preferred_channel="phone")  # fmt: skip
    # A single order: the 30-day default.
    await add_customer(silver, superuser, "C-DEFAULT", on(20, month=10), segment="lost")
    # Ordered on the data date (the newest order: it sets as_of_date): due in December.
    await add_customer(silver, superuser, "C-NOTDUE", on(27, hour=10), segment="vip")
    # Opted out of marketing in silver: never a candidate, though long overdue.
    await add_customer(silver, superuser, "C-OPTOUT", on(1, month=9), segment="vip",
                       marketing_opt_in=False)  # fmt: skip
    # Its only own preference is disabled: off, whatever the business segment says.
    await add_preference(superuser, "c-disabled-sms", "sms", 5, customer_id="C-DISABLED",
                         enabled=False)  # fmt: skip
    await add_customer(silver, superuser, "C-DISABLED", on(1, month=9), segment="business")
    # Email disabled, push enabled (10 days): push, though email is the preferred channel.
    await add_preference(superuser, "c-mixed-email", "email", 4, customer_id="C-MIXED",
                         enabled=False)  # fmt: skip
    await add_preference(superuser, "c-mixed-push", "push", 10, customer_id="C-MIXED",
                         timezone="Europe/London")  # fmt: skip
    await add_customer(silver, superuser, "C-MIXED", on(15), segment="consumer",
                       preferred_channel="email")  # fmt: skip
    # Two enabled own preferences: the preferred channel (sms, 5 days) wins over email.
    await add_preference(superuser, "c-two-email", "email", 21, customer_id="C-TWO")
    await add_preference(superuser, "c-two-sms", "sms", 5, customer_id="C-TWO")
    await add_customer(silver, superuser, "C-TWO", on(20), segment="consumer",
                       preferred_channel="sms")  # fmt: skip
    # Every preference of the dormant segment is disabled: reminders are off for it.
    await add_customer(silver, superuser, "C-DORMANT", on(1, month=9), segment="dormant")


async def test_candidates_follow_cadence_sources_exclusions_and_time_zones(
    silver: SilverWriter,
    superuser: asyncpg.Connection,
    pipeline_dsn: str,
    database: TestDatabase,
) -> None:
    await write_customers(silver, superuser)

    [candidates] = await build(pipeline_dsn, "reminder_candidates")

    rows = await database.rows(
        f"SELECT {CANDIDATE_COLUMNS} FROM reminders.reminder_candidates ORDER BY customer_id"
    )
    assert rows == [
        # 10-20 + 30 = 11-19, 8 days overdue; an unknown opt-in is no opt-out.
        ("C-DEFAULT", "lost", "email", 30, "default", None, date(2026, 11, 19), 8,
         date(2026, 11, 19), "2026-11-19/30d", "UTC", None, None, AS_OF),
        # 08-01 + 90 (200 clamped) = 10-30, 28 days overdue; 'phone' is no reminder channel.
        ("C-HIGH", "vip", "email", 90, "repurchase_interval", None, date(2026, 10, 30), 28,
         date(2026, 10, 30), "2026-10-30/90d", "UTC", None, None, AS_OF),
        # 11-01 + 20 (20.4 rounded) = 11-21, 6 days overdue; silver's zone and channel.
        ("C-INT", "vip", "push", 20, "repurchase_interval", None, date(2026, 11, 21), 6,
         date(2026, 11, 21), "2026-11-21/20d", "Asia/Tokyo", None, None, AS_OF),
        # 11-20 + 7 (3.2 clamped up) = 11-27: due on the data date; no silver row: UTC.
        ("C-LOW", "vip", "email", 7, "repurchase_interval", None, AS_OF, 0,
         AS_OF, "2026-11-27/7d", "UTC", None, None, AS_OF),
        # 11-15 + 10 = 11-25 on push, the only enabled own preference, in its zone.
        ("C-MIXED", "consumer", "push", 10, "customer_preference", "c-mixed-push",
         date(2026, 11, 25), 2, date(2026, 11, 25), "2026-11-25/10d", "Europe/London", None,
         None, AS_OF),
        # 11-10 + 14 = 11-24, 3 days overdue; the preference's zone and quiet hours.
        ("C-PREF", "consumer", "email", 14, "customer_preference", "c-pref-email",
         date(2026, 11, 24), 3, date(2026, 11, 24), "2026-11-24/14d", "America/New_York",
         time(22), time(7), AS_OF),
        # 11-05 + 7 = 11-12, 15 days overdue: its third window began 11-12 + 2 x 7 = 11-26.
        ("C-SEG", "business", "sms", 7, "segment_preference", "seg-business-sms",
         date(2026, 11, 12), 15, date(2026, 11, 26), "2026-11-26/7d", "UTC", None, None, AS_OF),
        # 11-20 + 5 = 11-25 on sms, the preferred of its two enabled channels.
        ("C-TWO", "consumer", "sms", 5, "customer_preference", "c-two-sms", date(2026, 11, 25),
         2, date(2026, 11, 25), "2026-11-25/5d", "UTC", None, None, AS_OF),
    ]  # fmt: skip
    assert (candidates.mode, candidates.rows) == ("full", 8)
    checks = await database.fetch(
        "SELECT check_name, status FROM ops.quality_results"
        " WHERE mart = 'reminders.reminder_candidates'"
    )
    assert len(checks) == len(MART_BY_NAME["reminder_candidates"].contract)
    assert {row["status"] for row in checks} == {"pass"}


async def test_a_rebuild_of_the_same_data_gives_the_same_candidates(
    silver: SilverWriter,
    superuser: asyncpg.Connection,
    pipeline_dsn: str,
    database: TestDatabase,
) -> None:
    await write_customers(silver, superuser)
    query = "SELECT * FROM reminders.reminder_candidates ORDER BY customer_id"

    await build(pipeline_dsn, "reminder_candidates")
    first = [dict(row) | {"refreshed_at": None} for row in await database.fetch(query)]
    await build(pipeline_dsn, "reminder_candidates")
    second = [dict(row) | {"refreshed_at": None} for row in await database.fetch(query)]

    assert len(first) == 8
    assert second == first


async def test_disabling_a_preference_removes_the_customer_on_the_next_build(
    silver: SilverWriter,
    superuser: asyncpg.Connection,
    pipeline_dsn: str,
    database: TestDatabase,
) -> None:
    await write_customers(silver, superuser)
    await build(pipeline_dsn, "reminder_candidates")

    # C-PREF turns its only own preference off; the consumer segment's must not take over.
    await superuser.execute(
        "UPDATE reminders.reminder_preferences SET enabled = false"
        " WHERE preference_id = 'c-pref-email'"
    )
    # A segment preference for vip now sets C-INT's and C-LOW's cadence (7 days, sms).
    await add_preference(superuser, "seg-vip-sms", "sms", 7, segment="vip")
    await build(pipeline_dsn, "reminder_candidates")

    rows = await database.rows(
        "SELECT customer_id, channel, cadence_days, cadence_source, due_date"
        " FROM reminders.reminder_candidates WHERE segment IN ('consumer', 'vip')"
        " ORDER BY customer_id"
    )
    assert rows == [
        # C-HIGH: 08-01 + 7; C-INT: 11-01 + 7; C-LOW: 11-20 + 7. C-PREF is gone.
        ("C-HIGH", "sms", 7, "segment_preference", date(2026, 8, 8)),
        ("C-INT", "sms", 7, "segment_preference", date(2026, 11, 8)),
        ("C-LOW", "sms", 7, "segment_preference", AS_OF),
        ("C-MIXED", "push", 10, "customer_preference", date(2026, 11, 25)),
        ("C-TWO", "sms", 5, "customer_preference", date(2026, 11, 25)),
    ]


async def test_the_cadence_runs_from_the_last_kept_order_not_the_newest(
    silver: SilverWriter, pipeline_dsn: str, database: TestDatabase
) -> None:
    # K-1 kept an order on 1 October and cancelled one on 20 November; N-1's order sets the
    # data date. Built from silver, through the real customer summary.
    orders = (
        ("O-K-1", "K-1", on(1, month=10), "delivered"),
        ("O-K-2", "K-1", on(20), "cancelled"),
        ("O-N-1", "N-1", on(27), "delivered"),
    )
    for order_id, customer_id, order_ts, status in orders:
        await silver.add("orders", order_id=order_id, customer_id=customer_id,
                         order_ts=order_ts, status=status,
                         total_amount=Decimal("10.00"))  # fmt: skip
    for customer_id in ("K-1", "N-1"):
        await silver.add("customers", customer_id=customer_id)

    await build(pipeline_dsn, "mart_customer_summary", "reminder_candidates")

    # One kept order: the default 30 days from 1 October, due since 31 October (the cancelled
    # order of 20 November would have made it due on 20 December: no candidate).
    rows = await database.rows(
        "SELECT customer_id, last_order_at, cadence_source, cadence_days, due_date"
        " FROM reminders.reminder_candidates WHERE customer_id = 'K-1'"
    )
    assert rows == [("K-1", on(1, month=10), "default", 30, date(2026, 10, 31))]
