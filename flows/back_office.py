"""The back office (`admin.products`, `admin.customers`, `admin.orders`) as silver's current rows.

Each run that changes silver copies, in the same run, the current rows of the keys it marked
(`flows.silver.back_office_marks`): current SCD2 versions of products and customers (inferred
placeholders are not customers yet, so they stay out), orders that are not deleted. A key with
no such row (deleted in silver) is removed. A full replay, a mart rebuild or an entity marked whole
(`flows.silver.whole_marks`: a file changed a large share of it) copies every key.

- Silver decides: "latest updated_at wins" happens there, for admin edits (through the change
  outbox) as for the sources, so a source update newer than an edit replaces the edit here too.
- A row's `version` (its ETag) goes up only when its content changes, so a client holding the
  version of a row a source has since changed gets 412.
- A key with an edit still in `admin.change_outbox` (made after this run landed the outbox) is
  left alone: its edit reaches silver in the next run, which marks the key again.
- A row the admin tables' rules refuse (a product sku or customer email another key already
  holds, a value out of range) is skipped, logged and counted in the run's totals; silver
  keeps it.

Runs as the pipeline role, which may read, upsert and delete exactly these three tables.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import asyncpg

from shared.database import affected_rows

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Mirror:
    """One back-office table and how its columns come from silver (alias `s`)."""

    silver: str  # silver table name (the mark's entity)
    admin_entity: str  # the admin outbox's entity name
    key: str
    columns: dict[str, str]  # admin column -> silver expression
    current: str  # which silver rows are current
    created_at: str = "now()"

    @property
    def admin(self) -> str:
        """The admin table."""
        return f"admin.{self.silver}"


def _same(*names: str) -> dict[str, str]:
    return {name: f"s.{name}" for name in names}


MIRRORS = (
    Mirror(
        silver="products",
        admin_entity="product",
        key="product_id",
        columns={
            **_same(
                "product_id", "sku", "name", "category", "price", "cost", "currency",
                "sustainability_score",
            ),
            "active": "coalesce(s.active, true)",
        },
        current="s.is_current AND NOT s.is_inferred",
    ),
    Mirror(
        silver="customers",
        admin_entity="customer",
        key="customer_id",
        columns={
            **_same(
                "customer_id", "first_name", "last_name", "email", "country", "region", "city",
                "timezone", "preferred_channel",
            ),
            "marketing_opt_in": "coalesce(s.marketing_opt_in, false)",
        },
        current="s.is_current AND NOT s.is_inferred",
        created_at="coalesce(s.created_at, now())",
    ),
    Mirror(
        silver="orders",
        admin_entity="order",
        key="order_id",
        columns={
            **_same("order_id", "customer_id", "status", "channel", "region", "currency"),
            "order_date": "s.order_ts",
            "total_amount": "s.total_amount",
        },
        current="s.deleted_at IS NULL",
    ),
)  # fmt: skip


@dataclass
class BackOfficeSync:
    """What one copy did: rows inserted or changed, rows removed, rows refused by the admin
    tables' rules (with their keys, for the log)."""

    synced: int = 0
    removed: int = 0
    skipped: int = 0
    skipped_keys: list[str] = field(default_factory=list)

    def describe(self) -> str:
        """One phrase for the run's summary."""
        return (
            f"back office: {self.synced} row(s) copied from silver, {self.removed} removed, "
            f"{self.skipped} skipped"
        )


def _staged_keys(mirror: Mirror, full: bool) -> str:
    """Fill `bo_keys` with the keys to copy and clear their marks. Parameter $1: the entity."""
    if full:
        return f"""
            WITH cleared AS (DELETE FROM ops.dirty_back_office WHERE entity = $1)
            INSERT INTO bo_keys (key)
            SELECT {mirror.key} FROM silver.{mirror.silver}
            UNION SELECT {mirror.key} FROM {mirror.admin}
        """  # nosec B608 # mirror tables/columns from the declared back-office mirrors; values bound
    return """
        WITH cleared AS (DELETE FROM ops.dirty_back_office WHERE entity = $1 RETURNING key)
        INSERT INTO bo_keys (key) SELECT key FROM cleared
    """


def _pending_edits(mirror: Mirror) -> str:
    """Drop from `bo_keys` the keys with an edit still in the outbox. Parameter $1: the admin
    entity."""
    return """
        DELETE FROM bo_keys k
        WHERE EXISTS (SELECT FROM admin.change_outbox o
                      WHERE o.entity = $1 AND o.entity_id = k.key)
    """


