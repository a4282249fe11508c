"""The read-only analyst login BI tools (Power BI, Looker, Metabase) connect as.

`ecom db init` creates the role `ecom_analyst` and, after every owner's migrations, sets its
grants from scratch: CONNECT on the platform database, USAGE on the schemas holding what it may
read, and SELECT on exactly the gold marts (`flows.gold.marts.MARTS`, which the composition root
passes in: shared imports no deployable) and the pipeline's
data-quality views listed in `ANALYST_VIEWS`. Nothing else: not silver, not the back office's
tables (personal data) in `admin`, not the reminders outbox, no writes, no temporary tables.
Its sessions also default to read-only transactions, a second guard behind the grants.

Because grants are recomputed on each init, a mart added by a later migration becomes readable
on the next `ecom db init`, and anything granted by hand is taken back.
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from shared.owners import OWNERSHIP

ANALYST_ROLE = "ecom_analyst"
ANALYST_PASSWORD_FIELD = "db_password_analyst"  # noqa: S105 - a setting's name

# Views of the pipeline (owned by ecom_flows, so they read ops with its rights) that hold no
# personal data: runs, contract results, mart freshness and KPI snapshots. `ops.api_rejects`
# (raw rejected rows) and the file views stay closed.
ANALYST_VIEWS: tuple[str, ...] = (
    "ops.api_pipeline_runs",
    "ops.api_contract_results",
    "ops.api_mart_builds",
    "ops.api_kpi_snapshots",
)


def analyst_readable(marts: Sequence[str]) -> tuple[str, ...]:
    """Every `schema.table` the analyst may SELECT: the marts, then the analyst views."""
    return (*marts, *ANALYST_VIEWS)


async def grant_analyst_access(
    connection: asyncpg.Connection, database: str, marts: Sequence[str]
) -> None:
    """Reset the analyst's grants on `database` to exactly `analyst_readable(marts)`
    (superuser); `marts` are the gold marts' `schema.table` names."""
    role = await connection.fetchval("SELECT quote_ident($1)", ANALYST_ROLE)
    quoted_db = await connection.fetchval("SELECT quote_ident($1)", database)
    readable = analyst_readable(marts)
    async with connection.transaction():
        for ownership in OWNERSHIP.values():
            for schema in ownership.schemas:
                await connection.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {role}")
                await connection.execute(f"REVOKE ALL ON SCHEMA {schema} FROM {role}")
        await connection.execute(f"REVOKE ALL ON DATABASE {quoted_db} FROM {role}")
        await connection.execute(f"GRANT CONNECT ON DATABASE {quoted_db} TO {role}")
        for schema in sorted({name.split(".", 1)[0] for name in readable}):
            await connection.execute(f"GRANT USAGE ON SCHEMA {schema} TO {role}")
        for name in readable:
            await connection.execute(f"GRANT SELECT ON {name} TO {role}")
        await connection.execute(f"ALTER ROLE {role} SET default_transaction_read_only = on")
