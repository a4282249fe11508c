"""Mart rows for service tests, written as the pipeline role (the only writer of marts).

`MartWriter.add(table, **columns)` inserts one row into `<schema>.<table>` with the schema's
defaults for the columns a test is not about, so each test names only what it checks.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg

from shared.database import asyncpg_dsn
from shared.owners import Owner
from tests.conftest import TestDatabase


@dataclass
class MartWriter:
    """Inserts rows into one service schema's marts through the pipeline role's connection."""

    connection: asyncpg.Connection
    schema: str
    defaults: Mapping[str, Mapping[str, Any]]

    async def add(self, table: str, **columns: Any) -> None:
        """Insert one row: the test's columns over the table's defaults."""
        row = {**self.defaults[table], **columns}
        names = ", ".join(f'"{name}"' for name in row)
        values = ", ".join(f"${number}" for number in range(1, len(row) + 1))
        await self.connection.execute(
            f"INSERT INTO {self.schema}.{table} ({names}) VALUES ({values})", *row.values()
        )


async def mart_writer(
    database: TestDatabase, schema: str, defaults: Mapping[str, Mapping[str, Any]]
) -> AsyncIterator[MartWriter]:
    """A writer on a pipeline-role connection, closed afterwards (the body of a fixture)."""
    connection = await asyncpg.connect(asyncpg_dsn(database.role_url(Owner.FLOWS)))
    try:
        yield MartWriter(connection, schema, defaults)
    finally:
        await connection.close()
