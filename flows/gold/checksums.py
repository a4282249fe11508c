"""Content checksums of the marts: a rebuild from the same silver must reproduce them exactly."""

from __future__ import annotations

import asyncpg

from flows.gold.marts import MARTS
from flows.silver.checksums import table_checksum


async def mart_checksums(connection: asyncpg.Connection) -> dict[str, str]:
    """md5 of each mart's rows, its build-time columns (`refreshed_at`) left out, by table."""
    return {
        mart.table: await table_checksum(connection, mart.table, frozenset(mart.volatile))
        for mart in MARTS
    }
