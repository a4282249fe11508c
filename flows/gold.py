"""Gold: marts rebuilt for exactly the days silver changed, published in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

import asyncpg

from shared.database import affected_rows

SQL_DIR = Path(__file__).parent / "sql"

MART_DAILY_REVENUE = "mart_daily_revenue"


@cache
def load_sql(name: str) -> str:
    """The text of `flows/sql/<name>.sql`."""
    return (SQL_DIR / f"{name}.sql").read_text()


@dataclass(frozen=True)
class MartBuild:
    """What one mart build touched."""

    mart: str
    days: list[date]
    rows: int


async def build_mart_daily_revenue(connection: asyncpg.Connection, base_currency: str) -> MartBuild:
    """Recompute the dirty days of the revenue mart; readers see old or new, never a mix."""
    async with connection.transaction():
        dirty = await connection.fetch(
            "DELETE FROM ops.dirty_days WHERE mart = $1 RETURNING day", MART_DAILY_REVENUE
        )
        days = sorted(row["day"] for row in dirty)
        if not days:
            return MartBuild(MART_DAILY_REVENUE, [], 0)
        await connection.execute(
            "DELETE FROM admin.mart_daily_revenue WHERE order_date = ANY($1::date[])", days
        )
        status = await connection.execute(load_sql("mart_daily_revenue"), days, base_currency)
    return MartBuild(MART_DAILY_REVENUE, days, affected_rows(status))