def _staged_rows(mirror: Mirror) -> str:
    values = ", ".join(f"{expr} AS {name}" for name, expr in mirror.columns.items())
    return f"""
        CREATE TEMP TABLE bo_rows ON COMMIT DROP AS
        SELECT {values}, s.updated_at AS updated_at, {mirror.created_at} AS created_at
        FROM silver.{mirror.silver} s JOIN bo_keys k ON k.key = s.{mirror.key}
        WHERE {mirror.current}
    """  # nosec B608 # mirror tables/columns from the declared back-office mirrors; values bound


def _removed(mirror: Mirror) -> str:
    return f"""
        DELETE FROM {mirror.admin} a USING bo_keys k
        WHERE a.{mirror.key} = k.key
          AND NOT EXISTS (SELECT FROM bo_rows r WHERE r.{mirror.key} = a.{mirror.key})
    """  # nosec B608 # mirror tables/columns from the declared back-office mirrors; values bound


def _upserted(mirror: Mirror, one_key: bool) -> str:
    """Insert or change the admin rows from `bo_rows` (one key, $1, when `one_key`); a row
    whose content is the same is left alone, version included."""
    names = list(mirror.columns)
    values = [name for name in names if name != mirror.key]
    changed = ", ".join(f"{name} = EXCLUDED.{name}" for name in values)
    old = ", ".join(f"t.{name}" for name in values)
    new = ", ".join(f"EXCLUDED.{name}" for name in values)
    where = f"WHERE r.{mirror.key} = $1" if one_key else ""
    columns = ", ".join([*names, "version", "created_at", "updated_at"])
    return f"""
        INSERT INTO {mirror.admin} AS t ({columns})
        SELECT {", ".join(f"r.{name}" for name in names)}, 1, r.created_at, r.updated_at
        FROM bo_rows r {where}
        ON CONFLICT ({mirror.key}) DO UPDATE SET {changed}, version = t.version + 1,
            updated_at = EXCLUDED.updated_at
        WHERE ({old}) IS DISTINCT FROM ({new})
    """  # nosec B608 # mirror tables/columns from the declared back-office mirrors; values bound


REFUSED = (asyncpg.IntegrityConstraintViolationError, asyncpg.DataError)


async def _copy_rows(
    connection: asyncpg.Connection, mirror: Mirror, result: BackOfficeSync
) -> None:
    """Upsert `bo_rows` in one statement; when the admin rules refuse some row, row by row,
    skipping (and counting) the refused ones."""
    try:
        async with connection.transaction():
            result.synced += affected_rows(await connection.execute(_upserted(mirror, False)))
        return
    except REFUSED:
        pass
    single = _upserted(mirror, True)
    keys = await connection.fetch(f"SELECT {mirror.key} AS key FROM bo_rows ORDER BY 1")  # nosec B608 # mirror tables/columns from the declared back-office mirrors; values bound
    for row in keys:
        try:
            async with connection.transaction():
                result.synced += affected_rows(await connection.execute(single, row["key"]))
        except REFUSED as error:
            result.skipped += 1
            result.skipped_keys.append(f"{mirror.silver}/{row['key']}")
            logger.warning(
                "back office: %s %s not copied from silver: %s",
                mirror.silver,
                row["key"],
                error,
            )


async def sync_back_office(connection: asyncpg.Connection, *, full: bool = False) -> BackOfficeSync:
    """Copy silver's current rows of the marked keys (every key when `full`, or of an entity
    marked whole) into the back office, in one transaction; returns the counts."""
    result = BackOfficeSync()
    async with connection.transaction():
        await connection.execute("SET LOCAL TimeZone = 'UTC'")
        for mirror in MIRRORS:
            await connection.execute(
                "CREATE TEMP TABLE bo_keys (key text PRIMARY KEY) ON COMMIT DROP"
            )
            whole = await connection.fetchval(
                "DELETE FROM ops.dirty_back_office_entities WHERE entity = $1 RETURNING true",
                mirror.silver,
            )
            await connection.execute(_staged_keys(mirror, full or bool(whole)), mirror.silver)
            await connection.execute(_pending_edits(mirror), mirror.admin_entity)
            # Temporary tables are never auto-analysed: unanalysed, a few marked keys are
            # guessed at thousands and the removal below scanned every admin row.
            await connection.execute("ANALYZE bo_keys")
            await connection.execute(_staged_rows(mirror))
            await connection.execute("ANALYZE bo_rows")
            result.removed += affected_rows(await connection.execute(_removed(mirror)))
            await _copy_rows(connection, mirror, result)
            await connection.execute("DROP TABLE bo_keys, bo_rows")
    logger.info(result.describe())
    return result
