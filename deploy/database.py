"""`ecom db init` as the composition root runs it: shared/bootstrap.py with what only the
deployables know (the gold marts the analyst login may read)."""

from __future__ import annotations

from deploy.cli.settings import PlatformSettings
from shared.bootstrap import init_database


def mart_tables() -> tuple[str, ...]:
    """Every gold mart's `schema.table`, as the gold layer declares them."""
    from flows.gold.marts import MARTS

    return tuple(mart.table for mart in MARTS)


async def init_platform_database(
    settings: PlatformSettings,
    superuser_url: str,
    database: str,
    *,
    reset_passwords: bool = False,
) -> None:
    """Create or update the platform database, its roles (with `settings`' passwords) and the
    analyst login, and migrate every owner."""
    await init_database(
        superuser_url,
        database,
        settings.role_passwords(),
        reset_passwords=reset_passwords,
        analyst_password=settings.analyst_password(),
        analyst_marts=mart_tables(),
    )
